"""The morale phase: each unit's morale, fatigue and abandoned equipment at the end of the hour.

Morale falls with the hour's losses (morale_loss_per_casualty), each hour cut off
(morale_isolation_per_hour) and each hour short of supply (low_supply_morale_per_hour below
low_supply_level); it recovers out of contact and in supply (morale_recovery_per_hour, a routed
unit at rout_recovery_share of it). A unit cut off and low on supply, and a routed unit, abandon
heavy equipment each hour (rout_abandon_per_hour). Rest out of contact and in supply sheds
fatigue. What a unit does when its morale breaks is its own rule (`Unit.step`,
sim/model/units.py), next hour.
"""

from __future__ import annotations

import math

from sim.model.units import Unit
from sim.model.world import World
from sim.scenario import Posture


def morale_phase(world: World[Unit]) -> None:
    physics = world.physics
    for u in world.active_units():
        morale = u.morale - physics.morale_loss_per_casualty * u.losses_this_hour
        in_range = u.supply_km <= physics.supply_range_km
        if not math.isfinite(u.supply_km):
            morale -= physics.morale_isolation_per_hour
            if u.supply < physics.abandon_supply:
                u.leave_behind(u.abandon(physics.rout_abandon_per_hour))
        if u.supply < physics.low_supply_level:
            short = 1.0 - u.supply / max(physics.low_supply_level, 1e-9)
            morale -= physics.low_supply_morale_per_hour * short
        elif not u.in_combat and in_range:
            morale += physics.morale_recovery_per_hour * (
                physics.rout_recovery_share if u.posture == Posture.ROUT else 1.0
            )
        if u.posture == Posture.ROUT:
            u.leave_behind(u.abandon(physics.rout_abandon_per_hour))
        rested = not u.in_combat and u.march_hours_today == 0
        if rested and in_range:  # rest needs food and fuel
            u.fatigue = max(0.0, u.fatigue - physics.fatigue_recovery_per_hour)
        u.morale = min(1.0, max(0.0, morale))
        u.losses_this_hour = 0.0
