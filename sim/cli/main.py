"""The command line (run.py is a thin wrapper around `main`).

    python run.py SCENARIO.yaml [--headless] [--seed N] [--set name=value ...] [--out DIR]
        [--compare] [--record FILE.gif|FILE.mp4] [--screenshot FILE.png --at TIME]
    python run.py params [--markdown]    list every model parameter
    python run.py map [--out FILE.png]   render the theatre to a PNG
    python run.py view RUN_DIR           replay a saved run without re-simulating
    python run.py sweep SCENARIO.yaml .. run many variants (see sim/sweep/)
    python run.py compare RESULTS        compare a sweep's outcomes, with plots
    python run.py whatif SCENARIO.yaml   the standard what-if table (docs/whatif.md)
    python run.py branch FILE.yaml       a what-if branch: base and branch compared
                                         (docs/lessons.md); view FILE.yaml opens one
    python run.py --help                 all of this, with every option

Bad input (a scenario, a --set value, an option, a damaged saved file) gives one line on
stderr naming the file, field and what was expected (a scenario with several problems: one
line each), and exit code 2; never a traceback. Everything that can be checked before
simulating is (outputs writable, the folder free, the extras an export needs).
"""

from __future__ import annotations

import argparse
import difflib
import hashlib
import io
import os
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sim.cli.commands import params_for
from sim.cli.common import (
    EXIT_BAD_INPUT,
    MAX_GIF_SIZE,
    MAX_SEED,
    MAX_SIZE,
    Parser,
    ShownStream,
    UsageError,
    add_frame_options,
    check_writable,
    days_value,
    display_available,
    folder_value,
    seed_value,
    units_value,
)
from sim.model.params import Parameters
from sim.safe_io import FileProblem
from sim.scenario import MAX_DAYS, MAX_PROBLEMS, MAX_UNITS, ScenarioError, read_scenario
from sim.sweep.spec import SweepError

__all__ = [
    "COMMANDS",
    "EXIT_BAD_INPUT",
    "MAX_GIF_SIZE",
    "MAX_SIZE",
    "Parser",
    "UsageError",
    "default_out",
    "display_available",
    "main",
]

REPO = Path(__file__).resolve().parents[2]
#: Longest default run folder name; beyond it the changed parameters are given by a hash.
MAX_FOLDER_NAME = 100


# ---------------------------------------------------------------------------- the replay
def _overview() -> str:
    """The list of commands for --help: each command's first docstring line."""
    width = max(len(n) for n in [*COMMANDS, "SCENARIO.yaml"])
    lines = [
        "commands (python run.py COMMAND --help for each one's options):",
        f"  {'SCENARIO.yaml':<{width + 2}}Replay a scenario (options: run.py --help)",
    ]
    for name, fn in COMMANDS.items():
        summary = ((fn.__doc__ or "").strip().splitlines() or [""])[0].rstrip(".")
        lines.append(f"  {name:<{width + 2}}{summary}")
    return "\n".join(lines)


def _replay_parser() -> argparse.ArgumentParser:
    ap = Parser(
        prog="run.py",
        usage="python run.py SCENARIO.yaml [options]\n       python run.py COMMAND [options]",
        description=textwrap.fill(
            "Replay a scenario, in a window or headless, and write its files "
            "(runs/<scenario>_seed<N>/ unless --out).",
            92,
        )
        + "\n\n"
        + _overview(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=textwrap.fill(
            "Needs: the base install for replays and --screenshot; the video extra "
            'for --record (pip install -e ".[video]"); sweep and compare: the sweep '
            'extra (pip install -e ".[sweep]"). Docs: README.md, docs/viewer.md, '
            "docs/sweeps.md.",
            92,
        ),
    )
    ap.add_argument("scenario", help="scenario YAML file, e.g. scenarios/izium_2022_09.yaml")
    ap.add_argument("--headless", action="store_true", help="no window: print and write files")
    ap.add_argument(
        "--seed", type=seed_value, default=0, help=f"random seed, 0 to {MAX_SEED} (default 0)"
    )
    ap.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="override a model parameter (repeatable; `params` lists them)",
    )
    ap.add_argument(
        "--out",
        type=folder_value,
        default=None,
        help="output folder (default runs/<scenario>_seed<N> under the current "
        "folder, plus +name=value for each parameter --set changes)",
    )
    ap.add_argument(
        "--replace",
        action="store_true",
        help="let --out overwrite a folder that holds another run's files",
    )
    ap.add_argument(
        "--compare",
        action="store_true",
        help="compare the run with the scenario's history: block and write history_comparison.csv",
    )
    ap.add_argument(
        "--record",
        type=Path,
        metavar="FILE.gif|FILE.mp4",
        help="render the whole replay to an animation, without a window (needs the video extra)",
    )
    add_frame_options(
        ap,
        size_help=f"window or export size in pixels (default 1280x800; at most "
        f"{MAX_SIZE[0]}x{MAX_SIZE[1]}, a GIF {MAX_GIF_SIZE[0]}x{MAX_GIF_SIZE[1]})",
    )
    ap.add_argument(
        "--max-days",
        type=days_value,
        default=MAX_DAYS,
        metavar="DAYS",
        help=f"longest scenario accepted (default {MAX_DAYS} days: a run keeps "
        "every hour in memory); raise it knowingly",
    )
    ap.add_argument(
        "--max-units",
        type=units_value,
        default=MAX_UNITS,
        metavar="N",
        help=f"most units accepted (default {MAX_UNITS}: a run keeps every unit's every "
        "hour in memory); raise it knowingly",
    )
    return ap


