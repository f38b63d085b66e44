"""Parameter sweeps: many runs of one scenario with some values varied, on an Executor.

    python run.py sweep SCENARIO.yaml --vary capture_ratio=1.2,1.5,2.0 --seeds 4
    python run.py sweep SCENARIO.yaml --vary withdraw_decision_hours=2:24 --samples 32
    python run.py sweep --file examples/sweeps/bridges.yaml --workers 2
    python run.py compare runs/sweeps/<name>            (tables and plots: sim/sweep_compare.py)

What can be varied is named by a *path* (docs/sweeps.md): a model parameter by its name
(`capture_ratio`), or any scenario value by its place in the scenario, e.g.
`units[ua_25_abn].equipment.personnel`, `events[3].at`,
`events[kind=destroy_bridge,target=savyntsi_bridge].probability`, `end`.

The sweep, in order:
1. *design*: grid axes (lists of values) are crossed; range axes are sampled (random, Latin
   hypercube or SALib's Sobol sequence) and crossed with the grid; every parameter set is run with
   seeds first_seed .. first_seed+K-1 (the same seeds for every set: common random numbers).
2. *runs*: each run has a key, a hash of the scenario file's bytes, the parameter set and the
   seed. Runs go to a `concurrent.futures.Executor`: a process pool (forkserver or spawn; the
   initializer builds the map and parses the scenario once per worker), or a Dask cluster with
   `--scheduler ADDRESS`.
3. *journal*: each finished run is appended as one JSON line to OUT/journal.jsonl (flushed and
   fsynced). A rerun of the same command skips the keys already there: nothing lost, nothing
   repeated. A run that raises is a row with status "failed" and its error.
4. *table*: at the end the journal is consolidated into OUT/runs.parquet (and OUT/runs.csv with
   --csv), one row per run, sorted by run key, with columns typed by the design, so the table
   does not depend on the number of workers, the order runs finished in, or a resume.
The files, their readers and the folder's lock: sim/sweep_store.py. A sweep's size is capped
(MAX_RUNS, --max-runs) and its workers end if the sweep is killed.
"""

from __future__ import annotations

import argparse
import copy
import difflib
import hashlib
import itertools
import json
import math
import multiprocessing as mp
import os
import re
import sys
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Executor, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from sim.params import Parameters
from sim.safe_io import (
    MAX_YAML_BYTES,
    FileProblem,
    TooManyValues,
    count_values,
    read_text,
    yaml_loader,
    yaml_problem,
)
from sim.sweep_store import (
    JOURNAL,
    META,
    FolderLock,
    TableSchema,
    journal_line,
    read_journal,
    repair_journal,
    table_rows,
    write_meta,
    write_table,
)

if TYPE_CHECKING:
    from sim.record import RunRecord
    from sim.scenario import Scenario
    from sim.theatre import Theatre

SAMPLERS = ("grid", "random", "lhs", "sobol")
#: Significant digits kept of a sampled float (enough for any parameter; short in the table).
SAMPLE_DIGITS = 6
#: Most runs in a sweep without lifting the cap (--max-runs): at about 1 s a run on 2 cores,
#: 100,000 runs are a day of computing; a design of 100^4 grid points would only exhaust memory.
MAX_RUNS = 100_000
#: Seeds are whole numbers from 0 to MAX_SEED (as for a replay).
MAX_SEED = 2**32 - 1
#: Most worker processes (a typo such as --workers 10000 would start that many processes).
MAX_WORKERS = 256
#: How often (seconds) a worker checks that the sweep that started it is still alive.
WATCHDOG_S = 1.0


def _usage(message: str) -> Exception:
    """sim.cli.UsageError (imported late: sim.cli imports this module lazily too)."""
    from sim.cli import UsageError

    return UsageError(message)


# ============================================================================ paths
@dataclass(frozen=True)
class PathError(Exception):
    """A path that does not name exactly one value of the scenario."""

    path: str
    problem: str

    def __str__(self) -> str:
        return f"path {self.path!r}: {self.problem}"


def _split_path(path: str) -> list[str]:
    """Split on dots outside brackets: `events[p=0.5].at` -> ['events[p=0.5]', 'at']."""
    parts, depth, cur = [], 0, ""
    for ch in path:
        if ch == "[":
            depth += 1
        elif ch == "]":
            depth -= 1
            if depth < 0:
                raise PathError(path, "unbalanced ']'")
        if ch == "." and depth == 0:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    if depth:
        raise PathError(path, "unbalanced '['")
    parts.append(cur)
    return parts


_SEGMENT = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)((?:\[[^\[\]]*\])*)$")


def parse_path(path: str) -> list[str | int | dict[str, str]]:
    """A path as a list of steps: a field name (str), a list index (int), or a selector
    (dict of field -> value) that must match exactly one item of a list.

    `units[ua_25_abn].equipment.personnel` -> ['units', {'id': 'ua_25_abn'}, 'equipment',
    'personnel']; `units.ua_25_abn.tanks` treats a name after a list as an id, the same way.
    """
    if not path or path != path.strip():
        raise PathError(path, "empty or padded with spaces")
    steps: list[str | int | dict[str, str]] = []
    for part in _split_path(path):
        m = _SEGMENT.match(part)
        if not m:
            raise PathError(path, f"cannot read {part!r}: expected name, name[index], "
                            "name[id] or name[field=value,...]")
        steps.append(m.group(1))
        for sel in re.findall(r"\[([^\[\]]*)\]", m.group(2)):
            sel = sel.strip()
            if re.fullmatch(r"-?\d+", sel):
                steps.append(int(sel))
            elif "=" in sel:
                cond: dict[str, str] = {}
                for item in sel.split(","):
                    k, eq, v = item.partition("=")
                    if not eq or not k.strip():
                        raise PathError(path, f"selector [{sel}]: expected field=value,...")
                    cond[k.strip()] = v.strip()
                steps.append(cond)
            elif sel:
                steps.append({"id": sel})
            else:
                raise PathError(path, "empty []")
    return steps


