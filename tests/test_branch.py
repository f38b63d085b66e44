"""Branching a run (sim/branch.py): a snapshot continued with no change is the uninterrupted
run, byte for byte, at any hour of either scenario; each change does what it says, on the copy
only."""

from __future__ import annotations

import json
import pickle
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest
from clirun import Result, run
from hypothesis import example, given, settings
from hypothesis import strategies as st

from sim import branch, branch_file
from sim.branch import Change, ChangeError, Checkpoints, run_to, snapshot
from sim.combat import PERSONNEL
from sim.futures import compare_futures
from sim.model import CampaignModel
from sim.params import Parameters
from sim.report import write_run
from sim.scenario import ScenarioError, Task, load_scenario
from sim.theatre import build_theatre
from sim.world import CrossingState

SEPTEMBER = "scenarios/izium_2022_09.yaml"
MARCH = "scenarios/izium_2022_03.yaml"


@pytest.fixture(scope="module")
def theatre():
    return build_theatre()


@pytest.fixture(scope="module")
def scenarios(theatre):
    return {f: load_scenario(f, theatre) for f in (SEPTEMBER, MARCH)}


@pytest.fixture(scope="module")
def reference(theatre, scenarios):
    """The uninterrupted run of each scenario (seed 0), as the bytes it is compared by."""
    return {f: blob(CampaignModel(s, theatre, seed=0).run()) for f, s in scenarios.items()}


def blob(record) -> str:
    """Everything a run leaves behind: frames, events, control changes, battles, the time
    series and the parameters, as one canonical JSON text."""
    return json.dumps(
        {
            "frames": record.frames,
            "events": record.events,
            "control_changes": record.control_changes,
            "battles": record.battles,
            "series": record.series(),
            "parameters": record.parameters,
            "hours": record.hours,
        },
        sort_keys=True,
        default=str,
    )


def model_at(theatre, scenario, hour: int, seed: int = 0) -> CampaignModel:
    return run_to(CampaignModel(scenario, theatre, seed=seed), hour)


# ---------------------------------------------------------------------------------- identity
def _continues_unchanged(theatre, scenarios, reference, file: str, hour: int) -> None:
    model = model_at(theatre, scenarios[file], hour)
    twin = snapshot(model)
    assert twin is not model and twin.world is not model.world
    assert blob(twin.run()) == reference[file]  # the copy continues as the run would
    assert blob(model.run()) == reference[file]  # and the original is undisturbed


@settings(max_examples=2, deadline=None)
@given(hour=st.integers(0, 270))
@example(hour=0)
@example(hour=270)
def test_a_september_branch_with_no_change_is_the_uninterrupted_run(
    theatre, scenarios, reference, hour
):
    assert scenarios[SEPTEMBER].hours == 270
    _continues_unchanged(theatre, scenarios, reference, SEPTEMBER, hour)


@settings(max_examples=2, deadline=None)
@given(hour=st.integers(1, 931))
def test_a_march_branch_with_no_change_is_the_uninterrupted_run(
    theatre, scenarios, reference, hour
):
    assert scenarios[MARCH].hours == 932
    _continues_unchanged(theatre, scenarios, reference, MARCH, hour)


def test_the_written_files_are_byte_identical(theatre, scenarios, tmp_path):
    """The files a replay writes (frames.json.gz, CSVs, summary.json) from a run branched at
    hour 50 with no change are the uninterrupted run's, byte for byte."""
    sc = scenarios[SEPTEMBER]
    whole = write_run(CampaignModel(sc, theatre, seed=3).run(), tmp_path / "whole")
    twin = snapshot(model_at(theatre, sc, 50, seed=3))
    branched = write_run(twin.run(), tmp_path / "branched")
    assert [p.name for p in whole] == [p.name for p in branched]
    for a, b in zip(whole, branched, strict=True):
        assert a.read_bytes() == b.read_bytes(), a.name


