"""Where a scenario is read: YAML file -> validated, typed `Scenario` (sim/scenario/schema.py).

The loader keeps the YAML's line numbers (ruamel.yaml round-trip nodes) so that every problem,
whether YAML syntax, a wrong type, an unknown field, a place that is not on the map or an end
date before the start, is reported as ``file:line: field.path: what was expected``. All the
problems of a file are reported at once: a `ScenarioError` carries the list (`problems`), in
file order, and the command line prints one line each and exits with code 2. A value YAML reads
but Python cannot hold (30 February, hour 25, ``!!int izium``) is one of these problems, at its
own line and field; only a YAML syntax error (bad indentation, an unclosed quote) stops the
reading, as the one problem of the file.

Hostile input is refused before it can hang or exhaust memory (sim/safe_io.py): only regular
files of at most 1 MiB, YAML nested at most 40 deep with at most 50,000 nodes and 200,000 values
once aliases are expanded. A scenario lasts at most `MAX_DAYS` days and has at most `MAX_UNITS`
units unless the caller lifts the cap (`--max-days`, `--max-units`): a run keeps every unit's
every hour in memory.
"""

from __future__ import annotations

import difflib
import functools
import io
import json
import os
import typing
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from sim import disk_cache
from sim.safe_io import (
    MAX_YAML_BYTES,
    FileProblem,
    TooManyValues,
    count_values,
    lone_surrogate,
    read_text,
    yaml_loader,
    yaml_problem,
)
from sim.scenario import expand
from sim.scenario.additions import CrossingSite, PlaceSpec
from sim.scenario.expand import items_of
from sim.scenario.problems import (
    Problem,
    ScenarioError,
    field_path,
    line_of,
    lines_data,
    lines_from_data,
    located,
    raise_all,
    unreadable_problems,
    unreadable_values,
)
from sim.scenario.references import place_fields, reference_problems
from sim.scenario.schema import Scenario

if TYPE_CHECKING:
    from sim.map.theatre import Theatre

#: Longest scenario (end - start) loaded without lifting the cap (`--max-days`): a run keeps
#: every hour's frame in memory (about 1 MiB an hour for 40 units; March 2022 is 39 days).
MAX_DAYS = 120
#: Most units a scenario has without lifting the cap (`--max-units`): five times the largest
#: shipped order of battle (41 units, September). A run keeps every unit's every hour in memory
#: (`RUN_BYTES_PER_UNIT_HOUR`): 200 units for 120 days are about 0.8 GB, and a sweep holds that
#: in each worker; 1,000 units took 4 GB and 70 s to replay.
MAX_UNITS = 200
#: Memory a run takes per unit and simulated hour (measured: 1,000 units for 120 days took
#: 4.0 GB), for the message that says what a scenario over the cap would cost.
RUN_BYTES_PER_UNIT_HOUR = 1400
#: Kinds of crossing a strike or a demolition can destroy: bridges, and a pontoon a scenario
#: adds (sim/model/world.py, `CrossingState.destructible`)
DESTRUCTIBLE = ("bridge", "rail_bridge", "pontoon")
#: Most problems one ScenarioError lists (a mangled file can have thousands).
MAX_PROBLEMS = 100
#: Scenario files kept read in the cache (about 0.2 MB each): the shipped ones, the lessons'
#: and an author's few, under each of the maps and caps they are read with
SCENARIOS_KEPT = 32


def _yaml() -> YAML:
    """The scenario reader: round-trip (keeps line/column marks), YAML 1.2 (so NO stays a
    string), no duplicate keys, and sim.safe_io's limits on depth and size. A value Python
    cannot hold (30 February, hour 25, ``!!int izium``) is kept as an `UnreadableValue`, so
    that it is reported with the file's other problems rather than alone."""
    return yaml_loader("rt", keep_unreadable=True)


def _plain(node: Any) -> Any:
    """ruamel's commented containers -> plain dicts/lists (scalars kept; a YAML timestamp
    becomes a datetime, keeping its UTC offset so that the schema can refuse it)."""
    if isinstance(node, dict):
        return {str(k) if not isinstance(k, str) else k: _plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_plain(v) for v in node]
    if hasattr(node, "year") and type(node).__name__ == "TimeStamp":
        return datetime(
            node.year, node.month, node.day, node.hour, node.minute, node.second, tzinfo=node.tzinfo
        )
    return node