def _matches(item: Any, cond: dict[str, str]) -> bool:
    if not isinstance(item, dict):
        return False
    for k, want in cond.items():
        if k not in item:
            return False
        have = item[k]
        if isinstance(have, datetime):
            try:
                if have != datetime.fromisoformat(want):
                    return False
            except ValueError:
                return False
        elif isinstance(have, bool) or have is None:
            if str(have).lower() != want.lower():
                return False
        elif isinstance(have, int | float):
            try:
                if float(want) != float(have):
                    return False
            except ValueError:
                return False
        elif str(have) != want:
            return False
    return True


def _describe_step(step: str | int | dict[str, str]) -> str:
    if isinstance(step, int):
        return f"[{step}]"
    if isinstance(step, dict):
        return "[" + ",".join(f"{k}={v}" for k, v in step.items()) + "]"
    return f".{step}"


def locate(data: Any, path: str) -> tuple[Any, str | int]:
    """(container, key) of the value `path` names in a scenario's model_dump().
    Raises PathError saying where the path stops matching."""
    steps = parse_path(path)
    node, where = data, ""
    for i, step in enumerate(steps):
        if isinstance(node, dict):
            if not isinstance(step, str):
                raise PathError(path, f"{where or 'the scenario'} is a mapping: "
                                f"name a field, not {_describe_step(step)}")
            if step not in node:
                close = difflib.get_close_matches(step, [str(k) for k in node], n=3)
                hint = f" (did you mean {', '.join(close)}?)" if close else ""
                fields = "" if close else f"; fields: {', '.join(map(str, node))}"
                raise PathError(path, f"no field {step!r} in {where or 'the scenario'}"
                                f"{hint}{fields}")
            key: str | int = step
        elif isinstance(node, list):
            if isinstance(step, int):
                if not 0 <= step < len(node):
                    raise PathError(path, f"{where} has {len(node)} items; index {step} is "
                                    "out of range")
                key = step
            else:
                cond = {"id": step} if isinstance(step, str) else step
                hits = [j for j, item in enumerate(node) if _matches(item, cond)]
                if len(hits) != 1:
                    what = _describe_step(cond)
                    if not hits:
                        ids = [str(x.get("id")) for x in node if isinstance(x, dict) and "id" in x]
                        close = difflib.get_close_matches(cond.get("id", ""), ids, n=3)
                        hint = f" (did you mean {', '.join(close)}?)" if close else ""
                        raise PathError(path, f"no item of {where} matches {what}{hint}")
                    listed = ", ".join(f"{where}[{j}]" for j in hits[:5])
                    raise PathError(path, f"{what} matches {len(hits)} items of {where} "
                                    f"({listed}{'...' if len(hits) > 5 else ''}); add a field "
                                    "to the selector or use an index")
                key = hits[0]
        else:
            raise PathError(path, f"{where} is a single value; it has no "
                            f"{_describe_step(step).lstrip('.')}")
        if i == len(steps) - 1:
            return node, key
        node = node[key]
        where += _describe_step(key if isinstance(key, int) else step) if where else str(key)
    raise PathError(path, "empty path")  # pragma: no cover (parse_path never returns [])


def parameter_name(path: str) -> str | None:
    """The model parameter a path names (`capture_ratio`, `parameters.capture_ratio`), or None
    for a scenario path."""
    for prefix in ("parameters.", "params."):
        if path.startswith(prefix) and path[len(prefix):] in Parameters.model_fields:
            return path[len(prefix):]
    return path if path in Parameters.model_fields else None


# ============================================================================ values and axes
def _parse_scalar(text: Any) -> Any:
    """A command-line or YAML value: int, float, true/false, or the text itself."""
    if not isinstance(text, str):
        return text
    t = text.strip()
    if t.lower() in ("true", "false"):
        return t.lower() == "true"
    for kind in (int, float):
        try:
            return kind(t)
        except ValueError:
            pass
    return t


def _kind_of(like: Any) -> str:
    if isinstance(like, bool):
        return "bool"
    if isinstance(like, int):
        return "int"
    if isinstance(like, float):
        return "float"
    if isinstance(like, datetime):
        return "datetime"
    if isinstance(like, str):
        return "str"
    return "any"


def coerce(value: Any, kind: str, where: str) -> Any:
    """A value as the type of the value it replaces, JSON-able (dates as ISO text).
    Raises ValueError naming `where`."""
    v = _parse_scalar(value)
    if isinstance(v, datetime):
        v = v.isoformat(timespec="minutes")
    try:
        if kind == "bool":
            if not isinstance(v, bool):
                raise ValueError
            return v
        if kind == "int":
            if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
                raise ValueError
            return int(round(v))
        if kind == "float":
            if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
                raise ValueError
            return float(v)
        if kind == "datetime":
            return datetime.fromisoformat(str(v)).isoformat(timespec="minutes")
        if kind == "str":
            return str(v)
        return v
    except (ValueError, TypeError):
        expected = {"bool": "true or false", "int": "a whole number",
                    "float": "a finite number",
                    "datetime": "a date and time like 2022-09-07T06:00", "str": "text"}[kind]
        raise ValueError(f"{where}: expected {expected}, got {value!r}") from None


@dataclass(frozen=True)
class Axis:
    """One varied value: a list of values (grid) or a range [low, high] (sampled)."""

    path: str
    kind: str  # type of the value it replaces: int, float, datetime, bool, str, any
    values: tuple[Any, ...] = ()
    low: Any = None
    high: Any = None

    @property
    def is_range(self) -> bool:
        return self.low is not None

    def numeric(self, v: Any) -> float:
        """A value as a number for analysis: dates are hours after `low` (or after 2000)."""
        if self.kind == "datetime":
            origin = datetime.fromisoformat(self.low) if self.is_range else datetime(2000, 1, 1)
            return (datetime.fromisoformat(v) - origin).total_seconds() / 3600
        return float(v)

    def bounds(self) -> tuple[float, float]:
        return self.numeric(self.low), self.numeric(self.high)

    def at(self, u: float) -> Any:
        """The value at fraction u in [0, 1] of the range."""
        if self.kind == "datetime":
            lo, hi = datetime.fromisoformat(self.low), datetime.fromisoformat(self.high)
            t = lo + timedelta(minutes=round(u * (hi - lo).total_seconds() / 60))
            return t.isoformat(timespec="minutes")
        x = float(self.low) + u * (float(self.high) - float(self.low))
        if self.kind == "int":
            return int(round(x))
        return float(f"{x:.{SAMPLE_DIGITS}g}")

    def label(self) -> str:
        if self.is_range:
            return f"{self.path}={self.low}..{self.high}"
        return f"{self.path}={','.join(map(str, self.values))}"


