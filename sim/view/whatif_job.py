"""The viewer's what-if runs: a branch from the hour on screen, simulated in the background.

    brancher = Brancher(scenario, theatre, params, seed, base_record=record)
    job = brancher.start(hour, [Change(save_bridge="kupiansk_road_bridge")], title="...")
    ... draw frames; job.progress is 0..1, job.stage says what it is doing ...
    if job.done: view = job.result        # a `BranchView`, or job.error
    brancher.close()                      # when the window closes

The model is pure Python and numpy, so a branch simulated in a thread of the window's process
would compete with the drawing for the interpreter (measured: the window fell to ~26 frames
per second on this 2-core machine). So the branch runs in a **worker process** (started when
the window opens: `warm()`), which keeps the base run as checkpoints (sim/whatif/branch.py,
`Checkpoints`) so that a second what-if at another hour costs at most a day of steps to reach.
A thread of the window's process only waits for the worker's messages (progress, then the
records) and builds what the window draws. Only one job runs at a time; starting another
cancels the first. `process=False` runs the same code in a thread instead (tests, small maps);
`run_now` runs it in the caller's thread (the command line). The worker is started with
multiprocessing's "spawn": a script that opens a window with a `Brancher` keeps its top level
under `if __name__ == "__main__":`, as run.py does.

With the base run's record at hand (a replay just simulated), the branch alone is simulated. For
a run loaded from disk, the base's future is simulated again from the branch hour too (the
comparison is then between two futures of this code), and `BranchView.mismatch` says whether the
saved run's frame at the branch hour differs from this code's (a run saved by another version).
"""

from __future__ import annotations

import multiprocessing as mp
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sim.map.theatre import Theatre
from sim.model.params import Parameters
from sim.runs.record import RunRecord
from sim.scenario import Scenario
from sim.view.replay import Replay
from sim.whatif.branch import Change, ChangeError, Checkpoints, apply_changes, snapshot
from sim.whatif.futures import Futures, compare_futures

if TYPE_CHECKING:
    from multiprocessing.connection import Connection
    from multiprocessing.process import BaseProcess

#: Seconds a thread-run branch yields to the window's loop after each simulated hour.
YIELD_S = 0.0005
#: The worker reports progress every this many simulated hours.
PROGRESS_EVERY_H = 3
#: A record's lists (events, control codes...) come back from the worker in parts of this many
#: rows, so that no single read holds the window's interpreter for long (reading a message is
#: one C call); its numpy tables come whole, as bytes.
PART_ROWS = 64
#: The lists of a packed record sent in parts (its numpy tables go whole: one copy of bytes).
PARTED = ("times", "events", "control_changes", "battles", "control", "crossings")
#: A record's numpy tables, by hour (cut to the hours recorded when packed).
TABLES = ("state", "equipment", "present", "table")
#: The worker process runs at this lower scheduling priority (Unix nice increment): on a busy
#: machine the window's drawing comes first, the background simulation takes what is left.
WORKER_NICE = 10


@dataclass
class BranchView:
    """A finished what-if, as the viewer draws it: the branch's replay, the two futures
    compared, and what was changed."""

    title: str
    hour: int
    when: datetime
    changes: list[Change]
    texts: list[str]  # the changes in words
    branch: Replay
    futures: Futures
    mismatch: bool = False  # the saved base run differs from this code's at the branch hour
    question: str = ""


# ---------------------------------------------------------------------------------- records
def pack(record: RunRecord) -> dict[str, Any]:
    """A finished record as plain data (its lists and its numpy tables cut to the hours
    recorded), to pass between processes. `unpack` is the inverse."""
    k = len(record.times)
    out: dict[str, Any] = {
        f.name: getattr(record, f.name) for f in fields(RunRecord) if not f.name.startswith("_")
    }
    for name in TABLES:
        out[name] = out[name][:k]
    return out


def unpack(d: dict[str, Any]) -> RunRecord:
    """The record `pack` made."""
    return RunRecord(**d)


