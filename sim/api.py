"""The simulator from Python: for notebooks and scripts (examples/notebook.ipynb).

    from sim import api

    sept = api.load_scenario("scenarios/izium_2022_09.yaml")
    run = api.run(sept, seed=3, parameters={"capture_ratio": 2.0})
    run.timeseries()          # one row per hour: area, settlements, strength by side
    run.control_changes()     # who took which place when
    run.events()              # bridges, surrenders, routs, captions...
    run.summary()             # the outcome as one row (summary.json, flattened)
    run.history()             # the run against the record, one row per observation
    run.save("runs/mine")     # the run folder the command line writes
    run.to_html("mine.html")  # the replay as one page (docs/viewer.md)

    lesson = api.branch("examples/lessons/sep_2_rail_bridge_cut.yaml")
    lesson.differences        # the two futures compared, in words
    lesson.places()           # when each key place changes hands in each future

    table = api.sweep(sept, vary={"capture_ratio": [1.2, 1.5, 2.0]}, seeds=2)

Everything returns plain values or pandas DataFrames; nothing prints. The command line goes
through the same functions (`run.py SCENARIO.yaml` through `simulate`, `run.py html` through
`branch` and `Branch.to_html`). Bad input raises the project's own errors, as the command line
reports them: `ScenarioError` for a scenario or branch file (file, line, field), `ValueError`
for a parameter or a value to vary, `FileProblem` for a damaged run folder.

pandas, mesa and the model are imported on first use, so that `import sim.api` is quick.
"""

from __future__ import annotations

import functools
import os
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sim.model.params import RETIRED, Parameters, retired_warning
from sim.scenario import Scenario
from sim.scenario import load_scenario as _load

if TYPE_CHECKING:
    import pandas as pd

    from sim.map.theatre import Theatre
    from sim.model import CampaignModel
    from sim.runs.history import Comparison
    from sim.runs.record import RunRecord
    from sim.whatif.futures import Futures

__all__ = [
    "Branch",
    "Run",
    "branch",
    "load_scenario",
    "parameter_set",
    "run",
    "simulate",
    "sweep",
    "theatre",
    "theatre_of",
]


@functools.cache
def theatre() -> Theatre:
    """The base map (built once per process, and kept on disk between processes:
    sim/disk_cache.py)."""
    from sim.map.theatre import build_theatre

    return build_theatre()


def theatre_of(scenario: Scenario) -> Theatre:
    """A scenario's own map: the base map with the places the scenario adds (``places:``),
    built once and kept (sim/scenario/theatre.py)."""
    from sim.scenario.theatre import theatre_for

    return theatre_for(scenario, theatre())


def load_scenario(path: str | os.PathLike[str]) -> Scenario:
    """A scenario file read and checked against its own map (raises ScenarioError: every
    problem with its line)."""
    return _load(Path(path), theatre())


def _scenario(scenario: Scenario | str | os.PathLike[str]) -> Scenario:
    return scenario if isinstance(scenario, Scenario) else load_scenario(scenario)


def parameter_set(scenario: Scenario, changes: Mapping[str, Any] | None = None) -> Parameters:
    """The scenario's parameters with `changes` ({name: value}); raises ValueError naming a
    parameter that does not exist or a value out of its range (`python run.py params`)."""
    from pydantic import ValidationError

    unknown = [k for k in (changes or {}) if k not in Parameters.model_fields]
    if unknown:
        name = unknown[0]
        why = retired_warning(name) if name in RETIRED else "no such model parameter"
        raise ValueError(f"{name}: {why} (python run.py params lists them)")
    try:
        return scenario.parameters_with(dict(changes or {}))
    except ValidationError as e:
        err = e.errors()[0]
        name = ".".join(str(x) for x in err["loc"])
        raise ValueError(f"{name}: {err['msg'].removeprefix('Value error, ')}") from None


