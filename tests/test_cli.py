"""The command line and its output files: the interface later checks rely on."""

from __future__ import annotations

import csv
import json
import subprocess
from pathlib import Path

import pytest
from clirun import Result, run, run_process

REPO = Path(__file__).resolve().parent.parent
SEPT = REPO / "scenarios" / "izium_2022_09.yaml"
OUTPUTS = ["summary.json", "timeseries.csv", "control_changes.csv", "events.csv", "frames.json.gz"]


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory) -> tuple[Path, Path, Result]:
    """The September replay, twice: in this process (after whatever ran in it before, caches
    warm) and in a new process with another hash seed."""
    a, b = tmp_path_factory.mktemp("a"), tmp_path_factory.mktemp("b")
    first = run(SEPT, "--headless", "--seed", "7", "--out", a, "--compare")
    second = run_process(SEPT, "--headless", "--seed", "7", "--out", b, "--compare", hashseed="2")
    assert first.returncode == 0, first.stderr
    assert second.returncode == 0, second.stderr
    return a, b, first


def test_same_seed_gives_byte_identical_files_in_two_processes(two_runs):
    a, b, _ = two_runs
    for name in [*OUTPUTS, "history_comparison.csv"]:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name


def test_outputs_have_the_promised_columns(two_runs):
    a, _, proc = two_runs
    with (a / "timeseries.csv").open() as f:
        rows = list(csv.DictReader(f))
    summary = json.loads((a / "summary.json").read_text())
    hours = summary["hours"]
    assert len(rows) == hours + 1  # hour 0 and one row per hour
    for col in ("time", "area_km2_UA", "area_km2_RU", "personnel_UA", "personnel_RU"):
        assert col in rows[0]
    # the two sides' areas add up to the whole box, every hour
    total = float(rows[0]["area_km2_UA"]) + float(rows[0]["area_km2_RU"])
    assert all(abs(float(r["area_km2_UA"]) + float(r["area_km2_RU"]) - total) < 1 for r in rows)
    with (a / "control_changes.csv").open() as f:
        header = f.readline().strip().split(",")
    assert header == ["time", "node_id", "name", "lat", "lon", "from_side", "to_side"]
    with (a / "events.csv").open() as f:
        assert f.readline().startswith("time,kind,side,unit_id,node_id")
    assert summary["scenario"] == "izium_2022_09" and summary["seed"] == 7
    # the printed daily table: a header and one line per date
    days = {r["time"][:10] for r in rows}
    table = [ln for ln in proc.stdout.splitlines() if ln[:4] == "2022"]
    assert len([ln for ln in table if ln[:10] in days]) >= len(days)
    assert "fidelity score" in proc.stdout


def test_compare_gives_the_null_run_and_the_skill_beside_the_score(two_runs):
    """--compare runs the null run (UA, the attacker, issues no orders) with the same seed and
    parameters: its score and the skill are printed and written after the fidelity score."""
    a, _, proc = two_runs
    with (a / "history_comparison.csv").open() as f:
        scores = {
            r["name"]: float(r["simulated"]) for r in csv.DictReader(f) if r["kind"] == "score"
        }
    model = scores["fidelity score (0-100)"]
    null = scores["null run score (0-100)"]
    assert 0 <= null < model
    assert scores["skill (model - null) / (100 - null)"] == pytest.approx(
        (model - null) / (100 - null), abs=0.005
    )
    assert f"null run (no UA orders): {null:.1f}" in proc.stdout


def test_a_saved_run_replays_in_the_viewer_without_re_simulating(two_runs, tmp_path):
    a, _, _ = two_runs
    png = tmp_path / "frame.png"
    proc = run("view", str(a), "--screenshot", str(png), "--at", "2022-09-10T12:00")
    assert proc.returncode == 0, proc.stderr
    assert png.stat().st_size > 10_000
    missing = run("view", str(tmp_path / "nothing"))
    assert missing.returncode == 2 and "frames.json.gz" in missing.stderr


def test_screenshots_option_tells_the_window_where_key_p_saves(two_runs, tmp_path, monkeypatch):
    """--screenshots DIR reaches the window (play's screenshot_dir), which is never opened
    here: play is replaced by a stand-in that keeps what it was given."""
    import sim.cli.commands
    import sim.view.app

    given: list[dict] = []
    monkeypatch.setattr(sim.cli.commands, "display_available", lambda: True)
    monkeypatch.setattr(sim.view.app, "play", lambda replay, **kw: given.append(kw))
    a, _, _ = two_runs
    shots = tmp_path / "shots"
    assert run("view", str(a), "--screenshots", str(shots)).returncode == 0
    assert run("view", str(a)).returncode == 0
    assert given[0]["screenshot_dir"] == shots and shots.is_dir()
    assert given[1]["screenshot_dir"] == Path("runs") / "screenshots"  # the default


