"""What became of each side's plan by the end of a run: the orders not carried out, and why, as
far as the record shows it, and the orders carried out whose gains were lost again. A replay
prints it after its daily table (sim/cli/main.py), so that an author whose attack never took its
objective sees whether the order was never issued (its condition never held, its start after
the end) or was issued and then stalled, was called back, found no route, or whose units were
lost; and a teacher can say what each plan achieved and kept.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sim.model.plan import OrderState, PlanOrder, PlanPhase, condition_text, is_done
from sim.scenario import Task

if TYPE_CHECKING:
    from sim.model import CampaignModel

#: The events that tell what happened to an order's units (sim/model/units.py,
#: sim/model/commander.py), the last of which is shown for an order not carried out.
UNIT_EVENTS = frozenset(
    {
        "attack_stalled",
        "withdraw",
        "no_route",
        "command",
        "surrendered",
        "disbanded",
        "routed",
        "left",
    }
)


def _when(t: datetime) -> str:
    return f"{t.day} {t:%b %H:%M}"


def _stamp(t: datetime) -> str:
    """`t` as the record stamps events: an event of the hour starting at t is stamped t + 1 h,
    so the events of that hour and later are those stamped after `_stamp(t)`."""
    return t.isoformat(timespec="minutes")


def last_event(o: PlanOrder, m: CampaignModel) -> dict | None:
    """The last event of the order's units while the order was theirs: after the hour it was
    issued in, up to the hour the next order of the plan for one of them was issued."""
    units = set(o.spec.units)
    issued = o.issued_at or o.start
    later = [
        q.issued_at
        for q in m.plan
        if q.issued_at is not None and q.issued_at > issued and units & set(q.spec.units)
    ]
    until = _stamp(min(later)) if later else "9999"
    return next(
        (
            e
            for e in reversed(m.record.events)
            if e["unit_id"] in units
            and e["kind"] in UNIT_EVENTS
            and _stamp(issued) < e["time"] <= until
        ),
        None,
    )


def _condition(m: CampaignModel, cond) -> str:
    return condition_text(cond, m.network.name, m.plan.phases)


def _phase_why(phase: PlanPhase, m: CampaignModel) -> str:
    """Why a phase never began, in one clause."""
    if phase.start >= m.scenario.end:
        return f"it starts {_when(phase.start)}, at or after the end"
    if phase.spec.when is not None:
        return f"its entry condition ({_condition(m, phase.spec.when)}) never held"
    return "it never began"


def _why(o: PlanOrder, m: CampaignModel) -> str:
    """Why an order is not done at the end, in one clause."""
    if o.state in (OrderState.WAITING, OrderState.DUE):
        if o.start >= m.scenario.end:
            return f"never issued: it starts {_when(o.start)}, at or after the end"
        if o.state == OrderState.DUE:
            return "decided, but the command delay had not passed by the end"
        if o.phase is not None and o.phase.begun_at is None:
            return f"never issued: its phase {o.phase.id} never began ({_phase_why(o.phase, m)})"
        if o.spec.when is not None:
            return f"never issued: its condition ({_condition(m, o.spec.when)}) never held"
        return "never issued"
    if o.regrouping:
        until = f" (at most until {_when(o.regroup_until)})" if o.regroup_until else ""
        return f"issued {_when(o.issued_at or o.start)}, its units still regrouping{until}"
    missing = [n for n in o.objectives if m.world.control[n] != o.side]
    places = ", ".join(m.network.name(n) for n in missing)
    exit_ = f" at {m.network.name(o.objectives[0])}" if o.objectives else ""
    what = {
        Task.ATTACK: f"{places} not taken",
        Task.MOVE: f"{places} not reached",
        Task.LEAVE: f"its units not all off the map{exit_}",
    }.get(o.spec.task, "its units not all back")
    last = last_event(o, m)
    if last is not None:
        after = f"; last: {_when(datetime.fromisoformat(last['time']))} {last['text']}"
    elif all(m.world.unit_gone(uid) for uid in o.spec.units):
        after = "; its units were gone (surrendered, disbanded or sent away)"
    elif any(m.world.unit(uid) is None and not m.world.unit_gone(uid) for uid in o.spec.units):
        after = "; its units had not all arrived"
    else:
        after = "; its units were still on the way or fighting"
    return f"issued {_when(o.issued_at or o.start)}, {what}{after}"


def _head(o: PlanOrder, m: CampaignModel) -> str:
    """The order as a reader finds it in the file: id, side, units, task and objectives, its
    effort and its phase."""
    track = " -> ".join(m.network.name(n) for n in o.objectives)
    head = f"{o.id} ({o.side} {', '.join(o.spec.units)}: {o.spec.task.value}"
    tags = [f"{o.spec.effort} effort"] if o.spec.effort else []
    tags += [f"phase {o.phase.id}"] if o.phase is not None else []
    return head + (f" {track}" if track else "") + "".join(f"; {t}" for t in tags) + ")"


def phases(m: CampaignModel) -> list[str]:
    """One line per phase of the plan: when it began, and when all its orders were done; or
    why it never began."""
    out = []
    for p in m.plan.phases.values():
        name = f"  {p.id} ({p.side}" + (f" {p.spec.name}" if p.spec.name else "") + ")"
        if p.begun_at is None:
            out.append(f"{name}: never began: {_phase_why(p, m)}")
            continue
        done = [o.done_at for o in p.orders if o.done_at is not None]
        end = (
            f", all its orders done {_when(max(done))}"
            if p.orders and len(done) == len(p.orders)
            else f", {len(done)} of {len(p.orders)} orders done"
        )
        out.append(f"{name}: began {_when(p.begun_at)}{end}")
    return out


def departures(m: CampaignModel) -> list[str]:
    """One line per unit that left the map on its side's orders: where and when."""
    return [
        f"  {e['time'][:16].replace('T', ' ')} {e['text']}"
        for e in m.record.events
        if e["kind"] == "left"
    ]


def unfinished(m: CampaignModel) -> list[str]:
    """One line per order of the plan not carried out by the end of the run (in the file's
    order): the order and why. Holds and reserves are carried out once issued (`is_done`)."""
    return [
        f"  {_head(o, m)}: {_why(o, m)}"
        for o in m.plan
        if not (
            o.state == OrderState.DONE or (o.state == OrderState.ISSUED and is_done(o, m.world))
        )
    ]


def lost_again(m: CampaignModel) -> list[str]:
    """One line per attack or move carried out whose objectives are not all held at the end."""
    out = []
    for o in m.plan:
        if o.state != OrderState.DONE or o.spec.task not in (Task.ATTACK, Task.MOVE):
            continue
        lost = [n for n in o.objectives if m.world.control[n] != o.side]
        if lost:
            done = f" {_when(o.done_at)}" if o.done_at else ""
            places = ", ".join(m.network.name(n) for n in lost)
            out.append(f"  {_head(o, m)}: carried out{done}; {places} lost again by the end")
    return out


def plan_report(m: CampaignModel) -> str:
    """The plan's outcome as printed after a replay: how many orders were carried out, then
    `unfinished` and `lost_again`."""
    not_done, lost = unfinished(m), lost_again(m)
    lines = [f"Plan: {len(m.plan) - len(not_done)} of {len(m.plan)} orders carried out"]
    if m.plan.phases:
        lines += ["Phases:", *phases(m)]
    left = departures(m)
    if left:
        lines += ["Left the map on orders:", *left]
    if not_done:
        lines += ["Not carried out:", *not_done]
    if lost:
        lines += ["Carried out, then lost again:", *lost]
    return "\n".join(lines)