def _model_at(loc: tuple[Any, ...]) -> type[BaseModel] | None:
    """The schema class whose field `loc` names (for 'did you mean' on unknown fields)."""
    cls: Any = Scenario
    for key in loc[:-1]:
        if isinstance(key, int) or not (isinstance(cls, type) and issubclass(cls, BaseModel)):
            continue
        if key not in cls.model_fields:
            return None
        ann = cls.model_fields[key].annotation
        while typing.get_args(ann) and not (isinstance(ann, type) and issubclass(ann, BaseModel)):
            models = [
                a for a in typing.get_args(ann) if isinstance(a, type) and issubclass(a, BaseModel)
            ]
            ann = models[0] if models else typing.get_args(ann)[-1]
        cls = ann
    return cls if isinstance(cls, type) and issubclass(cls, BaseModel) else None


def _validation_problems(
    file: str,
    root: Any,
    err: ValidationError,
    unreadable: frozenset[tuple[Any, ...]] = frozenset(),
    expected: dict[tuple[Any, ...], str] | None = None,
) -> list[Problem]:
    """Every error of a pydantic ValidationError as a located Problem. Errors at or under a
    location in `unreadable` (values the YAML reader could not read, reported on their own)
    are left out; what the schema expected at exactly such a location (its one message,
    "Input should be" dropped) goes into `expected`."""
    out = []
    said: dict[tuple[Any, ...], list[str]] = {}
    for e in err.errors():
        loc = tuple(x for x in e["loc"] if not (isinstance(x, str) and "[" in x))
        cut = next((loc[:n] for n in range(len(loc) + 1) if loc[:n] in unreadable), None)
        if cut is not None:
            said.setdefault(cut, []).append(e["msg"])
            continue
        msg = e["msg"].removeprefix("Value error, ")
        if e["type"] == "extra_forbidden":
            model = _model_at(loc)
            close = (
                difflib.get_close_matches(str(loc[-1]), list(model.model_fields), n=1)
                if model is not None and loc
                else []
            )
            hint = f" (did you mean {close[0]}?)" if close else ""
            msg = f"unknown field (not part of the scenario schema){hint}"
        elif e["type"] == "missing":
            msg = "required field is missing"
        out.append(located(file, root, loc, msg))
    if expected is not None:
        for loc, msgs in said.items():
            if len(msgs) == 1 and msgs[0].startswith("Input should be "):
                expected[loc] = msgs[0].removeprefix("Input should be ")
    return out


def check_references(s: Scenario, file: str, root: Any) -> None:
    """Unit and depot ids unique; orders name units that exist. Raises ScenarioError listing
    every problem."""
    raise_all(file, reference_problems(s.model_dump(), file, root, authored=False))


def _duration_problems(
    s: Scenario,
    file: str,
    root: Any,
    max_days: float | None,
    max_units: int | None = None,
) -> list[Problem]:
    """A scenario longer than `max_days` days, or with more than `max_units` units (None: no
    cap): a run keeps every unit's every hour in memory."""
    out = []
    if max_days is not None and s.hours > max_days * 24:
        out.append(
            located(
                file,
                root,
                ("end",),
                f"the scenario lasts {s.hours / 24:,.1f} days; the "
                f"limit is {max_days:g} days (a run keeps every hour in memory): shorten "
                "it, or lift the limit knowingly with --max-days",
            )
        )
    if max_units is not None and len(s.units) > max_units:
        size = len(s.units) * s.hours * RUN_BYTES_PER_UNIT_HOUR
        memory = f"{size / 1e9:,.1f} GB" if size >= 1e9 else f"{size / 1e6:,.0f} MB"
        out.append(
            located(
                file,
                root,
                ("units",),
                f"{len(s.units):,} units; the limit is {max_units:,} (a run keeps every unit's "
                f"every hour in memory: this one would take about {memory}, and each sweep "
                "worker as much): split the operation, or lift the limit knowingly with "
                "--max-units",
            )
        )
    return out


def check_duration(
    s: Scenario,
    file: str,
    root: Any,
    max_days: float | None = MAX_DAYS,
    max_units: int | None = MAX_UNITS,
) -> None:
    """Raise ScenarioError if the scenario lasts longer than `max_days` or has more than
    `max_units` units (None: no cap)."""
    raise_all(file, _duration_problems(s, file, root, max_days, max_units))