# ---------------------------------------------------------------------------------- one run
@dataclass
class Run:
    """A finished run: its scenario, parameters and seed, and the record it left
    (sim/runs/record.py). The tables are built from the record when asked for."""

    scenario: Scenario
    params: Parameters
    seed: int
    record: RunRecord
    on_map: Theatre = field(repr=False)  # the map it ran on (the scenario's own)
    model: CampaignModel | None = field(default=None, repr=False)  # the model, when kept
    #: the hash of the scenario file's text when it ran from a file (summary.json's, as the
    #: command line writes it: a run is known by its file's content)
    scenario_sha256: str | None = field(default=None, repr=False)

    @functools.cached_property
    def comparison(self) -> Comparison:
        """The run against the scenario's `history:` block (sim/runs/history.py)."""
        from sim.runs.history import compare

        return compare(self.record, self.scenario, self.on_map)

    @property
    def fidelity(self) -> float:
        """The share of the history checks the run meets, 0-100 (docs/history.md)."""
        return float(self.comparison.score)

    def timeseries(self) -> pd.DataFrame:
        """One row per hour, indexed by time: the columns of timeseries.csv (area and
        settlements held and taken, equipment, captured items, prisoners, units by side)."""
        import pandas as pd

        series = self.record.series()
        frame = pd.DataFrame(series)
        frame["time"] = pd.to_datetime(frame["time"])
        return frame.set_index("time")

    def control_changes(self) -> pd.DataFrame:
        """One row per change of hands: time, node_id, name, lat, lon, from_side, to_side,
        rule (the rule that gave the place to its new holder)."""
        import pandas as pd

        cols = ["time", "node_id", "name", "lat", "lon", "from_side", "to_side", "rule"]
        frame = pd.DataFrame(self.record.control_changes, columns=cols)
        frame["time"] = pd.to_datetime(frame["time"])
        return frame

    def events(self) -> pd.DataFrame:
        """One row per event (the columns of events.csv): captions, places taken, bridges,
        withdrawals, routs, surrenders, arrivals..."""
        import pandas as pd

        from sim.runs.report import EVENT_FIELDS

        frame = pd.DataFrame(self.record.events, columns=EVENT_FIELDS)
        frame["time"] = pd.to_datetime(frame["time"])
        return frame

    def summary_dict(self) -> dict[str, Any]:
        """summary.json as a dict: the run's identity and its outcome."""
        from sim.runs.report import summary_json

        return summary_json(self.record)

    def summary(self) -> pd.DataFrame:
        """summary.json as one row, nested fields flattened with dots
        (`final.area_km2_UA`, `personnel.RU.end`...), plus the fidelity score."""
        import pandas as pd

        flat = pd.json_normalize({**self.summary_dict(), "fidelity": self.fidelity})
        return flat

    def history(self) -> pd.DataFrame:
        """The run against the record, one row per observation (history_comparison.csv):
        date, kind, place, the observed holder or figure, when the run matched it, the
        error in days, whether it counts as met."""
        from dataclasses import asdict

        import pandas as pd

        return pd.DataFrame([asdict(r) for r in self.comparison.rows])

    def save(self, out: str | os.PathLike[str], compare: bool = True) -> list[Path]:
        """Write the run folder the command line writes (summary.json, timeseries.csv,
        control_changes.csv, events.csv, frames.json.gz and, with `compare`,
        history_comparison.csv); `python run.py view OUT` replays it. Returns the paths. As
        the command line does, the folder is claimed (sim/runs/folders.py: no other kind of
        output there, no links where the files go, one writer at a time) and the files are
        put in place together (a failure keeps the run there before). Raises FileProblem."""
        from sim.runs.folders import claim
        from sim.runs.history import comparison_csv
        from sim.runs.report import RUN_FILES, write_run

        path = Path(out)
        lock = claim(path, "run", RUN_FILES, option="out")
        try:
            csv = comparison_csv(self.comparison) if compare else None
            return write_run(self.record, path, csv, self.scenario_sha256)
        finally:
            lock.release()

    def replay(self):
        """The run as the viewers play it (sim/view/replay.py), with the history comparison."""
        from sim.view.replay import Replay

        return Replay.from_run(self.record, self.on_map, self.scenario, self.comparison)

    def to_html(self, path: str | os.PathLike[str]) -> Path:
        """The replay as one self-contained page (sim/web/, docs/viewer.md)."""
        from sim.web import export_replay

        return export_replay(self.replay(), Path(path))


