"""The replay page in a real browser (headless Chromium, tests/browser.py): it opens without an
error and without fetching anything, the clock runs when playing, the timeline scrubs to the
control of that hour as frames.json.gz records it, the map is drawn, the keys and a click work,
a what-if shows both futures, and a phone's screen gets the whole page.

One browser for the module; September seed 0 and one lesson are simulated once.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np
import pytest
from browser import Page, launch
from clirun import REPO, run

SEPT = REPO / "scenarios" / "izium_2022_09.yaml"
LESSON = REPO / "examples" / "lessons" / "sep_3_kupiansk_bridge_held.yaml"


@pytest.fixture(scope="module")
def browser():
    pw, b = launch()
    yield b
    b.close()
    pw.stop()


@pytest.fixture(scope="module")
def sept(tmp_path_factory) -> tuple[Path, Path]:
    """(run folder, page) of September, seed 0, with the history comparison."""
    out = tmp_path_factory.mktemp("web")
    assert run(SEPT, "--headless", "--compare", "--out", out / "run").returncode == 0
    r = run("html", out / "run", "--out", out / "sept.html")
    assert r.returncode == 0, r.stderr
    return out / "run", out / "sept.html"


@pytest.fixture(scope="module")
def page(browser, sept):
    p = Page(browser, sept[1])
    yield p
    p.close()


@pytest.fixture(scope="module")
def frames(sept) -> dict:
    with gzip.open(sept[0] / "frames.json.gz") as f:
        return json.load(f)


def control_in_theatre_order(frames: dict, k: int, node_ids: list[str]) -> str:
    """The control letters of hour k of frames.json.gz, in the order of the page's nodes."""
    where = {n: i for i, n in enumerate(frames["node_ids"])}
    code = frames["frames"][k]["control"]
    return "".join(code[where[n]] for n in node_ids)


def test_september_fits_in_5_mb(sept):
    assert sept[1].stat().st_size <= 5 * 2**20


def test_the_page_opens_without_errors_and_fetches_nothing(page):
    assert page.errors == []
    fetched = [u for u in page.requests if not u.startswith(("file:", "data:"))]
    assert fetched == []
    assert page.js("document.querySelectorAll('.unit img').length") > 10


def test_the_clock_advances_when_playing_and_stops_when_paused(page):
    page.js("window.replay.setTime(0)")
    page.page.keyboard.press("Space")
    page.page.wait_for_function("window.replay.hour() >= 2", timeout=5000)
    assert page.js("document.body.dataset.playing") == "1"
    page.page.keyboard.press("Space")
    stopped = page.js("window.replay.state.t")
    page.page.wait_for_timeout(300)
    assert page.js("window.replay.state.t") == stopped
    assert "paused" in page.js("document.getElementById('status').textContent")


def test_scrubbing_the_timeline_shows_the_control_of_that_hour(page, frames):
    box = page.page.locator("#tl").bounding_box()
    hours = page.js("window.replay.hours")
    nodes = page.js("window.replay.nodeIds()")
    seen = set()
    for share in (0.1, 0.35, 0.5, 0.62, 0.8, 0.97):
        x = box["x"] + 12 + (box["width"] - 24) * share
        page.page.mouse.click(x, box["y"] + box["height"] / 2)
        k = int(page.js("document.body.dataset.hour"))
        assert abs(k - share * hours) <= 1
        assert page.js("window.replay.shownControl()") == control_in_theatre_order(frames, k, nodes)
        assert page.js("document.getElementById('dayline').textContent").endswith(
            f"hour {k} of {hours}"
        )
        seen.add(page.js("window.replay.shownControl()"))
    assert len(seen) > 1  # the front moved over the run: the control shown changes


def _pixel(shot: np.ndarray, xy) -> np.ndarray:
    x, y = (round(v) for v in xy)
    return shot[y - 1 : y + 2, x - 5 : x - 2].reshape(-1, 3).mean(axis=0)


def test_a_place_is_drawn_in_the_colour_of_its_holder(page, frames):
    """Balakliia: Russian at the start, Ukrainian at the end, in the pixels beside its dot."""
    from PIL import Image

    nodes = page.js("window.replay.nodeIds()")
    i = nodes.index("balakliia")
    page.js("window.replay.setTime(0)")
    assert control_in_theatre_order(frames, 0, nodes)[i] == "R"
    page.page.wait_for_timeout(100)
    at = page.js("window.replay.nodePoint('balakliia')")
    start = np.asarray(Image.open(_shot(page)).convert("RGB"), dtype=float)
    page.js(f"window.replay.setTime({page.js('window.replay.hours')})")
    assert control_in_theatre_order(frames, -1, nodes)[i] == "U"
    page.page.wait_for_timeout(100)
    end = np.asarray(Image.open(_shot(page)).convert("RGB"), dtype=float)
    r0, _, b0 = _pixel(start, at)
    r1, _, b1 = _pixel(end, at)
    assert r0 > b0 + 10  # vermillion tint: Russian
    assert b1 > r1 + 10  # blue tint: Ukrainian


