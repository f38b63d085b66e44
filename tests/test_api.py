"""The Python API (sim/api.py): its tables are the run's files, the command line gives the same
run through it, a branch from arguments is the branch of the same file, a sweep's rows are
runs' outcomes, bad input is the project's own error; and examples/notebook.ipynb runs top to
bottom (nbclient, in a kernel of this environment)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from clirun import REPO, run

from sim import api
from sim.scenario import ScenarioError

NOTEBOOK = REPO / "examples" / "notebook.ipynb"


@pytest.fixture(scope="module")
def short(short_scenario):
    return api.run(short_scenario, seed=1)


def test_the_tables_are_the_files_the_command_line_writes(short, short_scenario, tmp_path):
    r = run(short_scenario, "--headless", "--seed", "1", "--out", tmp_path / "cli")
    assert r.returncode == 0, r.stderr
    short.save(tmp_path / "api", compare=False)
    for name in ("frames.json.gz", "timeseries.csv", "events.csv", "summary.json"):
        assert (tmp_path / "api" / name).read_bytes() == (tmp_path / "cli" / name).read_bytes()
    with (tmp_path / "cli" / "timeseries.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    series = short.timeseries()
    assert len(series) == len(rows)
    assert series["area_km2_UA"].tolist() == pytest.approx([float(x["area_km2_UA"]) for x in rows])
    assert str(series.index[0]) == rows[0]["time"].replace("T", " ") + ":00"
    events = short.events()
    assert list(events.kind) == [e["kind"] for e in short.record.events]
    assert len(short.control_changes()) == len(short.record.control_changes)
    one = short.summary()
    assert len(one) == 1 and one["seed"].iloc[0] == 1
    assert one["personnel.UA.end"].iloc[0] == short.summary_dict()["personnel"]["UA"]["end"]
    assert 0 <= short.fidelity <= 100
    assert set(short.history().columns) >= {"date", "kind", "holder", "sim_date", "ok"}


def test_parameter_changes_and_their_errors(short_scenario):
    s = api.load_scenario(short_scenario)
    assert api.parameter_set(s, {"capture_ratio": 2.0}).capture_ratio == 2.0
    with pytest.raises(ValueError, match="capture_ratoi: no such model parameter"):
        api.run(s, parameters={"capture_ratoi": 2.0})
    with pytest.raises(ValueError, match="capture_ratio"):
        api.run(s, parameters={"capture_ratio": -5})
    with pytest.raises(ScenarioError):
        api.load_scenario(REPO / "README.md")


def test_a_branch_from_arguments_is_the_branch_of_the_same_file(short_scenario, tmp_path):
    path = tmp_path / "b.yaml"
    path.write_text(
        f"title: t\nscenario: {short_scenario}\nseed: 0\nat: 2022-09-05T21:00\n"
        "changes:\n  - destroy_bridge: kupiansk_rail_bridge\n",
        encoding="utf-8",
    )
    from_file = api.branch(path)
    from_args = api.branch(
        short_scenario,
        at="2022-09-05T21:00",
        changes=[{"destroy_bridge": "kupiansk_rail_bridge"}],
    )
    assert from_args.differences == from_file.differences
    assert from_args.hour == from_file.hour == 3
    assert from_file.branch.record.digest() == from_args.branch.record.digest()
    assert from_file.base.record.digest() != from_file.branch.record.digest()
    assert set(from_file.places().columns) >= {"name", "base", "branch", "record"}
    with pytest.raises(ValueError, match="at="):
        api.branch(short_scenario, changes=[{"destroy_bridge": "kupiansk_rail_bridge"}])


def test_a_sweep_has_one_row_per_run_with_that_runs_outcome(short_scenario):
    table = api.sweep(short_scenario, vary={"capture_ratio": [1.5, 2.0]}, seeds=2)
    assert len(table) == 4
    assert sorted(zip(table.capture_ratio, table.seed, strict=True)) == [
        (1.5, 0),
        (1.5, 1),
        (2.0, 0),
        (2.0, 1),
    ]
    assert (table.status == "ok").all()
    row = table[(table.capture_ratio == 2.0) & (table.seed == 1)].iloc[0]
    alone = api.run(short_scenario, seed=1, parameters={"capture_ratio": 2.0})
    assert row["personnel_end_RU"] == alone.summary_dict()["personnel"]["RU"]["end"]
    assert row["fidelity"] == pytest.approx(alone.fidelity)
    with pytest.raises(ValueError, match="capture_ratio"):
        api.sweep(short_scenario, vary={"capture_ratio": ["many"]})


def test_the_notebook_runs_top_to_bottom(tmp_path, monkeypatch):
    nbformat = pytest.importorskip("nbformat", reason="the notebook test needs nbformat (dev)")
    nbclient = pytest.importorskip("nbclient", reason="the notebook test needs nbclient (dev)")
    monkeypatch.setenv("IZIUM_NOTEBOOK_OUT", str(tmp_path))
    nb = nbformat.read(NOTEBOOK, as_version=4)
    client = nbclient.NotebookClient(
        nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(REPO)}}
    )
    client.execute()  # raises CellExecutionError naming the cell that failed
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    assert (tmp_path / "izium_2022_09_seed0.html").stat().st_size > 100_000
    text = "".join(o.get("text", "") for o in outputs)
    assert "fidelity" in text and "MB" in text


def test_the_notebook_is_kept_without_outputs():
    """The notebook in git holds the code only (its outputs would change with every run)."""
    import json

    nb = json.loads(Path(NOTEBOOK).read_text(encoding="utf-8"))
    assert all(not c.get("outputs") for c in nb["cells"] if c["cell_type"] == "code")