def _value_text(v: Any) -> str:
    if isinstance(v, float) and float(f"{v:g}") == v:
        return f"{v:g}"
    return repr(v) if isinstance(v, float) else str(v)


#: How many folders a replay without --out tries (runs/<name>, then runs/<name>-2, ...) when
#: the ones before hold other runs (another version of the scenario file): a bound on the
#: search, far above what anyone keeps by hand.
MAX_DEFAULT_FOLDERS = 99


def default_out(scenario, params: Parameters, seed: int) -> Path:
    """runs/<id>_seed<N>, plus +name=value for each parameter that differs from the scenario's
    own values (so a --set run never lands in the plain run's folder); by a hash of them if
    that name would be long."""
    base = scenario.parameters_with().model_dump()
    changed = {k: v for k, v in params.model_dump().items() if base.get(k) != v}
    name = f"{scenario.id}_seed{seed}"
    if changed:
        extra = "".join(f"+{k}={_value_text(v)}" for k, v in sorted(changed.items()))
        if len(name + extra) > MAX_FOLDER_NAME:
            blob = repr(sorted(changed.items())).encode()
            extra = f"+set-{hashlib.sha256(blob).hexdigest()[:10]}"
        name += extra
    return Path("runs") / name


def _check_export_extra(path: Path | None) -> None:
    """Fail before simulating if --record needs a package that is not installed."""
    if path is None:
        return
    from sim.view.app import MissingExtra, check_export

    try:
        check_export(path)
    except MissingExtra as e:
        raise UsageError(f"--record {path}: {e}") from None


