"""The comparison with history, on the hand-worked duel of docs/model.md started an hour late:
b passes from RU to UA at the end of hour 40 + 1 = 41, 2022-09-07T17:00 (tests/test_model.py
checks the duel)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from test_model import CLEAN, LINE, LINE_EDGES
from toy import START, toy_scenario, toy_theatre

from sim.model import CampaignModel
from sim.model.params import Parameters
from sim.runs.history import (
    attacking_side,
    compare,
    comparison_table,
    contested,
    null_comparison,
    null_scenario,
    with_null_run,
    write_comparison,
)
from sim.scenario import Order, Scenario, WhatIf

OBS = [
    {"date": date(2022, 9, 7), "place": "b", "holder": "UA"},  # change, on the day
    {"date": date(2022, 9, 9), "place": "b", "holder": "UA"},  # change, run 2 days early
    {"date": date(2022, 9, 7), "place": "c", "holder": "RU"},  # hold, met
    {"date": date(2022, 9, 8), "place": "b", "holder": "RU"},  # hold, lost 1.25 days early
    {"date": date(2022, 9, 8), "place": "b", "holder": "UA", "bound": True},  # by then: met
    {"date": date(2022, 9, 7), "side": "UA", "area_km2": 100},  # one node of 100 km²: exact
    {"date": date(2022, 9, 7), "side": "UA", "area_km2": 400, "relation": ">="},  # -75 %
    {"date": date(2022, 9, 6), "side": "UA", "area_km2": 50, "relation": "<="},  # 0 <= 50
    {
        "date": date(2022, 9, 6),
        "until": date(2022, 9, 8),
        "place": "b",
        "holder": "UA",
    },  # a window around the 7th: no error
    {
        "date": date(2022, 9, 3),
        "until": date(2022, 9, 5),
        "place": "b",
        "holder": "UA",
    },  # a window that ends two days before the run's change: +2
    {
        "date": date(2022, 9, 8),
        "until": date(2022, 9, 10),
        "place": "b",
        "holder": "UA",
    },  # a window that starts the day after: -1, still met
    {
        "date": date(2022, 9, 6),
        "until": date(2022, 9, 7),
        "place": "b",
        "holder": "RU",
    },  # a hold through the 7th: lost at 17:00 that day, 0.25 days early
]


@pytest.fixture(scope="module")
def comparison():
    theatre = toy_theatre(LINE, LINE_EDGES)
    scenario = toy_scenario(
        [
            {
                "id": "ua1",
                "name": "UA 1",
                "side": "UA",
                "at": "a",
                "equipment": {"personnel": 1000, "tanks": 10},
            },
            {
                "id": "ru1",
                "name": "RU 1",
                "side": "RU",
                "at": "b",
                "arrives": START,
                "equipment": {"personnel": 500},
            },
        ],
        hours=72,
        orders=[
            {
                "units": ["ua1"],
                "task": "attack",
                "objective": "b",
                "start": START + timedelta(hours=1),
            }
        ],
        depots=[{"id": "ua_d", "side": "UA", "at": "a"}, {"id": "ru_d", "side": "RU", "at": "c"}],
        control={"nodes": {"RU": ["b", "c"]}},
        parameters=CLEAN,
        history=OBS,
    )
    model = CampaignModel(scenario, theatre, seed=1)
    return compare(model.run(), scenario, theatre)


def test_each_kind_of_observation_is_judged_as_documented(comparison):
    rows = {(r.place, r.holder, r.date.day, r.kind, r.relation): r for r in comparison.rows}
    on_day = rows[("b", "UA", 7, "control", "=")]
    assert (on_day.error_days, on_day.ok, on_day.credit) == (0.0, True, 1.0)
    assert on_day.sim_date.isoformat() == "2022-09-07T17:00:00"
    early = rows[("b", "UA", 9, "control", "=")]
    assert (early.error_days, early.ok) == (-2.0, False)
    assert early.credit == pytest.approx(1 / 3)
    assert rows[("c", "RU", 7, "control", "=")].ok
    lost = rows[("b", "RU", 8, "control", "=")]
    assert not lost.ok and lost.error_days == pytest.approx(-1.25)
    bound = [r for r in comparison.rows if r.place == "b" and r.date.day == 8 and r.holder == "UA"][
        0
    ]
    assert bound.ok and bound.credit == 1.0
    exact = rows[(None, "UA", 7, "area", "=")]
    assert (exact.simulated, exact.ok, exact.credit) == (100.0, True, 1.0)
    short = rows[(None, "UA", 7, "area", ">=")]
    assert not short.ok and short.credit == pytest.approx(0.25)
    under = rows[(None, "UA", 6, "area", "<=")]
    assert under.ok and under.credit == 1.0


def test_a_window_of_dates_counts_days_outside_it(comparison):
    """b changes on the 7th: inside 6-8 Sep no error; two days after a window that ends on the
    5th; one day before a window that starts on the 8th."""
    windows = {r.date.day: r for r in comparison.rows if r.until is not None and r.holder == "UA"}
    assert (windows[6].error_days, windows[6].ok, windows[6].credit) == (0.0, True, 1.0)
    assert (windows[3].error_days, windows[3].ok) == (2.0, False)
    assert windows[3].credit == pytest.approx(1 / 3)
    assert (windows[8].error_days, windows[8].ok) == (-1.0, True)
    held = next(r for r in comparison.rows if r.until is not None and r.holder == "RU")
    assert not held.ok and held.error_days == pytest.approx(-0.25)  # judged on the 7th
    assert "to 08 Sep" in comparison_table(comparison)


def test_score_is_the_mean_credit(comparison):
    credits = [1.0, 1 / 3, 1.0, 1 - 1.25 / 3, 1.0, 1.0, 0.25, 1.0, 1.0, 1 / 3, 2 / 3, 1 - 0.25 / 3]
    assert comparison.score == pytest.approx(100 * sum(credits) / len(credits), abs=0.05)


def test_report_and_csv(comparison, tmp_path):
    text = comparison_table(comparison)
    assert "fidelity score" in text and "never" not in text
    path = write_comparison(comparison, tmp_path / "h.csv")
    lines = path.read_text().splitlines()
    assert lines[0].startswith("date,until,kind,place")
    assert len(lines) == len(OBS) + 2  # header, rows, score


# ------------------------------------------------------- judged on the date, contested, null
#: The line a-b-c and a far place d (40 km beyond c): UA takes b on 7 Sep, and a Russian
#: counterattack from c takes it back on 9 Sep (the hours: the `retaken` fixture).
FAR = {"a": (0, 0), "b": (10, 0), "c": (20, 0), "d": (60, 0)}
FAR_EDGES = [("a", "b", 10, "local"), ("b", "c", 10, "local"), ("c", "d", 40, "local")]
RETAKE_OBS = [
    {"date": date(2022, 9, 7), "place": "b", "holder": "UA"},  # held on the day
    {"date": date(2022, 9, 10), "place": "b", "holder": "UA"},  # taken before, lost again
    {"date": date(2022, 9, 10), "place": "b", "holder": "UA", "bound": True},  # lost by then
    {"date": date(2022, 9, 11), "place": "c", "holder": "RU"},  # 10 km from b: contested
    {"date": date(2022, 9, 11), "place": "d", "holder": "RU"},  # 50 km from b: nobody's aim
]


def _retake_scenario(**extra):
    scenario = toy_scenario(
        [
            {
                "id": "ua1",
                "name": "UA 1",
                "side": "UA",
                "at": "a",
                "equipment": {"personnel": 1000, "tanks": 10},
            },
            {
                "id": "ru1",
                "name": "RU 1",
                "side": "RU",
                "at": "b",
                "arrives": START,
                "equipment": {"personnel": 500},
            },
            {
                "id": "ru2",
                "name": "RU 2",
                "side": "RU",
                "at": "c",
                "equipment": {"personnel": 4000, "tanks": 40},
            },
        ],
        hours=140,  # to 11 Sep 20:00: before the counterattack goes on to a
        orders=[
            {
                "id": "take_b",
                "units": ["ua1"],
                "task": "attack",
                "objective": "b",
                "start": START + timedelta(hours=1),
            },
            {"units": ["ru2"], "task": "attack", "objective": "b", "when": {"lost": "b"}},
        ],
        depots=[{"id": "ua_d", "side": "UA", "at": "a"}, {"id": "ru_d", "side": "RU", "at": "d"}],
        control={"nodes": {"RU": ["b", "c", "d"]}},
        # the strong unit at c does not cover b (a sector reaches 5 km, not 10): what is tested
        # is the scoring of a place taken and lost again, not the sectors
        parameters={**CLEAN, "sector_reach_km": 5.0},
        history=RETAKE_OBS,
    )
    return scenario.model_copy(update=extra)


@pytest.fixture(scope="module")
def retaken():
    theatre = toy_theatre(FAR, FAR_EDGES)
    scenario = _retake_scenario(attacker="UA")
    record = CampaignModel(scenario, theatre, seed=1).run()
    changes = [(c["node_id"], c["to_side"], c["time"][:10]) for c in record.control_changes]
    assert changes == [("b", "UA", "2022-09-07"), ("b", "RU", "2022-09-09")]
    return theatre, scenario, record, compare(record, scenario, theatre)


def _rows(comparison, place, day):
    """The rows of a place on a day, in the history block's order (the sort is stable)."""
    return [r for r in comparison.rows if r.place == place and r.date.day == day]


