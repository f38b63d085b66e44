#!/usr/bin/env python3
"""Start-up of the commands a user types, with the disk cache warm, cold and off, against
another commit.

    python benchmarks/bench_startup.py [--repeat 7] [--against REF]

Times, as new processes run from the repository:

- `validate`: `python run.py validate scenarios/izium_2022_09.yaml` (imports, the map, the
  scenario read, the checks: the start-up of every command, with nothing simulated);
- `replay`: `python run.py scenarios/izium_2022_09.yaml --headless --out TMP --replace`.

each with the disk cache (sim/disk_cache.py) warm (a folder of its own, filled by one untimed
run) and off (`IZIUM_SIM_CACHE=off`: the map built and the scenario read every time). With
`--against REF` the same commands of REF (checked out by `git archive` into a temporary folder,
with a warm cache folder of its own) are timed in turn with this tree's, run by run, so that a
machine that slows down slows both. Prints the median and the range of each.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_model import checkout  # noqa: E402

SCENARIO = "scenarios/izium_2022_09.yaml"


def command(kind: str, out: Path) -> list[str]:
    if kind == "validate":
        return [sys.executable, "run.py", "validate", SCENARIO]
    return [sys.executable, "run.py", SCENARIO, "--headless", "--out", str(out), "--replace"]


def timed(tree: Path, kind: str, cache: str, out: Path) -> float:
    env = {**os.environ, "IZIUM_SIM_CACHE": cache, "SDL_VIDEODRIVER": "dummy"}
    t0 = time.perf_counter()
    subprocess.run(command(kind, out), cwd=tree, env=env, check=True, capture_output=True)
    return time.perf_counter() - t0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=7, help="timed runs of each (median)")
    ap.add_argument("--against", metavar="REF", help="a git commit to time in turn with this tree")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-startup-"))
    try:
        trees = {"this tree": REPO}
        if args.against:
            (tmp / "ref").mkdir()
            trees[args.against] = checkout(args.against, tmp / "ref")
        for kind in ("validate", "replay"):
            warm = {}
            for i, (name, tree) in enumerate(trees.items()):
                warm[name] = tmp / f"cache-{kind}-{i}"
                warm[name].mkdir(mode=0o700)
                timed(tree, kind, str(warm[name]), tmp / "run")  # fills the cache
            times: dict[tuple[str, str], list[float]] = {
                (name, state): [] for name in trees for state in ("warm", "off")
            }
            for _ in range(args.repeat):  # in turn: tree by tree, warm then off
                for name, tree in trees.items():
                    for state in ("warm", "off"):
                        cache = str(warm[name]) if state == "warm" else "off"
                        times[(name, state)].append(timed(tree, kind, cache, tmp / "run"))
            for (name, state), ts in times.items():
                print(
                    f"{kind:<8} {name:<12} cache {state:<4}: median {statistics.median(ts):.2f} s "
                    f"(min {min(ts):.2f}, max {max(ts):.2f}, {len(ts)} runs)",
                    flush=True,
                )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
