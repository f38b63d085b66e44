#!/usr/bin/env python3
"""Model time of each scenario, against a previous implementation, and the replay process.

    python benchmarks/bench_model.py [--repeat 5] [--seed 0] [--against REF] [--no-process]

For every shipped scenario: the median model time (CampaignModel(...) plus .run(), the map
built and the scenario parsed beforehand, as a sweep worker does once), steps (hours) per
second and the peak of Python allocations during one run (tracemalloc, a separate untimed run).

`--against REF` (a git commit, tag or branch) checks REF out into a temporary folder and times
the same runs there, alternating with this tree run by run so that a machine that slows down
slows both; it prints the ratio (this tree / REF) and whether the records are identical
(RunRecord digests: frames, events, control changes, battles, series). Both sides run in fresh
processes. A REF older than the benchmark's own code must still have `sim.model.CampaignModel`,
`sim.scenario.load_scenario` and `sim.map.theatre.build_theatre` (or, before issue 21,
`sim.theatre.build_theatre`): every commit since the first does.

The replay process is `python run.py scenarios/izium_2022_09.yaml --headless` as a user types
it: imports, map, scenario, model, files written (median of --repeat).

Targets on this 2-core machine, quiet (issue 13): September model time <= 0.25 s, March
<= 0.5 s, the September replay process <= 1.2 s.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

#: (title, file, target model seconds or None)
SCENARIOS = [
    ("September 2022", "izium_2022_09.yaml", 0.25),
    ("March 2022", "izium_2022_03.yaml", 0.5),
    ("April-May 2022", "kharkiv_2022_05.yaml", None),
]
REPLAY_TARGET_S = 1.2

#: Run in a fresh process inside a tree: times `repeat` runs of one scenario, prints JSON.
WORKER = r"""
import gc, hashlib, json, statistics, sys, time, tracemalloc
sys.path.insert(0, ".")
from sim.model import CampaignModel
from sim.scenario import load_scenario
try:
    from sim.map.theatre import build_theatre
except ImportError:  # a tree from before sim/map/ (issue 21)
    from sim.theatre import build_theatre
file, seed, repeat, memory = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4] == "1"
theatre = build_theatre()
scenario = load_scenario("scenarios/" + file, theatre)
try:  # the scenario's own map (the places it adds); older trees have none
    from sim.scenario.theatre import theatre_for
    theatre = theatre_for(scenario, theatre)
except ImportError:
    pass
times = []
for _ in range(repeat):
    gc.collect()
    t0 = time.perf_counter()
    record = CampaignModel(scenario, theatre, seed=seed).run()
    times.append(time.perf_counter() - t0)
parts = [record.frames, record.events, record.control_changes, record.battles, record.series()]
digest = hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()
peak = None
if memory:
    tracemalloc.start()
    CampaignModel(scenario, theatre, seed=seed).run()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
print(json.dumps({"times": times, "hours": record.hours, "units": len(scenario.units),
                  "digest": digest, "peak": peak}))
"""


def run_worker(tree: Path, file: str, seed: int, repeat: int, memory: bool) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", WORKER, file, str(seed), str(repeat), "1" if memory else "0"],
        cwd=tree,
        capture_output=True,
        text=True,
    )
    if out.returncode != 0:
        sys.exit(f"benchmark run failed in {tree}:\n{out.stderr.strip()[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def checkout(ref: str, into: Path) -> Path:
    """The tree of `ref` (git archive) in `into`; exits with a message if `ref` is unknown."""
    archive = subprocess.run(["git", "archive", "--format=tar", ref], cwd=REPO, capture_output=True)
    if archive.returncode != 0:
        sys.exit(f"--against {ref}: {archive.stderr.decode().strip()}")
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive.stdout, check=True)
    return into


def replay_process(repeat: int) -> list[float]:
    times = []
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(repeat):
            t0 = time.perf_counter()
            subprocess.run(
                [
                    sys.executable,
                    "run.py",
                    "scenarios/izium_2022_09.yaml",
                    "--headless",
                    "--out",
                    f"{tmp}/run",
                    "--replace",
                ],
                cwd=REPO,
                check=True,
                capture_output=True,
            )
            times.append(time.perf_counter() - t0)
    return times


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5, help="timed runs per scenario (median)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument(
        "--against",
        metavar="REF",
        help="a git commit to compare with (time ratio and identical records)",
    )
    ap.add_argument("--no-process", action="store_true", help="skip the replay process timing")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-ref-"))
    try:
        ref_tree = checkout(args.against, tmp) if args.against else None
        for title, file, target in SCENARIOS:
            if not (REPO / "scenarios" / file).exists():
                print(f"{title}: {file} not present, skipped")
                continue
            mine: list[float] = []
            theirs: list[float] = []
            info = run_worker(REPO, file, args.seed, 1, True)
            ref_info = run_worker(ref_tree, file, args.seed, 1, False) if ref_tree else None
            for _ in range(args.repeat):  # alternate, one run per process
                mine += run_worker(REPO, file, args.seed, 1, False)["times"]
                if ref_tree:
                    theirs += run_worker(ref_tree, file, args.seed, 1, False)["times"]
            med = statistics.median(mine)
            verdict = (
                ""
                if target is None
                else (f"; {'meets' if med <= target else 'MISSES'} the {target:g} s target")
            )
            print(f"{title} ({file}): {info['hours']} steps, {info['units']} units")
            print(
                f"  model time median {med:.3f} s (min {min(mine):.3f}, max {max(mine):.3f}, "
                f"{args.repeat} runs) -> {info['hours'] / med:.0f} steps/s{verdict}"
            )
            print(f"  peak Python allocations during one run: {info['peak'] / 2**20:.1f} MiB")
            if ref_info is not None:
                ref_med = statistics.median(theirs)
                same = "identical" if ref_info["digest"] == info["digest"] else "DIFFERENT"
                print(
                    f"  {args.against}: median {ref_med:.3f} s; this tree / {args.against} = "
                    f"{med / ref_med:.2f}; records {same} (seed {args.seed})"
                )
        if not args.no_process:
            t = replay_process(args.repeat)
            med = statistics.median(t)
            print(
                f"September replay process (run.py --headless): median {med:.2f} s "
                f"(min {min(t):.2f}); {'meets' if med <= REPLAY_TARGET_S else 'MISSES'} the "
                f"{REPLAY_TARGET_S:g} s target"
            )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
