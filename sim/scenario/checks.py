"""Semantic checks of a scenario: what the loader cannot see from one field alone.

The loader (sim/scenario/loader.py) checks each field: types, allowed values, places on the map,
unit ids. These checks look at the scenario as a whole, at its start, the way the model will
see it, and return every problem found (never only the first), each located like a loader
error (``file:line: field.path: message``):

errors (the run would not be what the author meant; `validate` exits 2, a replay refuses):
  * a side with no units, or with no depot or base at all (its units are never in supply).
warnings (printed; `validate --strict` makes them errors):
  * a unit placed on ground the other side holds at the start (the model hands it the node);
    units of both sides on one node at the start;
  * a unit arriving on ground the other side holds at the start; a depot on ground its side
    does not hold at the start (it supplies nothing until its side takes the place);
  * a side with depots but no base (every depot then counts as a base and can never be cut);
  * ground a side holds at the start that no base or depot of its side reaches through ground
    it holds: the model hands it to the enemy as a pocket, ring by ring, from the first hour;
    ground outside the side's own country, at the map's edge, that reaches its bases only
    through one place (the Luhansk rear of September 2022 through Kreminna): the model would
    cut it off if that place fell. Both say where an `offmap:` base would go when the
    ground's supply came from beyond the map's edge;
  * orders, phases, events and arrivals dated before the start (they take effect at the
    start) or at or after the end (they never happen: a warning, since a run cut short on
    purpose, or a sweep's `--set end=...`, simply never reaches them); history observations
    outside the dates;
  * an objective a unit cannot reach: no route on the map from where its earlier orders leave
    it (typically a river with no bridge or ford on the way, for a unit without engineers);
  * a `fallback:` without a `source:` (where a side's units withdraw to is a fact about its
    plan, sourced like a grouping's);
  * a source key that `sources:` does not declare, cited in brackets (``[KEY]``) in a text
    field or a comment, or bare at the head of a `source:` text (``"UAWD 2022-09-11 ..."``):
    one rule wherever it is cited, a warning (the bare form is a heuristic, and a comment is
    no part of the scenario: neither may break a file that ran before).
notes (printed; never errors, not even with `validate --strict`):
  * ground a side holds at the start cut off from its supplied ground by a crossing the file
    gives as destroyed under `crossings:`, with a source key cited in a comment on its line or
    above it in the block (the Oskil dam road blown on 31 Mar 2022): the pocket is what the
    sources say, and no stand-in base is needed. Without the citation it stays a warning.

The start state (who holds what, crossings, supply) is the model's own: the checks build a
`CampaignModel` without running a step. Fields the checks do not know (a newer schema) are
ignored, never an error.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import IO, Any

import networkx as nx

from sim.map.theatre import Theatre
from sim.model.params import RETIRED, retired_warning
from sim.scenario import (
    SIDES,
    Problem,
    Scenario,
    ScenarioError,
    ScenarioFile,
    Severity,
    read_scenario,
)
from sim.scenario import yaml_location as _where
from sim.scenario.checks_supply import supply_reach

#: A cited source key in brackets, e.g. "[WKC]" (upper-case letter, then letters or digits).
BRACKET_KEY = re.compile(r"\[([A-Z][A-Z0-9]+)\]")
#: Bare source keys at the head of a `source:` clause, e.g. "ACCB, WKC: ..." or "UAWD 2022-..."
#: (a run of upper-case tokens followed by the end, punctuation, a bracket or a digit; a run
#: followed by a word, as in "UA General Staff", is not read as a citation).
BARE_KEYS = re.compile(r"^\s*((?:[A-Z][A-Z0-9]+(?:\s*[,/&]\s*|\s+and\s+)?)+?)\s*(?=$|[:;(,.\d\[])")
KEY_TOKEN = re.compile(r"[A-Z][A-Z0-9]+")
#: Fields that are free text and may cite sources (any field named so, at any depth).
TEXT_FIELDS = ("source", "text", "note", "description", "cite", "name", "title")


class ChecksFailed(ScenarioError):
    """Raised by `check_before_run` when a scenario has errors (already printed)."""


# --------------------------------------------------------------------------------- entry points
def check_file(path: str | Path, theatre: Theatre) -> tuple[Scenario, list[Problem]]:
    """Load a scenario against the map `theatre` (raising the loader's `ScenarioError` for a
    bad field) and run every semantic check on it (on its own map, with the places it adds);
    returns the resolved scenario and the problems, in file order."""
    loaded = read_scenario(path, theatre)
    return loaded.scenario, check_loaded(loaded, theatre)


def check_loaded(loaded: ScenarioFile, theatre: Theatre) -> list[Problem]:
    """The semantic checks of a scenario file already read (and resolved) by the loader, on
    its own map (the places it adds), else on `theatre`."""
    own = loaded.theatre or theatre
    return check_scenario(loaded.scenario, own, loaded.lines, loaded.file, loaded.text)


def check_scenario(
    scenario: Scenario, theatre: Theatre, root: Any, file: str, text: str = ""
) -> list[Problem]:
    """Every problem with a resolved scenario. `root` is the YAML tree from `parse_scenario`
    (for line numbers; or the lines of a file read back from the cache, `ScenarioFile.lines`);
    `text` the file's text (for source keys cited in comments)."""
    from sim.model import CampaignModel  # the start state is the model's own

    found = _Found(file, root, scenario)
    _sides(scenario, found)
    _dates(scenario, found)
    _source_keys(scenario, root, text, found)
    if scenario.fallback.items() and not scenario.fallback.source.strip():
        found.add(
            "warning",
            ("fallback",),
            "no source: say why these places (the line or the supply points a commander knew "
            "of, or 'estimate: ...'), as a grouping's fallback does",
        )
    if all(_units_of(scenario, s) for s in SIDES):
        model = CampaignModel(scenario, theatre, scenario.parameters_with(), seed=0)
        try:
            _start_positions(scenario, theatre, model, found)
            cited = cited_crossings(scenario, root, text)
            for severity, loc, message in supply_reach(scenario, model, found.root, cited):
                found.add(severity, loc, message)
            _routes(scenario, theatre, model, found)
        finally:
            model.release()
    return sorted(
        found.problems, key=lambda p: (p.line is None, p.line or 0, p.path, p.severity, p.message)
    )


