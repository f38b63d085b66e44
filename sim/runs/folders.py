"""Who writes where: an output folder holds one kind of output (a replay's run, a what-if's two
runs, a sweep), is written by one process at a time, and never through a symbolic link; and
whether a run folder holds one run.

`claim` is what every writer does before its work starts (the replay, `branch`, `sweep`): it
creates the folder, refuses one that holds another kind of output (a sweep into a replay's
folder, or the reverse) or a link at a name it will write, and takes the folder's lock
(sim.safe_write.FolderLock), held until the files are written: a second writer into the
folder is refused at once, naming the process that holds it, rather than both writing and
leaving a folder of mixed files. What the writer then checks under the lock
(`folder_holds_other_run`: the folder holds its own run, or nothing) cannot change before it
writes. `check_run_files` is the reader's side: a folder whose files come from two runs is
refused.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from sim.model.params import Parameters
from sim.runs.report import MAX_FRAMES_GZ_BYTES, RUN_FILES, changed_parameters
from sim.safe_io import FileProblem, read_bytes
from sim.safe_write import FolderLock, links_in

#: The files (or folders) by which a folder is known to hold each kind of output.
KINDS: dict[str, tuple[str, ...]] = {
    "run": RUN_FILES,
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


# ---------------------------------------------------------------------------- a run's folder
def run_identity(
    scenario_id: str, seed: int, parameters: Parameters, scenario_sha256: str
) -> dict[str, Any]:
    """What makes two runs the same run (as summary.json records it): the scenario file by
    its content (another file with the same id: is another run), the seed, the parameters."""
    return {
        "scenario": scenario_id,
        "scenario_sha256": scenario_sha256,
        "seed": seed,
        "parameters_changed": changed_parameters(parameters.model_dump()),
    }


def folder_holds_other_run(out: Path, identity: dict[str, Any]) -> str | None:
    """Why `out` must not take the run `identity` (it holds another run's files, or run
    files with no readable summary), or None if it may: it is new, holds no run files, or
    holds this same run. (Ask it under the folder's lock: sim.runs.folders.claim.)"""
    present = [n for n in RUN_FILES if (out / n).exists()]
    if not present:
        return None
    try:
        old = json.loads(read_bytes(out / "summary.json", 1024 * 1024, "summary.json"))
    except (FileProblem, ValueError):
        return f"it holds run files ({', '.join(present)}) without a readable summary.json"
    if not isinstance(old, dict):
        return "its summary.json is not a run summary"
    mine = {k: old.get(k) for k in identity}
    if mine == identity:
        return None
    changed = old.get("parameters_changed")
    what = f"{old.get('scenario')!s:.40}, seed {old.get('seed')!s:.20}"
    if isinstance(changed, dict) and changed:
        what += ", " + ", ".join(f"{k}={v}" for k, v in list(changed.items())[:3])
    if all(mine[k] == identity[k] for k in identity if k != "scenario_sha256"):
        version = "an earlier version" if mine["scenario_sha256"] is None else "another version"
        what += f", from {version} of the scenario file"
    return f"it holds another run ({what})"


def check_run_files(run_dir: Path) -> dict[str, Any] | None:
    """The summary.json of a run folder, with the folder checked against it: every file it
    lists is the one written with it (its SHA-256), and no other run file is there. Raises
    FileProblem for a folder whose files come from two runs; None if there is no readable
    summary listing its files (a run of an earlier version: nothing to check against)."""
    try:
        head = json.loads(read_bytes(run_dir / "summary.json", 1024 * 1024, "summary.json"))
    except (FileProblem, ValueError):
        return None
    files = head.get("files") if isinstance(head, dict) else None
    if not isinstance(files, dict):
        return None
    for name in RUN_FILES:
        if name == "summary.json":
            continue
        path = run_dir / name
        listed = files.get(name)
        if listed is None:
            if path.exists():
                raise _mixed(run_dir, f"{name} is not one of the run's files")
            continue
        try:
            data = read_bytes(path, MAX_FRAMES_GZ_BYTES, name)
        except FileProblem as e:
            raise _mixed(run_dir, f"{name}: {e.message}") from None
        if hashlib.sha256(data).hexdigest() != listed:
            raise _mixed(run_dir, f"{name} is not the file written with summary.json")
    return head


def _mixed(run_dir: Path, why: str) -> FileProblem:
    return FileProblem(
        run_dir,
        f"holds the files of more than one run ({why}); write the run again: python run.py "
        "SCENARIO.yaml --headless --out DIR",
    )