def test_a_reinforcement_arriving_in_a_copy_gets_the_id_it_would_have_had(theatre, scenarios):
    """Mesa numbers agents per model from a class-level counter: a copy's counter goes on
    from the original's, so units arriving later are numbered alike in both."""
    sc = scenarios[SEPTEMBER]
    model = model_at(theatre, sc, 60)  # the 14th Mechanized Brigade arrives at hour 67
    twin = snapshot(model)
    run_to(model, 80)
    run_to(twin, 80)
    ids = {u.key: u.unique_id for u in model.active_units()}
    assert {u.key: u.unique_id for u in twin.active_units()} == ids
    assert len(set(ids.values())) == len(ids)
    assert model.unit("ua_14_mech") is not None


def test_checkpoints_reach_any_hour_in_any_order(theatre, scenarios, reference):
    """A base run kept as checkpoints gives, at an hour asked for after a later one, the
    same model as a run stopped there."""
    sc = scenarios[SEPTEMBER]
    cp = Checkpoints(sc, theatre, seed=0, every_h=24)
    late = cp.model_at(200)
    early = cp.model_at(37)
    assert late.steps == 200 and early.steps == 37
    assert blob(early.run()) == reference[SEPTEMBER]
    assert blob(cp.model_at(200).run()) == reference[SEPTEMBER]
    assert cp.model_at(10, cancelled=lambda: True) is None


# ---------------------------------------------------------------------------------- changes
@pytest.fixture(scope="module")
def at60(theatre, scenarios):
    """September, stopped at hour 60 (8 Sep 06:00), kept unchanged: tests change copies."""
    return model_at(theatre, scenarios[SEPTEMBER], 60)


def whatif_events(m: CampaignModel) -> list[dict]:
    return [e for e in m.record.events if e["kind"] == "whatif"]


def test_a_change_is_made_on_the_copy_only_and_logged_at_the_branch_hour(at60):
    before = blob(at60.record), at60.unit("ru_2_gmrd").equipment.copy()
    twin = snapshot(at60)
    branch.scale_unit(twin, "ru_2_gmrd", 2.0)
    branch.save_bridge(twin, "kupiansk_rail_bridge")
    assert blob(at60.record) == before[0]
    assert (at60.unit("ru_2_gmrd").equipment == before[1]).all()
    assert "kupiansk_rail_bridge" not in at60.world.indestructible
    events = whatif_events(twin)
    assert len(events) == 2
    assert {e["time"] for e in events} == {twin.record.frames[-1]["time"]}


def test_reinforce_keeps_the_strength_fraction_and_weaken_counts_losses(at60):
    twin = snapshot(at60)
    unit = twin.unit("ru_2_gmrd")
    eq, fraction, lost = unit.equipment.copy(), unit.strength_fraction, unit.lost.copy()
    branch.scale_unit(twin, "ru_2_gmrd", 1.5)
    assert (unit.equipment == np.round(eq * 1.5)).all()
    assert unit.strength_fraction == pytest.approx(fraction, rel=1e-3)
    other = snapshot(at60).unit("ru_2_gmrd")
    branch.scale_unit(other.model, "ru_2_gmrd", 0.5)
    assert other.equipment[PERSONNEL] == np.round(eq[PERSONNEL] * 0.5)
    assert other.strength_fraction < fraction
    assert (other.lost - lost == eq - other.equipment).all()
    with pytest.raises(ChangeError, match="factor"):
        branch.scale_unit(snapshot(at60), "ru_2_gmrd", 0.0)


def test_a_saved_bridge_survives_the_strike_that_destroys_it_in_the_base(theatre, scenarios):
    """The Kupiansk road bridge is destroyed at 9 Sep 13:00 (a scenario event): saved at hour
    60, it stands to the end, and the record says the strike failed."""
    model = model_at(theatre, scenarios[SEPTEMBER], 60)
    twin = snapshot(model)
    branch.save_bridge(twin, "kupiansk_road_bridge")
    base, alt = model.run(), twin.run()
    assert "kupiansk_road_bridge" in base.frames[-1]["crossings"]
    assert all("kupiansk_road_bridge" not in f["crossings"] for f in alt.frames)
    assert any(
        e["kind"] == "bridge_held" and e["target"] == "kupiansk_road_bridge" for e in alt.events
    )


