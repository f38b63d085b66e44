"""Sweeps: path syntax, designs, resume after a kill, failed runs, determinism across worker
counts and executors (process pool and a Dask cluster on loopback), and `compare`.

The sweeps here run the real September scenario cut to a few hours (`--set end=...`), so a run
takes a fraction of a second; most of the time goes into starting worker processes.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from sim import sweep
from sim.cli.main import main as cli_main
from sim.sweep import runner

REPO = Path(__file__).resolve().parent.parent
SHORT = ["--set", "end=2022-09-06T18:00"]  # 24 hours from the 18:00 start
PERSONNEL = "units[ua_25_abn].equipment.personnel"


@pytest.fixture(scope="module")
def scenario_file(tmp_path_factory) -> Path:
    """A snapshot of the September scenario: the tests read it many times, and the file in the
    working tree may change meanwhile (a changed file is, rightly, another sweep)."""
    path = tmp_path_factory.mktemp("scenario") / "izium_2022_09.yaml"
    path.write_bytes((REPO / "scenarios" / "izium_2022_09.yaml").read_bytes())
    return path


@pytest.fixture(scope="module")
def grid_args(scenario_file) -> list[str]:
    """2 x 2 parameter sets x 2 seeds = 8 runs."""
    return [
        str(scenario_file),
        *SHORT,
        "--vary",
        "capture_ratio=1.2,2.0",
        "--vary",
        f"{PERSONNEL}=2500,5000",
        "--seeds",
        "2",
    ]


def sweep_cli(*args: str) -> int:
    return cli_main(["sweep", *args])


def table(out: Path) -> list[dict]:
    pq = pytest.importorskip("pyarrow.parquet")
    return pq.read_table(out / "runs.parquet").to_pylist()


def journal_keys(out: Path) -> list[str]:
    lines = (out / sweep.JOURNAL).read_text(encoding="utf-8").splitlines()
    return [json.loads(line)["run_key"] for line in lines]


@pytest.fixture(scope="module")
def base(scenario_file) -> sweep.Base:
    return sweep.Base.load(str(scenario_file), scenario_file.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def grid_sweep(tmp_path_factory, grid_args) -> Path:
    """The 8-run grid on 2 worker processes."""
    pytest.importorskip("pyarrow")
    out = tmp_path_factory.mktemp("grid2")
    assert sweep_cli(*grid_args, "--workers", "2", "--out", str(out)) == 0
    return out


# ============================================================================ paths
DATA = {
    "units": [
        {"id": "a", "side": "UA", "equipment": {"tanks": 3}},
        {"id": "b", "side": "RU", "equipment": {"tanks": 5}},
    ],
    "events": [
        {"kind": "destroy_bridge", "target": "x", "probability": 0.5},
        {"kind": "destroy_bridge", "target": "y", "probability": 0.7},
        {"kind": "caption", "target": None, "probability": 1.0},
    ],
    "end": "2022-09-17T00:00",
}


@pytest.mark.parametrize(
    "path, value",
    [
        ("units[b].equipment.tanks", 5),
        ("units.b.equipment.tanks", 5),
        ("units[1].equipment.tanks", 5),
        ("units[side=UA].equipment.tanks", 3),
        ("events[kind=destroy_bridge,target=y].probability", 0.7),
        ("events[probability=0.5].target", "x"),
        ("end", "2022-09-17T00:00"),
    ],
)
def test_path_names_one_value(path, value):
    container, key = sweep.locate(DATA, path)
    assert container[key] == value


@pytest.mark.parametrize(
    "path, words",
    [
        ("units[c].equipment.tanks", "no item of units matches [id=c]"),
        ("units[kind=destroy_bridge]", "no item"),
        ("events[kind=destroy_bridge].probability", "matches 2 items"),
        ("events[7].at", "index 7 is out of range"),
        ("units[a].equipment.tank", "did you mean tanks"),
        ("end.year", "single value"),
        ("units[a", "unbalanced"),
    ],
)
def test_bad_path_says_where_it_stops(path, words):
    with pytest.raises(sweep.PathError) as e:
        sweep.locate(DATA, path)
    assert words in str(e.value)


def test_parse_vary_grid_and_ranges():
    assert sweep.parse_vary("capture_ratio=1.2,1.5,2.0") == ("capture_ratio", ["1.2", "1.5", "2.0"])
    assert sweep.parse_vary("capture_ratio=1.2:2.5") == ("capture_ratio", ("1.2", "2.5"))
    assert sweep.parse_vary("events[kind=a,target=b].at=2022-09-06T00:00..2022-09-07T12:00") == (
        "events[kind=a,target=b].at",
        ("2022-09-06T00:00", "2022-09-07T12:00"),
    )
    assert sweep.parse_vary("events[3].at=2022-09-06T03:30") == (
        "events[3].at",
        ["2022-09-06T03:30"],
    )


# ============================================================================ designs
def test_grid_design_is_the_full_product(base, scenario_file):
    axes = [
        sweep.make_axis(base, "capture_ratio", ["1.2", "1.5", "2"], "t"),
        sweep.make_axis(base, PERSONNEL, ["2000", "3000"], "t"),
    ]
    spec = sweep.SweepSpec(str(scenario_file), axes, {"end": "2022-09-06T06:00"}, seeds=3)
    sets = sweep.design(spec)
    assert len(sets) == 6
    assert {(s["capture_ratio"], s[PERSONNEL]) for _, s in sets} == {
        (c, p) for c in (1.2, 1.5, 2.0) for p in (2000, 3000)
    }
    assert all(s["end"] == "2022-09-06T06:00" for _, s in sets)
    tasks = sweep.plan(spec, base.sha256)
    assert len(tasks) == 18 and len({t.key for t in tasks}) == 18
    assert {t.seed for t in tasks} == {0, 1, 2}


@pytest.mark.parametrize("sample", ["random", "lhs"])
def test_sampled_designs_have_size_and_bounds(base, sample, scenario_file):
    axes = [
        sweep.make_axis(base, "resume_ratio_margin", ("1.2", "2.5"), "t"),
        sweep.make_axis(base, PERSONNEL, ("1000", "4000"), "t"),
        sweep.make_axis(base, "events[1].at", ("2022-09-06T00:00", "2022-09-07T00:00"), "t"),
        sweep.make_axis(base, "capture_ratio", ["1.5", "2"], "t"),
    ]
    n = 20
    spec = sweep.SweepSpec(str(scenario_file), axes, sample=sample, samples=n)
    sets = sweep.design(spec)
    assert len(sets) == 2 * n  # the grid axis is crossed with the sample
    x = np.array([s["resume_ratio_margin"] for _, s in sets])
    p = np.array([s[PERSONNEL] for _, s in sets])
    assert ((1.2 <= x) & (x <= 2.5)).all() and ((1000 <= p) & (p <= 4000)).all()
    assert all(isinstance(v, int) for v in p.tolist())  # personnel stays a whole number
    assert all("2022-09-06T00:00" <= s["events[1].at"] <= "2022-09-07T00:00" for _, s in sets)
    assert sweep.design(spec) == sets  # deterministic
    if sample == "lhs":  # one point in each of the n strata of every range
        first = x[:n]
        strata = np.floor((first - 1.2) / (2.5 - 1.2) * n).clip(0, n - 1)
        assert sorted(strata.tolist()) == list(range(n))


def test_sobol_design_has_saltelli_size(base, scenario_file):
    pytest.importorskip("SALib")
    axes = [
        sweep.make_axis(base, "resume_ratio_margin", ("1.2", "2.5"), "t"),
        sweep.make_axis(base, "capture_ratio", ("1.2", "2.5"), "t"),
    ]
    spec = sweep.SweepSpec(str(scenario_file), axes, sample="sobol", samples=8)
    sets = sweep.design(spec)
    assert len(sets) == 8 * (2 + 2)
    assert [j for j, _ in sets] == list(range(32))


def test_path_override_changes_the_scenario(base):
    scenario, params = base.materialise(
        {
            PERSONNEL: 5000,
            "capture_ratio": 2.5,
            "events[kind=destroy_bridge,target=savyntsi_bridge].probability": 0.0,
        }
    )
    unit = next(u for u in scenario.units if u.id == "ua_25_abn")
    assert unit.equipment.personnel == 5000
    assert params.capture_ratio == 2.5
    assert next(e for e in scenario.events if e.target == "savyntsi_bridge").probability == 0.0
    assert next(u for u in base.scenario.units if u.id == "ua_25_abn").equipment.personnel == 2500


# ============================================================================ bad input
@pytest.mark.parametrize(
    "args, words",
    [
        (["--vary", "capture_ratoi=1,2"], "did you mean"),
        (["--vary", "capture_ratio=-1,2"], "greater than or equal to 0.1"),
        (["--vary", "capture_ratio=inf,2"], "finite"),
        (["--vary", "capture_ratio=a,b"], "expected a finite number"),
        (["--vary", "capture_ratio"], "expected PATH=v1,v2"),
        (["--vary", "units[nobody].equipment.tanks=1,2"], "no item of units"),
        (["--vary", "title=a..b"], "a range needs a number or a date"),
        (["--vary", "capture_ratio=2:1"], "from low to high"),
        (["--vary", "capture_ratio=1:2", "--sample", "grid"], "is a range"),
        (["--vary", "capture_ratio=1:2", "--sample", "sobol", "--samples", "12"], "power of 2"),
        (["--set", "end=2022-09-01T00:00"], "end"),
        # what Python's int() and float() read, and --set refuses: not numbers here either
        (["--vary", "capture_ratio=\u0661,\u0662"], "expected a finite number"),
        (["--vary", "capture_ratio=1_5,2"], "expected a finite number"),
        (["--set", "capture_ratio=1_5"], "expected a finite number"),
        (["--vary", f"{PERSONNEL}=\u0661\u0660\u0660\u0660,2000"], "expected a whole number"),
    ],
)
def test_bad_vary_is_one_line_and_exit_2(args, words, capsys, tmp_path, scenario_file):
    assert sweep_cli(str(scenario_file), *args, "--out", str(tmp_path)) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("error: ") and words in err[-1]
    assert "Traceback" not in "\n".join(err)
    assert not (tmp_path / sweep.JOURNAL).exists()


def test_a_grid_of_more_values_than_can_be_checked_is_refused_before_checking(
    capsys, tmp_path, scenario_file, monkeypatch
):
    """40,000 listed values of a scenario value took 223 s of checks (each validates the whole
    scenario) before --dry-run printed anything: more than MAX_AXIS_VALUES are refused before
    the first check, with the way to sample a range instead."""
    from sim.sweep.base import Base
    from sim.sweep.spec import MAX_AXIS_VALUES

    def never(*_):
        raise AssertionError("a value was checked")

    values = ",".join(str(1000 + i) for i in range(MAX_AXIS_VALUES + 1))
    monkeypatch.setattr(Base, "materialise", never)
    code = sweep_cli(str(scenario_file), "--vary", f"{PERSONNEL}={values}", "--dry-run")
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and err[0].startswith("error: --vary")
    assert f"at most {MAX_AXIS_VALUES:,}" in err[0] and "low:high" in err[0]
    monkeypatch.undo()
    few = ",".join(str(1000 + i) for i in range(3))
    assert sweep_cli(str(scenario_file), "--vary", f"{PERSONNEL}={few}", "--dry-run") == 0


def test_bad_sweep_file_names_the_key(tmp_path, capsys, scenario_file):
    f = tmp_path / "s.yaml"
    f.write_text(f"scenario: {scenario_file}\nvary:\n  capture_ratio: [1, 2]\nworkers: 3\n")
    assert sweep_cli("--file", str(f)) == 2
    assert "unknown key 'workers'" in capsys.readouterr().err


# ============================================================================ running
def test_rows_carry_parameters_and_outcomes(grid_sweep):
    rows = table(grid_sweep)
    assert len(rows) == 8 and all(r["status"] == "ok" for r in rows)
    assert [r["run_key"] for r in rows] == sorted(r["run_key"] for r in rows)
    for r in rows:  # the personnel override is in the row and in the run
        assert (
            r["personnel_start_UA"] - r[PERSONNEL]
            == rows[0]["personnel_start_UA"] - rows[0][PERSONNEL]
        )
        assert r["end"] == "2022-09-06T18:00"
        assert 0 <= r["fidelity"] <= 100
        # the null run beside it (UA issues no orders): the same seed and parameters
        assert 0 <= r["null_fidelity"] <= 100
        assert r["skill"] == pytest.approx(
            (r["fidelity"] - r["null_fidelity"]) / (100 - r["null_fidelity"]), abs=0.005
        )
        assert "changed_h.balakliia" in r and "area_taken_km2_UA@2022-09-06" in r
        assert "lost_tanks_RU" in r and "captured_tanks_by_UA" in r
    assert {r[PERSONNEL] for r in rows} == {2500, 5000}
    assert {r["seed"] for r in rows} == {0, 1}
    meta = json.loads((grid_sweep / sweep.META).read_text())
    assert meta["runs"] == 8 and meta["end"] == "2022-09-06T18:00"


def test_same_rows_whatever_the_number_of_workers(grid_sweep, tmp_path, grid_args):
    assert sweep_cli(*grid_args, "--workers", "1", "--out", str(tmp_path)) == 0
    assert table(tmp_path) == table(grid_sweep)
    # and the same bytes: columns in a fixed order, typed by the design
    assert (tmp_path / "runs.parquet").read_bytes() == (grid_sweep / "runs.parquet").read_bytes()


def test_dask_cluster_gives_the_same_rows(grid_sweep, tmp_path, grid_args):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(
        n_workers=1,
        threads_per_worker=1,
        processes=False,
        host="127.0.0.1",
        protocol="tcp://",
        dashboard_address=None,
    ) as cluster:
        assert cluster.scheduler_address.startswith("tcp://127.0.0.1")
        assert (
            sweep_cli(*grid_args, "--scheduler", cluster.scheduler_address, "--out", str(tmp_path))
            == 0
        )
    assert table(tmp_path) == table(grid_sweep)


def test_a_scheduler_address_that_is_not_dask_is_named_so(tmp_path, capsys, scenario_file):
    """--scheduler tcp://... answered by another service (a web server here) reported "out of
    memory": its first bytes read as a Dask frame length of gigabytes."""
    import socket
    import threading

    pytest.importorskip("distributed")
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(4)
    port = server.getsockname()[1]

    def answer() -> None:
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return  # closed: the test is over
            with conn:
                try:
                    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello" * 50)
                    conn.recv(64)
                except OSError:
                    pass

    threading.Thread(target=answer, daemon=True).start()
    try:
        code = sweep_cli(
            str(scenario_file), "--scheduler", f"tcp://127.0.0.1:{port}", "--out", str(tmp_path)
        )
    finally:
        server.close()
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err and "out of memory" not in err
    assert "did not answer as a Dask scheduler does" in err.strip().splitlines()[-1]


