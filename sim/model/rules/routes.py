"""How fast a unit travels a road, and which way it goes: speeds, route weights, route searches.

Speeds come from the road class (speed_*_kmh) times multipliers for posture, unit type and
crossing. A crossing is used only while it stands: a destroyed bridge and a river with no
crossing are impassable, except to engineers, who may plan to bridge them (pontoon_build_hours).
Moving units avoid enemy-held ground and never plan through a place the enemy holds with
troops; attacking units may fight through one, at the cost of clearing it; withdrawing units
keep to their own ground, or break out through a little enemy-held road. The searches run on the
road network (sim/model/network.py); the unit that travels is sim/model/units.py's `Unit`
(`march`, `take_task`, `fall_back`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Protocol

from sim.model.network import Weight
from sim.model.params_physics import PhysicsParameters
from sim.model.rules.combat_math import capture_factor
from sim.model.world import World
from sim.scenario import Posture, Side, other


class Mover(Protocol):
    """What a route search needs to know of the unit that travels."""

    @property
    def side(self) -> Side: ...
    @property
    def posture(self) -> Posture: ...
    @property
    def foot(self) -> bool: ...
    @property
    def engineers(self) -> bool: ...
    @property
    def node(self) -> str: ...


def road_speeds(physics: PhysicsParameters) -> dict[str | None, float]:
    """Column speed (km/h) by an edge's road class; rail-only edges (no road class): dismounted."""
    return {
        "highway": physics.speed_highway_kmh,
        "main": physics.speed_main_kmh,
        "secondary": physics.speed_secondary_kmh,
        "local": physics.speed_local_kmh,
        None: physics.speed_rail_only_kmh,
    }


def posture_factor(posture: Posture, physics: PhysicsParameters) -> float:
    """Speed multiplier of a posture: attacking, withdrawing and routed columns are slower."""
    return {
        Posture.ATTACK: physics.attack_speed_factor,
        Posture.WITHDRAW: physics.withdraw_speed_factor,
        Posture.ROUT: physics.rout_speed_factor,
    }.get(posture, 1.0)


def crossing_speed(physics: PhysicsParameters) -> dict[str, float]:
    """Speed multiplier by the state of a crossing that is not a bridge standing as built."""
    return {"ford": physics.ford_speed_factor, "pontoon": physics.pontoon_speed_factor}


def passable_exit(world: World, data: dict) -> bool:
    """Whether an edge (attributes `data`) can be travelled now: no crossing, or one that
    stands."""
    return world.passable(data.get("crossing"))


def can_bridge(mover: Mover, data: dict, world: World) -> bool:
    """Engineers can bridge this edge's river (a destroyed bridge or no crossing at all), and
    no enemy troops stand on either bank."""
    cid = data.get("crossing")
    if not (mover.engineers and cid and world.crossings[cid].bridgeable):
        return False
    c = world.network.crossings[cid]
    return not ({c.u, c.v} & world.occupied_by(other(mover.side)))


def hours_function(mover: Mover, world: World) -> Callable[[str, dict], float | None]:
    """`hours(v, data)`: hours for `mover` to travel an edge (attributes `data`) into place `v`
    now, or None if impassable. Speed = road class speed x posture x crossing (x foot on a
    road) (x enemy ground when `v` is not its side's).

    Built once per route search: a search weighs thousands of edges, so what does not depend
    on the edge is looked up here, once."""
    physics = world.physics
    speeds = road_speeds(physics)
    rail_only = speeds[None]
    posture = posture_factor(mover.posture, physics)
    foot = mover.foot
    side = mover.side
    control = world.control
    crossings = world.crossings
    by_crossing = crossing_speed(physics)
    foot_factor, enemy_factor = physics.foot_speed_factor, physics.enemy_ground_speed_factor

    def hours(v: str, data: dict) -> float | None:
        cid = data.get("crossing")
        if cid is None:
            factor = 1.0
        else:
            state = crossings[cid]
            if not state.passable:
                return None
            factor = by_crossing.get(state.value, 1.0)
        road = data.get("road_class")
        speed = speeds.get(road, rail_only) * posture * factor
        if foot and road is not None:
            speed *= foot_factor
        if control[v] != side:
            speed *= enemy_factor
        return data["length_km"] / speed

    return hours


