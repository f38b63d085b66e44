"""River crossings in the turn: bridges blown behind a withdrawal or, rigged, in the enemy's
face, pontoons built by engineers, and artillery fire on crossing sites (docs/model.md,
"Movement").

The crossings' state (intact, destroyed, pontoon, ford...) lives in the world
(sim/model/world.py); a bridge destroyed by an event, a demolition or fire goes through
`World.destroy_crossing`, which spares the bridges a what-if made indestructible. The movement
phase (sim/model/rules/movement.py) calls `demolish_behind` for each crossing a unit has
crossed, `start_pontoon` for engineers at a river and, once all have marched,
`demolish_in_front`; `pontoons_under_fire` is a phase of the turn, after combat.
"""

from __future__ import annotations

from sim.model.retreat import enemy_present
from sim.model.rules.combat_math import ARTILLERY, MLRS, supply_factor
from sim.model.units import Unit
from sim.model.world import CrossingState, World
from sim.scenario import SIDES, Posture, Side, other


# ---------------------------------------------------------------------------------- demolition
def demolish_behind(world: World[Unit], unit: Unit, cid: str, left: str, reached: str) -> None:
    """`unit` has crossed `cid` from `left` to `reached`. Withdrawing or routed, its side blows
    the bridge behind it with probability demolition_probability (a doctrine parameter) when
    the bridge can be destroyed, the enemy is near the bank it left (`enemy_near`) and no other
    unit of its side still needs the crossing (`needed_by_own`)."""
    if (
        unit.posture in (Posture.WITHDRAW, Posture.ROUT)
        and world.crossings[cid].destructible
        and enemy_near(world, left, unit.side)
        and not needed_by_own(world, left, reached, unit)
        and world.random.random() < unit.doctrine.demolition_probability
    ):
        world.destroy_crossing(cid, cause=f"demolished by withdrawing {unit.side} forces")


def demolish_in_front(world: World[Unit]) -> None:
    """A bridge rigged for demolition (a scenario's `crossings: {id: rigged}`) is blown in the
    enemy's face: when enemy troops first stand at one end, with none of the other side there,
    and the other side holds the near end with none of its own on their way across, it is
    destroyed with that side's demolition_probability (its doctrine). One try each time the
    enemy reaches the far end: a demolition that fails (charges damaged, a crossing rushed)
    leaves the bridge to be fought over. Bridges not rigged are blown only behind a withdrawal
    (`demolish_behind`): charges on a bridge are laid in advance, as part of a planned defence
    of the river line (a reserved demolition target, FM 5-102)."""
    if not world.rigged:
        return
    held = {side: world.occupied_by(side) for side in SIDES}
    threatened: set[tuple[str, Side]] = set()
    for cid in sorted(world.rigged):
        if world.crossings[cid] != CrossingState.INTACT:
            continue
        c = world.network.crossings[cid]
        for near, far in ((c.u, c.v), (c.v, c.u)):
            for side in SIDES:
                if near in held[side] and far in held[other(side)] and far not in held[side]:
                    threatened.add((cid, side))
                    if (cid, side) not in world.bridge_threats and not _crossing_over(
                        world, side, near, far
                    ):
                        _blow(world, cid, side)
    world.bridge_threats = threatened


def _crossing_over(world: World[Unit], side: Side, near: str, far: str) -> bool:
    """Whether a unit of `side` is on its way from `near` across to `far`, or its supply runs
    that way."""
    for u in world.active_units(side):
        if u.node == near and u.route and u.route[0] == far:
            return True
        r = u.supply_route
        if any(x == near and y == far for x, y in zip(r, r[1:], strict=False)):
            return True
    return False


def _blow(world: World[Unit], cid: str, side: Side) -> None:
    if world.random.random() < world.doctrine[side].demolition_probability:
        world.destroy_crossing(cid, cause=f"blown by {side} forces as the enemy reached it")


