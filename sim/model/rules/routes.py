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
from collections.abc import Sequence
from typing import Protocol

import numpy as np

from sim.model.params_physics import PhysicsParameters
from sim.model.rules import front
from sim.model.rules.combat_math import (
    DefenceLevel,
    defended_depth_km,
    opposed_advance_kmday,
)
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


def edge_speeds(world: World) -> tuple[np.ndarray, np.ndarray]:
    """Per edge of the road network: its road class's column speed (km/h), and the speed
    multiplier of its crossing as it is now (1 without one): the parts of `arc_hours` that are
    the same for every unit, kept until a crossing or the physics changes."""

    def work_out() -> tuple[np.ndarray, np.ndarray]:
        network, physics = world.network, world.physics
        speeds = road_speeds(physics)
        by_crossing = crossing_speed(physics)
        edge_speed = np.array([speeds.get(road, speeds[None]) for road in network.edge_road])
        factor = np.array(
            [
                1.0 if cid is None else by_crossing.get(world.crossings[cid].value, 1.0)
                for cid in network.edges.crossing
            ]
        )
        return edge_speed, factor

    return world.derived("edge speeds", work_out, on=("crossings", "laws"))


def arc_hours(mover: Mover, world: World) -> np.ndarray:
    """Hours for a unit of the mover's side, posture and kind to travel each arc of the road
    network now (inf where its crossing does not stand). Speed = road class speed x posture x
    crossing (x foot on a road) (x enemy ground when the arc leads into ground its side does not
    hold). The same for every unit of that side, posture and kind: worked out once for each
    until control, a crossing or the physics changes."""
    side, posture, foot = mover.side, mover.posture, mover.foot

    def hours() -> np.ndarray:
        network, physics = world.network, world.physics
        edge_speed, factor = edge_speeds(world)
        k, to = network.arc_edge, network.arc_to
        speed = edge_speed[k] * posture_factor(posture, physics) * factor[k]
        if foot:
            speed = np.where(network.edges.road[k], speed * physics.foot_speed_factor, speed)
        own = world.held(side)
        speed = np.where(own[to], speed, speed * physics.enemy_ground_speed_factor)
        out = network.edges.length_km[k] / speed
        out[~world.standing_edges()[k]] = np.inf
        return out

    return world.derived(
        f"arc hours {side} {posture} {foot}", hours, on=("control", "crossings", "laws")
    )


def bridgeable(mover: Mover, world: World) -> np.ndarray:
    """Per arc: the mover's engineers could bridge its river now (a destroyed bridge or no
    crossing at all), with no enemy troops on either bank. All false without engineers."""
    network = world.network
    if not mover.engineers:
        return np.zeros(len(network.arc_edge), dtype=bool)
    site = np.array(
        [cid is not None and world.crossings[cid].bridgeable for cid in network.edges.crossing]
    )
    enemy = world.positions().mask[other(mover.side)]
    e = network.edges
    return (site & ~(enemy[e.u] | enemy[e.v]))[network.arc_edge]


def route_costs(
    mover: Mover,
    world: World,
    *,
    fighting: bool,
    target: str | None = None,
    own_ground: bool = False,
) -> np.ndarray:
    """Cost (hours) of each arc for a route search, inf where the unit cannot go.

    Moving units avoid enemy-held ground (cost x enemy_ground_route_penalty) and never path
    through places the enemy occupies; with `own_ground` (a withdrawal) they do not enter
    enemy-held ground at all. Attacking units may fight through a defended place on the way to
    `target`, at the cost of the time to take it (`fight_through_hours`), so a free way round
    wins when there is one. Engineers may plan over an unbridged river or a destroyed bridge at
    the cost of building a pontoon.
    """
    network, physics = world.network, world.physics
    cost = arc_hours(mover, world)
    to = network.arc_to
    entered = world.may_enter.get(mover.side)
    if entered is not None:  # no way round through a country its side does not go into
        cost = np.where(entered[to], cost, np.inf)
    if mover.engineers:
        pontoon = network.arc_length / (physics.speed_local_kmh * physics.pontoon_speed_factor)
        pontoon += physics.pontoon_build_hours
        cost = np.where(np.isinf(cost) & bridgeable(mover, world), pontoon, cost)
    enemy = other(mover.side)
    occupied = world.positions().mask[enemy][to]
    if not fighting:
        enemy_ground = ~world.held(mover.side)[to]
        if own_ground:
            return np.where(occupied | enemy_ground, np.inf, cost)
        cost = np.where(enemy_ground, cost * physics.enemy_ground_route_penalty, cost)
        return np.where(occupied, np.inf, cost)
    defended = front.defended(world, enemy)[to]
    if target is not None:
        defended = defended & (to != network.index[target])
    return np.where(defended, np.maximum(cost, fight_through_hours(world, enemy)), cost)


def fight_through_hours(world: World, defender: Side) -> np.ndarray:
    """A commander's estimate of the hours an attack needs to take the far end of each arc
    where `defender` defends it (inf elsewhere, unused): the road through a prepared defence
    of the place's density at twice the capture ratio (combat_math.hours_to_take), the free
    pace that of a march on a local road through enemy ground."""
    network, physics = world.network, world.physics

    def hours() -> np.ndarray:
        defended = front.defended(world, defender)
        free_kmday = physics.speed_local_kmh * physics.attack_speed_factor
        free_kmday *= physics.enemy_ground_speed_factor * physics.march_hours_per_day
        opposed = opposed_advance_kmday(
            DefenceLevel.PREPARED, "open", 2.0 * physics.capture_ratio, physics
        )
        belt = np.zeros(len(network.node_ids))
        # the powers read once, the densities of all the places at once
        density = front.density_map(world, defender, front.unit_powers(world, defender))
        for i in np.flatnonzero(defended):
            belt[i] = defended_depth_km(math.inf, density[i], physics)
        road = network.arc_length
        fought = np.minimum(road, belt[network.arc_to])
        hours = ((road - fought) / free_kmday + fought / opposed) * 24.0
        return np.where(defended[network.arc_to], hours, np.inf)

    return world.derived(
        f"fight through {defender}", hours, on=("control", "units", "crossings", "laws")
    )


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
    cost = route_costs(mover, world, fighting=fighting, target=target, own_ground=own_ground)
    legs = [*(via or []), target]
    start = start or mover.node
    path: list[str] = []
    for goal in legs:
        if goal == start:
            continue
        leg = world.network.route(start, goal, cost)
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
    road, and the route there; (None, []) if none. From a place still in supply, only a place
    nearer the supply (deeper in its side's lines) will do: a unit breaking off goes back, not
    forward into the place the enemy is attacking next to it."""
    supplied = world.supply_lines[mover.side]
    control = world.control
    network = world.network
    here = supplied.distance(start)
    _, paths = network.paths_from(start, route_costs(mover, world, fighting=False))
    best, best_route, best_km = None, [], math.inf
    for node in sorted(paths):
        if node == start or control[node] != mover.side or not supplied.reaches(node):
            continue
        if supplied.distance(node) >= here:
            continue
        path = paths[node]
        legs = list(zip(path, path[1:], strict=False))
        enemy_km = sum(network.edge(a, b)["length_km"] for a, b in legs if control[b] != mover.side)
        km = sum(network.edge(a, b)["length_km"] for a, b in legs)
        if enemy_km <= max_enemy_km and km < best_km:
            best, best_route, best_km = node, path[1:], km
    return best, best_route
