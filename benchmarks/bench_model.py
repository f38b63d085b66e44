#!/usr/bin/env python3
"""One headless replay of each scenario: model time, steps (hours) per second, peak memory.

    python benchmarks/bench_model.py [--repeat 3] [--seed 0]

Targets (2-core machine): September scenario < 1 s of model time, March scenario < 3 s.
Model time is CampaignModel(...) plus .run(); the map build and the scenario parse are shown
apart (done once per sweep worker). Peak memory: the process's max RSS after all runs, and the
peak of Python allocations during one run (tracemalloc, in a separate untimed run because
tracing slows the model down).
"""

from __future__ import annotations

import argparse
import gc
import resource
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from sim.model import CampaignModel  # noqa: E402
from sim.scenario import load_scenario  # noqa: E402
from sim.theatre import build_theatre  # noqa: E402

SCENARIOS = [("September 2022", "izium_2022_09.yaml", 1.0),
             ("March 2022", "izium_2022_03.yaml", 3.0)]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3, help="timed runs per scenario (median)")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    t0 = time.perf_counter()
    theatre = build_theatre()
    print(f"map build: {time.perf_counter() - t0:.2f} s")
    for title, file, target in SCENARIOS:
        path = REPO / "scenarios" / file
        if not path.exists():
            print(f"{title}: {path.name} not present, skipped")
            continue
        t0 = time.perf_counter()
        scenario = load_scenario(path, theatre)
        load_s = time.perf_counter() - t0
        times = []
        for _ in range(args.repeat):
            gc.collect()
            t0 = time.perf_counter()
            record = CampaignModel(scenario, theatre, seed=args.seed).run()
            times.append(time.perf_counter() - t0)
        tracemalloc.start()
        CampaignModel(scenario, theatre, seed=args.seed).run()
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        med = statistics.median(times)
        verdict = "meets" if med < target else "MISSES"
        print(f"{title} ({file}): {record.hours} steps, {len(scenario.units)} units; "
              f"scenario load {load_s:.2f} s")
        print(f"  model time median {med:.2f} s (min {min(times):.2f}, max {max(times):.2f}, "
              f"{args.repeat} runs) -> {record.hours / med:.0f} steps/s; "
              f"{verdict} the {target:.0f} s target")
        print(f"  peak Python allocations during one run: {peak / 2**20:.1f} MiB")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    print(f"process max RSS: {rss / 1024:.0f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
