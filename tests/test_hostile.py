"""Hostile input never crashes, hangs or escapes (issue #16), and the command line's rough
edges (issue #12, item 7): the scenario loader, the parameters and the command line, every
reproducer of the issues as a named test. Saved runs and sweeps read back:
tests/test_hostile_files.py; hypothesis fuzzing of all of them: tests/test_hostile_fuzz.py
(the long fuzz, 10,000 cases with a timeout per case, is benchmarks/fuzz_hostile.py).
Shared helpers: tests/hostile.py; the short September scenario and run: tests/conftest.py.
"""

from __future__ import annotations

import gzip
import importlib.util
import json
import os
import shutil
from pathlib import Path

import pytest
from hostile_helpers import SEPT, assert_clean_failure, run_cli, scenario_error, toy
from hypothesis import given, settings
from hypothesis import strategies as st
from test_scenario import VALID

from sim.cli import main as cli
from sim.model.params import Parameters
from sim.safe_io import MAX_YAML_BYTES
from sim.scenario import ScenarioError, load_scenario, parse_scenario
from sim.sweep.store import (
    META,
)


# ============================================================================ the loader
@pytest.mark.parametrize(
    "old, new, path",
    [
        ("start: 2022-09-06T00:00", 'start: "2022-09-06T00:00:00+03:00"', "start"),
        ("start: 2022-09-06T00:00", "start: 2022-09-05T21:00:00Z", "start"),
        ("start: 2022-09-06T03:30", 'start: "2022-09-06T03:30+03:00"', "orders[0].start"),
        ("at: 2022-09-06T12:00", 'at: "2022-09-06T12:00-01:00"', "events[0].at"),
        ("date: 2022-09-06, place", 'date: "2022-09-06T20:00Z", place', "history[0].date"),
        (
            "    estimate: true",
            '    estimate: true\n    arrives: "2022-09-06T06:00+02:00"',
            "units[1].arrives",
        ),
    ],
)
def test_utc_offset_anywhere_is_refused_with_its_line_and_the_kyiv_time(old, new, path):
    """Times are Kyiv wall-clock times; an offset is refused (not compared, not shifted), and
    the message says what to write instead."""
    assert old in VALID
    err = scenario_error(VALID.replace(old, new, 1))
    p = next(p for p in err.problems if p.path == path)
    assert p.line is not None and "without a UTC offset" in p.message


def test_utc_offset_message_gives_the_same_moment_on_the_kyiv_clock():
    zoneinfo = pytest.importorskip("zoneinfo")
    try:
        zoneinfo.ZoneInfo("Europe/Kyiv")
    except zoneinfo.ZoneInfoNotFoundError:
        pytest.skip("no time zone database here: the message goes without the hint")
    err = scenario_error(VALID.replace("start: 2022-09-06T00:00", "start: 2022-09-05T21:00:00Z"))
    assert "2022-09-06T00:00 in Kyiv" in err.problems[0].message  # EEST, UTC+3 in September


@pytest.mark.parametrize(
    "value, words",
    [
        ("0", "expected a date and time"),
        ("1662390000", "expected a date and time"),
        ("9999-12-31T23:00:00", "year between 1900 and 2100"),
        ("2022-02-30", "day is out of range"),
        ("0000-01-01", "year 0 is out of range"),
        ("2022-09-05 25:00:00", "hour must be in 0..23"),
    ],
)
def test_bad_start_is_one_located_error(value, words):
    err = scenario_error(VALID.replace("start: 2022-09-06T00:00", f"start: {value}"))
    assert err.problems[0].line == 3 and words in err.problems[0].message, str(err)


