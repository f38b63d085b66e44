"""Writing a run out: summary.json, timeseries.csv, control_changes.csv, events.csv,
frames.json.gz, and the daily summary table printed by the command line.

Every file is a function of the record alone (no wall-clock times, sorted keys, fixed float
formatting), so the same scenario, parameters and seed give byte-identical files.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
from pathlib import Path
from typing import Any

from sim.combat import ITEMS
from sim.params import Parameters
from sim.record import RunRecord
from sim.scenario import SIDES

CONTROL_FIELDS = ["time", "node_id", "name", "lat", "lon", "from_side", "to_side"]
EVENT_FIELDS = ["time", "kind", "side", "unit_id", "node_id", "name", "lat", "lon", "target",
                "text"]


def _fmt(v: Any) -> Any:
    if isinstance(v, float):
        return f"{v:.3f}".rstrip("0").rstrip(".") if v == v else ""
    return v


def _csv(path: Path, fields: list[str], rows: list[dict[str, Any]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=fields, extrasaction="ignore", lineterminator="\n")
        w.writeheader()
        for row in rows:
            w.writerow({k: _fmt(row.get(k, "")) for k in fields})


def summary(record: RunRecord) -> dict[str, Any]:
    """The run's outcome in one JSON-able dict."""
    last = {k: v[-1] for k, v in record.series().items()}
    defaults = Parameters().model_dump()
    captured = {s: {ITEMS[i]: int(last[f"captured_{ITEMS[i]}_by_{s}"])
                    for i in range(1, len(ITEMS))} for s in SIDES}
    statuses: dict[str, dict[str, int]] = {s: {} for s in SIDES}
    side_of = {u["id"]: u["side"] for u in record.units}
    for u in record.frames[-1]["units"]:
        st = statuses[side_of[u["id"]]]
        st[u["status"]] = st.get(u["status"], 0) + 1
    return {
        "scenario": record.scenario_id,
        "title": record.title,
        "seed": record.seed,
        "start": record.times[0].isoformat(timespec="minutes"),
        "end": record.times[-1].isoformat(timespec="minutes"),
        "hours": record.hours,
        "parameters_changed": {k: v for k, v in record.parameters.items()
                               if defaults.get(k) != v},
        "final": {s: {k: last[f"{k}_{s}"] for k in
                      ("area_km2", "area_taken_km2", "settlements", "settlements_taken")}
                  for s in SIDES},
        "personnel": {s: {"start": record.personnel_start(s),
                          "end": int(last[f"personnel_{s}"])} for s in SIDES},
        "equipment_lost": {s: v["lost"] for s, v in record.losses_by_side().items()},
        "equipment_captured": captured,
        "units": statuses,
        "bridges_destroyed": sorted({e["target"] for e in record.events
                                     if e["kind"] == "bridge_destroyed"}),
        "control_changes": len(record.control_changes),
        "events": len(record.events),
    }


def daily_rows(record: RunRecord) -> list[dict[str, Any]]:
    """One row per day (the last hour recorded on that date), for the printed table."""
    series = record.series()
    rows, seen = [], {}
    for k, t in enumerate(record.times):
        seen[t.date()] = k
    for day, k in seen.items():
        rows.append({"date": day.isoformat(),
                     **{name: values[k] for name, values in series.items() if name != "time"}})
    return rows


def daily_table(record: RunRecord) -> str:
    """The daily summary table printed after a headless replay."""
    head = (f"{'date':<10} {'UA km²':>8} {'RU km²':>8} {'UA taken':>8} {'RU taken':>8} "
            f"{'UA pers':>8} {'RU pers':>8} {'UA tnk':>6} {'RU tnk':>6} "
            f"{'capt by UA':>10} {'capt by RU':>10}")
    lines = [head, "-" * len(head)]
    for r in daily_rows(record):
        cap = {s: sum(r[f"captured_{ITEMS[i]}_by_{s}"] for i in range(1, len(ITEMS)))
               for s in SIDES}
        lines.append(
            f"{r['date']:<10} {r['area_km2_UA']:>8.0f} {r['area_km2_RU']:>8.0f} "
            f"{r['area_taken_km2_UA']:>8.0f} {r['area_taken_km2_RU']:>8.0f} "
            f"{r['personnel_UA']:>8} {r['personnel_RU']:>8} {r['tanks_UA']:>6} "
            f"{r['tanks_RU']:>6} {cap['UA']:>10} {cap['RU']:>10}")
    return "\n".join(lines)


def write_run(record: RunRecord, out: Path) -> list[Path]:
    """Write all output files into `out` (created if needed). Returns the paths written."""
    out.mkdir(parents=True, exist_ok=True)
    series = record.series()
    cols = list(series)
    rows = [{c: series[c][k] for c in cols} for k in range(len(record.times))]
    paths = {name: out / name for name in ("summary.json", "timeseries.csv",
                                           "control_changes.csv", "events.csv",
                                           "frames.json.gz")}
    paths["summary.json"].write_text(
        json.dumps(summary(record), indent=2, sort_keys=True, ensure_ascii=False) + "\n",
        encoding="utf-8")
    _csv(paths["timeseries.csv"], cols, rows)
    _csv(paths["control_changes.csv"], CONTROL_FIELDS, record.control_changes)
    _csv(paths["events.csv"], EVENT_FIELDS, record.events)
    payload = json.dumps({"scenario": record.scenario_id, "title": record.title,
                          "seed": record.seed, "start": record.start.isoformat(),
                          "node_ids": record.node_ids, "units": record.units,
                          "frames": record.frames, "battles": record.battles,
                          "events": record.events, "control_changes": record.control_changes},
                         sort_keys=True, separators=(",", ":")).encode()
    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode="wb", mtime=0) as gz:  # mtime 0: reproducible bytes
        gz.write(payload)
    paths["frames.json.gz"].write_bytes(buf.getvalue())
    return list(paths.values())