def replay(argv: list[str]) -> int:
    """Replay a scenario: check everything that can be checked first (the options, the
    scenario, the outputs), then simulate, write the run's files and show or export it.
    The model (and mesa, pandas, scipy) is imported only once the input is known to be good."""
    args = _replay_parser().parse_args(argv)
    if args.record and args.record.suffix.lower() not in (".gif", ".mp4"):
        raise UsageError(f"--record {args.record}: expected a .gif or .mp4 file name")
    if (
        args.record
        and args.record.suffix.lower() == ".gif"
        and (args.size[0] > MAX_GIF_SIZE[0] or args.size[1] > MAX_GIF_SIZE[1])
    ):
        raise UsageError(
            f"--size {args.size[0]}x{args.size[1]}: a GIF is at most "
            f"{MAX_GIF_SIZE[0]}x{MAX_GIF_SIZE[1]} (it keeps every frame in "
            "memory); use .mp4 for larger"
        )
    if args.screenshot and args.screenshot.suffix.lower() != ".png":
        raise UsageError(f"--screenshot {args.screenshot}: expected a .png file name")
    if args.at and not args.screenshot:
        raise UsageError("--at goes with --screenshot")
    _check_export_extra(args.record)
    from sim.map.theatre import build_theatre

    loaded = read_scenario(
        args.scenario, build_theatre(), max_days=args.max_days, max_units=args.max_units
    )
    scenario, theatre = loaded.scenario, loaded.theatre
    assert theatre is not None  # read against a map: the scenario's own (its places added)
    params = params_for(scenario, args.overrides)
    if args.at and not scenario.start <= args.at <= scenario.end:
        raise UsageError(
            f"--at {args.at:%Y-%m-%dT%H:%M}: outside the scenario "
            f"({scenario.start:%Y-%m-%dT%H:%M} to {scenario.end:%Y-%m-%dT%H:%M})"
        )
    exporting = bool(args.record or args.screenshot)
    window = not (args.headless or exporting)
    if window and not display_available():
        print("No display available: replaying headless.", file=sys.stderr)
        window = False
    default = default_out(scenario, params, args.seed)
    out = args.out or default
    check_writable(out, "--out", folder=True)
    check_writable(args.screenshot, "--screenshot")
    check_writable(args.screenshots, "--screenshots", folder=True)
    check_writable(args.record, "--record")
    from sim.runs.folders import claim, folder_holds_other_run, run_identity
    from sim.runs.report import RUN_FILES, daily_table, text_sha256, write_run

    if out.is_file():
        raise UsageError(f"--out {out}: is a file, expected a folder")
    odd = [n for n in RUN_FILES if (out / n).exists() and not (out / n).is_file()]
    if odd:
        raise UsageError(f"{out / odd[0]}: is not a file; a run cannot be written there")
    sha = text_sha256(loaded.text)
    identity = run_identity(scenario.id, args.seed, params, sha)
    # the folder is this process's until its files are written: what it holds is checked
    # under the lock, and no other replay, branch or sweep can write there meanwhile
    lock = claim(out, "run", RUN_FILES)
    try:
        other = folder_holds_other_run(out, identity)
        if other and not args.replace and args.out is None:
            # the default folder holds another run (the same scenario id and seed, from
            # another version of its file): keep it, and write beside it (runs/<name>-2, ...)
            for n in range(2, MAX_DEFAULT_FOLDERS + 1):
                lock.release()
                out = default.with_name(f"{default.name}-{n}")
                check_writable(out, "--out", folder=True)
                lock = claim(out, "run", RUN_FILES)
                if folder_holds_other_run(out, identity) is None:
                    print(f"{default}: {other}; kept, this run goes to {out}", file=sys.stderr)
                    other = None
                    break
        if other and not args.replace:
            raise UsageError(
                f"{out}: {other}; choose another --out, or add --replace to overwrite it"
            )
        from sim.api import simulate
        from sim.scenario.checks import check_before_run

        check_before_run(loaded, theatre)  # prints warnings; errors stop here
        result = simulate(scenario, params, args.seed, keep_model=True, on_map=theatre)
        model, record = result.model, result.record
        assert model is not None  # kept (keep_model)
        print(f"{scenario.title}  (seed {args.seed}, {record.hours} hours)")
        print(daily_table(record))
        from sim.runs.plan_report import plan_report

        print()
        print(plan_report(model))
        comparison, csv = None, None
        if args.compare or window or exporting:
            from sim.runs.history import (
                compare,
                comparison_csv,
                comparison_table,
                with_null_run,
            )

            comparison = compare(record, scenario, theatre)
            if args.compare:  # the null run beside the score (docs/history.md)
                comparison = with_null_run(comparison, scenario, theatre, params, args.seed)
                print()
                print(comparison_table(comparison))
                csv = comparison_csv(comparison)
        paths = write_run(record, out, csv, sha)
    finally:
        lock.release()
    print(f"wrote {', '.join(p.name for p in paths)} to {out}")
    if window or exporting:
        return _view(args, record, theatre, scenario, comparison)
    return 0


def _view(args, record, theatre, scenario, comparison) -> int:
    from sim.view.app import (
        SCREENSHOT_DIR,
        MissingExtra,
        Replay,
        play,
        record_video,
        screenshot,
    )

    replay = Replay.from_run(record, theatre, scenario, comparison)
    try:
        if args.screenshot:
            screenshot(replay, args.screenshot, args.at or scenario.end, size=args.size)
            print(f"wrote {args.screenshot}")
        elif args.record:
            record_video(replay, args.record, size=args.size)
            print(f"wrote {args.record}")
        else:
            from sim.view.whatif_job import Brancher

            play(
                replay,
                size=args.size,
                brancher=Brancher.for_record(record, scenario, theatre, args.scenario),
                screenshot_dir=args.screenshots or SCREENSHOT_DIR,
            )
    except MissingExtra as e:
        raise UsageError(str(e)) from None
    return 0


# ---------------------------------------------------------------------------- subcommands
def list_params(argv: list[str]) -> int:
    """List every model parameter: value, unit, range and meaning (--markdown for the docs)."""
    from sim.cli.commands import params_main

    return params_main(argv)


def render_map(argv: list[str]) -> int:
    """Render the theatre's map to a PNG."""
    from sim.cli.commands import map_main

    return map_main(argv)


def view_run(argv: list[str]) -> int:
    """Replay a saved run in a window or to a PNG, without re-simulating."""
    from sim.cli.commands import view_main

    return view_main(argv)


def whatif(argv: list[str]) -> int:
    """The standard what-ifs of a scenario, run and judged (docs/whatif.md)."""
    from sim.cli.commands import whatif_main

    return whatif_main(argv)


def sweep(argv: list[str]) -> int:
    """Run many variants of a scenario on all cores or a Dask cluster (sweep extra)."""
    from sim.sweep.cli import sweep_main

    return sweep_main(argv)


def compare_runs(argv: list[str]) -> int:
    """Compare a sweep's outcomes: a table and plots (sweep extra)."""
    from sim.sweep.cli import compare_main

    return compare_main(argv)


def validate(argv: list[str]) -> int:
    """Check a scenario file without running it: every error and warning, with its line."""
    from sim.cli.authoring import validate_main

    return validate_main(argv)


