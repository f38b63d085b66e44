"""The command line (run.py is a thin wrapper around `main`).

    python run.py SCENARIO.yaml [--headless] [--seed N] [--set name=value ...] [--out DIR]
        [--compare] [--record FILE.gif|FILE.mp4] [--screenshot FILE.png --at TIME]
    python run.py params [--markdown]    list every model parameter
    python run.py map [--out FILE.png]   render the theatre to a PNG
    python run.py view RUN_DIR           replay a saved run without re-simulating
    python run.py sweep SCENARIO.yaml .. run many variants (see sim/sweep.py)
    python run.py compare RESULTS        compare a sweep's outcomes, with plots
    python run.py whatif SCENARIO.yaml   the standard what-if table (docs/whatif.md)
    python run.py branch FILE.yaml       a what-if branch: base and branch compared
                                         (docs/lessons.md); view FILE.yaml opens one

Bad input (a scenario, a --set value, an option) gives one line on stderr naming the file,
field and what was expected, and exit code 2; never a traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
import textwrap
from datetime import datetime
from pathlib import Path

from pydantic import ValidationError

from sim.params import Parameters, parse_set_option
from sim.scenario import ScenarioError, load_scenario

EXIT_BAD_INPUT = 2
REPO = Path(__file__).resolve().parent.parent


class UsageError(Exception):
    """Bad command-line input: reported in one line, exit code 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit 2 (not argparse's usage block)
        raise UsageError(f"{message} (see {self.prog} --help)")


def _replay_parser() -> argparse.ArgumentParser:
    ap = _Parser(prog="run.py", description="Replay a scenario. Subcommands: params, map.")
    ap.add_argument("scenario", help="scenario YAML file, e.g. scenarios/izium_2022_09.yaml")
    ap.add_argument("--headless", action="store_true", help="no window: print and write files")
    ap.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    ap.add_argument("--set", dest="overrides", action="append", default=[],
                    metavar="NAME=VALUE", help="override a model parameter (repeatable)")
    ap.add_argument("--out", type=Path, default=None,
                    help="output folder (default runs/<scenario>_seed<N> under the current "
                         "folder)")
    ap.add_argument("--compare", action="store_true",
                    help="compare the run with the scenario's history: block and write "
                         "history_comparison.csv")
    ap.add_argument("--record", type=Path, metavar="FILE.gif|FILE.mp4",
                    help="render the whole replay to an animation, without a window")
    ap.add_argument("--screenshot", type=Path, metavar="FILE.png",
                    help="render one frame (at --at) to a PNG, without a window")
    ap.add_argument("--at", type=_when, metavar="YYYY-MM-DDTHH:MM",
                    help="time of the --screenshot frame (default: the end)")
    ap.add_argument("--size", type=_size, default=(1280, 800), metavar="WxH",
                    help="window or export size in pixels (default 1280x800)")
    return ap


def _check_writable(path: Path | None, option: str) -> None:
    """Fail before simulating if an output cannot be written: create the folder (for --out)
    or the file's folder now."""
    if path is None:
        return
    folder = path if option == "--out" else path.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise UsageError(f"{option} {path}: cannot create {folder} ({e.strerror})") from None
    if not os.access(folder, os.W_OK):
        raise UsageError(f"{option} {path}: cannot write in {folder}")


def _when(text: str) -> datetime:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a date and time like 2022-09-10T12:00, got {text!r}") from None


def _size(text: str) -> tuple[int, int]:
    w, sep, h = text.lower().partition("x")
    if not sep or not w.isdigit() or not h.isdigit() or int(w) < 320 or int(h) < 240:
        raise argparse.ArgumentTypeError(f"expected WIDTHxHEIGHT, at least 320x240, got {text!r}")
    return int(w), int(h)


def display_available() -> bool:
    """Whether a real window can be opened (an X or Wayland display, not SDL's dummy driver:
    a dummy window would play unseen forever)."""
    if os.environ.get("SDL_VIDEODRIVER", "") in ("dummy", "offscreen"):
        return False
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
                or sys.platform in ("win32", "darwin"))


def _params_for(scenario, overrides: list[str]) -> Parameters:
    try:
        values = parse_set_option(overrides)
    except ValueError as e:
        raise UsageError(str(e)) from None
    try:
        return scenario.parameters_with(values)
    except ValidationError as e:
        err = e.errors()[0]
        name = ".".join(str(x) for x in err["loc"])
        given = values.get(name, "?")
        raise UsageError(f"--set {name}={given}: {err['msg']}") from None


