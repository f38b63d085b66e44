"""A run folder: writing a run out (summary.json, timeseries.csv, control_changes.csv,
events.csv, frames.json.gz, and the daily table printed by the command line), reading it back
(`read_frames`, `read_comparison`); who may write into a folder, and whether a folder holds
one run: sim/runs/folders.py.

Every file is a function of the record alone (no wall-clock times, sorted keys, fixed float
formatting), so the same scenario, parameters and seed give byte-identical files. JSON is
always strict (no NaN or Infinity).

Run folders never mix two runs, nor lose one. A writer first claims the folder
(sim/runs/folders.py: one kind of output a folder, no links where its files go, its lock held
until the files are written), then checks under the lock that it holds no other run: the same
run (the scenario file by its content, the seed, the parameters) may be replaced, another only
with `--replace`. The files are written aside and put in place together (`write_run`,
sim.safe_write.StagedFiles), summary.json last: a rewrite that fails (a full disk, a kill) leaves
the previous run whole, and a stale history_comparison.csv never survives. summary.json names
the SHA-256 of every other file of its run, so a folder whose files come from two runs is
refused when read back (sim.runs.folders.check_run_files). The readers check everything the
viewer relies on and turn any damage into one `FileProblem` line.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
import zlib
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sim.model.params import Parameters
from sim.model.rules.combat_math import ITEMS
from sim.runs.summary import CAPTURABLE, last_hour_of_each_day, summarise
from sim.safe_io import (
    FileProblem,
    csv_read,
    csv_text,
    decode_utf8,
    is_slug,
    json_text,
    lone_surrogate,
    read_bytes,
)
from sim.safe_write import StagedFiles
from sim.scenario import SIDES, Echelon, Posture, UnitType

if TYPE_CHECKING:  # the record's module imports mesa: reading a run back does not need it
    from sim.runs.record import RunRecord

#: Every file a replay writes into its folder (history_comparison.csv with --compare).
RUN_FILES = (
    "summary.json",
    "timeseries.csv",
    "control_changes.csv",
    "events.csv",
    "frames.json.gz",
    "history_comparison.csv",
)
#: Largest frames.json.gz read back, compressed.
MAX_FRAMES_GZ_BYTES = 256 * 1024 * 1024
#: Largest run record read back once inflated: a run takes about 250 bytes of JSON a unit and
#: hour (September: 2.6 MB for 41 units and 270 hours), so the largest run the default caps
#: allow (200 units for 120 days) is about 144 MB: this is twice that. A run made with the caps
#: lifted is read with the same caps lifted (`frames_limit`).
MAX_FRAMES_JSON_BYTES = 288 * 1024 * 1024
#: Inflated at most this much at a time, against the running limit (never more in memory
#: than the limit and one step: a small file that inflates to gigabytes of spaces is refused
#: at the limit).
INFLATE_STEP = 1024 * 1024
#: Largest history_comparison.csv read back.
MAX_COMPARISON_BYTES = 16 * 1024 * 1024

CONTROL_FIELDS = ["time", "node_id", "name", "lat", "lon", "from_side", "to_side"]
EVENT_FIELDS = [
    "time",
    "kind",
    "side",
    "unit_id",
    "node_id",
    "name",
    "lat",
    "lon",
    "target",
    "text",
]


def _fmt(v: Any) -> Any:
    """A cell: a float to 3 decimals, text never read as a formula (`csv_text`)."""
    if isinstance(v, float):
        return f"{v:.3f}".rstrip("0").rstrip(".") if v == v else ""
    return csv_text(v)


def _csv(fields: list[str], rows: list[dict[str, Any]]) -> bytes:
    f = io.StringIO(newline="")
    w = csv.DictWriter(f, fieldnames=fields, extrasaction="ignore", lineterminator="\n")
    w.writeheader()
    for row in rows:
        w.writerow({k: _fmt(row.get(k, "")) for k in fields})
    return f.getvalue().encode("utf-8")


def changed_parameters(parameters: dict[str, Any]) -> dict[str, Any]:
    """The parameters that differ from the model's defaults (summary.json's
    `parameters_changed`; with the scenario id and seed, what identifies a run)."""
    defaults = Parameters().model_dump()
    return {k: v for k, v in parameters.items() if defaults.get(k) != v}


def summary_json(record: RunRecord) -> dict[str, Any]:
    """summary.json: the run's identity and its outcome (sim/runs/summary.py) in one JSON-able
    dict."""
    outcome = summarise(record)
    return {
        "scenario": record.scenario_id,
        "title": record.title,
        "seed": record.seed,
        "start": record.times[0].isoformat(timespec="minutes"),
        "end": record.times[-1].isoformat(timespec="minutes"),
        "hours": record.hours,
        "parameters_changed": changed_parameters(record.parameters),
        "final": outcome.final,
        "personnel": outcome.personnel,
        "equipment_lost": outcome.lost,
        "equipment_captured": outcome.captured,
        "units": outcome.unit_statuses,
        "bridges_destroyed": outcome.bridges_destroyed,
        "control_changes": outcome.control_changes,
        "events": outcome.events,
    }


def daily_rows(record: RunRecord) -> list[dict[str, Any]]:
    """The start (hour 0, `date` "start"), then one row per day (the last hour recorded on
    that date), for the printed table."""
    series = record.series()

    def row(label: str, k: int) -> dict[str, Any]:
        return {
            "date": label,
            **{name: values[k] for name, values in series.items() if name != "time"},
        }

    return [
        row("start", 0),
        *(row(day.isoformat(), k) for day, k in last_hour_of_each_day(record.times).items()),
    ]


def daily_table(record: RunRecord) -> str:
    """The daily summary table printed after a headless replay: the start, then the end of
    each day."""
    head = (
        f"{'date':<10} {'UA km²':>8} {'RU km²':>8} {'UA taken':>8} {'RU taken':>8} "
        f"{'UA pers':>8} {'RU pers':>8} {'UA tnk':>6} {'RU tnk':>6} "
        f"{'capt by UA':>10} {'capt by RU':>10}"
    )
    lines = [head, "-" * len(head)]
    for r in daily_rows(record):
        cap = {s: sum(r[f"captured_{item}_by_{s}"] for item in CAPTURABLE) for s in SIDES}
        lines.append(
            f"{r['date']:<10} {r['area_km2_UA']:>8.0f} {r['area_km2_RU']:>8.0f} "
            f"{r['area_taken_km2_UA']:>8.0f} {r['area_taken_km2_RU']:>8.0f} "
            f"{r['personnel_UA']:>8} {r['personnel_RU']:>8} {r['tanks_UA']:>6} "
            f"{r['tanks_RU']:>6} {cap['UA']:>10} {cap['RU']:>10}"
        )
    return "\n".join(lines)


def text_sha256(text: str) -> str:
    """The hash a scenario file's text is known by (summary.json's `scenario_sha256`, a
    sweep's `scenario_sha256`): two runs of files with the same id but other text differ."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def frames_bytes(record: RunRecord) -> bytes:
    """frames.json.gz: the run record for the viewer, gzipped with a fixed time (the same run
    gives the same bytes)."""
    payload = json_text(
        {
            "scenario": record.scenario_id,
            "title": record.title,
            "seed": record.seed,
            "start": record.start.isoformat(),
            "node_ids": record.node_ids,
            "units": record.units,
            "frames": record.frames,
            "battles": record.battles,
            "events": record.events,
            "control_changes": record.control_changes,
        },
        sort_keys=True,
        separators=(",", ":"),
    ).encode()
    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode="wb", mtime=0) as gz:  # mtime 0: reproducible bytes
        gz.write(payload)
    return buf.getvalue()


