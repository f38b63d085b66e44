"""The outcome of one run, worked out once from its record: what summary.json
(sim/runs/report.py), a sweep's outcome columns (sim/sweep/outcomes.py), the what-if table
(sim/whatif/standard.py) and the history comparison's printout (sim/runs/history.py) report of
it.

Counts are whole items (soldiers, tanks, ...; `sim.model.rules.combat_math.ITEMS`), areas km²,
times hours from the start. A "day" is a calendar date of the scenario's (Kyiv) clock, and a
day's value is the one at its last recorded hour.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sim.model.rules.combat_math import ITEMS
from sim.scenario import SIDES

if TYPE_CHECKING:  # the record's module imports mesa; a summary needs only its values
    from sim.runs.record import RunRecord

#: The figures of each side at the end of a run (columns `<name>_<side>` of the time series):
#: ground held and taken since the start (km²), settlements held and taken.
FINAL_FIGURES = ("area_km2", "area_taken_km2", "settlements", "settlements_taken")
#: Items that can be captured (the heavy equipment; soldiers are taken as prisoners).
CAPTURABLE = ITEMS[1:]


def last_hour_of_each_day(times: list[datetime]) -> dict[date, int]:
    """Index of the last recorded hour of each calendar date, in date order."""
    last: dict[date, int] = {}
    for k, t in enumerate(times):
        last[t.date()] = k
    return last


def hours_between(start: datetime, when: datetime) -> float:
    """Hours from `start` to `when`, rounded to 3 decimals (a thousandth of an hour)."""
    return round((when - start).total_seconds() / 3600, 3)


def first_changes(record: RunRecord) -> dict[str, float]:
    """Hours from the start to the first change of hands of each place that changed hands."""
    first: dict[str, float] = {}
    for ch in record.control_changes:
        first.setdefault(
            ch["node_id"], hours_between(record.start, datetime.fromisoformat(ch["time"]))
        )
    return first


def captured_by(record: RunRecord) -> dict[str, dict[str, int]]:
    """Per side: the items of each kind it captured from the enemy by the end of the run."""
    return _captured(record.series())


def _captured(series: dict[str, Any]) -> dict[str, dict[str, int]]:
    return {
        s: {item: int(series[f"captured_{item}_by_{s}"][-1]) for item in CAPTURABLE} for s in SIDES
    }


@dataclass(frozen=True)
class RunSummary:
    """A run's outcome, by side ("UA", "RU")."""

    #: Per side, FINAL_FIGURES at the last hour (km² and settlement counts, as recorded).
    final: dict[str, dict[str, Any]]
    #: Per side: `start` in the field at hour 0, `order_of_battle` every unit of the scenario
    #: (later arrivals included), `end` in active units at the last hour.
    personnel: dict[str, dict[str, int]]
    #: Per side and item: lost by the end (destroyed, abandoned or surrendered).
    lost: dict[str, dict[str, int]]
    #: Per side and capturable item: taken from the enemy by the end.
    captured: dict[str, dict[str, int]]
    #: Per side: prisoners taken from the enemy by the end.
    prisoners: dict[str, int]
    #: Per side: how many units end in each status (active, surrendered, ...).
    unit_statuses: dict[str, dict[str, int]]
    #: Ids of the crossings destroyed during the run, sorted.
    bridges_destroyed: list[str]
    control_changes: int
    events: int


def summarise(record: RunRecord) -> RunSummary:
    """The summary of a finished run's record."""
    series = record.series()
    last = {k: v[-1] for k, v in series.items()}
    statuses: dict[str, dict[str, int]] = {s: {} for s in SIDES}
    side_of = {u["id"]: u["side"] for u in record.units}
    for u in record.last_frame()["units"]:
        st = statuses[side_of[u["id"]]]
        st[u["status"]] = st.get(u["status"], 0) + 1
    return RunSummary(
        final={s: {k: last[f"{k}_{s}"] for k in FINAL_FIGURES} for s in SIDES},
        personnel={
            s: {
                "start": int(series[f"personnel_{s}"][0]),
                "order_of_battle": record.personnel_start(s),
                "end": int(last[f"personnel_{s}"]),
            }
            for s in SIDES
        },
        lost={s: v["lost"] for s, v in record.losses_by_side().items()},
        captured=_captured(series),
        prisoners={s: int(last[f"prisoners_by_{s}"]) for s in SIDES},
        unit_statuses=statuses,
        bridges_destroyed=sorted(
            {e["target"] for e in record.events if e["kind"] == "bridge_destroyed"}
        ),
        control_changes=len(record.control_changes),
        events=len(record.events),
    )
