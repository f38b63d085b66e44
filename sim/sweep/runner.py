"""Running a sweep: its runs on an Executor, each finished run journaled as it comes, then the
table.

- *runs*: runs go to a `concurrent.futures.Executor`: a process pool (forkserver or spawn;
  the initializer hands each worker the map and scenario the sweep built, pickled), or a Dask
  cluster with `--scheduler ADDRESS`. A worker runs one task at a time (`run_one`), which
  never raises: a run that fails is a row with status "failed" and its error.
- *journal*: each finished run is appended as one JSON line to OUT/journal.jsonl (flushed and
  fsynced). A rerun of the same command skips the keys already there: nothing lost, nothing
  repeated.
- *table*: at the end the journal is consolidated into OUT/runs.parquet (and OUT/runs.csv with
  --csv), one row per run, sorted by run key, with columns typed by the design, so the table
  does not depend on the number of workers, the order runs finished in, or a resume.
The files, their readers and the folder's lock: sim/sweep/store.py. Workers end if the sweep
that started them is killed.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing as mp
import os
import sys
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Executor, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sim.runs.folders import claim
from sim.runs.history import null_comparison
from sim.safe_io import FileProblem, read_bytes
from sim.safe_write import open_append
from sim.sweep.base import Base, validation_message
from sim.sweep.outcomes import key_places, outcome_columns
from sim.sweep.progress import Progress
from sim.sweep.spec import RunTask, SweepError, SweepSpec, kind_of, plan
from sim.sweep.store import (
    JOURNAL,
    MAX_META_BYTES,
    META,
    TableSchema,
    journal_line,
    read_journal,
    repair_journal,
    table_rows,
    write_meta,
    write_table,
)

if TYPE_CHECKING:
    from sim.map.theatre import Theatre
    from sim.model.params import Parameters
    from sim.runs.record import RunRecord
    from sim.scenario import Scenario

#: How often (seconds) a worker checks that the sweep that started it is still alive.
WATCHDOG_S = 1.0
#: Runs kept in flight per worker slot: one running, one queued, so a worker never waits for
#: the parent to hand it the next run.
IN_FLIGHT_PER_SLOT = 2


_STATE: dict[tuple[str, float | None, int | None], Base] = {}
_STATE_LOCK = threading.Lock()


def _base_for(
    text: str, file: str, max_days: float | None = None, max_units: int | None = None
) -> Base:
    """The per-process base: the one a pool worker was given, or (Dask workers have no
    initializer) built from the scenario text on first use and kept."""
    from sim.scenario import MAX_DAYS, MAX_UNITS

    max_days = MAX_DAYS if max_days is None else max_days  # what Base.load applies
    max_units = MAX_UNITS if max_units is None else max_units
    key = (hashlib.sha256(text.encode("utf-8")).hexdigest(), max_days, max_units)
    with _STATE_LOCK:
        if key not in _STATE:
            _STATE[key] = Base.load(file, text, max_days, max_units)
        return _STATE[key]


def _parent_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)  # signal 0: only checks that the process exists
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else (the pid was reused)
        return False
    return True


def _watch_parent(pid: int) -> None:
    """End this worker when the sweep that started it is gone (killed with -9, say): a pool
    worker otherwise waits for tasks forever."""
    while True:
        time.sleep(WATCHDOG_S)
        if not _parent_alive(pid):
            os._exit(1)


def _init_worker(base: Base, parent: int | None = None) -> None:
    """Process pool initializer: a watchdog on the sweep's process (POSIX), then the base the
    sweep built (map and scenario, pickled: about 1 MB, read in milliseconds where building
    them again would take 0.4 s a worker)."""
    if parent is not None and os.name == "posix":
        threading.Thread(
            target=_watch_parent, args=(parent,), daemon=True, name="sweep-watchdog"
        ).start()
    with _STATE_LOCK:
        _STATE[(base.sha256, base.max_days, base.max_units)] = base


def simulate(scenario: Scenario, theatre: Theatre, params: Parameters, seed: int) -> RunRecord:
    """One headless run (a seam for tests)."""
    from sim.model import CampaignModel

    return CampaignModel(scenario, theatre, params, seed=seed).run()  # run() releases it


def run_one(
    task: RunTask,
    text: str,
    file: str,
    max_days: float | None = None,
    max_units: int | None = None,
) -> dict[str, Any]:
    """Run one task; never raises: a failure is a row with status 'failed' and the error."""
    t0 = time.perf_counter()
    row: dict[str, Any] = {
        "run_key": task.key,
        "status": "ok",
        "error": "",
        "set_index": task.set_index,
        "sample_index": task.sample_index,
        "seed": task.seed,
        **task.overrides,
    }
    try:
        base = _base_for(text, file, max_days, max_units)
        scenario, params = base.materialise(task.overrides)
        record = simulate(scenario, base.theatre, params, task.seed)
        null = null_comparison(scenario, base.theatre, params, task.seed, simulate)
        row.update(outcome_columns(record, scenario, base.theatre, null))
    except Exception as e:  # recorded, the sweep goes on
        row.update(failed_fields(e))
    row["runtime_s"] = round(time.perf_counter() - t0, 3)
    row.update(worker_fields())
    return row


def worker_fields() -> dict[str, Any]:
    """Which process ran a run, its memory once the run is done and its peak memory so far
    (MiB, where the OS tells them): journal-only fields that show whether a worker's memory
    stays flat over a long sweep (docs/sweeps.md)."""
    fields: dict[str, Any] = {"worker_pid": os.getpid()}
    try:
        with open("/proc/self/statm", encoding="ascii") as f:  # Linux: sizes in pages
            resident = int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        fields["worker_rss_mib"] = round(resident / 2**20, 1)
    except (OSError, ValueError, IndexError, AttributeError):
        pass  # another OS: the peak alone
    try:
        import resource
    except ImportError:  # pragma: no cover (Windows)
        return fields
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux, bytes on macOS
    fields["worker_max_rss_mib"] = round(peak / (2**20 if sys.platform == "darwin" else 2**10), 1)
    return fields


def failed_fields(e: Exception) -> dict[str, str]:
    """The columns of a failed run: status, the error's first line, the traceback's end."""
    msg = (
        validation_message(e)
        if type(e).__name__ in ("ValidationError", "ScenarioError")
        else str(e)
    )
    first_line = (msg.strip().splitlines() or [""])[0]
    return {
        "status": "failed",
        "error": f"{type(e).__name__}: {first_line}"[:500],
        "traceback": "".join(traceback.format_exception(e))[-4000:],
    }


@dataclass
class Pool:
    """An executor, how many runs to keep in flight on it, and how to close it."""

    executor: Executor
    slots: int
    close: Callable[[], None]
    kind: str


def start_method() -> str:
    """forkserver where there is one (Linux, macOS): workers fork from a clean server
    process, not from this one with its threads; spawn elsewhere (Windows)."""
    return "forkserver" if "forkserver" in mp.get_all_start_methods() else "spawn"


def process_pool(workers: int, base: Base) -> Pool:
    """`workers` processes, each given `base` once (sim.sweep.runner.run_one finds it)."""
    ctx = mp.get_context(start_method())
    if ctx.get_start_method() == "forkserver":
        ctx.set_forkserver_preload(["sim.sweep.runner", "sim.model.campaign", "sim.runs.history"])
    ex = ProcessPoolExecutor(
        max_workers=workers, mp_context=ctx, initializer=_init_worker, initargs=(base, os.getpid())
    )
    return Pool(
        ex,
        workers,
        lambda: ex.shutdown(wait=False, cancel_futures=True),
        f"{workers} worker process{'es' if workers > 1 else ''} ({ctx.get_start_method()})",
    )


def dask_pool(address: str) -> Pool:
    try:
        from distributed import Client
    except ImportError:
        raise SweepError("--scheduler needs Dask: pip install -e '.[sweep]'") from None
    try:
        client = Client(address, timeout="10s")
    except (OSError, TimeoutError) as e:
        raise SweepError(f"--scheduler {address}: cannot connect ({e})") from None
    except Exception as e:  # whatever reading a foreign answer raises
        # a service that is not Dask: its first bytes read as a frame length of gigabytes
        # (MemoryError, which said "out of memory"), or as no message at all (ValueError...)
        raise SweepError(
            f"--scheduler {address}: the service there did not answer as a Dask scheduler "
            f"does ({type(e).__name__}); give the address of a `dask scheduler`, e.g. "
            "tcp://HOST:8786"
        ) from None
    threads = sum(client.nthreads().values()) or 1
    ex = client.get_executor(pure=False)

    def close() -> None:
        ex.shutdown(wait=False)
        client.close()

    return Pool(ex, threads, close, f"Dask scheduler {address} ({threads} threads)")


@dataclass
class SweepResult:
    out: Path
    total: int
    ran: int  # runs executed by this call
    failed: int  # failed rows in the table
    table: list[Path]
    complete: bool


def places_meta(base: Base) -> list[dict[str, Any]]:
    """Key places with their holder at the start and the date history says they changed hands
    (the first observation naming the other holder), for the comparison plots."""
    from sim.model import CampaignModel

    model = CampaignModel(base.scenario, base.theatre, seed=0)
    out = []
    for p in key_places(base.scenario):
        start = model.world.control[p]
        changed = [o for o in base.scenario.history if o.place == p and o.holder != start]
        obs = min(changed, key=lambda o: (o.date, o.until or o.date)) if changed else None
        first, until = (obs.date, obs.until) if obs else (None, None)
        out.append(
            {
                "id": p,
                "name": base.theatre.graph.nodes[p]["name"],
                "start_holder": start,
                "history_date": first.isoformat(timespec="minutes") if first else None,
                "history_until": until.isoformat(timespec="minutes") if until else None,
            }
        )
    return out


def sweep_meta(spec: SweepSpec, base: Base, tasks: list[RunTask]) -> dict[str, Any]:
    """sweep.json: the design, the scenario's hash, and what `compare` needs."""
    ends = [
        datetime.fromisoformat(t.overrides["end"]).isoformat(timespec="minutes")
        for t in tasks
        if "end" in t.overrides
    ]
    return {
        "scenario": spec.scenario,
        "scenario_id": base.scenario.id,
        "scenario_sha256": base.sha256,
        "title": base.scenario.title,
        "start": base.scenario.start.isoformat(timespec="minutes"),
        "end": max([base.scenario.end.isoformat(timespec="minutes")] if not ends else ends),
        "axes": [asdict(a) for a in spec.axes],
        "fixed": spec.fixed,
        "sample": spec.sample,
        "samples": spec.samples,
        "seeds": spec.seeds,
        "first_seed": spec.first_seed,
        "design_seed": spec.design_seed,
        "parameter_sets": len({t.set_index for t in tasks}),
        "runs": len(tasks),
        "places": places_meta(base),
        "history_area": [
            {
                "date": o.date.isoformat(timespec="minutes"),
                "side": o.side,
                "area_km2": o.area_km2,
                "relation": o.relation,
            }
            for o in base.scenario.history
            if o.area_km2 is not None
        ],
    }


