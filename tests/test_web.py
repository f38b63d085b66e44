"""The replay page without a browser (the browser's tests: tests/test_web_browser.py): the page
is one self-contained file, the same run gives the same bytes in any process, the territory it
draws is the raster's partition, a folder of lessons becomes pages and an index, and hostile
input is refused in one line with exit code 2."""

from __future__ import annotations

import gzip
import hashlib
import json
import re
from pathlib import Path

import pytest
from clirun import REPO, run, run_process

from sim.map.geometry import point_in_polygon
from sim.map.theatre import build_theatre
from sim.web.data import box_km, clip_to_box, territory_cells
from sim.web.lessons import lesson_answer

LESSONS = REPO / "examples" / "lessons"


@pytest.fixture(scope="module")
def page(short_run, short_scenario, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("page") / "replay.html"
    r = run("html", short_run, "--scenario", short_scenario, "--out", out)
    assert r.returncode == 0, r.stderr
    assert f"wrote {out}" in r.stdout
    return out


def page_data(path: Path) -> dict:
    text = path.read_text(encoding="utf-8")
    m = re.search(r'<script type="application/json" id="data">(.*?)</script>', text, re.S)
    assert m is not None
    return json.loads(m.group(1))


def test_the_page_is_one_file_that_fetches_nothing(page):
    text = page.read_text(encoding="utf-8")
    assert "<script src" not in text and "<link" not in text
    assert not re.search(r"""src\s*=\s*["']?(https?:|//)""", text)  # links may be followed
    assert not re.search(r"url\(\s*['\"]?(https?:|//|images/)", text)
    assert "@import" not in text and "sourceMappingURL" not in text
    assert "Leaflet" in text and "milsymbol" in text  # the libraries, inlined


def test_the_page_holds_the_run_as_recorded(page, short_run):
    data = page_data(page)
    with gzip.open(short_run / "frames.json.gz") as f:
        saved = json.load(f)
    run_ = data["run"]
    assert run_["hours"] == len(saved["frames"]) - 1
    assert run_["scenario"] == saved["scenario"] and run_["seed"] == saved["seed"]
    ids = data["map"]["nodes"]["id"]
    where = {n: i for i, n in enumerate(saved["node_ids"])}
    control = list(run_["control0"])
    for k, frame in enumerate(saved["frames"]):  # the changes rebuild every hour's control
        for hour, node, ua in run_["control"]:
            if hour == k:
                control[node] = "U" if ua else "R"
        assert "".join(control) == "".join(frame["control"][where[n]] for n in ids)
    units = {u["id"] for u in saved["units"]}
    assert {u["id"] for u in run_["units"]} == units
    assert len(run_["tracks"]) == len(units)


def test_the_page_holds_how_the_front_is_held(page, short_run, short_scenario, tmp_path):
    """The first hour's letters and the changes rebuild every hour's "hold" (the viewer's
    bands); a run folder recorded before the front was kept gives a page with none."""
    run_ = page_data(page)["run"]
    with gzip.open(short_run / "frames.json.gz") as f:
        saved = json.load(f)
    ids = page_data(page)["map"]["nodes"]["id"]
    where = {n: i for i, n in enumerate(saved["node_ids"])}
    hold = list(run_["hold0"])
    for k, frame in enumerate(saved["frames"]):
        for hour, node, level in run_["hold"]:
            if hour == k:
                hold[node] = "0sd"[level]
        assert "".join(hold) == "".join(frame["hold"][where[n]] for n in ids)
    assert set(run_["hold0"]) > {"0"}  # some ground is held at the start
    old = tmp_path / "old"
    old.mkdir()
    for f in short_run.iterdir():
        (old / f.name).write_bytes(f.read_bytes())
    for frame in saved["frames"]:
        del frame["hold"]
    frames = gzip.compress(json.dumps(saved).encode())
    (old / "frames.json.gz").write_bytes(frames)
    head = json.loads((old / "summary.json").read_text(encoding="utf-8"))
    if "files" in head:  # as that version wrote it: the summary names its own frames
        head["files"]["frames.json.gz"] = hashlib.sha256(frames).hexdigest()
    (old / "summary.json").write_text(json.dumps(head), encoding="utf-8")
    r = run("html", old, "--scenario", short_scenario, "--out", tmp_path / "old.html")
    assert r.returncode == 0, r.stderr
    assert page_data(tmp_path / "old.html")["run"]["hold0"] is None
    assert page_data(tmp_path / "old.html")["run"]["hold"] == []


def test_the_same_run_gives_the_same_page_in_any_process(page, short_run, short_scenario, tmp_path):
    again = tmp_path / "again.html"
    assert run("html", short_run, "--scenario", short_scenario, "--out", again).returncode == 0
    assert again.read_bytes() == page.read_bytes()
    other = tmp_path / "other.html"
    r = run_process(
        "html", short_run, "--scenario", short_scenario, "--out", other, hashseed="12345"
    )
    assert r.returncode == 0, r.stderr
    assert other.read_bytes() == page.read_bytes()


def _area(flat: list[float]) -> float:
    xs, ys = flat[0::2], flat[1::2]
    return 0.5 * abs(sum(xs[i - 1] * ys[i] - xs[i] * ys[i - 1] for i in range(len(xs))))


def test_the_territory_cells_tile_the_theatre_box_each_round_its_own_node():
    """Each node's cell holds the node and the cells cover the box once: the partition the
    pygame viewer's raster (nearest node per cell) approximates."""
    import numpy as np

    theatre = build_theatre()
    cells = territory_cells(theatre)
    x0, y0, x1, y1 = box_km()
    assert sum(_area(c) for c in cells) == pytest.approx((x1 - x0) * (y1 - y0), rel=1e-4)
    g = theatre.graph
    for n, cell in zip(theatre.node_ids, cells, strict=True):
        poly = np.array(cell).reshape(-1, 2)
        assert point_in_polygon(g.nodes[n]["x_km"], g.nodes[n]["y_km"], poly), n


def test_clipping_keeps_what_is_inside_the_box():
    box = (0.0, 0.0, 10.0, 10.0)
    assert clip_to_box([(1, 1), (9, 1), (9, 9)], box) == [(1, 1), (9, 1), (9, 9)]
    square = clip_to_box([(-5, -5), (5, -5), (5, 5), (-5, 5)], box)
    assert _area([v for p in square for v in p]) == pytest.approx(25.0)
    assert clip_to_box([(20, 20), (30, 20), (30, 30)], box) == []


def test_every_prepared_lesson_has_its_answer_in_the_docs():
    """A lesson's page quotes docs/lessons.md; a lesson added or renamed without its answer
    there would show none."""
    files = sorted(LESSONS.glob("*.yaml"))
    assert len(files) == 10
    for f in files:
        assert lesson_answer(f.name).startswith("The model answers"), f.name
    assert lesson_answer("no_such_lesson.yaml") == ""


def test_a_folder_of_lessons_becomes_pages_and_an_index(short_scenario, tmp_path):
    lessons = tmp_path / "lessons"
    lessons.mkdir()
    (lessons / "a_bridge.yaml").write_text(
        "title: What if the Kupiansk road bridge had held?\n"
        "question: Would it have mattered?\n"
        f"scenario: {short_scenario}\nseed: 0\nhour: 3\n"
        "changes:\n  - save_bridge: kupiansk_road_bridge\n",
        encoding="utf-8",
    )
    (lessons / "notes.txt").write_text("not a lesson", encoding="utf-8")
    r = run("html", lessons, "--out", tmp_path / "site")
    assert r.returncode == 0, r.stderr
    index = (tmp_path / "site" / "index.html").read_text(encoding="utf-8")
    assert 'href="a_bridge.html"' in index and "Would it have mattered?" in index
    data = page_data(tmp_path / "site" / "a_bridge.html")
    assert data["whatif"]["hour"] == 3
    assert data["whatif"]["question"] == "Would it have mattered?"
    assert data["whatif"]["differences"]
    assert 'href="index.html"' in (tmp_path / "site" / "a_bridge.html").read_text(encoding="utf-8")
    assert sorted(p.name for p in (tmp_path / "site").iterdir()) == ["a_bridge.html", "index.html"]


def _one_clean_line(r) -> None:
    assert r.returncode == 2
    assert "Traceback" not in r.stderr
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), r.stderr


