"""The command line (run.py is a thin wrapper around `main`).

    python run.py SCENARIO.yaml [--headless] [--seed N] [--set name=value ...] [--out DIR]
    python run.py params                 list every model parameter
    python run.py map [--out FILE.png]   render the theatre to a PNG

Bad input (a scenario, a --set value, an option) gives one line on stderr naming the file,
field and what was expected, and exit code 2; never a traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
import textwrap
from pathlib import Path

from pydantic import ValidationError

from sim.params import Parameters, parse_set_option
from sim.scenario import ScenarioError, load_scenario

EXIT_BAD_INPUT = 2
REPO = Path(__file__).resolve().parent.parent


class UsageError(Exception):
    """Bad command-line input: reported in one line, exit code 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse exits 2 already; keep its one line
        self.print_usage(sys.stderr)
        raise UsageError(message)


def _replay_parser() -> argparse.ArgumentParser:
    ap = _Parser(prog="run.py", description="Replay a scenario. Subcommands: params, map.")
    ap.add_argument("scenario", help="scenario YAML file, e.g. scenarios/izium_2022_09.yaml")
    ap.add_argument("--headless", action="store_true", help="no window: print and write files")
    ap.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    ap.add_argument("--set", dest="overrides", action="append", default=[],
                    metavar="NAME=VALUE", help="override a model parameter (repeatable)")
    ap.add_argument("--out", type=Path, default=None,
                    help="output folder (default runs/<scenario>_seed<N>)")
    return ap


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
    from sim.model import CampaignModel
    from sim.report import daily_table, write_run
    from sim.theatre import build_theatre

    args = _replay_parser().parse_args(argv)
    theatre = build_theatre()
    scenario = load_scenario(args.scenario, theatre)
    params = _params_for(scenario, args.overrides)
    if not args.headless:
        print("The map viewer is not built yet: replaying headless.", file=sys.stderr)
    out = args.out or REPO / "runs" / f"{scenario.id}_seed{args.seed}"
    model = CampaignModel(scenario, theatre, params, seed=args.seed)
    record = model.run()
    print(f"{scenario.title}  (seed {args.seed}, {record.hours} hours)")
    print(daily_table(record))
    paths = write_run(record, out)
    print(f"wrote {', '.join(p.name for p in paths)} to {out}")
    return 0


def list_params(argv: list[str]) -> int:
    if argv:
        raise UsageError(f"params takes no arguments (got {' '.join(argv)})")
    for name, default, unit, meaning in Parameters.describe():
        print(f"{name} = {default} [{unit}]")
        print(textwrap.indent(textwrap.fill(meaning, 92), "    "))
    return 0


def render_map(argv: list[str]) -> int:
    ap = _Parser(prog="run.py map", description="Render the theatre to a PNG.")
    ap.add_argument("--out", type=Path, default=REPO / "docs" / "theatre.png")
    args = ap.parse_args(argv)
    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    from sim.theatre import build_theatre
    from sim.view.basemap import render_theatre_png

    args.out.parent.mkdir(parents=True, exist_ok=True)
    render_theatre_png(build_theatre(), args.out)
    print(f"wrote {args.out}")
    return 0


COMMANDS = {"params": list_params, "map": render_map}


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
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
