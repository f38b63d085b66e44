"""The comparison with history, on the hand-worked duel of docs/model.md started an hour late:
b passes from RU to UA at the end of hour 28 + 1 = 29, 2022-09-07T05:00 (tests/test_model.py
checks the duel)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from test_model import CLEAN, LINE, LINE_EDGES
from toy import START, toy_scenario, toy_theatre

from sim.model import CampaignModel
from sim.runs.history import compare, comparison_table, write_comparison

OBS = [
    {"date": date(2022, 9, 7), "place": "b", "holder": "UA"},  # change, on the day
    {"date": date(2022, 9, 9), "place": "b", "holder": "UA"},  # change, run 2 days early
    {"date": date(2022, 9, 7), "place": "c", "holder": "RU"},  # hold, met
    {"date": date(2022, 9, 8), "place": "b", "holder": "RU"},  # hold, lost 1.75 days early
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
    },  # a hold through the 7th: lost at 05:00 that day, 0.75 days early
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
    return compare(model.run(), scenario)


def test_each_kind_of_observation_is_judged_as_documented(comparison):
    rows = {(r.place, r.holder, r.date.day, r.kind, r.relation): r for r in comparison.rows}
    on_day = rows[("b", "UA", 7, "control", "=")]
    assert (on_day.error_days, on_day.ok, on_day.credit) == (0.0, True, 1.0)
    assert on_day.sim_date.isoformat() == "2022-09-07T05:00:00"
    early = rows[("b", "UA", 9, "control", "=")]
    assert (early.error_days, early.ok) == (-2.0, False)
    assert early.credit == pytest.approx(1 / 3)
    assert rows[("c", "RU", 7, "control", "=")].ok
    lost = rows[("b", "RU", 8, "control", "=")]
    assert not lost.ok and lost.error_days == pytest.approx(-1.75)
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
    assert not held.ok and held.error_days == pytest.approx(-0.75)  # judged on the 7th
    assert "to 08 Sep" in comparison_table(comparison)


def test_score_is_the_mean_credit(comparison):
    credits = [1.0, 1 / 3, 1.0, 1 - 1.75 / 3, 1.0, 1.0, 0.25, 1.0, 1.0, 1 / 3, 2 / 3, 0.75]
    assert comparison.score == pytest.approx(100 * sum(credits) / len(credits), abs=0.05)


def test_report_and_csv(comparison, tmp_path):
    text = comparison_table(comparison)
    assert "fidelity score" in text and "never" not in text
    path = write_comparison(comparison, tmp_path / "h.csv")
    lines = path.read_text().splitlines()
    assert lines[0].startswith("date,until,kind,place")
    assert len(lines) == len(OBS) + 2  # header, rows, score
