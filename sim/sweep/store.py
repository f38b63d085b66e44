"""A sweep folder on disk: the journal, the design file, the table, and the folder's lock.

Each file has its writer and its reader here, and every reader turns damage into one clear line
(`FileProblem`, exit code 2) or, for one journal line, a warning:

- ``journal.jsonl``: one JSON line per finished run, appended, flushed and fsynced. Reading it,
  a torn last line (a kill during a write) is ignored and cut before the next append; a line
  that is not UTF-8, not JSON, not a row of this sweep, or holds a value of the wrong type is
  skipped with a warning (that run is simply run again); a second row for a run key never
  replaces a good first one (only a retried failure is replaced).
- ``sweep.json``: the design and what `compare` needs; read back checked field by field.
- ``runs.parquet`` / ``runs.csv``: the table. Its columns and their types come from the design
  (`TableSchema`): the id columns, one column per varied or fixed path typed by the value it
  replaces, and the outcome columns typed by `OUTCOME_KINDS`, never from what the rows happen
  to hold. Columns are in a fixed order and rows sorted by run key, so a resumed sweep writes a
  byte-identical table.
- ``.lock``: held (an OS file lock, released even by kill -9: sim.safe_write.FolderLock) while a
  sweep runs in the folder; a second sweep (or a replay) into the same folder is refused.

No file here is ever written through a symbolic link or opened in a way that waits on a FIFO:
the folder is claimed first (sim/runs/folders.py), the journal is appended with `open_append`,
and the table and sweep.json are written to new temporary files and renamed.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import re
import stat
import sys
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sim.safe_io import (
    NO_LINK,
    FileProblem,
    csv_read,
    csv_text,
    decode_utf8,
    is_slug,
    json_text,
    lone_surrogate,
    read_bytes,
    write_atomic,
)
from sim.safe_write import FolderLock

__all__ = ["FolderLock"]  # the folder's lock lives in sim.safe_write, shared with run folders

JOURNAL = "journal.jsonl"
META = "sweep.json"
LOCK = ".lock"
#: Columns that identify a run; the parameters follow them, then the outcomes.
ID_COLUMNS = ["run_key", "status", "error", "set_index", "sample_index", "seed"]
#: Fields of a journal row that are never table columns: how long the run took, the failure's
#: traceback, the worker process and its memory after the run and at its peak (machine-dependent
#: or diagnostic: the table stays a function of the design and the runs' results).
JOURNAL_ONLY = ("runtime_s", "traceback", "worker_pid", "worker_rss_mib", "worker_max_rss_mib")
#: The type of each outcome column, by prefix (sim.sweep.outcomes.outcome_columns writes them).
OUTCOME_KINDS: tuple[tuple[str, str], ...] = (
    ("changed_h.", "float"),
    ("holder_end.", "str"),
    ("area_km2_", "float"),
    ("area_taken_km2_", "float"),
    ("personnel_", "int"),
    ("lost_", "int"),
    ("captured_", "int"),
    ("bridges_destroyed", "int"),
    ("fidelity", "float"),
    ("null_fidelity", "float"),
    ("skill", "float"),
)
RUN_KEY = re.compile(r"[0-9a-f]{16}")
#: Largest journal read (about 3 kB a run: 100,000 runs).
MAX_JOURNAL_BYTES = 512 * 1024 * 1024
MAX_META_BYTES = 16 * 1024 * 1024
MAX_TABLE_BYTES = 1024 * 1024 * 1024
#: Journal warnings printed one by one; beyond, only their number.
MAX_WARNINGS = 10


def outcome_kind(column: str) -> str | None:
    """The type of an outcome column ("int", "float", "str"), or None if it is not one."""
    for prefix, kind in OUTCOME_KINDS:
        if column.startswith(prefix):
            return kind
    return None


def _fits(value: Any, kind: str) -> bool:
    """Whether a value read back is of a column's type (None always is: a blank)."""
    if value is None:
        return True
    if kind == "int":  # a 64-bit integer column
        return isinstance(value, int) and not isinstance(value, bool) and -(2**63) <= value < 2**63
    if kind == "float":
        return (
            isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
        )
    if kind == "bool":
        return isinstance(value, bool)
    return isinstance(value, str) and _encodable(value)


