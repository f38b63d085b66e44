"""A sweep's design: what is varied (axes of values or ranges), how ranges are sampled, and the
runs that follow, each with its key.

Grid axes (lists of values) are crossed; range axes are sampled (random, Latin hypercube or
SALib's Sobol sequence) and crossed with the grid; every parameter set is run with seeds
first_seed .. first_seed+K-1 (the same seeds for every set: common random numbers). A run's key
is a hash of the scenario file's bytes, its parameter set and its seed: the journal and the
table know runs by it.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, cast

from sim.numbers import number_value
from sim.sweep.base import validation_message
from sim.sweep.paths import PathError

if TYPE_CHECKING:
    import numpy as np

    from sim.sweep.base import Base

SAMPLERS = ("grid", "random", "lhs", "sobol")
#: Most values one --vary (or vary: entry) may list. Each is checked before anything runs, a
#: scenario value by validating the whole scenario with it (about 5 ms): 40,000 listed values
#: took 223 s before --dry-run printed anything. A range, sampled, covers more.
MAX_AXIS_VALUES = 1000


class SweepError(Exception):
    """A sweep that cannot be designed, run or compared as asked (a value outside its
    parameter's range, a folder that is not a sweep's or is in use, a missing extra). The
    command line reports it in one line, exit code 2 (sim/cli/main.py)."""


#: Significant digits kept of a sampled float (enough for any parameter; short in the table).
SAMPLE_DIGITS = 6


# ============================================================================ values and axes
def scalar_value(text: object) -> object:
    """A command-line or YAML value as what it reads as: int, float, true/false, or the text
    itself (a value that is not text is returned as it is)."""
    if not isinstance(text, str):
        return text
    t = text.strip()
    if t.lower() in ("true", "false"):
        return t.lower() == "true"
    number = number_value(t)  # ASCII digits only: "1_5" or an Arabic-Indic 1 stay text
    return t if number is None else number


def kind_of(like: Any) -> str:
    """The kind of a value a path names (int, float, bool, datetime, str; "any" for others):
    what the values that replace it are read as."""
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
    v = scalar_value(value)
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
        expected = {
            "bool": "true or false",
            "int": "a whole number",
            "float": "a finite number",
            "datetime": "a date and time like 2022-09-07T06:00",
            "str": "text",
        }[kind]
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


_NUM = r"[-+]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?"  # ASCII digits only


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
    path, spec = item[:cut].strip(), item[cut + 1 :].strip()
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
        blob = json.dumps(
            {
                "scenario": scenario_sha,
                "axes": [asdict(a) for a in self.axes],
                "fixed": self.fixed,
                "sample": self.sample,
                "samples": self.samples,
                "seeds": self.seeds,
                "first_seed": self.first_seed,
                "design_seed": self.design_seed,
            },
            sort_keys=True,
            default=str,
        )
        return hashlib.sha256(blob.encode()).hexdigest()[:8]


def make_axis(
    base: Base, path: str, spec: list[Any] | tuple[Any, Any], origin: str | Callable[[], str]
) -> Axis:
    """An axis checked against the base scenario: the path exists, and every listed value (or
    both ends of a range) is valid on its own. Raises SweepError naming `origin` (a callable:
    worked out only then, as a sweep file's line is)."""
    said = origin if isinstance(origin, str) else None

    def where() -> str:
        return said if said is not None else cast(Callable[[], str], origin)()

    if not isinstance(spec, tuple) and len(spec) > MAX_AXIS_VALUES:
        raise SweepError(
            f"{where()}: {len(spec):,} values listed; at most {MAX_AXIS_VALUES:,} (each is "
            "checked against the scenario before anything runs): sample a range instead, "
            f"PATH=low:high with --samples N"
        )

    try:
        like = base.current(path)
    except PathError as e:
        raise SweepError(f"{where()}: {e}") from None
    kind = kind_of(like)
    try:
        if isinstance(spec, tuple):
            if kind not in ("int", "float", "datetime"):
                raise ValueError(
                    f"{path}: a range needs a number or a date, but the value it "
                    f"replaces is {like!r}; list the values instead"
                )
            low, high = (coerce(x, kind, path) for x in spec)
            axis = Axis(path, kind, low=low, high=high)
            lo, hi = axis.bounds()
            if not lo < hi:
                raise ValueError(f"{path}: the range must go from low to high, got {low}..{high}")
            checks = [low, high]
        else:
            values = tuple(coerce(x, kind, path) for x in spec)
            if len(set(map(str, values))) != len(values):
                raise ValueError(f"{path}: a value is listed twice")
            axis, checks = Axis(path, kind, values=values), list(values)
    except ValueError as e:
        raise SweepError(f"{where()}: {e}") from None
    for v in checks:
        try:
            base.materialise({path: v})
        except Exception as e:  # any rejection of the value is bad input
            raise SweepError(f"{where()}: {path}={v}: {validation_message(e)}") from None
    return axis


def _unit_sample(sample: str, n: int, d: int, seed: int) -> np.ndarray:
    """An (m, d) design in the unit cube: m = n, or n * (d + 2) for Sobol (Saltelli scheme
    without second-order terms)."""
    import numpy as np  # here, not at the top: a grid sweep and the command line need none

    if sample == "random":
        return np.random.default_rng(seed).random((n, d))
    if sample == "lhs":
        from scipy.stats import qmc

        return qmc.LatinHypercube(d=d, seed=seed).random(n)
    if sample == "sobol":
        try:
            from SALib.sample import sobol as sobol_sample
        except ImportError:
            raise SweepError("--sample sobol needs SALib: pip install -e '.[sweep]'") from None
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
    blob = json.dumps(
        {"scenario": scenario_sha, "overrides": overrides, "seed": seed},
        sort_keys=True,
        separators=(",", ":"),
    )
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
        samples = [
            (j, {a.path: a.at(float(row[i])) for i, a in enumerate(ranges)})
            for j, row in enumerate(u)
        ]
    sets = []
    for point in points:
        for j, sampled in samples:
            sets.append(
                (
                    j,
                    {
                        **spec.fixed,
                        **dict(zip((a.path for a in grid), point, strict=True)),
                        **sampled,
                    },
                )
            )
    return sets


def plan(spec: SweepSpec, scenario_sha: str) -> list[RunTask]:
    """Every run of the sweep, in design order (parameter set, then seed)."""
    tasks = []
    for i, (j, overrides) in enumerate(design(spec)):
        for s in range(spec.first_seed, spec.first_seed + spec.seeds):
            tasks.append(RunTask(run_key(scenario_sha, overrides, s), i, j, s, overrides))
    return tasks


def design_size(spec: SweepSpec) -> int:
    """How many parameter sets `design(spec)` gives, computed without building them."""
    grid = math.prod(len(a.values) for a in spec.axes if not a.is_range)
    ranges = sum(a.is_range for a in spec.axes)
    if not ranges:
        return grid
    return grid * (spec.samples * (ranges + 2) if spec.sample == "sobol" else spec.samples)
