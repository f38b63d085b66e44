"""Work kept on disk between processes: the built map (sim/map/theatre.py), a scenario's own
map with the places it adds (sim/scenario/theatre.py) and each scenario file as read
(sim/scenario/loader.py).

Building the map takes about 0.2 s and reading a scenario file 0.15-0.25 s (ruamel's
round-trip reader, which keeps the line numbers of every field); reading either back takes a
few milliseconds. A replay's process does both once; the test suite reads the shipped
scenarios hundreds of times.

**What an entry holds, and why reading one cannot run code.** An entry is data, never code: a
header line, then JSON text (the map's graph, crossings and names; a scenario as pydantic
writes it) and raw arrays of numbers (the map's territory raster and river lines), each array's
type one of a few plain number types (`DTYPES`). Reading one is `json.loads` and
`numpy.frombuffer`: nothing in the file can name a function to call, as a pickle can. The
header carries the entry's kind, key, length and SHA-256: a truncated, damaged or renamed entry
is detected and made again.

**Whose entries are read.** Only a folder and entries that this user owns and no other user may
write: the folder is created 0700 and each entry 0600; a folder owned by another user, or one
that others may write (`IZIUM_SIM_CACHE=/tmp/shared`), is not used (a warning says why, once a
process), and an entry owned by someone else, writable by others, a link, a FIFO or a device
under an entry's name is never opened for reading: it is made again and replaced. So a cache
cannot be shared between users, and should not be: an entry is trusted to be what this code
made from the same inputs.

**Names.** An entry's name is `<kind>-<key>.izc`, the key a hash of everything the result depends
on: the input (the map files; the scenario's text, name and the map it was read against) and
`code_key` (the source of sim/, whose code made it and reads it back, and the versions of
Python and of the libraries whose objects it holds). Any change makes a new name, so a stale
result is never read. The newest `keep` entries of a kind are kept (for switching between
checkouts), the older ones deleted: only files this cache wrote (its own name pattern, owned by
this user, starting with its header), never another file in the folder.

Where: `~/.cache/izium-sim` (or `$XDG_CACHE_HOME/izium-sim`); the environment variable
IZIUM_SIM_CACHE names another folder, or "off" to keep nothing and build every time.
"""

from __future__ import annotations

import functools
import hashlib
import importlib
import json
import os
import re
import stat
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    import numpy as np

T = TypeVar("T")

CACHE_ENV = "IZIUM_SIM_CACHE"
#: The libraries whose objects a cached result holds (numpy arrays, networkx graphs, pydantic
#: models): a new version may build or read them differently.
LIBRARIES = ("numpy", "networkx", "scipy", "pydantic", "pydantic_core", "ruamel.yaml")
#: The first line of every entry: what wrote it, and the version of the layout below.
MAGIC = b"izium-sim cache 1\n"
SUFFIX = ".izc"
#: The number types an entry's arrays may have (numpy's names, little-endian): no object
#: arrays, whose reading would unpickle.
DTYPES = ("<f8", "<f4", "<i8", "<i4", "|u1", "|b1")
#: Largest entry read (the built map is about 0.9 MB, a scenario 0.1 MB).
MAX_ENTRY_BYTES = 64 * 1024 * 1024
#: Largest header line (a few hundred bytes: the kind, the key, one line per array).
MAX_HEADER_BYTES = 64 * 1024
_NAME = re.compile(r"(?P<kind>[a-z][a-z_-]*)-(?P<key>[0-9a-f]{24})" + re.escape(SUFFIX))
#: os.open flags of every read: never through a link, never waiting on a FIFO
_READ_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_NOFOLLOW", 0)
    | getattr(os, "O_NONBLOCK", 0)
    | getattr(os, "O_CLOEXEC", 0)
    | getattr(os, "O_BINARY", 0)
)


class Entry:
    """What a result is kept as: `docs`, JSON texts (bytes), and `arrays` of numbers."""

    __slots__ = ("arrays", "docs")

    def __init__(self, docs: list[bytes], arrays: list[np.ndarray] | None = None):
        self.docs, self.arrays = list(docs), list(arrays or [])


