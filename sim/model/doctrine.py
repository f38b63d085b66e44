"""A unit's own rules: what it does each hour within the task its commander gave it.

These are the local behaviours a unit keeps whatever its orders (docs/model.md, "Units' own
rules"): it marches, fights and falls back along roads. In the orders phase (`unit_step`) a unit
- disbands below `disband_fraction` of its personnel;
- surrenders when it is cut off, its supply has run out and its morale has gone;
- routs or breaks off when its morale falls below `rout_morale` or `withdraw_morale`;
- when withdrawing, keeps going to its fallback place, and reorganises there;
- goes on to its next objective when its side holds the current one;
- re-plans a route that a bridge or the enemy has blocked.
When the enemy takes the place it holds, it is forced out (`force_out`): it leaves by road towards
the neighbour deepest in its own lines, at march speed, and can be caught on the way.

The commander (sim/commander.py) decides what a unit should do; these rules decide how.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import networkx as nx

from sim.model.rules.movement import crossing_factor, plan_route, route_weight
from sim.scenario import Posture, Status, Task, other

if TYPE_CHECKING:
    from sim.model import CampaignModel
    from sim.model.units import Unit
    from sim.scenario import Side


#: A withdrawing unit with nowhere to go looks for a way out again every this many hours (a
#: breakout search is a whole-map Dijkstra; the situation rarely changes within the hour).
REPLAN_EVERY_HOURS = 6

#: The posture that goes with each task.
POSTURE_OF_TASK = {
    Task.ATTACK: Posture.ATTACK,
    Task.MOVE: Posture.MOVE,
    Task.WITHDRAW: Posture.WITHDRAW,
    Task.RESERVE: Posture.RESERVE,
    Task.HOLD: Posture.DEFEND,
}


def task_of_posture(posture: Posture) -> Task:
    """A unit's task at the start, from its posture: reserves stand by, others hold."""
    return Task.RESERVE if posture == Posture.RESERVE else Task.HOLD


# ---------------------------------------------------------------------------------- tasks
def assign_task(
    unit: Unit,
    m: CampaignModel,
    task: Task,
    objectives: list[str] | None = None,
    via: list[str] | None = None,
    *,
    order_id: str | None = None,
    replan: bool = False,
) -> None:
    """Give a unit a task: the first of `objectives` now, the rest in turn (`replan`: the same
    task again after a block; a missing route is then not reported again).

    A unit part-way along a road keeps the distance it has covered if its new route goes on
    along that road; otherwise it stops at the place it last passed (it is not carried on to a
    place it had not reached)."""
    objectives = list(objectives or [])
    unit.task = task
    unit.objective = objectives[0] if objectives else None
    unit.track = objectives[1:]
    if not replan:
        unit.order_id = order_id
        unit.stalled_on, unit.stalled_hours = None, 0.0
        unit.withdrawn = unit.idle = False
        unit.then = None
    unit.posture = POSTURE_OF_TASK[task]
    heading, covered = unit.next_node, unit.progress_km
    unit.route, unit.next_node, unit.progress_km = [], None, 0.0
    if unit.objective and unit.objective != unit.node:
        route = plan_route(unit, unit.objective, m, via, fighting=task == Task.ATTACK)
        if route is None:
            if not replan:
                m.log(
                    "no_route",
                    unit=unit,
                    node=unit.node,
                    text=f"{unit.name}: no route to {m.place_name(unit.objective)}",
                )
            unit.posture = Posture.DEFEND
        else:
            unit.route = route
            if heading is not None and route[0] == heading:
                unit.next_node, unit.progress_km = heading, covered


def finish_track(unit: Unit) -> None:
    """The unit has done its task and holds where it is. After an attack it is free for its
    commander to use again (`idle`); after a move it holds the position it was sent to."""
    unit.idle = unit.task == Task.ATTACK
    unit.task, unit.posture, unit.objective, unit.track = Task.HOLD, Posture.DEFEND, None, []
    unit.route, unit.next_node, unit.progress_km = [], None, 0.0