# ---------------------------------------------------------------------------------- the work
def simulate(
    checkpoints: Checkpoints,
    hour: int,
    changes: list[Change],
    need_base: bool,
    progress: Callable[[float, str], None],
    cancelled: Callable[[], bool],
) -> dict[str, Any] | None:
    """The what-if at `hour` with `changes`, run to the end (and the base's future from the
    same hour with `need_base`). Returns {"texts", "branch", "base" (or None), "frame"} (the
    records packed; "frame": the base's frame at the branch hour), or None if cancelled.
    Raises ChangeError."""
    hours = checkpoints.scenario.hours
    total = max(1, hour + (hours - hour) * (2 if need_base else 1))
    stage = "reaching the branch hour"
    model = checkpoints.model_at(hour, lambda d, _h: progress(d / total, stage), cancelled)
    if model is None:
        return None
    twin = snapshot(model)
    texts = apply_changes(twin, changes)
    frame = model.record.frame(hour)
    done = hour
    runs = [("the base's future", model)] if need_base else []
    runs.append(("the what-if", twin))
    for stage, m in runs:  # noqa: B007 - read by the progress callback
        while m.running:
            if cancelled():
                m.release()
                return None
            m.step()
            done += 1
            progress(done / total, f"simulating {stage}")
        m.release()
    return {
        "texts": texts,
        "branch": pack(twin.record),
        "base": pack(model.record) if need_base else None,
        "frame": frame,
    }


def _serve(conn, scenario: Scenario, theatre: Theatre, params: Parameters, seed: int) -> None:
    """The worker process: what-ifs one after another, on request, until told to stop (None).
    Messages in: ("run", id, hour, changes, need_base), ("cancel", id), None. Messages out:
    ("progress", id, fraction, stage), ("done", id, result), ("error", id, message),
    ("cancelled", id)."""
    if hasattr(os, "nice"):
        try:
            os.nice(WORKER_NICE)
        except OSError:
            pass
    checkpoints = Checkpoints(scenario, theatre, params, seed)
    pending: list = []
    while True:
        msg = pending.pop(0) if pending else conn.recv()
        if msg is None:
            return
        if msg[0] == "run":  # (a "cancel" of a job already finished is dropped)
            _serve_one(conn, checkpoints, msg, pending)


def _serve_one(conn, checkpoints: Checkpoints, msg: tuple, pending: list) -> None:
    """One what-if in the worker. A new request or a stop arriving meanwhile cancels it (and
    is kept in `pending`)."""
    _, job_id, hour, changes, need_base = msg
    stop = False  # a cancel, a new request or the end arrived
    last = 0.0  # the progress last sent
    step = PROGRESS_EVERY_H / max(1, checkpoints.scenario.hours)

    def cancelled() -> bool:
        nonlocal stop
        while not stop and conn.poll():
            m = conn.recv()
            if m is None or m[0] == "run":
                pending.append(m)
                stop = True
            elif m[0] == "cancel" and m[1] == job_id:
                stop = True
        return stop

    def progress(frac: float, stage: str) -> None:
        nonlocal last
        if frac - last >= step or frac >= 1:
            last = frac
            conn.send(("progress", job_id, frac, stage))

    try:
        result = simulate(checkpoints, hour, changes, need_base, progress, cancelled)
    except ChangeError as e:
        conn.send(("error", job_id, str(e)))
        return
    except Exception as e:  # noqa: BLE001 - reported to the window, the worker goes on
        conn.send(("error", job_id, f"the branch failed: {type(e).__name__}: {e}"))
        return
    if result is None:
        conn.send(("cancelled", job_id))
        return
    conn.send(("finishing", job_id))
    for which in ("branch", "base"):
        packed = result[which]
        if packed is None:
            continue
        for key in PARTED:
            rows, packed[key] = packed[key], []
            for i in range(0, len(rows), PART_ROWS):
                conn.send(("part", job_id, which, key, rows[i : i + PART_ROWS]))
    conn.send(("done", job_id, result))