def replay(argv: list[str]) -> int:
    from sim.checks import check_before_run
    from sim.model import CampaignModel
    from sim.report import daily_table, write_run
    from sim.theatre import build_theatre

    args = _replay_parser().parse_args(argv)
    if args.record and args.record.suffix.lower() not in (".gif", ".mp4"):
        raise UsageError(f"--record {args.record}: expected a .gif or .mp4 file name")
    if args.screenshot and args.screenshot.suffix.lower() != ".png":
        raise UsageError(f"--screenshot {args.screenshot}: expected a .png file name")
    if args.at and not args.screenshot:
        raise UsageError("--at goes with --screenshot")
    theatre = build_theatre()
    scenario = load_scenario(args.scenario, theatre)
    params = _params_for(scenario, args.overrides)
    if args.at and not scenario.start <= args.at <= scenario.end:
        raise UsageError(f"--at {args.at:%Y-%m-%dT%H:%M}: outside the scenario "
                         f"({scenario.start:%Y-%m-%dT%H:%M} to {scenario.end:%Y-%m-%dT%H:%M})")
    exporting = bool(args.record or args.screenshot)
    window = not (args.headless or exporting)
    if window and not display_available():
        print("No display available: replaying headless.", file=sys.stderr)
        window = False
    out = args.out or Path("runs") / f"{scenario.id}_seed{args.seed}"
    for path, what in ((out, "--out"), (args.screenshot, "--screenshot"),
                       (args.record, "--record")):
        _check_writable(path, what)
    check_before_run(args.scenario, scenario, theatre)  # prints warnings; errors stop here
    model = CampaignModel(scenario, theatre, params, seed=args.seed)
    record = model.run()
    print(f"{scenario.title}  (seed {args.seed}, {record.hours} hours)")
    print(daily_table(record))
    paths = write_run(record, out)
    comparison = None
    if args.compare or window or exporting:
        from sim.history import compare, comparison_table, write_comparison

        comparison = compare(record, scenario)
        if args.compare:
            print()
            print(comparison_table(comparison))
            paths.append(write_comparison(comparison, out / "history_comparison.csv"))
    print(f"wrote {', '.join(p.name for p in paths)} to {out}")
    if window or exporting:
        return _view(args, record, theatre, scenario, comparison)
    return 0


def _view(args, record, theatre, scenario, comparison) -> int:
    from sim.view.app import MissingExtra, Replay, play, record_video, screenshot

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

            play(replay, size=args.size,
                 brancher=Brancher.for_record(record, scenario, theatre, args.scenario))
    except MissingExtra as e:
        raise UsageError(str(e)) from None
    return 0


def parameters_markdown() -> str:
    """docs/parameters.md: the table of every parameter (generated; a test keeps it current)."""
    lines = ["# Model parameters", "",
             "Generated by `python run.py params --markdown > docs/parameters.md`. Every one can",
             "be set with `--set name=value`, in a scenario's `parameters:` block, or in a sweep.",
             "How each enters the rules: docs/model.md.", "",
             "| name | default | unit | meaning and source |", "|---|---|---|---|"]
    for name, default, unit, meaning in Parameters.describe():
        lines.append(f"| `{name}` | {default} | {unit} | {meaning} |")
    return "\n".join(lines) + "\n"


def list_params(argv: list[str]) -> int:
    if argv == ["--markdown"]:
        print(parameters_markdown(), end="")
        return 0
    if argv:
        raise UsageError(f"params takes no arguments but --markdown (got {' '.join(argv)})")
    for name, default, unit, meaning in Parameters.describe():
        print(f"{name} = {default} [{unit}]")
        print(textwrap.indent(textwrap.fill(meaning, 92), "    "))
    return 0


def render_map(argv: list[str]) -> int:
    ap = _Parser(prog="run.py map", description="Render the theatre to a PNG.")
    ap.add_argument("--out", type=Path, default=Path("runs") / "theatre.png",
                    help="PNG to write (default runs/theatre.png under the current folder)")
    args = ap.parse_args(argv)
    _check_writable(args.out, "--out file")
    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    from sim.theatre import build_theatre
    from sim.view.basemap import render_theatre_png

    args.out.parent.mkdir(parents=True, exist_ok=True)
    render_theatre_png(build_theatre(), args.out)
    print(f"wrote {args.out}")
    return 0