_NUM = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"


def parse_vary(item: str) -> tuple[str, list[Any] | tuple[Any, Any]]:
    """`PATH=v1,v2,...` -> (path, [values]); `PATH=lo:hi` or `PATH=lo..hi` -> (path, (lo, hi)).
    The path may itself hold '=' and ',' inside brackets. Raises ValueError."""
    depth, cut = 0, -1
    for i, ch in enumerate(item):
        depth += ch == "["
        depth -= ch == "]"
        if ch == "=" and depth == 0:
            cut = i
            break
    if cut <= 0:
        raise ValueError(f"--vary {item!r}: expected PATH=v1,v2,... or PATH=low:high")
    path, spec = item[:cut].strip(), item[cut + 1:].strip()
    if not spec:
        raise ValueError(f"--vary {item!r}: no values after '='")
    if ".." in spec:
        lo, _, hi = spec.partition("..")
        return path, (lo.strip(), hi.strip())
    m = re.fullmatch(rf"\s*({_NUM})\s*:\s*({_NUM})\s*", spec)
    if m:
        return path, (m.group(1), m.group(2))
    values = [v.strip() for v in spec.split(",")]
    if any(not v for v in values):
        raise ValueError(f"--vary {item!r}: an empty value in the list")
    return path, values


# ============================================================================ the base scenario
@dataclass
class Base:
    """What every run starts from: the scenario file (text and hash), the map, the scenario
    with places resolved, and its model_dump() that paths are applied to."""

    file: str
    text: str
    sha256: str
    theatre: Theatre
    scenario: Scenario
    data: dict[str, Any]
    max_days: float | None = None  # longest scenario a run may last (None: no cap)

    @classmethod
    def load(cls, file: str, text: str, max_days: float | None = None) -> Base:
        """Parse and resolve the scenario once. `max_days`: the duration cap (default
        sim.scenario.MAX_DAYS), for the base and for every run that changes its dates."""
        from sim.scenario import MAX_DAYS, parse_scenario, resolve_places
        from sim.theatre import build_theatre

        max_days = MAX_DAYS if max_days is None else max_days
        theatre = build_theatre()
        scenario, root = parse_scenario(text, file, max_days=max_days)
        scenario = resolve_places(scenario, theatre, file, root)
        return cls(file, text, hashlib.sha256(text.encode("utf-8")).hexdigest(), theatre,
                   scenario, scenario.model_dump(), max_days)

    def current(self, path: str) -> Any:
        """The value a path names in the base (the effective value for a parameter)."""
        name = parameter_name(path)
        if name is not None:
            return getattr(self.scenario.parameters_with(), name)
        if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", path) and path not in self.data:
            close = difflib.get_close_matches(path, [*Parameters.model_fields, *self.data], n=3)
            hint = f" (did you mean {', '.join(close)}?)" if close else ""
            raise PathError(path, f"no model parameter or scenario field of that name{hint}; "
                            "`python run.py params` lists the parameters")
        container, key = locate(self.data, path)
        return container[key]

    def materialise(self, overrides: dict[str, Any]) -> tuple[Scenario, Parameters]:
        """The scenario and parameters of one run. Raises PathError, ValidationError or
        ScenarioError."""
        from sim.scenario import Scenario, check_duration, check_references, resolve_places

        params: dict[str, Any] = {}
        data = None
        for path, value in overrides.items():
            name = parameter_name(path)
            if name is not None:
                params[name] = value
                continue
            if data is None:
                data = copy.deepcopy(self.data)
            container, key = locate(data, path)
            container[key] = value
        scenario = self.scenario
        if data is not None:
            scenario = Scenario.model_validate(data)
            check_references(scenario, self.file, None)
            check_duration(scenario, self.file, None, self.max_days)
            scenario = resolve_places(scenario, self.theatre, self.file, None)
        return scenario, scenario.parameters_with(params)


def _validation_message(e: Exception) -> str:
    from pydantic import ValidationError

    from sim.scenario import ScenarioError

    if isinstance(e, ValidationError):
        err = e.errors()[0]
        loc = ".".join(str(x) for x in err["loc"])
        return f"{loc}: {err['msg'].removeprefix('Value error, ')}" if loc else err["msg"]
    if isinstance(e, ScenarioError):
        return f"{e.path}: {e.message}" if e.path else e.message
    return str(e)


# ============================================================================ the sweep spec
@dataclass
class SweepSpec:
    """Everything that defines a sweep's runs (not how they are executed)."""

    scenario: str
    axes: list[Axis] = field(default_factory=list)
    fixed: dict[str, Any] = field(default_factory=dict)
    sample: str = "grid"
    samples: int = 0
    seeds: int = 1
    first_seed: int = 0
    design_seed: int = 0

    def fingerprint(self, scenario_sha: str) -> str:
        blob = json.dumps({"scenario": scenario_sha, "axes": [asdict(a) for a in self.axes],
                           "fixed": self.fixed, "sample": self.sample, "samples": self.samples,
                           "seeds": self.seeds, "first_seed": self.first_seed,
                           "design_seed": self.design_seed}, sort_keys=True, default=str)
        return hashlib.sha256(blob.encode()).hexdigest()[:8]


def make_axis(base: Base, path: str, spec: list[Any] | tuple[Any, Any], origin: str) -> Axis:
    """An axis checked against the base scenario: the path exists, and every listed value (or
    both ends of a range) is valid on its own. Raises UsageError naming `origin`."""
    try:
        like = base.current(path)
    except PathError as e:
        raise _usage(f"{origin}: {e}") from None
    kind = _kind_of(like)
    try:
        if isinstance(spec, tuple):
            if kind not in ("int", "float", "datetime"):
                raise ValueError(f"{path}: a range needs a number or a date, but the value it "
                                 f"replaces is {like!r}; list the values instead")
            low, high = (coerce(x, kind, path) for x in spec)
            axis = Axis(path, kind, low=low, high=high)
            lo, hi = axis.bounds()
            if not lo < hi:
                raise ValueError(f"{path}: the range must go from low to high, got "
                                 f"{low}..{high}")
            checks = [low, high]
        else:
            values = tuple(coerce(x, kind, path) for x in spec)
            if len(set(map(str, values))) != len(values):
                raise ValueError(f"{path}: a value is listed twice")
            axis, checks = Axis(path, kind, values=values), list(values)
    except ValueError as e:
        raise _usage(f"{origin}: {e}") from None
    for v in checks:
        try:
            base.materialise({path: v})
        except Exception as e:  # any rejection of the value is bad input
            raise _usage(f"{origin}: {path}={v}: {_validation_message(e)}") from None
    return axis