def report(problems: list[Problem], *, strict: bool = False, stream: IO[str] | None = None) -> int:
    """Print problems one a line (``error: ...`` / ``warning: ...`` / ``note: ...``); returns
    how many count as errors (warnings too when `strict`; notes never)."""
    stream = stream or sys.stderr
    errors = 0
    for p in problems:
        is_error = p.severity == "error" or (strict and p.severity == "warning")
        errors += is_error
        print(f"{'error' if is_error else p.severity}: {p}", file=stream)
    return errors


def check_before_run(loaded: ScenarioFile, theatre: Theatre) -> None:
    """What a replay does before simulating: print the warnings to stderr; with any error,
    print the errors too and raise `ChecksFailed` (exit code 2 on the command line)."""
    problems = check_loaded(loaded, theatre)
    errors = report(problems)
    path = loaded.file
    if errors:
        raise ChecksFailed(
            path,
            f"{errors} error{'s' if errors > 1 else ''} (listed above; "
            f"python run.py validate {path} explains each)",
        )


# --------------------------------------------------------------------------------- helpers
class _Found:
    """Collects problems, locating each field in the YAML. A problem of a unit, depot, order or
    grouping the loader made (of a holding force, of an off-map base) is located at the entry
    it was made of, and names the item."""

    def __init__(self, file: str, root: Any, scenario: Scenario | None = None):
        self.file, self.root = file, root
        self.problems: list[Problem] = []
        self.made: dict[tuple, tuple[tuple, str]] = {}
        if scenario is not None:
            forces = {h.id: i for i, h in enumerate(scenario.holding_forces)}
            offmap = {o.id: i for i, o in enumerate(scenario.offmap)}
            for i, u in enumerate(scenario.units):
                if u.holding_force in forces:
                    self.made[("units", i)] = (("holding_forces", forces[u.holding_force]), u.id)
            for i, d in enumerate(scenario.depots):
                if d.offmap in offmap:
                    self.made[("depots", i)] = (("offmap", offmap[d.offmap]), d.id)
            for kind, ids, suffix in (
                ("groupings", [g.id for g in scenario.groupings], ""),
                ("orders", [o.id for o in scenario.orders], "_hold"),
            ):
                for i, ident in enumerate(ids):
                    hid = (ident or "").removesuffix(suffix)
                    if hid in forces and ident == hid + suffix:
                        self.made[(kind, i)] = (("holding_forces", forces[hid]), hid + suffix)

    def add(self, severity: Severity, loc: tuple, message: str, line: int | None = None) -> None:
        made = self.made.get(tuple(loc[:2]))
        if made is not None:
            loc, message = made[0], f"{made[1]} (made by the loader from this entry): {message}"
        where, path = _where(self.root, loc)
        self.problems.append(Problem(self.file, message, line or where, path, severity))


