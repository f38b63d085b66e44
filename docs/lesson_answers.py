#!/usr/bin/env python3
"""The model's answers to the prepared what-ifs, as docs/lessons.md quotes them.

    python docs/lesson_answers.py                      # every examples/lessons/*.yaml, 5 seeds
    python docs/lesson_answers.py --seeds 10 examples/lessons/sep_2_rail_bridge_cut.yaml

For each branch file it runs the base and the branch (sim/whatif/branch_file.py, `simulate`) for
seeds 0 to N-1 (the file's own `seed:` is replaced) and prints:
- seed 0's changes and differences, as `python run.py branch FILE --headless` prints them
  (sim/whatif/futures.py, `Futures.lines`);
- over the seeds, for each key place (sim/whatif/futures.py) whose date differs in some seed: in how
  many seeds it passes to the other side by the end in the base and in the branch; the median
  and range of the change of its date (branch minus base, hours under two days, else days;
  negative: sooner) over the seeds where it passes in both; and seed by seed the change and
  the branch's date (the base's where only the base's passes).
The figures of docs/lessons.md come from this script. It prints only; it writes no file.
Bad input: one line per problem (file:line: field: message), exit code 2.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import statistics
import sys
from datetime import datetime, timedelta
from pathlib import Path

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from sim.map.theatre import Theatre, build_theatre  # noqa: E402
from sim.scenario import ScenarioError  # noqa: E402
from sim.whatif.branch_file import Branch, load_branch, simulate  # noqa: E402
from sim.whatif.futures import Futures, PlaceOutcome, compare_futures  # noqa: E402

LESSONS = REPO / "examples" / "lessons"
HOUR = timedelta(hours=1)


def span(hours: float) -> str:
    """A signed change of date in words: hours under two days, else days to a tenth."""
    if abs(hours) < 48:
        return f"{hours:+.0f} h"
    return f"{hours / 24:+.1f} d"


def run_seed(b: Branch, seed: int) -> tuple[Futures, list[str]]:
    """The base and the branch of `b` on `seed`, compared; and the changes in words."""
    b = dataclasses.replace(b, spec=b.spec.model_copy(update={"seed": seed}))
    base, alt, texts = simulate(b)
    return compare_futures(base, alt, b.scenario, b.hour, b.theatre), texts


def summary(runs: list[list[PlaceOutcome]]) -> list[str]:
    """Lines for the key places whose date differs on some seed (see the module docstring),
    then a count of those that change hands at the same hour in both futures on every seed."""
    n = len(runs)
    keys = dict.fromkeys(
        (p.name, p.to_side)
        for places in runs
        for p in places
        if p.base is not None or p.branch is not None
    )
    out, same = [], 0
    for name, side in keys:
        outcomes = [
            next((p for p in places if (p.name, p.to_side) == (name, side)), None)
            for places in runs
        ]
        if not any(p and p.differs for p in outcomes):
            same += 1
            continue
        in_base = sum(1 for p in outcomes if p and p.base is not None)
        in_branch = sum(1 for p in outcomes if p and p.branch is not None)
        shifts = [
            (p.branch - p.base) / HOUR
            for p in outcomes
            if p and p.base is not None and p.branch is not None
        ]
        line = f"{name} to {side}: passes in base {in_base}/{n}, branch {in_branch}/{n}"
        if shifts:
            line += (
                f"; change median {span(statistics.median(shifts))}, range "
                f"{span(min(shifts))} to {span(max(shifts))}"
            )
        out.append(line + "\n      by seed: " + "; ".join(_seed(p) for p in outcomes))
    if same:
        out.append(
            f"{same} {'other ' if out else ''}key place{'s' if same > 1 else ''}: the "
            "same hour in both futures on every seed"
        )
    return out


def _seed(p: PlaceOutcome | None) -> str:
    if p is None or (p.base is None and p.branch is None):
        return "in neither"
    if p.branch is None:
        return f"base only ({_when(p.base)})"
    if p.base is None:
        return f"branch only ({_when(p.branch)})"
    return f"{span((p.branch - p.base) / HOUR)} ({_when(p.branch)})"


def _when(t: datetime) -> str:
    return f"{t.day} {t:%b %H:%M}"


def answer(path: Path, seeds: int, theatre: Theatre) -> None:
    """Print one lesson's answer: seed 0 in words, then the key places over the seeds."""
    b = load_branch(path, theatre)
    print(f"== {path.name}: {b.spec.title}")
    print(f"  the branch at {b.when.day} {b.when:%b %Y %H:%M} (hour {b.hour})")
    runs = []
    for seed in range(seeds):
        futures, texts = run_seed(b, seed)
        runs.append(futures.places)
        if seed == 0:
            print("Seed 0, as python run.py branch FILE --headless prints it:")
            for t in texts:
                print(f"  What if: {t}")
            print(f"Differences, branch against base, to {futures.end:%d %b %H:%M}:")
            for line in futures.lines():
                print(f"  - {line}")
    print(f"Key places, seeds 0 to {seeds - 1} (change: branch minus base, seed by seed):")
    for line in summary(runs):
        print(f"  {line}")
    print()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument(
        "files", nargs="*", type=Path, help="branch files (default: examples/lessons/*.yaml)"
    )
    ap.add_argument("--seeds", type=int, default=5, help="seeds 0 to N-1 (default 5)")
    args = ap.parse_args(argv)
    if not 1 <= args.seeds <= 100:
        ap.error(f"--seeds: expected 1 to 100, got {args.seeds}")
    files = args.files or sorted(LESSONS.glob("*.yaml"))
    theatre = build_theatre()
    try:
        for path in files:
            answer(path, args.seeds, theatre)
    except ScenarioError as e:
        print(e, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