def _place_problems(data: Any, theatre: Theatre, file: str, root: Any) -> list[Problem]:
    """Places not on the map (the scenario's own, `theatre`: its places added); event targets
    that are no bridge or no depot of the scenario."""
    from sim.map.theatre import normalised

    out: list[Problem] = []
    added = expand.added_names(data)
    held: dict[str, tuple[str, Any]] = {}  # node -> (side, the place as written) in control.nodes
    for loc, value in place_fields(data):
        try:
            node = theatre.resolve(value)
        except KeyError as e:
            if normalised(value) in added:
                continue  # an added place that could not be built (reported at places:)
            msg = e.args[0] if e.args else f"no place named {value!r} on the map"
            out.append(located(file, root, loc, str(msg)))
            continue
        if loc[:2] == ("control", "nodes"):
            side = str(loc[2])
            if node in held and held[node][0] != side:
                out.append(
                    located(
                        file,
                        root,
                        loc,
                        f"{value!r} is also listed under control.nodes.{held[node][0]} (as "
                        f"{held[node][1]!r}): a place is held by one side at the start; "
                        "keep it under one",
                    )
                )
            held.setdefault(node, (side, value))
    depot_ids = {d.get("id") for _, d in items_of(data, "depots")}
    for i, ev in items_of(data, "events"):
        loc, target, kind = ("events", i, "target"), ev.get("target"), ev.get("kind")
        if not isinstance(target, str):
            continue
        if kind == "destroy_bridge" and target not in theatre.crossings:
            close = difflib.get_close_matches(target, list(theatre.crossings), n=3)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            out.append(
                located(file, root, loc, f"no bridge or crossing {target!r} on the map{hint}")
            )
        elif kind == "destroy_bridge" and theatre.crossings[target].kind not in DESTRUCTIBLE:
            out.append(
                located(
                    file,
                    root,
                    loc,
                    f"{target!r} is a "
                    f"{theatre.crossings[target].kind!r} crossing, not a bridge: "
                    "there is nothing to destroy",
                )
            )
        elif kind == "strike_depot" and target not in depot_ids:
            out.append(located(file, root, loc, f"no depot {target!r} in this scenario"))
    crossings = data.get("crossings") if isinstance(data, dict) else None
    bridges = [
        (("crossings", cid), cid, state)
        for cid, state in (crossings.items() if isinstance(crossings, dict) else [])
    ]
    whatif = data.get("whatif") if isinstance(data, dict) else None
    if isinstance(whatif, dict) and whatif.get("key_bridge") is not None:
        bridges.append((("whatif", "key_bridge"), whatif.get("key_bridge"), "indestructible"))
    for loc, cid, state in bridges:
        if not isinstance(cid, str):
            continue
        if cid not in theatre.crossings:
            close = difflib.get_close_matches(cid, list(theatre.crossings), n=3)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            out.append(located(file, root, loc, f"no bridge or crossing {cid!r} on the map{hint}"))
        elif theatre.crossings[cid].kind not in DESTRUCTIBLE and state in (
            "destroyed",
            "indestructible",
            "rigged",
        ):
            out.append(
                located(
                    file,
                    root,
                    loc,
                    f"{cid!r} is a {theatre.crossings[cid].kind!r} crossing, not a bridge",
                )
            )
    return out


def _resolved(s: Scenario, theatre: Theatre) -> Scenario:
    """The scenario with every place name replaced by its node id (places already checked) and
    its additions expanded (sim/scenario/expand.py: the units of its holding forces, the bases
    of its off-map entries). `theatre` is the scenario's own (its places added). Raises
    ExpandError."""
    data = s.model_dump()
    for loc, value in place_fields(data):
        node = data
        for key in loc[:-1]:
            node = node[key]
        node[loc[-1]] = theatre.resolve(value)
    expand.expand(data, theatre)
    return Scenario.model_validate(data)


def _resolved_or_raise(s: Scenario, theatre: Theatre, file: str, root: Any) -> Scenario:
    """`_resolved`, its expansion problems raised as a ScenarioError located in the file."""
    try:
        return _resolved(s, theatre)
    except expand.ExpandError as e:
        raise_all(file, [located(file, root, loc, msg) for loc, msg in e.problems])
        raise AssertionError("unreachable") from None


def resolve_places(s: Scenario, theatre: Theatre, file: str, root: Any) -> Scenario:
    """Check every place against the scenario's map and replace names by node ids; expand its
    holding forces and off-map bases. `theatre` is the base map or the scenario's own
    (`theatre_for`). Also checks event targets (bridges, depots). Raises ScenarioError listing
    every problem."""
    data = s.model_dump()
    own, problems = theatre, list[Problem]()
    if any(p.id not in theatre.graph for p in s.places) or any(
        c.id not in theatre.crossings for c in s.new_crossings
    ):
        own, problems = expand.own_theatre(data, theatre, file, root)
    raise_all(file, problems + _place_problems(data, own, file, root))
    return _resolved_or_raise(s, own, file, root)


