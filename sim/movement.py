"""Movement: routes over the theatre graph and one hour of travel along them.

Speeds come from the road class (Parameters.speed_*_kmh) times multipliers for posture, unit type
and crossing. A crossing is used only while it stands: a destroyed bridge and a river with no
crossing are impassable, except to engineers, who may plan to bridge them (pontoon_build_hours).
A unit never enters a node where the enemy holds ground with a unit: it stops on the edge in
contact, and the combat phase decides whether it gets in. The crossing is checked first: nobody
is in contact, let alone attacks, across a bridge that is down.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import networkx as nx

from sim.combat import capture_factor
from sim.scenario import Posture, Task, other

if TYPE_CHECKING:
    from sim.model import CampaignModel
    from sim.units import Unit

def road_speed_kmh(data: dict, m: CampaignModel) -> float:
    """Column speed on an edge from its road class (rail-only edges: dismounted)."""
    p = m.params
    return {
        "highway": p.speed_highway_kmh,
        "main": p.speed_main_kmh,
        "secondary": p.speed_secondary_kmh,
        "local": p.speed_local_kmh,
    }.get(data.get("road_class"), p.speed_rail_only_kmh)


def posture_factor(unit: Unit, m: CampaignModel) -> float:
    p = m.params
    return {
        Posture.ATTACK: p.attack_speed_factor,
        Posture.WITHDRAW: p.withdraw_speed_factor,
        Posture.ROUT: p.rout_speed_factor,
    }.get(unit.posture, 1.0)


def crossing_factor(data: dict, m: CampaignModel) -> float | None:
    """Speed multiplier for an edge's crossing, or None if it cannot be crossed now."""
    cid = data.get("crossing")
    if cid is None:
        return 1.0
    state = m.world.crossings[cid]
    if not state.passable:
        return None
    return {"ford": m.params.ford_speed_factor,
            "pontoon": m.params.pontoon_speed_factor}.get(state.value, 1.0)


def can_bridge(unit: Unit, data: dict, m: CampaignModel) -> bool:
    """Engineers can bridge this edge's river (a destroyed bridge or no crossing at all), and
    no enemy troops stand on the far bank."""
    cid = data.get("crossing")
    if not (unit.engineers and cid and m.world.crossings[cid].bridgeable):
        return False
    c = m.theatre.crossings[cid]
    return not ({c.u, c.v} & m.occupied_by(other(unit.side)))


def edge_hours(unit: Unit, u: str, v: str, data: dict, m: CampaignModel) -> float | None:
    """Hours for `unit` to travel the edge u-v now, or None if impassable."""
    factor = crossing_factor(data, m)
    if factor is None:
        return None
    speed = road_speed_kmh(data, m) * posture_factor(unit, m) * factor
    if unit.foot and data.get("road_class") is not None:
        speed *= m.params.foot_speed_factor
    if m.world.control[v] != unit.side:
        speed *= m.params.enemy_ground_speed_factor
    return data["length_km"] / speed


def route_weight(unit: Unit, m: CampaignModel, *, fighting: bool, target: str | None = None,
                 own_ground: bool = False) -> Callable[[str, str, dict], float | None]:
    """Weight function for nx.shortest_path: hours, None where the unit cannot go.

    Moving units avoid enemy-held ground (cost x enemy_ground_route_penalty) and never path
    through nodes the enemy occupies; with `own_ground` (a withdrawal) they do not enter
    enemy-held ground at all. Attacking units may fight through a defended place on the way to
    `target`, at the cost of clearing it (capture_hours times the terrain's capture factor, the
    time at about twice the capture ratio), so a free way round wins when there is one.
    Engineers may plan over an unbridged river or a destroyed bridge at the cost of building a
    pontoon.
    """
    enemy = other(unit.side)
    occupied = m.occupied_by(enemy)
    control = m.world.control
    p = m.params

    def weight(u: str, v: str, data: dict) -> float | None:
        hours = edge_hours(unit, u, v, data, m)
        if hours is None:
            if not can_bridge(unit, data, m):
                return None
            hours = data["length_km"] / (p.speed_local_kmh * p.pontoon_speed_factor)
            hours += p.pontoon_build_hours
        if not fighting:
            if v in occupied:
                return None
            if control[v] == enemy:
                if own_ground:
                    return None
                hours *= p.enemy_ground_route_penalty
        elif v in occupied and v != target:
            terrain = m.graph.nodes[v]["terrain"]
            hours += p.capture_hours * capture_factor(terrain, p) / 2.0
        return hours

    return weight


def plan_route(unit: Unit, target: str, m: CampaignModel, via: list[str] | None = None,
               fighting: bool = False, start: str | None = None,
               own_ground: bool = False) -> list[str] | None:
    """Nodes to travel through to reach `target` (excluding the start), or None if there is
    no way. With `via`, the route passes the given places in order. `start` defaults to the
    unit's node; `own_ground` keeps the route on ground the unit's side holds."""
    weight = route_weight(unit, m, fighting=fighting, target=target, own_ground=own_ground)
    legs = [*(via or []), target]
    start = start or unit.node
    path: list[str] = []
    for goal in legs:
        if goal == start:
            continue
        try:
            leg = nx.shortest_path(m.graph, start, goal, weight=weight)
        except (nx.NetworkXNoPath, nx.NodeNotFound):
            return None
        path += leg[1:]
        start = goal
    return path


def enemy_holds(node: str, side: str, m: CampaignModel) -> bool:
    """Whether the enemy of `side` has a unit holding ground at `node`."""
    return node in m.occupied_by(other(side))


def move(unit: Unit, m: CampaignModel) -> float:
    """Advance `unit` along its route for one hour. Returns the km covered.

    The next edge's crossing is checked first: over a bridge that is down only engineers go on
    (they bridge it), everyone else stops and re-plans. Then contact: a unit stops before a node
    held by enemy troops, with `next_node` set to that node, which makes it an attacker there
    in the combat phase if its task is to attack; any other unit is blocked and re-plans.
    """
    p = m.params
    if unit.march_hours_today >= p.march_hours_per_day:
        return 0.0
    budget, covered = 1.0, 0.0
    while budget > 1e-9 and unit.route:
        nxt = unit.route[0]
        data = m.graph.edges[unit.node, nxt]
        hours = edge_hours(unit, unit.node, nxt, data, m)
        if hours is None:
            if can_bridge(unit, data, m):
                unit.next_node = nxt
                m.start_pontoon(unit, data["crossing"])
            else:
                unit.next_node, unit.route = None, []  # bridge gone: re-plan next hour
            break
        unit.next_node = nxt
        if enemy_holds(nxt, unit.side, m):
            if unit.task != Task.ATTACK or unit.posture in (Posture.WITHDRAW, Posture.ROUT):
                unit.next_node = None
                unit.route = []  # blocked: the unit will re-plan next hour
            break  # in contact: combat decides
        length = data["length_km"]
        speed = length / hours
        step_km = min(speed * budget, length - unit.progress_km)
        unit.progress_km += step_km
        covered += step_km
        budget -= step_km / speed
        if unit.progress_km >= length - 1e-9:
            m.arrive(unit, nxt, data)
    unit.march_hours_today += 1.0 if covered > 0 else 0.0
    return covered
