"""Parameter sweeps: many runs of one scenario with some values varied, on an Executor
(docs/sweeps.md).

    python run.py sweep SCENARIO.yaml --vary capture_ratio=1.2,1.5,2.0 --seeds 4
    python run.py compare runs/sweeps/<name>

The package, along its seams:
- `paths`: the path language that names what is varied (`capture_ratio`,
  `units[ua_25_abn].equipment.personnel`, `events[kind=destroy_bridge,...].probability`);
- `base`: the scenario every run starts from, and one run's values applied to it;
- `spec`: the design: axes, samplers (grid, random, Latin hypercube, Sobol), the runs and
  their keys;
- `outcomes`: the columns one run adds to the table (from sim/runs/summary.py);
- `runner`: the runs on a process pool or a Dask cluster, journaled as they finish, then the
  table; `progress`: the progress line;
- `store`: the sweep folder's files (journal, sweep.json, table, lock), each writer with its
  reader;
- `compare` and `plots`: a sweep's outcomes by parameter value, sensitivity, and the plots;
- `cli`: the `sweep` and `compare` command lines.

The names below are the package's public interface. Those of `runner` (which imports the
model's summary code and numpy) are loaded on first use, so that `run.py sweep --help` and a
mistyped option start fast.
"""

from __future__ import annotations

import importlib
from typing import Any

from sim.sweep.base import Base, validation_message
from sim.sweep.paths import PathError, locate, parameter_name, parse_path
from sim.sweep.progress import Progress
from sim.sweep.spec import (
    SAMPLERS,
    Axis,
    RunTask,
    SweepSpec,
    coerce,
    design,
    design_size,
    kind_of,
    make_axis,
    parse_vary,
    plan,
    run_key,
)
from sim.sweep.store import JOURNAL, META

_RUNNER_NAMES = (
    "SweepResult",
    "parameter_kinds",
    "places_meta",
    "run_one",
    "run_sweep",
    "simulate",
    "start_method",
    "sweep_meta",
)

__all__ = [
    "JOURNAL",
    "META",
    "SAMPLERS",
    "Axis",
    "Base",
    "PathError",
    "Progress",
    "RunTask",
    "SweepResult",
    "SweepSpec",
    "coerce",
    "design",
    "design_size",
    "kind_of",
    "locate",
    "make_axis",
    "parameter_kinds",
    "parameter_name",
    "parse_path",
    "parse_vary",
    "places_meta",
    "plan",
    "run_key",
    "run_one",
    "run_sweep",
    "simulate",
    "start_method",
    "sweep_meta",
    "validation_message",
]


def __getattr__(name: str) -> Any:
    """The runner's names, imported on first use (PEP 562)."""
    if name in _RUNNER_NAMES:
        return getattr(importlib.import_module("sim.sweep.runner"), name)
    raise AttributeError(f"module 'sim.sweep' has no attribute {name!r}")
