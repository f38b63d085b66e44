#!/usr/bin/env python3
"""Digests of the records of every shipped scenario (seeds 0 and 1), checked by
tests/test_digests.py.

    python benchmarks/record_digests.py          # print them, and whether they match the file
    python benchmarks/record_digests.py --write  # record them in tests/data/record_digests.json

A refactoring or a speed-up must leave them as they are (byte-identical runs). A deliberate change
of the model changes them: re-record them with --write in the same commit, and say in its
message what changed in the runs and why.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from sim.map.theatre import build_theatre  # noqa: E402
from sim.model import CampaignModel  # noqa: E402
from sim.scenario import load_scenario  # noqa: E402
from sim.scenario.theatre import theatre_for  # noqa: E402

FILE = REPO / "tests" / "data" / "record_digests.json"
SEEDS = (0, 1)


def shipped() -> list[Path]:
    return sorted(p for p in (REPO / "scenarios").glob("*.yaml") if p.name != "TEMPLATE.yaml")


def digests() -> dict[str, str]:
    base = build_theatre()
    out = {}
    for path in shipped():
        scenario = load_scenario(path, base)
        theatre = theatre_for(scenario, base)  # its own map: the places it adds
        for seed in SEEDS:
            out[f"{path.name} seed {seed}"] = (
                CampaignModel(scenario, theatre, seed=seed).run().digest()
            )
    return out


def main() -> int:
    now = digests()
    if "--write" in sys.argv[1:]:
        FILE.write_text(json.dumps(now, indent=1, sort_keys=True) + "\n")
        print(f"wrote {FILE.relative_to(REPO)}")
        return 0
    recorded = json.loads(FILE.read_text()) if FILE.exists() else {}
    for key, value in now.items():
        print(f"{key:32} {value[:16]}  {'same' if recorded.get(key) == value else 'CHANGED'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
