"""Semantic checks (sim/scenario/checks.py): each silent acceptance of issue #12 becomes an error or
a warning at the right line and field, the warnings say what the model will really do, and no
mangled file makes the checks raise anything but the loader's ScenarioError."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from toy import SHIPPED, START, toy_scenario, toy_theatre

from sim.map.theatre import build_theatre
from sim.scenario import ScenarioError, parse_scenario, resolve_places
from sim.scenario.checks import bare_keys, check_file, check_scenario, cited_keys, comment_of

REPO = Path(__file__).resolve().parent.parent
TEMPLATE = (REPO / "scenarios" / "TEMPLATE.yaml").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def theatre():
    return build_theatre()


def problems_of(text: str, theatre, tmp_path: Path, name: str = "s.yaml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return check_file(path, theatre)[1]


def line_of(text: str, needle: str, nth: int = 0) -> int:
    """1-based line of the nth line containing `needle`."""
    hits = [i for i, ln in enumerate(text.splitlines(), start=1) if needle in ln]
    return hits[nth]


def replace(old: str, new: str, text: str = TEMPLATE) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


def test_the_template_and_the_shipped_scenarios_have_no_errors(theatre, tmp_path):
    assert problems_of(TEMPLATE, theatre, tmp_path) == []
    for name in SHIPPED:
        _, problems = check_file(REPO / "scenarios" / f"{name}.yaml", theatre)
        assert [p for p in problems if p.severity == "error"] == [], name


# (edit of the template, severity, path the problem names, line with this text, words)
CASES = [
    # a Russian unit starting in Ukrainian-held ground (the Siversk)
    (
        (
            "    at: verbivka\n    equipment: {personnel: 400",
            "    at: siversk\n    equipment: {personnel: 400",
        ),
        "warning",
        "units[3].at",
        "at: siversk",
        "held by UA",
    ),
    # a Ukrainian base on a Russian-held place
    (
        ("    at: kharkiv\n", "    at: savyntsi\n"),
        "warning",
        "depots[0].at",
        "at: savyntsi",
        "supplies nothing until UA takes",
    ),
    # an order dated before the start, an event after the end
    (
        ("    start: 2022-09-06T03:30             # the", "    start: 2022-09-05T06:00  # the"),
        "warning",
        "orders[0].start",
        "start: 2022-09-05T06:00",
        "before the start",
    ),
    (
        (
            "  - at: 2022-09-06T03:30\n    kind: caption",
            "  - at: 2022-09-09T03:30\n    kind: caption",
        ),
        "warning",
        "events[0].at",
        "at: 2022-09-09T03:30",
        "never takes effect",
    ),
    # an arrival after the end
    (
        (
            '    posture: attack\n    source: "estimate: a tank',
            '    posture: attack\n    arrives: 2022-09-10T00:00\n    source: "estimate: a tank',
        ),
        "warning",
        "units[1].arrives",
        "arrives: 2022-09-10",
        "never arrives",
    ),
    # a source key cited but not declared: bracketed or bare, one rule (a warning)
    (
        ("Balakliia breach [WPG]", "Balakliia breach [WPX]"),
        "warning",
        "units[0].source",
        "[WPX]",
        "[WPX]",
    ),
    # ... and in a comment: the same warning, never an error (a comment is not the scenario)
    (
        ('#   RU: {name: "..."', '#   RU: {name: "... [NOPE1]"'),
        "warning",
        "",
        "[NOPE1]",
        "a comment cites [NOPE1]",
    ),
    (
        ('source: "NG0907"}', 'source: "NG0999"}'),
        "warning",
        "history[0].source",
        "NG0999",
        "NG0999",
    ),
    # a side with no base: its ground is cut off (a pocket), and Russia's own ground too
    (
        (
            '    kind: base\n    source: "estimate: stands in',
            '    kind: depot\n    source: "estimate: stands in',
        ),
        "warning",
        "control",
        "control:",
        "as a pocket",
    ),
]


@pytest.mark.parametrize(("edit", "severity", "path", "where", "words"), CASES)
def test_each_silent_acceptance_is_reported_at_its_line(
    theatre, tmp_path, edit, severity, path, where, words
):
    text = replace(*edit)
    found = [p for p in problems_of(text, theatre, tmp_path) if p.path == path]
    assert found, problems_of(text, theatre, tmp_path)
    p = next(p for p in found if words in p.message)
    assert p.severity == severity
    assert p.line == line_of(text, where), str(p)
    field = f" {path}:" if path else ""  # a comment is in no field
    assert str(p).startswith(f"{tmp_path / 's.yaml'}:{p.line}:{field} ")


def test_every_problem_is_listed_not_only_the_first(theatre, tmp_path):
    """All the faults of CASES in one file: each is reported."""
    text = TEMPLATE
    for edit, *_ in CASES[:-1]:  # (the last one changes what the first two mean)
        text = replace(*edit, text=text)
    found = problems_of(text, theatre, tmp_path)
    for _, severity, path, _, words in CASES[:-1]:
        assert any(
            p.path == path and p.severity == severity and words in p.message for p in found
        ), (path, [str(p) for p in found])
    assert [p.line for p in found] == sorted(p.line for p in found)  # in file order


def drop_item(text: str, first_line: str) -> str:
    """The text without the list item that starts with `first_line` (up to the next item at
    the same indent, or the next top-level key)."""
    i = text.index(first_line + "\n")
    indent = first_line[: len(first_line) - len(first_line.lstrip())]
    rest = text[i + len(first_line) + 1 :].splitlines(keepends=True)
    n = next(
        (k for k, ln in enumerate(rest) if ln.startswith(indent + "- ") or (ln[:1].isalpha())),
        len(rest),
    )
    return text[:i] + "".join(rest[n:])


def test_a_side_without_units_or_depots_is_an_error(theatre, tmp_path):
    cut = TEMPLATE[: TEMPLATE.index("  - id: ru_rosg_balakliia")]  # a file cut off half-way
    found = problems_of(cut, theatre, tmp_path)
    assert [(p.severity, p.path) for p in found if "no RU units" in p.message] == [
        ("error", "units")
    ]
    text = TEMPLATE
    for depot in ("ru_savyntsi", "ru_belgorod", "ru_valuiki"):
        text = drop_item(text, f"  - id: {depot}")
    found = problems_of(text, theatre, tmp_path)
    assert [(p.severity, p.path) for p in found if "RU has no depot and no base" in p.message] == [
        ("error", "depots")
    ]


def test_the_pocket_warning_says_what_the_model_does(theatre, tmp_path):
    """Without bases in Russia, the warning names Russia's ground west and east of the Oskil
    and says what the model does with it: nothing there is supplied, and it passes to Ukraine
    as a pocket only where Ukrainian troops come within pocket_km. None do in the template's
    run, so Belgorod and Valuiki stay Russian (before issue 23 all of it fell within two
    days, with no Ukrainian soldier near)."""
    from sim.model import CampaignModel
    from sim.scenario import load_scenario

    text = drop_item(drop_item(TEMPLATE, "  - id: ru_belgorod"), "  - id: ru_valuiki")
    found = [p for p in problems_of(text, theatre, tmp_path) if "as a pocket" in p.message]
    assert len(found) == 2  # the two stretches of Russia, west and east of the Oskil
    g = theatre.graph
    names = {g.nodes[n]["name"]: n for n in theatre.node_ids}
    warned = {
        names[w] for p in found for w in p.message.split("ground: ")[1].split(". ")[0].split(", ")
    }
    assert {"belgorod", "valuiki"} <= warned
    scenario = load_scenario(tmp_path / "s.yaml", theatre)
    record = CampaignModel(scenario, theatre, seed=0).run()
    pockets = {
        c["node_id"]
        for c in record.control_changes
        if c["rule"] == "pocket" and c["from_side"] == "RU"
    }
    assert all("within pocket_km" in p.message for p in found)
    assert not pockets & {"belgorod", "valuiki"}
    last = len(record.times) - 1
    assert record.holder("belgorod", last) == record.holder("valuiki", last) == "RU"


def test_the_start_control_is_the_declared_one_with_the_units_places(theatre):
    """Who holds a place at the start (sim/model/world.py, `start_control`, which the checks'
    warnings also read), each scenario on its own map (the places it adds): a unit on the map
    holds its place; any other place listed under control.nodes is its side's; the rest keep
    the side the regions or the country gave."""
    from sim.model import CampaignModel
    from sim.model.world import declared_control
    from sim.scenario import load_scenario
    from sim.scenario.theatre import theatre_for

    for name in SHIPPED:
        scenario = load_scenario(REPO / "scenarios" / f"{name}.yaml", theatre)
        own = theatre_for(scenario, theatre)
        control = CampaignModel(scenario, own, seed=0).world.control
        declared, why = declared_control(scenario, own)
        placed = {u.at: u.side for u in scenario.units if u.arrives is None}
        for node, side in placed.items():
            assert control[node] == side, (name, node)
        for side, nodes in scenario.control.nodes.items():
            for node in set(nodes) - set(placed):
                assert control[node] == side and why[node] == f"control.nodes.{side}"
        for node in set(control) - set(placed):
            assert control[node] == declared[node], (name, node)


def test_an_objective_across_a_river_without_a_crossing(tmp_path):
    """a -bridge- b -no crossing- c: a unit at a ordered to c has no route unless it has
    engineers; the message names the river and whether a bridge on the way is destroyed."""
    th = toy_theatre(
        {"a": (0, 0), "b": (10, 0), "c": (20, 0)},
        [("a", "b", 10, "local", "br"), ("b", "c", 10, "local", "nx")],
        crossings={"br": "bridge", "nx": "none"},
    )

    def check(engineers: bool, events=None):
        s = toy_scenario(
            [
                {
                    "id": "ua_1",
                    "name": "1",
                    "side": "UA",
                    "at": "a",
                    "engineers": engineers,
                    "equipment": {"personnel": 100},
                },
                {
                    "id": "ru_1",
                    "name": "2",
                    "side": "RU",
                    "at": "c",
                    "equipment": {"personnel": 100},
                },
            ],
            orders=[
                {
                    "units": ["ua_1"],
                    "task": "attack",
                    "objective": "c",
                    "start": START.replace(hour=6),
                }
            ],
            depots=[
                {"id": "u", "side": "UA", "at": "a", "kind": "base"},
                {"id": "r", "side": "RU", "at": "c", "kind": "base"},
            ],
            events=events,
        )
        return [p for p in check_scenario(s, th, {}, "toy.yaml") if "no route" in p.message]

    found = check(False)
    assert len(found) == 1 and found[0].path == "orders[0].objective"
    assert "Test river" in found[0].message and "engineers" in found[0].message
    assert check(True) == []
    blown = [{"at": START.replace(hour=1), "kind": "destroy_bridge", "target": "br"}]
    assert "its bridge is destroyed" in check(False, blown)[0].message
    assert check(True, blown) == []  # engineers bridge a destroyed bridge too
    late = [{"at": START.replace(hour=9), "kind": "destroy_bridge", "target": "br"}]
    assert "destroyed" not in check(False, late)[0].message  # the order comes first


def test_source_key_citations_are_found_in_texts_and_comments():
    assert bare_keys("ACCB, WKC: Izium; UAWD 2022-09-11 (20th CAA)") == ["ACCB", "WKC", "UAWD"]
    assert bare_keys("AJ, KRDA (12.09: border reached)") == ["AJ", "KRDA"]
    assert bare_keys("UA General Staff; estimate: LNR formations") == []
    assert bare_keys("BARS 'Kuban' volunteer regiment") == []
    assert comment_of("  - {a: 1}  # see [WKC]") == " see [WKC]"
    assert comment_of('  text: "a # b [X1]"') == ""
    s = toy_scenario(
        [
            {
                "id": "ua_1",
                "name": "1",
                "side": "UA",
                "at": "a",
                "equipment": {"personnel": 1},
                "source": "UAWD; see [ZZ1]",
            }
        ]
    )
    keys = {(k, bracketed) for _, _, k, bracketed in cited_keys(s, "x: 1  # [CC]\n")}
    assert keys == {("UAWD", False), ("ZZ1", True), ("CC", True)}


MANGLES = st.lists(
    st.tuples(
        st.integers(0, 2),
        st.integers(0, 100_000),
        st.sampled_from(
            [
                "",
                "siversk",
                "2022-09-30T00:00",
                "[NOPE]",
                "RU",
                "UA",
                "kind: base",
                "- ",
                ": ",
                "x",
                "objective: oskil",
                "1e9",
                "[",
                "null",
                "arrives: 2022-09-07",
                "\n",
            ]
        ),
    ),
    max_size=4,
)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(MANGLES)
def test_mangled_scenarios_never_make_the_checks_raise(theatre, ops):
    """Mangled copies of the template: the loader raises ScenarioError, or the checks return
    problems; nothing else escapes."""
    text = TEMPLATE
    for kind, pos, s in ops:
        lines = text.splitlines(keepends=True)
        i = pos % len(lines)
        if kind == 0:
            lines[i] = ""
        elif kind == 1:
            lines[i] = lines[i].rstrip("\n") + s + "\n"
        else:
            lines[i] = lines[i][: len(lines[i]) - len(lines[i].lstrip())] + s + "\n"
        text = "".join(lines)
    try:
        scenario, root = parse_scenario(text, "fuzz.yaml")
        scenario = resolve_places(scenario, theatre, "fuzz.yaml", root)
    except ScenarioError:
        return
    for p in check_scenario(scenario, theatre, root, "fuzz.yaml", text):
        assert p.severity in ("error", "warning") and str(p).startswith("fuzz.yaml")


def test_a_retired_parameter_still_loads_with_a_warning_saying_what_replaced_it(theatre, tmp_path):
    """A scenario written before issue 23 that sets capture_hours keeps loading: the value is
    dropped (the run's parameters are the defaults), and the checks say what took its place.
    Varying it (--set) is an error: the runs would not differ."""
    from sim.model.params import RETIRED, Parameters, parse_set_option
    from sim.scenario import load_scenario

    text = TEMPLATE + "\nparameters:\n  capture_hours: 30\n  urban_capture_factor: 4\n"
    found = problems_of(text, theatre, tmp_path)
    retired = [p for p in found if "retired" in p.message]
    assert [p.severity for p in retired] == ["warning", "warning"]
    assert {p.path for p in retired} == {
        "parameters.capture_hours",
        "parameters.urban_capture_factor",
    }
    assert any("advance_hasty_kmday" in p.message for p in retired)
    scenario = load_scenario(tmp_path / "s.yaml", theatre)
    assert scenario.parameters_with() == Parameters()
    for name in RETIRED:
        assert name not in Parameters.model_fields
        with pytest.raises(ValueError, match="retired"):
            parse_set_option([f"{name}=2"])
