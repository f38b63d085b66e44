"""Who writes where: an output folder holds one kind of output (a replay's run, a what-if's two
runs, a sweep), is written by one process at a time, and never through a symbolic link.

`claim` is what every writer does before its work starts (the replay, `branch`, `sweep`): it
creates the folder, refuses one that holds another kind of output (a sweep into a replay's
folder, or the reverse) or a link at a name it will write, and takes the folder's lock
(sim.safe_io.FolderLock), held until the files are written: a second writer into the folder is
refused at once, naming the process that holds it, rather than both writing and leaving a
folder of mixed files. What the writer then checks under the lock (that the folder holds its
own run, or nothing: `sim.runs.report.folder_holds_other_run`) cannot change before it writes.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from sim.safe_io import FileProblem, FolderLock, links_in

#: The files (or folders) by which a folder is known to hold each kind of output.
KINDS: dict[str, tuple[str, ...]] = {
    "run": (
        "summary.json",
        "timeseries.csv",
        "control_changes.csv",
        "events.csv",
        "frames.json.gz",
        "history_comparison.csv",
    ),
    "what-if": ("whatif.json", "base", "branch"),
    "sweep": ("sweep.json", "journal.jsonl", "runs.parquet", "runs.csv"),
}
#: Each kind in words, and the command that writes it.
WHAT = {
    "run": "a replay's run (summary.json, frames.json.gz...)",
    "what-if": "a what-if branch's runs (whatif.json, base/, branch/)",
    "sweep": "a sweep (sweep.json, journal.jsonl...)",
}


def kinds_held(folder: Path) -> list[str]:
    """The kinds of output `folder` holds files of (a link counts: it is there)."""
    return [
        kind
        for kind, names in KINDS.items()
        if any((folder / n).exists() or (folder / n).is_symlink() for n in names)
    ]


def claim(folder: Path, kind: str, names: Iterable[str], option: str = "--out") -> FolderLock:
    """Make `folder` ready for `kind`'s files `names` (relative paths) and lock it. Raises
    FileProblem (one line, naming `option`) if it holds another kind of output, has a
    symbolic link at one of `names` or on the way to one, or another process holds its lock.
    Returns the lock: release it once the files are written."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise FileProblem(folder, f"{option}: cannot create it ({e.strerror or e})") from None
    others = [k for k in kinds_held(folder) if k != kind]
    if others:
        raise FileProblem(
            folder,
            f"holds {WHAT[others[0]]}, not {WHAT[kind].split(' (')[0]}; choose another "
            f"{option} (one folder holds one kind of output)",
        )
    links = links_in(folder, [FolderLock.NAME, *names])
    if links:
        raise FileProblem(
            folder,
            f"holds symbolic links where its files go ({', '.join(links[:3])}); nothing is "
            f"written through a link: remove them, or choose another {option}",
        )
    lock = FolderLock(folder)
    if not lock.acquire():
        raise FileProblem(
            folder,
            f"another replay, branch or sweep (process {lock.holder()}) is writing in this "
            f"folder; wait for it to finish, or choose another {option}",
        )
    return lock
