"""The disk cache (sim/disk_cache.py): a scenario file read back is the file as read afresh,
never a stale one, and a file with problems is never kept; and what another user, a damaged
disk or a planted file puts in the folder is never read: no entry can run code, a foreign or
damaged entry is made again, a FIFO never blocks, and only the cache's own files are pruned.
The built map's cache: tests/test_theatre.py."""

from __future__ import annotations

import contextlib
import os
import pickle
import signal
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from sim import disk_cache
from sim.disk_cache import CACHE_ENV, Entry, cached, entry_bytes
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
    return sorted(folder.glob("scenario-*.izc"))


@contextlib.contextmanager
def deadline(seconds: int) -> Iterator[None]:
    """Fail (rather than hang the suite) if the block takes longer than `seconds`."""

    def stop(*_):
        raise TimeoutError(f"blocked for more than {seconds} s")

    old = signal.signal(signal.SIGALRM, stop)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def map_key() -> str:
    """The key of the built map's entry, worked out as anyone with the checkout can."""
    files = [f for f in sorted(MAP_DIR.iterdir()) if f.is_file()]
    return disk_cache.key_of(*(f.name.encode() + b"\0" + f.read_bytes() for f in files))


def test_a_scenario_read_back_is_the_one_read_afresh_and_runs_the_same(cache, monkeypatch):
    from sim.model import CampaignModel
    from sim.scenario import yaml_location
    from sim.scenario.theatre import theatre_for

    theatre = build_theatre(MAP_DIR)
    first = read_scenario(SEPT, theatre)
    assert len(kept(cache)) == 1
    again = read_scenario(SEPT, theatre)
    assert again.scenario is not first.scenario  # a copy of its own: callers may change it
    monkeypatch.setenv(CACHE_ENV, "off")
    fresh = read_scenario(SEPT, build_theatre(MAP_DIR))
    assert again.scenario == fresh.scenario and again.text == fresh.text
    # every field is located on the same line, from the lines kept or from the tree
    for i in range(len(fresh.scenario.units)):
        for field in ("at", "side", "nonexistent"):
            loc = ("units", i, field)
            assert yaml_location(again.lines, loc) == yaml_location(fresh.root, loc)
    assert again.root["units"][3].lc.key("at") == fresh.root["units"][3].lc.key("at")
    digests = set()
    for sc in (again.scenario, fresh.scenario):
        model = CampaignModel(sc, theatre_for(sc, theatre), sc.parameters_with(), seed=0)
        for _ in range(48):
            model.step()
        digests.add(model.record.digest())
    assert len(digests) == 1


def test_the_checks_of_a_file_read_back_name_the_lines_of_a_file_read_afresh(
    cache, monkeypatch, tmp_path
):
    """A March with warnings: located from the kept lines, exactly as from the YAML tree."""
    from toy import march_with_two_warnings

    from sim.scenario.checks import check_file

    theatre = build_theatre(MAP_DIR)
    march = march_with_two_warnings(tmp_path)
    check_file(march, theatre)
    _, kept_lines = check_file(march, theatre)  # read back from the cache
    monkeypatch.setenv(CACHE_ENV, "off")
    _, fresh = check_file(march, build_theatre(MAP_DIR))
    assert kept_lines and kept_lines == fresh
    assert all(p.line is not None for p in fresh)


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
    whole = path.read_bytes()
    path.write_bytes(whole[:500])  # cut short
    assert read_scenario(SEPT, theatre).scenario.id == "izium_2022_09"
    assert path.read_bytes() == whole  # written again, whole
    # one byte changed inside a value (a title letter): detected, the file read again
    i = whole.index(b"Kharkiv counteroffensive")
    path.write_bytes(whole[:i] + b"Q" + whole[i + 1 :])
    assert read_scenario(SEPT, theatre).scenario.title.startswith("Kharkiv")
    assert path.read_bytes() == whole