def call_off_attack(unit: Unit, m: CampaignModel, target: str) -> None:
    """A stalled attack: the unit holds where it is; its commander may resume it later (the
    attack's objective is kept in `stalled_on`, not as the objective of the hold, which would
    march the unit on towards it)."""
    unit.stalled_on, unit.stalled_hours = unit.objective or target, 0.0
    unit.task, unit.posture, unit.objective = Task.HOLD, Posture.DEFEND, None
    unit.route, unit.next_node, unit.progress_km = [], None, 0.0
    m.log(
        "attack_stalled",
        unit=unit,
        node=unit.node,
        text=f"{unit.name}: attack on {m.place_name(target)} called off",
    )


# ---------------------------------------------------------------------------------- the hour
def unit_step(unit: Unit, m: CampaignModel) -> None:
    """The unit's own decisions this hour (the orders phase, after its commander's)."""
    if not unit.active:
        return
    p = m.params_of(unit.side)
    if unit.strength_fraction < p.disband_fraction:
        m.remove_unit(unit, Status.DISBANDED, "disbands (combat-ineffective)")
        return
    cut_off = not math.isfinite(unit.supply_km)
    if cut_off and unit.supply < p.surrender_supply and unit.morale < p.surrender_morale:
        target, _ = fallback_route(unit, m)
        if target is None:  # no way out at all: the end of the pocket
            m.surrender(unit)
            return
    if unit.morale < p.rout_morale and unit.posture != Posture.ROUT:
        fall_back(unit, m, Posture.ROUT, "routs")
        return
    if unit.morale < p.withdraw_morale and unit.posture not in (Posture.WITHDRAW, Posture.ROUT):
        fall_back(unit, m, Posture.WITHDRAW, "breaks off and withdraws")
        return
    if unit.posture in (Posture.WITHDRAW, Posture.ROUT):
        _keep_withdrawing(unit, m)
        return
    if unit.task in (Task.ATTACK, Task.MOVE) and unit.objective:
        reached = (
            m.world.control[unit.objective] == unit.side
            if unit.task == Task.ATTACK
            else unit.node == unit.objective
        )
        if reached:
            if unit.track:
                assign_task(unit, m, unit.task, unit.track, order_id=unit.order_id, replan=True)
            elif unit.then is not None:  # moved up: now the task it was brought up for
                task, objectives = unit.then
                assign_task(unit, m, task, objectives)
            elif unit.node == unit.objective or unit.task == Task.ATTACK:
                finish_track(unit)
            return
    if unit.objective and unit.node != unit.objective and not unit.route:
        assign_task(unit, m, unit.task, [unit.objective, *unit.track], replan=True)


def _keep_withdrawing(unit: Unit, m: CampaignModel) -> None:
    """A withdrawing or routed unit: on to its fallback, or reorganise once there."""
    if unit.route:
        return
    p = m.params_of(unit.side)
    if unit.objective is not None and unit.node == unit.objective:
        if unit.morale >= p.withdraw_morale:  # back behind the lines: reorganised
            unit.posture, unit.task = Posture.DEFEND, Task.HOLD
    elif unit.objective is not None or m.steps % REPLAN_EVERY_HOURS == 0:
        fall_back(unit, m, unit.posture, None)  # blocked, or nowhere to go yet: look again


# ---------------------------------------------------------------------------------- falling back
def fallback_places(unit: Unit, m: CampaignModel) -> list[str]:
    """Where the unit's side (or its grouping) falls back to."""
    grouping = m.grouping_of(unit)
    if grouping is not None and grouping.fallback:
        return list(grouping.fallback)
    return list(m.scenario.fallback.get(unit.side, []))


def fallback_route(
    unit: Unit, m: CampaignModel, start: str | None = None, *, leave: bool = False
) -> tuple[str | None, list[str]]:
    """Where a withdrawal goes, and the route there (from `start`, default the unit's node):
    the nearest (by road km) fallback place reachable over ground its side holds (with `leave`,
    a commanded withdrawal, not the place it stands on); failing that, a breakout to the
    nearest node its side holds and supplies, through at most breakout_max_km of enemy-held
    road; failing that, nowhere (None, [])."""
    start = start or unit.node
    best, best_route, best_km = None, [], math.inf
    for t in fallback_places(unit, m):
        if t == start:
            if leave:
                continue
            return t, []
        r = plan_route(unit, t, m, fighting=False, start=start, own_ground=True)
        if r is None:
            continue
        km = sum(m.graph.edges[a, b]["length_km"] for a, b in zip([start, *r], r, strict=False))
        if km < best_km:
            best, best_route, best_km = t, r, km
    if best is not None:
        return best, best_route
    return _breakout(unit, m, start)