def simulate(
    scenario: Scenario,
    params: Parameters,
    seed: int = 0,
    *,
    keep_model: bool = False,
    on_map: Theatre | None = None,
) -> Run:
    """Run `scenario` with `params` and `seed` to its end (on the map `on_map`, by default
    the scenario's own: `theatre_of`). `keep_model` keeps the model in the result (what
    became of each side's plan: sim/runs/plan_report.py reads it). The command line's replay runs
    through here."""
    from sim.model import CampaignModel

    where = on_map or theatre_of(scenario)
    model = CampaignModel(scenario, where, params, seed=seed)
    record = model.run()
    return Run(scenario, params, seed, record, where, model if keep_model else None)


def run(
    scenario: Scenario | str | os.PathLike[str],
    seed: int = 0,
    parameters: Mapping[str, Any] | None = None,
) -> Run:
    """Run a scenario (a `Scenario` or its file) with a seed and parameter changes
    ({name: value}, as `--set name=value`: `python run.py params` lists them)."""
    s = _scenario(scenario)
    result = simulate(s, parameter_set(s, parameters), seed)
    if not isinstance(scenario, Scenario):  # a file: the run is known by its text
        from sim.runs.report import text_sha256
        from sim.scenario import read_scenario_text

        result.scenario_sha256 = text_sha256(read_scenario_text(Path(scenario)))
    return result


# ---------------------------------------------------------------------------------- a branch
@dataclass
class Branch:
    """A what-if: the base run and the branch, from the branch hour, compared
    (sim/whatif/futures.py)."""

    title: str
    question: str
    context: str
    source: str
    hour: int
    when: datetime
    changes: list[str]  # what was changed, in words
    base: Run
    branch: Run
    futures: Futures
    file: str = ""

    @property
    def differences(self) -> list[str]:
        """Every difference between the two futures to the end, in words."""
        return self.futures.lines()

    def places(self) -> pd.DataFrame:
        """The key places: who held each at the branch hour, when it changes hands after it in
        the base and in the branch, and the record's date."""
        import pandas as pd

        rows = [
            {
                "place": p.node,
                "name": p.name,
                "holder_at_branch": p.holder,
                "base": p.base,
                "branch": p.branch,
                "record": p.record,
                "differs": p.differs,
            }
            for p in self.futures.places
        ]
        return pd.DataFrame(rows)

    def to_html(self, path: str | os.PathLike[str], answer: str = "") -> Path:
        """Both futures as one self-contained page (sim/web/). `answer`: a text to show as
        the model's answer (a lesson's, from docs/lessons.md, by default)."""
        from sim.web import export_branch

        return export_branch(self, Path(path), answer=answer)


def branch(
    file_or_scenario: str | os.PathLike[str] | Scenario,
    *,
    at: datetime | str | None = None,
    changes: Sequence[Mapping[str, Any]] = (),
    seed: int | None = None,
    parameters: Mapping[str, Any] | None = None,
    title: str = "",
) -> Branch:
    """A what-if: from a branch file (`examples/lessons/*.yaml`, docs/lessons.md), or from a
    scenario file with `at` (the branch time) and `changes` written as a branch file's
    entries, e.g. `[{"save_bridge": "kupiansk_road_bridge"}]`. `seed` replaces the file's."""
    from sim.whatif.branch_file import load_branch
    from sim.whatif.branch_file import simulate as simulate_branch
    from sim.whatif.futures import compare_futures

    th = theatre()
    path = Path(file_or_scenario) if not isinstance(file_or_scenario, Scenario) else None
    from_file = path is not None and at is None and not changes
    if from_file:
        assert path is not None  # (from_file)
        b = load_branch(path, th)
    else:
        text = _branch_text(file_or_scenario, at, changes, parameters, title)
        with tempfile.TemporaryDirectory(prefix="izium-branch-") as folder:
            written = Path(folder) / "branch.yaml"
            written.write_text(text, encoding="utf-8")
            b = load_branch(written, th)
    if seed is not None:
        import dataclasses

        b = dataclasses.replace(b, spec=b.spec.model_copy(update={"seed": seed}))
    base, alt, texts = simulate_branch(b)
    futures = compare_futures(base, alt, b.scenario, b.hour, b.theatre)
    s = b.scenario
    return Branch(
        title=b.spec.title,
        question=b.spec.question,
        context=b.spec.context,
        source=b.spec.source,
        hour=b.hour,
        when=b.when,
        changes=texts,
        base=Run(s, b.params, b.spec.seed, base, b.theatre),
        branch=Run(s, b.params, b.spec.seed, alt, b.theatre),
        futures=futures,
        file=str(path) if from_file else "",
    )