def test_a_file_name_that_is_not_utf8_is_read_and_kept(cache, tmp_path):
    """A name the file system gives as bytes that are not UTF-8 (Python: surrogate escapes)."""
    path = tmp_path / os.fsdecode(b"op\xffname.yaml")
    path.write_bytes(SEPT.read_bytes())
    theatre = build_theatre(MAP_DIR)
    assert read_scenario(path, theatre).scenario.id == "izium_2022_09"
    assert len(kept(cache)) == 1


def test_a_result_that_cannot_be_saved_is_returned_and_leaves_no_file(cache):
    def refuse(_):
        raise TypeError("cannot be kept")

    made = cached("thing", "0" * 24, lambda: lambda: 1, refuse, lambda e: None, keep=2)
    assert made() == 1
    assert [p.name for p in cache.iterdir()] == []
    keep = cached("thing", "1" * 24, lambda: [1, 2], lambda x: Entry([b"[1, 2]"]), None, keep=2)  # type: ignore[arg-type]
    assert keep == [1, 2]
    assert [p.name for p in cache.iterdir()] == [f"thing-{'1' * 24}.izc"]


# ---------------------------------------------------------------------------- hostile caches
class Payload:
    """A pickle that runs code when loaded: it creates the file `marker`."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (open, (str(self.marker), "w"))


def test_a_planted_entry_never_runs_code_nor_changes_a_scenario(cache, tmp_path):
    """The attack of issue 24: a pickle at the name the cache reads (the name is a hash anyone
    with the checkout can work out) ran its code on the next command; a pickled scenario with
    changed values was accepted. Planted at the old and the new names, neither is read."""
    from sim.scenario.loader import _scenario_entry

    marker = tmp_path / "pwned.txt"
    cache.mkdir(mode=0o700)
    key = map_key()
    for name in (f"theatre-{key}.pickle", f"theatre-{key}.izc"):
        (cache / name).write_bytes(pickle.dumps(Payload(marker)))
    theatre = build_theatre(MAP_DIR)
    assert not marker.exists()
    assert theatre.graph.number_of_nodes() > 150

    # a scenario entry with a unit renamed, well formed, but writable by every user
    honest = read_scenario(SEPT, theatre)
    (entry,) = kept(cache)
    poisoned = honest.scenario.model_copy(deep=True)
    poisoned.units[0].name = "POISONED"
    kind, key = entry.stem.split("-")
    entry.write_bytes(entry_bytes(kind, key, _scenario_entry((poisoned, honest.root))))
    entry.chmod(0o666)
    pickled = entry.with_suffix(".pickle")  # and where the pickle cache looked
    pickled.write_bytes(pickle.dumps((poisoned, None)))
    assert read_scenario(SEPT, theatre).scenario.units[0].name != "POISONED"
    assert stat.S_IMODE(entry.stat().st_mode) == 0o600  # replaced by one of this user's


def test_a_folder_others_may_write_or_own_is_not_used(cache, monkeypatch, capsys):
    """A shared folder (IZIUM_SIM_CACHE=/tmp/shared) is refused with one warning a process;
    a folder the cache creates is 0700 and its entries 0600."""
    build_theatre(MAP_DIR)
    assert stat.S_IMODE(cache.stat().st_mode) == 0o700
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in cache.iterdir())

    shared = cache.parent / "shared"
    shared.mkdir()
    shared.chmod(0o777)
    monkeypatch.setenv(CACHE_ENV, str(shared))
    assert build_theatre(MAP_DIR).graph.number_of_nodes() > 150  # built, not kept
    assert disk_cache.usable_folder() is None
    assert list(shared.iterdir()) == []
    err = capsys.readouterr().err
    assert err.count("warning: cache folder") == 1 and "writable by other users" in err

    monkeypatch.setenv(CACHE_ENV, str(cache))
    monkeypatch.setattr(disk_cache, "my_uid", lambda: os.getuid() + 1)  # as another user sees it
    assert disk_cache.usable_folder() is None
    assert "owned by another user" in capsys.readouterr().err
    before = {p.name: p.read_bytes() for p in cache.iterdir()}
    assert cached("thing", "d" * 24, lambda: 1, lambda x: Entry([b"1"]), int, keep=2) == 1
    assert {p.name: p.read_bytes() for p in cache.iterdir()} == before  # nothing written


def test_the_default_folder_left_group_writable_is_made_0700(tmp_path, monkeypatch):
    monkeypatch.delenv(CACHE_ENV)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    folder = tmp_path / "izium-sim"
    folder.mkdir(mode=0o775)
    folder.chmod(0o775)  # as an earlier version left it under umask 002
    build_theatre(MAP_DIR)
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert len(list(folder.glob("theatre-*.izc"))) == 1


def test_a_fifo_a_link_or_a_foreign_entry_at_an_entry_name_is_replaced_unread(cache, tmp_path):
    """A FIFO at an entry's name blocked every command that builds the map, forever."""
    cache.mkdir(mode=0o700)
    path = cache / f"theatre-{map_key()}.izc"
    os.mkfifo(path)
    with deadline(60):
        build_theatre(MAP_DIR)
    assert stat.S_ISREG(path.lstat().st_mode) and path.stat().st_size > 100_000

    # a link (to a good entry elsewhere) and an entry others may write: never read, replaced
    key = "e" * 24
    entry = cache / f"thing-{key}.izc"
    elsewhere = tmp_path / "elsewhere.izc"
    elsewhere.write_bytes(entry_bytes("thing", key, Entry([b'"planted"'])))
    entry.symlink_to(elsewhere)
    made = cached("thing", key, lambda: "made", lambda x: Entry([b'"made"']), _json, keep=2)
    assert made == "made" and stat.S_ISREG(entry.lstat().st_mode)
    assert b"planted" in elsewhere.read_bytes()  # the link's target neither read nor written
    entry.write_bytes(entry_bytes("thing", key, Entry([b'"planted"'])))
    entry.chmod(0o620)  # writable by the group
    made = cached("thing", key, lambda: "made", lambda x: Entry([b'"made"']), _json, keep=2)
    assert made == "made" and stat.S_IMODE(entry.stat().st_mode) == 0o600