@pytest.mark.slow
def test_resume_after_a_kill_loses_and_repeats_nothing(grid_sweep, tmp_path, grid_args):
    """Kill the sweep process (SIGKILL, no cleanup) after some runs, start it again (slow: a
    real process to kill; test_stop_after_then_resume checks the same resume in this process)."""
    out = tmp_path / "killed"
    proc = subprocess.Popen(
        [
            sys.executable,
            str(REPO / "run.py"),
            "sweep",
            *grid_args,
            "--set",
            "end=2022-09-07T06:00",
            "--workers",
            "1",
            "--out",
            str(out),
        ],
        cwd=REPO,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    journal = out / sweep.JOURNAL
    deadline = time.monotonic() + 90
    try:
        while time.monotonic() < deadline:
            if journal.exists() and journal.read_text().count("\n") >= 2:
                break
            assert proc.poll() is None, "the sweep ended before it could be killed"
            time.sleep(0.02)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    before = journal_keys(out)
    assert 2 <= len(before) < 8
    with journal.open("a") as f:  # and a line torn by the kill
        f.write('{"run_key": "abc", "sta')
    assert (
        sweep_cli(*grid_args, "--set", "end=2022-09-07T06:00", "--workers", "2", "--out", str(out))
        == 0
    )
    after = journal_keys(out)
    assert after[: len(before)] == before  # nothing lost
    assert len(after) == len(set(after)) == 8  # nothing repeated, all there
    rows = table(out)
    assert sorted(r["run_key"] for r in rows) == sorted(after)


def test_stop_after_then_resume(base, tmp_path, scenario_file):
    pytest.importorskip("pyarrow")
    axes = [sweep.make_axis(base, "capture_ratio", ["1.2", "1.5", "2"], "t")]
    spec = sweep.SweepSpec(str(scenario_file), axes, {"end": "2022-09-05T22:00"}, seeds=2)
    first = sweep.run_sweep(spec, base, tmp_path, workers=1, stop_after=2)
    assert not first.complete and first.ran == 2 and not (tmp_path / "runs.parquet").exists()
    second = sweep.run_sweep(spec, base, tmp_path, workers=1)
    assert second.complete and second.ran == 4
    keys = journal_keys(tmp_path)
    assert len(keys) == len(set(keys)) == 6
    third = sweep.run_sweep(spec, base, tmp_path, workers=1)  # all done: runs nothing
    assert third.ran == 0 and third.complete
    fresh = sweep.run_sweep(spec, base, tmp_path / "fresh", workers=1)  # never interrupted
    assert fresh.complete
    assert (tmp_path / "runs.parquet").read_bytes() == (
        tmp_path / "fresh" / "runs.parquet"
    ).read_bytes()


def test_a_failing_run_is_recorded_and_the_others_finish(tmp_path, capsys, scenario_file):
    pytest.importorskip("pyarrow")
    # each value is valid alone, but start 23:00 with end 21:00 is not
    args = [
        str(scenario_file),
        "--vary",
        "start=2022-09-05T18:00,2022-09-05T23:00",
        "--vary",
        "end=2022-09-05T21:00,2022-09-06T02:00",
        "--workers",
        "1",
        "--out",
        str(tmp_path),
    ]
    assert sweep_cli(*args) == 0
    rows = table(tmp_path)
    assert len(rows) == 4
    failed = [r for r in rows if r["status"] == "failed"]
    assert len(failed) == 1
    assert failed[0]["start"] == "2022-09-05T23:00" and failed[0]["end"] == "2022-09-05T21:00"
    assert "end" in failed[0]["error"] and failed[0]["fidelity"] is None
    assert all(r["fidelity"] is not None for r in rows if r["status"] == "ok")
    assert sweep_cli(*args) == 0  # resumed: the failed run is not repeated...
    assert len(journal_keys(tmp_path)) == 4
    assert sweep_cli(*args, "--retry-failed") == 0  # ...unless asked
    assert len(journal_keys(tmp_path)) == 5


def test_a_run_that_raises_in_the_model_is_recorded(base, monkeypatch, scenario_file):
    def boom(scenario, theatre, params, seed):
        if seed == 1:
            raise RuntimeError("model blew up")
        return real(scenario, theatre, params, seed)

    real = runner.simulate
    monkeypatch.setattr(runner, "simulate", boom)
    spec = sweep.SweepSpec(str(scenario_file), [], {"end": "2022-09-05T20:00"}, seeds=2)
    rows = [sweep.run_one(t, base.text, base.file) for t in sweep.plan(spec, base.sha256)]
    assert [r["status"] for r in rows] == ["ok", "failed"]
    assert rows[1]["error"] == "RuntimeError: model blew up"
    assert "Traceback" in rows[1]["traceback"]


# ============================================================================ compare
def test_compare_prints_a_table_and_writes_plots(grid_sweep, tmp_path, capsys):
    pytest.importorskip("matplotlib")
    assert cli_main(["compare", str(grid_sweep), "--out", str(tmp_path)]) == 0
    text = capsys.readouterr().out
    assert "capture_ratio=1.2" in text and "ua_25_abn personnel=5000" in text
    for name in ("key_dates.png", "area_curves.png"):
        assert (tmp_path / name).stat().st_size > 10_000
    assert len((tmp_path / "outcomes_by_parameter.csv").read_text().splitlines()) == 1 + 4
    assert not (tmp_path / "sensitivity.png").exists()  # a grid: no sensitivity indices


def test_compare_sampled_sweep_gives_sensitivity(base, tmp_path, capsys, scenario_file):
    pytest.importorskip("SALib")
    pytest.importorskip("matplotlib")
    axes = [
        sweep.make_axis(base, "capture_ratio", ("1.2", "2.5"), "t"),
        sweep.make_axis(base, PERSONNEL, ("500", "6000"), "t"),
    ]
    spec = sweep.SweepSpec(
        str(scenario_file), axes, {"end": "2022-09-07T06:00"}, sample="lhs", samples=16
    )
    assert sweep.run_sweep(spec, base, tmp_path, workers=2).complete
    assert cli_main(["compare", str(tmp_path)]) == 0
    text = capsys.readouterr().out
    assert "Sensitivity" in text and "capture_ratio low" in text
    assert (tmp_path / "compare" / "key_dates.png").exists()


@pytest.mark.parametrize("sample, n", [("lhs", 64), ("random", 64), ("sobol", 32)])
def test_sensitivity_names_the_parameter_that_matters(base, sample, n, tmp_path, scenario_file):
    """Outcomes made up from the design: fidelity follows capture_ratio strongly,
    resume_ratio_margin weakly, withdraw_decision_hours not at all."""
    pytest.importorskip("SALib")
    from sim.sweep import compare as sweep_compare
    from sim.sweep import plots

    axes = [
        sweep.make_axis(base, "capture_ratio", ("1.2", "2.5"), "t"),
        sweep.make_axis(base, "resume_ratio_margin", ("1.2", "3.0"), "t"),
        sweep.make_axis(base, "withdraw_decision_hours", ("1", "12"), "t"),
    ]
    spec = sweep.SweepSpec(str(scenario_file), axes, sample=sample, samples=n, seeds=2)
    rng = np.random.default_rng(1)
    rows = [
        {
            "status": "ok",
            "run_key": t.key,
            "sample_index": t.sample_index,
            **t.overrides,
            "fidelity": 40 * t.overrides["capture_ratio"]
            + 4 * t.overrides["resume_ratio_margin"]
            + rng.normal(0, 0.5),
        }
        for t in sweep.plan(spec, base.sha256)
    ]
    meta = {
        "sample": sample,
        "samples": n,
        "places": [],
        "start": "2022-09-05T18:00",
        "end": "2022-09-06T06:00",
    }
    method, results = sweep_compare.sensitivity(rows, meta, axes)
    assert method == ("sobol" if sample == "sobol" else "rbd_fast")
    index = {r["parameter"]: r["index"] for r in results if r["outcome"] == "fidelity"}
    assert max(index, key=index.get) == "capture_ratio" and index["capture_ratio"] > 0.7
    assert index["withdraw_decision_hours"] < 0.15
    assert plots.plot_sensitivity(method, results, tmp_path / "s.png", len(rows))


def test_compare_shows_the_towns_asked_for(grid_sweep, tmp_path, capsys):
    """--towns replaces the default choice (the first places to change hands) in its order;
    a place the history block does not name is exit 2 with the known ones listed."""
    assert (
        cli_main(
            [
                "compare",
                str(grid_sweep),
                "--no-plots",
                "--out",
                str(tmp_path),
                "--towns",
                "izium_n,kupiansk_w",
            ]
        )
        == 0
    )
    header = capsys.readouterr().out.splitlines()[1]
    assert header.index("Izium (north b") < header.index("Kupiansk (west")
    assert "Balakliia" not in header
    assert cli_main(["compare", str(grid_sweep), "--towns", "atlantis"]) == 2
    err = capsys.readouterr().err
    assert "atlantis" in err and "izium_n" in err and err.count("\n") == 1


def test_places_meta_takes_the_first_observation_even_beside_a_window(base):
    """Two observations of a place on one date, one with a window: the earlier-ending one is
    the historical date (and sorting them must not compare a date with None)."""
    from dataclasses import replace
    from datetime import datetime

    from sim.scenario import Observation

    day = datetime(2022, 9, 8, 23, 0)
    extra = [
        Observation(
            date=day,
            until=datetime(2022, 9, 9, 23, 0),
            place="balakliia",
            holder="UA",
            source="test",
        ),
        Observation(date=day, place="balakliia", holder="UA", source="test"),
    ]
    scenario = base.scenario.model_copy(update={"history": extra})
    meta = {p["id"]: p for p in sweep.places_meta(replace(base, scenario=scenario))}
    assert meta["balakliia"]["history_date"] == "2022-09-08T23:00"
    assert meta["balakliia"]["history_until"] is None


def test_compare_of_a_missing_folder_is_exit_2(tmp_path, capsys):
    assert cli_main(["compare", str(tmp_path / "nope")]) == 2
    assert "no such file or folder" in capsys.readouterr().err


def test_a_finished_run_is_garbage_collected(base, monkeypatch):
    """Mesa 3.3 keeps every model alive (Agent._ids); a worker running hundreds of runs would
    grow by a whole record per run. sweep.simulate lets each model go."""
    import gc
    import weakref

    from sim.model import CampaignModel

    made = []
    real_init = CampaignModel.__init__

    def init(self, *args, **kwargs):
        made.append(weakref.ref(self))
        real_init(self, *args, **kwargs)

    monkeypatch.setattr(CampaignModel, "__init__", init)
    scenario, params = base.materialise({"end": "2022-09-05T21:00"})
    record = sweep.simulate(scenario, base.theatre, params, 0)
    gc.collect()
    assert len(made) == 1 and made[0]() is None
    assert record.hours == 3