def cache_dir() -> Path | None:
    """The cache folder (None when switched off)."""
    setting = os.environ.get(CACHE_ENV, "")
    if setting.lower() == "off":
        return None
    if setting:
        return Path(setting)
    return default_dir()


def default_dir() -> Path | None:
    """~/.cache/izium-sim (or $XDG_CACHE_HOME/izium-sim); None without a home folder."""
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


# ---------------------------------------------------------------------------- who is trusted
def my_uid() -> int | None:
    """This process's user id (None where the OS has none: Windows, no ownership checks)."""
    getuid = getattr(os, "getuid", None)
    return getuid() if getuid is not None else None


def foreign(st: os.stat_result) -> str | None:
    """Why a file or folder with this stat may hold what another user wrote, or None: owned
    by another user, or writable by the group or by others."""
    uid = my_uid()
    if uid is not None and st.st_uid != uid:
        return f"owned by another user (uid {st.st_uid})"
    if os.name == "posix" and st.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        return f"writable by other users (mode {stat.S_IMODE(st.st_mode):o})"
    return None


_WARNED: set[str] = set()


def _warn(folder: Path, why: str) -> None:
    """One line on stderr, once a process per folder: the cache is not used, and why."""
    if str(folder) in _WARNED:
        return
    _WARNED.add(str(folder))
    print(
        f"warning: cache folder {folder}: {why}; not used (the map and scenarios are built "
        f"every time; {CACHE_ENV}=DIR names a folder of your own, docs/map.md)",
        file=sys.stderr,
    )


def usable_folder() -> Path | None:
    """The cache folder, created 0700 if missing, or None if the cache is off or the folder
    may not be trusted (a warning says why). The default folder, owned by this user but left
    writable by the group by an earlier version, is made 0700; a folder named by
    IZIUM_SIM_CACHE is never changed."""
    folder = cache_dir()
    if folder is None:
        return None
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        st = os.stat(folder)  # a link to a folder: the folder it leads to is what counts
    except (OSError, ValueError) as e:
        _warn(folder, f"cannot be created or read ({getattr(e, 'strerror', None) or e})")
        return None
    if not stat.S_ISDIR(st.st_mode):
        _warn(folder, "is not a folder")
        return None
    why = foreign(st)
    if why and why.startswith("writable") and not os.environ.get(CACHE_ENV):
        try:  # the default folder is this program's own
            os.chmod(folder, 0o700)
            why = foreign(os.stat(folder))
        except OSError:
            pass
    if why:
        _warn(folder, why)
        return None
    return folder


# ---------------------------------------------------------------------------- entries
def _open_trusted(path: Path) -> tuple[Any, os.stat_result] | None:
    """(open binary file, its stat) of a regular file this user owns and only this user may
    write, at most MAX_ENTRY_BYTES; None for anything else (missing, a link, a FIFO, a device,
    another user's). Never blocks: a FIFO is opened without waiting for a writer."""
    try:
        fd = os.open(path, _READ_FLAGS)
    except (OSError, ValueError):
        return None
    try:
        st = os.fstat(fd)
        if (
            not stat.S_ISREG(st.st_mode)
            or foreign(st) is not None
            or not 0 < st.st_size <= MAX_ENTRY_BYTES
        ):
            os.close(fd)
            return None
        return os.fdopen(fd, "rb"), st
    except OSError:
        os.close(fd)
        return None


def read_entry(path: Path, kind: str, key: str) -> Entry | None:
    """The entry at `path` if it is a whole, undamaged entry of this kind and key that this
    user wrote; else None (it is then made again)."""
    import numpy as np

    opened = _open_trusted(path)
    if opened is None:
        return None
    f, _ = opened
    with f:
        data = f.read(MAX_ENTRY_BYTES + 1)
    if not data.startswith(MAGIC) or len(data) > MAX_ENTRY_BYTES:
        return None
    end = data.find(b"\n", len(MAGIC), len(MAGIC) + MAX_HEADER_BYTES)
    if end < 0:
        return None
    try:
        head = json.loads(data[len(MAGIC) : end])
        body = memoryview(data)[end + 1 :]
        if (
            head.get("kind") != kind
            or head.get("key") != key
            or head.get("size") != len(body)
            or head.get("sha256") != hashlib.sha256(body).hexdigest()
        ):
            return None
        docs, at = [], 0
        for size in head["docs"]:
            docs.append(bytes(body[at : at + size]))
            at += size
        arrays = []
        for dtype, shape in head["arrays"]:
            if dtype not in DTYPES:
                return None
            dt = np.dtype(dtype)
            count = 1
            for n in shape:
                count *= int(n)
            a = np.frombuffer(body, dtype=dt, count=count, offset=at).reshape(shape)
            arrays.append(a.copy())  # its own memory: aligned, writable, the file let go
            at += count * dt.itemsize
        if at != len(body):
            return None
    except (ValueError, TypeError, KeyError, AttributeError, RecursionError):
        return None
    return Entry(docs, arrays)


