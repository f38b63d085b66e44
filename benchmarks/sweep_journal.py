#!/usr/bin/env python3
"""What a finished (or running) sweep's journal says about its workers: runs, time per run, and
each worker's memory after its 1st, 10th, 100th... run, to check that it stays flat.

    python benchmarks/sweep_journal.py runs/sweeps/<name>

Reads only the journal-only fields (`runtime_s`, `worker_pid`, `worker_rss_mib`,
`worker_max_rss_mib`; docs/sweeps.md); a journal written before they existed shows no memory.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

#: The runs of a worker whose memory is printed (1-based), then its last.
MARKS = (1, 10, 50, 100, 250, 500, 1000, 2500, 5000)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("folder", type=Path, help="a sweep folder (or its journal.jsonl)")
    args = ap.parse_args()
    path = args.folder / "journal.jsonl" if args.folder.is_dir() else args.folder
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            rows.append(json.loads(line))
        except ValueError:
            continue  # a torn last line
    if not rows:
        print(f"{path}: no runs yet")
        return 1
    times = [r["runtime_s"] for r in rows if isinstance(r.get("runtime_s"), int | float)]
    failed = sum(r.get("status") == "failed" for r in rows)
    print(
        f"{len(rows)} runs ({failed} failed); time per run: mean "
        f"{statistics.mean(times):.3f} s, median {statistics.median(times):.3f} s, max "
        f"{max(times):.2f} s; sum {sum(times):.0f} s"
    )
    by_worker: dict[object, list[dict]] = {}
    for r in rows:
        by_worker.setdefault(r.get("worker_pid"), []).append(r)
    for pid, mine in by_worker.items():
        after = [r.get("worker_rss_mib") for r in mine]
        marks = [m for m in MARKS if m < len(mine)] + [len(mine)]
        shown = ", ".join(f"#{m}: {after[m - 1]}" for m in marks)
        print(
            f"worker {pid}: {len(mine)} runs; MiB after run {shown}; peak "
            f"{mine[-1].get('worker_max_rss_mib')} MiB"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
