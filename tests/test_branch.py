"""Branching a run (sim/whatif/branch.py): a snapshot continued with no change is the uninterrupted
run, byte for byte, at any hour of either scenario; each change does what it says, on the copy
only."""

from __future__ import annotations

import numpy as np
import pytest
from branchkit import APRIL_MAY, MARCH, SEPTEMBER, blob, model_at
from hypothesis import example, given, settings
from hypothesis import strategies as st
from toy import with_strike

from sim.map.theatre import build_theatre
from sim.model import CampaignModel
from sim.model.params import Parameters
from sim.model.rules.combat_math import PERSONNEL
from sim.model.world import CrossingState
from sim.runs.report import write_run
from sim.scenario import Task, load_scenario
from sim.scenario.theatre import theatre_for
from sim.whatif import branch
from sim.whatif.branch import Change, ChangeError, Checkpoints, run_to, snapshot


@pytest.fixture(scope="module")
def theatre():
    return build_theatre()


@pytest.fixture(scope="module")
def scenarios(theatre):
    return {f: load_scenario(f, theatre) for f in (SEPTEMBER, MARCH, APRIL_MAY)}


@pytest.fixture(scope="module")
def reference(theatre, scenarios):
    """The uninterrupted run of each scenario (seed 0), as the bytes it is compared by."""
    return {
        f: blob(CampaignModel(s, theatre_for(s, theatre), seed=0).run())
        for f, s in scenarios.items()
    }


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


@settings(max_examples=2, deadline=None)
@given(hour=st.integers(1, 701))
def test_an_april_may_branch_with_no_change_is_the_uninterrupted_run(
    theatre, scenarios, reference, hour
):
    assert scenarios[APRIL_MAY].hours == 702
    _continues_unchanged(theatre, scenarios, reference, APRIL_MAY, hour)


def test_the_written_files_are_byte_identical(theatre, scenarios, tmp_path):
    """The files a replay writes (frames.json.gz, CSVs, summary.json) from a run branched at
    hour 50 with no change are the uninterrupted run's, byte for byte."""
    sc = scenarios[SEPTEMBER]
    whole = write_run(CampaignModel(sc, theatre_for(sc, theatre), seed=3).run(), tmp_path / "whole")
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
    ids = {u.key: u.unique_id for u in model.world.active_units()}
    assert {u.key: u.unique_id for u in twin.world.active_units()} == ids
    assert len(set(ids.values())) == len(ids)
    assert model.unit("ua_14_mech") is not None


def test_checkpoints_reach_any_hour_in_any_order(theatre, scenarios, reference):
    """A base run kept as checkpoints gives, at an hour asked for after a later one, the
    same model as a run stopped there."""
    sc = scenarios[SEPTEMBER]
    cp = Checkpoints(sc, theatre_for(sc, theatre), seed=0, every_h=24)
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


#: The hour of the test's strike on the Kupiansk road bridge: after the branch hour (60).
STRIKE_H = 100


def test_a_saved_bridge_survives_the_strike_that_destroys_it_in_the_base(theatre, scenarios):
    """September with a strike on the Kupiansk road bridge at hour 100 (set up by the test,
    probability 1): the bridge, saved at hour 60, stands to the end and the record says the
    strike failed; in the base the strike destroys it."""
    bridge = "kupiansk_road_bridge"
    model = model_at(theatre, with_strike(scenarios[SEPTEMBER], bridge, STRIKE_H), 60)
    assert model.world.crossings[bridge] == CrossingState.INTACT
    twin = snapshot(model)
    branch.save_bridge(twin, bridge)
    base, alt = model.run(), twin.run()
    assert base.frames[-1]["crossings"].get(bridge) == "destroyed"
    assert all(bridge not in f["crossings"] for f in alt.frames)
    held = [e for e in alt.events if e["kind"] == "bridge_held" and e["target"] == bridge]
    assert held and "a test's strike" in held[0]["text"]


def test_a_destroyed_bridge_is_down_at_once_and_never_crossed(at60):
    """The rail bridge between Kupiansk's west bank and the junction, destroyed: no unit goes
    from one end to the other within an hour while it is down. The road bridge goes too: over
    it and the east bank a fast unit covers the two places in one hour."""
    twin = snapshot(at60)
    branch.destroy_bridge(twin, "kupiansk_rail_bridge")
    if twin.world.crossings["kupiansk_road_bridge"] != CrossingState.DESTROYED:
        branch.destroy_bridge(twin, "kupiansk_road_bridge")
    assert twin.world.crossings["kupiansk_rail_bridge"] == CrossingState.DESTROYED
    c = twin.theatre.crossings["kupiansk_rail_bridge"]
    record = twin.run()
    start = len(at60.record.frames)
    for before, after in zip(record.frames[start - 1 :], record.frames[start:], strict=False):
        if any(
            after["crossings"].get(b) != "destroyed"
            for b in ("kupiansk_rail_bridge", "kupiansk_road_bridge")
        ):
            break  # a pontoon may replace one; then crossing is allowed
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
    assert twin.params.weight_tank == 60.0 == twin.world.physics.weight_tank
    assert twin.world.weights[1] == 60.0
    assert twin.record.parameters["weight_tank"] == 60.0
    assert at60.params.weight_tank == old.weight_tank
    branch.set_parameter(twin, "order_delay_hours", 2, side="RU")
    assert twin.world.doctrine["RU"].order_delay_hours == 2
    ua_before = at60.world.doctrine["UA"].order_delay_hours
    assert twin.world.doctrine["UA"].order_delay_hours == ua_before
    with pytest.raises(ChangeError, match="greater than or equal to 0"):
        branch.set_parameter(twin, "weight_tank", -1)
    with pytest.raises(ChangeError, match="not a doctrine parameter"):
        branch.set_parameter(twin, "weight_tank", 2, side="UA")
    with pytest.raises(ChangeError, match="no model parameter"):
        branch.set_parameter(twin, "weight_tanks", 2)


def test_withdrawal_doctrine_off_for_one_side(at60):
    twin = snapshot(at60)
    branch.set_withdrawal(twin, "RU", False)
    assert twin.world.doctrine["RU"].withdrawal_doctrine is False
    assert twin.world.doctrine["UA"].withdrawal_doctrine is True
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
