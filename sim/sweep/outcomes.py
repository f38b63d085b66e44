"""The outcome columns of one sweep run: the run's summary (sim/runs/summary.py) flattened into the
columns of the journal and the table (their types: sim.sweep.store.OUTCOME_KINDS)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sim.runs.summary import first_changes, last_hour_of_each_day, summarise
from sim.scenario import SIDES

if TYPE_CHECKING:
    from sim.map.theatre import Theatre
    from sim.runs.history import Comparison
    from sim.runs.record import RunRecord
    from sim.scenario import Scenario

#: Time series reported at the end of each day (km²): ground UA holds, ground each side took.
DAILY_AREAS = ("area_km2_UA", "area_taken_km2_UA", "area_taken_km2_RU")
#: Decimals of a daily area (km²): a tenth of a km² is far below the territory raster's cell.
AREA_DECIMALS = 1


def key_places(scenario: Scenario) -> list[str]:
    """Places named in the history block, in order of first mention."""
    return list(dict.fromkeys(o.place for o in scenario.history if o.place))


def outcome_columns(
    record: RunRecord,
    scenario: Scenario,
    theatre: Theatre,
    null: Comparison | None = None,
) -> dict[str, Any]:
    """The outcome columns of one run:
    - changed_h.<place>: hours from the start to the first change of hands of each place named
      in the history block (None if it never changed), and holder_end.<place>;
    - area_km2_UA@<date>, area_taken_km2_<side>@<date>: km² at the last hour of each day;
    - personnel_start_<side> (in the field at the start, as in summary.json) and
      personnel_end_<side> (active units at the end);
    - lost_<item>_<side> (destroyed, abandoned or surrendered) and captured_<item>_by_<side>;
    - bridges_destroyed: how many crossings were destroyed;
    - fidelity: sim.runs.history's score against the history block (0-100); with `null` (the
      null run of the same scenario, parameters and seed: sim.runs.history.null_comparison),
      null_fidelity, its score, and skill, (fidelity - null) / (100 - null)."""
    from sim.runs.history import compare

    summary = summarise(record)
    places = key_places(scenario)
    first = first_changes(record)
    out: dict[str, Any] = {f"changed_h.{p}": first.get(p) for p in places}
    out.update({f"holder_end.{p}": record.holder(p, record.hours) for p in places})
    series = record.series()
    days = last_hour_of_each_day(record.times)
    for name in DAILY_AREAS:
        for day, k in days.items():
            out[f"{name}@{day.isoformat()}"] = round(float(series[name][k]), AREA_DECIMALS)
    for s in SIDES:
        out[f"personnel_start_{s}"] = summary.personnel[s]["start"]
        out[f"personnel_end_{s}"] = summary.personnel[s]["end"]
    for side, lost in summary.lost.items():
        out.update({f"lost_{item}_{side}": int(n) for item, n in lost.items()})
    for side, taken in summary.captured.items():
        out.update({f"captured_{item}_by_{side}": n for item, n in taken.items()})
    out["bridges_destroyed"] = len(summary.bridges_destroyed)
    comparison = compare(record, scenario, theatre)
    out["fidelity"] = float(comparison.score)
    if null is not None:
        comparison = comparison.with_null(null)
        out["null_fidelity"] = float(null.score)
        out["skill"] = comparison.skill
    return out
