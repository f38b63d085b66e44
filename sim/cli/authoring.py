"""The scenario author's commands (registered in sim/cli/main.py):

    python run.py validate SCENARIO.yaml [...] [--strict]   check files, list every problem
    python run.py places QUERY | --near LAT,LON           find places on the map
    python run.py sources [QUERY] [--yaml]                 the shipped scenarios' citations
    python run.py preview SCENARIO.yaml --out start.png    draw the start, without simulating
    python run.py schema [--out FILE] [--markdown]         JSON Schema / the field reference
    python run.py new NAME|FILE [--out FILE] [--title TEXT]  a commented scenario to start from

Bad input raises `UsageError` (or the loader's `ScenarioError`): one line, exit code 2.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

from sim.cli.common import Parser, UsageError, check_writable
from sim.scenario import MAX_PROBLEMS, ScenarioError

REPO = Path(__file__).resolve().parents[2]


# ---------------------------------------------------------------------------------- validate
def validate_main(argv: list[str]) -> int:
    ap = Parser(
        prog="run.py validate",
        description=(
            "Check scenario files: every field (as a replay does) and the start they describe "
            "(units on enemy ground, dates outside the scenario, sides without units or bases, "
            "ground cut off from supply, undeclared source keys, objectives with no route). "
            "Lists every problem as file:line: field: message. Exit code 2 if any file has an "
            "error, else 0 (warnings and notes are printed; a note says what the file's own "
            "sourced facts lead to, and is never an error)."
        ),
    )
    ap.add_argument("scenarios", nargs="+", type=Path, metavar="SCENARIO.yaml")
    ap.add_argument("--strict", action="store_true", help="treat warnings as errors")
    args = ap.parse_args(argv)
    from sim.map.theatre import build_theatre
    from sim.scenario.checks import check_file, report

    theatre = build_theatre()
    failed = 0
    for path in args.scenarios:
        try:
            _, problems = check_file(path, theatre)
        except ScenarioError as e:
            for line in e.lines(MAX_PROBLEMS):
                print(f"error: {line}", file=sys.stderr)
            sys.stderr.flush()
            fields = (
                "problem above" if len(e.problems) == 1 else f"{len(e.problems)} problems above"
            )
            print(
                f"{path}: invalid (fix the {fields} and validate again: the scenario "
                "as a whole is checked once every field is valid)"
            )
            failed += 1
            continue
        errors = report(problems, strict=args.strict)
        notes = sum(p.severity == "note" for p in problems)
        warnings = len(problems) - errors - notes
        counts = [
            f"{n} {w}{'s' if n != 1 else ''}"
            for n, w in ((errors, "error"), (warnings, "warning"), (notes, "note"))
            if n
        ]
        sys.stderr.flush()
        print(
            f"{path}: {'invalid' if errors else 'valid'}"
            + (f" ({', '.join(counts)})" if counts else ""),
            flush=True,
        )
        failed += bool(errors)
    return 2 if failed else 0


# ---------------------------------------------------------------------------------- places
def places_main(argv: list[str]) -> int:
    ap = Parser(
        prog="run.py places",
        description=(
            "Find places on the map by English, Ukrainian or Russian name, older name (Krasnyi "
            "Lyman, Artemivsk), misspelling, or position; print each one's id (what a scenario "
            "writes), names, terrain, population, and its neighbours with the road, railway or "
            "river crossing on each edge."
        ),
    )
    ap.add_argument("query", nargs="*", help="a name, e.g. Izium, Ізюм, Kharkov, izium_s")
    ap.add_argument(
        "--near",
        metavar="LAT,LON",
        help="the places nearest to a position in degrees, e.g. --near 49.21,37.26",
    )
    ap.add_argument(
        "--limit", type=int, default=5, metavar="N", help="at most N places (default 5)"
    )
    ap.add_argument("--brief", action="store_true", help="one line per place, no neighbours")
    ap.add_argument(
        "--scenario",
        type=Path,
        default=None,
        metavar="FILE.yaml",
        help="look on this scenario's map too: the places its places: block adds",
    )
    args = ap.parse_args(argv)
    from sim.map import places
    from sim.map.theatre import build_theatre
    from sim.scenario import read_scenario_theatre

    query = " ".join(args.query).strip()
    if query and not args.near and places.looks_like_position(query):
        query, args.near = "", query  # `places 49.21,37.26` is `places --near 49.21,37.26`
    if not query and not args.near:
        raise UsageError("give a name to look for, or --near LAT,LON (see run.py places --help)")
    if query and args.near:
        raise UsageError("give a name or --near LAT,LON, not both")
    if not 1 <= args.limit <= 500:
        raise UsageError(f"--limit {args.limit}: expected 1 to 500")
    theatre = build_theatre()
    if args.scenario is not None:
        theatre = read_scenario_theatre(args.scenario, theatre)
    g = theatre.graph
    if args.near:
        try:
            lat, lon = places.parse_lat_lon(args.near)
        except ValueError as e:
            raise UsageError(f"--near: {e}") from None
        if places.outside_box(lat, lon):
            print(
                f"note: {lat:.4f} N {lon:.4f} E lies outside the map "
                "(35.8-38.6 E, 48.5-50.7 N); the nearest places on it:"
            )
        found = [
            (
                n,
                f"{km:.1f} km {places.bearing(lat, lon, g.nodes[n]['lat'], g.nodes[n]['lon'])}"
                " of the position",
            )
            for n, km in places.nearest(theatre, lat, lon, args.limit)
        ]
    else:
        matches = places.search(theatre, query, args.limit)
        if not matches:
            print(
                f"no place on the map matches {query!r} (try part of the name, or --near LAT,LON)",
                file=sys.stderr,
            )
            return 1
        found = [(m.node, _match_note(m, g, query)) for m in matches]
        if not any(m.how == "exact" for m in matches):
            print(
                f"no place named {query!r} on the map (a village it lacks can be added: "
                "places:, docs/scenarios.md); the nearest names:" + ("" if args.brief else "\n")
            )
    for i, (node, note) in enumerate(found):
        tail = f"   ({note})" if note else ""
        if args.brief:
            d = g.nodes[node]
            where = places.landmark(theatre, node)
            print(
                f"{node:<24} {d['name']} · {d['name_uk']} · {d['terrain']} · "
                f"{d['population']:,}" + (f" · {where}" if where else "") + tail
            )
            continue
        if i:
            print()
        first, _, rest = places.describe(theatre, node).partition("\n")
        print(f"{first}{tail}\n{rest}")
    return 0


def _match_note(m, g, query: str) -> str:
    """How a place matched the query, as `places` prints it: nothing for its own name, else
    the name it matched by, labelled exact (another spelling or an alias), prefix or
    similar (a fuzzy match: perhaps another place)."""
    d = g.nodes[m.node]
    name = d["name"] if m.matched == m.node else m.matched
    if m.how == "exact":
        return "" if m.matched in (m.node, d["name"], d["name_uk"]) else f"exact: also {name!r}"
    if m.how == "prefix":
        return f"prefix: {name!r} starts with {query!r}"
    return f"similar: {name!r}"


# ---------------------------------------------------------------------------------- sources
def sources_main(argv: list[str]) -> int:
    ap = Parser(
        prog="run.py sources",
        description=(
            "The citation catalogue: every source key the shipped scenarios declare under "
            "sources:, with its text, the scenarios that declare it and how often each cites "
            "it, to reuse in a new scenario (copy the key and its cite: text, or print them "
            "ready to paste with --yaml)."
        ),
    )
    ap.add_argument(
        "query",
        nargs="*",
        help="a key (BTG, WKC) or words of its text (Reuters, Kupiansk); none: every key",
    )
    ap.add_argument(
        "--yaml", action="store_true", help="print the entries as a sources: block to paste"
    )
    args = ap.parse_args(argv)
    from sim.scenario import catalogue

    citations = catalogue.catalogue()
    query = " ".join(args.query).strip()
    found = catalogue.search(citations, query) if query else citations
    if not found:
        print(
            f"no source key or text in the shipped scenarios matches {query!r} "
            f"({len(citations)} keys: python run.py sources, without a query, lists them)",
            file=sys.stderr,
        )
        return 1
    if args.yaml:
        print("sources:\n" + "\n".join(c.yaml() for c in found))
        return 0
    for c in found:
        used = ", ".join(f"{sid} ({n}×)" for sid, n in c.used.items())
        print(f"{c.key}\n  {c.cite}\n  declared in {used}")
    if not query:
        print(f"{len(found)} keys; python run.py sources QUERY finds one, --yaml to paste it")
    return 0


# ---------------------------------------------------------------------------------- preview
def preview_main(argv: list[str]) -> int:
    ap = Parser(
        prog="run.py preview",
        description=(
            "Draw the start of a scenario without simulating: who holds what, units (arrivals "
            "faded, with their date), depots and bases, each order as an arrow to its objective, "
            "the control regions. The scenario is checked first; its problems are printed."
        ),
    )
    ap.add_argument("scenario", type=Path, metavar="SCENARIO.yaml")
    ap.add_argument(
        "--out",
        type=Path,
        default=None,
        metavar="FILE.png",
        help="PNG to write (default <scenario id>_start.png in the current folder)",
    )
    ap.add_argument(
        "--size", default="1400x900", metavar="WxH", help="image size in pixels (default 1400x900)"
    )
    args = ap.parse_args(argv)
    size = _size(args.size)
    if args.out is not None and args.out.suffix.lower() != ".png":
        raise UsageError(f"--out {args.out}: expected a .png file name")
    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    from sim.map.theatre import build_theatre
    from sim.scenario import read_scenario
    from sim.scenario.checks import check_loaded, report

    loaded = read_scenario(args.scenario, build_theatre())
    scenario, theatre = loaded.scenario, loaded.theatre
    assert theatre is not None
    problems = check_loaded(loaded, theatre)
    out = args.out or Path(f"{scenario.id}_start.png")
    check_writable(out, "--out")
    report(problems)
    if not all(any(u.side == s for u in scenario.units) for s in ("UA", "RU")):
        raise UsageError(
            f"{args.scenario}: cannot draw the start of a scenario without units of both sides"
        )
    from sim.view.preview import render_preview

    written = render_preview(scenario, theatre, out, size=size, problems=problems)
    more = f" (and the orders that did not fit: {', '.join(map(str, written[1:]))})"
    print(f"wrote {out}" + (more if len(written) > 1 else ""))
    return 0


def _size(text: str) -> tuple[int, int]:
    w, sep, h = text.lower().partition("x")
    if (
        not sep
        or not w.isdigit()
        or not h.isdigit()
        or not (640 <= int(w) <= 8000)
        or not (480 <= int(h) <= 8000)
    ):
        raise UsageError(f"--size {text}: expected WIDTHxHEIGHT between 640x480 and 8000x8000")
    return int(w), int(h)


# ---------------------------------------------------------------------------------- schema
def schema_main(argv: list[str]) -> int:
    ap = Parser(
        prog="run.py schema",
        description=(
            "Print the JSON Schema of a scenario file (for editors: VS Code's YAML extension or "
            "any yaml-language-server client completes and checks fields with it), or with "
            "--markdown the field reference (docs/scenario-reference.md)."
        ),
    )
    ap.add_argument("--out", type=Path, default=None, help="write to FILE instead of printing")
    ap.add_argument(
        "--markdown",
        action="store_true",
        help="the field reference in Markdown instead of the JSON Schema",
    )
    args = ap.parse_args(argv)
    from sim.scenario.reference import json_schema_text, reference_markdown

    text = reference_markdown() if args.markdown else json_schema_text()
    want = ".md" if args.markdown else ".json"
    if args.out is not None and args.out.suffix.lower() != want:
        raise UsageError(f"--out {args.out}: expected a {want} file name")
    if args.out is None:
        print(text, end="")
        return 0
    check_writable(args.out, "--out")
    args.out.write_text(text, encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


# ---------------------------------------------------------------------------------- new
NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")


def new_main(argv: list[str]) -> int:
    ap = Parser(
        prog="run.py new",
        description=(
            "Start a scenario from the commented template (scenarios/TEMPLATE.yaml): a small "
            "operation that validates and runs as it is. Then edit it with "
            "docs/scenario-reference.md, places, preview and validate at hand."
        ),
    )
    ap.add_argument(
        "name",
        help="scenario id: lower case letters, digits, underscores (e.g. kupiansk_raid); "
        "or a file path (ops/kupiansk_raid.yaml), whose name is the id",
    )
    ap.add_argument(
        "--out",
        type=Path,
        default=None,
        metavar="FILE.yaml",
        help="file to write (default scenarios/NAME.yaml if there is a scenarios "
        "folder here, else NAME.yaml)",
    )
    ap.add_argument("--title", default=None, help="the scenario's title")
    ap.add_argument(
        "--examples",
        action="store_true",
        help="switch on the optional examples of the template (added places and crossings, "
        "holding forces, a fallback, a unit leaving, phases): a file that shows "
        "every optional field at work, to cut down",
    )
    args = ap.parse_args(argv)
    if args.name.endswith(("/", os.sep)):
        raise UsageError(
            f"{args.name!r}: expected a scenario name or a .yaml file path, not a folder "
            "(e.g. ops/kupiansk_raid.yaml)"
        )
    given = Path(args.name).expanduser()
    if args.out is not None:
        args.out = args.out.expanduser()
    if given.name != args.name or given.suffix.lower() in (".yaml", ".yml"):
        # `new ops/kupiansk_raid` or `new kupiansk_raid.yaml`: the file, named by its id
        if not given.name or given.name in (".", ".."):
            raise UsageError(f"{args.name!r}: expected a scenario name or a .yaml file path")
        if args.out is not None:
            raise UsageError(
                f"{args.name!r}: give the file as NAME or with --out, not both "
                "(NAME is then the scenario id, e.g. kupiansk_raid)"
            )
        args.out = given if given.suffix else given.with_name(f"{given.name}.yaml")
        args.name = Path(given.name).stem
    if not NAME.match(args.name):
        raise UsageError(
            f"{args.name!r}: a scenario name is lower case letters, digits and "
            "underscores, starting with a letter (e.g. kupiansk_raid)"
        )
    out = args.out or (
        Path("scenarios") / f"{args.name}.yaml"
        if Path("scenarios").is_dir()
        else Path(f"{args.name}.yaml")
    )
    if out.suffix.lower() not in (".yaml", ".yml"):
        raise UsageError(f"--out {out}: expected a .yaml file name")
    if out.exists():
        raise UsageError(f"{out} exists already: choose another name or --out")
    if args.title is not None and not args.title.strip():
        raise UsageError("--title: give a title, or leave the option out")
    from sim.safe_io import lone_surrogate

    if args.title is not None and lone_surrogate(args.title):
        raise UsageError(
            "--title: holds bytes that are not UTF-8 text (is the terminal set to UTF-8?); "
            "a scenario file is UTF-8"
        )
    check_writable(out, "--out")
    from sim.scenario.reference import TEMPLATE_FILE, new_scenario_text

    try:  # the whole text first: nothing is created if it cannot be written
        data = new_scenario_text(args.name, args.title, out, args.examples).encode("utf-8")
    except UnicodeEncodeError:
        raise UsageError(
            f"--out {out}: a file name that is not UTF-8 text; choose another name"
        ) from None
    try:
        f = open(out, "xb")  # never over a file (or a link) made meanwhile
    except FileExistsError:
        raise UsageError(f"{out} exists already: choose another name or --out") from None
    except OSError as e:
        raise OSError(e.errno, e.strerror, str(out)) from None
    try:
        with f:
            f.write(data)
    except OSError as e:
        out.unlink(missing_ok=True)  # no empty or half file left behind
        raise OSError(e.errno, e.strerror, str(out)) from None
    # a path with a space still pastes as one argument, in the shell of this system
    shown = subprocess.list2cmdline([str(out)]) if os.name == "nt" else shlex.quote(str(out))
    print(
        f"wrote {out} (from {TEMPLATE_FILE.relative_to(REPO)}); next: edit it, then\n"
        f"  python run.py validate {shown}\n"
        f"  python run.py preview {shown} --out {args.name}_start.png\n"
        f"  python run.py {shown} --headless"
    )
    return 0