@pytest.mark.parametrize(
    "old, new, path, words",
    [
        ("tanks: 30,", "tanks: 100000000000000000000,", "units[0].equipment.tanks", "less than"),
        ("tanks: 30,", "tanks: 1e400,", "units[0].equipment.tanks", "finite"),
        ("tanks: 30,", "tanks: .inf,", "units[0].equipment.tanks", "finite"),
        ("tanks: 30,", "tanks: " + "9" * 5000 + ",", "units[0].equipment.tanks", "4300 digits"),
        ("tanks: 30,", "tanks: !!int izium,", "units[0].equipment.tanks", "izium"),
        ("personnel: 2000,", "personnel: true,", "units[0].equipment.personnel", "got true"),
        ("area_km2: 100,", "area_km2: .inf,", "history[1].area_km2", "finite"),
        ("area_km2: 100,", "area_km2: .nan,", "history[1].area_km2", "finite"),
        ("id: mini", "id: /tmp/escape", "id", "plain name"),
        ("id: mini", "id: ../../escape", "id", "plain name"),
        ("id: mini", "id: ''", "id", "plain name"),
    ],
)
def test_hostile_values_are_located_errors(old, new, path, words):
    assert old in VALID
    err = scenario_error(VALID.replace(old, new, 1))
    p = err.problems[0]
    assert p.line is not None and p.path == path and words in p.message, str(err)


#: Fields of VALID whose value is replaced by one Python cannot hold: (text, field path).
VALUE_FIELDS = [
    ("start: 2022-09-06T00:00", "start"),
    ("end: 2022-09-07T00:00", "end"),
    ("title: A small test scenario", "title"),
    ("tanks: 30,", "units[0].equipment.tanks"),
    ("personnel: 700,", "units[1].equipment.personnel"),
    ("start: 2022-09-06T03:30,", "orders[0].start"),
    ("units: [ua_1]", "orders[0].units[0]"),
    ("at: 2022-09-06T12:00,", "events[0].at"),
    ("area_km2: 100,", "history[1].area_km2"),
]
#: Values YAML can parse but Python cannot hold, and a word each message must show.
UNREADABLE = [
    ("2022-02-30T10:00:00", "day is out of range"),
    ("2022-03-01 25:00:00", "hour must be in 0..23"),
    ("0000-01-01", "year 0"),
    ("!!int izium", "izium"),
    ("!!float x", "'x'"),
    ("!!bool maybe", "not a bool value"),
    ("!!timestamp nope", "nope"),
]


def _with_value(text: str, old: str, value: str) -> str:
    """VALID's field `old` (``key: value`` or ``key: [value]``) with `value` instead."""
    key, _, rest = old.partition(": ")
    tail = "," if rest.endswith(",") else ""
    new = f"{key}: [{value}]" if rest.startswith("[") else f"{key}: {value}{tail}"
    assert old in text
    return text.replace(old, new, 1)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(VALUE_FIELDS), st.sampled_from(UNREADABLE)),
        min_size=1,
        max_size=4,
        unique_by=lambda x: x[0],
    ),
    st.booleans(),
)
def test_every_unreadable_value_is_its_own_located_problem_in_one_pass(changes, field_error):
    """A value Python cannot hold (30 February, hour 25, ``!!int izium``) does not stop the
    loader: each is one problem at its own line and field, listed with the file's ordinary
    field errors."""
    text = VALID
    for (old, _), (value, _) in changes:
        text = _with_value(text, old, value)
    if field_error:
        text = text.replace("    echelon: battalion", "    echelon: corps", 1)
    err = scenario_error(text)
    lines = text.splitlines()
    for (old, path), (_value, words) in changes:
        found = [p for p in err.problems if p.path == path]
        assert len(found) == 1, str(err)
        p = found[0]
        assert words in p.message and p.message.startswith("YAML value:"), str(err)
        assert p.line is not None and old.partition(":")[0] in lines[p.line - 1], str(err)
    assert ("units[1].echelon" in [p.path for p in err.problems]) == field_error, str(err)
    assert len(err.problems) == len(changes) + field_error, str(err)


def test_an_unreadable_value_says_what_its_field_expects():
    err = scenario_error(_with_value(VALID, "tanks: 30,", "!!int izium"))
    assert err.problems[0].message.endswith("(expected a valid integer)"), str(err)
    err = scenario_error(_with_value(VALID, "start: 2022-09-06T00:00", "2022-02-30"))
    assert err.problems[0].message.endswith("(expected a valid datetime)"), str(err)