def _encodable(text: str) -> bool:
    """Whether text can be written as UTF-8 (JSON can carry lone surrogates; files cannot)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


# ============================================================================ journal
def json_default(v: Any) -> Any:
    """JSON for numpy scalars and datetimes in a row."""
    if hasattr(v, "item") and type(v).__module__ == "numpy":
        return v.item()
    if isinstance(v, datetime):
        return v.isoformat(timespec="minutes")
    raise TypeError(type(v).__name__)


def journal_line(row: dict[str, Any]) -> str:
    """One journal line: strict JSON (NaN and infinities as null), sorted keys."""
    return json_text(row, sort_keys=True, default=json_default) + "\n"


def repair_journal(path: Path) -> None:
    """Cut a torn last line (a kill during a write) so the next append starts a fresh line.
    Raises FileProblem for a journal that is a link, a FIFO or a device (never opened in a
    way that would wait on one)."""
    try:
        fd = os.open(path, os.O_RDWR | NO_LINK)
    except FileNotFoundError:
        return
    except OSError as e:
        raise FileProblem(
            path, f"cannot be opened as a sweep journal ({e.strerror or e})"
        ) from None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise FileProblem(
            path, "is not a regular file (a pipe or a device?), expected a sweep journal"
        )
    with os.fdopen(fd, "r+b") as f:
        f.seek(0, os.SEEK_END)
        size = f.tell()
        if size == 0:
            return
        f.seek(size - 1)
        if f.read(1) == b"\n":
            return
        # find the last newline, reading backwards in blocks
        pos, cut = size, 0
        while pos > 0:
            step = min(65536, pos)
            pos -= step
            f.seek(pos)
            i = f.read(step).rfind(b"\n")
            if i >= 0:
                cut = pos + i + 1
                break
        f.truncate(cut)


def _row_problem(row: Any, expected: set[str] | None) -> str | None:
    """Why a journal row cannot be used, or None."""
    if not isinstance(row, dict):
        return "not a JSON object"
    key = row.get("run_key")
    if not isinstance(key, str) or not RUN_KEY.fullmatch(key):
        return "no run_key of 16 hex digits"
    if expected is not None and key not in expected:
        return f"run {key} is not part of this sweep"
    if row.get("status") not in ("ok", "failed"):
        return f"run {key}: status must be ok or failed"
    if not _fits(row.get("error", ""), "str"):
        return f"run {key}: error must be text"
    if row["status"] == "ok" and not _fits(row.get("fidelity", "missing"), "float"):
        return f"run {key}: status ok but no fidelity (a row without outcomes)"
    for col, value in row.items():
        kind = outcome_kind(col)
        if kind is not None and not _fits(value, kind):
            return f"run {key}: {col} = {str(value)[:30]!r} is not of type {kind}"
    return None


def read_journal(
    path: Path, expected: Iterable[str] | None = None, warn: Callable[[str], None] | None = None
) -> dict[str, dict[str, Any]]:
    """The usable rows of a journal, by run key (see the module docstring for what is skipped).
    `expected`: the run keys of the sweep (rows of other keys are skipped). `warn` receives
    one message per skipped line (default: stderr, at most MAX_WARNINGS lines). Raises
    FileProblem only if the file cannot be read at all."""
    rows: dict[str, dict[str, Any]] = {}
    if not path.exists():
        return rows
    data = read_bytes(path, MAX_JOURNAL_BYTES, "sweep journal")
    keys = set(expected) if expected is not None else None
    skipped = 0

    def skip(n: int, why: str) -> None:
        nonlocal skipped
        skipped += 1
        if warn is not None:
            warn(f"{path}:{n}: skipped ({why})")
        elif skipped <= MAX_WARNINGS:
            print(f"sweep: warning: {path}:{n}: skipped ({why})", file=sys.stderr)

    lines = data.split(b"\n")
    for n, raw in enumerate(lines[:-1], start=1):  # the last piece has no newline: torn
        if not raw.strip():
            continue
        try:
            row = json.loads(raw.decode("utf-8"))
        except UnicodeDecodeError:
            skip(n, "not UTF-8")
            continue
        except (ValueError, RecursionError):
            skip(n, "not JSON")
            continue
        why = _row_problem(row, keys)
        if why:
            skip(n, why)
            continue
        old = rows.get(row["run_key"])
        if old is None or old["status"] == "failed":  # a retried failure: the latest counts
            rows[row["run_key"]] = row
        elif row != old:
            skip(n, f"run {row['run_key']} is already in the journal; the first row is kept")
    if warn is None and skipped > MAX_WARNINGS:
        print(f"sweep: warning: {path}: {skipped} damaged lines skipped in all", file=sys.stderr)
    return rows


# ============================================================================ the table
@dataclass(frozen=True)
class TableSchema:
    """The table's columns in order, with the type of each ("int", "float", "bool", "str")."""

    columns: tuple[tuple[str, str], ...]

    @classmethod
    def of(cls, parameters: dict[str, str], rows: list[dict[str, Any]]) -> TableSchema:
        """ID_COLUMNS, then `parameters` (path -> kind, in design order), then every outcome
        column (OUTCOME_KINDS) the rows hold, sorted by name. Other keys a journal row may
        hold are not columns."""
        cols: list[tuple[str, str]] = [
            ("run_key", "str"),
            ("status", "str"),
            ("error", "str"),
            ("set_index", "int"),
            ("sample_index", "int"),
            ("seed", "int"),
        ]
        cols += [(p, _column_kind(k)) for p, k in parameters.items() if p not in ID_COLUMNS]
        taken = {c for c, _ in cols}
        extra = sorted({k for r in rows for k in r if outcome_kind(k)} - taken)
        cols += [(c, outcome_kind(c) or "str") for c in extra]
        return cls(tuple(cols))

    @property
    def names(self) -> list[str]:
        return [c for c, _ in self.columns]


