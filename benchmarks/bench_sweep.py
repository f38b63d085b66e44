#!/usr/bin/env python3
"""Parallel efficiency of a sweep: the same N runs on 1 and on 2 worker processes.

    python benchmarks/bench_sweep.py [--runs 200] [--end 2022-09-17T00:00] [--workers 2]

The runs are N seeds of the September scenario (a seed sweep: every run does the same work on
average). Wall time includes starting the pool (each worker builds the map and parses the
scenario once). Efficiency = (runs/s with W workers) / (W x runs/s with 1); target >= 0.85 for
200 runs. `--end` shortens the scenario for a quicker look (fewer hours per run lowers the
efficiency: the pool start-up then weighs more).
"""

from __future__ import annotations

import argparse
import io
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from sim import sweep  # noqa: E402


def timed(spec: sweep.SweepSpec, base: sweep.Base, workers: int, root: Path) -> float:
    out = root / f"w{workers}"
    shutil.rmtree(out, ignore_errors=True)
    bar = sweep.Progress(spec.seeds, 0, stream=io.StringIO())
    t0 = time.perf_counter()
    result = sweep.run_sweep(spec, base, out, workers=workers, progress=bar)
    wall = time.perf_counter() - t0
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
    print(f"{args.runs} runs of {base.scenario.id} (end {args.end or base.scenario.end}); "
          f"pool start method {sweep.start_method()}")
    with tempfile.TemporaryDirectory() as tmp:
        one = timed(spec, base, 1, Path(tmp))
        print(f"1 worker:  {one:7.1f} s  {args.runs / one:.3f} runs/s")
        many = timed(spec, base, args.workers, Path(tmp))
        print(f"{args.workers} workers: {many:7.1f} s  {args.runs / many:.3f} runs/s")
    eff = (args.runs / many) / (args.workers * args.runs / one)
    print(f"parallel efficiency: {eff:.2f} (target >= 0.85)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
