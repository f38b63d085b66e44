"""A run against the record: each dated observation of the scenario's `history:` block, the date
the run matched it, the error in days, and one fidelity score (0-100).

Observations come in two shapes:
- **who held a place on a date.** If the run started with the place in the other side's hands,
  it is a *change*: the simulated date is when the observed holder first took it, and the error
  is the difference in calendar days (+2 = two days late). With `until:` the record gives a
  window (sources differ, or the fighting took days): any day from `date` to `until` is no
  error, and days before or after the window count as above. With `bound: true` the date only
  says "held by then": the observation is met if the place is held on that date, whenever it
  changed.
  If the place started with the observed holder, it is a *hold*: the simulated date is when it
  was first lost (if ever), and the observation is met if it was still held on that date.
- **area or settlements taken by a side since the start**, by a date, with a relation (=, >=,
  <=). The simulated value is the run's figure at the end of that day.

Score (docs/history.md): the mean over observations of a credit in [0, 1], times 100:
- change: 1 - |error days| / CHANGE_DAYS_TO_ZERO (0 if it never happened);
- hold: 1 if held on the date, else 1 - days_early / CHANGE_DAYS_TO_ZERO;
- area and settlements: 1 - |relative error| / 1, where for ">=" a run above the figure has no
  error and for "<=" a run below it has none.
"""

from __future__ import annotations

import csv
import io
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from sim.runs.summary import captured_by
from sim.safe_io import csv_text, write_atomic
from sim.scenario import Observation, Scenario

if TYPE_CHECKING:
    from sim.runs.record import RunRecord

#: Days of error at which a change observation earns no credit: the scenario targets
#: (docs/calibration.md) ask for +-1 day on key towns, so 3 days off scores nothing.
CHANGE_DAYS_TO_ZERO = 3.0
#: Relative error of an area or settlement figure that still counts as a match (the scenario
#: targets in docs/calibration.md ask for +-30 % on the official area figures).
AREA_TOLERANCE = 0.30
#: A change observation counts as met within this many calendar days.
CHANGE_TOLERANCE_DAYS = 1


@dataclass(frozen=True)
class ObservationResult:
    date: datetime
    until: datetime | None  # the end of a window of dates (control changes only)
    kind: str  # "control" | "area" | "settlements"
    place: str | None
    name: str
    holder: str  # the observed holder (control) or the side that took the area
    relation: str
    expected: float | None  # area_km2 or settlements figure
    simulated: float | None  # the run's figure at the end of that day
    sim_date: datetime | None  # control: when the run matched it (change) or lost it (hold)
    error_days: float | None
    ok: bool
    credit: float
    source: str
    note: str


@dataclass(frozen=True)
class Comparison:
    """A run against the history block: one result per observation, in date order, the
    fidelity score (0-100), and the equipment each side captured (sim.summary.captured_by),
    which the printed report gives beside the score."""

    rows: list[ObservationResult]
    score: float
    captured: dict[str, dict[str, int]]


def _end_of_day(record: RunRecord, when: datetime) -> int:
    return record.at(when.replace(hour=23, minute=0) if when.hour < 23 else when)


def _control(record: RunRecord, obs: Observation, name: str) -> ObservationResult:
    node, holder = obs.place, obs.holder
    assert node is not None and holder is not None  # a place observation (the schema's rule)
    holders = [record.holder(node, k) for k in range(len(record.times))]
    k_obs = _end_of_day(record, obs.date)
    if obs.bound and holders[0] != holder:  # "held by then": any change before D is right
        first = next((k for k, h in enumerate(holders) if h == holder), None)
        sim_date = record.times[first] if first is not None else None
        ok = holders[k_obs] == holder
        err: float | None
        if ok:
            err, credit = 0.0, 1.0
        elif first is None:  # never taken
            err, credit = None, 0.0
        elif first > k_obs:  # taken, but only after the date: days late
            err = _days_outside(record.times[first], obs.date, obs.date)
            credit = max(0.0, 1.0 - abs(err) / CHANGE_DAYS_TO_ZERO)
        else:  # taken before the date and lost again by then: how long before it was lost
            last_held = max(k for k in range(first, k_obs + 1) if holders[k] != holder)
            err = round((record.times[last_held] - record.times[k_obs]).total_seconds() / 86400, 2)
            credit = max(0.0, 1.0 - abs(err) / CHANGE_DAYS_TO_ZERO)
    elif holders[0] != holder:  # a change: when did the run first give it to `holder`?
        k = next((k for k, h in enumerate(holders) if h == holder), None)
        if k is None:
            sim_date, err, credit = None, None, 0.0
        else:
            sim_date = record.times[k]
            err = _days_outside(sim_date, obs.date, obs.until or obs.date)
            credit = max(0.0, 1.0 - abs(err) / CHANGE_DAYS_TO_ZERO)
        ok = err is not None and abs(err) <= CHANGE_TOLERANCE_DAYS
    else:  # a hold: was it still held on the date (the window's last day)?
        if obs.until is not None:
            k_obs = _end_of_day(record, obs.until)
        lost = next((k for k, h in enumerate(holders) if h != holder), None)
        sim_date = record.times[lost] if lost is not None else None
        ok = holders[k_obs] == holder
        if ok:
            err, credit = 0.0, 1.0
        else:  # lost before the end of the observed day: how many days early
            assert sim_date is not None  # not held on the date: it was lost
            err = round((sim_date - record.times[k_obs]).total_seconds() / 86400, 2)
            credit = max(0.0, 1.0 - abs(err) / CHANGE_DAYS_TO_ZERO)
    return ObservationResult(
        obs.date,
        obs.until,
        "control",
        node,
        name,
        holder,
        obs.relation,
        None,
        None,
        sim_date,
        err,
        ok,
        credit,
        obs.source,
        obs.note,
    )