def test_hostile_run_folders_are_refused_in_one_line(short_run, short_scenario, tmp_path):
    out = tmp_path / "x.html"
    _one_clean_line(run("html", tmp_path / "nowhere", "--out", out))
    empty = tmp_path / "empty"
    empty.mkdir()
    _one_clean_line(run("html", empty, "--out", out))  # no frames, no lessons
    for damage in (b"not gzip at all", gzip.compress(b"{not json"), gzip.compress(b"[1, 2]")):
        bad = tmp_path / f"bad{len(damage)}"
        bad.mkdir()
        (bad / "frames.json.gz").write_bytes(damage)
        r = run("html", bad, "--out", out)
        _one_clean_line(r)
        assert "frames.json.gz" in r.stderr
    cut = tmp_path / "cut"
    cut.mkdir()
    data = (short_run / "frames.json.gz").read_bytes()
    (cut / "frames.json.gz").write_bytes(data[: len(data) // 2])
    _one_clean_line(run("html", cut, "--out", out))
    other_map = tmp_path / "other_map"
    other_map.mkdir()
    with gzip.open(short_run / "frames.json.gz") as f:
        d = json.load(f)
    d["node_ids"][0] = "atlantis"  # a place this map does not have
    (other_map / "frames.json.gz").write_bytes(gzip.compress(json.dumps(d).encode()))
    r = run("html", other_map, "--scenario", short_scenario, "--out", out)
    _one_clean_line(r)
    unknown = tmp_path / "unknown"
    unknown.mkdir()
    with gzip.open(short_run / "frames.json.gz") as f:
        d = json.load(f)
    d["scenario"] = "no_such_scenario"
    (unknown / "frames.json.gz").write_bytes(gzip.compress(json.dumps(d).encode()))
    r = run("html", unknown, "--out", out)
    _one_clean_line(r)
    assert "--scenario" in r.stderr
    assert not out.exists()  # nothing written for a refused input


def test_hostile_files_and_options_are_refused_in_one_line(short_run, tmp_path):
    text = tmp_path / "notes.txt"
    text.write_text("hello", encoding="utf-8")
    _one_clean_line(run("html", text))
    broken = tmp_path / "broken.yaml"
    broken.write_text("title: [unclosed\n", encoding="utf-8")
    r = run("html", broken, "--out", tmp_path / "b.html")
    assert r.returncode == 2 and "Traceback" not in r.stderr and "broken.yaml" in r.stderr
    _one_clean_line(run("html", short_run, "--out", tmp_path / "page.png"))
    (tmp_path / "site").write_text("a file", encoding="utf-8")
    _one_clean_line(run("html", LESSONS, "--out", tmp_path / "site"))
