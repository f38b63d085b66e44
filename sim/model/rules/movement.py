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
from heapq import heappop, heappush
from itertools import count
from typing import TYPE_CHECKING

from sim.model.rules.combat_math import capture_factor
from sim.model.rules.crossings import start_pontoon
from sim.scenario import Posture, Task, other

if TYPE_CHECKING:
    from sim.model import CampaignModel
    from sim.model.units import Unit


def road_speeds(m: CampaignModel) -> dict[str | None, float]:
    """Column speed (km/h) by an edge's road class; rail-only edges (no road class): dismounted."""
    p = m.params
    return {
        "highway": p.speed_highway_kmh,
        "main": p.speed_main_kmh,
        "secondary": p.speed_secondary_kmh,
        "local": p.speed_local_kmh,
        None: p.speed_rail_only_kmh,
    }


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
    return {"ford": m.params.ford_speed_factor, "pontoon": m.params.pontoon_speed_factor}.get(
        state.value, 1.0
    )


def can_bridge(unit: Unit, data: dict, m: CampaignModel) -> bool:
    """Engineers can bridge this edge's river (a destroyed bridge or no crossing at all), and
    no enemy troops stand on the far bank."""
    cid = data.get("crossing")
    if not (unit.engineers and cid and m.world.crossings[cid].bridgeable):
        return False
    c = m.theatre.crossings[cid]
    return not ({c.u, c.v} & m.occupied_by(other(unit.side)))


def hours_function(unit: Unit, m: CampaignModel) -> Callable[[str, dict], float | None]:
    """`hours(v, data)`: hours for `unit` to travel an edge (attributes `data`) into node `v`
    now, or None if impassable. Speed = road class speed x posture x crossing (x foot on a
    road) (x enemy ground when `v` is not its side's).

    Built once per route search: a search weighs thousands of edges, so what does not depend
    on the edge is looked up here, once."""
    p = m.params
    speeds = road_speeds(m)
    rail_only = speeds[None]
    posture = posture_factor(unit, m)
    foot = unit.foot
    side = unit.side
    control = m.world.control
    crossings = m.world.crossings
    crossing_speed = {"ford": p.ford_speed_factor, "pontoon": p.pontoon_speed_factor}
    foot_factor, enemy_factor = p.foot_speed_factor, p.enemy_ground_speed_factor

    def hours(v: str, data: dict) -> float | None:
        cid = data.get("crossing")
        if cid is None:
            factor = 1.0
        else:
            state = crossings[cid]
            if not state.passable:
                return None
            factor = crossing_speed.get(state.value, 1.0)
        road = data.get("road_class")
        speed = speeds.get(road, rail_only) * posture * factor
        if foot and road is not None:
            speed *= foot_factor
        if control[v] != side:
            speed *= enemy_factor
        return data["length_km"] / speed

    return hours


def edge_hours(unit: Unit, u: str, v: str, data: dict, m: CampaignModel) -> float | None:
    """Hours for `unit` to travel the edge u-v now, or None if impassable."""
    return hours_function(unit, m)(v, data)


def route_weight(
    unit: Unit,
    m: CampaignModel,
    *,
    fighting: bool,
    target: str | None = None,
    own_ground: bool = False,
) -> Callable[[str, str, dict], float | None]:
    """Weight function for a route search (shortest_route): hours, None where the unit cannot go.

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

    edge_hours_now = hours_function(unit, m)

    def weight(u: str, v: str, data: dict) -> float | None:
        hours = edge_hours_now(v, data)
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


def plan_route(
    unit: Unit,
    target: str,
    m: CampaignModel,
    via: list[str] | None = None,
    fighting: bool = False,
    start: str | None = None,
    own_ground: bool = False,
) -> list[str] | None:
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
        leg = shortest_route(m.theatre.adjacency, start, goal, weight)
        if leg is None:
            return None
        path += leg[1:]
        start = goal
    return path


def shortest_route(
    adjacency: dict[str, list[tuple[str, dict]]],
    source: str,
    target: str,
    weight: Callable[[str, str, dict], float | None],
) -> list[str] | None:
    """The least-weight path from `source` to `target` (both ends included), or None.

    networkx's `bidirectional_dijkstra` (BSD licence), the search `nx.shortest_path` runs for a
    weight function, step for step: the same expansion order, the same tie-breaking (a
    counter in the heaps), so the same path whenever two routes cost the same. Kept here
    without networkx's dispatch layers and over a plain adjacency list (`Theatre.adjacency`,
    in the graph's own neighbour order), because route planning is the model's hottest loop.
    """
    if source == target:
        return [source]
    dists: tuple[dict, dict] = ({}, {})
    preds: tuple[dict, dict] = ({source: None}, {target: None})
    seen: tuple[dict, dict] = ({source: 0}, {target: 0})
    fringe: tuple[list, list] = ([], [])
    c = count()
    heappush(fringe[0], (0, next(c), source))
    heappush(fringe[1], (0, next(c), target))
    finaldist, meetnode = None, None
    direction = 1
    while fringe[0] and fringe[1]:
        direction = 1 - direction
        dist, _, v = heappop(fringe[direction])
        done, other_done = dists[direction], dists[1 - direction]
        if v in done:
            continue
        done[v] = dist
        if v in other_done:
            forward: list[str] = []
            node = meetnode
            while node is not None:
                forward.append(node)
                node = preds[0][node]
            node = preds[1][meetnode]
            backward = []
            while node is not None:
                backward.append(node)
                node = preds[1][node]
            return forward[::-1] + backward
        seen_here, seen_there, pred = seen[direction], seen[1 - direction], preds[direction]
        for w, d in adjacency[v]:
            cost = weight(v, w, d) if direction == 0 else weight(w, v, d)
            if cost is None:
                continue
            vw = dist + cost
            if w in done:
                continue  # (networkx raises on a shorter path here: no negative weights)
            if w not in seen_here or vw < seen_here[w]:
                seen_here[w] = vw
                heappush(fringe[direction], (vw, next(c), w))
                pred[w] = v
                if w in seen_there:
                    total = vw + seen_there[w]
                    if finaldist is None or finaldist > total:
                        finaldist, meetnode = total, w
    return None


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
                start_pontoon(m, unit, data["crossing"])
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