def _shot(page) -> Path:
    import tempfile

    path = Path(tempfile.mkdtemp()) / "shot.png"
    page.page.screenshot(path=str(path))
    return path


def test_a_screenshot_has_the_map_drawn(page, tmp_path):
    from PIL import Image

    page.js("window.replay.setTime(window.replay.hourOf('2022-09-10T12:00'))")
    page.page.wait_for_timeout(200)
    path = tmp_path / "sept_10_1200.png"
    page.page.screenshot(path=str(path))
    img = np.asarray(Image.open(path).convert("RGB"))
    box = page.page.locator("#map").bounding_box()
    m = img[int(box["y"]) + 5 : int(box["y"] + box["height"]) - 5, 5 : int(box["width"]) - 5]
    colours = {tuple(c) for c in m.reshape(-1, 3)[::37]}
    assert len(colours) > 200  # a drawn map, not a blank pane
    blueish = (m[..., 2] > m[..., 0] + 25).mean()
    reddish = (m[..., 0] > m[..., 2] + 25).mean()
    assert blueish > 0.1 and reddish > 0.1  # both sides' ground
    assert page.js("document.getElementById('date').textContent") == "Saturday 10 September 2022"
    assert page.js("document.getElementById('time').textContent") == "12:00"


def test_the_keys_of_the_window_work(page):
    page.page.keyboard.press("End")
    assert page.js("window.replay.hour()") == page.js("window.replay.hours")
    page.page.keyboard.press("Home")
    assert page.js("window.replay.hour()") == 0
    page.page.keyboard.press("ArrowRight")
    page.page.keyboard.press("ArrowRight")
    assert page.js("window.replay.hour()") == 2
    page.page.keyboard.press("ArrowLeft")
    assert page.js("window.replay.hour()") == 1
    page.page.keyboard.press("PageUp")
    assert page.js("window.replay.hour()") == 25
    page.page.keyboard.press("3")  # midnight of day 3
    assert page.js("document.getElementById('time').textContent") == "00:00"
    speed = page.js("window.replay.state.speed")
    page.page.keyboard.press("+")
    assert page.js("window.replay.state.speed") == speed + 1
    page.page.keyboard.press("-")
    page.page.keyboard.press("j")
    page.page.keyboard.type("10 14")
    page.page.keyboard.press("Enter")
    assert page.js("document.getElementById('time').textContent") == "14:00"
    assert page.js("document.getElementById('date').textContent").endswith("10 September 2022")
    page.page.keyboard.press("u")
    page.page.wait_for_timeout(50)
    assert page.js("document.querySelectorAll('.unit').length") == 0
    page.page.keyboard.press("u")
    page.page.wait_for_timeout(50)
    assert page.js("document.querySelectorAll('.unit').length") > 0
    page.page.keyboard.press("h")
    assert page.js("document.getElementById('help').hidden") is False
    page.page.keyboard.press("Escape")
    assert page.js("document.getElementById('help').hidden") is True
    assert page.errors == []


#: The units on the page whose symbol is the topmost element at its own centre (not under
#: another unit's, where symbols sharing a spot are fanned out): their names, ids and centres.
CLICKABLE_UNITS = """(() => {
  const out = [];
  for (const img of document.querySelectorAll('.unit img')) {
    const r = img.getBoundingClientRect(), x = r.left + r.width / 2, y = r.top + r.height / 2;
    const top = document.elementFromPoint(x, y);
    if (top && top.closest('.unit') === img.closest('.unit'))
      out.push([img.alt, img.closest('.unit').dataset.unit, x, y]);
  }
  return out;
})()"""


def test_a_click_on_a_unit_opens_its_panel(page):
    """A unit the page shows uncovered at 10 Sep 12:00 (whichever it is: taken from the
    page's own markers), clicked: its panel opens with its name and strength; Esc closes it."""
    page.js("window.replay.setTime(window.replay.hourOf('2022-09-10T12:00'))")
    page.page.wait_for_timeout(100)
    units = page.js(CLICKABLE_UNITS)
    assert len(units) >= 5, units
    name, uid, x, y = units[0]
    page.page.mouse.click(x, y)
    page.page.wait_for_timeout(100)
    panel = page.js("document.getElementById('panel').textContent")
    assert name in panel and "Strength" in panel and "Personnel" in panel
    assert page.js(f"document.querySelector('.unit[data-unit=\"{uid}\"]').className") == "unit sel"
    page.page.keyboard.press("Escape")
    page.page.wait_for_timeout(50)
    assert page.js("document.getElementById('panel').hidden") is True