def _column_kind(kind: str) -> str:
    """A design value kind (sim.sweep.Axis.kind) as a column type: dates are ISO text."""
    return kind if kind in ("int", "float", "bool") else "str"


def table_rows(journal: dict[str, dict[str, Any]], tasks: Iterable[Any]) -> list[dict[str, Any]]:
    """The table's rows, sorted by run key: the ids and parameter values from the design
    (`tasks`: sim.sweep.RunTask), status, error and outcomes from the journal."""
    out = []
    for t in sorted(tasks, key=lambda t: t.key):
        row = journal.get(t.key)
        if row is None:
            continue
        values = {k: v for k, v in row.items() if outcome_kind(k) and k not in t.overrides}
        out.append(
            {
                "run_key": t.key,
                "status": row["status"],
                "error": row.get("error", ""),
                "set_index": t.set_index,
                "sample_index": t.sample_index,
                "seed": t.seed,
                **t.overrides,
                **values,
            }
        )
    return out


def _typed(value: Any, kind: str) -> Any:
    """A value in its column's type (None stays None; text for anything that does not fit a
    text column, which only unknown columns can hold)."""
    if value is None:
        return None
    if kind == "str" and not isinstance(value, str):
        return json.dumps(value) if isinstance(value, dict | list) else str(value)
    if kind == "float" and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    return value