def _branch_text(
    scenario: str | os.PathLike[str] | Scenario,
    at: datetime | str | None,
    changes: Sequence[Mapping[str, Any]],
    parameters: Mapping[str, Any] | None,
    title: str,
) -> str:
    """A branch file's text for `branch`'s arguments (so that they are checked exactly as a
    file's are: sim/whatif/branch_file.py)."""
    import io

    from ruamel.yaml import YAML

    if isinstance(scenario, Scenario):
        raise ValueError("give the scenario's file (a branch is run from its file), not a Scenario")
    if at is None or not changes:
        raise ValueError("a branch from a scenario needs at= (the branch time) and changes=")
    when = at if isinstance(at, str) else at.strftime("%Y-%m-%dT%H:%M")
    data = {
        "title": title or "What if?",
        "scenario": str(Path(scenario).resolve()),
        "at": when,
        "parameters": dict(parameters or {}),
        "changes": [dict(c) for c in changes],
    }
    y = YAML(typ="safe", pure=True)
    y.default_flow_style = False
    buf = io.StringIO()
    y.dump(data, buf)
    return buf.getvalue()


# ---------------------------------------------------------------------------------- a sweep
def sweep(
    scenario: str | os.PathLike[str],
    vary: Mapping[str, Sequence[Any]],
    seeds: int = 1,
    first_seed: int = 0,
    workers: int = 1,
) -> pd.DataFrame:
    """A small sweep, in this process (or `workers` processes): every combination of the
    values in `vary` ({path: [values]}, the paths of `run.py sweep --vary`, e.g.
    `capture_ratio` or `units[ua_25_abn].equipment.personnel`) on seeds first_seed ..
    first_seed + seeds - 1. One row per run, with the outcome columns of a sweep's table
    (docs/sweeps.md); nothing is written. For many runs, a cluster, or a sweep that resumes
    after an interruption, use `python run.py sweep`."""
    import pandas as pd

    from sim.sweep.base import Base
    from sim.sweep.runner import run_one
    from sim.sweep.spec import SweepError, SweepSpec, make_axis, plan

    file = str(scenario)
    text = Path(file).read_text(encoding="utf-8")
    base = Base.load(file, text)
    if not 1 <= seeds <= 1000:
        raise ValueError(f"seeds={seeds}: expected 1 to 1000")
    try:
        axes = [
            make_axis(base, path, list(values), f"vary {path}") for path, values in vary.items()
        ]
    except SweepError as e:
        raise ValueError(str(e)) from None
    spec = SweepSpec(scenario=file, axes=axes, seeds=seeds, first_seed=first_seed)
    tasks = plan(spec, base.sha256)
    if workers > 1:
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(workers) as pool:
            rows = list(pool.map(run_one, tasks, [text] * len(tasks), [file] * len(tasks)))
    else:
        rows = [run_one(t, text, file) for t in tasks]
    for r in rows:
        for k in ("worker_pid", "worker_rss_mib", "worker_peak_mib", "runtime_s"):
            r.pop(k, None)
    return pd.DataFrame(rows)
