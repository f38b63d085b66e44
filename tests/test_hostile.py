"""Hostile input never crashes, hangs or escapes (issue #16), and the command line's rough
edges (issue #12, item 7): every reproducer of the issues as a named test, then hypothesis
fuzzing of the loader (text and values, run through the model when accepted), the command
line, and every file read back (frames, comparison CSV, journal, sweep.json, tables).

The long fuzz (10,000 cases, with a timeout per case to catch hangs) is
benchmarks/fuzz_hostile.py; `pytest -m slow` runs the slow tests here.
"""

from __future__ import annotations

import gzip
import importlib.util
import json
import os
import random
import shutil
import tempfile
from pathlib import Path

import pytest
from hostile import (
    cli_argv,
    json_bytes,
    mutate_bytes,
    mutate_json,
    mutate_scenario_values,
    mutate_yaml,
)
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from test_scenario import VALID
from toy import toy_theatre

from sim import cli, sweep
from sim.params import Parameters
from sim.report import read_comparison, read_frames
from sim.safe_io import MAX_YAML_BYTES, FileProblem
from sim.scenario import ScenarioError, load_scenario, parse_scenario
from sim.sweep.store import (
    JOURNAL,
    META,
    FolderLock,
    TableSchema,
    read_journal,
    read_meta,
    read_table,
    table_rows,
    write_table,
)

REPO = Path(__file__).resolve().parent.parent
SEPT = REPO / "scenarios" / "izium_2022_09.yaml"
SEPT_TEXT = SEPT.read_text(encoding="utf-8")
#: The September scenario cut to its first 12 hours: a run takes a few hundredths of a second.
SHORT_TEXT = SEPT_TEXT.replace("end: 2022-09-17T00:00:00", "end: 2022-09-06T06:00:00")


def fuzz(examples: int) -> settings:
    """Hypothesis settings of the fuzz tests: derandomized (the same cases on every run, so CI
    is stable), no deadline (a case may run the model), no shrinking (a failure prints its
    case as generated)."""
    return settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.explicit, Phase.generate],
    )  # shrinking random() is slow


def toy():
    return toy_theatre(
        {"a": (0, 0), "b": (10, 0), "c": (20, 0)},
        [("a", "b", 10, "local", "br"), ("b", "c", 10, "local")],
    )


def run_cli(argv: list[str], capsys) -> tuple[int, str, str]:
    """sim.cli.main in this process: (exit code, stdout, stderr). --help's SystemExit is an
    exit code like any other."""
    try:
        code = cli.main(argv)
    except SystemExit as e:
        code = e.code if isinstance(e.code, int) else 0
    out, err = capsys.readouterr()
    return code, out, err


def assert_clean_failure(code: int, err: str, words: str = "") -> None:
    """Exit 2, every stderr line an `error:` line, no traceback, the expected words."""
    assert code == 2, err
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert lines and all(ln.startswith("error: ") for ln in lines), err
    assert words in err, err


