"""The movement phase: every unit marches an hour along its route (`Unit.march`,
sim/model/units.py), in the order they entered the map; a withdrawing side may blow a bridge
behind it, engineers at a river work on a pontoon, and a rigged bridge the enemy has reached
is blown in its face (sim/model/rules/crossings.py).

A unit never enters a place where the enemy holds ground with a unit: it stops on the edge in
contact, and the combat phase (sim/model/rules/combat.py) decides whether it gets in. The
crossing is checked first: nobody is in contact, let alone attacks, across a bridge that is
down. Speeds and routes: sim/model/rules/routes.py.
"""

from __future__ import annotations

from sim.model.rules.crossings import demolish_behind, demolish_in_front, start_pontoon
from sim.model.units import Unit
from sim.model.world import World


def movement_phase(world: World[Unit]) -> None:
    """One hour of marching for every unit on the map (a new day, at midnight, gives each its
    march hours again)."""
    if world.now.hour == 0:
        for unit in world.active_units():
            unit.march_hours_today = 0.0
    for unit in world.active_units():
        start = unit.node
        if not unit.route:  # nowhere to go (`Unit.march` would stand): another hour in place
            unit.settle(0.0, start)
            continue
        march = unit.march()
        for cid, left, reached in march.crossed:
            demolish_behind(world, unit, cid, left, reached)
        if march.bridging is not None:
            start_pontoon(world, unit, march.bridging)
        unit.settle(march.km, start)
    demolish_in_front(world)