def test_a_destroyed_bridge_is_down_at_once_and_never_crossed(at60):
    twin = snapshot(at60)
    branch.destroy_bridge(twin, "kupiansk_rail_bridge")
    assert twin.world.crossings["kupiansk_rail_bridge"] == CrossingState.DESTROYED
    c = twin.theatre.crossings["kupiansk_rail_bridge"]
    record = twin.run()
    start = len(at60.record.frames)
    for before, after in zip(record.frames[start - 1 :], record.frames[start:], strict=False):
        if after["crossings"].get("kupiansk_rail_bridge") != "destroyed":
            break  # a pontoon may replace it; then crossing is allowed
        where = {u["id"]: u["node"] for u in before["units"]}
        for u in after["units"]:
            assert {where.get(u["id"]), u["node"]} != {c.u, c.v}
    with pytest.raises(ChangeError, match="already destroyed"):
        branch.destroy_bridge(twin, "kupiansk_rail_bridge")
    with pytest.raises(ChangeError, match="not a bridge|no bridge"):
        branch.destroy_bridge(snapshot(at60), "izium_n")


def test_hold_release_and_a_new_objective_set_the_unit_task(at60):
    twin = snapshot(at60)
    branch.hold_unit(twin, "ua_25_abn")
    u = twin.unit("ua_25_abn")
    assert u.task == Task.HOLD and not u.route and u.objective is None
    branch.release_unit(twin, "ua_25_abn")
    assert u.task == Task.RESERVE
    branch.give_objective(twin, "ua_25_abn", "attack", ["kupiansk_w"])
    assert u.task == Task.ATTACK and u.objective == "kupiansk_w" and u.route
    assert u.route[-1] == "kupiansk_w"
    with pytest.raises(ChangeError, match="not on the map yet"):
        branch.hold_unit(twin, "ua_14_mech")  # arrives at hour 67
    with pytest.raises(ChangeError, match="no unit"):
        branch.hold_unit(twin, "ua_99_nothing")
    with pytest.raises(ChangeError, match="attack or move"):
        branch.give_objective(twin, "ua_25_abn", "withdraw", ["kupiansk_w"])


def test_parameters_are_replaced_by_validated_copies(at60):
    twin = snapshot(at60)
    old = twin.params
    branch.set_parameter(twin, "weight_tank", 60.0)
    assert old.weight_tank == Parameters().weight_tank  # the frozen original is untouched
    assert twin.params.weight_tank == 60.0 == twin.params_of("RU").weight_tank
    assert twin.weights[1] == 60.0
    assert twin.record.parameters["weight_tank"] == 60.0
    assert at60.params.weight_tank == old.weight_tank
    branch.set_parameter(twin, "order_delay_hours", 2, side="RU")
    assert twin.params_of("RU").order_delay_hours == 2
    assert twin.params_of("UA").order_delay_hours == at60.params_of("UA").order_delay_hours
    with pytest.raises(ChangeError, match="greater than or equal to 0"):
        branch.set_parameter(twin, "weight_tank", -1)
    with pytest.raises(ChangeError, match="not a doctrine parameter"):
        branch.set_parameter(twin, "weight_tank", 2, side="UA")
    with pytest.raises(ChangeError, match="no model parameter"):
        branch.set_parameter(twin, "weight_tanks", 2)


def test_withdrawal_doctrine_off_for_one_side(at60):
    twin = snapshot(at60)
    branch.set_withdrawal(twin, "RU", False)
    assert twin.params_of("RU").withdrawal_doctrine is False
    assert twin.params_of("UA").withdrawal_doctrine is True
    assert [e["text"] for e in whatif_events(twin)] == ["What if: RU command never withdraws"]