def parameter_kinds(spec: SweepSpec) -> dict[str, str]:
    """Path -> kind of every fixed or varied value, in the table's order."""
    kinds = {p: kind_of(v) for p, v in spec.fixed.items()}
    kinds.update({a.path: a.kind for a in spec.axes})
    return kinds


def _previous_scenario(out: Path) -> str | None:
    """The scenario hash an existing sweep.json names (None if there is none, or it is
    unreadable: the journal's run keys then tell whether the folder is another sweep's)."""
    try:  # a FIFO or a device at its name is refused unread (it would block or never end)
        prev = json.loads(read_bytes(out / META, MAX_META_BYTES, "sweep.json"))
    except (FileProblem, ValueError, RecursionError):
        return None
    value = prev.get("scenario_sha256") if isinstance(prev, dict) else None
    return value if isinstance(value, str) else None


def run_sweep(
    spec: SweepSpec,
    base: Base,
    out: Path,
    *,
    workers: int = 1,
    scheduler: str | None = None,
    csv: bool = False,
    retry_failed: bool = False,
    progress: Any = None,
    stop_after: int | None = None,
    on_start: Callable[[], None] | None = None,
) -> SweepResult:
    """Run every planned run not yet in OUT/journal.jsonl, then write the table.
    `on_start` is called once the folder is locked and checked, before the first run.

    The folder is claimed first (sim/runs/folders.py): one holding a replay's or a what-if's
    runs, or symbolic links where the sweep's files go, is refused (FileProblem), and its lock
    is held while the sweep runs: a second sweep (or a replay) into it is refused. A folder
    whose journal holds runs this design does not include (another design, another version
    of the scenario file) is refused too (SweepError): its table would silently lose them. A
    design that extends the folder's (more seeds, more values) reuses every run there.

    `stop_after` (for tests) stops taking results after that many runs, as a kill would: the
    journal holds them, no table is written.
    """
    lock = claim(out, "sweep", [JOURNAL, META, "runs.parquet", "runs.csv"])
    try:
        return _run_locked(
            spec, base, out, workers, scheduler, csv, retry_failed, progress, stop_after, on_start
        )
    finally:
        lock.release()


