"""Hostile input (issue #16): files the simulator reads back, never written by it or damaged
since (a run's frames and history comparison, a sweep's journal, sweep.json, lock and table),
and sweeps into folders that hold another design. Each is refused in one clear line or read."""

from __future__ import annotations

import gzip
import json
import os
import shutil
import tempfile
from pathlib import Path

import pytest
from hostile import TINY_SWEEP, json_bytes, mutate_bytes, mutate_json
from hostile_helpers import REPO, SEPT, assert_clean_failure, fuzz, run_cli
from hypothesis import given
from hypothesis import strategies as st

from sim import sweep
from sim.cli import main as cli
from sim.runs.report import read_comparison, read_frames
from sim.safe_io import FileProblem, read_bytes
from sim.scenario import parse_scenario
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
def frames(short_run) -> dict:
    return read_frames(short_run)


def test_a_run_record_that_inflates_to_gigabytes_is_refused_at_its_limit(tmp_path, capsys):
    """A 1.1 MB frames.json.gz of spaces inflating to 1.1 GiB made `view` use 2.1 GB before
    refusing: the record is inflated a step at a time against a running limit (288 MiB at
    the default caps), and refused there, with no more than the limit in memory."""
    import tracemalloc
    import zlib

    from sim.runs.report import MAX_FRAMES_JSON_BYTES, frames_limit

    pack = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    spaces = b" " * (1 << 20)
    data = b"".join([*(pack.compress(spaces) for _ in range(96)), pack.flush()])  # 96 MiB
    folder = _frames_dir(tmp_path, data)
    limit = 24 * 2**20
    tracemalloc.start()
    try:
        with pytest.raises(FileProblem, match="holds more than 24 MiB of JSON"):
            read_frames(folder, limit)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 1.5 * limit, f"{peak / 2**20:.0f} MiB in memory to refuse it"
    # the limit of `view`: the default caps', lifted with them
    assert frames_limit(120, 200) == MAX_FRAMES_JSON_BYTES <= 300 * 2**20
    assert frames_limit(240, 400) == 4 * MAX_FRAMES_JSON_BYTES and frames_limit(None, 200) is None


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
    from sim.map.theatre import build_theatre
    from sim.model import CampaignModel
    from sim.runs.history import compare, write_comparison

    th = build_theatre()
    short_march = march.replace("end: 2022-04-02T00:00:00", "end: 2022-02-24T12:00:00")
    scenario, root = parse_scenario(short_march, "m.yaml")
    from sim.scenario import resolve_places

    scenario = resolve_places(scenario, th, "m.yaml", root)
    record = CampaignModel(scenario, th, seed=0).run()
    write_comparison(compare(record, scenario, th), folder / "history_comparison.csv")
    argv = ["view", str(folder), "--scenario", str(SEPT), "--screenshot", str(tmp_path / "v.png")]
    code, _, err = run_cli(argv, capsys)
    # summary.json names the hash of each file of its run: the swapped file is not one
    assert_clean_failure(code, err, "holds the files of more than one run")
    # a folder an earlier version wrote (no hashes): the comparison itself is checked
    summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    del summary["files"]
    (folder / "summary.json").write_text(json.dumps(summary), encoding="utf-8")
    code, _, err = run_cli(argv, capsys)
    assert_clean_failure(code, err, "the comparison is of another run")


@fuzz(60)
@given(st.randoms(use_true_random=False))
def test_mangled_run_records_are_refused_or_drawn(frames, short_run, september, rnd):
    """Any mangling of frames.json.gz (or of the comparison) is a FileProblem, or the run
    builds a Replay whose frames draw, and whose web page's data is made, without an
    exception."""
    from sim.map.theatre import build_theatre
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
        from sim.web.data import run_data  # and the web page's data of it (sim/web/)
        from sim.web.page import data_json

        assert data_json({"run": run_data(replay)})


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
        from sim.map.theatre import build_theatre
        from sim.view.replay import _marks_from_comparison

        assert all(isinstance(m.name, str) for m in _marks_from_comparison(rows, build_theatre()))


# ============================================================================ sweeps
@pytest.fixture(scope="module")
def tiny_sweep(short_scenario, tmp_path_factory) -> Path:
    """2 parameter sets x 2 seeds of the 12-hour scenario, on 1 worker."""
    pytest.importorskip("pyarrow")
    out = tmp_path_factory.mktemp("sweep") / "s"
    assert cli.main(["sweep", str(short_scenario), *TINY_SWEEP, "--out", str(out)]) == 0
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
    assert cli.main(["sweep", str(short_scenario), *TINY_SWEEP, "--out", str(tiny_sweep)]) == 0
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
        assert_clean_failure(code, err, f"sweep (process {os.getpid()}) is writing in this folder")
    finally:
        lock.release()


def _copy(tiny_sweep: Path, tmp_path: Path) -> Path:
    out = tmp_path / "s"
    shutil.copytree(tiny_sweep, out, ignore=shutil.ignore_patterns(".lock", "compare"))
    return out


def _resume(short_scenario: Path, out: Path, capsys) -> tuple[int, str]:
    code, _, err = run_cli(["sweep", str(short_scenario), *TINY_SWEEP, "--out", str(out)], capsys)
    return code, err