def test_an_alias_of_an_unreadable_value_is_the_same_problem_not_an_empty_value():
    """ruamel leaves a failed node half built; an alias of it must not read as None."""
    text = VALID.replace("start: 2022-09-06T00:00", "start: &s 2022-02-30T00:00:00", 1)
    text = text.replace("end: 2022-09-07T00:00", "end: *s", 1)
    err = scenario_error(text)
    assert [p.path for p in err.problems] == ["start", "end"], str(err)
    assert all("day is out of range" in p.message for p in err.problems), str(err)


def test_an_unreadable_unit_id_is_one_problem_not_also_a_missing_unit():
    """The orders that name the unit are not reported as naming a unit that does not exist."""
    assert "  - id: ua_1\n" in VALID and "{units: [ua_1]," in VALID
    err = scenario_error(VALID.replace("  - id: ua_1\n", "  - id: !!int ua_1\n", 1))
    assert len(err.problems) == 1 and "YAML value" in err.problems[0].message, str(err)


def test_an_unreadable_key_is_a_located_problem():
    err = scenario_error(VALID.replace("title: A", "? 2022-02-30\n: 3\ntitle: A", 1))
    assert len(err.problems) == 1 and err.problems[0].line == 2, str(err)
    assert err.problems[0].path == "2022-02-30" and "day is out of range" in str(err)


@pytest.mark.parametrize(
    "old, new",
    [
        ("    side: RU\n", "   side: RU\n"),  # bad indentation
        ("name: 1st Test Brigade", 'name: "1st Test Brigade'),  # an unclosed quote
        ("title: A small", "title: [A small"),  # an unclosed bracket
    ],
)
def test_a_yaml_syntax_error_is_still_one_line_with_its_line_number(old, new):
    """Syntax stops the reader (there is no tree to go on with): one problem, with a line."""
    assert old in VALID
    err = scenario_error(VALID.replace(old, new, 1))
    assert len(err.problems) == 1 and err.problems[0].line is not None, str(err)
    assert err.problems[0].message.startswith("YAML syntax:"), str(err)


def test_surprise_hours_must_be_finite_and_bounded():
    text = VALID.replace(
        "  - {at: 2022-09-06T01:00, kind: caption,",
        "  - {at: 2022-09-06T01:00, kind: surprise, side: UA, hours: .inf, "
        "source: t}\n  - {at: 2022-09-06T01:00, kind: caption,",
    )
    assert "events[1].hours" in str(scenario_error(text))
    text = text.replace("hours: .inf", "hours: 100000")
    assert "less than or equal" in str(scenario_error(text))


def test_polygon_coordinates_must_be_finite_longitude_and_latitude():
    region = (
        "control:\n  regions:\n    - {side: RU, source: t, polygon: "
        "[[37, 49], [38, 49], [POINT]]}\n"
    )
    for point, words in (
        ("[.nan, 49]", "finite"),
        ("[.inf, 49]", "finite"),
        ("[37, 95]", "latitude"),
    ):
        err = scenario_error(VALID + region.replace("[POINT]", point))
        assert err.problems[0].path.startswith("control.regions[0].polygon"), str(err)
        assert words in err.problems[0].message


def test_duplicate_depot_id_is_an_error():
    text = VALID.replace("depots:\n", "depots:\n  - {id: ua_base, side: UA, at: b, source: t}\n")
    err = scenario_error(text)
    assert err.problems[0].path == "depots[1].id" and "already used" in err.message


def test_every_problem_is_listed_in_file_order_and_printed_one_per_line(tmp_path, capsys):
    text = (
        VALID.replace("personnel: 2000", "personnel: lots")
        .replace("    side: RU", "    side: XX")
        .replace("{units: [ua_1],", "{units: [ua_9],")
    )
    err = scenario_error(text, toy())
    assert [p.path for p in err.problems] == [
        "units[0].equipment.personnel",
        "units[1].side",
        "orders[0].units[0]",
    ]
    assert [p.line for p in err.problems] == [19, 23, 31]
    assert "more problem" not in str(err)
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    code, out, errs = run_cli([str(path), "--headless"], capsys)
    assert_clean_failure(code, errs)
    assert sum(f"{path}:" in ln for ln in errs.splitlines()) >= 3 and out == ""


