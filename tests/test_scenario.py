"""Reading scenarios: every kind of bad input is one ScenarioError with file, line and field."""

from __future__ import annotations

from pathlib import Path

import pytest
from clirun import run
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from toy import SHIPPED, toy_theatre

from sim.scenario import ScenarioError, load_scenario, parse_scenario, resolve_places

REPO = Path(__file__).resolve().parent.parent

VALID = """\
id: mini
title: A small test scenario
start: 2022-09-06T00:00
end: 2022-09-07T00:00
sources:
  - {key: T, cite: "test"}
sides:
  UA: {name: Armed Forces of Ukraine}
  RU: {name: Armed Forces of the Russian Federation}
depots:
  - {id: ua_base, side: UA, at: a, source: test}
units:
  - id: ua_1
    name: 1st Test Brigade
    side: UA
    type: mechanised
    echelon: brigade
    at: a
    equipment: {personnel: 2000, tanks: 30, ifv_apc: 60, artillery: 18}
    source: test
  - id: ru_1
    name: NO
    side: RU
    type: armour
    echelon: battalion
    at: b
    equipment: {personnel: 700, tanks: 10}
    source: test
    estimate: true
orders:
  - {units: [ua_1], start: 2022-09-06T03:30, task: attack, objective: b, source: test}
events:
  - {at: 2022-09-06T12:00, kind: destroy_bridge, target: br, source: test}
  - {at: 2022-09-06T01:00, kind: caption, text: "The attack begins.", source: test}
history:
  - {date: 2022-09-06, place: b, holder: UA, source: test}
  - {date: 2022-09-07, side: UA, area_km2: 100, relation: ">=", source: test}
"""


@pytest.fixture(scope="module")
def theatre():
    return toy_theatre(
        {"a": (0, 0), "b": (10, 0), "c": (20, 0)},
        [("a", "b", 10, "local", "br"), ("b", "c", 10, "local")],
    )


def load_text(text: str, theatre, tmp_path: Path) -> object:
    path = tmp_path / "s.yaml"
    path.write_text(text, encoding="utf-8")
    return load_scenario(path, theatre)


def error_of(text: str, theatre, tmp_path: Path) -> ScenarioError:
    with pytest.raises(ScenarioError) as info:
        load_text(text, theatre, tmp_path)
    return info.value


def test_valid_scenario_loads(theatre, tmp_path):
    s = load_text(VALID, theatre, tmp_path)
    assert [u.id for u in s.units] == ["ua_1", "ru_1"]
    assert s.units[1].name == "NO"  # YAML 1.2: NO is a string, not false
    assert s.hours == 24
    assert s.history[0].date.hour == 23  # a bare date means by the end of that day


@pytest.mark.parametrize(
    ("old", "new", "line", "path", "words"),
    [
        ("personnel: 2000", "personnel: many", 19, "units[0].equipment.personnel", "integer"),
        (
            "    source: test\n    estimate: true",
            "    source: test\n    colour: red",
            29,
            "units[1].colour",
            "unknown field",
        ),
        ("end: 2022-09-07T00:00", "end: 2022-09-05T00:00", 4, "end", "after start"),
        ("    type: armour", "    type: spaceship", 24, "units[1].type", "armour"),
        ("    side: RU", "    side: XX", 23, "units[1].side", "UA"),
        ("{units: [ua_1],", "{units: [ua_9],", 31, "orders[0].units[0]", "ua_1"),
        ("task: attack, objective: b,", "task: attack,", 31, "orders[0]", "objective"),
        ("  - id: ru_1", "  - id: ua_1", 21, "units[1].id", "already used"),
        (
            "place: b, holder: UA,",
            "place: b, holder: UA, until: 2022-09-05,",
            36,
            "history[0]",
            "ends before",
        ),
        (
            "place: b, holder: UA,",
            "place: b, holder: UA, bound: true, until: 2022-09-08,",
            36,
            "history[0]",
            "bound",
        ),
        ("area_km2: 100,", "area_km2: 100, until: 2022-09-08,", 37, "history[1]", "figure"),
    ],
)
def test_bad_field_is_named_with_its_line(theatre, tmp_path, old, new, line, path, words):
    assert old in VALID
    err = error_of(VALID.replace(old, new), theatre, tmp_path)
    assert err.line == line, str(err)
    assert err.path.startswith(path), str(err)
    assert words in err.message, str(err)
    assert str(err).startswith(f"{tmp_path / 's.yaml'}:{line}:")


def test_place_not_on_the_map_names_field_and_suggests(theatre, tmp_path):
    err = error_of(VALID.replace("    at: b\n", "    at: bb\n"), theatre, tmp_path)
    assert (err.line, err.path) == (26, "units[1].at")
    assert "bb" in err.message


def test_unknown_bridge_is_an_error(theatre, tmp_path):
    err = error_of(VALID.replace("target: br", "target: bridge_x"), theatre, tmp_path)
    assert (err.line, err.path) == (33, "events[0].target")


def test_yaml_syntax_error_has_a_line(theatre, tmp_path):
    err = error_of(VALID.replace("  - id: ru_1", "  - id: [ru_1"), theatre, tmp_path)
    assert err.line is not None and "YAML" in err.message


