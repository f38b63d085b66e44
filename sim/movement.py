"""Movement: routes over the theatre graph and one hour of travel along them.

Speeds come from the road class (Parameters.speed_*_kmh) times multipliers for posture, unit type
and crossing. A crossing is used only while it stands: a destroyed bridge and a river with no
crossing are impassable, except to engineers, who may plan to bridge them (pontoon_build_hours).
A unit never enters a node where the enemy holds ground with a unit: it stops on the edge in
contact, and the combat phase decides whether it gets in.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import networkx as nx

from sim.combat import min_capture_hours
from sim.scenario import Posture

if TYPE_CHECKING:
    from sim.model import CampaignModel
    from sim.units import Unit

#: Crossing states in which anyone may cross.
PASSABLE = ("intact", "ford", "pontoon")
#: Crossing states engineers can bridge with pontoons.
BRIDGEABLE = ("none", "destroyed")
#: Route-cost multiplier on entering ground the enemy holds (without troops) when a unit is only
#: moving, not attacking: columns keep to their own side's roads when they can.
ENEMY_GROUND_PENALTY = 4.0


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
    state = m.crossing_state[cid]
    if state not in PASSABLE:
        return None
    return {"ford": m.params.ford_speed_factor,
            "pontoon": m.params.pontoon_speed_factor}.get(state, 1.0)


def edge_hours(unit: Unit, u: str, v: str, data: dict, m: CampaignModel) -> float | None:
    """Hours for `unit` to travel the edge u-v now, or None if impassable."""
    factor = crossing_factor(data, m)
    if factor is None:
        return None
    speed = road_speed_kmh(data, m) * posture_factor(unit, m) * factor
    if unit.foot and data.get("road_class") is not None:
        speed *= m.params.foot_speed_factor
    if m.control[v] != unit.side:
        speed *= m.params.enemy_ground_speed_factor
    return data["length_km"] / speed


def route_weight(unit: Unit, m: CampaignModel, *, fighting: bool, target: str | None = None,
                 own_ground: bool = False) -> Callable[[str, str, dict], float | None]:
    """Weight function for nx.shortest_path: hours, None where the unit cannot go.

    Moving units avoid enemy-held ground and never path through nodes the enemy occupies; with
    `own_ground` (a withdrawal) they do not enter enemy-held ground at all.
    Attacking units may fight through a defended place on the way to `target`, at the cost of
    clearing it (capture_hours plus the terrain's minimum capture hours), so a free way round
    wins when there is one. Engineers may plan over an unbridged river at the cost of building
    a pontoon.
    """
    enemy = "RU" if unit.side == "UA" else "UA"
    occupied = m.occupied_by(enemy)

    def weight(u: str, v: str, data: dict) -> float | None:
        hours = edge_hours(unit, u, v, data, m)
        if hours is None:
            cid = data.get("crossing")
            if not (unit.engineers and cid and m.crossing_state[cid] in BRIDGEABLE):
                return None
            hours = data["length_km"] / (m.params.speed_local_kmh * m.params.pontoon_speed_factor)
            hours += m.params.pontoon_build_hours
        if not fighting:
            if v in occupied:
                return None
            if m.control[v] == enemy:
                if own_ground:
                    return None
                hours *= ENEMY_GROUND_PENALTY
        elif v in occupied and v != target:
            hours += m.params.capture_hours + min_capture_hours(m.graph.nodes[v]["terrain"],
                                                                  m.params)
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
    enemy = "RU" if side == "UA" else "UA"
    return node in m.occupied_by(enemy)


def move(unit: Unit, m: CampaignModel) -> float:
    """Advance `unit` along its route for one hour. Returns the km covered.

    Stops in contact (the next node is held by enemy troops) with `next_node` set to that node,
    which makes the unit an attacker there in the combat phase if its task is to attack.
    """
    p = m.params
    if unit.march_hours_today >= p.march_hours_per_day:
        return 0.0
    budget, covered = 1.0, 0.0
    while budget > 1e-9 and unit.route:
        nxt = unit.route[0]
        data = m.graph.edges[unit.node, nxt]
        unit.next_node = nxt
        if enemy_holds(nxt, unit.side, m):
            if unit.task != "attack" or unit.posture in (Posture.WITHDRAW, Posture.ROUT):
                unit.next_node = None
                unit.route = []  # blocked: the unit will re-plan next hour
            break  # in contact: combat decides
        hours = edge_hours(unit, unit.node, nxt, data, m)
        if hours is None:
            cid = data.get("crossing")
            if unit.engineers and cid and m.crossing_state[cid] in BRIDGEABLE:
                m.start_pontoon(unit, cid)
            else:
                unit.next_node, unit.route = None, []  # bridge gone: re-plan next hour
            break
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