def _units_of(s: Scenario, side: str) -> list:
    return [u for u in s.units if u.side == side]


def _name(theatre_or_model: Any, node: str) -> str:
    g = getattr(theatre_or_model, "graph", None)
    return g.nodes[node]["name"] if g is not None and node in g else node


def _fmt(t: datetime) -> str:
    return f"{t:%Y-%m-%dT%H:%M}"


def objectives_of(order: Any) -> list[tuple[tuple, str]]:
    """(location relative to the order, place) of each objective of an order: `objective`,
    and the items of an `objectives` list (places, or mappings with a place field)."""
    out: list[tuple[tuple, str]] = []
    if isinstance(getattr(order, "objective", None), str):
        out.append((("objective",), order.objective))
    for j, item in enumerate(getattr(order, "objectives", None) or []):
        if isinstance(item, str):
            out.append((("objectives", j), item))
        else:
            for key in ("place", "objective", "at"):
                value = getattr(item, key, None)
                if isinstance(value, str):
                    out.append((("objectives", j, key), value))
                    break
    return out


# --------------------------------------------------------------------------------- the checks
def _sides(s: Scenario, found: _Found) -> None:
    """Each side has units and a base; units belong to a declared side."""
    for side in SIDES:
        if not _units_of(s, side):
            found.add(
                "error",
                ("units",),
                f"no {side} units: each side needs at least one (is the file cut off?)",
            )
        depots = [d for d in s.depots if d.side == side]
        loc = ("depots",) if s.depots else ()
        if not depots:
            found.add(
                "error",
                loc,
                f"{side} has no depot and no base: its units are never in "
                f"supply (add a depot of kind: base in its rear)",
            )
        elif not any(d.kind == "base" for d in depots):
            found.add(
                "warning",
                loc,
                f"{side} has depots but no base (kind: base): every "
                f"{side} depot then counts as a base, and none can ever be cut off",
            )
        if side not in s.sides and _units_of(s, side):
            found.add("warning", ("sides",), f"{side} has units but no entry under sides:")
    for name in s.parameters:  # all retired parameters were physics, never doctrine
        if name in RETIRED:
            found.add(
                "warning",
                ("parameters", name),
                f"{retired_warning(name)}; this file still loads, without the value",
            )


def _dates(s: Scenario, found: _Found) -> None:
    """Orders, events, arrivals and history dated outside start..end (warnings: a run cut
    short on purpose, `--set end=...` in a sweep, simply never reaches them)."""
    span = f"the scenario runs {_fmt(s.start)} to {_fmt(s.end)}"
    for i, u in enumerate(s.units):
        if u.arrives is None:
            continue
        if u.arrives >= s.end:
            found.add(
                "warning",
                ("units", i, "arrives"),
                f"{_fmt(u.arrives)} is at or after the end: the unit never arrives ({span})",
            )
        elif u.arrives <= s.start:
            found.add(
                "warning",
                ("units", i, "arrives"),
                f"{_fmt(u.arrives)} is not after the "
                f"start: it arrives in the first hour; leave arrives: out for a unit on "
                f"the map at the start ({span})",
            )
    for key, field, what in (
        ("orders", "start", "order"),
        ("phases", "start", "phase"),
        ("events", "at", "event"),
    ):
        for i, item in enumerate(getattr(s, key)):
            t = getattr(item, field, None)
            if not isinstance(t, datetime):
                continue
            if t >= s.end:
                found.add(
                    "warning",
                    (key, i, field),
                    f"{_fmt(t)} is at or after the end: the {what} never takes effect ({span})",
                )
            elif t < s.start:
                found.add(
                    "warning",
                    (key, i, field),
                    f"{_fmt(t)} is before the start: the {what} takes effect at the start ({span})",
                )
    for i, h in enumerate(s.history):
        for field in ("date", "until"):
            t = getattr(h, field, None)
            if isinstance(t, datetime) and (t.date() < s.start.date() or t.date() > s.end.date()):
                found.add(
                    "warning",
                    ("history", i, field),
                    f"{t:%Y-%m-%d} is outside the "
                    f"scenario ({span}): the run cannot be scored against it",
                )


def _strings(node: Any, loc: tuple = ()) -> Iterator[tuple[tuple, str]]:
    """(location, text) of every string in a dumped scenario."""
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _strings(v, (*loc, k))
    elif isinstance(node, list | tuple):
        for i, v in enumerate(node):
            yield from _strings(v, (*loc, i))
    elif isinstance(node, str):
        yield loc, node