def test_the_frame_matches_what_the_pygame_viewer_draws(page, sept):
    """At 10 Sep 12:00: the same holder for every place, and every unit at the same place on
    the map (before the symbols of units sharing a spot are fanned out)."""
    from sim.map.theatre import build_theatre
    from sim.scenario import load_scenario
    from sim.scenario.theatre import theatre_for
    from sim.view.placement import unit_position_km
    from sim.view.replay import Replay

    scenario = load_scenario(SEPT, build_theatre())
    replay = Replay.load(sept[0], theatre_for(scenario), scenario)
    page.js("window.replay.setTime(window.replay.hourOf('2022-09-10T12:00'))")
    k = page.js("window.replay.hour()")
    from datetime import datetime

    assert k == replay.hour_of(datetime(2022, 9, 10, 12))
    ua = "".join("U" if h else "R" for h in replay.ua_held[k])  # what the renderer colours
    assert page.js("window.replay.shownControl()") == ua
    anchors = page.js("window.replay.unitAnchors()")
    expected = {
        uid: unit_position_km(replay, snap)
        for uid, snap in replay.units_at(k).items()
        if snap["status"] == "active"
    }
    assert set(anchors) == set(expected)
    for uid, (x, y) in expected.items():
        assert anchors[uid] == pytest.approx([x, y], abs=0.02), uid


def test_a_phone_gets_the_whole_page(browser, sept):
    p = Page(browser, sept[1], size=(390, 844))
    try:
        assert p.errors == []
        width = p.js("document.documentElement.scrollWidth")
        assert width <= 390
        side = p.page.locator("#side").bounding_box()
        mapbox = p.page.locator("#map").bounding_box()
        assert side["y"] >= mapbox["y"] + mapbox["height"] - 1  # the sidebar under the map
        p.page.locator("#b-play").click()
        p.page.wait_for_function("window.replay.hour() >= 1", timeout=5000)
    finally:
        p.close()


@pytest.fixture(scope="module")
def lesson_page(browser, tmp_path_factory):
    out = tmp_path_factory.mktemp("lesson") / "lesson.html"
    r = run("html", LESSON, "--out", out)
    assert r.returncode == 0, r.stderr
    p = Page(browser, out)
    yield p
    p.close()


def test_a_lesson_shows_both_futures_the_question_and_the_answer(lesson_page):
    p = lesson_page
    assert p.errors == []
    text = p.js("document.getElementById('whatif').textContent")
    assert "Question." in text and "The model answers" in text
    assert p.js("document.querySelector('#whatif details.answer').open") is False  # folded
    assert "docs/lessons.md" in text  # the prepared lesson's answer over five seeds
    # it opens at the branch hour, the two futures still one
    assert p.js("window.replay.hour()") == p.js("window.replay.branchHour")
    p.js("window.replay.setTime(window.replay.hours)")
    assert p.js("document.getElementById('banner').hidden") is False
    p.page.keyboard.press("v")  # side by side
    p.page.wait_for_timeout(200)
    assert p.js("document.getElementById('map2').hidden") is False
    assert p.js("document.querySelectorAll('#map2 .unit').length") > 0
    p.page.keyboard.press("v")  # the base alone
    p.page.wait_for_timeout(100)
    assert p.js("document.getElementById('map2').hidden") is True
    assert p.js("document.getElementById('banner').hidden") is True
    p.page.keyboard.press("v")
    assert p.errors == []


@pytest.mark.slow
def test_every_scenario_and_lesson_exports_and_opens_without_errors(browser, tmp_path):
    """The four scenarios (seed 0) and the ten lessons (a site): each page opens without an
    error, plays, and fits the size of September's target."""
    from sim import api

    pages = []
    for sid in ("izium_2022_09", "izium_2022_03", "kharkiv_2022_05", "svatove_2022_10"):
        pages.append(api.run(REPO / "scenarios" / f"{sid}.yaml").to_html(tmp_path / f"{sid}.html"))
    r = run("html", REPO / "examples" / "lessons", "--out", tmp_path / "site")
    assert r.returncode == 0, r.stderr
    lessons = sorted((tmp_path / "site").glob("*_*.html"))
    assert len(lessons) == 10
    for path in pages + lessons:
        assert path.stat().st_size <= 5 * 2**20, path.name
        p = Page(browser, path)
        try:
            k = p.js("window.replay.hour()")
            p.page.keyboard.press("Space")
            p.page.wait_for_function(f"window.replay.hour() > {k}", timeout=5000)
            assert p.errors == [], (path.name, p.errors)
        finally:
            p.close()
