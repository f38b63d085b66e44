"""A commander's decisions waiting for the command delay (order_delay_hours): one small typed
class per kind, in a heap by the hour they take effect.

Mesa 3.3's discrete-event scheduling (`mesa.experimental.devs`: `ABMSimulator`,
`schedule_event_relative`) was the first choice, and two things rule it out here: its events
hold weak references to their callables, which cannot be deep-copied (a branch's snapshot is a
deep copy of the model, sim/whatif/branch.py), and its simulator runs events between model
steps, while a commander carries its decisions out at one point of its own hour (after its
review, before it checks which orders are done; docs/model.md, "Plans and commanders"). A heap
of plain values has neither problem, and it reads the same way: a decision, and when it takes
effect.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from heapq import heappop, heappush

from sim.model.plan import PlanOrder
from sim.model.units import FollowUp, Unit
from sim.model.watch import GroupingWatch
from sim.scenario import Task


@dataclass(frozen=True, eq=False)
class IssueOrder:
    """Pass a plan order to its units."""

    order: PlanOrder


@dataclass(frozen=True, eq=False)
class WithdrawGrouping:
    """Pull a grouping whose line of supply is threatened back to its fallback."""

    watch: GroupingWatch
    reason: str


@dataclass(frozen=True, eq=False)
class GiveUpPosition:
    """A unit gives up the place it holds: the attack on it is being won."""

    unit: Unit


@dataclass(frozen=True, eq=False)
class Retask:
    """A commander's own task for a unit (a reserve committed, an attack resumed or joined),
    logged with `why`; `follow_up` is what it does once it has arrived."""

    unit: Unit
    task: Task
    objectives: list[str]
    why: str
    follow_up: FollowUp | None = None


Decision = IssueOrder | WithdrawGrouping | GiveUpPosition | Retask


class Decisions:
    """Decisions waiting to take effect, earliest first; decisions due at the same hour in the
    order they were taken."""

    def __init__(self) -> None:
        self._heap: list[tuple[datetime, int, Decision]] = []
        self._taken = 0

    def add(self, due: datetime, decision: Decision) -> None:
        self._taken += 1
        heappush(self._heap, (due, self._taken, decision))

    def due(self, now: datetime) -> Iterator[Decision]:
        """The decisions due by `now`, removed as they are taken out."""
        while self._heap and self._heap[0][0] <= now:
            yield heappop(self._heap)[2]

    def waiting(self) -> list[Decision]:
        """Every decision still waiting (in no particular order)."""
        return [d for _, _, d in self._heap]