def _run_locked(
    spec: SweepSpec,
    base: Base,
    out: Path,
    workers: int,
    scheduler: str | None,
    csv: bool,
    retry_failed: bool,
    progress: Any,
    stop_after: int | None,
    on_start: Callable[[], None] | None,
) -> SweepResult:
    prev = _previous_scenario(out)
    if prev and prev != base.sha256:
        raise SweepError(
            f"--out {out}: holds a sweep of another version of the scenario file; "
            "choose another --out (runs are keyed by the file's content)"
        )
    tasks = plan(spec, base.sha256)
    planned = {t.key for t in tasks}
    journal_path = out / JOURNAL
    repair_journal(journal_path)
    journal = read_journal(journal_path)
    foreign = sorted(k for k in journal if k not in planned)
    if foreign:
        raise SweepError(
            f"--out {out}: holds {len(foreign)} run{'s' if len(foreign) > 1 else ''} "
            f"of another sweep design (e.g. {foreign[0]}) that this sweep does not "
            "include, and its table would lose them; choose another --out (a design "
            "that extends the folder's, with more seeds or values, may share it)"
        )
    if retry_failed:
        journal = {k: r for k, r in journal.items() if r.get("status") != "failed"}
    todo = deque(t for t in tasks if t.key not in journal)
    if on_start is not None:
        on_start()
    write_meta(out, sweep_meta(spec, base, tasks))
    bar = progress if progress is not None else Progress(len(tasks), len(tasks) - len(todo))
    ran = 0
    if todo:
        ran = _execute(todo, base, journal_path, journal, workers, scheduler, bar, stop_after)
    bar.close()
    if (
        stop_after is not None
        and ran >= stop_after
        and sum(t.key in journal for t in tasks) < len(tasks)
    ):
        return SweepResult(out, len(tasks), ran, 0, [], False)
    rows = table_rows(journal, tasks)
    paths = write_table(rows, TableSchema.of(parameter_kinds(spec), rows), out, csv)
    failed = sum(r.get("status") == "failed" for r in rows)
    return SweepResult(out, len(tasks), ran, failed, paths, len(rows) == len(tasks))


