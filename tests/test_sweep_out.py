"""Where a sweep file's `out:` may write. Design files are shared between people: a relative
`out:` is resolved against the design file's folder and must stay inside that folder or the
current folder; an absolute one, one starting with `~`, or one leading elsewhere (by `..` or a
symbolic link) is refused in one line (exit 2) before anything is built. `--out` always wins."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.cli.common import UsageError
from sim.cli.main import main as cli_main
from sim.sweep.cli import design_out

REPO = Path(__file__).resolve().parent.parent
SEPT = REPO / "scenarios" / "izium_2022_09.yaml"


def design(folder: Path, out: str) -> Path:
    """A two-run sweep file in `folder` whose `out:` is `out`."""
    folder.mkdir(parents=True, exist_ok=True)
    f = folder / "s.yaml"
    f.write_text(
        f"scenario: {json.dumps(str(SEPT))}\nout: {json.dumps(out)}\n"
        "vary:\n  capture_ratio: [1.2, 2]\n",
        encoding="utf-8",
    )
    return f


def dry_run(capsys, f: Path, *extra: str) -> tuple[int, str, Path | None]:
    """(exit code, stderr, the output folder the sweep announced, resolved)."""
    code = cli_main(["sweep", "--file", str(f), "--dry-run", *extra])
    err = capsys.readouterr().err
    announced = [ln.rsplit(" -> ", 1)[1] for ln in err.splitlines() if " runs -> " in ln]
    return code, err, Path(announced[0]).resolve() if announced else None


def assert_refused(code: int, err: str, f: Path, value: str) -> None:
    assert code == 2 and "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, lines
    text = f.read_text(encoding="utf-8").splitlines()
    out_line = 1 + next(i for i, ln in enumerate(text) if ln.startswith("out:"))
    assert lines[0].startswith(f"error: {f}:{out_line}: out: {value!r}"), lines[0]
    assert "--out" in lines[0]  # says how to choose the output anyway


@pytest.fixture
def places(tmp_path, monkeypatch) -> tuple[Path, Path]:
    """(the folder the design file was shared into, the current folder), side by side."""
    shared, work = tmp_path / "shared", tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    return shared, work


@pytest.mark.parametrize("value", ["ABSOLUTE", "/etc/sweeps", "~/sweeps", "~"])
def test_an_absolute_out_is_refused(value, places, capsys, tmp_path):
    shared, _ = places
    value = str(tmp_path / "elsewhere") if value == "ABSOLUTE" else value
    f = design(shared, value)
    code, err, _ = dry_run(capsys, f)
    assert_refused(code, err, f, value)
    assert not (tmp_path / "elsewhere").exists()


@pytest.mark.parametrize("value", ["../elsewhere", "sub/../../elsewhere", "..", "../work2"])
def test_an_out_leading_out_of_both_folders_is_refused(value, places, capsys, tmp_path):
    shared, _ = places
    f = design(shared, value)
    code, err, _ = dry_run(capsys, f)
    assert_refused(code, err, f, value)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["shared", "work"]


def test_a_symbolic_link_out_of_the_folder_is_refused(places, capsys, tmp_path):
    shared, _ = places
    (tmp_path / "elsewhere").mkdir()
    f = design(shared, "link/run")
    (shared / "link").symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    code, err, _ = dry_run(capsys, f)
    assert_refused(code, err, f, "link/run")


def test_an_out_folder_holding_a_link_is_refused(places, capsys, tmp_path):
    """A journal shipped as a link to another file would receive the sweep's appends."""
    shared, _ = places
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n", encoding="utf-8")
    f = design(shared, "results")
    (shared / "results").mkdir()
    (shared / "results" / "journal.jsonl").symlink_to(victim)
    code, err, _ = dry_run(capsys, f)
    assert_refused(code, err, f, "results")
    assert "journal.jsonl" in err
    assert victim.read_text(encoding="utf-8") == "precious\n"


@pytest.mark.parametrize("key", ["out", "scenario"])
def test_a_nul_in_a_path_is_one_line_not_a_traceback(key, places, capsys):
    shared, _ = places
    f = design(shared, "results")
    text = f.read_text(encoding="utf-8").splitlines()
    text = [f'{key}: "a\\0b"' if ln.startswith(f"{key}:") else ln for ln in text]
    f.write_text("\n".join(text) + "\n", encoding="utf-8")
    code = cli_main(["sweep", "--file", str(f), "--dry-run"])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err, err
    line = 1 + next(i for i, ln in enumerate(text) if ln.startswith(f"{key}:"))
    assert err.strip().splitlines() == [f"error: {f}:{line}: {key}: expected a file path"]