def entry_bytes(kind: str, key: str, entry: Entry) -> bytes:
    """An entry as written: MAGIC, the header line, the JSON texts, the arrays' bytes."""
    import numpy as np

    parts = list(entry.docs)
    shapes = []
    for a in entry.arrays:
        a = np.ascontiguousarray(a)
        dtype = a.dtype.newbyteorder("<") if a.dtype.byteorder == ">" else a.dtype
        if dtype.str not in DTYPES:
            raise TypeError(f"array of {a.dtype} cannot be kept (only {', '.join(DTYPES)})")
        parts.append(a.astype(dtype, copy=False).tobytes())
        shapes.append([dtype.str, list(a.shape)])
    body = b"".join(parts)
    head = {
        "kind": kind,
        "key": key,
        "size": len(body),
        "sha256": hashlib.sha256(body).hexdigest(),
        "docs": [len(d) for d in entry.docs],
        "arrays": shapes,
    }
    return MAGIC + json.dumps(head, separators=(",", ":")).encode() + b"\n" + body


def _is_ours(folder: Path, name: str) -> bool:
    """Whether `folder/name` is an entry this cache wrote: its name pattern, a regular file
    of this user's that starts with MAGIC."""
    if not _NAME.fullmatch(name):
        return False
    opened = _open_trusted(folder / name)
    if opened is None:
        return False
    f, _ = opened
    with f:
        return f.read(len(MAGIC)) == MAGIC


def prune(folder: Path, kind: str, keep: int) -> None:
    """Delete all but the `keep` newest entries of `kind`: only entries this cache wrote."""
    try:
        names = [n for n in os.listdir(folder) if n.startswith(f"{kind}-")]
    except OSError:
        return
    mine = []
    for name in names:
        match = _NAME.fullmatch(name)
        if match is None or match["kind"] != kind or not _is_ours(folder, name):
            continue
        try:
            mine.append((os.stat(folder / name, follow_symlinks=False).st_mtime, name))
        except OSError:
            continue
    for _, name in sorted(mine)[:-keep]:  # results of earlier code or inputs
        try:
            os.unlink(folder / name)
        except OSError:
            pass


def cached(
    kind: str,
    key: str,
    make: Callable[[], T],
    encode: Callable[[T], Entry],
    decode: Callable[[Entry], T],
    keep: int,
) -> T:
    """`make()`, or the result kept as `<cache folder>/<kind>-<key>.izc` when that is a whole
    entry this user wrote and `decode` of it succeeds; a result just made is `encode`d and
    saved there. A cache that cannot be read or written is ignored (the result is then made,
    and a file half written is removed)."""
    folder = usable_folder()
    if folder is None:
        return make()
    path = folder / f"{kind}-{key}{SUFFIX}"
    entry = read_entry(path, kind, key)
    if entry is not None:
        try:
            return decode(entry)
        except Exception:  # an entry this code cannot read back: made again
            pass
    result = make()
    tmp = None
    try:
        data = entry_bytes(kind, key, encode(result))
        # a name of its own for each writer (processes, and threads such as the viewer's
        # what-if worker), created 0600 and never through a link (mkstemp: O_EXCL), renamed
        # into place over whatever was there: a reader sees all of the file or none of it
        fd, tmp = tempfile.mkstemp(prefix=f".{kind}-", suffix=".tmp", dir=folder)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
        tmp = None
        prune(folder, kind, keep)
    except Exception:  # a full disk, a folder we may not write, a result that will not encode
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
    return result