def test_a_place_taken_and_lost_again_before_its_date_earns_nothing(retaken):
    """Judged by who holds b at the end of the 10th (RU again since the 9th), not by the first
    change of hands (the 7th, three days early, which would have been met)."""
    _, _, record, comparison = retaken
    retaken_at = record.control_changes[1]["time"]
    assert _rows(comparison, "b", 7)[0].credit == 1.0
    lost, bound = _rows(comparison, "b", 10)
    assert (lost.ok, lost.credit, lost.error_days, lost.sim_date) == (False, 0.0, None, None)
    assert lost.lost_at.isoformat(timespec="minutes") == retaken_at
    assert (bound.ok, bound.credit) == (False, 0.0)  # "held by then": it was not
    assert "lost 09 Sep" in comparison_table(comparison)


def test_only_contested_holds_count(retaken):
    """c lies 10 km from b, the Ukrainian objective (within CONTEST_KM): its hold counts; d,
    50 km away, is no order's aim: shown, marked, and left out of the mean."""
    theatre, scenario, _, comparison = retaken
    assert contested(scenario, theatre)["UA"] == {"a", "b", "c"}
    assert _rows(comparison, "c", 11)[0].counted and not _rows(comparison, "d", 11)[0].counted
    counted = [r.credit for r in comparison.rows if r.counted]
    assert len(counted) == len(RETAKE_OBS) - 1
    assert comparison.score == pytest.approx(100 * sum(counted) / len(counted), abs=0.05)
    assert "not counted" in comparison_table(comparison)
    # the same hold, aimed at by an order, counts: the rule reads the plan, not the run
    aimed = scenario.model_copy(
        update={
            "orders": [
                *scenario.orders,
                scenario.orders[0].model_copy(
                    update={"id": None, "objective": "d", "start": scenario.end}
                ),
            ]
        }
    )
    assert "d" in contested(aimed, theatre)["UA"]
    assert not any(
        r.place == "d" and not r.counted for r in compare(retaken[2], aimed, theatre).rows
    )