def _unit_sample(sample: str, n: int, d: int, seed: int) -> np.ndarray:
    """An (m, d) design in the unit cube: m = n, or n * (d + 2) for Sobol (Saltelli scheme
    without second-order terms)."""
    if sample == "random":
        return np.random.default_rng(seed).random((n, d))
    if sample == "lhs":
        from scipy.stats import qmc

        return qmc.LatinHypercube(d=d, seed=seed).random(n)
    if sample == "sobol":
        try:
            from SALib.sample import sobol as sobol_sample
        except ImportError:
            raise _usage("--sample sobol needs SALib: pip install -e '.[sweep]'") from None
        problem = {"num_vars": d, "names": [f"x{i}" for i in range(d)], "bounds": [[0, 1]] * d}
        return np.asarray(sobol_sample.sample(problem, n, calc_second_order=False, seed=seed))
    raise ValueError(sample)


@dataclass(frozen=True)
class RunTask:
    """One run: its key, where it sits in the design, its overrides and seed."""

    key: str
    set_index: int
    sample_index: int | None
    seed: int
    overrides: dict[str, Any]


def run_key(scenario_sha: str, overrides: dict[str, Any], seed: int) -> str:
    """Deterministic run id: scenario file bytes + parameter set + seed."""
    blob = json.dumps({"scenario": scenario_sha, "overrides": overrides, "seed": seed},
                      sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def design(spec: SweepSpec) -> list[tuple[int | None, dict[str, Any]]]:
    """The parameter sets, in order: (sample index, {path: value}). Grid axes crossed, range
    axes sampled, the two crossed; fixed values added to every set."""
    grid = [a for a in spec.axes if not a.is_range]
    ranges = [a for a in spec.axes if a.is_range]
    points = list(itertools.product(*(a.values for a in grid)))
    samples: list[tuple[int | None, dict[str, Any]]] = [(None, {})]
    if ranges:
        u = _unit_sample(spec.sample, spec.samples, len(ranges), spec.design_seed)
        samples = [(j, {a.path: a.at(float(row[i])) for i, a in enumerate(ranges)})
                   for j, row in enumerate(u)]
    sets = []
    for point in points:
        for j, sampled in samples:
            sets.append((j, {**spec.fixed, **dict(zip((a.path for a in grid), point, strict=True)),
                             **sampled}))
    return sets


def plan(spec: SweepSpec, scenario_sha: str) -> list[RunTask]:
    """Every run of the sweep, in design order (parameter set, then seed)."""
    tasks = []
    for i, (j, overrides) in enumerate(design(spec)):
        for s in range(spec.first_seed, spec.first_seed + spec.seeds):
            tasks.append(RunTask(run_key(scenario_sha, overrides, s), i, j, s, overrides))
    return tasks


# ============================================================================ one run (worker side)
_STATE: dict[tuple[str, float | None], Base] = {}
_STATE_LOCK = threading.Lock()


def _base_for(text: str, file: str, max_days: float | None = None) -> Base:
    """The per-process base, built once (Dask workers have no initializer: built on first use)."""
    key = (hashlib.sha256(text.encode("utf-8")).hexdigest(), max_days)
    with _STATE_LOCK:
        if key not in _STATE:
            _STATE[key] = Base.load(file, text, max_days)
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


def _init_worker(text: str, file: str, max_days: float | None = None,
                 parent: int | None = None) -> None:
    """Process pool initializer: a watchdog on the sweep's process (POSIX), then build the map
    and parse the scenario once per worker."""
    if parent is not None and os.name == "posix":
        threading.Thread(target=_watch_parent, args=(parent,), daemon=True,
                         name="sweep-watchdog").start()
    try:
        _base_for(text, file, max_days)
    except Exception:  # a failure here shows again, per run, in run_one
        pass


def simulate(scenario: Scenario, theatre: Theatre, params: Parameters, seed: int) -> RunRecord:
    """One headless run (a seam for tests)."""
    from sim.model import CampaignModel

    return CampaignModel(scenario, theatre, params, seed=seed).run()  # run() releases it


def _hours(start: datetime, iso: str) -> float:
    return round((datetime.fromisoformat(iso) - start).total_seconds() / 3600, 3)


def key_places(scenario: Scenario) -> list[str]:
    """Places named in the history block, in order of first mention."""
    return list(dict.fromkeys(o.place for o in scenario.history if o.place))


def outcomes(record: RunRecord, scenario: Scenario) -> dict[str, Any]:
    """The outcome columns of one run:
    - changed_h.<place>: hours from the start to the first change of hands of each place named
      in the history block (empty if it never changed), and holder_end.<place>;
    - area_km2_UA@<date>, area_taken_km2_<side>@<date>: at the last hour of each day;
    - personnel_start_<side> (in the field at the start, as in summary.json) and
      personnel_end_<side> (active units at the end);
    - lost_<item>_<side> (destroyed, abandoned or surrendered) and captured_<item>_by_<side>;
    - fidelity: sim.history's score against the history block (0-100)."""
    from sim.combat import ITEMS
    from sim.history import compare
    from sim.scenario import SIDES

    out: dict[str, Any] = {}
    first: dict[str, float] = {}
    for ch in record.control_changes:
        first.setdefault(ch["node_id"], _hours(record.start, ch["time"]))
    for p in key_places(scenario):
        out[f"changed_h.{p}"] = first.get(p)
    for p in key_places(scenario):
        out[f"holder_end.{p}"] = record.holder(p, record.hours)
    series = record.series()
    last_of_day: dict[str, int] = {}
    for k, t in enumerate(record.times):
        last_of_day[t.date().isoformat()] = k
    for name in ("area_km2_UA", "area_taken_km2_UA", "area_taken_km2_RU"):
        for day, k in last_of_day.items():
            out[f"{name}@{day}"] = round(float(series[name][k]), 1)
    for s in SIDES:
        out[f"personnel_start_{s}"] = int(series[f"personnel_{s}"][0])  # in the field at hour 0
        out[f"personnel_end_{s}"] = int(series[f"personnel_{s}"][-1])
    for s, v in record.losses_by_side().items():
        for item, n in v["lost"].items():
            out[f"lost_{item}_{s}"] = int(n)
    for s in SIDES:
        for item in ITEMS[1:]:
            out[f"captured_{item}_by_{s}"] = int(series[f"captured_{item}_by_{s}"][-1])
    out["bridges_destroyed"] = len({e["target"] for e in record.events
                                    if e["kind"] == "bridge_destroyed"})
    out["fidelity"] = float(compare(record, scenario).score)
    return out


def run_one(task: RunTask, text: str, file: str, max_days: float | None = None,
            ) -> dict[str, Any]:
    """Run one task; never raises: a failure is a row with status 'failed' and the error."""
    t0 = time.perf_counter()
    row: dict[str, Any] = {"run_key": task.key, "status": "ok", "error": "",
                           "set_index": task.set_index, "sample_index": task.sample_index,
                           "seed": task.seed, **task.overrides}
    try:
        base = _base_for(text, file, max_days)
        scenario, params = base.materialise(task.overrides)
        record = simulate(scenario, base.theatre, params, task.seed)
        row.update(outcomes(record, scenario))
    except Exception as e:  # recorded, the sweep goes on
        row.update(failed_fields(e))
    row["runtime_s"] = round(time.perf_counter() - t0, 3)
    return row


def failed_fields(e: BaseException) -> dict[str, str]:
    msg = _validation_message(e) if type(e).__name__ in ("ValidationError", "ScenarioError") \
        else str(e)
    first_line = (msg.strip().splitlines() or [""])[0]
    return {"status": "failed", "error": f"{type(e).__name__}: {first_line}"[:500],
            "traceback": "".join(traceback.format_exception(e))[-4000:]}


# ============================================================================ progress
class Progress:
    """Runs done, rate and time left, on stderr: one line redrawn with \\r on a terminal,
    a line every `every_s` seconds (and at the end) otherwise."""

    def __init__(self, total: int, done: int, stream: Any = None, every_s: float = 10.0):
        self.total, self.done, self.failed = total, done, 0
        self.start_done, self.t0 = done, time.monotonic()
        self.stream = stream if stream is not None else sys.stderr
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.every_s, self.last = every_s, 0.0

    def text(self) -> str:
        elapsed = time.monotonic() - self.t0
        new = self.done - self.start_done
        rate = new / elapsed if elapsed > 0 else 0.0
        left = (self.total - self.done) / rate if rate > 0 else float("nan")
        pct = 100.0 * self.done / self.total if self.total else 100.0
        fail = f", {self.failed} failed" if self.failed else ""
        return (f"sweep: {self.done}/{self.total} runs ({pct:.0f} %{fail})  "
                f"{rate:.2f} runs/s  elapsed {_clock(elapsed)}  left {_clock(left)}")

    def update(self, failed: bool = False, force: bool = False) -> None:
        self.done += 1
        self.failed += failed
        self.show(force)

    def show(self, force: bool = False) -> None:
        now = time.monotonic()
        if self.tty:
            self.stream.write("\r" + self.text().ljust(79))
            self.stream.flush()
        elif force or now - self.last >= self.every_s or self.done == self.total:
            self.stream.write(self.text() + "\n")
            self.stream.flush()
            self.last = now

    def close(self) -> None:
        if self.tty:
            self.stream.write("\n")
            self.stream.flush()


def _clock(seconds: float) -> str:
    if not math.isfinite(seconds):
        return "?"
    s = int(round(seconds))
    return f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}" if s >= 3600 else \
        f"{s // 60}:{s % 60:02d}"


# ============================================================================ executors
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


def process_pool(workers: int, text: str, file: str, max_days: float | None = None) -> Pool:
    ctx = mp.get_context(start_method())
    if ctx.get_start_method() == "forkserver":
        ctx.set_forkserver_preload(["sim.sweep", "sim.model", "sim.history"])
    ex = ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=_init_worker,
                             initargs=(text, file, max_days, os.getpid()))
    return Pool(ex, workers, lambda: ex.shutdown(wait=False, cancel_futures=True),
                f"{workers} worker process{'es' if workers > 1 else ''} ({ctx.get_start_method()})")


