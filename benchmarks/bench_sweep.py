#!/usr/bin/env python3
"""Parallel efficiency of a sweep: the same N runs on 1 and on 2 worker processes.

    python benchmarks/bench_sweep.py [--runs 200] [--end 2022-09-17T00:00] [--workers 2]

The runs are N seeds of the September scenario (a seed sweep: every run does the same work on
average). Wall time includes starting the pool (each worker builds the map and parses the
scenario once). Efficiency = (runs/s with W workers) / (W x runs/s with 1); target >= 0.85 for
200 runs. It also measures the machine's own ceiling: the same efficiency for a pure-Python loop
with no I/O at all (on a VM whose vCPUs share a core it is well under 1). `--end` shortens
the scenario for a quicker look (fewer hours per run lower the efficiency: the pool start-up
then weighs more).
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from sim import sweep  # noqa: E402


def spin(_: int) -> int:
    """A pure-Python CPU loop: what this machine gives a process that does nothing else."""
    s = 0
    for i in range(8_000_000):
        s += i * i % 7
    return s


def cpu_scaling(workers: int) -> float:
    """Throughput of `workers` processes spinning over that of one: the machine's ceiling for
    the sweep's efficiency (vCPUs sharing a physical core or a CPU quota show here)."""
    import multiprocessing as mp

    ctx = mp.get_context(sweep.start_method())
    rate = {}
    for n in (1, workers):
        with ctx.Pool(n) as pool:
            pool.map(spin, range(n))  # warm up
            t0 = time.perf_counter()
            pool.map(spin, range(2 * n))
            rate[n] = 2 * n / (time.perf_counter() - t0)
    return rate[workers] / (workers * rate[1])


def timed(spec: sweep.SweepSpec, base: sweep.Base, workers: int, root: Path) -> float:
    out = root / f"w{workers}"
    shutil.rmtree(out, ignore_errors=True)
    bar = sweep.Progress(spec.seeds, 0, stream=io.StringIO())
    load0 = os.getloadavg()[0]
    t0 = time.perf_counter()
    result = sweep.run_sweep(spec, base, out, workers=workers, progress=bar)
    wall = time.perf_counter() - t0
    print(
        f"  (load average {load0:.1f} before, {os.getloadavg()[0]:.1f} after: above the "
        "worker count means other processes shared the cores)"
    )
    assert result.complete and result.failed == 0, result
    return wall


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=200)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--end", default=None, help="override the scenario's end (shorter runs)")
    ap.add_argument("--scenario", default=str(REPO / "scenarios" / "izium_2022_09.yaml"))
    args = ap.parse_args()
    path = Path(args.scenario)
    base = sweep.Base.load(str(path), path.read_text(encoding="utf-8"))
    fixed = {"end": args.end} if args.end else {}
    spec = sweep.SweepSpec(str(path), [], fixed, seeds=args.runs)
    print(
        f"{args.runs} runs of {base.scenario.id} (end {args.end or base.scenario.end}); "
        f"pool start method {sweep.start_method()}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        one = timed(spec, base, 1, Path(tmp))
        print(f"1 worker:  {one:7.1f} s  {args.runs / one:.3f} runs/s")
        many = timed(spec, base, args.workers, Path(tmp))
        print(f"{args.workers} workers: {many:7.1f} s  {args.runs / many:.3f} runs/s")
    eff = (args.runs / many) / (args.workers * args.runs / one)
    print(f"parallel efficiency: {eff:.2f} (target >= 0.85)")
    ceiling = cpu_scaling(args.workers)
    print(
        f"this machine's ceiling (a pure-Python loop in {args.workers} processes vs 1): "
        f"{ceiling:.2f}; the sweep reaches {eff / ceiling:.0%} of it"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
