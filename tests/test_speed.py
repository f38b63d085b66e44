"""The speed work's shortcuts and caches give what the long way gives (properties checked over
shipped runs; the timings themselves live in benchmarks/bench_model.py, never in a test)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from sim.map.theatre import build_theatre
from sim.model import CampaignModel
from sim.model import watch as watch_module
from sim.scenario import load_scenario
from sim.scenario.theatre import theatre_for

SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"


@pytest.fixture(scope="module")
def theatre():
    return build_theatre()


def model_of(name: str, theatre, seed: int = 0) -> CampaignModel:
    scenario = load_scenario(SCENARIOS / name, theatre)
    return CampaignModel(scenario, theatre_for(scenario, theatre), seed=seed)


def test_a_watch_skips_the_rear_tests_only_where_they_find_nothing(theatre, monkeypatch):
    """`threat` skips the rear part's tests when the lines of supply pass through none of the
    places the enemy attacks or moves at (`NearEnemy.evidence`): over the April-May run (both
    kinds of rear threat happen there), every watch that found nothing would have found
    nothing the long way either, and the long way did find threats of both kinds."""
    threat, rear_threat = watch_module.threat, watch_module.rear_threat
    found: Counter[str] = Counter()

    def checked(units, near_of, attacked, world, doctrine):
        reason = threat(units, near_of, attacked, world, doctrine)
        long_way = rear_threat(units, near_of, attacked, world, doctrine)
        if reason is None:
            assert long_way is None, (world.hour, [u.key for u in units], long_way)
        elif long_way is not None:
            found[long_way.split(" ")[1]] += 1  # "the enemy is attacking" / "enemy forces at"
        return reason

    monkeypatch.setattr(watch_module, "threat", checked)
    model_of("kharkiv_2022_05.yaml", theatre).run()
    assert found["enemy"] > 0 and found["forces"] > 0, found