def _json(entry: Entry):
    import json

    return json.loads(entry.docs[0])


def test_only_the_caches_own_files_are_pruned(cache):
    """The cache prunes its oldest entries of a kind, and nothing else: not a file of a
    similar name, nor one of its pattern that it did not write."""
    cache.mkdir(mode=0o700)
    planted = {
        "thing-notes.pickle": b"a user's file",
        f"thing-{'a' * 24}.izc": b"not an entry",
        f"thing-{'b' * 24}.pickle": pickle.dumps([1]),
        "thing-old.txt": b"x",
    }
    for name, data in planted.items():
        (cache / name).write_bytes(data)
        os.utime(cache / name, (0, 0))  # older than anything the cache writes
    for i in range(4):
        value = cached(
            "thing",
            f"{i:024x}",
            lambda i=i: [i],
            lambda x: Entry([repr(x).encode()]),
            lambda e: None,  # type: ignore[arg-type, return-value]
            keep=2,
        )
        assert value == [i]
    names = sorted(p.name for p in cache.iterdir())
    assert names == sorted([*planted, f"thing-{2:024x}.izc", f"thing-{3:024x}.izc"])


def test_an_entry_that_does_not_decode_is_made_again(cache):
    key = "c" * 24
    cached("thing", key, lambda: 1, lambda x: Entry([b"1"]), int, keep=2)

    def broken(_):
        raise ValueError("not mine")

    assert cached("thing", key, lambda: 2, lambda x: Entry([b"2"]), broken, keep=2) == 2
    assert cached("thing", key, lambda: 3, lambda x: Entry([b"3"]), lambda e: e.docs, keep=2) == [
        b"2"
    ]
