"""Saved what-ifs (sim/whatif/branch_file.py): the lessons load, a bad file gives one located
error, a saved branch reads back the same; the two futures compared (sim/whatif/futures.py); the
worker that simulates a branch for the window; `run.py branch` and `run.py view BRANCH.yaml`."""

from __future__ import annotations

import json
import pickle
from datetime import timedelta
from pathlib import Path

import pytest
from branchkit import MARCH, SEPTEMBER, blob, model_at
from clirun import Result, run
from hostile_helpers import scenario_error
from hypothesis import given, settings
from hypothesis import strategies as st
from test_plan import EDGES4, LINE4, QUIET
from test_scenario import VALID
from toy import toy_scenario, toy_theatre

from sim.map.theatre import build_theatre
from sim.model import CampaignModel
from sim.scenario import ScenarioError, load_scenario
from sim.scenario.theatre import theatre_for
from sim.whatif import branch, branch_file
from sim.whatif.branch import Change, run_to, snapshot
from sim.whatif.futures import compare_futures


@pytest.fixture(scope="module")
def theatre():
    return build_theatre()


@pytest.fixture(scope="module")
def scenarios(theatre):
    return {f: load_scenario(f, theatre) for f in (SEPTEMBER, MARCH)}


@pytest.fixture(scope="module")
def reference(theatre, scenarios):
    """The uninterrupted run of each scenario (seed 0), as the bytes it is compared by."""
    return {
        f: blob(CampaignModel(s, theatre_for(s, theatre), seed=0).run())
        for f, s in scenarios.items()
    }


LESSONS = sorted((Path(__file__).resolve().parent.parent / "examples" / "lessons").glob("*.yaml"))
REPO = Path(__file__).resolve().parent.parent