def write_table(
    rows: list[dict[str, Any]],
    schema: TableSchema,
    out: Path,
    csv_too: bool,
) -> list[Path]:
    """runs.parquet (if pyarrow is there; else runs.csv is written instead) and runs.csv on
    request, with the schema's columns and types. Written to a temporary name and renamed: a
    kill never leaves half a table."""
    written = []
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        pa = None
        csv_too = True
        print(
            "pyarrow is not installed: writing runs.csv only (pip install -e '.[sweep]')",
            file=sys.stderr,
        )
    if pa is not None:
        types = {"int": pa.int64(), "float": pa.float64(), "bool": pa.bool_(), "str": pa.string()}
        arrays = [
            pa.array([_typed(r.get(c), k) for r in rows], type=types[k]) for c, k in schema.columns
        ]
        table = pa.Table.from_arrays(arrays, names=schema.names)
        # written through a file object: a new temporary file (never a planted link), and a
        # folder name pyarrow could not take as a path (bytes that are not UTF-8) is no matter
        fd, tmp = tempfile.mkstemp(prefix=".runs.parquet.", suffix=".tmp", dir=out)
        try:
            with os.fdopen(fd, "wb") as fh:
                pq.write_table(table, fh)
            os.replace(tmp, out / "runs.parquet")
        except BaseException as e:
            Path(tmp).unlink(missing_ok=True)
            if isinstance(e, OSError) and e.filename is None:
                e.filename = str(out / "runs.parquet")
            raise
        written.append(out / "runs.parquet")
    if csv_too:
        f = io.StringIO(newline="")
        w = csv.writer(f, lineterminator="\n")
        w.writerow(schema.names)
        for r in rows:
            w.writerow(
                [
                    "" if r.get(c) is None else csv_text(_typed(r.get(c), k))
                    for c, k in schema.columns
                ]
            )
        write_atomic(out / "runs.csv", f.getvalue().encode("utf-8"))
        written.append(out / "runs.csv")
    return written


def _cell(text: str, kind: str) -> Any:
    if text == "":
        return None
    text = csv_read(text)  # an error or a value written so no spreadsheet runs it
    if kind == "int":
        return int(text)
    if kind == "float":
        v = float(text)
        if not math.isfinite(v):
            raise ValueError(text)
        return v
    if kind == "bool":
        if text not in ("True", "False"):
            raise ValueError(text)
        return text == "True"
    return text


def read_table(path: Path, parameters: dict[str, str]) -> list[dict[str, Any]]:
    """The rows of runs.parquet or runs.csv, each value checked against its column's type
    (`parameters`: path -> kind from the design; outcomes by OUTCOME_KINDS). Raises
    FileProblem, one line, for a damaged or foreign table."""
    kinds = {
        "run_key": "str",
        "status": "str",
        "error": "str",
        "set_index": "int",
        "sample_index": "int",
        "seed": "int",
        **{p: _column_kind(k) for p, k in parameters.items()},
    }
    if path.suffix == ".parquet":
        try:
            import pyarrow.parquet as pq
        except ImportError:
            raise FileProblem(
                path,
                "reading Parquet needs pyarrow: pip install -e '.[sweep]' "
                "(or write the sweep with --csv and compare runs.csv)",
            ) from None
        data = read_bytes(path, MAX_TABLE_BYTES, "sweep table")  # a regular file of sane size
        try:
            import pyarrow as pa

            # from the bytes read: a path pyarrow could not take (not UTF-8) is no matter
            rows = pq.ParquetFile(pa.BufferReader(data)).read().to_pylist()  # no pandas
        except Exception as e:  # pyarrow raises many kinds (ArrowInvalid, OSError...)
            raise FileProblem(
                path,
                f"not a readable Parquet table ({str(e)[:100]}); the "
                "same sweep command writes it again from the journal",
            ) from None
    else:
        text = decode_utf8(read_bytes(path, MAX_TABLE_BYTES, "sweep table"), path)
        rows = []
        try:
            reader = csv.DictReader(io.StringIO(text, newline=""))
            for r in reader:
                if None in r or None in r.values():
                    raise FileProblem(
                        path,
                        "a row with a different number of cells than the header",
                        reader.line_num,
                    )
                try:
                    rows.append(
                        {
                            k: _cell(v, kinds.get(k) or outcome_kind(k) or "str")
                            for k, v in r.items()
                        }
                    )
                except ValueError as e:
                    raise FileProblem(
                        path, f"a value of the wrong type ({str(e)[:40]})", reader.line_num
                    ) from None
        except csv.Error as e:
            raise FileProblem(path, f"not CSV ({e})") from None
    for i, r in enumerate(rows):
        for col in ("run_key", "status"):
            if not isinstance(r.get(col), str):
                raise FileProblem(path, f"row {i}: no {col}: not a sweep table")
        for col, value in r.items():
            kind = kinds.get(col) or outcome_kind(col)
            if kind is not None and not _fits(value, kind):
                raise FileProblem(
                    path,
                    f"row {i}: {col} = {str(value)[:30]!r}, expected "
                    f"{kind}: not a table this sweep wrote",
                )
    return rows