@pytest.mark.parametrize("value", ["results", "results/a/../b", ".", "./x"])
def test_a_relative_out_inside_the_design_folder_is_used(value, places, capsys):
    shared, _ = places
    code, err, out = dry_run(capsys, design(shared, value))
    assert code == 0, err
    assert out == (shared / value).resolve()


def test_an_out_may_lead_from_the_design_folder_into_the_current_folder(places, capsys):
    shared, work = places
    code, err, out = dry_run(capsys, design(shared, "../work/runs/s"))
    assert code == 0, err
    assert out == (work / "runs" / "s").resolve()


@pytest.mark.parametrize("example", sorted((REPO / "examples" / "sweeps").glob("*.yaml")))
def test_the_shipped_examples_write_under_runs_from_the_repository(
    example, capsys, monkeypatch, tmp_path
):
    """Their `out: ../../runs/sweeps/NAME` is the repository's runs/ folder, the current folder
    of the commands in docs/sweeps.md; run from elsewhere they ask for --out."""
    monkeypatch.chdir(REPO)
    code, err, out = dry_run(capsys, example.relative_to(REPO))
    assert code == 0, err
    assert out == REPO / "runs" / "sweeps" / example.stem
    monkeypatch.chdir(tmp_path)
    code, err, _ = dry_run(capsys, example)
    assert_refused(code, err, example, f"../../runs/sweeps/{example.stem}")
    code, err, out = dry_run(capsys, example, "--out", "mine")
    assert code == 0 and out == (tmp_path / "mine").resolve(), err


@pytest.mark.parametrize("value", ["/etc/sweeps", "../../../x", "fine"])
def test_out_on_the_command_line_always_wins(value, places, capsys, tmp_path):
    shared, _ = places
    code, err, out = dry_run(capsys, design(shared, value), "--out", str(tmp_path / "chosen"))
    assert code == 0, err
    assert out == (tmp_path / "chosen").resolve()


SEGMENTS = st.lists(
    st.sampled_from(["..", ".", "a", "b", "shared", "work"]), min_size=1, max_size=6
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(segments=SEGMENTS, cwd_is=st.sampled_from(["work", "shared", "shared/a", "root", "."]))
def test_out_never_leads_outside_the_design_folder_or_the_current_folder(
    segments, cwd_is, tmp_path
):
    """Whatever the relative path: either refused, or a folder inside the design file's folder
    or the current folder, and then the one the path names from the design file's folder."""
    root = tmp_path / "root"
    shared = root / "shared"
    (shared / "a").mkdir(parents=True, exist_ok=True)
    (root / "work").mkdir(exist_ok=True)
    cwd = {"work": root / "work", "shared": shared, "shared/a": shared / "a", "root": root}.get(
        cwd_is, tmp_path
    )
    value = "/".join(segments)
    # where the path leads, worked out by hand (the folders here hold no links): walk the
    # segments from the design folder, '..' going up a level, '.' and '' staying
    parts = list(shared.resolve().parts)
    for seg in segments:
        if seg == "..":
            parts = parts[:-1] or parts
        elif seg not in ("", "."):
            parts.append(seg)
    named = Path(*parts)
    inside = any(
        list(named.parts[: len(d.parts)]) == list(d.parts)
        for d in (shared.resolve(), cwd.resolve())
    )
    try:
        out = design_out(shared / "s.yaml", value, cwd=cwd)
    except UsageError as e:
        assert not inside, value
        assert str(e).startswith(f"{shared / 's.yaml'}: out: {value!r}")
        return
    assert inside, value
    assert out.resolve() == named


@pytest.mark.parametrize(
    ("field", "bad", "says"),
    [
        ("vary:\n  capture_ratio:", " []", "vary.capture_ratio: an empty list"),
        ("vary:\n  capture_ratio:", " {low: 1}", "vary.capture_ratio: a range is"),
        ("sample:", " 3", "sample: expected one of"),
        ("set:\n  no_such_parameter:", " 3", "set.no_such_parameter: path"),
    ],
)
def test_a_sweep_file_error_names_its_line_and_field(field, bad, says, places, capsys):
    """Each error of a sweep file begins FILE:LINE: field, the line of that field."""
    shared, _ = places
    f = shared / "s.yaml"
    shared.mkdir(parents=True, exist_ok=True)
    head = f"scenario: {json.dumps(str(SEPT))}\nout: results\n"
    f.write_text(head + field + bad + "\n", encoding="utf-8")
    code = cli_main(["sweep", "--file", str(f), "--dry-run"])
    err = capsys.readouterr().err.strip().splitlines()
    line = head.count("\n") + field.count("\n") + 1
    assert code == 2 and len(err) == 1, err
    assert err[0].startswith(f"error: {f}:{line}: {says}"), err[0]
