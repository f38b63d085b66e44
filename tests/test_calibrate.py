"""benchmarks/calibrate.py: the coordinate search and the run cache it resumes from."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location(
    "bench_calibrate", REPO / "benchmarks" / "calibrate.py"
)
assert _spec is not None and _spec.loader is not None
cal = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(cal)


def test_search_finds_the_best_of_a_separable_score_and_stops_when_a_pass_changes_nothing():
    calls = []

    def score(v):
        calls.append(dict(v))
        return -((v["a"] - 3) ** 2) - (v["b"] - 1) ** 2

    choices = {"a": (1, 2, 3, 4), "b": (0, 1, 2)}
    best, value = cal.search(["a", "b"], choices, {"a": 1, "b": 2}, score, passes=5)
    assert best == {"a": 3, "b": 1}
    assert value == 0
    # pass 1 moves, pass 2 changes nothing and ends the search: 1 + 2 * (3 + 2) evaluations
    assert len(calls) == 11


def test_search_keeps_the_current_value_on_a_tie():
    best, _ = cal.search(["a"], {"a": (1, 2)}, {"a": 2}, lambda v: 0.0)
    assert best == {"a": 2}


def test_runs_already_in_the_cache_are_not_run_again(tmp_path):
    scenario = tmp_path / "op.yaml"
    scenario.write_text("id: op\n")
    cache = tmp_path / "cache.jsonl"
    runs = cal.Runs(cache, 1)
    where = (("capture_ratio", 1.5),)
    key = cal.run_key(str(scenario), runs.digest(str(scenario)), 0, where)
    cache.write_text(json.dumps({"key": key, "fidelity": 42.0}) + "\n")
    again = cal.Runs(cache, 1)  # a search started again reads it
    rows = again.get([(str(scenario), 0, where)])
    assert rows[(str(scenario), 0, where)]["fidelity"] == 42.0
    assert again.ran == 0  # nothing run: the file is no scenario the model could load
    # the same values for an edited scenario file are a different run
    scenario.write_text("id: op\ntitle: edited\n")
    fresh = cal.Runs(cache, 1)
    assert cal.run_key(str(scenario), fresh.digest(str(scenario)), 0, where) != key