def _execute(
    todo: deque[RunTask],
    base: Base,
    journal_path: Path,
    journal: dict[str, dict[str, Any]],
    workers: int,
    scheduler: str | None,
    bar: Any,
    stop_after: int | None,
) -> int:
    """Feed the executor, keeping IN_FLIGHT_PER_SLOT runs per slot in flight; journal each
    result as it comes.

    A worker process that dies (segfault, out of memory) breaks a process pool: the pool is
    rebuilt and the runs that were in flight are retried one at a time, so that the run that
    kills its worker is found and recorded as failed without failing the others."""
    new_pool = (
        (lambda: dask_pool(scheduler)) if scheduler else (lambda: process_pool(workers, base))
    )
    pool = new_pool()
    print(f"sweep: running on {pool.kind}", file=sys.stderr)
    suspects: deque[RunTask] = deque()
    inflight: dict[Future, RunTask] = {}
    ran = 0
    with open_append(journal_path, "sweep journal") as jf:

        def record(row: dict[str, Any]) -> None:
            nonlocal ran
            try:
                jf.write(journal_line(row).encode("utf-8"))
                jf.flush()
                os.fsync(jf.fileno())
            except OSError as e:  # a full disk: the error names the journal
                e.filename = e.filename or str(journal_path)
                raise
            journal[row["run_key"]] = row
            ran += 1
            bar.update(failed=row.get("status") == "failed")

        try:
            while todo or suspects or inflight:
                limit = 1 if suspects else pool.slots * IN_FLIGHT_PER_SLOT
                source = suspects if suspects else todo
                while source and len(inflight) < limit:
                    t = source.popleft()
                    inflight[
                        pool.executor.submit(
                            run_one, t, base.text, base.file, base.max_days, base.max_units
                        )
                    ] = t
                done, _ = wait(inflight, return_when=FIRST_COMPLETED)
                broken = []
                for f in done:
                    t = inflight.pop(f)
                    try:
                        row = f.result()
                    except BrokenProcessPool:
                        broken.append(t)
                        continue
                    except Exception as e:  # e.g. a Dask worker killed
                        row = {
                            "run_key": t.key,
                            "set_index": t.set_index,
                            "sample_index": t.sample_index,
                            "seed": t.seed,
                            **t.overrides,
                            **failed_fields(e),
                        }
                    record(row)
                    if stop_after is not None and ran >= stop_after:
                        return ran
                if broken:
                    broken += list(inflight.values())
                    inflight.clear()
                    alone = limit == 1 and len(broken) == 1
                    pool.close()
                    if alone:  # this run alone killed its worker
                        t = broken[0]
                        record(
                            {
                                "run_key": t.key,
                                "set_index": t.set_index,
                                "sample_index": t.sample_index,
                                "seed": t.seed,
                                **t.overrides,
                                "status": "failed",
                                "error": "worker process died during this run",
                            }
                        )
                    else:
                        suspects.extend(sorted(broken, key=lambda x: x.key))
                    pool = new_pool()
        except KeyboardInterrupt:
            for f in inflight:
                f.cancel()
            bar.close()
            print(
                f"sweep: interrupted; {len(journal)} runs are in {journal_path}; the same "
                "command resumes",
                file=sys.stderr,
            )
            raise
        finally:
            pool.close()
    return ran
