"""What became of each side's plan by the end of a run: the orders not carried out, and why, as
far as the record shows it. A replay prints it after its daily table (sim/cli.py), so that an
author whose attack never took its objective sees whether the order was never issued (its
condition never held, its start after the end) or was issued and then stalled, was called
back, found no route, or whose units were lost; and a teacher can say what each plan achieved.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sim.plan import OrderState, PlanOrder, condition_text, is_done
from sim.scenario import Task

if TYPE_CHECKING:
    from sim.model import CampaignModel

#: The events that tell what happened to an order's units (sim/doctrine.py, sim/commander.py,
#: CampaignModel.remove_unit), the last of which is shown for an order not carried out.
UNIT_EVENTS = frozenset(
    {"attack_stalled", "withdraw", "no_route", "command", "surrendered", "disbanded", "routed"}
)


def _when(t: datetime) -> str:
    return f"{t.day} {t:%b %H:%M}"


def _why(o: PlanOrder, m: CampaignModel) -> str:
    """Why an order is not done at the end, in one clause."""
    if o.state in (OrderState.WAITING, OrderState.DUE):
        if o.start >= m.end:
            return f"never issued: it starts {_when(o.start)}, at or after the end"
        if o.state == OrderState.DUE:
            return "decided, but the command delay had not passed by the end"
        if o.spec.when is not None:
            condition = condition_text(o.spec.when, m.place_name)
            return f"never issued: its condition ({condition}) never held"
        return "never issued"
    missing = [n for n in o.track if m.world.control[n] != o.side]
    places = ", ".join(m.place_name(n) for n in missing)
    what = {Task.ATTACK: f"{places} not taken", Task.MOVE: f"{places} not reached"}.get(
        o.spec.task, "its units not all back"
    )
    units = set(o.spec.units)
    issued = o.issued_at or o.start
    last = next(
        (
            e
            for e in reversed(m.record.events)
            if e["unit_id"] in units
            and e["kind"] in UNIT_EVENTS
            and e["time"] >= issued.isoformat(timespec="minutes")
        ),
        None,
    )
    after = (
        f"; last: {_when(datetime.fromisoformat(last['time']))} {last['text']}"
        if last
        else "; its units were still on the way or fighting"
    )
    return f"issued {_when(issued)}, {what}{after}"


def unfinished(m: CampaignModel) -> list[str]:
    """One line per order of the plan not carried out by the end of the run (in the file's
    order): the order (id, side, units, task and objectives) and why. Holds and reserves are
    carried out once issued (`is_done`)."""
    lines = []
    for o in m.plan:
        if o.state == OrderState.DONE or (o.state == OrderState.ISSUED and is_done(o, m)):
            continue
        track = " -> ".join(m.place_name(n) for n in o.track)
        head = f"{o.id} ({o.side} {', '.join(o.spec.units)}: {o.spec.task.value}"
        head += f" {track})" if track else ")"
        lines.append(f"  {head}: {_why(o, m)}")
    return lines


def plan_report(m: CampaignModel) -> str:
    """The plan's outcome as printed after a replay: how many orders were carried out, then
    `unfinished`."""
    lines = unfinished(m)
    head = f"Plan: {len(m.plan) - len(lines)} of {len(m.plan)} orders carried out"
    return "\n".join([f"{head}; not carried out:", *lines]) if lines else head