def test_unknown_field_suggests_the_field_meant():
    err = scenario_error(
        VALID.replace("    source: test\n    estimate: true", "    source: test\n    estimat: true")
    )
    assert "did you mean estimate?" in err.message


def test_deep_nesting_is_refused_not_a_recursion_error():
    err = scenario_error(VALID + "extra: " + "[" * 300 + "]" * 300 + "\n")
    assert "nested more than" in err.message and err.line is not None


@pytest.mark.parametrize("levels", [9, 10])
def test_alias_bombs_are_refused_before_expanding(levels):
    """Nine aliases of nine aliases... are a few lines of text and 10^9 values expanded; the
    reader counts values as it expands and stops at the limit."""
    lines = ["b0: &b0 [x, x, x, x, x, x, x, x, x, x]"]
    for k in range(1, levels):
        lines.append(f"b{k}: &b{k} [" + ", ".join([f"*b{k - 1}"] * 10) + "]")
    err = scenario_error(VALID + "\n".join(lines) + "\n")
    assert "aliases are expanded" in err.message


def test_fifo_device_folder_and_huge_files_are_refused_unread(tmp_path):
    fifo = tmp_path / "fifo.yaml"
    os.mkfifo(fifo)  # opening it would block forever
    for path, words in (
        (fifo, "not a regular file"),
        (Path("/dev/zero"), "not a regular file"),
        (tmp_path, "folder"),
    ):
        with pytest.raises(ScenarioError, match=words):
            load_scenario(path)
    huge = tmp_path / "huge.yaml"
    huge.write_text(
        VALID.replace("description: ''", "") + "description: " + "a" * MAX_YAML_BYTES + "\n",
        encoding="utf-8",
    )
    with pytest.raises(ScenarioError, match="larger than"):
        load_scenario(huge)


def test_duration_has_a_cap_that_can_be_lifted():
    text = VALID.replace("end: 2022-09-07T00:00", "end: 2023-09-07T00:00")
    err = scenario_error(text)
    assert err.path == "end" and "--max-days" in err.message and err.line == 4
    scenario, _ = parse_scenario(text, "s.yaml", max_days=400)
    assert scenario.hours == 366 * 24
    assert parse_scenario(text, "s.yaml", max_days=None)[0].hours == 366 * 24


def test_the_number_of_units_has_a_cap_that_can_be_lifted(short_scenario, tmp_path, capsys):
    """A legal 600 kB scenario of 1,000 units took 70 s and 4 GB to replay (each sweep worker
    as much): more than MAX_UNITS units are refused at the units: line, naming --max-units,
    which lifts the cap for the replay, view and sweep."""
    from sim.scenario import MAX_UNITS

    unit = VALID[VALID.index("  - id: ru_1") : VALID.index("orders:")]
    extra = "".join(unit.replace("ru_1", f"ru_x{i}") for i in range(MAX_UNITS - 2))
    text = VALID.replace("orders:", extra + "orders:", 1)
    assert len(parse_scenario(text, "s.yaml")[0].units) == MAX_UNITS
    over = text.replace("orders:", unit.replace("ru_1", "ru_last") + "orders:", 1)
    err = scenario_error(over)
    assert err.path == "units" and err.line == 12 and "--max-units" in err.message
    assert f"the limit is {MAX_UNITS}" in err.message and "MB, and each sweep" in err.message
    assert len(parse_scenario(over, "s.yaml", max_units=MAX_UNITS + 1)[0].units) == MAX_UNITS + 1
    assert len(parse_scenario(over, "s.yaml", max_units=None)[0].units) == MAX_UNITS + 1
    for command in ([], ["view"], ["sweep"]):
        code, out, _ = run_cli([*command, "--help"], capsys)
        assert code == 0 and "--max-units" in out, command