def _days_outside(when: datetime, first: datetime, last: datetime) -> float:
    """Calendar days from the window first..last to `when` (0 inside, - before, + after)."""
    if when.date() < first.date():
        return float((when.date() - first.date()).days)
    return float(max(0, (when.date() - last.date()).days))


def _figure(record: RunRecord, obs: Observation) -> ObservationResult:
    kind = "area" if obs.area_km2 is not None else "settlements"
    figure = obs.area_km2 if obs.area_km2 is not None else obs.settlements
    assert figure is not None and obs.side is not None  # a figure observation (the schema's)
    column = f"{'area_taken_km2' if kind == 'area' else 'settlements_taken'}_{obs.side}"
    expected = float(figure)
    simulated = float(record.series()[column][_end_of_day(record, obs.date)])
    rel = (simulated - expected) / expected
    if obs.relation == ">=":
        rel = min(rel, 0.0)
    elif obs.relation == "<=":
        rel = max(rel, 0.0)
    credit = max(0.0, 1.0 - abs(rel))
    name = f"{kind} taken by {obs.side}"
    return ObservationResult(
        obs.date,
        None,
        kind,
        None,
        name,
        obs.side,
        obs.relation,
        expected,
        simulated,
        None,
        None,
        abs(rel) <= AREA_TOLERANCE,
        credit,
        obs.source,
        obs.note,
    )


def scenario_place_name(record: RunRecord, node: str) -> str:
    """A place's English name from the record's map."""
    return record.place_names.get(node, node)


def compare(record: RunRecord, scenario: Scenario) -> Comparison:
    """Score a run against the scenario's history block (observations in date order)."""
    rows = []
    names = {n: scenario_place_name(record, n) for n in record.node_ids}
    for obs in sorted(scenario.history, key=lambda o: (o.date, o.place or "")):
        if obs.place is not None:
            rows.append(_control(record, obs, names.get(obs.place, obs.place)))
        else:
            rows.append(_figure(record, obs))
    score = 100.0 * sum(r.credit for r in rows) / len(rows) if rows else 0.0
    return Comparison(rows, round(score, 1), captured_by(record))


FIELDS = [
    "date",
    "until",
    "kind",
    "place",
    "name",
    "holder",
    "relation",
    "expected",
    "simulated",
    "sim_date",
    "error_days",
    "ok",
    "credit",
    "source",
    "note",
]


def comparison_csv(comparison: Comparison) -> bytes:
    """history_comparison.csv: one row per observation, then the score."""
    f = io.StringIO(newline="")
    w = csv.DictWriter(f, fieldnames=FIELDS, lineterminator="\n")
    w.writeheader()
    for r in comparison.rows:
        row = asdict(r)
        for k in ("date", "until", "sim_date"):
            row[k] = row[k].isoformat(timespec="minutes") if row[k] else ""
        for k in ("expected", "simulated", "error_days", "credit"):
            row[k] = "" if row[k] is None else f"{row[k]:g}"
        w.writerow({k: csv_text(v) for k, v in row.items()})  # a note is never a formula
    w.writerow(
        {
            "date": "",
            "kind": "score",
            "name": "fidelity score (0-100)",
            "simulated": f"{comparison.score:g}",
        }
    )
    return f.getvalue().encode("utf-8")


def write_comparison(comparison: Comparison, path: Path) -> Path:
    """Write history_comparison.csv to `path` (atomically: sim.safe_io.write_atomic)."""
    return write_atomic(path, comparison_csv(comparison))


def comparison_table(comparison: Comparison) -> str:
    """The printed report of --compare."""
    lines = [f"{'observed':<11}{'what':<34}{'record':>10}{'run':>13}{'error':>8}  ok"]
    for r in comparison.rows:
        if r.kind == "control":
            what = f"{r.name} held by {r.holder}"
            if r.sim_date is not None:
                run = f"{r.sim_date:%d %b %H:%M}"
            else:
                run = "held" if r.ok else "never"
            err = f"{r.error_days:+.1f} d" if r.error_days is not None else "-"
            rec = f"to {r.until:%d %b}" if r.until is not None else ""
        else:
            what = f"{r.name} ({r.relation})"
            expected, simulated = r.expected or 0.0, r.simulated or 0.0  # set for a figure
            rec, run = f"{expected:,.0f}", f"{simulated:,.0f}"
            err = f"{(simulated - expected) / expected:+.0%}"
        lines.append(
            f"{r.date:%d %b %Y} {what[:33]:<34}{rec:>10}{run:>13}{err:>8}  "
            f"{'yes' if r.ok else 'NO'}"
        )
    cap = ", ".join(f"{k} {v}" for k, v in comparison.captured["UA"].items())
    lines.append(f"equipment captured by UA: {cap}")
    lines.append(f"fidelity score: {comparison.score:.1f} / 100 (docs/history.md)")
    return "\n".join(lines)