# ============================================================================ sweep.json
def write_meta(out: Path, meta: dict[str, Any]) -> None:
    """sweep.json, strict JSON, written atomically."""
    write_atomic(
        out / META, (json_text(meta, indent=2, default=json_default) + "\n").encode("utf-8")
    )


def _time_or_none(v: Any) -> bool:
    if v is None:
        return True
    try:
        return isinstance(v, str) and datetime.fromisoformat(v).tzinfo is None
    except ValueError:
        return False


def read_meta(folder: Path) -> dict[str, Any]:
    """sweep.json of a sweep folder, checked field by field. Raises FileProblem (one line)."""
    path = folder / META
    text = decode_utf8(read_bytes(path, MAX_META_BYTES, "sweep.json"), path)
    try:
        meta = json.loads(text)
    except ValueError as e:
        raise FileProblem(path, f"not JSON ({str(e)[:80]})") from None
    except RecursionError:
        raise FileProblem(path, "not JSON (nested too deep)") from None
    if lone_surrogate(meta, text):
        raise FileProblem(path, "text that is not valid Unicode (a lone surrogate)")

    def need(ok: bool, field: str, expected: str) -> None:
        if not ok:
            raise FileProblem(
                path,
                f"{field}: expected {expected} (a damaged or foreign "
                "sweep.json; the same sweep command writes it again)",
            )

    need(isinstance(meta, dict), "the file", "a JSON object")
    for field in ("scenario", "scenario_sha256", "title"):
        need(isinstance(meta.get(field), str), field, "text")
    need(is_slug(meta.get("scenario_id")), "scenario_id", "a scenario id (a plain name)")
    for field in ("start", "end"):
        need(
            isinstance(meta.get(field), str) and _time_or_none(meta[field]),
            field,
            "a date and time",
        )
    for field in ("samples", "seeds", "first_seed", "design_seed"):
        need(
            isinstance(meta.get(field), int)
            and not isinstance(meta.get(field), bool)
            and meta[field] >= 0,
            field,
            "a whole number",
        )
    need(isinstance(meta.get("sample"), str), "sample", "a sampler name")
    need(isinstance(meta.get("fixed", {}), dict), "fixed", "an object")
    axes = meta.get("axes")
    need(isinstance(axes, list), "axes", "a list")
    for i, a in enumerate(axes):
        need(
            isinstance(a, dict)
            and isinstance(a.get("path"), str)
            and a.get("kind") in ("int", "float", "datetime", "bool", "str", "any")
            and isinstance(a.get("values", []), list),
            f"axes[{i}]",
            "an axis (path, kind, values or low and high)",
        )
        for v in (*a.get("values", []), a.get("low"), a.get("high")):
            need(
                v is None
                or _fits(v, _column_kind(a["kind"]))
                or (a["kind"] == "float" and _fits(v, "int")),
                f"axes[{i}]",
                f"values of kind {a['kind']}",
            )
    places = meta.get("places", [])
    need(isinstance(places, list), "places", "a list")
    for i, p in enumerate(places):
        need(
            isinstance(p, dict)
            and isinstance(p.get("id"), str)
            and isinstance(p.get("name"), str)
            and p.get("start_holder") in ("UA", "RU")
            and _time_or_none(p.get("history_date"))
            and _time_or_none(p.get("history_until")),
            f"places[{i}]",
            "a place (id, name, start_holder, history_date)",
        )
    area = meta.get("history_area", [])
    need(isinstance(area, list), "history_area", "a list")
    for i, h in enumerate(area):
        need(
            isinstance(h, dict)
            and _time_or_none(h.get("date"))
            and h.get("date") is not None
            and h.get("side") in ("UA", "RU")
            and _fits(h.get("area_km2"), "float")
            and h.get("area_km2") is not None
            and h.get("relation") in ("=", ">=", "<="),
            f"history_area[{i}]",
            "an area figure (date, side, area_km2, relation)",
        )
    return meta
