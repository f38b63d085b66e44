#!/usr/bin/env python3
"""The calibration search and its leave-one-out, re-runnable: fit and prediction apart.

    python benchmarks/calibrate.py [SCENARIO ...] [--seeds 3] [--vary NAME=V1,V2,...]
                                   [--workers 1] [--cache PATH] [--passes 2]

For every operation given (default: every shipped one) and every seed, each run is scored
(sim/runs/history.py) and its skill taken over the null run of the defaults, the same seed:
(fidelity - null) / (100 - null). A **coordinate search** then walks the constants in the order
given: for each, every listed value is tried with the others where the search stands, and the
best mean skill (mean over the operations of the mean over the seeds) is kept, a tie keeping
the value it had; a pass that changes nothing ends it (at most `--passes`). The search is run
once on all the operations ("fit") and once on each set that leaves one out; the left-out
operation's score with the constants tuned without it is its **prediction**. The defaults of
the model are not changed by this script: it measures how much of a score is fit.

Every run is appended to the cache (JSON lines, `--cache`, default
runs/calibrate_cache.jsonl) the moment it finishes, and a run already there is never run again:
a search stopped half-way keeps what it ran, and running it again resumes it (the cache is
keyed by the model's source (sim/), the scenario file, the seed and the values, so a run of
an edited model or scenario is never taken for another's).

The default constants and values are those docs/calibration.md lists as searched; `--vary`
replaces them.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import statistics
import sys
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

#: The constants searched and the values tried (the default among them): the six of issue
#: 23's search and the give-up share of the earlier one (docs/calibration.md, "What was
#: tuned, and on what"); the earlier search's others keep their values (`--vary` to add them).
SEARCHED: dict[str, Sequence[float]] = {
    "capture_ratio": (1.0, 1.25, 1.5),
    "defence_depth_km": (3.0, 5.0, 8.0),
    "defence_density": (100.0, 200.0, 400.0),
    "sector_reach_km": (10.0, 15.0, 20.0),
    "fortify_hours": (168.0, 336.0, 720.0),
    "advance_low_exponent": (1.0, 2.0, 3.0),
    "give_up_share": (0.3, 0.5, 0.7),
}

Point = tuple[tuple[str, float], ...]  # the values that differ from the defaults, sorted


def point(values: dict[str, float], defaults: dict[str, float]) -> Point:
    """The values that differ from the defaults, as a hashable key."""
    return tuple(sorted((k, v) for k, v in values.items() if v != defaults[k]))


def search(
    names: Sequence[str],
    choices: dict[str, Sequence[float]],
    start: dict[str, float],
    score: Callable[[dict[str, float]], float],
    passes: int = 2,
) -> tuple[dict[str, float], float]:
    """Coordinate search from `start`: for each name in turn, every choice with the others
    where the search stands; the best score is kept, a tie keeping the current value. Stops
    after a pass that changes nothing, or after `passes`. Returns (values, score)."""
    here = dict(start)
    best = score(here)
    for _ in range(passes):
        moved = False
        for name in names:
            current = here[name]  # scored already
            for value in choices[name]:
                if value == current:
                    continue
                trial = {**here, name: value}
                s = score(trial)
                if s > best:
                    here, best, moved = trial, s, True
        if not moved:
            break
    return here, best


# ------------------------------------------------------------------ the runs
def file_hash(path: str) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:16]


def model_hash() -> str:
    """A hash of the model's source: every file of the sim package."""
    h = hashlib.sha256()
    for f in sorted((REPO / "sim").rglob("*.py")):
        h.update(f.relative_to(REPO).as_posix().encode() + b"\0" + f.read_bytes())
    return h.hexdigest()[:16]


def run_key(path: str, digest: str, seed: int, where: Point) -> str:
    return json.dumps([Path(path).stem, digest, seed, [list(p) for p in where]])


def one_run(path: str, seed: int, sets: dict[str, float], null: bool) -> dict:
    """Fidelity of one run (and, with `null`, of the null run with the same values)."""
    from sim.map.theatre import build_theatre
    from sim.model import CampaignModel
    from sim.runs.history import compare, null_comparison
    from sim.scenario import load_scenario
    from sim.scenario.theatre import theatre_for

    base = build_theatre()
    scenario = load_scenario(path, base)
    theatre = theatre_for(scenario, base)
    params = scenario.parameters_with(sets)
    record = CampaignModel(scenario, theatre, params, seed=seed).run()
    out: dict[str, float | None] = {"fidelity": compare(record, scenario, theatre).score}
    if null:
        n = null_comparison(scenario, theatre, params, seed)
        out["null"] = None if n is None else n.score
    return out