def places(argv: list[str]) -> int:
    """Find a place on the map by any of its names, or near a position."""
    from sim.cli.authoring import places_main

    return places_main(argv)


def sources(argv: list[str]) -> int:
    """The shipped scenarios' source keys and texts, to cite in a new scenario."""
    from sim.cli.authoring import sources_main

    return sources_main(argv)


def preview(argv: list[str]) -> int:
    """Draw a scenario's start (units, control, depots, orders) to a PNG, without running."""
    from sim.cli.authoring import preview_main

    return preview_main(argv)


def schema(argv: list[str]) -> int:
    """Write the scenario file's JSON Schema (or, with --markdown, its reference)."""
    from sim.cli.authoring import schema_main

    return schema_main(argv)


def new(argv: list[str]) -> int:
    """Start a new scenario from the commented template."""
    from sim.cli.authoring import new_main

    return new_main(argv)


def branch(argv: list[str]) -> int:
    """Replay a what-if branch file: the base run and the branch compared (docs/lessons.md)."""
    from sim.cli.branch import branch_main

    return branch_main(argv)


def html(argv: list[str]) -> int:
    """Write a replay, a what-if or a folder of lessons as web pages that play in a browser."""
    from sim.web.cli import html_main

    return html_main(argv)


def view(argv: list[str]) -> int:
    """`view RUN_DIR` replays a saved run; `view FILE.yaml` opens a what-if branch."""
    from sim.cli.branch import is_branch_file, view_main

    if argv and is_branch_file(argv[0]):
        return view_main(argv)
    return view_run(argv)


COMMANDS: dict[str, Callable[[list[str]], int]] = {
    "params": list_params,
    "map": render_map,
    "view": view,
    "sweep": sweep,
    "compare": compare_runs,
    "whatif": whatif,
    "validate": validate,
    "places": places,
    "sources": sources,
    "preview": preview,
    "schema": schema,
    "new": new,
    "branch": branch,
    "html": html,
}


def _unknown_command(word: str) -> UsageError | None:
    """A first argument that is neither a command nor a file that could be a scenario: a
    typo'd command (`sweeps`) is named as one, not read as a missing scenario file."""
    if (
        word.startswith("-")
        or Path(word).exists()
        or Path(word).suffix
        or "/" in word
        or os.sep in word
    ):
        return None
    close = difflib.get_close_matches(word, list(COMMANDS), n=1, cutoff=0.6)
    hint = f"did you mean {close[0]}? " if close else ""
    if not close and (REPO / "scenarios" / f"{word}.yaml").is_file():
        hint = f"did you mean scenarios/{word}.yaml? "
    return UsageError(
        f"{word!r} is not a command or a scenario file; {hint}commands: "
        f"{', '.join(COMMANDS)} (or give a SCENARIO.yaml; see run.py --help)"
    )


def _print_problems(e: ScenarioError) -> None:
    for line in e.lines(MAX_PROBLEMS):
        print(f"error: {line}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    for stream in (sys.stdout, sys.stderr):  # a file name that is not UTF-8 prints escaped
        if isinstance(stream, io.TextIOWrapper):  # not a test's capture or a redirect object
            try:
                stream.reconfigure(errors="backslashreplace")
            except ValueError:
                pass
    # text from scenario, branch and sweep files is printed as text: an escape sequence in a
    # title is shown as \x1b[..., never obeyed by the terminal
    streams = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = ShownStream(sys.stdout), ShownStream(sys.stderr)
    try:
        return _main(argv)
    finally:
        sys.stdout, sys.stderr = streams


def _main(argv: list[str]) -> int:
    try:
        if not argv:
            print(f"{_replay_parser().format_usage()}\n{_overview()}", file=sys.stderr)
            return EXIT_BAD_INPUT
        if argv[0] == "help":
            _replay_parser().print_help()
            return 0
        if argv[0] in COMMANDS:
            return COMMANDS[argv[0]](argv[1:])
        unknown = _unknown_command(argv[0])
        if unknown is not None:
            raise unknown
        return replay(argv)
    except ScenarioError as e:
        _print_problems(e)
        return EXIT_BAD_INPUT
    except (UsageError, SweepError, FileProblem) as e:
        print(f"error: {e}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except MemoryError:
        print(
            "error: out of memory (a scenario or sweep too large for this machine?)",
            file=sys.stderr,
        )
        return EXIT_BAD_INPUT
    except OSError as e:  # a file that could not be written after all (disk full, ...)
        if isinstance(e, BrokenPipeError):
            try:  # the reader of our output went away (| head): the rest goes nowhere
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            except (OSError, ValueError, io.UnsupportedOperation):
                pass  # stdout is no file (a test's capture)
            return 0
        where = f"{e.filename}: " if e.filename else ""  # our writers name the file
        print(f"error: {where}{e.strerror or e}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
