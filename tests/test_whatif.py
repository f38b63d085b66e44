"""The standard what-ifs answer in the direction the scenarios' authors expect (docs/whatif.md):
both shipped scenarios, one seed (the table in docs/whatif.md uses three)."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.map.theatre import build_theatre
from sim.scenario import load_scenario
from sim.whatif import standard as wi

REPO = Path(__file__).resolve().parent.parent
#: What the model answers against its author's expectation, with the reason (docs/whatif.md).
KNOWN_MISSES = {
    ("izium_2022_03", "no_withdrawal"): "the Izium garrison is cut off (Russians at Kamianka) "
    "before it could go back, so its doctrine changes nothing",
}


@pytest.fixture(scope="module")
def tables():
    theatre = build_theatre()
    out = {}
    for name in ("izium_2022_09", "izium_2022_03"):
        s = load_scenario(REPO / "scenarios" / f"{name}.yaml", theatre)
        variants = wi.standard_variants(s)
        runs = wi.run_all(s, theatre, s.parameters_with(), [0], variants)
        out[name] = {r.variant.id: r for r in wi.judge(s, runs, variants)}
    return out


CASES = [
    (name, vid)
    for name in ("izium_2022_09", "izium_2022_03")
    for vid in (
        "garrison_x2",
        "garrison_x0.5",
        "attackers_x0.5",
        "defenders_x2",
        "bridge_intact",
        "bridge_destroyed",
        "no_withdrawal",
        "delay_72h",
        "no_supporting_attack",
    )
]


@pytest.mark.parametrize(
    "name, vid",
    [
        pytest.param(n, v, marks=pytest.mark.xfail(strict=True, reason=KNOWN_MISSES[(n, v)]))
        if (n, v) in KNOWN_MISSES
        else (n, v)
        for n, v in CASES
    ],
)
def test_each_what_if_goes_the_expected_way(tables, name, vid):
    row = tables[name][vid]
    assert row.holds, (row.variant.label, row.delta_hours)


@pytest.mark.parametrize("name", ["izium_2022_09", "izium_2022_03"])
def test_a_doubled_garrison_holds_hours_to_days_longer_and_still_falls(tables, name):
    row = tables[name]["garrison_x2"]
    town = row.variant.measure
    assert 1 <= row.delta_hours[town] <= 10 * 24 and not row.never[town]


def test_the_table_prints_every_variant(tables):
    theatre = build_theatre()
    s = load_scenario(REPO / "scenarios" / "izium_2022_09.yaml", theatre)
    rows = list(tables["izium_2022_09"].values())
    text = wi.table(s, rows, [0], {"balakliia": "Balakliia"}, markdown=True)
    assert text.count("\n| ") == len(rows) + 1 and "| Balakliia |" in text
