"""Writing into output folders others may have prepared: no write ever follows a symbolic link
planted there, nor waits on a FIFO, and a rewrite that fails keeps what was there.

- `StagedFiles`: a run's files written aside (a hidden folder of their own), then put in place
  together, the last one last; a failure before that (a full disk, a kill) leaves the folder as
  it was, and a link planted on the way to a file is refused, never followed.
- `FolderLock`: one writer at a time in a folder (an OS lock on FOLDER/.lock, released when the
  process ends, however it ends).
- `open_append`: a journal appended only if it is a regular file (a link or a FIFO is refused).
- `links_in`: the names of a folder that are links, or lie under one (refused before writing).

Single files are written with sim.safe_io.write_atomic (a new temporary file, then a rename).
"""

from __future__ import annotations

import errno
import os
import shutil
import stat
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO

from sim.safe_io import NO_LINK, FileProblem, named, read_text


def open_append(path: Path, what: str = "file") -> BinaryIO:
    """`path` opened to append (created if missing): a regular file only, never through a
    link and never waiting on a FIFO. Raises FileProblem."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | NO_LINK, 0o644)
    except OSError as e:
        raise FileProblem(path, _refused(e, what)) from None
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode):
        os.close(fd)
        raise FileProblem(path, f"is not a regular file (a pipe or a device?), expected a {what}")
    os.set_blocking(fd, True)
    return os.fdopen(fd, "ab")


def _refused(e: OSError, what: str) -> str:
    if e.errno == errno.ELOOP:
        return f"is a symbolic link; a {what} is never written through a link (remove it)"
    return f"cannot be written ({e.strerror or e})"


def links_in(folder: Path, names: Iterable[str]) -> list[str]:
    """The `names` (relative paths, such as ``base/summary.json``) in `folder` that are
    symbolic links or lie under one: a write there would land wherever the link leads."""
    found = []
    for name in names:
        here = folder
        for part in Path(name).parts:
            here = here / part
            if here.is_symlink():
                found.append(str(here.relative_to(folder)))
                break
    return sorted(set(found))


class FolderLock:
    """An exclusive lock on an output folder (FOLDER/.lock), held while a replay, a branch or
    a sweep writes there: a second writer is refused. The OS releases it when the process
    ends, however it ends (kill -9 included). The lock file is never opened through a link,
    and a FIFO or device at its name is refused."""

    NAME = ".lock"

    def __init__(self, folder: Path):
        self.path = Path(folder) / self.NAME
        self.fd: int | None = None

    def acquire(self) -> bool:
        """Take the lock; False if another process holds it. Raises FileProblem if the lock
        file is a link, a FIFO or a device, or cannot be created."""
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | NO_LINK, 0o644)
        except OSError as e:
            raise FileProblem(self.path, _refused(e, "lock file")) from None
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            os.close(fd)
            raise FileProblem(
                self.path, "is not a regular file (a pipe or a device?), expected a lock file"
            )
        try:
            if sys.platform == "win32":  # pragma: no cover (Windows)
                import msvcrt

                msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
            else:
                import fcntl

                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            return False
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self.fd = fd
        return True

    def holder(self) -> str:
        """The process id written by the holder, if readable."""
        try:
            return read_text(self.path, 64, "lock file").strip()[:20] or "?"
        except FileProblem:
            return "?"

    def release(self) -> None:
        if self.fd is not None:
            os.close(self.fd)  # closing releases the lock
            self.fd = None

    def __enter__(self) -> FolderLock:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


class _Folders:
    """Open folders under `top` (the folder itself as given, a link included: the user's
    choice), entered one level at a time without following a link, for writes relative to
    them (`dir_fd`). Where the OS has no dir_fd (Windows), plain paths."""

    DIR_FLAGS = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0)

    def __init__(self, top: Path):
        self.top = top
        self.fds: dict[tuple[str, ...], int] = {}
        self.relative = os.open in os.supports_dir_fd and os.replace in os.supports_dir_fd

    def of(self, name: str, create: bool) -> tuple[int | None, str] | None:
        """(folder fd, last part) of `name` (fd None: the last part is a whole path), or None
        if a folder on the way is missing and not `create`d. Raises FileProblem for a link on
        the way."""
        parts = Path(name).parts
        if not self.relative:
            path = self.top / name
            if create:
                path.parent.mkdir(parents=True, exist_ok=True)
            return None, str(path)
        key: tuple[str, ...] = ()
        if key not in self.fds:
            self.fds[key] = os.open(self.top, self.DIR_FLAGS)
        for part in parts[:-1]:
            parent = self.fds[key]
            key = (*key, part)
            if key in self.fds:
                continue
            if create:
                try:
                    os.mkdir(part, 0o777, dir_fd=parent)
                except FileExistsError:
                    pass
            try:
                self.fds[key] = os.open(part, self.DIR_FLAGS | NO_LINK, dir_fd=parent)
            except FileNotFoundError:
                if create:
                    raise
                return None
            except OSError as e:
                where = self.top.joinpath(*key)
                if e.errno in (errno.ELOOP, errno.ENOTDIR):
                    raise FileProblem(
                        where, "is a symbolic link or not a folder; nothing is written through it"
                    ) from None
                raise named(e, where) from None
        return self.fds[key], parts[-1]

    def __enter__(self) -> _Folders:
        return self

    def __exit__(self, *exc: object) -> None:
        for fd in self.fds.values():
            os.close(fd)


class StagedFiles:
    """Files that go into `folder` together, as one: each is written under a temporary name
    in a hidden folder of its own inside `folder` (``.staged-XXXXXXXX``, made by mkdtemp: a
    name no one can guess, never a planted link), and nothing in `folder` changes until
    `commit`, which removes the stale names it is given, then renames every new file into
    place in the order written (the last one last: a run's summary.json, which says the run
    is whole). A failure before `commit` (a full disk, an interrupt, a kill) leaves `folder`
    as it was: the previous complete run stays. Names may hold a subfolder (``base/x.csv``).
    Used as a context manager, the staging folder is removed whatever happens."""

    PREFIX = ".staged-"

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        for old in self.folder.glob(f"{self.PREFIX}*"):  # a writer killed before (we hold
            if old.is_dir() and not old.is_symlink():  # the folder's lock: none is alive)
                shutil.rmtree(old, ignore_errors=True)
        try:
            self.tmp = Path(tempfile.mkdtemp(prefix=self.PREFIX, dir=self.folder))
        except OSError as e:
            raise named(e, self.folder) from None
        self.names: list[str] = []

    def write(self, name: str, data: bytes) -> Path:
        """Stage `data` as `name`; returns where it will be once committed."""
        path = self.tmp / name
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with open(path, "xb") as f:
                f.write(data)
        except OSError as e:
            raise named(e, self.folder / name) from None
        self.names.append(name)
        return self.folder / name

    def commit(self, stale: Iterable[str] = ()) -> list[Path]:
        """Put the staged files in place: first remove the `stale` names not written now
        (the previous run's files this one does not replace), then rename the new ones in.
        A subfolder is entered without following a link (a link planted there since the
        folder was checked raises FileProblem); a link at a file's name is replaced, never
        followed. Returns the paths written."""
        written = set(self.names)
        with _Folders(self.folder) as folders:
            for name in stale:
                where = folders.of(name, create=False) if name not in written else None
                if where is not None:
                    try:
                        os.unlink(where[1], dir_fd=where[0])
                    except FileNotFoundError:
                        pass
            out = []
            for name in self.names:
                fd, last = folders.of(name, create=True) or (None, "")
                try:
                    os.replace(self.tmp / name, last, dst_dir_fd=fd)
                except OSError as e:
                    raise named(e, self.folder / name) from None
                out.append(self.folder / name)
        return out

    def discard(self) -> None:
        shutil.rmtree(self.tmp, ignore_errors=True)

    def __enter__(self) -> StagedFiles:
        return self

    def __exit__(self, *exc: object) -> None:
        self.discard()