def dask_pool(address: str) -> Pool:
    try:
        from distributed import Client
    except ImportError:
        raise _usage("--scheduler needs Dask: pip install -e '.[sweep]'") from None
    try:
        client = Client(address, timeout="10s")
    except (OSError, TimeoutError, ValueError) as e:
        raise _usage(f"--scheduler {address}: cannot connect ({e})") from None
    threads = sum(client.nthreads().values()) or 1
    ex = client.get_executor(pure=False)

    def close() -> None:
        ex.shutdown(wait=False)
        client.close()

    return Pool(ex, threads, close, f"Dask scheduler {address} ({threads} threads)")


# ============================================================================ the sweep
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
        out.append({"id": p, "name": base.theatre.graph.nodes[p]["name"],
                    "start_holder": start,
                    "history_date": first.isoformat(timespec="minutes") if first else None,
                    "history_until": until.isoformat(timespec="minutes") if until else None})
    return out


def sweep_meta(spec: SweepSpec, base: Base, tasks: list[RunTask]) -> dict[str, Any]:
    """sweep.json: the design, the scenario's hash, and what `compare` needs."""
    ends = [datetime.fromisoformat(t.overrides["end"]).isoformat(timespec="minutes")
            for t in tasks if "end" in t.overrides]
    return {
        "scenario": spec.scenario, "scenario_id": base.scenario.id,
        "scenario_sha256": base.sha256, "title": base.scenario.title,
        "start": base.scenario.start.isoformat(timespec="minutes"),
        "end": max([base.scenario.end.isoformat(timespec="minutes")] if not ends else ends),
        "axes": [asdict(a) for a in spec.axes], "fixed": spec.fixed,
        "sample": spec.sample, "samples": spec.samples, "seeds": spec.seeds,
        "first_seed": spec.first_seed, "design_seed": spec.design_seed,
        "parameter_sets": len({t.set_index for t in tasks}), "runs": len(tasks),
        "places": places_meta(base),
        "history_area": [{"date": o.date.isoformat(timespec="minutes"), "side": o.side,
                          "area_km2": o.area_km2, "relation": o.relation}
                         for o in base.scenario.history if o.area_km2 is not None],
    }