def bare_keys(source: str) -> list[str]:
    """Source keys cited bare at the head of the clauses of a `source:` text:
    "ACCB, WKC: Izium ...; UAWD 2022-09-11" -> ["ACCB", "WKC", "UAWD"]."""
    out: list[str] = []
    for clause in source.split(";"):
        m = BARE_KEYS.match(clause)
        if m:
            out += KEY_TOKEN.findall(m.group(1))
    return out


def comment_of(line: str) -> str:
    """The comment part of a YAML line ("" if none): text after a '#' that starts the line or
    follows a space, outside quotes."""
    quote = None
    for i, ch in enumerate(line):
        if quote:
            if ch == quote:
                quote = None
        elif ch in "'\"" and (i == 0 or line[i - 1] in " :[{,-"):
            quote = ch
        elif ch == "#" and (i == 0 or line[i - 1] in " \t"):
            return line[i + 1 :]
    return ""


def cited_keys(s: Scenario, text: str = "") -> list[tuple[tuple | None, int | None, str, bool]]:
    """Every source key cited in a scenario: (field location or None for a comment, line in
    `text` or None, key, bracketed). Bracketed keys anywhere in a text field or a comment;
    bare keys at the head of `source:` clauses."""
    lines = text.splitlines()
    out: list[tuple[tuple | None, int | None, str, bool]] = []
    for loc, value in _strings(s.model_dump(exclude={"sources"})):
        if not loc or loc[-1] not in TEXT_FIELDS:
            continue
        for key in BRACKET_KEY.findall(value):
            out.append((loc, None, key, True))
        if loc[-1] == "source":
            out += [(loc, None, key, False) for key in bare_keys(value)]
    for n, line in enumerate(lines, start=1):
        for key in BRACKET_KEY.findall(comment_of(line)):
            out.append((None, n, key, True))
    return out


def cited_crossings(s: Scenario, root: Any, text: str) -> frozenset[str]:
    """The crossings `crossings:` gives as destroyed whose source is cited: a key `sources:`
    declares, in brackets in a comment on the entry's line, or above it in the block (or in
    the comment just above the block), as the shipped scenarios write them."""
    declared = {src.key for src in s.sources}
    lines = text.splitlines()
    block = _where(root, ("crossings",))[0]
    if block is None:
        return frozenset()
    first = block
    while first > 1 and lines[first - 2].lstrip().startswith("#"):
        first -= 1
    out = set()
    for cid, state in s.crossings.items():
        at = _where(root, ("crossings", cid))[0]
        if state != "destroyed" or at is None:
            continue
        comments = (comment_of(lines[n - 1]) for n in range(first, min(at, len(lines)) + 1))
        if any(key in declared for c in comments for key in BRACKET_KEY.findall(c)):
            out.add(cid)
    return frozenset(out)


def _source_keys(s: Scenario, root: Any, text: str, found: _Found) -> None:
    """Every citation of a key `sources:` does not declare: a warning, in a field or in a
    comment alike (the module docstring)."""
    declared = {src.key for src in s.sources}
    lines = text.splitlines()
    hint = "declare it under sources:, or write it differently if it is not a source key"
    for loc, line, key, bracketed in cited_keys(s, text):
        if key in declared:
            continue
        if loc is None:
            found.add(
                "warning",
                (),
                f"a comment cites [{key}], which sources: does not declare ({hint})",
                line=line,
            )
            continue
        where, _ = _where(root, loc)
        if bracketed and where is not None:  # the line of the citation inside a long text
            line = next(
                (n for n in range(where, len(lines) + 1) if f"[{key}]" in lines[n - 1]), where
            )
        what = f"cites [{key}]" if bracketed else f"starts by citing {key}"
        found.add("warning", loc, f"{what}, which sources: does not declare ({hint})", line=line)


