"""Hostile input (issue #16), fuzzed with hypothesis: scenario text and values (run through
the model when accepted), command lines, and every file read back. Derandomized, so CI sees the
same cases on every run; `pytest -m slow` runs the longer ones."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

import pytest
from hostile import cli_argv, extreme_parameter, mutate_scenario_values, mutate_yaml
from hostile_helpers import REPO, SEPT_TEXT, fuzz, toy
from hypothesis import given
from hypothesis import strategies as st
from test_scenario import VALID

from sim.cli import main as cli
from sim.model.params import Parameters
from sim.scenario import ScenarioError, load_scenario, parse_scenario


# ============================================================================ fuzzing
@fuzz(150)  # 10,000 cases of every kind: benchmarks/fuzz_hostile.py
@given(st.randoms(use_true_random=False))
def test_hostile_scenario_text_is_refused_or_runs(rnd):
    """Any mangling of a scenario is refused as ScenarioError (every problem located in this
    file) or loads; a loaded scenario runs through the model without an exception."""
    from sim.model import CampaignModel

    text = mutate_yaml(VALID, rnd)
    theatre = toy()
    try:
        scenario, root = parse_scenario(text, "fuzz.yaml")
        from sim.scenario import resolve_places

        scenario = resolve_places(scenario, theatre, "fuzz.yaml", root)
    except ScenarioError as e:
        assert all(p.file == "fuzz.yaml" for p in e.problems)
        return
    CampaignModel(scenario, theatre, seed=rnd.randrange(2**32)).run()


_LOADED: dict[Path, object] = {}


def _loaded(path: Path):
    """A scenario loaded on the real map once per test session."""
    from sim.map.theatre import build_theatre

    if path not in _LOADED:
        _LOADED[path] = load_scenario(path, build_theatre())
    return _LOADED[path]


@fuzz(40)
@given(st.randoms(use_true_random=False))
def test_any_parameters_within_bounds_run_without_an_exception(short_scenario, rnd):
    """Every accepted parameter set runs: values at their bounds included (a sweep may pick
    them). 12 hours of September with up to 10 parameters moved to extremes."""
    from sim.map.theatre import build_theatre
    from sim.model import CampaignModel
    from sim.runs.report import summary_json
    from sim.scenario.theatre import theatre_for

    scenario = _loaded(short_scenario)
    th = theatre_for(scenario, build_theatre())  # its own map: the places it adds
    names = rnd.sample(list(Parameters.model_fields), rnd.randint(1, 10))
    params = scenario.parameters_with({n: extreme_parameter(rnd, n) for n in names})
    record = CampaignModel(scenario, th, params, seed=rnd.randrange(2**32)).run()
    json.dumps(summary_json(record), allow_nan=False)


@fuzz(25)
@given(st.randoms(use_true_random=False))
def test_any_scenario_values_the_schema_accepts_run_without_an_exception(september, rnd):
    """Holdings at 0 or their bound, morale and supply at 0, units and depots anywhere,
    orders and events at any time, surprise windows of a year: what the schema accepts runs."""
    from sim.map.theatre import build_theatre
    from sim.model import CampaignModel
    from sim.runs.report import summary_json
    from sim.scenario import Scenario, check_references, resolve_places
    from sim.scenario.theatre import theatre_for

    th = theatre_for(september, build_theatre())  # its own map: the places it adds
    data = mutate_scenario_values(september.model_dump(), th.node_ids, rnd)
    try:
        scenario = Scenario.model_validate(data)
        check_references(scenario, "fuzz", None)
        scenario = resolve_places(scenario, th, "fuzz", None)
    except (ValueError, ScenarioError):
        return
    record = CampaignModel(scenario, th, seed=rnd.randrange(2**32)).run()
    json.dumps(summary_json(record), allow_nan=False)


@fuzz(50)  # 10,000 more: benchmarks/fuzz_hostile.py --only cli
@given(st.randoms(use_true_random=False))
def test_hostile_command_lines_exit_0_or_2_without_traceback(short_scenario, short_run, rnd):
    with tempfile.TemporaryDirectory() as tmp:
        shutil.copytree(short_run, Path(tmp) / "other")
        argv = cli_argv(rnd, str(short_scenario), tmp)
        cwd = os.getcwd()
        os.chdir(tmp)
        try:
            try:
                code = cli.main(argv)
            except SystemExit as e:  # --help
                code = e.code
        finally:
            os.chdir(cwd)
        assert code in (0, 2), argv


@pytest.mark.slow
def test_a_killed_sweep_leaves_no_worker_behind(short_scenario, tmp_path):
    """kill -9 of the sweep's process: its workers and the forkserver end within seconds."""
    import signal
    import subprocess
    import sys
    import time

    long = tmp_path / "long.yaml"
    long.write_text(SEPT_TEXT, encoding="utf-8")
    proc = subprocess.Popen(
        [
            sys.executable,
            str(REPO / "run.py"),
            "sweep",
            str(long),
            "--seeds",
            "40",
            "--workers",
            "2",
            "--out",
            str(tmp_path / "s"),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )

    def descendants(pid: int) -> list[int]:
        kids = []
        for d in os.listdir("/proc"):
            if d.isdigit():
                try:
                    if int(Path(f"/proc/{d}/stat").read_text().split(") ")[1].split()[1]) == pid:
                        kids.append(int(d))
                except (OSError, IndexError, ValueError):
                    pass
        return kids + [k for c in kids for k in descendants(c)]

    deadline = time.time() + 60
    while len(descendants(proc.pid)) < 3 and time.time() < deadline:
        time.sleep(0.5)
    time.sleep(3)
    family = descendants(proc.pid)
    assert len(family) >= 3, "the sweep did not start its workers"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()

    def alive(pid: int) -> bool:
        try:
            return Path(f"/proc/{pid}/stat").read_text().split(") ")[1].split()[0] != "Z"
        except OSError:
            return False

    deadline = time.time() + 15
    while any(alive(p) for p in family) and time.time() < deadline:
        time.sleep(0.5)
    left = [p for p in family if alive(p)]
    for p in left:  # do not leave them to the next test
        os.kill(p, signal.SIGKILL)
    assert not left