def test_not_utf8_names_its_line(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_bytes(VALID.encode().replace(b"1st Test", b"1st \xff\xfeTest"))
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert info.value.line == 14 and "UTF-8" in info.value.message


# ============================================================================ parameters
@pytest.mark.parametrize(
    "name, value",
    [
        ("speed_highway_kmh", "inf"),
        ("speed_main_kmh", "1e-308"),
        ("speed_local_kmh", "nan"),
        ("weight_tank", "inf"),
        ("morale_loss_per_casualty", "inf"),
        ("capture_ratio", "true"),
        ("capture_ratio", "1_5"),  # Python (and pydantic) read it as 15
        ("capture_ratio", "\u0661"),  # an Arabic-Indic 1, which Python reads as 1
        ("capture_ratio", "\uff12"),  # a full-width 2
        ("withdrawal_doctrine", "1"),  # a switch is true or false
    ],
)
def test_set_refuses_non_finite_and_unbounded_values_before_simulating(
    name, value, short_scenario, tmp_path, capsys
):
    code, out, err = run_cli(
        [
            str(short_scenario),
            "--headless",
            "--out",
            str(tmp_path / "o"),
            "--set",
            f"{name}={value}",
        ],
        capsys,
    )
    assert_clean_failure(code, err, f"--set {name}={value}")
    assert out == "" and not (tmp_path / "o" / "summary.json").exists()


def test_every_parameter_is_bounded_and_finite():
    for name, *_ in Parameters.describe():
        if Parameters.model_fields[name].annotation is bool:  # a switch: yes or no only
            assert Parameters.bounds(name) == "yes or no"
            for bad in (float("inf"), float("nan"), 2, "maybe"):
                with pytest.raises(ValueError):
                    Parameters(**{name: bad})
            continue
        low, _, high = Parameters.bounds(name).partition(" to ")
        assert low != "any" and high != "any", name
        for bad in (float("inf"), float("nan"), True):
            with pytest.raises(ValueError):
                Parameters(**{name: bad})


# ============================================================================ the command line
@pytest.mark.parametrize(
    "argv, words",
    [
        (["sweeps"], "did you mean sweep?"),
        (["parms"], "did you mean params?"),
        (["izium_2022_09"], "did you mean scenarios/izium_2022_09.yaml?"),
        (["SEPT", "--seed", "-1"], "whole number from 0"),
        (["SEPT", "--size", "100000x100000"], "3840x2160"),
        (["SEPT", "--size", "20000x20000"], "3840x2160"),
        (["SEPT", "--out", ""], "empty name"),
        (["SEPT", "--screenshot", "x.png", "--at", "2022-09-10T12:00+03:00"], "UTC offset"),
        (["params", "--bogus"], "unrecognized"),
        (["view", "nowhere"], "no frames.json.gz"),
    ],
)
def test_bad_command_lines_are_one_clear_line(argv, words, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    argv = [str(SEPT) if a == "SEPT" else a for a in argv]
    code, out, err = run_cli(argv, capsys)
    assert_clean_failure(code, err, words)
    assert len(err.strip().splitlines()) == 1 and out == ""
    assert list(tmp_path.iterdir()) == []  # nothing written


def test_help_lists_every_command_and_every_option(capsys):
    code, out, _ = run_cli(["--help"], capsys)
    assert code == 0
    for command in cli.COMMANDS:
        assert f"\n  {command} " in out
    for option in (
        "--headless",
        "--seed",
        "--set",
        "--out",
        "--replace",
        "--compare",
        "--record",
        "--screenshot",
        "--at",
        "--size",
        "--max-days",
    ):
        assert option in out
    for command in cli.COMMANDS:
        code, out, _ = run_cli([command, "--help"], capsys)
        assert code == 0 and f"run.py {command}" in out, command
    code, _, err = run_cli([], capsys)
    assert code == 2 and "commands" in err


def test_gif_export_without_the_video_extra_fails_before_simulating(
    short_scenario, tmp_path, capsys, monkeypatch
):
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "PIL" else real(name, *a)
    )
    code, out, err = run_cli(
        [str(short_scenario), "--record", str(tmp_path / "a.gif"), "--out", str(tmp_path / "o")],
        capsys,
    )
    assert_clean_failure(code, err, '".[video]"')
    assert out == "" and not (tmp_path / "o").exists()


def test_compare_without_matplotlib_names_the_extra_before_any_work(tmp_path, capsys, monkeypatch):
    (tmp_path / META).write_text(json.dumps({"axes": []}), encoding="utf-8")
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name == "matplotlib" else real(name, *a),
    )
    code, out, err = run_cli(["compare", str(tmp_path)], capsys)
    assert_clean_failure(code, err, "sweep extra")
    assert "matplotlib" in err and not (tmp_path / "compare").exists()