def write(tmp_path: Path, text: str, name: str = "b.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text.replace("SCEN", str(REPO / SEPTEMBER)), encoding="utf-8")
    return path


GOOD = """title: t
scenario: SCEN
at: 2022-09-08T06:00
changes:
  - save_bridge: kupiansk_road_bridge
"""


def test_every_lesson_loads(theatre):
    assert len(LESSONS) >= 6
    for path in LESSONS:
        b = branch_file.load_branch(path, theatre)
        assert b.spec.question and b.spec.context, path.name  # docs/lessons.md needs both
        assert 0 < b.hour < b.scenario.hours


@pytest.mark.parametrize(
    "text, line, field, message",
    [
        (GOOD.replace("title: t", "title: t\ncolour: red"), 2, "colour", "unknown field"),
        (GOOD.replace("at: 2022-09-08T06:00\n", ""), None, "", "at: (a date and time) or hour:"),
        (GOOD + "hour: 5\n", 3, "at", "one of them"),
        (GOOD.replace("06:00", "06:30"), 3, "at", "on the hour"),
        (GOOD.replace("06:00", "06:00+03:00"), 3, "at", "without a UTC offset"),
        (GOOD.replace("title: t", "title: t\nseed: -1"), 2, "seed", "greater than or equal"),
        (GOOD.replace("2022-09-08", "2022-10-08"), 3, "at", "outside the scenario"),
        (GOOD.replace("scenario: SCEN", "scenario: nowhere.yaml"), 2, "scenario", "no scenario"),
        (
            GOOD.replace("save_bridge: kupiansk_road_bridge", "save_bridge: kupiansk_road_brige"),
            5,
            "changes[0].save_bridge",
            "did you mean kupiansk_road_bridge",
        ),
        (
            GOOD.replace("save_bridge: kupiansk_road_bridge", "hold: ru_rosg_balaklia"),
            5,
            "changes[0].hold",
            "did you mean 'ru_rosg_balakliia'",
        ),
        (
            GOOD.replace(
                "save_bridge: kupiansk_road_bridge", "attack: ua_25_abn\n    to: Atlantis"
            ),
            6,
            "changes[0].to[0]",
            "unknown place",
        ),
        (
            GOOD.replace(
                "save_bridge: kupiansk_road_bridge", "parameter: weight_tank\n    value: -3"
            ),
            6,
            "changes[0].value",
            "greater than or equal to 0",
        ),
        (
            GOOD.replace(
                "save_bridge: kupiansk_road_bridge",
                "parameter: weight_tank\n    value: 3\n    side: UA",
            ),
            7,
            "changes[0].side",
            "not a doctrine parameter",
        ),
        (
            GOOD.replace("save_bridge: kupiansk_road_bridge", "hold: x\n    factor: 2"),
            5,
            "changes[0]",
            "does not go with hold",
        ),
        (
            GOOD.replace("changes:\n  - save_bridge: kupiansk_road_bridge\n", "changes: []\n"),
            4,
            "changes",
            "at least 1",
        ),
        ("title: [unclosed\n", 2, "", "YAML syntax"),
        (GOOD.replace("title: t", "title: t\nseed: !!bool maybe"), 2, "", "not a bool value"),
        ("- a list\n", 1, "", "expected a mapping"),
    ],
)
def test_a_bad_branch_file_gives_one_located_error(tmp_path, theatre, text, line, field, message):
    path = write(tmp_path, text)
    with pytest.raises(ScenarioError) as e:
        branch_file.load_branch(path, theatre)
    err = e.value
    assert err.file == str(path)
    assert message in err.message
    assert err.path == field
    if line is not None:
        assert err.line == line


@pytest.mark.parametrize(
    "value", ["2022-09-08T06:00+03:00", "2022-09-08T03:00Z", '"2022-09-08T06:00-05:30"']
)
def test_a_utc_offset_in_a_branch_file_gets_the_scenario_files_message(tmp_path, theatre, value):
    """The branch time is Kyiv local time like a scenario's times: a time with a UTC offset is
    refused at the branch file's line with the scenario loader's own message (which says the
    Kyiv time to write instead)."""
    in_scenario = scenario_error(VALID.replace("start: 2022-09-06T00:00", f"start: {value}", 1))
    expected = next(p.message for p in in_scenario.problems if p.path == "start")
    path = write(tmp_path, GOOD.replace("at: 2022-09-08T06:00", f"at: {value}"))
    with pytest.raises(ScenarioError) as e:
        branch_file.load_branch(path, theatre)
    assert (e.value.line, e.value.path, e.value.message) == (3, "at", expected)
    assert "Kyiv local time, written without a UTC offset" in expected


def test_a_utc_offset_in_a_branch_file_says_the_kyiv_time_to_write(tmp_path, theatre):
    zoneinfo = pytest.importorskip("zoneinfo")
    try:
        zoneinfo.ZoneInfo("Europe/Kyiv")
    except zoneinfo.ZoneInfoNotFoundError:
        pytest.skip("no time zone database here: the message goes without the hint")
    path = write(tmp_path, GOOD.replace("at: 2022-09-08T06:00", "at: 2022-09-08T03:00Z"))
    with pytest.raises(ScenarioError) as e:
        branch_file.load_branch(path, theatre)
    assert "2022-09-08T06:00 in Kyiv: write that" in e.value.message  # UTC+3 in September


def test_a_change_that_cannot_be_made_at_the_hour_is_located_at_its_line(tmp_path, theatre):
    path = write(
        tmp_path,
        GOOD.replace(
            "save_bridge: kupiansk_road_bridge",
            "save_bridge: kupiansk_road_bridge\n  - hold: ua_14_mech",
        ),
    )
    b = branch_file.load_branch(path, theatre)
    with pytest.raises(ScenarioError, match="not on the map yet") as e:
        branch_file.simulate(b)
    assert e.value.line == 6 and e.value.path == "changes[1]"


CHANGE_EXAMPLES = [
    {"save_bridge": "kupiansk_rail_bridge"},
    {"strength": "ru_2_gmrd", "factor": 0.5},
    {"attack": "ua_25_abn", "to": ["izium_n", "oskil"]},
    {"withdrawal": "RU", "on": False},
    {"parameter": "order_delay_hours", "value": 6.0, "side": "RU"},
    {"parameter": "weight_tank", "value": 25.0},
    {"release": "ua_80_aaslt"},
]


@settings(max_examples=4, deadline=None)
@given(hour=st.integers(0, 269), kind=st.sampled_from(CHANGE_EXAMPLES), seed=st.integers(0, 2**31))
def test_a_saved_branch_file_reads_back_the_same(tmp_path_factory, theatre, hour, kind, seed):
    sc_path = REPO / SEPTEMBER
    sc = load_scenario(sc_path, theatre)
    when = sc.start + timedelta(hours=hour)
    out = tmp_path_factory.mktemp("saved") / "deep" / "w.yaml"
    changes = [Change.model_validate(kind)]
    branch_file.save_branch(
        out,
        title="What if: a test",
        scenario=sc_path,
        seed=seed,
        when=when,
        changes=changes,
        question="Why?",
        parameters={"combat_noise": 0.1},
    )
    b = branch_file.load_branch(out, theatre)
    assert (b.hour, b.spec.seed, b.changes, b.spec.title) == (
        hour,
        seed,
        changes,
        "What if: a test",
    )
    assert b.params.combat_noise == 0.1 and b.scenario_path == sc_path.resolve()


# ---------------------------------------------------------------------------------- futures
def test_a_branch_with_no_change_has_no_difference(theatre, scenarios, reference):
    sc = scenarios[SEPTEMBER]
    model = model_at(theatre, sc, 70)
    twin = snapshot(model)
    base, alt = model.run(), twin.run()
    f = compare_futures(base, alt, sc, 70)
    assert f.lines() == ["No difference: the branch's future is the base's."]
    assert not any(p.differs for p in f.places)


def test_the_futures_name_the_places_that_fall_at_other_times():
    """On the line a-b-c-d (tests/test_plan.py), UA attacks b, held by a small RU post; in the
    branch the attacker is halved at hour 1, before it reaches b. The ground gained each hour
    grows with the odds (docs/model.md, "Taking ground"), and with no combat noise the halved
    attack still clears b, later: b passes to UA in both futures, and the lines say so with
    both dates and the record's."""
    scenario = toy_scenario(
        [
            {"id": "ua", "name": "UA", "side": "UA", "at": "a", "equipment": {"personnel": 1000}},
            {"id": "rb", "name": "RU b", "side": "RU", "at": "b", "equipment": {"personnel": 150}},
        ],
        hours=72,
        orders=[{"id": "push", "units": ["ua"], "task": "attack", "objective": "b"}],
        depots=[{"id": "ua_d", "side": "UA", "at": "a"}, {"id": "ru_d", "side": "RU", "at": "d"}],
        control={"nodes": {"RU": ["b", "c", "d"]}},
        parameters=QUIET,
        history=[{"date": "2022-09-07T12:00", "place": "b", "holder": "UA"}],  # a key place
    )
    model = run_to(CampaignModel(scenario, toy_theatre(LINE4, EDGES4), seed=0), 1)
    twin = snapshot(model)
    branch.scale_unit(twin, "ua", 0.5)
    base, alt = model.run(), twin.run()
    f = compare_futures(base, alt, scenario, 1)
    post = f.place("b")
    assert post.base is not None and post.branch is not None and post.branch > post.base
    (line,) = [ln for ln in f.lines() if ln.startswith("B ")]
    assert "passes to UA" in line and "later" in line, line
    for t in (post.branch, post.base):
        assert f"{t.day} {t:%b %H:%M}" in line, (t, line)
    assert "record: 7 Sep" in line
    early = f.lines(until=1)  # at the branch hour nothing differs yet
    assert early[0].startswith("No difference by")


def test_a_packed_record_unpacks_to_the_same_record(theatre, scenarios, reference):
    from sim.view.whatif_job import pack, unpack

    sc = scenarios[SEPTEMBER]
    rec = CampaignModel(sc, theatre_for(sc, theatre), seed=0).run()
    again = unpack(pickle.loads(pickle.dumps(pack(rec))))
    assert blob(again) == reference[SEPTEMBER]


def test_the_worker_process_gives_what_the_thread_gives(theatre, scenarios):
    """The viewer's worker process (spawned, so with its own interpreter) and a thread of
    this process simulate the same what-if to the same futures."""
    from sim.view.whatif_job import Brancher

    sc = scenarios[SEPTEMBER]
    own = theatre_for(sc, theatre)  # its own map: the places it adds
    rec = CampaignModel(sc, own, seed=0).run()
    change = [Change(strength="ru_rosg_balakliia", factor=3.0)]
    local = Brancher(sc, own, sc.parameters_with(), 0, base_record=rec, process=False).run_now(
        12, change
    )
    remote = Brancher(sc, own, sc.parameters_with(), 0, base_record=rec)
    try:
        job = remote.start(12, change)
        job.join(timeout=120)
        assert job.done and job.error is None, job.error
    finally:
        remote.close()
    assert job.result.futures.lines() == local.futures.lines()
    assert blob(job.result.futures.branch) == blob(local.futures.branch)
    assert job.result.texts == local.texts


# ---------------------------------------------------------------------------------- command
def cli(*args: str, cwd: Path = REPO) -> Result:
    """run.py ARGS in this process (tests/clirun.py)."""
    return run(*args, cwd=cwd)


def test_run_py_branch_headless_writes_both_runs_and_the_differences(tmp_path):
    lesson = REPO / "examples" / "lessons" / "sep_1_balakliia_reinforced.yaml"
    out = tmp_path / "out"
    proc = cli("branch", str(lesson), "--headless", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    assert "Balakliia passes to UA" in proc.stdout
    summary = json.loads((out / "whatif.json").read_text())
    assert summary["hour"] == 12 and summary["differences"]
    for run_dir in ("base", "branch"):
        for name in ("frames.json.gz", "events.csv", "history_comparison.csv"):
            assert (out / run_dir / name).is_file()
    events = (out / "branch" / "events.csv").read_text()
    assert "What if: Rosgvardia" in events


@pytest.mark.parametrize(
    "args, message",
    [
        (["branch", "missing.yaml", "--headless"], "missing.yaml: file not found"),
        (["branch", "LESSON", "--record", "x.txt"], "expected a .gif or .mp4"),
        (["branch", "LESSON", "--at", "2022-09-08T00:00"], "--at goes with --screenshot"),
        (["view", "LESSON"], "no display available"),
        (["branch", "LESSON", "--size", "10x10"], "WIDTHxHEIGHT"),
    ],
)
def test_run_py_branch_bad_input_is_one_line_and_exit_2(tmp_path, monkeypatch, args, message):
    lesson = str(LESSONS[0])
    env_args = [lesson if a == "LESSON" else a for a in args]
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.setenv("SDL_VIDEODRIVER", "dummy")
    proc = run(*env_args, cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], proc.stderr
    assert "Traceback" not in proc.stderr


def test_run_py_branch_keeps_another_whatifs_files(tmp_path):
    """--out holding another what-if is refused before simulating (unless --replace); the
    same what-if again may write over its own files."""
    out = tmp_path / "out"
    first = REPO / "examples" / "lessons" / "sep_3_kupiansk_bridge_held.yaml"
    other = REPO / "examples" / "lessons" / "sep_2_rail_bridge_cut.yaml"
    assert cli("branch", str(first), "--headless", "--out", str(out)).returncode == 0
    again = cli("branch", str(first), "--headless", "--out", str(out))
    assert again.returncode == 0, again.stderr
    refused = cli("branch", str(other), "--headless", "--out", str(out))
    assert refused.returncode == 2 and "another what-if" in refused.stderr
    assert "Kupiansk road bridge" in json.loads((out / "whatif.json").read_text())["what_if"][0]
    replaced = cli("branch", str(other), "--headless", "--out", str(out), "--replace")
    assert replaced.returncode == 0, replaced.stderr


def test_run_py_view_branch_screenshot(tmp_path):
    lesson = REPO / "examples" / "lessons" / "sep_2_rail_bridge_cut.yaml"
    png = tmp_path / "shot.png"
    proc = cli("view", str(lesson), "--split", "--screenshot", str(png), "--at", "2022-09-10T12:00")
    assert proc.returncode == 0, proc.stderr
    assert png.stat().st_size > 10_000
