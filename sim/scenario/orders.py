"""The plan's part of the scenario schema (sim/scenario/schema.py): an order's task, the
condition it waits for, the pause before it, and the phases that group orders. What the
commander does with them: sim/model/plan.py and sim/model/commander.py (docs/model.md, "Plans
and commanders")."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Literal

from pydantic import Field, model_validator

from sim.scenario.common import MAX_EVENT_HOURS, Side, Strict


class Task(StrEnum):
    """What a unit has been told to do."""

    MOVE = "move"  # march to the objective, avoiding the enemy
    ATTACK = "attack"  # advance on the objective, fighting through defended places
    HOLD = "hold"  # defend where it stands (or at the objective, once there)
    WITHDRAW = "withdraw"  # fall back to the objective over ground its side holds
    RESERVE = "reserve"  # stand by: the side's commander commits it where it is needed
    LEAVE = "leave"  # march to the objective (or stay) and leave the map there: sent elsewhere


#: Tasks that need an objective (a place).
TASKS_WITH_OBJECTIVE = (Task.MOVE, Task.ATTACK, Task.WITHDRAW)

CONDITION_KINDS = (
    "taken",
    "lost",
    "empty",
    "arrived",
    "done",
    "ratio",
    "strength",
    "supply",
    "all",
    "any",
)


class Condition(Strict):
    """What a plan's order waits for, seen from the side that gives the order (exactly one kind):

    - `taken: PLACE`: the side holds the place (whoever took it);
    - `lost: PLACE`: the enemy holds the place;
    - `empty: PLACE`: no enemy troops stand at the place (it was never held, or they left it);
    - `arrived: UNIT`: the unit is on the map (a reinforcement has come); with `at: PLACE`, the
      unit is at that place;
    - `done: ORDER`: the order with that id is done (its objectives reached or taken); `done:
      PHASE`: every order of the phase with that id is done;
    - `ratio: R` with `at: PLACE`: the order's own units, as they stand, would attack the enemy
      troops at the place with a force ratio of at least R (the commander's estimate, before
      the fog of war; docs/model.md, "Plans and commanders");
    - `strength: UNIT` with `below: F`: the unit has less than F of its starting personnel;
    - `supply: UNIT` with `below: S`: the unit's supply level is below S;
    - `all: [...]` / `any: [...]`: every / at least one of the listed conditions.
    """

    taken: str | None = None
    lost: str | None = None
    empty: str | None = None
    arrived: str | None = None
    done: str | None = None
    ratio: float | None = Field(None, gt=0)
    strength: str | None = None
    supply: str | None = None
    all: list[Condition] | None = Field(None, min_length=1)
    any: list[Condition] | None = Field(None, min_length=1)
    at: str | None = Field(None, description="place, with arrived or ratio")
    below: float | None = Field(None, ge=0, le=1, description="level, with strength or supply")

    @model_validator(mode="after")
    def _one_kind(self) -> Condition:
        given = [k for k in CONDITION_KINDS if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(
                "a condition gives exactly one of "
                + ", ".join(CONDITION_KINDS)
                + (f" (got {', '.join(given)})" if given else "")
            )
        kind = given[0]
        if self.at is not None and kind not in ("arrived", "ratio"):
            raise ValueError(f"at: goes with arrived or ratio, not with {kind}")
        if kind == "ratio" and self.at is None:
            raise ValueError("ratio: needs at: (the place the enemy holds)")
        if (self.below is None) != (kind not in ("strength", "supply")):
            raise ValueError("below: goes with strength or supply, and they need it")
        return self

    @property
    def kind(self) -> str:
        return next(k for k in CONDITION_KINDS if getattr(self, k) is not None)

    def children(self) -> list[Condition]:
        return list(self.all or self.any or [])


class Pause(Strict):
    """A pause to regroup before an order is carried out: its units hold where they stand for
    `hours`, or until each has `recovered` the fighting condition it had at the start (its
    supply, morale and rest: the factors of its combat power, docs/model.md; lost men and
    equipment do not come back), whichever comes first."""

    hours: float | None = Field(
        None, gt=0, le=MAX_EVENT_HOURS, description="the longest the pause lasts, in hours"
    )
    recovered: float | None = Field(
        None,
        gt=0,
        le=1,
        description="the pause ends once each unit has this share of the fighting condition "
        "it had at the start (1: all of it)",
    )

    @model_validator(mode="after")
    def _one_end(self) -> Pause:
        if self.hours is None and self.recovered is None:
            raise ValueError("a pause gives hours:, recovered: or both (what ends it)")
        return self


class Order(Strict):
    """A task for one or more units: part of a side's plan.

    An order starts at `start` (default: the scenario's start) once its `when` condition holds
    (and its `phase` has begun); the side's commander then issues it (after the command delay,
    docs/model.md), its units first regrouping for its `pause` if it has one. A move or an
    attack follows its objectives in turn: an attack goes on to the next objective when the
    current one is held by its side. A `leave` takes its units off the map at its objective
    (sent to another sector). A `start` later than the scenario's start is only for a decision
    that a source dates, which the order's `source:` says (docs/scenarios.md lists those of
    the shipped scenarios).
    """

    id: str | None = Field(
        None, pattern=r"^[a-z0-9_]+$", description="name for `done:` conditions and what-ifs"
    )
    units: list[str] = Field(min_length=1)
    task: Task
    objective: str | None = None
    objectives: list[str] = Field(
        default_factory=list, description="a sequence of objectives, taken in turn"
    )
    via: list[str] = Field(
        default_factory=list, description="places the route to the first objective passes"
    )
    start: datetime | None = Field(None, description="not before (default: the scenario start)")
    when: Condition | None = Field(None, description="the order waits until this holds")
    phase: str | None = Field(
        None,
        pattern=r"^[a-z0-9_]+$",
        description="the id of the phase it belongs to (phases:): it waits until the phase "
        "has begun",
    )
    effort: Literal["main", "supporting"] | None = Field(
        None,
        description="the weight its side's commander gives it: reserves and exploitation go "
        "to the main effort first, to a supporting one last (default: neither)",
    )
    pause: Pause | None = Field(
        None, description="its units regroup where they stand before carrying it out"
    )
    source: str = Field(min_length=1)

    @model_validator(mode="after")
    def _objective_needed(self) -> Order:
        if self.objective is not None and self.objectives:
            raise ValueError("give objective: (one place) or objectives: (a list), not both")
        if self.task in TASKS_WITH_OBJECTIVE and not self.track:
            raise ValueError(f"task {self.task.value!r} needs an objective (a place)")
        if self.task == Task.LEAVE and len(self.track) > 1:
            raise ValueError(
                "task 'leave' takes one objective: the place where its units leave the map"
            )
        return self

    @property
    def track(self) -> list[str]:
        """The objectives in order ([] for a hold or reserve in place)."""
        return list(self.objectives) or ([self.objective] if self.objective else [])


class Phase(Strict):
    """A named stage of one side's plan: the orders that name it (`phase:`) wait until it has
    begun, which is once its `start` has come and its `when` condition has held (seen from its
    side, as an order's). It stays begun. `done: PHASE` holds once all its orders are done."""

    id: str = Field(pattern=r"^[a-z0-9_]+$")
    name: str = Field("", description="what the sources or the author call it")
    side: Side
    start: datetime | None = Field(None, description="not before (default: the scenario start)")
    when: Condition | None = Field(
        None, description="its entry condition (default: it begins at its start)"
    )
    pause: Pause | None = Field(
        None, description="the pause of each of its orders that gives none of its own"
    )
    source: str = Field(min_length=1)

    @property
    def label(self) -> str:
        return self.name or self.id.replace("_", " ")