def test_a_set_run_never_lands_in_the_plain_runs_folder(short_scenario):
    scenario = load_scenario(short_scenario)
    plain = cli.default_out(scenario, scenario.parameters_with(), 3)
    changed = cli.default_out(scenario, scenario.parameters_with({"capture_ratio": "2.0"}), 3)
    default = Parameters.model_fields["presence_km"].default
    same = cli.default_out(scenario, scenario.parameters_with({"presence_km": str(default)}), 3)
    assert plain == Path("runs/izium_2022_09_seed3")
    assert changed == Path("runs/izium_2022_09_seed3+capture_ratio=2")
    assert same == plain  # a --set that changes nothing is the plain run
    many = scenario.parameters_with(
        {
            n: Parameters.model_fields[n].default * 0.5
            for n in (
                "capture_ratio",
                "presence_km",
                "withdraw_decision_hours",
                "dig_in_hours",
                "fortify_hours",
                "weight_tank",
            )
        }
    )
    assert len(cli.default_out(scenario, many, 3).name) <= cli.MAX_FOLDER_NAME


def test_a_folder_holding_another_run_is_refused_and_replace_overwrites_it(
    short_scenario, short_run, tmp_path, capsys
):
    out = tmp_path / "o"
    shutil.copytree(short_run, out)
    code, stdout, err = run_cli(
        [str(short_scenario), "--headless", "--seed", "1", "--out", str(out)], capsys
    )
    assert_clean_failure(code, err, "holds another run (izium_2022_09, seed 0)")
    assert stdout == ""  # refused before simulating
    code, _, err = run_cli(
        [str(short_scenario), "--headless", "--seed", "1", "--out", str(out), "--replace"], capsys
    )
    assert code == 0, err
    assert json.loads((out / "summary.json").read_text())["seed"] == 1
    assert not (out / "history_comparison.csv").exists()  # the old run's comparison is gone


def test_rerunning_the_same_run_replaces_its_files_and_drops_a_stale_comparison(
    short_scenario, short_run, tmp_path, capsys
):
    out = tmp_path / "o"
    shutil.copytree(short_run, out)
    (out / "notes.txt").write_text("mine", encoding="utf-8")
    code, _, err = run_cli([str(short_scenario), "--headless", "--out", str(out)], capsys)
    assert code == 0, err
    assert not (out / "history_comparison.csv").exists()
    assert (out / "notes.txt").read_text() == "mine"  # only the run's own files are touched
    unknown = tmp_path / "u"
    unknown.mkdir()
    (unknown / "summary.json").write_text("[]", encoding="utf-8")
    code, _, err = run_cli([str(short_scenario), "--headless", "--out", str(unknown)], capsys)
    assert_clean_failure(code, err, "not a run summary")


def test_summary_start_personnel_is_the_tables_first_row(short_run):
    import csv

    summary = json.loads((short_run / "summary.json").read_text(encoding="utf-8"))
    with (short_run / "timeseries.csv").open(encoding="utf-8") as f:
        first = next(csv.DictReader(f))
    for side in ("UA", "RU"):
        assert summary["personnel"][side]["start"] == int(first[f"personnel_{side}"])
    # September has later arrivals: the order of battle is larger than the start
    assert summary["personnel"]["RU"]["order_of_battle"] > summary["personnel"]["RU"]["start"]


def test_summary_json_is_strict_json(short_run):
    def no_constants(name):
        raise AssertionError(f"{name} in summary.json")

    json.loads((short_run / "summary.json").read_text(), parse_constant=no_constants)
    with gzip.open(short_run / "frames.json.gz", "rt", encoding="utf-8") as f:
        json.load(f, parse_constant=no_constants)