def parameter_kinds(spec: SweepSpec) -> dict[str, str]:
    """Path -> kind of every fixed or varied value, in the table's order."""
    kinds = {p: _kind_of(v) for p, v in spec.fixed.items()}
    kinds.update({a.path: a.kind for a in spec.axes})
    return kinds


def _previous_scenario(out: Path) -> str | None:
    """The scenario hash an existing sweep.json names (None if there is none, or it is
    unreadable: the journal's run keys then tell whether the folder is another sweep's)."""
    try:
        prev = json.loads((out / META).read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return None
    value = prev.get("scenario_sha256") if isinstance(prev, dict) else None
    return value if isinstance(value, str) else None


def run_sweep(spec: SweepSpec, base: Base, out: Path, *, workers: int = 1,
              scheduler: str | None = None, csv: bool = False, retry_failed: bool = False,
              progress: Any = None, stop_after: int | None = None,
              on_start: Callable[[], None] | None = None) -> SweepResult:
    """Run every planned run not yet in OUT/journal.jsonl, then write the table.
    `on_start` is called once the folder is locked and checked, before the first run.

    The folder is locked while the sweep runs: a second sweep into it is refused (UsageError).
    A folder whose journal holds runs this design does not include (another design, another
    version of the scenario file) is refused too: its table would silently lose them. A
    design that extends the folder's (more seeds, more values) reuses every run there.

    `stop_after` (for tests) stops taking results after that many runs, as a kill would: the
    journal holds them, no table is written.
    """
    out.mkdir(parents=True, exist_ok=True)
    lock = FolderLock(out)
    if not lock.acquire():
        raise _usage(f"--out {out}: another sweep is running in this folder (process "
                     f"{lock.holder()}); wait for it to finish, or choose another --out")
    try:
        return _run_locked(spec, base, out, workers, scheduler, csv, retry_failed, progress,
                           stop_after, on_start)
    finally:
        lock.release()


def _run_locked(spec: SweepSpec, base: Base, out: Path, workers: int, scheduler: str | None,
                csv: bool, retry_failed: bool, progress: Any, stop_after: int | None,
                on_start: Callable[[], None] | None) -> SweepResult:
    prev = _previous_scenario(out)
    if prev and prev != base.sha256:
        raise _usage(f"--out {out}: holds a sweep of another version of the scenario file; "
                     "choose another --out (runs are keyed by the file's content)")
    tasks = plan(spec, base.sha256)
    planned = {t.key for t in tasks}
    journal_path = out / JOURNAL
    repair_journal(journal_path)
    journal = read_journal(journal_path)
    foreign = sorted(k for k in journal if k not in planned)
    if foreign:
        raise _usage(f"--out {out}: holds {len(foreign)} run{'s' if len(foreign) > 1 else ''} "
                     f"of another sweep design (e.g. {foreign[0]}) that this sweep does not "
                     "include, and its table would lose them; choose another --out (a design "
                     "that extends the folder's, with more seeds or values, may share it)")
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
    if stop_after is not None and ran >= stop_after and \
            sum(t.key in journal for t in tasks) < len(tasks):
        return SweepResult(out, len(tasks), ran, 0, [], False)
    rows = table_rows(journal, tasks)
    paths = write_table(rows, TableSchema.of(parameter_kinds(spec), rows), out, csv)
    failed = sum(r.get("status") == "failed" for r in rows)
    return SweepResult(out, len(tasks), ran, failed, paths, len(rows) == len(tasks))


def _execute(todo: deque[RunTask], base: Base, journal_path: Path,
             journal: dict[str, dict[str, Any]], workers: int, scheduler: str | None,
             bar: Any, stop_after: int | None) -> int:
    """Feed the executor, keeping 2 runs per slot in flight; journal each result as it comes.

    A worker process that dies (segfault, out of memory) breaks a process pool: the pool is
    rebuilt and the runs that were in flight are retried one at a time, so that the run that
    kills its worker is found and recorded as failed without failing the others."""
    new_pool = (lambda: dask_pool(scheduler)) if scheduler else \
        (lambda: process_pool(workers, base.text, base.file, base.max_days))
    pool = new_pool()
    print(f"sweep: running on {pool.kind}", file=sys.stderr)
    suspects: deque[RunTask] = deque()
    inflight: dict[Future, RunTask] = {}
    ran = 0
    with journal_path.open("a", encoding="utf-8") as jf:

        def record(row: dict[str, Any]) -> None:
            nonlocal ran
            jf.write(journal_line(row))
            jf.flush()
            os.fsync(jf.fileno())
            journal[row["run_key"]] = row
            ran += 1
            bar.update(failed=row.get("status") == "failed")

        try:
            while todo or suspects or inflight:
                limit = 1 if suspects else pool.slots * 2
                source = suspects if suspects else todo
                while source and len(inflight) < limit:
                    t = source.popleft()
                    inflight[pool.executor.submit(run_one, t, base.text, base.file,
                                                  base.max_days)] = t
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
                        row = {"run_key": t.key, "set_index": t.set_index,
                               "sample_index": t.sample_index, "seed": t.seed,
                               **t.overrides, **failed_fields(e)}
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
                        record({"run_key": t.key, "set_index": t.set_index,
                                "sample_index": t.sample_index, "seed": t.seed, **t.overrides,
                                "status": "failed",
                                "error": "worker process died during this run"})
                    else:
                        suspects.extend(sorted(broken, key=lambda x: x.key))
                    pool = new_pool()
        except KeyboardInterrupt:
            for f in inflight:
                f.cancel()
            bar.close()
            print(f"sweep: interrupted; {len(journal)} runs are in {journal_path}; the same "
                  "command resumes", file=sys.stderr)
            raise
        finally:
            pool.close()
    return ran


# ============================================================================ command line
SWEEP_FILE_KEYS = {"scenario", "vary", "set", "sample", "samples", "seeds", "first_seed",
                   "design_seed", "out"}


def _days(text: str) -> float:
    from sim.cli import _days as days

    return days(text)


def _folder_arg(text: str) -> Path:
    from sim.cli import _folder

    return _folder(text)


def _parser() -> argparse.ArgumentParser:
    from sim.cli import Parser, seed_value

    ap = Parser(prog="run.py sweep", description="Run many variants of a scenario "
                 "(docs/sweeps.md).")
    ap.add_argument("scenario", nargs="?", help="scenario YAML (or give scenario: in --file)")
    ap.add_argument("--vary", action="append", default=[], metavar="PATH=VALUES",
                    help="vary a parameter or scenario value: PATH=v1,v2,... (grid) or "
                         "PATH=low:high / low..high (range, sampled); repeatable")
    ap.add_argument("--set", dest="fixed", action="append", default=[], metavar="PATH=VALUE",
                    help="fix a value for every run (same paths as --vary); repeatable")
    ap.add_argument("--file", type=Path, help="sweep file (YAML): scenario, vary, set, sample, "
                    "samples, seeds...; command-line options win")
    ap.add_argument("--sample", choices=SAMPLERS, default=None,
                    help="how ranges are sampled (default lhs; sobol for Sobol indices)")
    ap.add_argument("--samples", type=int, default=None,
                    help="number of sampled points (default 16; for sobol, a power of 2 and "
                         "the sweep has N*(D+2) sets for D ranges)")
    ap.add_argument("--seeds", type=int, default=None, help="seeds per parameter set (default 1)")
    ap.add_argument("--first-seed", type=seed_value, default=None,
                    help="first seed (default 0)")
    ap.add_argument("--design-seed", type=seed_value, default=None,
                    help="seed of the random/LHS/Sobol design (default 0)")
    ap.add_argument("--workers", type=int, default=None,
                    help="worker processes (default: the number of cores)")
    ap.add_argument("--scheduler", metavar="ADDRESS",
                    help="run on a Dask cluster, e.g. tcp://10.0.0.5:8786 (instead of a pool)")
    ap.add_argument("--out", type=_folder_arg, help="output folder (default runs/sweeps/<scenario>-"
                    "<hash of the sweep> under the current folder); rerun with the same folder "
                    "to resume")
    ap.add_argument("--csv", action="store_true", help="also write runs.csv")
    ap.add_argument("--retry-failed", action="store_true",
                    help="run again the runs recorded as failed")
    ap.add_argument("--dry-run", action="store_true",
                    help="print the parameter sets and run count, run nothing")
    ap.add_argument("--max-runs", type=int, default=MAX_RUNS, metavar="N",
                    help=f"most runs accepted (default {MAX_RUNS:,}); raise it knowingly")
    ap.add_argument("--max-days", type=_days, default=None, metavar="DAYS",
                    help="longest scenario a run may last (default 120 days: a run keeps "
                         "every hour in memory); raise it knowingly")
    return ap


def _read_sweep_file(path: Path) -> dict[str, Any]:
    try:
        text = read_text(path, MAX_YAML_BYTES, "sweep file (YAML)")
    except FileProblem as e:
        raise _usage(f"--file {e}") from None
    try:
        data = yaml_loader("safe").load(text)
        count_values(data)
    except TooManyValues as e:
        raise _usage(f"{path}: YAML: {e}") from None
    except Exception as e:  # ruamel's errors, and values Python cannot hold
        raise _usage(str(yaml_problem(path, e))) from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise _usage(f"{path}: expected a mapping with keys {', '.join(sorted(SWEEP_FILE_KEYS))}")
    unknown = sorted(set(map(str, data)) - SWEEP_FILE_KEYS)
    if unknown:
        raise _usage(f"{path}: unknown key {unknown[0][:40]!r} (expected one of "
                     f"{', '.join(sorted(SWEEP_FILE_KEYS))})")
    for key in ("vary", "set"):
        if key in data and not isinstance(data[key] or {}, dict):
            raise _usage(f"{path}: {key}: expected a mapping of path: values")
    for key in ("scenario", "out"):
        if key in data and not (isinstance(data[key], str) and data[key].strip()):
            raise _usage(f"{path}: {key}: expected a file path")
    if "sample" in data and not isinstance(data["sample"], str):
        raise _usage(f"{path}: sample: expected one of {', '.join(SAMPLERS)}")
    return data


def _yaml_axis(path: str, spec: Any, file: Path) -> list[Any] | tuple[Any, Any]:
    def plain(v: Any) -> Any:
        return v.isoformat(timespec="minutes") if isinstance(v, datetime) else v

    if isinstance(spec, list):
        if not spec:
            raise _usage(f"{file}: vary.{path}: an empty list")
        return [plain(v) for v in spec]
    if isinstance(spec, dict):
        if set(spec) != {"low", "high"}:
            raise _usage(f"{file}: vary.{path}: a range is {{low: ..., high: ...}}")
        return plain(spec["low"]), plain(spec["high"])
    if isinstance(spec, str):
        try:
            return parse_vary(f"x={spec}")[1]
        except ValueError:
            raise _usage(f"{file}: vary.{path}: expected a list, low:high or "
                         "{low: ..., high: ...}") from None
    return [plain(spec)]


def spec_from_args(args: argparse.Namespace) -> tuple[SweepSpec, Base, Path | None]:
    """Read the command line and the sweep file into a checked SweepSpec."""
    from sim.scenario import read_scenario_text

    file = _read_sweep_file(args.file) if args.file else {}
    scenario = args.scenario
    if scenario is None and "scenario" in file:
        scenario = os.path.normpath(args.file.parent / str(file["scenario"]))
    if scenario is None:
        raise _usage("sweep: give a scenario file (python run.py sweep SCENARIO.yaml ...) or "
                     "scenario: in the --file")
    path = Path(scenario)
    base = Base.load(str(path), read_scenario_text(path), max_days=args.max_days)

    specs: dict[str, tuple[str, list[Any] | tuple[Any, Any]]] = {}
    for p, v in (file.get("vary") or {}).items():
        specs[str(p)] = (f"{args.file}: vary.{p}", _yaml_axis(str(p), v, args.file))
    for item in args.vary:
        try:
            p, v = parse_vary(item)
        except ValueError as e:
            raise _usage(str(e)) from None
        specs[p] = (f"--vary {item}", v)
    axes = [make_axis(base, p, v, origin) for p, (origin, v) in specs.items()]

    fixed_in: dict[str, tuple[str, Any]] = {}
    for p, v in (file.get("set") or {}).items():
        v = v.isoformat(timespec="minutes") if isinstance(v, datetime) else v
        fixed_in[str(p)] = (f"{args.file}: set.{p}", v)
    for item in args.fixed:
        p, eq, v = item.partition("=")
        if not eq or not p.strip():
            raise _usage(f"--set {item!r}: expected PATH=VALUE")
        fixed_in[p.strip()] = (f"--set {item}", v.strip())
    fixed: dict[str, Any] = {}
    for p, (origin, v) in fixed_in.items():
        if p in specs:
            raise _usage(f"{origin}: {p} is also varied")
        fixed[p] = make_axis(base, p, [v], origin).values[0]
    if fixed:
        try:
            base.materialise(fixed)
        except Exception as e:
            raise _usage(f"--set: {_validation_message(e)}") from None

    def opt(name: str, default: Any) -> Any:
        v = getattr(args, name)
        return v if v is not None else file.get(name, default)

    ranges = [a for a in axes if a.is_range]
    sample = opt("sample", "lhs" if ranges else "grid")
    if sample not in SAMPLERS:
        raise _usage(f"{args.file}: sample: expected one of {', '.join(SAMPLERS)}")
    if ranges and sample == "grid":
        raise _usage(f"{ranges[0].path} is a range: sample it with --sample random, lhs or "
                     "sobol, or list values for a grid")
    if sample != "grid" and not ranges:
        raise _usage(f"--sample {sample}: no range to sample; give one with --vary PATH=low:high")
    samples = opt("samples", (8 if sample == "sobol" else 16) if ranges else 0)
    seeds, first_seed, design_seed = opt("seeds", 1), opt("first_seed", 0), opt("design_seed", 0)
    for name, v, least in (("--samples", samples, 1 if ranges else 0), ("--seeds", seeds, 1),
                           ("--first-seed", first_seed, 0), ("--design-seed", design_seed, 0)):
        if not isinstance(v, int) or isinstance(v, bool) or v < least:
            raise _usage(f"{name}: expected a whole number >= {least}, got {v!r}")
    if sample == "sobol" and samples & (samples - 1):
        raise _usage(f"--samples {samples}: Sobol sampling needs a power of 2 (8, 16, 32...)")
    if first_seed + seeds - 1 > MAX_SEED:
        raise _usage(f"--first-seed {first_seed} --seeds {seeds}: seeds go up to {MAX_SEED}")
    if design_seed > MAX_SEED:
        raise _usage(f"--design-seed {design_seed}: expected a whole number from 0 to "
                     f"{MAX_SEED}")
    out = args.out or (Path(os.path.normpath(args.file.parent / str(file["out"])))
                       if file.get("out") else None)
    spec = SweepSpec(str(path), axes, fixed, sample, samples if ranges else 0, seeds,
                     first_seed, design_seed)
    runs = design_size(spec) * seeds
    if runs > args.max_runs:
        raise _usage(f"the sweep has {runs:,} runs ({design_size(spec):,} parameter set(s) x "
                     f"{seeds:,} seed(s)); the limit is {args.max_runs:,}: shrink the design, or "
                     "lift the limit knowingly with --max-runs")
    return spec, base, out


def design_size(spec: SweepSpec) -> int:
    """How many parameter sets `design(spec)` gives, computed without building them."""
    grid = math.prod(len(a.values) for a in spec.axes if not a.is_range)
    ranges = sum(a.is_range for a in spec.axes)
    if not ranges:
        return grid
    return grid * (spec.samples * (ranges + 2) if spec.sample == "sobol" else spec.samples)


def main(argv: list[str]) -> int:
    """`python run.py sweep ...` (see the module docstring and docs/sweeps.md)."""
    args = _parser().parse_args(argv)
    if args.workers is not None and not 1 <= args.workers <= MAX_WORKERS:
        raise _usage(f"--workers {args.workers}: expected 1 to {MAX_WORKERS}")
    if args.max_runs < 1:
        raise _usage(f"--max-runs {args.max_runs}: expected 1 or more")
    if args.workers is not None and args.scheduler:
        raise _usage("--workers and --scheduler exclude each other (the cluster has its own)")
    spec, base, out = spec_from_args(args)
    out = out or Path("runs") / "sweeps" / f"{base.scenario.id}-{spec.fingerprint(base.sha256)}"
    tasks = plan(spec, base.sha256)
    sets = len({t.set_index for t in tasks})

    def announce() -> None:
        print(f"sweep: {base.scenario.title}", file=sys.stderr)
        print(f"sweep: {sets} parameter set{'s' if sets > 1 else ''} x {spec.seeds} "
              f"seed{'s' if spec.seeds > 1 else ''} = {len(tasks)} runs -> {out}",
              file=sys.stderr)

    if args.dry_run:
        announce()
        for i, (_, overrides) in enumerate(design(spec)):
            print(f"{i:4d}  " + "  ".join(f"{k}={v}" for k, v in overrides.items()))
        return 0
    workers = args.workers or (len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
                               else os.cpu_count() or 1)
    result = run_sweep(spec, base, out, workers=workers, scheduler=args.scheduler, csv=args.csv,
                       retry_failed=args.retry_failed, on_start=announce)
    print(f"sweep: {result.ran} run{'s' if result.ran != 1 else ''} done now, {result.total} in "
          f"the table, {result.failed} failed; wrote "
          f"{', '.join(str(p) for p in result.table)}", file=sys.stderr)
    print(f"compare: python run.py compare {out}", file=sys.stderr)
    return 0


def compare_main(argv: list[str]) -> int:
    """`python run.py compare RESULTS` (sim/sweep_compare.py)."""
    from sim.sweep_compare import main as compare

    return compare(argv)