def view_run(argv: list[str]) -> int:
    """Replay a saved run folder in the viewer, without re-simulating."""
    ap = _Parser(prog="run.py view", description="Replay a saved run (runs/<id>_seed<N>).")
    ap.add_argument("run_dir", type=Path)
    ap.add_argument("--scenario", type=Path, default=None,
                    help="scenario file (default scenarios/<scenario id of the run>.yaml)")
    ap.add_argument("--screenshot", type=Path, metavar="FILE.png")
    ap.add_argument("--at", type=_when, metavar="YYYY-MM-DDTHH:MM")
    ap.add_argument("--size", type=_size, default=(1280, 800), metavar="WxH")
    args = ap.parse_args(argv)
    _check_writable(args.screenshot, "--screenshot")
    frames = args.run_dir / "frames.json.gz"
    if not frames.is_file():
        raise UsageError(f"{args.run_dir}: no frames.json.gz here (write one with a replay: "
                         "python run.py SCENARIO.yaml --headless --out DIR)")
    import gzip
    import json

    try:
        with gzip.open(frames, "rt", encoding="utf-8") as f:
            scenario_id = json.load(f)["scenario"]
    except (OSError, ValueError, KeyError) as e:
        raise UsageError(f"{frames}: not a run record ({e})") from None
    from sim.theatre import build_theatre
    from sim.view.app import Replay, play, screenshot

    theatre = build_theatre()
    scenario = load_scenario(args.scenario or REPO / "scenarios" / f"{scenario_id}.yaml",
                             theatre)
    if scenario.id != scenario_id:
        raise UsageError(f"{args.scenario}: scenario {scenario.id!r}, but the run is of "
                         f"{scenario_id!r}")
    replay = Replay.load(args.run_dir, theatre, scenario)
    if args.screenshot:
        screenshot(replay, args.screenshot, args.at or scenario.end, size=args.size)
        print(f"wrote {args.screenshot}")
    elif display_available():
        from sim.view.whatif_job import Brancher

        play(replay, size=args.size, brancher=Brancher.for_saved(
            args.run_dir, replay, scenario, theatre,
            args.scenario or REPO / "scenarios" / f"{scenario_id}.yaml"))
    else:
        raise UsageError("no display available to show the run (use --screenshot FILE.png)")
    return 0


def whatif(argv: list[str]) -> int:
    """The standard what-if table of a scenario (sim/whatif.py)."""
    ap = _Parser(prog="run.py whatif",
                 description="Run the scenario's standard counterfactuals and compare each "
                             "with the baseline (docs/whatif.md).")
    ap.add_argument("scenario", type=Path)
    ap.add_argument("--seeds", type=int, default=3, help="seeds 0..N-1 (default 3)")
    ap.add_argument("--set", dest="overrides", action="append", default=[],
                    metavar="NAME=VALUE", help="override a model parameter (repeatable)")
    ap.add_argument("--markdown", action="store_true", help="print a Markdown table")
    args = ap.parse_args(argv)
    if not 1 <= args.seeds <= 100:
        raise UsageError(f"--seeds {args.seeds}: expected 1 to 100")
    from sim import whatif as wi
    from sim.theatre import build_theatre

    theatre = build_theatre()
    scenario = load_scenario(args.scenario, theatre)
    if scenario.whatif is None:
        raise UsageError(f"{args.scenario}: no whatif: block (it names the key town, bridge "
                         "and attack the standard what-ifs vary; docs/whatif.md)")
    params = _params_for(scenario, args.overrides)
    seeds = list(range(args.seeds))
    variants = wi.standard_variants(scenario)
    runs = wi.run_all(scenario, theatre, params, seeds, variants)
    names = {n: theatre.graph.nodes[n]["name"] for n in theatre.graph.nodes}
    rows = wi.judge(scenario, runs, variants)
    print(wi.table(scenario, rows, seeds, names, markdown=args.markdown))
    return 0


def sweep(argv: list[str]) -> int:
    from sim.sweep import main as sweep_main

    return sweep_main(argv)


def compare_runs(argv: list[str]) -> int:
    from sim.sweep import compare_main

    return compare_main(argv)


def validate(argv: list[str]) -> int:
    from sim.authoring import validate_main

    return validate_main(argv)


def places(argv: list[str]) -> int:
    from sim.authoring import places_main

    return places_main(argv)


def preview(argv: list[str]) -> int:
    from sim.authoring import preview_main

    return preview_main(argv)


def schema(argv: list[str]) -> int:
    from sim.authoring import schema_main

    return schema_main(argv)


def new(argv: list[str]) -> int:
    from sim.authoring import new_main

    return new_main(argv)


def branch(argv: list[str]) -> int:
    from sim.branch_cli import branch_main

    return branch_main(argv)


def view(argv: list[str]) -> int:
    """`view RUN_DIR` replays a saved run; `view FILE.yaml` opens a what-if branch."""
    from sim.branch_cli import is_branch_file, view_main

    if argv and is_branch_file(argv[0]):
        return view_main(argv)
    return view_run(argv)


COMMANDS = {"params": list_params, "map": render_map, "view": view, "sweep": sweep,
            "compare": compare_runs, "whatif": whatif, "validate": validate,
            "places": places, "preview": preview, "schema": schema, "new": new,
            "branch": branch}


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        if argv and argv[0] in COMMANDS:
            return COMMANDS[argv[0]](argv[1:])
        return replay(argv)
    except ScenarioError as e:
        print(f"error: {e}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except UsageError as e:
        print(f"error: {e}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except OSError as e:  # a file that could not be written after all (disk full, ...)
        if isinstance(e, BrokenPipeError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return 0
        print(f"error: {e.filename or ''}: {e.strerror or e}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except BrokenPipeError:  # output piped into `head`: not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