class Runs:
    """Runs by (scenario, seed, values), from the cache or run now (in parallel), each
    appended to the cache as it finishes."""

    def __init__(self, cache: Path, workers: int):
        self.cache, self.workers = cache, workers
        self.done: dict[str, dict] = {}
        self.hashes: dict[str, str] = {}
        self.model = model_hash()
        if cache.exists():
            for line in cache.read_text(encoding="utf-8").splitlines():
                if line.strip():
                    row = json.loads(line)
                    self.done[row["key"]] = row
        self.ran = 0

    def digest(self, path: str) -> str:
        """The model's and the scenario file's hashes."""
        if path not in self.hashes:
            self.hashes[path] = f"{self.model}:{file_hash(path)}"
        return self.hashes[path]

    def get(self, jobs: Iterable[tuple[str, int, Point]]) -> dict[tuple[str, int, Point], dict]:
        """The rows of these jobs (path, seed, point), running those not yet in the cache."""
        jobs = list(dict.fromkeys(jobs))
        keys = {j: run_key(j[0], self.digest(j[0]), j[1], j[2]) for j in jobs}
        todo = [j for j in jobs if keys[j] not in self.done]
        if todo:
            self.cache.parent.mkdir(parents=True, exist_ok=True)
            args = [(p, s, dict(w), not w) for p, s, w in todo]  # the null run at the defaults
            with ProcessPoolExecutor(self.workers) as pool, self.cache.open("a") as f:
                for job, row in zip(todo, pool.map(one_run, *zip(*args, strict=True)), strict=True):
                    row = {"key": keys[job], **row}
                    f.write(json.dumps(row) + "\n")
                    f.flush()
                    self.done[keys[job]] = row
                    self.ran += 1
        return {j: self.done[keys[j]] for j in jobs}


def skills(runs: Runs, paths: Sequence[str], seeds: int, where: Point) -> dict[str, float]:
    """Mean skill over the seeds of each scenario at `where` (over the defaults' null run)."""
    jobs = [(p, s, where) for p in paths for s in range(seeds)]
    nulls: list[tuple[str, int, Point]] = [(p, s, ()) for p in paths for s in range(seeds)]
    rows = runs.get(jobs + nulls)
    out = {}
    for p in paths:
        vals = []
        for s in range(seeds):
            null = rows[(p, s, ())]["null"] or 0.0
            vals.append((rows[(p, s, where)]["fidelity"] - null) / (100.0 - null))
        out[p] = statistics.fmean(vals)
    return out


def fidelities(runs: Runs, paths: Sequence[str], seeds: int, where: Point) -> dict[str, float]:
    rows = runs.get([(p, s, where) for p in paths for s in range(seeds)])
    return {
        p: statistics.fmean(rows[(p, s, where)]["fidelity"] for s in range(seeds)) for p in paths
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("scenarios", nargs="*", help="scenario files (default: every shipped one)")
    ap.add_argument("--seeds", type=int, default=3, help="seeds 0..N-1 (default 3)")
    ap.add_argument("--vary", action="append", default=[], metavar="NAME=V1,V2,...")
    ap.add_argument("--workers", type=int, default=1, help="processes (default 1)")
    ap.add_argument("--passes", type=int, default=2, help="at most this many passes (default 2)")
    ap.add_argument("--cache", type=Path, default=REPO / "runs" / "calibrate_cache.jsonl")
    args = ap.parse_args(argv)

    from sim.model.params import Parameters

    choices = dict(SEARCHED)
    if args.vary:
        choices = {}
        for item in args.vary:
            name, _, values = item.partition("=")
            try:
                choices[name] = [float(v) for v in values.split(",")]
            except ValueError:
                print(f"error: --vary {item}: expected NAME=V1,V2,... (numbers)", file=sys.stderr)
                return 2
    defaults_all = Parameters().model_dump()
    unknown = [n for n in choices if n not in defaults_all]
    if unknown:
        print(
            f"error: --vary: no parameter {', '.join(unknown)} (see run.py params)", file=sys.stderr
        )
        return 2
    defaults = {n: float(defaults_all[n]) for n in choices}
    paths = [str(Path(p)) for p in args.scenarios] or [
        str(p) for p in sorted((REPO / "scenarios").glob("*.yaml")) if p.name != "TEMPLATE.yaml"
    ]
    missing = [p for p in paths if not Path(p).is_file()]
    if missing:
        print(f"error: no scenario file {', '.join(missing)}", file=sys.stderr)
        return 2
    if len(paths) < 2:
        print("error: leave-one-out needs at least two scenarios", file=sys.stderr)
        return 2
    runs = Runs(args.cache, args.workers)
    names = list(choices)

    def tuned_on(subset: Sequence[str]) -> tuple[dict[str, float], float]:
        def score(values: dict[str, float]) -> float:
            s = skills(runs, subset, args.seeds, point(values, defaults))
            return statistics.fmean(s.values())

        return search(names, choices, defaults, score, args.passes)

    stem = {p: Path(p).stem for p in paths}
    fit, _ = tuned_on(paths)
    print(f"seeds 0-{args.seeds - 1}; mean skill over the defaults' null run; cache {args.cache}")
    print(
        "tuned on all: "
        + (", ".join(f"{k}={v:g}" for k, v in point(fit, defaults)) or "the defaults")
    )
    rows = []
    for held in paths:
        others = [p for p in paths if p != held]
        tuned, _ = tuned_on(others)
        rows.append((held, tuned))
        print(
            f"tuned without {stem[held]}: "
            + (", ".join(f"{k}={v:g}" for k, v in point(tuned, defaults)) or "the defaults")
        )
    print(
        "\n| operation | defaults | tuned on all (fit) | tuned on the others (prediction) | diff. |"
    )
    print("|---|---|---|---|---|")
    for held, tuned in rows:
        cells = []
        for where in ((), point(fit, defaults), point(tuned, defaults)):
            f = fidelities(runs, [held], args.seeds, where)[held]
            s = skills(runs, [held], args.seeds, where)[held]
            cells.append((f, s))
        diff = cells[2][0] - cells[1][0]
        print(
            f"| {stem[held]} | "
            + " | ".join(f"{f:.1f}, skill {s:.2f}" for f, s in cells)
            + f" | {diff:+.1f} |"
        )
    print(f"\n{runs.ran} runs this time, {len(runs.done)} in the cache")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
