"""Work kept on disk between processes: the built map (sim/map/theatre.py) and each scenario file
as read (sim/scenario/loader.py).

Building the map takes about 0.2 s and reading a scenario file 0.15-0.25 s (ruamel's
round-trip reader, which keeps the line numbers of every field); reading either back from a
pickle takes a few milliseconds. A replay's process does both once; the test suite reads the
shipped scenarios hundreds of times.

A cached result is a pickle whose name is a hash of everything it depends on: the input (the
map files; the scenario's text, name and the map it was read against) and `code_key` (the
source of sim/, whose classes are pickled and whose code made them, and the versions of Python
and of the libraries whose objects they hold). Any change makes a new name, so a stale result
is never read; a damaged or unreadable file is ignored and made again. The newest `keep` files
of a kind are kept (for switching between checkouts), the rest deleted.

Where: `~/.cache/izium-sim` (or `$XDG_CACHE_HOME/izium-sim`); the environment variable
IZIUM_SIM_CACHE names another folder, or "off" to keep nothing and build every time.
"""

from __future__ import annotations

import functools
import hashlib
import importlib
import os
import pickle
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")

CACHE_ENV = "IZIUM_SIM_CACHE"
#: The libraries whose objects a cached result holds (numpy arrays, networkx graphs, scipy
#: trees, pydantic models, ruamel's commented maps): a new version may pickle differently.
LIBRARIES = ("numpy", "networkx", "scipy", "pydantic", "pydantic_core", "ruamel.yaml")


def cache_dir() -> Path | None:
    """The cache folder (None when switched off)."""
    setting = os.environ.get(CACHE_ENV, "")
    if setting.lower() == "off":
        return None
    if setting:
        return Path(setting)
    try:
        base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    except (KeyError, RuntimeError):  # no home folder (a bare container): no cache
        return None
    return Path(base) / "izium-sim"


@functools.lru_cache(maxsize=1)
def code_key() -> bytes:
    """A hash of sim/'s source and the versions of Python and LIBRARIES (once a process)."""
    h = hashlib.sha256()
    versions = [sys.version]
    for name in LIBRARIES:  # all imported by the map and the loader anyway
        module = importlib.import_module(name)
        versions.append(f"{name} {getattr(module, '__version__', '-')}")
    h.update(repr(versions).encode())
    for f in sorted(Path(__file__).resolve().parent.rglob("*.py")):
        h.update(f.name.encode() + b"\0" + f.read_bytes() + b"\0")
    return h.digest()


def key_of(*parts: bytes) -> str:
    """The name of a result that depends on `parts` (and on the code: `code_key`)."""
    h = hashlib.sha256(code_key())
    for part in parts:
        h.update(len(part).to_bytes(8, "little") + part)
    return h.hexdigest()[:24]


def cached(
    kind: str, key: str, make: Callable[[], T], is_result: Callable[[object], bool], keep: int
) -> T:
    """`make()`, or the result kept as `<cache_dir>/<kind>-<key>.pickle` when it is there and
    `is_result` of what it holds; a result just made is saved there. A cache that cannot be read
    or written is ignored (the result is then made, and a file half written is removed)."""
    folder = cache_dir()
    if folder is None:
        return make()
    path = folder / f"{kind}-{key}.pickle"
    try:
        with open(path, "rb") as fh:
            kept = pickle.load(fh)
        if is_result(kept):
            return kept
    except Exception:  # missing, truncated or unreadable: make it
        pass
    result = make()
    tmp = None
    try:
        folder.mkdir(parents=True, exist_ok=True)
        # a name of its own for each writer (processes, and threads such as the viewer's
        # what-if worker), renamed into place: a reader sees all of the file or none of it
        fd, tmp = tempfile.mkstemp(prefix=f".{kind}-", suffix=".tmp", dir=folder)
        with os.fdopen(fd, "wb") as fh:
            pickle.dump(result, fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
        tmp = None
        older = sorted(folder.glob(f"{kind}-*.pickle"), key=lambda f: f.stat().st_mtime)
        for f in older[:-keep]:  # results of earlier code or inputs
            f.unlink(missing_ok=True)
    except Exception:  # a full disk, a folder we may not write, an object that will not pickle
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
    return result