# ---------------------------------------------------------------------------------- the owner
@dataclass
class Brancher:
    """What the viewer needs to branch a base run: its scenario, map, parameters and seed
    (and its record when it was simulated in this process)."""

    scenario: Scenario
    theatre: Theatre
    params: Parameters
    seed: int
    base_record: RunRecord | None = None
    saved_frames: list[dict] | None = None  # a loaded run's frames, to check the re-simulation
    scenario_path: Path | None = None  # for saving a branch file
    process: bool = True  # simulate in a worker process (else in a thread)
    job: BranchJob | None = field(init=False, default=None)

    @classmethod
    def for_record(
        cls,
        record: RunRecord,
        scenario: Scenario,
        theatre: Theatre,
        scenario_path: Path | None = None,
        **kw: Any,
    ) -> Brancher:
        """For a run simulated in this process: its parameters and seed from its record."""
        return cls(
            scenario,
            theatre,
            Parameters(**record.parameters),
            record.seed,
            base_record=record,
            scenario_path=scenario_path,
            **kw,
        )

    @classmethod
    def for_saved(
        cls,
        run_dir: Path,
        replay: Replay,
        scenario: Scenario,
        theatre: Theatre,
        scenario_path: Path | None = None,
        **kw: Any,
    ) -> Brancher:
        """For a saved run folder: the parameters from its summary.json (the scenario's when
        it has none), the seed from its frames; the saved frames are kept to check that this
        code replays the run the same way up to the branch hour (`BranchView.mismatch`)."""
        import json

        params = scenario.parameters_with()
        try:
            summary = json.loads((Path(run_dir) / "summary.json").read_text(encoding="utf-8"))
            params = Parameters(**summary.get("parameters_changed", {}))
        except (OSError, ValueError, TypeError):
            pass  # no or unreadable summary: the scenario's parameters
        return cls(
            scenario,
            theatre,
            params,
            replay.seed,
            saved_frames=replay.frames,
            scenario_path=scenario_path,
            **kw,
        )

    def __post_init__(self) -> None:
        self._checkpoints: Checkpoints | None = None
        self._worker: BaseProcess | None = None
        self._conn: Connection | None = None  # to the worker (set with it)
        self._lock = threading.Lock()
        self._ids = 0

    @property
    def checkpoints(self) -> Checkpoints:
        """The base run's checkpoints in this process (thread jobs and `run_now`)."""
        if self._checkpoints is None:
            self._checkpoints = Checkpoints(self.scenario, self.theatre, self.params, self.seed)
        return self._checkpoints

    def warm(self) -> None:
        """Start the worker process now (it imports the model and is ready for the first
        what-if: about two seconds, in the background)."""
        if self.process and (self._worker is None or not self._worker.is_alive()):
            ctx = mp.get_context("spawn")  # not fork: the window's process has SDL's threads
            self._conn, child = ctx.Pipe()
            self._worker = ctx.Process(
                target=_serve,
                name="what-if worker",
                daemon=True,
                args=(child, self.scenario, self.theatre, self.params, self.seed),
            )
            self._worker.start()
            child.close()

    def start(
        self, hour: int, changes: list[Change], title: str = "", question: str = ""
    ) -> BranchJob:
        """Start simulating a branch at `hour` (cancelling one still running)."""
        self.cancel()
        self._ids += 1
        self.job = BranchJob(self, self._ids, hour, list(changes), title, question)
        self.job.start()
        return self.job

    def cancel(self) -> None:
        if self.job is not None and not self.job.done:
            self.job.cancelled = True
            if self._conn is not None and self.job.remote:
                try:
                    self._conn.send(("cancel", self.job.id))
                except OSError:
                    pass
            self.job.join()

    def close(self) -> None:
        """Stop a running job and the worker process."""
        self.cancel()
        if self._worker is not None:
            assert self._conn is not None  # set with the worker (`warm`)
            try:
                self._conn.send(None)
            except OSError:
                pass
            self._worker.join(timeout=2)
            if self._worker.is_alive():
                self._worker.terminate()
            self._worker = None

    def run_now(
        self, hour: int, changes: list[Change], title: str = "", question: str = ""
    ) -> BranchView:
        """The same as a job, in this thread (for the command line and tests). Raises
        ChangeError."""
        job = BranchJob(self, 0, hour, list(changes), title, question, remote=False)
        job.run()
        if job.error:
            raise ChangeError(job.error)
        assert job.result is not None  # `run` sets an error or the result
        return job.result