def test_a_fifo_as_the_journal_is_refused_at_once(tiny_sweep, short_scenario, tmp_path, capsys):
    """A FIFO as journal.jsonl blocked a resume forever, holding the folder's lock."""
    import signal

    out = _copy(tiny_sweep, tmp_path)
    (out / JOURNAL).unlink()
    os.mkfifo(out / JOURNAL)

    def hung(*_):
        raise TimeoutError("the resume blocked on the FIFO")

    old = signal.signal(signal.SIGALRM, hung)
    signal.alarm(60)
    try:
        code, err = _resume(short_scenario, out, capsys)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
    assert_clean_failure(code, err, "not a regular file (a pipe or a device?)")
    # and the lock was let go: the folder is free again once the FIFO is gone
    (out / JOURNAL).unlink()
    (out / JOURNAL).write_bytes((tiny_sweep / JOURNAL).read_bytes())
    assert _resume(short_scenario, out, capsys)[0] == 0


@pytest.mark.parametrize("name", [JOURNAL, ".lock", META, "runs.parquet"])
def test_a_sweep_never_writes_through_a_planted_link(
    tiny_sweep, short_scenario, tmp_path, capsys, name
):
    """The journal, the lock, sweep.json and the table were written through links planted at
    their names (a design file shipped with its out: folder)."""
    out = _copy(tiny_sweep, tmp_path)
    victim = tmp_path / "victim.txt"
    victim.write_text("precious", encoding="utf-8")
    (out / name).unlink(missing_ok=True)
    (out / name).symlink_to(victim)
    code, err = _resume(short_scenario, out, capsys)
    assert_clean_failure(code, err, "symbolic link")
    assert victim.read_text(encoding="utf-8") == "precious"


def test_the_tables_temporary_file_is_no_way_in(tiny_sweep, short_scenario, tmp_path, capsys):
    """The table was written to runs.parquet.tmp, a name anyone could plant a link at."""
    out = _copy(tiny_sweep, tmp_path)
    victim = tmp_path / "victim.txt"
    victim.write_text("precious", encoding="utf-8")
    (out / "runs.parquet.tmp").symlink_to(victim)
    code, err = _resume(short_scenario, out, capsys)
    assert code == 0, err
    assert victim.read_text(encoding="utf-8") == "precious"
    assert (out / "runs.parquet").read_bytes() == (tiny_sweep / "runs.parquet").read_bytes()


def test_compare_never_writes_through_a_link_and_no_plots_writes_nothing(
    tiny_sweep, tmp_path, capsys
):
    """compare wrote compare/outcomes_by_parameter.csv through a link planted there, and
    wrote it even with --no-plots (which failed in a read-only folder)."""
    pytest.importorskip("matplotlib")
    out = _copy(tiny_sweep, tmp_path)
    code, stdout, err = run_cli(["compare", str(out), "--no-plots"], capsys)
    assert code == 0, err
    assert "capture_ratio" in stdout and not (out / "compare").exists()
    victim = tmp_path / "victim.txt"
    victim.write_text("precious", encoding="utf-8")
    (out / "compare").mkdir()
    (out / "compare" / "outcomes_by_parameter.csv").symlink_to(victim)
    code, _, err = run_cli(["compare", str(out)], capsys)
    assert_clean_failure(code, err, "symbolic link")
    shutil.rmtree(out / "compare")
    (out / "compare").symlink_to(tmp_path)  # the folder itself a link elsewhere
    code, _, err = run_cli(["compare", str(out)], capsys)
    assert_clean_failure(code, err, "symbolic link")
    assert victim.read_text(encoding="utf-8") == "precious"
    assert not (tmp_path / "outcomes_by_parameter.csv").exists()


def test_a_sweep_into_a_replay_folder_is_refused(short_scenario, short_run, tmp_path, capsys):
    out = tmp_path / "r"
    shutil.copytree(short_run, out)
    before = sorted(p.name for p in out.iterdir())
    code, err = _resume(short_scenario, out, capsys)
    assert_clean_failure(code, err, "holds a replay's run")
    assert sorted(p.name for p in out.iterdir()) == before


def test_a_sweep_folder_whose_name_is_not_utf8_gets_its_table(short_scenario, tmp_path, capsys):
    """--out $'sw\\xff': every run ran, then pyarrow could not take the path, runs.parquet
    was never written and every resume crashed the same way."""
    pytest.importorskip("pyarrow")
    out = tmp_path / os.fsdecode(b"sw\xff")
    args = ["sweep", str(short_scenario), "--vary", "capture_ratio=2", "--workers", "1"]
    code, _, err = run_cli([*args, "--out", str(out)], capsys)
    assert code == 0, err
    assert (out / "runs.parquet").is_file()
    code, stdout, err = run_cli(["compare", str(out), "--no-plots"], capsys)
    assert code == 0, err
    assert ": 1 runs" in stdout
    assert run_cli([*args, "--out", str(out)], capsys)[0] == 0  # and it resumes


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


def test_view_of_a_run_whose_scenario_is_not_shipped_asks_for_its_file(short_run, tmp_path, capsys):
    """A saved run of a scenario outside scenarios/ names --scenario, not a missing file."""
    frames = read_frames(short_run)
    frames["scenario"] = "my_raid"
    folder = _frames_dir(tmp_path, _gz(frames))
    code, _, err = run_cli(["view", str(folder)], capsys)
    assert_clean_failure(code, err, "--scenario FILE.yaml")


def test_a_path_with_a_nul_is_a_file_problem_not_a_value_error():
    """A NUL can reach a path from a YAML file (a sweep's or a branch's scenario:)."""
    with pytest.raises(FileProblem, match="cannot be read"):
        read_bytes("a\0b.yaml", 1024, "scenario .yaml file")
