"""The command line of what-if branches (sim/cli/main.py registers it).

    python run.py branch FILE.yaml [--headless] [--out DIR] [--record FILE.gif|FILE.mp4]
        [--split] [--screenshot FILE.png [--at TIME]] [--size WxH]
    python run.py view FILE.yaml [--split] [--screenshot FILE.png [--at TIME]] [--size WxH]

`branch` runs the base and the branch (sim/whatif/branch_file.py), prints the changes and the
differences between the two futures, writes both runs (OUT/base/, OUT/branch/, each with
history_comparison.csv) and OUT/whatif.json, then opens the window with both futures on one
map (unless --headless, or no display), or exports them (--record, --screenshot). `view` does
the same without writing the runs. Bad input: one line naming the file, line and field, exit 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from sim.cli.common import (
    MAX_GIF_SIZE,
    Parser,
    UsageError,
    add_frame_options,
    check_writable,
    display_available,
    size_type,
)
from sim.runs.folders import KINDS, claim
from sim.safe_io import FileProblem, read_text
from sim.scenario import ScenarioError

#: What a branch writes in its --out folder (sim/runs/folders.py: no link may stand there).
WRITTEN = (
    "whatif.json",
    *(f"{name}/{f}" for name in ("base", "branch") for f in KINDS["run"]),
)
#: Largest whatif.json read back (a few kB).
MAX_WHATIF_BYTES = 1024 * 1024
#: The smallest window or export a what-if is drawn in (the panel and the sidebar's list of
#: differences need the room).
MIN_SIZE = (640, 480)


_size = size_type(MIN_SIZE)


def _parser(prog: str, writes: bool) -> argparse.ArgumentParser:
    ap = Parser(
        prog=prog,
        description="Replay a what-if branch (docs/lessons.md): the base "
        "run and the branch, compared.",
    )
    ap.add_argument("file", type=Path, help="branch file, e.g. examples/lessons/*.yaml")
    if writes:
        ap.add_argument(
            "--headless",
            action="store_true",
            help="no window: print the differences and write the runs",
        )
        ap.add_argument(
            "--out", type=Path, default=None, help="output folder (default runs/<branch file name>)"
        )
        ap.add_argument(
            "--record",
            type=Path,
            metavar="FILE.gif|FILE.mp4",
            help="render both futures to an animation, without a window",
        )
        ap.add_argument(
            "--replace", action="store_true", help="write over another what-if's files in --out"
        )
    ap.add_argument(
        "--split",
        action="store_true",
        help="base and branch side by side (default: one map, the branch drawn over the base)",
    )
    add_frame_options(
        ap, size_help="window or export size in pixels (default 1280x800)", size=_size
    )
    return ap


def is_branch_file(arg: str) -> bool:
    """Whether a `view` argument names a branch file (a .yaml file) rather than a run folder."""
    return arg.lower().endswith((".yaml", ".yml"))


def branch_main(argv: list[str]) -> int:
    """python run.py branch FILE.yaml ..."""
    return _main(argv, writes=True)


def view_main(argv: list[str]) -> int:
    """python run.py view FILE.yaml ...: the window (or a screenshot), nothing written."""
    return _main(argv, writes=False)


def _main(argv: list[str], writes: bool) -> int:
    args = _parser("run.py branch" if writes else "run.py view", writes).parse_args(argv)
    record = getattr(args, "record", None)
    if record and record.suffix.lower() not in (".gif", ".mp4"):
        raise UsageError(f"--record {record}: expected a .gif or .mp4 file name")
    if (
        record
        and record.suffix.lower() == ".gif"
        and (args.size[0] > MAX_GIF_SIZE[0] or args.size[1] > MAX_GIF_SIZE[1])
    ):
        raise UsageError(
            f"--size {args.size[0]}x{args.size[1]}: a GIF is at most "
            f"{MAX_GIF_SIZE[0]}x{MAX_GIF_SIZE[1]}; use .mp4 for larger"
        )
    if record:
        from sim.view.app import MissingExtra, check_export

        try:
            check_export(record)
        except MissingExtra as e:
            raise UsageError(f"--record {record}: {e}") from None
    if args.screenshot and args.screenshot.suffix.lower() != ".png":
        raise UsageError(f"--screenshot {args.screenshot}: expected a .png file name")
    if args.at and not args.screenshot:
        raise UsageError("--at goes with --screenshot")
    from sim.map.theatre import build_theatre
    from sim.whatif.branch_file import load_branch, simulate

    theatre = build_theatre()
    b = load_branch(args.file, theatre)
    s = b.scenario
    if args.at and not s.start <= args.at <= s.end:
        raise UsageError(
            f"--at {args.at:%Y-%m-%dT%H:%M}: outside the scenario "
            f"({s.start:%Y-%m-%dT%H:%M} to {s.end:%Y-%m-%dT%H:%M})"
        )
    exporting = bool(record or args.screenshot)
    window = not (getattr(args, "headless", False) or exporting)
    if window and not display_available():
        if not writes:
            raise UsageError(
                "no display available to show the branch (use --screenshot "
                "FILE.png, or python run.py branch FILE --headless)"
            )
        print("No display available: replaying headless.", file=sys.stderr)
        window = False
    out = (args.out or Path("runs") / args.file.stem) if writes else None
    check_writable(out, "--out", folder=True)
    check_writable(args.screenshot, "--screenshot")
    check_writable(args.screenshots, "--screenshots", folder=True)
    check_writable(record, "--record")
    lock = None
    if out is not None:
        # the folder is this process's until the files are written (sim/runs/folders.py)
        if out.is_file():
            raise UsageError(f"--out {out}: is a file, expected a folder")
        lock = claim(out, "what-if", WRITTEN)
    try:
        if out is not None:
            _free(out, b, args.replace)
        base, alt, texts = simulate(b)
        from sim.runs.history import attacking_side, compare, null_comparison
        from sim.whatif.futures import compare_futures

        futures = compare_futures(base, alt, s, b.hour, b.theatre)
        _print(b, texts, futures)
        comparisons = {"base": compare(base, s, b.theatre), "branch": compare(alt, s, b.theatre)}
        null = null_comparison(s, b.theatre, b.params, b.spec.seed)
        if null is not None:  # one null run, the reference of both futures
            side = attacking_side(s)
            comparisons = {k: c.with_null(null, side) for k, c in comparisons.items()}
        if out is not None:
            written = _write(out, b, texts, futures, {"base": base, "branch": alt}, comparisons)
            print(f"wrote {', '.join(written)} to {out}")
    finally:
        if lock is not None:
            lock.release()
    if not (window or exporting):
        return 0
    return _show(args, b, base, alt, texts, futures, comparisons, record)


def _identity(b) -> dict:
    """What makes two what-ifs the same: the scenario (by its file's content), seed,
    parameters, hour and changes."""
    from sim.runs.report import text_sha256

    return {
        "scenario": b.scenario.id,
        "scenario_sha256": text_sha256(b.scenario_text),
        "seed": b.spec.seed,
        "hour": b.hour,
        "parameters": dict(sorted(b.spec.parameters.items())),
        "changes": [ch.as_yaml() for ch in b.changes],
    }


def _free(out: Path, b, replace: bool) -> None:
    """Refuse an --out folder that holds another what-if's files (asked under its lock,
    before simulating)."""
    summary = out / "whatif.json"
    others = [p for p in ("base", "branch", "whatif.json") if (out / p).exists()]
    if not others or replace:
        return
    try:
        old = json.loads(read_text(summary, MAX_WHATIF_BYTES, "whatif.json"))
        same = {k: old.get("identity", {}).get(k) for k in _identity(b)} == _identity(b)
    except (FileProblem, ValueError, AttributeError, RecursionError):
        same = False
    if not same:
        raise UsageError(
            f"{out}: holds another what-if's files ({', '.join(others)}); choose "
            "another --out, or add --replace to overwrite them"
        )


def _print(b, texts: list[str], futures) -> None:
    s = b.scenario
    print(f"{b.spec.title}")
    print(
        f"  {s.title}, seed {b.spec.seed}; the branch at {b.when.day} {b.when:%b %Y %H:%M} "
        f"(hour {b.hour} of {s.hours})"
    )
    if b.spec.context:
        print(f"  Context: {b.spec.context}")
    if b.spec.question:
        print(f"  Question: {b.spec.question}")
    for t in texts:
        print(f"  What if: {t}")
    print(f"Differences, branch against base, to {futures.end:%d %b %H:%M}:")
    for line in futures.lines():
        print(f"  - {line}")


def _write(out: Path, b, texts, futures, records: dict, comparisons: dict) -> list[str]:
    """OUT/base/, OUT/branch/ (each a run folder with its history_comparison.csv) and
    OUT/whatif.json, written aside and put in place together (whatif.json last): a failure
    leaves the previous what-if whole."""
    from sim.runs.history import comparison_csv
    from sim.runs.report import RUN_FILES, stage_run, text_sha256
    from sim.safe_io import json_text
    from sim.safe_write import StagedFiles

    sha = text_sha256(b.scenario_text)
    summary = {
        "identity": _identity(b),
        "title": b.spec.title,
        "question": b.spec.question,
        "context": b.spec.context,
        "source": b.spec.source,
        "scenario": b.scenario.id,
        "seed": b.spec.seed,
        "at": b.when.isoformat(timespec="minutes"),
        "hour": b.hour,
        "changes": [ch.as_yaml() for ch in b.changes],
        "what_if": texts,
        "differences": futures.lines(),
        "fidelity": {k: c.score for k, c in comparisons.items()},
        "null_fidelity": comparisons["base"].null,
        "skill": {k: c.skill for k, c in comparisons.items()},
    }
    with StagedFiles(out) as staged:
        for name, rec in records.items():
            stage_run(staged, rec, name, comparison_csv(comparisons[name]), sha)
        staged.write(
            "whatif.json",
            (json_text(summary, indent=2, ensure_ascii=False) + "\n").encode("utf-8"),
        )
        staged.commit(stale=[f"{name}/{f}" for name in records for f in RUN_FILES])
    return [f"{name}/" for name in records] + ["whatif.json"]


def _show(args, b, base, alt, texts, futures, comparisons, record) -> int:
    from sim.view.app import (
        SCREENSHOT_DIR,
        MissingExtra,
        Replay,
        play,
        record_video,
        screenshot,
    )
    from sim.view.whatif_job import Brancher, BranchView

    s = b.scenario
    base_replay = Replay.from_run(base, b.theatre, s, comparisons["base"])
    view = BranchView(
        b.spec.title,
        b.hour,
        b.when,
        list(b.changes),
        texts,
        Replay.from_run(alt, b.theatre, s, comparisons["branch"]),
        futures,
        question=b.spec.question,
    )
    mode = "split" if args.split else "overlay"
    try:
        if args.screenshot:
            screenshot(
                base_replay,
                args.screenshot,
                args.at or s.end,
                size=args.size,
                branch=view,
                mode=mode,
            )
            print(f"wrote {args.screenshot}")
        elif record:
            record_video(base_replay, record, size=args.size, branch=view, mode=mode)
            print(f"wrote {record}")
        else:
            brancher = Brancher(
                s, b.theatre, b.params, b.spec.seed, base_record=base, scenario_path=b.scenario_path
            )
            play(
                base_replay,
                size=args.size,
                brancher=brancher,
                branch=view,
                mode=mode,
                screenshot_dir=args.screenshots or SCREENSHOT_DIR,
            )
    except MissingExtra as e:
        raise UsageError(str(e)) from None
    except ScenarioError:
        raise
    return 0