@pytest.fixture(scope="module")
def short_scenario(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("short") / "izium_2022_09.yaml"
    path.write_text(SHORT_TEXT, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def short_run(short_scenario, tmp_path_factory) -> Path:
    """A saved run folder (12 hours of September, with --compare)."""
    out = tmp_path_factory.mktemp("run") / "run"
    assert cli.main([str(short_scenario), "--headless", "--compare", "--out", str(out)]) == 0
    return out


def scenario_error(text: str, theatre=None, max_days=120) -> ScenarioError:
    with pytest.raises(ScenarioError) as info:
        scenario, root = parse_scenario(text, "s.yaml", max_days=max_days)
        if theatre is not None:
            from sim.scenario import resolve_places

            resolve_places(scenario, theatre, "s.yaml", root)
    return info.value


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
        ("tanks: 30,", "tanks: " + "9" * 5000 + ",", "", "4300 digits"),
        ("tanks: 30,", "tanks: !!int izium,", "", "izium"),
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
    same = cli.default_out(scenario, scenario.parameters_with({"presence_km": "12"}), 3)
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
                "capture_hours",
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


# ============================================================================ reading a run back
def _frames_dir(tmp_path: Path, data: bytes, comparison: bytes | None = None) -> Path:
    folder = Path(tempfile.mkdtemp(dir=tmp_path))
    (folder / "frames.json.gz").write_bytes(data)
    if comparison is not None:
        (folder / "history_comparison.csv").write_bytes(comparison)
    return folder


def _gz(obj) -> bytes:
    return gzip.compress(json_bytes(obj), mtime=0)


@pytest.fixture(scope="module")
def september():
    from sim.theatre import build_theatre

    return load_scenario(SEPT, build_theatre())


@pytest.fixture(scope="module")
def frames(short_run) -> dict:
    return read_frames(short_run)


def test_view_of_damaged_runs_is_one_clear_line(short_run, frames, tmp_path, capsys):
    raw = (short_run / "frames.json.gz").read_bytes()
    missing = {k: v for k, v in frames.items() if k != "title"}
    ghost = json.loads(json.dumps(frames))
    ghost["frames"][3]["units"][0]["id"] = "ghost"
    escape = {**frames, "scenario": "../../../etc/passwd"}
    cases = [
        (raw[: len(raw) // 2], None, "cut short"),
        (b"not gzip at all", None, "not a gzip file"),
        (gzip.compress(b"[" * 100_000), None, "not JSON"),
        (_gz(missing), None, "title"),
        (_gz(ghost), None, "frames[3].units[0].id"),
        (_gz(escape), None, "plain name"),
        (raw, b"date,kind\n\xff\xfe,1\n", "not UTF-8"),
        (raw, (REPO / "README.md").read_bytes()[:200], "not a history comparison"),
    ]
    for data, comparison, words in cases:
        folder = _frames_dir(tmp_path, data, comparison)
        code, _, err = run_cli(
            ["view", str(folder), "--scenario", str(SEPT), "--screenshot", str(tmp_path / "v.png")],
            capsys,
        )
        assert_clean_failure(code, err, words)


def test_view_refuses_a_comparison_of_another_scenario(short_run, tmp_path, capsys):
    folder = tmp_path / "stale"
    shutil.copytree(short_run, folder)
    march = (REPO / "scenarios" / "izium_2022_03.yaml").read_text(encoding="utf-8")
    from sim.history import compare, write_comparison
    from sim.model import CampaignModel
    from sim.theatre import build_theatre

    th = build_theatre()
    short_march = march.replace("end: 2022-04-02T00:00:00", "end: 2022-02-24T12:00:00")
    scenario, root = parse_scenario(short_march, "m.yaml")
    from sim.scenario import resolve_places

    scenario = resolve_places(scenario, th, "m.yaml", root)
    record = CampaignModel(scenario, th, seed=0).run()
    write_comparison(compare(record, scenario), folder / "history_comparison.csv")
    code, _, err = run_cli(
        ["view", str(folder), "--scenario", str(SEPT), "--screenshot", str(tmp_path / "v.png")],
        capsys,
    )
    assert_clean_failure(code, err, "the comparison is of another run")


@fuzz(60)
@given(st.randoms(use_true_random=False))
def test_mangled_run_records_are_refused_or_drawn(frames, short_run, september, rnd):
    """Any mangling of frames.json.gz (or of the comparison) is a FileProblem, or the run
    builds a Replay whose frames draw without an exception."""
    from sim.theatre import build_theatre
    from sim.view.app import render_frame
    from sim.view.replay import Replay

    scenario = september
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        if rnd.random() < 0.7:
            (folder / "frames.json.gz").write_bytes(_gz(mutate_json(frames, rnd)))
        else:
            raw = (short_run / "frames.json.gz").read_bytes()
            (folder / "frames.json.gz").write_bytes(mutate_bytes(raw, rnd))
        if rnd.random() < 0.5:
            csv_bytes = (short_run / "history_comparison.csv").read_bytes()
            (folder / "history_comparison.csv").write_bytes(mutate_bytes(csv_bytes, rnd))
        try:
            replay = Replay.load(folder, build_theatre(), scenario)
        except FileProblem:
            return
        render_frame(replay, rnd.uniform(0, replay.hours), (320, 240))


@fuzz(40)
@given(st.randoms(use_true_random=False))
def test_mangled_comparisons_are_refused_or_read(short_run, rnd):
    text = (short_run / "history_comparison.csv").read_bytes()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "history_comparison.csv"
        path.write_bytes(mutate_bytes(text, rnd))
        try:
            rows = read_comparison(path)
        except FileProblem:
            return
        from sim.theatre import build_theatre
        from sim.view.replay import _marks_from_comparison

        assert all(isinstance(m.name, str) for m in _marks_from_comparison(rows, build_theatre()))


# ============================================================================ sweeps
@pytest.fixture(scope="module")
def tiny_sweep(short_scenario, tmp_path_factory) -> Path:
    """2 parameter sets x 2 seeds of the 12-hour scenario, on 1 worker."""
    pytest.importorskip("pyarrow")
    out = tmp_path_factory.mktemp("sweep") / "s"
    assert (
        cli.main(
            [
                "sweep",
                str(short_scenario),
                "--vary",
                "capture_ratio=1.2,2",
                "--seeds",
                "2",
                "--workers",
                "1",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    return out


@pytest.fixture(scope="module")
def design(short_scenario):
    """The tiny sweep's design: (spec, base)."""
    base = sweep.Base.load(str(short_scenario), short_scenario.read_text(encoding="utf-8"))
    spec = sweep.SweepSpec(
        str(short_scenario), [sweep.make_axis(base, "capture_ratio", ["1.2", "2"], "t")], seeds=2
    )
    return spec, base


def test_damaged_journal_lines_are_skipped_never_replace_a_good_row(tiny_sweep, tmp_path):
    lines = (tiny_sweep / JOURNAL).read_bytes().splitlines(keepends=True)
    good = {json.loads(ln)["run_key"]: json.loads(ln) for ln in lines}
    key = sorted(good)[0]
    damaged = b"".join(lines) + b"".join(
        [
            b'\xff\xfe{"run_key": 1}\n',  # not UTF-8
            b'{"run_key":["x"]}\n',  # a list as the key
            json.dumps({"run_key": key}).encode() + b"\n",  # a blank row for an existing key
            json.dumps({"run_key": key, "status": "ok", "fidelity": 1.0}).encode() + b"\n",
            json.dumps({**good[key], "seed": "x", "fidelity": "high"}).encode() + b"\n",
            b"[1, 2]\n",
            b"NaN\n",
            b'{"run_key": "0123456789abcdef", "status": "ok"}\n',
            b'{"run_key": "' + key.encode() + b'"',  # torn last line
        ]
    )
    path = tmp_path / JOURNAL
    path.write_bytes(damaged)
    warnings: list[str] = []
    rows = read_journal(path, expected=set(good), warn=warnings.append)
    assert rows == good
    assert len(warnings) == 8 and all(f"{path}:" in w for w in warnings)


def test_table_types_come_from_the_design_and_a_resume_writes_the_same_bytes(
    tiny_sweep, design, tmp_path
):
    import pyarrow.parquet as pq

    spec, base = design
    table = pq.read_table(tiny_sweep / "runs.parquet")
    types = {f.name: str(f.type) for f in table.schema}
    assert types["seed"] == "int64" and types["capture_ratio"] == "double"
    assert types["status"] == "string" and types["fidelity"] == "double"
    assert all(types[c] == "int64" for c in types if c.startswith("personnel_"))
    # a journal with a damaged seed, rows in another order: the same table, byte for byte
    lines = (tiny_sweep / JOURNAL).read_text(encoding="utf-8").splitlines()
    rows = [json.loads(ln) for ln in lines]
    rows[0]["seed"] = "x"
    out = tmp_path / "again"
    out.mkdir()
    (out / JOURNAL).write_text(
        "".join(json.dumps(r) + "\n" for r in reversed(rows)), encoding="utf-8"
    )
    journal = read_journal(out / JOURNAL, warn=lambda _: None)
    tasks = sweep.plan(spec, base.sha256)
    rows = table_rows(journal, tasks)
    write_table(rows, TableSchema.of(sweep.parameter_kinds(spec), rows), out, csv_too=False)
    assert (out / "runs.parquet").read_bytes() == (tiny_sweep / "runs.parquet").read_bytes()


def test_a_finished_sweep_rerun_rewrites_a_byte_identical_table(tiny_sweep, short_scenario, capsys):
    before = (tiny_sweep / "runs.parquet").read_bytes()
    assert (
        cli.main(
            [
                "sweep",
                str(short_scenario),
                "--vary",
                "capture_ratio=1.2,2",
                "--seeds",
                "2",
                "--workers",
                "1",
                "--out",
                str(tiny_sweep),
            ]
        )
        == 0
    )
    assert (tiny_sweep / "runs.parquet").read_bytes() == before
    assert "0 runs done now" in capsys.readouterr().err


def test_a_second_sweep_into_a_locked_folder_is_refused(tiny_sweep, short_scenario, capsys):
    lock = FolderLock(tiny_sweep)
    assert lock.acquire()
    try:
        code, _, err = run_cli(
            [
                "sweep",
                str(short_scenario),
                "--vary",
                "capture_ratio=1.2,2",
                "--seeds",
                "2",
                "--out",
                str(tiny_sweep),
            ],
            capsys,
        )
        assert_clean_failure(
            code, err, f"another sweep is running in this folder (process {os.getpid()})"
        )
    finally:
        lock.release()


def test_another_design_into_a_sweep_folder_is_refused(tiny_sweep, short_scenario, capsys):
    code, _, err = run_cli(
        ["sweep", str(short_scenario), "--vary", "capture_ratio=3", "--out", str(tiny_sweep)],
        capsys,
    )
    assert_clean_failure(code, err, "of another sweep design")


@pytest.mark.parametrize(
    "args, words",
    [
        (["--seeds", "100000000", "--dry-run"], "100,000,000 runs"),
        (
            [
                "--vary",
                "capture_ratio=" + ",".join(map(str, range(1, 101))),
                "--vary",
                "presence_km=" + ",".join(map(str, range(1, 101))),
                "--vary",
                "withdraw_decision_hours=" + ",".join(map(str, range(1, 101))),
                "--vary",
                "dig_in_hours=" + ",".join(map(str, range(1, 101))),
                "--dry-run",
            ],
            "100,000,000 runs",
        ),
        (["--vary", "capture_ratio=1:2", "--samples", "1000000000000", "--dry-run"], "--max-runs"),
        (["--vary", "capture_ratio=inf,2"], "finite"),
        (["--first-seed", "4294967295", "--seeds", "2"], "seeds go up to"),
        (["--seeds", "-1"], ">= 1"),
        (["--workers", "100000"], "1 to 256"),
        (["--set", "end=2023-09-07T00:00"], "--max-days"),
    ],
)
def test_oversized_or_hostile_sweeps_are_refused_before_running(
    short_scenario, args, words, tmp_path, capsys
):
    code, _, err = run_cli(
        ["sweep", str(short_scenario), *args, "--out", str(tmp_path / "s")], capsys
    )
    assert_clean_failure(code, err, words)
    assert not (tmp_path / "s" / JOURNAL).exists()


@pytest.mark.parametrize(
    "damage, words",
    [
        (lambda f: (f / META).write_text("[1, 2]"), "expected a JSON object"),
        (lambda f: (f / META).write_bytes(b"\xff\xfe"), "not UTF-8"),
        (lambda f: (f / META).write_text('{"scenario": 1}'), "scenario: expected text"),
        (
            lambda f: (f / "runs.parquet").write_bytes((f / "runs.parquet").read_bytes()[:300]),
            "not a readable Parquet table",
        ),
        (lambda f: (f / "runs.parquet").write_bytes(b""), "not a readable Parquet table"),
    ],
)
def test_compare_of_a_damaged_sweep_is_one_clear_line(tiny_sweep, tmp_path, damage, words, capsys):
    folder = tmp_path / "d"
    shutil.copytree(tiny_sweep, folder)
    damage(folder)
    code, _, err = run_cli(["compare", str(folder), "--no-plots"], capsys)
    assert_clean_failure(code, err, words)


@fuzz(60)
@given(st.randoms(use_true_random=False))
def test_mangled_journals_give_typed_rows_or_skip_lines(tiny_sweep, design, rnd):
    spec, base = design
    tasks = sweep.plan(spec, base.sha256)
    lines = (tiny_sweep / JOURNAL).read_text(encoding="utf-8").splitlines()
    rows = [json.loads(ln) for ln in lines]
    out = []
    for r in rows:
        if rnd.random() < 0.5:
            out.append(json_bytes(mutate_json(r, rnd)) + b"\n")
        elif rnd.random() < 0.3:
            out.append(mutate_bytes(json_bytes(r), rnd) + b"\n")
        else:
            out.append(json_bytes(r) + b"\n")
    rnd.shuffle(out)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / JOURNAL).write_bytes(b"".join(out))
        journal = read_journal(folder / JOURNAL, warn=lambda _: None)
        table = table_rows(journal, tasks)
        write_table(table, TableSchema.of(sweep.parameter_kinds(spec), table), folder, True)
        for r in read_table(folder / "runs.csv", sweep.parameter_kinds(spec)):
            assert isinstance(r["seed"], int) and r["status"] in ("ok", "failed")


@fuzz(40)
@given(st.randoms(use_true_random=False))
def test_mangled_sweep_files_give_a_comparison_or_one_clear_line(tiny_sweep, rnd):
    meta = json.loads((tiny_sweep / META).read_text(encoding="utf-8"))
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "s"
        shutil.copytree(tiny_sweep, folder)
        if rnd.random() < 0.6:
            (folder / META).write_bytes(json_bytes(mutate_json(meta, rnd)))
        else:
            table = folder / rnd.choice(["runs.parquet", JOURNAL])
            table.write_bytes(mutate_bytes(table.read_bytes(), rnd))
            if table.name == JOURNAL:
                (folder / "runs.parquet").unlink()
        try:
            code = cli.main(["compare", str(folder), "--no-plots"])
        except SystemExit as e:  # pragma: no cover (argparse)
            code = e.code
        assert code in (0, 2)


def test_read_meta_accepts_what_a_sweep_writes(tiny_sweep):
    assert read_meta(tiny_sweep)["runs"] == 4


def test_every_outcome_a_run_writes_has_a_declared_column_type(tiny_sweep):
    """The table keeps only typed columns: an outcome that sim.sweep.outcomes.outcome_columns
    adds must be declared in sim.sweep.store.OUTCOME_KINDS, or it would be left out of the
    table."""
    from sim.sweep.store import ID_COLUMNS, JOURNAL_ONLY, outcome_kind

    for line in (tiny_sweep / JOURNAL).read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        undeclared = [
            k
            for k in row
            if k not in ID_COLUMNS
            and k != "capture_ratio"
            and k not in JOURNAL_ONLY
            and outcome_kind(k) is None
        ]
        assert not undeclared
        assert row["worker_pid"] > 0 and row["worker_max_rss_mib"] > 10  # a Python process


# ============================================================================ fuzzing
@fuzz(300)
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
    from sim.theatre import build_theatre

    if path not in _LOADED:
        _LOADED[path] = load_scenario(path, build_theatre())
    return _LOADED[path]


def _extreme(rnd: random.Random, name: str) -> float:
    """A parameter value at or near one of its bounds, or anywhere in its range."""
    low, _, high = Parameters.bounds(name).partition(" to ")
    lo = float(low.lstrip("> "))
    hi = float(high.lstrip("< "))
    eps = 1e-9 * max(1.0, abs(hi))
    lo_ok = lo + eps if low.startswith(">") else lo
    hi_ok = hi - eps if high.startswith("<") else hi
    return rnd.choice([lo_ok, hi_ok, rnd.uniform(lo_ok, hi_ok)])


@fuzz(40)
@given(st.randoms(use_true_random=False))
def test_any_parameters_within_bounds_run_without_an_exception(short_scenario, rnd):
    """Every accepted parameter set runs: values at their bounds included (a sweep may pick
    them). 12 hours of September with up to 10 parameters moved to extremes."""
    from sim.model import CampaignModel
    from sim.report import summary
    from sim.theatre import build_theatre

    th = build_theatre()
    scenario = _loaded(short_scenario)
    names = rnd.sample(list(Parameters.model_fields), rnd.randint(1, 10))
    params = scenario.parameters_with({n: _extreme(rnd, n) for n in names})
    record = CampaignModel(scenario, th, params, seed=rnd.randrange(2**32)).run()
    json.dumps(summary(record), allow_nan=False)


@fuzz(25)
@given(st.randoms(use_true_random=False))
def test_any_scenario_values_the_schema_accepts_run_without_an_exception(september, rnd):
    """Holdings at 0 or their bound, morale and supply at 0, units and depots anywhere,
    orders and events at any time, surprise windows of a year: what the schema accepts runs."""
    from sim.model import CampaignModel
    from sim.report import summary
    from sim.scenario import Scenario, check_references, resolve_places
    from sim.theatre import build_theatre

    th = build_theatre()
    data = mutate_scenario_values(september.model_dump(), th.node_ids, rnd)
    try:
        scenario = Scenario.model_validate(data)
        check_references(scenario, "fuzz", None)
        scenario = resolve_places(scenario, th, "fuzz", None)
    except (ValueError, ScenarioError):
        return
    record = CampaignModel(scenario, th, seed=rnd.randrange(2**32)).run()
    json.dumps(summary(record), allow_nan=False)


@fuzz(80)
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