def _start_positions(s: Scenario, theatre: Theatre, model: Any, found: _Found) -> None:
    """Units and depots against who holds their place at the start."""
    from sim.model.world import declared_control  # the model's own start control

    declared, why = declared_control(s, theatre)
    start_control = model.world.control
    at_start: dict[str, set[str]] = {}
    for i, u in enumerate(s.units):
        if u.arrives is None:
            at_start.setdefault(u.at, set()).add(u.side)
            if declared[u.at] != u.side:
                found.add(
                    "warning",
                    ("units", i, "at"),
                    f"{_name(theatre, u.at)} is held by "
                    f"{declared[u.at]} at the start ({why[u.at]}): the {u.side} unit takes "
                    f"it at the start; if that is meant, list it under control: nodes: "
                    f"{u.side}",
                )
        elif start_control[u.at] != u.side:
            found.add(
                "warning",
                ("units", i, "at"),
                f"arrives at {_name(theatre, u.at)}, held "
                f"by {start_control[u.at]} at the start: unless {u.side} takes it by "
                f"{_fmt(u.arrives)}, the unit arrives behind the enemy's line",
            )
    contested = set()
    for i, u in enumerate(s.units):
        if u.arrives is None and len(at_start[u.at]) > 1 and u.at not in contested:
            contested.add(u.at)
            found.add(
                "warning",
                ("units", i, "at"),
                f"units of both sides stand at "
                f"{_name(theatre, u.at)} at the start; the model gives the place to "
                f"{start_control[u.at]} (the side listed last)",
            )
    for i, d in enumerate(s.depots):
        if start_control[d.at] != d.side:
            found.add(
                "warning",
                ("depots", i, "at"),
                f"{_name(theatre, d.at)} is held by "
                f"{start_control[d.at]} at the start: this {d.side} {d.kind} supplies "
                f"nothing until {d.side} takes the place",
            )


def _routes(s: Scenario, theatre: Theatre, model: Any, found: _Found) -> None:
    """Each objective reachable on the map from where the unit's earlier orders leave it."""
    from sim.model.world import CrossingState

    passable = tuple(c.value for c in CrossingState if c.passable)
    bridgeable = tuple(c.value for c in CrossingState if c.bridgeable)
    g = theatre.graph
    specs = {u.id: u for u in s.units}
    destroyed = [
        (e.at, e.target)
        for e in s.events
        if e.kind == "destroy_bridge" and e.probability >= 1.0 and e.target
    ]
    order_idx = sorted(
        range(len(s.orders)), key=lambda i: (getattr(s.orders[i], "start", None) or s.start, i)
    )
    position = {u.id: u.at for u in s.units}
    for i in order_idx:
        order = s.orders[i]
        when = getattr(order, "start", None) or s.start
        gone = {c for t, c in destroyed if t <= when}
        targets = objectives_of(order)
        for uid in order.units:
            spec = specs.get(uid)
            if spec is None:
                continue
            here = position[uid]
            for loc, objective in targets:
                if objective not in g:
                    continue
                legs = [*[v for v in getattr(order, "via", []) or [] if v in g], objective]
                missing = _no_route(
                    g, model, here, legs, spec.engineers, gone, passable, bridgeable
                )
                if missing:
                    found.add(
                        "warning",
                        ("orders", i, *loc),
                        f"{uid} has no route from "
                        f"{_name(theatre, here)} to {_name(theatre, objective)}"
                        f"{missing}",
                    )
                here = objective
            position[uid] = here


def _no_route(
    g,
    model,
    start: str,
    legs: list[str],
    engineers: bool,
    gone: set[str],
    passable: tuple,
    bridgeable: tuple,
) -> str:
    """ "" if a route runs start -> legs in order; else why not (for the message)."""

    def state(cid: str) -> str:
        return "destroyed" if cid in gone else model.world.crossings[cid].value

    def usable(u, v, d):
        cid = d.get("crossing")
        if cid is None or state(cid) in passable or (engineers and state(cid) in bridgeable):
            return d["length_km"]
        return None

    here = start
    for leg in legs:
        if leg == here:
            continue
        try:
            nx.shortest_path(g, here, leg, weight=usable)
        except nx.NetworkXNoPath:
            try:
                path = nx.shortest_path(g, here, leg, weight="length_km")
            except nx.NetworkXNoPath:
                return ": the two places are not connected on the map"
            blocked = []
            for a, b in zip(path, path[1:], strict=False):
                cid = g.edges[a, b].get("crossing")
                if cid is not None and usable(a, b, g.edges[a, b]) is None:
                    c = model.theatre.crossings[cid]
                    what = (
                        "its bridge is destroyed"
                        if state(cid) == "destroyed"
                        else "no bridge or ford there"
                    )
                    blocked.append(
                        f"the {c.river} between {g.nodes[a]['name']} and "
                        f"{g.nodes[b]['name']} ({what})"
                    )
            via = f" (via {g.nodes[leg]['name']})" if leg != legs[-1] else ""
            return (
                f"{via}: the way crosses {'; '.join(dict.fromkeys(blocked))}. Give the "
                "unit engineers: true (it bridges rivers with pontoons), add a via: "
                "over a bridge, or pick an objective on this bank"
            )
        here = leg
    return ""