def test_duplicate_key_is_an_error(theatre, tmp_path):
    err = error_of(VALID.replace("title: A small", "id: again\ntitle: A small"), theatre, tmp_path)
    assert err.line is not None and "YAML" in err.message


def test_unknown_parameter_is_an_error(theatre, tmp_path):
    err = error_of(VALID + "parameters: {capture_ratio: 2.0, warp_speed: 9}\n", theatre, tmp_path)
    assert err.path == "parameters.warp_speed"


def test_missing_file_and_not_yaml(tmp_path):
    with pytest.raises(ScenarioError, match="not found"):
        load_scenario(tmp_path / "nope.yaml")
    (tmp_path / "bin.yaml").write_bytes(b"\xff\xfe\x00bad")
    with pytest.raises(ScenarioError, match="UTF-8"):
        load_scenario(tmp_path / "bin.yaml")


def _mangle(text: str, ops: list[tuple[int, int, str]]) -> str:
    """Apply (kind, position, string) edits: delete, insert, or replace a line."""
    lines = text.splitlines(keepends=True)
    for kind, pos, s in ops:
        if kind == 0 and text:  # delete a span of characters
            i = pos % len(text)
            text = text[:i] + text[i + 1 + pos % 7 :]
        elif kind == 1:  # insert characters
            i = pos % (len(text) + 1)
            text = text[:i] + s + text[i:]
        else:  # replace a whole line
            lines = text.splitlines(keepends=True) or [""]
            lines[pos % len(lines)] = s + "\n"
            text = "".join(lines)
    return text


TOKENS = list("abz019 :-[]{},'\"#&*!|>%@`\t\n") + [
    "units",
    "at",
    "side",
    "null",
    "RU",
    "~",
    "2022-13-45",
    "personnel",
    "- ",
    ": ",
    "NO",
    "1e999",
    "[[",
    "{a: ",
    "&x ",
    "*x",
    "!!binary ",
    "? ",
]
YAMLISH = st.lists(st.sampled_from(TOKENS), max_size=6).map("".join)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.integers(0, 2), st.integers(0, 10_000), YAMLISH), max_size=4))
def test_mangled_scenarios_never_raise_anything_else(ops):
    """Fed mangled text, the loader either loads it or raises ScenarioError: no other
    exception ever escapes."""
    theatre = toy_theatre(
        {"a": (0, 0), "b": (10, 0), "c": (20, 0)},
        [("a", "b", 10, "local", "br"), ("b", "c", 10, "local")],
    )
    text = _mangle(VALID, ops)
    try:
        scenario, root = parse_scenario(text, "fuzz.yaml")
        resolve_places(scenario, theatre, "fuzz.yaml", root)
    except ScenarioError as e:
        assert str(e).startswith("fuzz.yaml")


def test_command_line_reports_every_problem_one_line_each_with_exit_2(tmp_path):
    """The toy scenario on the real map: a wrong type and the places the map lacks are all
    reported, one located line each, in file order."""
    bad = tmp_path / "bad.yaml"
    bad.write_text(VALID.replace("personnel: 2000", "personnel: lots"), encoding="utf-8")
    proc = run(bad, "--headless", cwd=tmp_path)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert all(ln.startswith(f"error: {bad}:") for ln in lines), lines
    assert any(f"{bad}:19: units[0].equipment.personnel:" in ln for ln in lines)
    assert any(f"{bad}:26: units[1].at: unknown place 'b'" in ln for ln in lines)
    numbers = [int(ln.split(":")[2]) for ln in lines]
    assert numbers == sorted(numbers) and len(lines) >= 5


def test_a_field_a_merge_key_brings_in_is_located_at_its_mapping(theatre, tmp_path):
    """A YAML merge key (``<<: *anchor``) brings in fields with no line of their own: an
    unknown one among them is one located problem at the mapping that merges it (it ended in
    ruamel's KeyError: 'bogus')."""
    text = VALID.replace(
        "depots:\n",
        "depots:\n  - &t {id: ua_2, side: UA, at: a, source: test, bogus: 1}\n"
        "  - <<: *t\n    id: ua_3\n",
    )
    problems = error_of(text, theatre, tmp_path).problems
    assert [(p.line, p.path) for p in problems] == [
        (11, "depots[0].bogus"),
        (12, "depots[1].bogus"),
    ]
    assert all("unknown field" in p.message for p in problems)
    path = tmp_path / "merge.yaml"
    path.write_text(text, encoding="utf-8")
    proc = run("validate", path, cwd=tmp_path)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert f"{path}:12: depots[1].bogus: unknown field" in proc.stderr


ORDERS = "  - {units: [ua_1], start: 2022-09-06T03:30, task: attack, objective: b, source: test}\n"


def _with_orders(*orders: str) -> str:
    return VALID.replace(ORDERS, "".join(f"  - {o}\n" for o in orders))