def test_with_ru_withdrawal_off_no_ru_grouping_is_ordered_back(theatre, scenarios):
    """The commander's withdrawal orders ('orders ... back') stop from the branch hour on."""
    twin = snapshot(model_at(theatre, scenarios[SEPTEMBER], 40))
    branch.set_withdrawal(twin, "RU", False)
    hour40 = twin.record.frames[-1]["time"]
    record = twin.run()
    later = [
        e
        for e in record.events
        if e["time"] > hour40
        and e["kind"] == "command"
        and e["side"] == "RU"
        and "orders" in e["text"]
        and "back" in e["text"]
    ]
    assert later == []


# ---------------------------------------------------------------------------------- as data
def test_a_change_names_exactly_one_kind_with_its_fields():
    assert Change.model_validate({"hold": "x"}).kind == "hold"
    assert Change.model_validate({"attack": "x", "to": "izium"}).to == ["izium"]
    for bad, match in (
        ({}, "exactly one"),
        ({"hold": "x", "release": "y"}, "exactly one"),
        ({"hold": "x", "factor": 2}, "does not go with hold"),
        ({"strength": "x"}, "needs factor"),
        ({"attack": "x"}, "needs to"),
        ({"withdrawal": "XX", "on": False}, "expected UA or RU"),
        ({"strength": "x", "factor": 1}, "changes nothing"),
    ):
        with pytest.raises(ValueError, match=match):
            Change.model_validate(bad)


def test_apply_changes_says_which_change_failed(at60):
    twin = snapshot(at60)
    changes = [Change(save_bridge="kupiansk_rail_bridge"), Change(hold="ua_14_mech")]
    with pytest.raises(ChangeError) as e:
        branch.apply_changes(twin, changes)
    assert e.value.index == 1


# ---------------------------------------------------------------------------------- files
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


@settings(max_examples=10, deadline=None)
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


def test_the_futures_name_the_places_that_fall_at_other_times(theatre, scenarios):
    """RU never withdrawing from hour 84: the places it gives up in the base fall later or
    not at all, and the lines say so with both dates."""
    sc = scenarios[SEPTEMBER]
    model = model_at(theatre, sc, 84)
    twin = snapshot(model)
    branch.set_withdrawal(twin, "RU", False)
    base, alt = model.run(), twin.run()
    f = compare_futures(base, alt, sc, 84)
    south = f.place("izium_s")
    assert south.base is not None and (south.branch is None or south.branch > south.base)
    text = "\n".join(f.lines())
    assert "Izium (south bank)" in text and f"{south.base.day} Sep" in text
    early = f.lines(until=84)  # at the branch hour nothing differs yet
    assert early[0].startswith("No difference by")


def test_a_packed_record_unpacks_to_the_same_record(theatre, scenarios, reference):
    from sim.view.whatif_job import pack, unpack

    rec = CampaignModel(scenarios[SEPTEMBER], theatre, seed=0).run()
    again = unpack(pickle.loads(pickle.dumps(pack(rec))))
    assert blob(again) == reference[SEPTEMBER]


def test_the_worker_process_gives_what_the_thread_gives(theatre, scenarios):
    """The viewer's worker process (spawned, so with its own interpreter) and a thread of
    this process simulate the same what-if to the same futures."""
    from sim.view.whatif_job import Brancher

    sc = scenarios[SEPTEMBER]
    rec = CampaignModel(sc, theatre, seed=0).run()
    change = [Change(strength="ru_rosg_balakliia", factor=3.0)]
    local = Brancher(sc, theatre, sc.parameters_with(), 0, base_record=rec, process=False).run_now(
        12, change
    )
    remote = Brancher(sc, theatre, sc.parameters_with(), 0, base_record=rec)
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