class BranchJob(threading.Thread):
    """One what-if being simulated. Read `progress` (0..1), `stage`, `done`, `result` (a
    `BranchView`) or `error` (a message) from the window's thread; set `cancelled` to stop."""

    def __init__(
        self,
        owner: Brancher,
        job_id: int,
        hour: int,
        changes: list[Change],
        title: str,
        question: str,
        remote: bool | None = None,
    ):
        super().__init__(daemon=True, name="what-if")
        self.owner, self.id, self.hour, self.changes = owner, job_id, hour, changes
        self.title, self.question = title, question
        self.remote = owner.process if remote is None else remote
        self.progress = 0.0
        self.stage = "starting"
        self.done = False
        self.cancelled = False
        self.result: BranchView | None = None
        self.error: str | None = None
        self.seconds = 0.0
        self.shown = False  # the window has taken the result (or shown the error)

    def run(self) -> None:
        t0 = time.perf_counter()
        try:
            out = self._remote() if self.remote else self._local()
            if out is not None:
                self.stage = "comparing"
                self.result = self._view(out)
                self.progress = 1.0
            elif self.error is None:
                self.error = "cancelled"
        except ChangeError as e:
            self.error = str(e)
        except Exception as e:  # noqa: BLE001 - shown in the window, not a crash of the viewer
            self.error = f"the branch failed: {type(e).__name__}: {e}"
        finally:
            self.seconds = time.perf_counter() - t0
            self.done = True

    def _report(self, frac: float, stage: str) -> None:
        self.progress, self.stage = frac, stage

    def _local(self) -> dict | None:
        def progress(frac: float, stage: str) -> None:
            self._report(frac, stage)
            if YIELD_S:
                time.sleep(YIELD_S)  # hand the interpreter to the window's loop

        o = self.owner
        return simulate(
            o.checkpoints,
            self.hour,
            self.changes,
            o.base_record is None,
            progress,
            lambda: self.cancelled,
        )

    def _remote(self) -> dict | None:
        o = self.owner
        with o._lock:
            o.warm()
            conn = o._conn
            assert conn is not None  # `warm` started the worker (remote jobs: `process` on)
            self.stage = "starting the what-if worker"
            conn.send(("run", self.id, self.hour, self.changes, o.base_record is None))
            parts: dict[tuple[str, str], list] = {}
            while True:
                try:
                    msg = conn.recv()
                except (EOFError, OSError):
                    o._worker = None
                    raise RuntimeError("the what-if worker stopped") from None
                kind, job_id = msg[0], msg[1]
                if job_id != self.id:
                    continue  # a message of a job cancelled earlier
                if kind == "progress":
                    self._report(msg[2], msg[3])
                elif kind == "finishing":
                    self.stage = "reading the what-if back"
                elif kind == "part":
                    parts.setdefault((msg[2], msg[3]), []).extend(msg[4])
                elif kind == "done":
                    result = msg[2]
                    for (which, key), rows in parts.items():
                        result[which][key] = rows
                    return result
                elif kind == "error":
                    self.error = msg[2]
                    return None
                else:
                    return None

    def _view(self, out: dict) -> BranchView:
        from sim.runs.history import compare

        o = self.owner
        branch = unpack(out["branch"]) if isinstance(out["branch"], dict) else out["branch"]
        base = o.base_record if out["base"] is None else unpack(out["base"])
        assert base is not None  # the job ran the base's future when the owner had no record
        mismatch = (
            o.saved_frames is not None
            and self.hour < len(o.saved_frames)
            and o.saved_frames[self.hour] != out["frame"]
        )
        replay = Replay.from_run(
            branch, o.theatre, o.scenario, compare(branch, o.scenario, o.theatre)
        )
        futures = compare_futures(base, branch, o.scenario, self.hour, o.theatre)
        title = self.title or "What if: " + "; ".join(out["texts"])
        return BranchView(
            title,
            self.hour,
            o.scenario.start + timedelta(hours=self.hour),
            self.changes,
            out["texts"],
            replay,
            futures,
            mismatch,
            self.question,
        )