def test_orders_waiting_for_one_another_are_an_error(theatre, tmp_path):
    """Two orders each waiting for the other to be done (or three in a ring): none is ever
    issued; validate accepted it, catching only an order waiting for itself."""
    ring = _with_orders(
        "{id: first, units: [ua_1], task: attack, objective: b, when: {done: second}, source: t}",
        "{id: second, units: [ua_1], task: attack, objective: c, when: {all: [{taken: b}, "
        "{done: third}]}, source: t}",
        "{id: third, units: [ua_1], task: hold, when: {done: first}, source: t}",
    )
    (p,) = error_of(ring, theatre, tmp_path).problems
    assert (p.line, p.path) == (31, "orders[0].when.done")
    assert "first -> second -> third -> first" in p.message and "is ever issued" in p.message
    two = _with_orders(
        "{id: a1, units: [ua_1], task: attack, objective: b, when: {done: a2}, source: t}",
        "{id: a2, units: [ua_1], task: attack, objective: c, when: {done: a1}, source: t}",
    )
    (p,) = error_of(two, theatre, tmp_path).problems
    assert p.path == "orders[0].when.done" and "a1 -> a2 -> a1" in p.message
    # a wait one branch of an any: can do without is no deadlock
    either = two.replace("when: {done: a1}", "when: {any: [{done: a1}, {taken: b}]}")
    assert len(load_text(either, theatre, tmp_path).orders) == 2


def test_a_place_held_by_both_sides_and_an_order_of_both_sides_are_errors(theatre, tmp_path):
    """control.nodes listing a place under UA and RU was accepted (RU silently won); so was an
    order whose units are of both sides."""
    both = VALID.replace(
        "depots:", "control:\n  nodes:\n    UA: [a, c]\n    RU: [b, A]\ndepots:", 1
    )
    (p,) = error_of(both, theatre, tmp_path).problems
    assert p.path == "control.nodes.RU[1]" and p.line == 13
    assert "also listed under control.nodes.UA" in p.message
    mixed = VALID.replace("{units: [ua_1], start:", "{units: [ua_1, ru_1], start:")
    (p,) = error_of(mixed, theatre, tmp_path).problems
    assert p.path == "orders[0].units" and "one side" in p.message and "RU and UA" in p.message


def test_command_line_rejects_unknown_parameter_with_exit_2(tmp_path):
    proc = run(
        REPO / "scenarios" / "izium_2022_09.yaml",
        "--headless",
        "--set",
        "capture_ration=2",
        cwd=tmp_path,
    )
    assert proc.returncode == 2
    assert "capture_ratio" in proc.stderr and "Traceback" not in proc.stderr
    proc = run(
        REPO / "scenarios" / "izium_2022_09.yaml",
        "--headless",
        "--set",
        "capture_ratio=-1",
        cwd=tmp_path,
    )
    assert proc.returncode == 2
    assert "capture_ratio" in proc.stderr and "Traceback" not in proc.stderr


@pytest.mark.parametrize("name", SHIPPED)
def test_every_shipped_scenario_passes_validate_strict(name):
    """A shipped scenario is the example authors copy: `validate --strict` (its warnings made
    errors) passes on it, so a warning it printed would be a fault in its data, not noise."""
    path = REPO / "scenarios" / f"{name}.yaml"
    proc = run("validate", "--strict", path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == "" and proc.stdout == f"{path}: valid\n", proc.stdout + proc.stderr


@pytest.mark.parametrize("name", SHIPPED)
def test_real_scenarios_load_and_cite_only_declared_sources(name):
    """Every reference key a scenario cites (in brackets anywhere, or bare at the head of a
    `source:`; the validate command's own reading) is declared under `sources:`, and every
    unit marked as an estimate says in its source what the estimate is."""
    from sim.map.theatre import build_theatre
    from sim.scenario.checks import cited_keys

    path = REPO / "scenarios" / f"{name}.yaml"
    scenario = load_scenario(path, build_theatre())
    declared = {s.key for s in scenario.sources}
    cited = {key for _, _, key, _ in cited_keys(scenario, path.read_text(encoding="utf-8"))}
    assert cited - declared == set(), f"cited but not declared: {sorted(cited - declared)}"
    for unit in scenario.units:
        if unit.estimate:
            assert "estimate" in unit.source.lower(), unit.id
    assert scenario.history, "a scenario is scored against a history block"


def test_every_dated_order_is_listed_with_its_source():
    """docs/scenarios.md lists every order whose start is later than its scenario's start (a
    decision a source dates), by id: an order time may not be inferred from an outcome."""
    from pathlib import Path

    from sim.scenario import load_scenario

    doc = (Path(__file__).resolve().parent.parent / "docs" / "scenarios.md").read_text()
    table = doc[doc.index("### Dated orders") :]
    for path in sorted((Path(__file__).resolve().parent.parent / "scenarios").glob("*.yaml")):
        if path.name == "TEMPLATE.yaml":
            continue
        s = load_scenario(path)
        for i, o in enumerate(s.orders):
            if o.start is not None and o.start > s.start:
                assert o.id, f"{path.name}: orders[{i}] has a date but no id to list it by"
                assert f"| {s.id} | `{o.id}` |" in table, f"{path.name}: {o.id} is not listed"
