#!/usr/bin/env python3
"""The long fuzz of issue #16: hostile input never crashes, hangs or escapes.

    python benchmarks/fuzz_hostile.py [--cases 10000] [--seed 0] [--only CATEGORY]
        [--timeout 60] [--keep DIR]

Runs generated cases (tests/hostile.py, the same generators as tests/test_hostile.py) in this
process, each under an alarm (a case that takes longer than --timeout seconds is a hang) and
an address-space limit of 4 GiB (a case that exhausts it is a crash), and counts per category:
cases, accepted (loaded, ran, drawn, exit 0), refused (ScenarioError, FileProblem, exit 2),
crashes (any other exception: a traceback), hangs, and the slowest case. Categories:

- scenario_toy: the small test scenario mangled (tests/hostile.mutate_yaml), loaded on a toy
  map, and run for its day when accepted;
- scenario_real: the September scenario cut to 12 hours, mangled, loaded on the real map and
  run when accepted;
- scenario_values: September with values moved to extremes the schema accepts (holdings at
  0 or their bound, units and depots anywhere, orders and events at any time, a run of 1-48
  hours), run through the model;
- parameters: the same 12 hours with up to ten parameters at or near their bounds;
- cli: command lines with mangled values (sim.cli.main in this process, from a scratch folder);
  exit codes must be 0 or 2, every stderr line an `error:` line, every summary.json strict JSON,
  and nothing may appear in the repository or beside the scratch folder;
- frames, comparison: a saved run's frames.json.gz and history_comparison.csv mangled, read
  back and drawn;
- journal: a sweep journal mangled, read and turned into a typed table;
- sweep_files: sweep.json, runs.parquet or the journal mangled, then `compare --no-plots`;
- folders: a replay, branch, view, validate, sweep or compare meeting a hostile cache folder
  (entries damaged, swapped for a FIFO, a pickle that runs code, a link, one others may write;
  the folder writable by all, or a file), an output folder with symbolic links where its files
  go, and a hostile branch file (tests/hostile.folder_case: no code from the cache may run,
  nothing may be written through a link, exit codes 0 or 2).

Exit code 1 if any case crashed or hung (each is printed with its traceback and saved under
--keep). The targets: zero crashes, zero hangs.
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import io
import json
import os
import random
import resource
import shutil
import signal
import sys
import tempfile
import time
import traceback
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))
os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("MPLBACKEND", "Agg")

from hostile import (  # noqa: E402
    TINY_SWEEP,
    cli_argv,
    extreme_parameter,
    folder_case,
    json_bytes,
    mutate_bytes,
    mutate_json,
    mutate_scenario_values,
    mutate_yaml,
)
from test_scenario import VALID  # noqa: E402
from toy import toy_theatre  # noqa: E402

from sim import sweep  # noqa: E402
from sim.cli import main as cli  # noqa: E402
from sim.map.theatre import build_theatre  # noqa: E402
from sim.model import CampaignModel  # noqa: E402
from sim.model.params import Parameters  # noqa: E402
from sim.runs.report import read_comparison, summary_json  # noqa: E402
from sim.safe_io import FileProblem  # noqa: E402
from sim.scenario import ScenarioError, load_scenario, parse_scenario, resolve_places  # noqa: E402
from sim.sweep.store import (  # noqa: E402
    JOURNAL,
    META,
    TableSchema,
    read_journal,
    table_rows,
    write_table,  # noqa: E402
)

SEPT = REPO / "scenarios" / "izium_2022_09.yaml"
SHORT_TEXT = SEPT.read_text(encoding="utf-8").replace(
    "end: 2022-09-17T00:00:00", "end: 2022-09-06T06:00:00"
)
WEIGHTS = {
    "scenario_toy": 0.22,
    "scenario_real": 0.1,
    "scenario_values": 0.06,
    "parameters": 0.05,
    "cli": 0.19,
    "frames": 0.13,
    "comparison": 0.05,
    "journal": 0.12,
    "sweep_files": 0.08,
    "folders": 0.1,
}
MEMORY_LIMIT = 4 * 1024**3


class Hang(Exception):
    """A case ran past the timeout."""


class Refused(Exception):
    """The input was refused cleanly (a one-line error, exit code 2)."""


def _alarm(signum, frame):
    raise Hang


class World:
    """What the cases start from: the maps, the short scenario, a saved run, a tiny sweep."""

    def __init__(self, scratch: Path):
        self.scratch = scratch
        self.theatre = build_theatre()
        self.toy = toy_theatre(
            {"a": (0, 0), "b": (10, 0), "c": (20, 0)},
            [("a", "b", 10, "local", "br"), ("b", "c", 10, "local")],
        )
        self.short = scratch / "izium_2022_09.yaml"
        self.short.write_text(SHORT_TEXT, encoding="utf-8")
        self.scenario = load_scenario(self.short, self.theatre)
        self.sept = load_scenario(SEPT, self.theatre)
        self.data = self.sept.model_dump()
        self.run = scratch / "run"
        with contextlib.redirect_stdout(io.StringIO()):
            assert (
                cli.main([str(self.short), "--headless", "--compare", "--out", str(self.run)]) == 0
            )
        with gzip.open(self.run / "frames.json.gz", "rt", encoding="utf-8") as f:
            self.frames = json.load(f)
        self.sweep = scratch / "sweep"
        with contextlib.redirect_stderr(io.StringIO()):
            assert cli.main(["sweep", str(self.short), *TINY_SWEEP, "--out", str(self.sweep)]) == 0
        self.base = sweep.Base.load(str(self.short), self.short.read_text(encoding="utf-8"))
        self.spec = sweep.SweepSpec(
            str(self.short),
            [sweep.make_axis(self.base, "capture_ratio", ["1.2", "2"], "t")],
            seeds=2,
        )
        self.tasks = sweep.plan(self.spec, self.base.sha256)
        self.watched = {p: set(os.listdir(p)) for p in (REPO, REPO / "scenarios", scratch.parent)}


# ------------------------------------------------------------------------------ the cases
def case_scenario_toy(w: World, rnd: random.Random) -> str:
    text = mutate_yaml(VALID, rnd)
    try:
        scenario, root = parse_scenario(text, "fuzz.yaml")
        scenario = resolve_places(scenario, w.toy, "fuzz.yaml", root)
    except ScenarioError as e:
        assert all(p.file == "fuzz.yaml" for p in e.problems)
        raise Refused from None
    CampaignModel(scenario, w.toy, seed=rnd.randrange(2**32)).run()
    return text


def case_scenario_real(w: World, rnd: random.Random) -> str:
    text = mutate_yaml(SHORT_TEXT, rnd)
    try:
        scenario, root = parse_scenario(text, "fuzz.yaml")
        scenario = resolve_places(scenario, w.theatre, "fuzz.yaml", root)
    except ScenarioError as e:
        assert all(p.file == "fuzz.yaml" for p in e.problems)
        raise Refused from None
    record = CampaignModel(scenario, w.theatre, seed=rnd.randrange(2**32)).run()
    json.dumps(summary_json(record), allow_nan=False)
    return text


def case_scenario_values(w: World, rnd: random.Random) -> str:
    from sim.scenario import Scenario, check_references

    data = mutate_scenario_values(w.data, w.theatre.node_ids, rnd)
    try:
        scenario = Scenario.model_validate(data)
        check_references(scenario, "fuzz", None)
        scenario = resolve_places(scenario, w.theatre, "fuzz", None)
    except (ValueError, ScenarioError):  # pydantic's ValidationError is a ValueError
        raise Refused from None
    record = CampaignModel(scenario, w.theatre, seed=rnd.randrange(2**32)).run()
    json.dumps(summary_json(record), allow_nan=False)
    return ""


def case_parameters(w: World, rnd: random.Random) -> str:
    names = rnd.sample(list(Parameters.model_fields), rnd.randint(1, 10))
    values = {n: extreme_parameter(rnd, n) for n in names}
    record = CampaignModel(
        w.scenario, w.theatre, w.scenario.parameters_with(values), seed=rnd.randrange(2**32)
    ).run()
    json.dumps(summary_json(record), allow_nan=False)
    return json.dumps(values)


def _strict_json(path: Path) -> None:
    def no_constant(name):
        raise AssertionError(f"{path}: {name} is not JSON")

    json.loads(path.read_text(encoding="utf-8"), parse_constant=no_constant)


def case_cli(w: World, rnd: random.Random) -> str:
    with tempfile.TemporaryDirectory(dir=w.scratch) as tmp:
        shutil.copytree(w.run, Path(tmp) / "other")
        argv = cli_argv(rnd, str(w.short), tmp)
        cwd = os.getcwd()
        os.chdir(tmp)
        out, err = io.StringIO(), io.StringIO()
        try:
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                try:
                    code = cli.main(argv)
                except SystemExit as e:
                    code = e.code
        finally:
            os.chdir(cwd)
        errors = err.getvalue()
        assert code in (0, 2), f"exit code {code}"
        assert "Traceback" not in errors, errors
        if code == 2:
            bad = [ln for ln in errors.splitlines() if not ln.startswith(("error: ", "sweep: "))]
            assert not bad, errors
        for path in Path(tmp).rglob("*.json"):
            if path.is_file():
                _strict_json(path)
        for folder, before in w.watched.items():
            new = set(os.listdir(folder)) - before
            assert not new, f"written outside the output folder: {folder}: {sorted(new)}"
        if code == 2:
            raise Refused
    return json.dumps(argv)


def case_frames(w: World, rnd: random.Random) -> str:
    from sim.view.app import render_frame
    from sim.view.replay import Replay

    with tempfile.TemporaryDirectory(dir=w.scratch) as tmp:
        folder = Path(tmp)
        if rnd.random() < 0.7:
            data = gzip.compress(json_bytes(mutate_json(w.frames, rnd)), mtime=0)
        else:
            data = mutate_bytes((w.run / "frames.json.gz").read_bytes(), rnd)
        (folder / "frames.json.gz").write_bytes(data)
        if rnd.random() < 0.5:
            raw = (w.run / "history_comparison.csv").read_bytes()
            (folder / "history_comparison.csv").write_bytes(mutate_bytes(raw, rnd))
        try:
            replay = Replay.load(folder, w.theatre, w.sept)
        except FileProblem:
            raise Refused from None
        render_frame(replay, rnd.uniform(0, replay.hours), (320, 240))
    return ""


def case_comparison(w: World, rnd: random.Random) -> str:
    from sim.view.replay import _marks_from_comparison

    with tempfile.TemporaryDirectory(dir=w.scratch) as tmp:
        path = Path(tmp) / "history_comparison.csv"
        path.write_bytes(mutate_bytes((w.run / "history_comparison.csv").read_bytes(), rnd))
        try:
            rows = read_comparison(path)
        except FileProblem:
            raise Refused from None
        _marks_from_comparison(rows, w.theatre)
    return ""


def case_journal(w: World, rnd: random.Random) -> str:
    lines = (w.sweep / JOURNAL).read_text(encoding="utf-8").splitlines()
    out = []
    for line in lines:
        r = json.loads(line)
        x = rnd.random()
        if x < 0.5:
            out.append(json_bytes(mutate_json(r, rnd)) + b"\n")
        elif x < 0.65:
            out.append(mutate_bytes(json_bytes(r), rnd) + b"\n")
        else:
            out.append(json_bytes(r) + b"\n")
    rnd.shuffle(out)
    with tempfile.TemporaryDirectory(dir=w.scratch) as tmp:
        folder = Path(tmp)
        (folder / JOURNAL).write_bytes(b"".join(out))
        journal = read_journal(folder / JOURNAL, warn=lambda _: None)
        rows = table_rows(journal, w.tasks)
        write_table(rows, TableSchema.of(sweep.parameter_kinds(w.spec), rows), folder, True)
    return ""


def case_sweep_files(w: World, rnd: random.Random) -> str:
    meta = json.loads((w.sweep / META).read_text(encoding="utf-8"))
    with tempfile.TemporaryDirectory(dir=w.scratch) as tmp:
        folder = Path(tmp) / "s"
        shutil.copytree(w.sweep, folder)
        if rnd.random() < 0.6:
            (folder / META).write_bytes(json_bytes(mutate_json(meta, rnd)))
        else:
            table = folder / rnd.choice(["runs.parquet", JOURNAL])
            table.write_bytes(mutate_bytes(table.read_bytes(), rnd))
            if table.name == JOURNAL:
                (folder / "runs.parquet").unlink()
        with (
            contextlib.redirect_stdout(io.StringIO()),
            contextlib.redirect_stderr(io.StringIO()) as err,
        ):
            code = cli.main(["compare", str(folder), "--no-plots"])
        assert code in (0, 2) and "Traceback" not in err.getvalue()
        if code == 2:
            raise Refused
    return ""


def case_folders(w: World, rnd: random.Random) -> str:
    from sim.disk_cache import cache_dir

    good = cache_dir()
    assert good is not None
    with tempfile.TemporaryDirectory(dir=w.scratch) as tmp:
        if folder_case(rnd, Path(tmp), w.short, good) == 2:
            raise Refused
    return ""


CASES: dict[str, Callable[[World, random.Random], str]] = {
    "scenario_toy": case_scenario_toy,
    "scenario_real": case_scenario_real,
    "scenario_values": case_scenario_values,
    "parameters": case_parameters,
    "cli": case_cli,
    "frames": case_frames,
    "comparison": case_comparison,
    "journal": case_journal,
    "sweep_files": case_sweep_files,
    "folders": case_folders,
}


# ------------------------------------------------------------------------------ the loop
def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", type=int, default=10_000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--only", choices=sorted(CASES), action="append")
    ap.add_argument("--timeout", type=float, default=60.0, help="seconds before a case hangs")
    ap.add_argument(
        "--keep",
        type=Path,
        default=Path(tempfile.gettempdir()) / "fuzz_failures",
        help="where failing cases are saved",
    )
    args = ap.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, hard))
    signal.signal(signal.SIGALRM, _alarm)
    names = args.only or list(CASES)
    weights = [WEIGHTS[n] for n in names]
    stats: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    failures = 0
    t_start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="fuzz_hostile_") as tmp:
        scratch = Path(tmp) / "scratch"
        scratch.mkdir()
        cache = Path(tmp) / "cache"  # a disk cache of its own (sim/disk_cache.py), filled
        cache.mkdir(mode=0o700)  # by the World: the folders cases copy and damage it
        os.environ["IZIUM_SIM_CACHE"] = str(cache)
        print("fuzz: preparing a saved run and a small sweep...", file=sys.stderr)
        world = World(scratch)
        pick = random.Random(args.seed)
        for i in range(args.cases):
            name = pick.choices(names, weights)[0]
            rnd = random.Random(f"{args.seed}-{i}")
            s = stats[name]
            s["cases"] += 1
            t0 = time.perf_counter()
            signal.setitimer(signal.ITIMER_REAL, args.timeout)
            detail, outcome = "", "accepted"
            try:
                detail = CASES[name](world, rnd)
            except Refused:
                outcome = "refused"
            except Hang:
                outcome = "hangs"
            except BaseException as e:  # noqa: BLE001 - every other exception is a crash
                if isinstance(e, KeyboardInterrupt):
                    raise
                outcome = "crashes"
                detail = traceback.format_exc()
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
            dt = time.perf_counter() - t0
            s[outcome] += 1
            s["time"] += dt
            s["slowest"] = max(s["slowest"], dt)
            if outcome in ("crashes", "hangs"):
                failures += 1
                args.keep.mkdir(parents=True, exist_ok=True)
                where = args.keep / f"{name}-{args.seed}-{i}.txt"
                where.write_text(
                    f"case {i} of {name} (seed {args.seed}): {outcome}\n{detail}", encoding="utf-8"
                )
                print(
                    f"fuzz: case {i} ({name}) {outcome}; saved {where}\n{detail[-1500:]}",
                    file=sys.stderr,
                )
            if (i + 1) % 500 == 0:
                print(
                    f"fuzz: {i + 1}/{args.cases} cases, {failures} failures, "
                    f"{time.perf_counter() - t_start:.0f} s",
                    file=sys.stderr,
                )
    total = time.perf_counter() - t_start
    print(
        f"\n{'category':<14}{'cases':>7}{'accepted':>10}{'refused':>9}{'crashes':>9}"
        f"{'hangs':>7}{'mean s':>8}{'slowest s':>11}"
    )
    for name in names:
        s = stats[name]
        if not s["cases"]:
            continue
        print(
            f"{name:<14}{s['cases']:>7.0f}{s['accepted']:>10.0f}{s['refused']:>9.0f}"
            f"{s['crashes']:>9.0f}{s['hangs']:>7.0f}{s['time'] / s['cases']:>8.3f}"
            f"{s['slowest']:>11.2f}"
        )
    all_cases = sum(s["cases"] for s in stats.values())
    print(
        f"{'all':<14}{all_cases:>7.0f}{sum(s['accepted'] for s in stats.values()):>10.0f}"
        f"{sum(s['refused'] for s in stats.values()):>9.0f}"
        f"{sum(s['crashes'] for s in stats.values()):>9.0f}"
        f"{sum(s['hangs'] for s in stats.values()):>7.0f}"
        f"{total / max(all_cases, 1):>8.3f}{max(s['slowest'] for s in stats.values()):>11.2f}"
    )
    print(
        f"\n{all_cases} cases in {total:.0f} s; peak RSS "
        f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB; "
        f"targets: 0 crashes, 0 hangs: {'met' if not failures else 'NOT met'}"
    )
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
