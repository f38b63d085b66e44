"""A scenario file read from the cache (sim/disk_cache.py) is the file as read afresh, never a
stale one, and a file with problems is never kept. The built map's cache: tests/test_theatre.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.disk_cache import CACHE_ENV
from sim.map.theatre import build_theatre
from sim.scenario import ScenarioError, read_scenario

REPO = Path(__file__).resolve().parent.parent
SEPT = REPO / "scenarios" / "izium_2022_09.yaml"
MAP_DIR = REPO / "assets" / "map"


@pytest.fixture
def cache(tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv(CACHE_ENV, str(folder))
    return folder


def kept(folder: Path) -> list[Path]:
    return sorted(folder.glob("scenario-*.pickle"))


def test_a_scenario_read_back_is_the_one_read_afresh_and_runs_the_same(cache, monkeypatch):
    from sim.model import CampaignModel
    from sim.scenario.theatre import theatre_for

    theatre = build_theatre(MAP_DIR)
    first = read_scenario(SEPT, theatre)
    assert len(kept(cache)) == 1
    again = read_scenario(SEPT, theatre)
    assert again.scenario is not first.scenario  # a copy of its own: callers may change it
    monkeypatch.setenv(CACHE_ENV, "off")
    fresh = read_scenario(SEPT, build_theatre(MAP_DIR))
    assert again.scenario == fresh.scenario and again.text == fresh.text
    assert again.root["units"][3].lc.key("at") == fresh.root["units"][3].lc.key("at")  # lines
    digests = set()
    for sc in (again.scenario, fresh.scenario):
        model = CampaignModel(sc, theatre_for(sc, theatre), sc.parameters_with(), seed=0)
        for _ in range(48):
            model.step()
        digests.add(model.record.digest())
    assert len(digests) == 1


def test_an_edited_file_is_read_again_never_served_stale(cache, tmp_path):
    theatre = build_theatre(MAP_DIR)
    path = tmp_path / "op.yaml"
    text = SEPT.read_text(encoding="utf-8")
    path.write_text(text, encoding="utf-8")
    assert read_scenario(path, theatre).scenario.title.startswith("Kharkiv counteroffensive")
    path.write_text(text.replace('title: "Kharkiv', 'title: "Edited Kharkiv', 1), encoding="utf-8")
    assert read_scenario(path, theatre).scenario.title.startswith("Edited Kharkiv")
    assert len(kept(cache)) == 2
    # the same text under another name, or with another cap on its length, is read again too
    read_scenario(path, theatre, max_days=None)
    assert len(kept(cache)) == 3


def test_a_file_with_problems_is_never_kept_and_a_damaged_one_is_read_again(cache, tmp_path):
    theatre = build_theatre(MAP_DIR)
    bad = tmp_path / "bad.yaml"
    bad.write_text(SEPT.read_text(encoding="utf-8").replace("at: balakliia", "at: atlantis", 1))
    for _ in range(2):
        with pytest.raises(ScenarioError, match="atlantis"):
            read_scenario(bad, theatre)
    assert kept(cache) == []
    read_scenario(SEPT, theatre)
    (path,) = kept(cache)
    path.write_bytes(path.read_bytes()[:500])  # cut short
    assert read_scenario(SEPT, theatre).scenario.id == "izium_2022_09"
    assert path.stat().st_size > 10_000  # written again, whole


def test_a_file_name_that_is_not_utf8_is_read_and_kept(cache, tmp_path):
    """A name the file system gives as bytes that are not UTF-8 (Python: surrogate escapes)."""
    import os

    path = tmp_path / os.fsdecode(b"op\xffname.yaml")
    path.write_bytes(SEPT.read_bytes())
    theatre = build_theatre(MAP_DIR)
    assert read_scenario(path, theatre).scenario.id == "izium_2022_09"
    assert len(kept(cache)) == 1


def test_a_result_that_cannot_be_saved_is_returned_and_leaves_no_file(cache):
    from sim.disk_cache import cached

    made = cached("thing", "k1", lambda: lambda: 1, callable, keep=2)  # a lambda: no pickle
    assert made() == 1
    assert [p.name for p in cache.iterdir()] == []
    assert cached("thing", "k2", lambda: [1, 2], lambda x: True, keep=2) == [1, 2]
    assert [p.name for p in cache.iterdir()] == ["thing-k2.pickle"]