def test_the_null_run_strips_the_attacking_plan_and_skill_is_measured_against_it(retaken):
    """Without the Ukrainian order b never falls: the null run earns only the hold of c, and
    the skill is (model - null) / (100 - null); the scorer, the observations and what counts
    are those of the scenario itself."""
    theatre, scenario, record, comparison = retaken
    null = null_scenario(scenario)
    assert [o.units for o in null.orders] == [["ru2"]]  # RU's reply waits for b lost: kept
    assert null.units == scenario.units and null.history == scenario.history
    assert null.sides["UA"].doctrine["idle_reach_km"] == 0  # no pursuit on its own initiative
    assert null.sides["RU"] == scenario.sides["RU"]
    result = null_comparison(scenario, theatre, Parameters(**CLEAN), 1)
    assert result is not None
    assert [r.credit for r in result.rows if r.counted] == [0.0, 0.0, 0.0, 1.0]
    assert result.score == 25.0
    assert [r.counted for r in result.rows] == [r.counted for r in comparison.rows]
    both = with_null_run(comparison, scenario, theatre, Parameters(**CLEAN), 1)
    assert both.null == 25.0 and both.null_side == "UA"
    assert both.skill == pytest.approx((comparison.score - 25.0) / 75.0, abs=0.005)
    text = comparison_table(both)
    assert "null run (no UA orders): 25.0" in text and f"skill: {both.skill:.2f}" in text


def test_an_order_waiting_for_a_stripped_order_goes_with_it(retaken):
    _, scenario, _, _ = retaken
    follow = {"id": "follow", "units": ["ru2"], "task": "hold", "when": {"done": "take_b"}}
    after = {"units": ["ru2"], "task": "hold", "when": {"any": [{"done": "follow"}]}}
    s = _retake_scenario(attacker="UA", orders=[*scenario.orders])
    s = s.model_copy(
        update={
            "orders": [
                *s.orders,
                *(Order.model_validate({**o, "source": "t"}) for o in (follow, after)),
            ]
        }
    )
    assert [o.id for o in null_scenario(s).orders] == [None]  # the counterattack alone


def test_the_attacking_side_is_named_or_inferred():
    """The scenario's attacker: first, then the what-if block's, then the side with more
    attack orders; a tie gives none, and the null run then says what to write."""
    s = _retake_scenario()
    assert attacking_side(s) is None  # one attack order each
    with pytest.raises(ValueError, match="attacker: UA or RU"):
        null_scenario(s)
    assert attacking_side(s.model_copy(update={"attacker": "RU"})) == "RU"
    whatif = WhatIf(attacker="UA", key_places=["b"], key_town="b", source="t")
    assert attacking_side(s.model_copy(update={"whatif": whatif})) == "UA"
    one_sided = s.model_copy(update={"orders": s.orders[:1]})
    assert attacking_side(one_sided) == "UA"
    with pytest.raises(ValueError, match="whatif: attacker: UA"):
        Scenario.model_validate({**s.model_dump(), "attacker": "RU", "whatif": whatif.model_dump()})