def stage_run(
    staged: StagedFiles,
    record: RunRecord,
    folder: str = "",
    comparison: bytes | None = None,
    scenario_sha256: str | None = None,
) -> None:
    """Stage a run's files (under `folder`/ in the staged folder), summary.json last: it
    names the scenario file's hash and the SHA-256 of every other file of the run, so a
    folder whose files come from two runs is known (`check_run_files`)."""
    series = record.series()
    cols = list(series)
    rows = [{c: series[c][k] for c in cols} for k in range(len(record.times))]
    files = {
        "timeseries.csv": _csv(cols, rows),
        "control_changes.csv": _csv(CONTROL_FIELDS, record.control_changes),
        "events.csv": _csv(EVENT_FIELDS, record.events),
        "frames.json.gz": frames_bytes(record),
    }
    if comparison is not None:
        files["history_comparison.csv"] = comparison
    head = summary_json(record)
    if scenario_sha256 is not None:
        head["scenario_sha256"] = scenario_sha256
    head["files"] = {name: hashlib.sha256(data).hexdigest() for name, data in files.items()}
    files["summary.json"] = (
        json_text(head, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    ).encode("utf-8")
    for name, data in files.items():
        staged.write(f"{folder}/{name}" if folder else name, data)


def write_run(
    record: RunRecord,
    out: Path,
    comparison: bytes | None = None,
    scenario_sha256: str | None = None,
) -> list[Path]:
    """Write a run's files into `out` (created if needed) as one (sim.safe_write.StagedFiles):
    written aside, then put in place together, summary.json last; the previous run's files
    there (RUN_FILES, and only those) are replaced, a stale one removed. A failure on the way
    (a full disk, a kill) leaves the previous run whole. `comparison`: the bytes of
    history_comparison.csv (sim.runs.history.comparison_csv), if written. Returns the paths
    written. The caller holds the folder's lock (`FolderLock`) when others may write there."""
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise OSError(e.errno, e.strerror, str(out)) from None
    with StagedFiles(out) as staged:
        stage_run(staged, record, "", comparison, scenario_sha256)
        return staged.commit(stale=RUN_FILES)


# ============================================================================ reading back
def _fail(path: Path, message: str) -> FileProblem:
    return FileProblem(
        path,
        f"{message} (a damaged or foreign file; write it again with a "
        "replay: python run.py SCENARIO.yaml --headless --out DIR)",
    )


def _is_time(v: Any) -> bool:
    if not isinstance(v, str) or len(v) > 40:
        return False
    try:
        return datetime.fromisoformat(v).tzinfo is None
    except ValueError:
        return False


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_number(v: Any) -> bool:
    return (
        isinstance(v, int | float) and not isinstance(v, bool) and v == v and abs(v) != float("inf")
    )


def _member(v: Any, names: set[str] | tuple[str, ...]) -> bool:
    """`v in names` for a value read from JSON (a list is not hashable: never a member)."""
    return isinstance(v, str) and v in names


def _check(ok: bool, path: Path, where: str, expected: str) -> None:
    if not ok:
        raise _fail(path, f"{where}: expected {expected}")


_UNIT_FACTS = {
    "id": "text",
    "name": "text",
    "side": "UA or RU",
    "type": "a unit type",
    "echelon": "an echelon",
}
_TYPES, _ECHELONS, _POSTURES = ({x.value for x in e} for e in (UnitType, Echelon, Posture))


def _check_frames(d: Any, path: Path) -> None:
    """Everything the viewer relies on in a frames file, or FileProblem naming what is wrong."""
    _check(isinstance(d, dict), path, "the file", "a JSON object")
    for key in (
        "scenario",
        "title",
        "seed",
        "start",
        "node_ids",
        "units",
        "frames",
        "battles",
        "events",
    ):
        _check(key in d, path, key, "a field of a run record (it is missing)")
    _check(is_slug(d["scenario"]), path, "scenario", "a scenario id (a plain name)")
    _check(isinstance(d["title"], str), path, "title", "text")
    _check(_is_int(d["seed"]), path, "seed", "a whole number")
    _check(_is_time(d["start"]), path, "start", "a date and time")
    nodes = d["node_ids"]
    _check(
        isinstance(nodes, list)
        and all(isinstance(n, str) for n in nodes)
        and len(set(nodes)) == len(nodes),
        path,
        "node_ids",
        "a list of distinct node ids",
    )
    node_set = set(nodes)
    _check(isinstance(d["units"], list), path, "units", "a list")
    units = set()
    for i, u in enumerate(d["units"]):
        _check(isinstance(u, dict), path, f"units[{i}]", "an object")
        for key, what in _UNIT_FACTS.items():
            _check(isinstance(u.get(key), str), path, f"units[{i}].{key}", what)
        _check(_member(u["side"], SIDES), path, f"units[{i}].side", "UA or RU")
        _check(_member(u["type"], _TYPES), path, f"units[{i}].type", f"one of {sorted(_TYPES)}")
        _check(
            _member(u["echelon"], _ECHELONS),
            path,
            f"units[{i}].echelon",
            f"one of {sorted(_ECHELONS)}",
        )
        initial = u.get("initial")
        _check(
            isinstance(initial, list)
            and len(initial) == len(ITEMS)
            and all(_is_int(x) for x in initial),
            path,
            f"units[{i}].initial",
            f"{len(ITEMS)} whole numbers",
        )
        units.add(u["id"])
    frames = d["frames"]
    _check(isinstance(frames, list) and len(frames) > 0, path, "frames", "a non-empty list")
    start = datetime.fromisoformat(d["start"])
    for k, f in enumerate(frames):
        where = f"frames[{k}]"
        _check(isinstance(f, dict), path, where, "an object")
        _check(_is_time(f.get("time")), path, f"{where}.time", "a date and time")
        _check(
            (datetime.fromisoformat(f["time"]) - start).total_seconds() == 3600 * k,
            path,
            f"{where}.time",
            f"{k} hours after the start",
        )
        control = f.get("control")
        _check(
            isinstance(control, str) and len(control) == len(nodes) and not control.strip("UR"),
            path,
            f"{where}.control",
            f"{len(nodes)} letters U or R",
        )
        hold = f.get("hold")
        _check(
            hold is None
            or (isinstance(hold, str) and len(hold) == len(nodes) and not hold.strip("0sd")),
            path,
            f"{where}.hold",
            f"{len(nodes)} letters 0, s or d",
        )
        crossings = f.get("crossings", {})
        _check(
            isinstance(crossings, dict) and all(isinstance(v, str) for v in crossings.values()),
            path,
            f"{where}.crossings",
            "an object of crossing states",
        )
        _check(isinstance(f.get("units"), list), path, f"{where}.units", "a list")
        for j, snap in enumerate(f["units"]):
            w = f"{where}.units[{j}]"
            _check(isinstance(snap, dict), path, w, "an object")
            _check(_member(snap.get("id"), units), path, f"{w}.id", "a unit listed under units")
            _check(_member(snap.get("node"), node_set), path, f"{w}.node", "a node id of the run")
            _check(
                snap.get("next") is None or _member(snap.get("next"), node_set),
                path,
                f"{w}.next",
                "a node id or null",
            )
            _check(
                snap.get("objective") is None or isinstance(snap.get("objective"), str),
                path,
                f"{w}.objective",
                "a node id or null",
            )
            _check(
                snap.get("task") is None or isinstance(snap.get("task"), str),
                path,
                f"{w}.task",
                "text or null",
            )
            _check(
                _member(snap.get("posture"), _POSTURES),
                path,
                f"{w}.posture",
                f"one of {sorted(_POSTURES)}",
            )
            _check(isinstance(snap.get("status"), str), path, f"{w}.status", "text")
            for key in ("strength", "morale", "supply"):
                _check(_is_number(snap.get(key)), path, f"{w}.{key}", "a number")
            _check(
                snap.get("progress_km") is None or _is_number(snap.get("progress_km")),
                path,
                f"{w}.progress_km",
                "a number",
            )
            eq = snap.get("equipment")
            _check(
                isinstance(eq, list) and len(eq) == len(ITEMS) and all(_is_int(x) for x in eq),
                path,
                f"{w}.equipment",
                f"{len(ITEMS)} whole numbers",
            )
    _check(isinstance(d["battles"], list), path, "battles", "a list")
    for i, b in enumerate(d["battles"]):
        _check(
            isinstance(b, dict)
            and _is_time(b.get("time"))
            and _member(b.get("node_id"), node_set)
            and _is_number(b.get("ratio")),
            path,
            f"battles[{i}]",
            "an object with time, node_id and ratio",
        )
    _check(isinstance(d["events"], list), path, "events", "a list")
    for i, e in enumerate(d["events"]):
        _check(
            isinstance(e, dict)
            and _is_time(e.get("time"))
            and isinstance(e.get("kind"), str)
            and isinstance(e.get("text", ""), str)
            and isinstance(e.get("side", ""), str)
            and isinstance(e.get("node_id", ""), str),
            path,
            f"events[{i}]",
            "an object with time, kind and text",
        )


def frames_limit(max_days: float | None, max_units: int | None) -> int | None:
    """The largest run record read back for runs of at most `max_days` days and `max_units`
    units (MAX_FRAMES_JSON_BYTES at the default caps, more as they are lifted; None: a cap is
    off, so no limit)."""
    from sim.scenario import MAX_DAYS, MAX_UNITS

    if max_days is None or max_units is None:
        return None
    scale = max(1.0, max_days / MAX_DAYS) * max(1.0, max_units / MAX_UNITS)
    return int(MAX_FRAMES_JSON_BYTES * scale)


def _inflate(path: Path, data: bytes, limit: int | None) -> bytearray:
    """The gzip `data` inflated, a step at a time against `limit` (None: no limit). Raises
    FileProblem past the limit, for a damaged stream, or one cut short."""
    dec = zlib.decompressobj(16 + zlib.MAX_WBITS)  # gzip framing, CRC checked at the end
    out = bytearray()
    pending = data
    try:
        while True:
            out += dec.decompress(pending, INFLATE_STEP)
            if limit is not None and len(out) > limit:
                raise FileProblem(
                    path,
                    f"holds more than {limit / 2**20:,.0f} MiB of JSON: too large for a run "
                    "record (a run made with --max-days or --max-units lifted: view it with "
                    "the same options)",
                )
            pending = dec.unconsumed_tail
            if not pending or dec.eof:
                break
    except zlib.error as e:
        raise _fail(path, f"not a gzip file, or damaged ({e})") from None
    if not dec.eof:
        raise _fail(path, "cut short (the gzip stream ends early)")
    return out


def read_frames(
    run_dir: Path, max_json_bytes: int | None = MAX_FRAMES_JSON_BYTES
) -> dict[str, Any]:
    """The run record saved as RUN_DIR/frames.json.gz, checked: every field the viewer uses is
    there with the right type, units and nodes in frames are those of the record, the scenario
    id is a plain name. Raises FileProblem (one line) for a missing, truncated, oversized or
    damaged file (more than `max_json_bytes` of JSON once inflated: `frames_limit`)."""
    path = Path(run_dir) / "frames.json.gz"
    data = read_bytes(path, MAX_FRAMES_GZ_BYTES, "frames.json.gz")
    raw = _inflate(path, data, max_json_bytes)
    del data
    try:
        text = decode_utf8(raw, path)
        del raw  # one copy of the JSON in memory at a time
        d = json.loads(text)
    except FileProblem as e:
        raise _fail(path, e.message) from None
    except (ValueError, RecursionError) as e:
        raise _fail(path, f"not JSON ({str(e)[:80]})") from None
    if lone_surrogate(d, text):
        raise _fail(path, "text that is not valid Unicode (a lone surrogate)")
    _check_frames(d, path)
    return d


#: Columns of history_comparison.csv the viewer reads (sim/runs/history.py writes them).
COMPARISON_COLUMNS = (
    "date",
    "until",
    "kind",
    "place",
    "name",
    "holder",
    "sim_date",
    "error_days",
    "ok",
)


def read_comparison(path: Path) -> list[dict[str, str]]:
    """The rows of a history_comparison.csv (the observations, not the score line), checked:
    UTF-8, the expected columns, dates that parse, kinds and holders the viewer knows. Raises
    FileProblem (one line, with the line number) for a damaged file."""
    text = decode_utf8(read_bytes(path, MAX_COMPARISON_BYTES, "history_comparison.csv"), path)
    try:
        reader = csv.DictReader(io.StringIO(text, newline=""))
        header = reader.fieldnames or []
        missing = [c for c in COMPARISON_COLUMNS if c not in header]
        if missing:
            raise FileProblem(path, f"not a history comparison: no column {missing[0]!r}", 1)
        rows = []
        for r in reader:
            line = reader.line_num
            r = {k: csv_read(v) if isinstance(v, str) else v for k, v in r.items()}
            if r.get("kind") == "score":
                continue
            if None in r or any(r.get(c) is None for c in COMPARISON_COLUMNS):
                raise FileProblem(
                    path, "a row with a different number of cells than the header", line
                )
            if r["kind"] not in ("control", "area", "settlements"):
                raise FileProblem(
                    path,
                    f"kind {r['kind'][:20]!r}: expected control, area, settlements or score",
                    line,
                )
            for c in ("date", "until", "sim_date"):
                if r[c] and not _is_time(r[c]):
                    raise FileProblem(path, f"{c} {r[c][:40]!r}: expected a date and time", line)
            if not r["date"]:
                raise FileProblem(path, "date: missing", line)
            if r["holder"] not in ("", *SIDES):
                raise FileProblem(path, f"holder {r['holder'][:20]!r}: expected UA or RU", line)
            if r["error_days"] and not _is_number(_float(r["error_days"])):
                raise FileProblem(
                    path, f"error_days {r['error_days'][:20]!r}: expected a number", line
                )
            rows.append(r)
    except csv.Error as e:
        raise FileProblem(path, f"not CSV ({e})") from None
    return rows


def _float(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None
