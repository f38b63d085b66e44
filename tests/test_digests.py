"""Every shipped scenario's run is byte for byte the recorded one (tests/data/record_digests.json).

This pins the model's output while its code is reorganised or sped up (issue 13: identical
results before and after). When the model is changed on purpose, the digests are re-recorded
with `python benchmarks/record_digests.py --write` in the same commit, whose message says what
changed in the runs; a failure here without such a change is a behaviour change nobody meant.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location(
    "record_digests", REPO / "benchmarks" / "record_digests.py"
)
record_digests = importlib.util.module_from_spec(spec)
spec.loader.exec_module(record_digests)


@pytest.fixture(scope="module")
def theatre():
    from sim.map.theatre import build_theatre

    return build_theatre()


def test_every_shipped_scenario_and_seed_is_recorded():
    recorded = json.loads(record_digests.FILE.read_text())
    expected = {
        f"{p.name} seed {s}" for p in record_digests.shipped() for s in record_digests.SEEDS
    }
    assert set(recorded) == expected


@pytest.mark.parametrize("path", record_digests.shipped(), ids=lambda p: p.stem)
def test_runs_match_the_recorded_digests(path, theatre):
    from sim.model import CampaignModel
    from sim.scenario import load_scenario

    recorded = json.loads(record_digests.FILE.read_text())
    from sim.scenario.theatre import theatre_for

    scenario = load_scenario(path, theatre)
    theatre = theatre_for(scenario, theatre)  # its own map: the places it adds
    for seed in record_digests.SEEDS:
        digest = CampaignModel(scenario, theatre, seed=seed).run().digest()
        assert digest == recorded[f"{path.name} seed {seed}"], (
            f"{path.name} seed {seed}: the run differs from the recorded one; if the model "
            "was changed on purpose, re-record with python benchmarks/record_digests.py --write"
        )