def needed_by_own(world: World[Unit], a: str, b: str, crossing: Unit) -> bool:
    """Whether any other unit of the crossing unit's side still depends on the edge from
    `a` (the bank it leaves, the enemy's side) to `b`: its line of supply runs over it
    from `b` into `a` (it stands on the enemy's side, supplied across the river), or it is
    on the far bank heading this way. A side does not blow a bridge its own troops on the
    far bank still need; troops on the near bank whose supply happens to come over it from
    the far bank are not trapped by the demolition, so they do not stop it."""
    for u in world.active_units(crossing.side):
        if u is crossing:
            continue
        r = u.supply_route
        if any(x == b and y == a for x, y in zip(r, r[1:], strict=False)):
            return True
        if u.node == a and u.route and u.route[0] == b:
            return True
    return False


def enemy_near(world: World[Unit], node: str, side: Side) -> bool:
    """Enemy troops within presence_km of `node`, or closing on it along a road."""
    if any(e.next_node == node for e in world.active_units(other(side))):
        return True
    return enemy_present(world, node, side)


# ---------------------------------------------------------------------------------- pontoons
def start_pontoon(world: World[Unit], unit: Unit, cid: str) -> None:
    """Engineers work one hour on a pontoon; done after pontoon_build_hours. Not under the
    guns of troops on the far bank; enemy artillery in range may wreck the work
    (crossing_fire)."""
    c = world.network.crossings[cid]
    far = c.v if unit.node == c.u else c.u
    if far in world.occupied_by(other(unit.side)):
        return  # no bridging under the guns of troops on the far bank
    unit.hours_in_place = 0.0
    if world.pontoon_hour.get(cid) == world.hour:
        return  # one site, one bridge: other engineers there this hour add nothing
    world.pontoon_hour[cid] = world.hour
    near = f"the {c.river} near {world.network.name(unit.node)}"
    if crossing_fire(world, cid, unit.side):
        world.pontoon_work[cid] = 0.0
        what = ("pontoon_destroyed", f"{unit.name}'s crossing of {near} is destroyed by artillery")
    else:
        work = world.pontoon_work[cid] = world.pontoon_work.get(cid, 0.0) + 1.0
        if work < world.physics.pontoon_build_hours or not world.crossings[cid].bridgeable:
            return
        world.set_crossing(cid, CrossingState.PONTOON)
        what = ("pontoon_built", f"{unit.name} bridges {near}")
    world.log(what[0], unit=unit, node=unit.node, target=cid, text=what[1])


# ---------------------------------------------------------------------------------- fire
def crossing_fire(world: World[Unit], cid: str, side: Side) -> bool:
    """Whether the enemy's guns destroy `side`'s crossing site `cid` this hour: each enemy
    gun (in range, artillery_range_km) or rocket launcher (mlrs_range_km) of a unit holding
    ground hits it with probability crossing_hit_per_gun_hour, times its supply."""
    physics = world.physics
    if physics.crossing_hit_per_gun_hour <= 0:
        return False
    site = world.network.crossing_site(cid)
    guns = 0.0
    for e in world.active_units(other(side)):
        if not e.holds_ground or e.equipment[ARTILLERY] + e.equipment[MLRS] <= 0:
            continue
        d = world.network.km_to(e.node, site)
        n = (e.equipment[ARTILLERY] if d <= physics.artillery_range_km else 0.0) + (
            e.equipment[MLRS] if d <= physics.mlrs_range_km else 0.0
        )
        guns += n * supply_factor(e.supply, physics)
    if guns <= 0:
        return False
    hit = 1.0 - (1.0 - physics.crossing_hit_per_gun_hour) ** guns
    return world.random.random() < hit


def pontoons_under_fire(world: World[Unit]) -> None:
    """Pontoons in range of enemy guns may be destroyed (crossing_fire), as bridges are."""
    for cid, state in list(world.crossings_out().items()):
        if state != CrossingState.PONTOON or cid in world.indestructible:
            continue
        c = world.network.crossings[cid]
        owner = world.control[c.u]
        if world.control[c.v] == owner and crossing_fire(world, cid, owner):
            world.destroy_crossing(cid, cause="artillery fire")