def _unicode_problems(data: Any, file: str, root: Any) -> list[Problem]:
    """Text no file can hold: a YAML escape such as "\\ud800" gives a lone surrogate."""
    out: list[Problem] = []
    stack: list[tuple[tuple[Any, ...], Any]] = [((), data)]
    while stack:
        loc, node = stack.pop()
        if isinstance(node, dict):
            stack += [(loc + (k,), v) for k, v in node.items()]
            stack += [(loc, k) for k in node if isinstance(k, str)]
        elif isinstance(node, list):
            stack += [(loc + (i,), v) for i, v in enumerate(node)]
        elif isinstance(node, str) and lone_surrogate(node):
            out.append(
                located(
                    file,
                    root,
                    loc,
                    "text that is not valid Unicode (a lone surrogate such as \\ud800)",
                )
            )
    return out


def _load(
    text: str,
    file: str,
    theatre: Theatre | None,
    max_days: float | None,
    max_units: int | None = MAX_UNITS,
) -> tuple[Scenario, Any]:
    """Parse, validate and (with a theatre) resolve; every problem found is raised at once."""
    if len(text) > MAX_YAML_BYTES:  # characters <= bytes: a cheap first check
        raise ScenarioError(
            file, f"larger than the {MAX_YAML_BYTES // 1024 // 1024} MiB a scenario may have"
        )
    try:
        root = _yaml().load(io.StringIO(text))
    except (YAMLError, ValueError, TypeError, OverflowError, RecursionError) as e:
        p = yaml_problem(file, e)
        raise ScenarioError(file, p.message, p.line) from None
    if not isinstance(root, dict):
        raise ScenarioError(file, "expected a mapping of scenario fields at the top level", 1)
    try:
        count_values(root)
        data = _plain(root)
    except TooManyValues as e:
        raise ScenarioError(file, f"YAML: {e}") from None
    except (ValueError, TypeError, OverflowError) as e:
        raise ScenarioError(file, f"YAML value: {e}") from None
    problems: list[Problem] = _unicode_problems(data, file, root)
    unreadable = unreadable_values(root)
    expected: dict[tuple[Any, ...], str] = {}
    scenario = None
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as err:
        locs = frozenset(loc for loc, _ in unreadable)
        problems += _validation_problems(file, root, err, locs, expected)
    problems += unreadable_problems(file, unreadable, expected)
    problems += reference_problems(data, file, root)
    if theatre is not None:
        theatre, found = expand.own_theatre(data, theatre, file, root)
        problems += found + _place_problems(data, theatre, file, root)
    if scenario is not None:
        problems += _duration_problems(scenario, file, root, max_days, max_units)
    raise_all(file, problems)
    assert scenario is not None
    if theatre is not None:
        scenario = _resolved_or_raise(scenario, theatre, file, root)
    return scenario, root


def parse_scenario(
    text: str,
    file: str = "<scenario>",
    max_days: float | None = MAX_DAYS,
    max_units: int | None = MAX_UNITS,
) -> tuple[Scenario, Any]:
    """Parse and validate YAML text; returns the scenario and the raw YAML tree (for lines).
    Raises ScenarioError listing every problem (schema, references, a duration over
    `max_days` days or more than `max_units` units; None: no cap)."""
    return _load(text, file, None, max_days, max_units)


def read_scenario_text(path: str | Path) -> str:
    """The text of a scenario file: a regular UTF-8 file of at most MAX_YAML_BYTES. Raises
    ScenarioError (a pipe, a device, a folder, a huge or binary file are refused unread)."""
    try:
        return read_text(path, MAX_YAML_BYTES, "scenario .yaml file")
    except FileProblem as e:
        raise ScenarioError(str(path), e.message, e.line) from None


class ScenarioFile:
    """A scenario file as read: its name, text and scenario; `lines`, what locates a field
    (`yaml_location`, `line_of`): the YAML tree, or for a file read back from the cache the
    tree's shape and lines only (sim/scenario/problems.py: `LineMap`); `root`, the YAML tree
    itself (a file read back from the cache is parsed again for it, when asked); and
    `theatre`, the scenario's own map when it was read against one (`theatre_for`: the map
    with the places it adds; the map itself when it adds none)."""

    def __init__(
        self,
        file: str,
        text: str,
        scenario: Scenario,
        lines: Any,
        root: Any = None,
        theatre: Theatre | None = None,
    ):
        self.file, self.text, self.scenario, self.lines = file, text, scenario, lines
        self.theatre = theatre
        if root is not None:
            self.root = root

    @functools.cached_property
    def root(self) -> Any:
        return _yaml().load(io.StringIO(self.text))