def test_set_overrides_a_parameter_and_changes_the_run(two_runs, tmp_path):
    a, _, _ = two_runs
    proc = run(
        str(SEPT), "--headless", "--seed", "7", "--out", str(tmp_path), "--set", "capture_ratio=4.0"
    )
    assert proc.returncode == 0, proc.stderr
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["parameters_changed"] == {"capture_ratio": 4.0}
    assert (tmp_path / "control_changes.csv").read_bytes() != (
        a / "control_changes.csv"
    ).read_bytes()


def test_no_flag_without_a_display_says_so_and_runs_headless(tmp_path):
    env_run = run(str(SEPT), "--out", str(tmp_path), "--set", "presence_km=12")
    assert env_run.returncode == 0, env_run.stderr
    assert "No display available" in env_run.stderr
    assert (tmp_path / "summary.json").exists()


def test_params_lists_every_parameter_and_the_doc_is_current():
    from sim.cli.commands import parameters_markdown
    from sim.model.params import Parameters

    proc = run("params")
    assert proc.returncode == 0
    for name in Parameters.model_fields:
        assert f"{name} = " in proc.stdout
    assert (REPO / "docs" / "parameters.md").read_text(encoding="utf-8") == parameters_markdown(), (
        "regenerate: python run.py params --markdown > docs/parameters.md"
    )


@pytest.mark.parametrize(
    "args, words",
    [
        (["--seed", "x"], "whole number from 0"),
        (["--seed", "-1"], "whole number from 0"),
        (["--seed", "4294967296"], "whole number from 0"),
        (["--size", "100000x100000"], "WIDTHxHEIGHT"),
        (["--size", "20000x20000"], "WIDTHxHEIGHT"),
        (["--size", "0x0"], "WIDTHxHEIGHT"),
        (["--size", "1e3x800"], "WIDTHxHEIGHT"),
        (["--out", ""], "empty"),
        (["--max-days", "0"], "days above 0"),
        (["--max-days", "inf"], "days above 0"),
        (["--record", "a.gif", "--size", "3000x2000"], "a GIF is at most"),
        (["--screenshot", "a.png", "--at", "2022-09-10T12:00+03:00"], "without a UTC offset"),
        (["--screenshot", "a.jpg"], ".png"),
        (["--at", "2022-09-10T12:00"], "--at goes with --screenshot"),
        (["--screenshot", "a.png", "--at", "yesterday"], "2022-09-10T12:00"),
        (["--screenshot", "a.png", "--at", "2023-01-01T00:00"], "outside the scenario"),
        (["--record", "a.avi"], ".gif or .mp4"),
    ],
)
def test_bad_options_exit_2_with_one_clear_line(tmp_path, args, words):
    proc = run(str(SEPT), *args, cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert words in proc.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["--out", "/proc/no/such/dir"],
        ["--screenshot", "/proc/nope/x.png"],
        ["--out", "/etc/hostname"],
    ],
)
def test_unwritable_outputs_fail_before_simulating(tmp_path, args):
    proc = run(str(SEPT), "--headless", *args, cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    assert proc.stdout == ""  # nothing simulated


def test_readme_commands_are_what_ci_runs():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    lines = [ln.strip() for ln in readme.splitlines() if ln.strip().startswith("python3 -m venv")]
    assert len(lines) >= 2, "README must start with the install+run and install+test commands"
    main_cmd, test_cmd = lines[0], lines[1]
    assert "run.py scenarios/izium_2022_09.yaml" in main_cmd
    assert "pytest" in test_cmd and "pytest" not in main_cmd
    # CI evaluates the first README line that creates a venv and runs pytest: the test line
    proc = subprocess.run(
        ["bash", "-c", "grep -E '^python3 -m venv .*pytest' README.md | head -n 1"],
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    assert proc.stdout.strip() == test_cmd
    assert "grep -E '^python3 -m venv .*pytest' README.md" in ci


def test_readme_using_it_commands_use_only_existing_commands_and_options(capsys):
    """Each command of README "Using it" names a real command and only options it has, says
    how to run it in the virtual environment, and names the extra it needs."""
    from sim.cli.main import COMMANDS, main

    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Using it", 1)[1].split("\n## ", 1)[0]
    assert "source .venv/bin/activate" in section and ".venv/bin/python" in section
    lines = [
        ln.split("#")[0].split() for ln in section.splitlines() if ln.startswith("python run.py")
    ]
    assert len(lines) >= 10
    for words in lines:
        args = words[2:]
        command = args[0] if args[0] in COMMANDS else None
        if command is None and args[0] != "--help":
            assert (REPO / args[0]).is_file(), args
        try:
            main([command, "--help"] if command else ["--help"])
        except SystemExit:
            pass
        helptext = capsys.readouterr().out
        for option in (a for a in args if a.startswith("--")):
            assert option in helptext, (words, option)
    for line in section.splitlines():
        if "--record" in line or line.startswith(("python run.py sweep", "python run.py compare")):
            assert '".[video]"' in line or '".[sweep]"' in line, line