def route_weight(
    mover: Mover,
    world: World,
    *,
    fighting: bool,
    target: str | None = None,
    own_ground: bool = False,
) -> Weight:
    """Weight function for a route search: hours, None where the unit cannot go.

    Moving units avoid enemy-held ground (cost x enemy_ground_route_penalty) and never path
    through places the enemy occupies; with `own_ground` (a withdrawal) they do not enter
    enemy-held ground at all. Attacking units may fight through a defended place on the way to
    `target`, at the cost of clearing it: capture_hours x the terrain's capture factor / 2
    (half the time a capture takes at the capture ratio, about the time at twice that ratio),
    so a free way round wins when there is one. Engineers may plan over an unbridged river or a
    destroyed bridge at the cost of building a pontoon.
    """
    enemy = other(mover.side)
    occupied = world.occupied_by(enemy)
    control = world.control
    physics = world.physics
    terrain = world.network.terrain
    edge_hours_now = hours_function(mover, world)

    def weight(u: str, v: str, data: dict) -> float | None:
        hours = edge_hours_now(v, data)
        if hours is None:
            if not can_bridge(mover, data, world):
                return None
            hours = data["length_km"] / (physics.speed_local_kmh * physics.pontoon_speed_factor)
            hours += physics.pontoon_build_hours
        if not fighting:
            if v in occupied:
                return None
            if control[v] == enemy:
                if own_ground:
                    return None
                hours *= physics.enemy_ground_route_penalty
        elif v in occupied and v != target:
            hours += physics.capture_hours * capture_factor(terrain[v], physics) / 2.0
        return hours

    return weight


def plan_route(
    mover: Mover,
    target: str,
    world: World,
    via: Sequence[str] | None = None,
    *,
    fighting: bool = False,
    start: str | None = None,
    own_ground: bool = False,
) -> list[str] | None:
    """Places to travel through to reach `target` (the start left out), or None if there is
    no way. With `via`, the route passes the given places in order. `start` defaults to the
    unit's place; `own_ground` keeps the route on ground the unit's side holds."""
    weight = route_weight(mover, world, fighting=fighting, target=target, own_ground=own_ground)
    legs = [*(via or []), target]
    start = start or mover.node
    path: list[str] = []
    for goal in legs:
        if goal == start:
            continue
        leg = world.network.route(start, goal, weight)
        if leg is None:
            return None
        path += leg[1:]
        start = goal
    return path


def fallback_route(
    mover: Mover,
    places: Sequence[str],
    world: World,
    breakout_max_km: float,
    start: str | None = None,
    *,
    leave: bool = False,
) -> tuple[str | None, list[str]]:
    """Where a withdrawal goes, and the route there (from `start`, default the unit's place):
    the nearest (by road km) of the fallback `places` reachable over ground its side holds
    (with `leave`, a commanded withdrawal, not the place it stands on); failing that, a
    breakout to the nearest place its side holds and supplies, through at most
    `breakout_max_km` of enemy-held road; failing that, nowhere (None, [])."""
    start = start or mover.node
    network = world.network
    best, best_route, best_km = None, [], math.inf
    for t in places:
        if t == start:
            if leave:
                continue
            return t, []
        r = plan_route(mover, t, world, fighting=False, start=start, own_ground=True)
        if r is None:
            continue
        km = network.road_km(start, r)
        if km < best_km:
            best, best_route, best_km = t, r, km
    if best is not None:
        return best, best_route
    return breakout(mover, world, breakout_max_km, start)


def breakout(
    mover: Mover, world: World, max_enemy_km: float, start: str
) -> tuple[str | None, list[str]]:
    """The nearest place (by road km) the unit's side holds and supplies (its supply as traced
    this hour) that it can reach from `start` through at most `max_enemy_km` of enemy-held
    road, and the route there; (None, []) if none."""
    supplied = world.supply_lines[mover.side]
    control = world.control
    network = world.network
    weight = route_weight(mover, world, fighting=False)
    _, paths = network.paths_from(start, weight)
    best, best_route, best_km = None, [], math.inf
    for node in sorted(paths):
        if node == start or control[node] != mover.side or not supplied.reaches(node):
            continue
        path = paths[node]
        legs = list(zip(path, path[1:], strict=False))
        enemy_km = sum(network.edge(a, b)["length_km"] for a, b in legs if control[b] != mover.side)
        km = sum(network.edge(a, b)["length_km"] for a, b in legs)
        if enemy_km <= max_enemy_km and km < best_km:
            best, best_route, best_km = node, path[1:], km
    return best, best_route