def _scenario_entry(read: tuple[Scenario, Any]) -> disk_cache.Entry:
    """A scenario file read without problems, as a cache entry: the scenario as pydantic
    writes it, and the shape and lines of its YAML tree (JSON both)."""
    scenario, root = read
    lines = json.dumps(lines_data(root), separators=(",", ":")).encode()
    return disk_cache.Entry([scenario.model_dump_json().encode(), lines])


def _scenario_from_entry(entry: disk_cache.Entry) -> tuple[Scenario, Any]:
    scenario, lines = entry.docs
    return Scenario.model_validate_json(scenario), lines_from_data(json.loads(lines))


def read_scenario(
    path: str | Path,
    theatre: Theatre | None = None,
    max_days: float | None = MAX_DAYS,
    max_units: int | None = MAX_UNITS,
) -> ScenarioFile:
    """Read a scenario file, keeping what later checks need to locate a field (the text and
    the YAML tree: the file is parsed once). With a theatre (the base map), the scenario's own
    map is built (its places added: `ScenarioFile.theatre`), places are checked against it and
    resolved to node ids, and its holding forces and off-map bases are expanded. A scenario
    longer than `max_days` days, or with more than `max_units` units, is refused (None: no
    cap).

    Raises ScenarioError (never another exception) listing every problem of the file.
    """
    file = str(path)
    text = read_scenario_text(path)
    key = theatre.key if theatre is not None else "no map"
    if not key:  # a map not built through the cache: read the file
        scenario, root = _load(text, file, theatre, max_days, max_units)
        return ScenarioFile(file, text, scenario, root, root, _own(scenario, theatre))
    # a file read before, with this text, name, map and caps, is read back from the cache
    # (sim/disk_cache.py): only a file without problems is kept
    read: list[Any] = []  # the YAML tree, when the file is read now

    def load() -> tuple[Scenario, Any]:
        scenario, root = _load(text, file, theatre, max_days, max_units)
        read.append(root)
        return scenario, root

    scenario, lines = disk_cache.cached(
        "scenario",
        disk_cache.key_of(
            text.encode("utf-8", "surrogatepass"),
            os.fsencode(file),
            key.encode(),
            repr((max_days, max_units)).encode(),
        ),
        load,
        _scenario_entry,
        _scenario_from_entry,
        SCENARIOS_KEPT,
    )
    root = read[0] if read else None
    return ScenarioFile(file, text, scenario, lines, root, _own(scenario, theatre))


def _own(scenario: Scenario, theatre: Theatre | None) -> Theatre | None:
    """The scenario's own map (`theatre_for`), None without a map."""
    if theatre is None:
        return None
    if not scenario.changes_map:
        return theatre
    from sim.scenario.theatre import theatre_for

    return theatre_for(scenario, theatre)


class _Places(BaseModel):
    """The ``places:`` and ``new_crossings:`` of a scenario file alone."""

    places: list[PlaceSpec] = []
    new_crossings: list[CrossingSite] = []


def read_scenario_theatre(path: str | Path, theatre: Theatre) -> Theatre:
    """The map of a scenario file (`theatre` with the places and crossings it adds), reading
    only its ``places:`` and ``new_crossings:``: for finding places while the rest of the
    file is being written. Raises ScenarioError listing the problems of what it adds."""
    file = str(path)
    text = read_scenario_text(path)
    try:
        root = _yaml().load(io.StringIO(text))
    except (YAMLError, ValueError, TypeError, OverflowError, RecursionError) as e:
        p = yaml_problem(file, e)
        raise ScenarioError(file, p.message, p.line) from None
    if not isinstance(root, dict):
        raise ScenarioError(file, "expected a mapping of scenario fields at the top level", 1)
    data = {key: _plain(root.get(key) or []) for key in ("places", "new_crossings")}
    problems: list[Problem] = []
    try:
        _Places.model_validate(data)
    except ValidationError as err:
        problems += _validation_problems(file, root, err)
    own, found = expand.own_theatre(data, theatre, file, root)
    raise_all(file, problems + found)
    return own


def load_scenario(
    path: str | Path,
    theatre: Theatre | None = None,
    max_days: float | None = MAX_DAYS,
    max_units: int | None = MAX_UNITS,
) -> Scenario:
    """The scenario of a file (`read_scenario` without the text and YAML tree)."""
    return read_scenario(path, theatre, max_days, max_units).scenario


def yaml_location(root: Any, loc: tuple[Any, ...]) -> tuple[int | None, str]:
    """(1-based line, field path such as ``units[3].at``) of a field in the YAML tree returned
    by `parse_scenario`: the loader's own lookup, for checks made outside the loader."""
    return line_of(root, loc), field_path(loc)