def _breakout(unit: Unit, m: CampaignModel, start: str) -> tuple[str | None, list[str]]:
    supplied = m.nets[unit.side]
    limit = m.params_of(unit.side).breakout_max_km
    control = m.world.control
    weight = route_weight(unit, m, fighting=False)
    _, paths = nx.single_source_dijkstra(m.graph, start, weight=weight)
    best, best_route, best_km = None, [], math.inf
    for node in sorted(paths):
        if node == start or control[node] != unit.side or not supplied.reaches(node):
            continue
        path = paths[node]
        legs = list(zip(path, path[1:], strict=False))
        enemy_km = sum(m.graph.edges[a, b]["length_km"] for a, b in legs if control[b] != unit.side)
        km = sum(m.graph.edges[a, b]["length_km"] for a, b in legs)
        if enemy_km <= limit and km < best_km:
            best, best_route, best_km = node, path[1:], km
    return best, best_route


def fall_back(
    unit: Unit, m: CampaignModel, posture: Posture, why: str | None, *, leave: bool = False
) -> None:
    """Withdraw (or rout) to the nearest fallback place the unit can reach (`leave`: other
    than the one it stands on)."""
    target, route = fallback_route(unit, m, leave=leave)
    unit.task, unit.objective, unit.track = Task.WITHDRAW, target, []
    unit.posture = posture
    unit.route = route
    unit.next_node, unit.progress_km = None, 0.0
    unit.stalled_on = None
    if why:
        m.log(posture.value, unit=unit, node=unit.node, text=f"{unit.name} {why}")


def force_out(units: list[Unit], node: str, attacker_side: str, m: CampaignModel) -> None:
    """The attack has taken `node`: each defender leaves it by road, towards the neighbour its
    side holds that is deepest in its lines and not held or attacked by the enemy (or the first
    step of its way back to its side's next line), at withdrawal speed: it is on the road, no
    longer holding the place, and can be pursued, shelled and cut off on the way. With no way
    out at all it surrenders."""
    control = m.world.control
    attack_from = {u.node for u in m.active_units(attacker_side) if u.next_node == node}
    enemy_held = m.occupied_by(attacker_side)
    exits = sorted(
        nb
        for nb in m.graph.neighbors(node)
        if control[nb] != attacker_side
        and nb not in attack_from
        and nb not in enemy_held
        and crossing_factor(m.graph.edges[node, nb], m) is not None
    )
    m.log(
        "node_taken",
        node=node,
        side=attacker_side,
        text=f"{attacker_side} forces break into {m.place_name(node)}",
    )
    for u in units:
        if not u.active:
            continue
        p = m.params_of(u.side)
        u.morale = max(0.0, u.morale - p.forced_out_morale)
        if not exits:
            m.surrender(u)
            continue
        m.leave_behind(u, u.abandon(p.rout_abandon_per_hour * p.forced_out_abandon_hours), node)
        target, way_back = fallback_route(u, m, start=node)
        if way_back and way_back[0] in exits:
            route = way_back
        else:
            target = None
            route = [min(exits, key=lambda nb: (-_depth(m, nb, u.side), nb))]
        posture = Posture.ROUT if u.posture == Posture.ROUT else Posture.WITHDRAW
        u.task, u.objective, u.track, u.posture = Task.WITHDRAW, target or route[-1], [], posture
        u.route, u.next_node, u.progress_km = route, route[0], 0.0
        u.hours_in_place, u.stalled_on = 0.0, None
    m.positions_changed()


def _depth(m: CampaignModel, node: str, side: Side) -> float:
    """How deep in its side's lines a node is (the inverse of its supply distance)."""
    d = m.nets[side].distance(node)
    return -d if math.isfinite(d) else -1e9


def enemy_of(unit: Unit) -> str:
    return other(unit.side)
