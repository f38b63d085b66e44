"""What the loader (sim/scenario/loader.py) makes of a scenario's additions
(sim/scenario/additions.py):

* its own theatre: the added places checked (every name new to the map, inside the map's box)
  and the map built with them and the added crossings (`own_theatre`,
  sim/scenario/theatre.py);
* holding forces spread into plain units, a grouping and a hold order (`expand`): the parts of
  a holding force stand on the places of its line, the places named in `along` and those on
  the road between each two of them, in proportion to each place's share of the line's length
  (half of each stretch of line on either side of it), by largest remainders;
* the bases of off-map entries of kind ``base``: one base (a `Depot` of kind base) at each of
  its `at` places, so that supply enters the map there through the model's own depots.

What the loader makes is marked (`UnitSpec.holding_force`, `Depot.offmap`) and made again from
the additions whenever a scenario is resolved, so resolving twice (a sweep that changes a
field) gives the same scenario.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from sim.scenario.additions import CrossingSite, HoldingForce, OffMap, PlaceSpec, shares
from sim.scenario.problems import Problem, located

if TYPE_CHECKING:
    from sim.map.theatre import Theatre

Loc = tuple[Any, ...]


class ExpandError(Exception):
    """Problems found while expanding, each (location in the scenario, message)."""

    def __init__(self, problems: list[tuple[Loc, str]]):
        super().__init__("; ".join(f"{'.'.join(map(str, loc))}: {msg}" for loc, msg in problems))
        self.problems = problems


def items_of(data: Any, key: str) -> list[tuple[int, dict]]:
    """(index, item) of the mapping items of a top-level list field of raw scenario data."""
    items = data.get(key) if isinstance(data, dict) else None
    if not isinstance(items, list):
        return []
    return [(i, x) for i, x in enumerate(items) if isinstance(x, dict)]


def _valid(cls: Any, item: dict) -> Any:
    """`item` as a `cls`, or None when the schema rejects it (the schema reports it)."""
    try:
        return cls.model_validate(item)
    except (ValidationError, ValueError, TypeError):
        return None


# ------------------------------------------------------------------------------ added places
def added_names(data: Any) -> set[str]:
    """Every name (normalised) an added place is written with, valid or not: a reference to one
    of them is not reported as unknown when the places could not be built."""
    from sim.map.theatre import normalised

    out: set[str] = set()
    for _, item in items_of(data, "places"):
        for key in ("id", "name", "name_uk"):
            if isinstance(item.get(key), str):
                out.add(normalised(item[key]))
        aliases = item.get("aliases")
        out |= (
            {normalised(a) for a in aliases if isinstance(a, str)}
            if isinstance(aliases, list)
            else set()
        )
    return out


def own_theatre(data: Any, base: Theatre, file: str, root: Any) -> tuple[Theatre, list[Problem]]:
    """The scenario's theatre (its places and crossings added to `base`) and the problems of
    its places: a name the map already has, a position outside the map's box, a name two added
    places share, a place no road reaches; and of its crossings: a site no road can take.
    With any problem (or a place or crossing the schema rejects), `base`."""
    from sim.map.places import outside_box
    from sim.map.theatre import BOX, normalised
    from sim.scenario.theatre import AddedCrossingError, AddedPlaceError, theatre_for

    items = items_of(data, "places")
    sites = items_of(data, "new_crossings")
    if not items and not sites:
        return base, []
    crossings = [c for _, item in sites if (c := _valid(CrossingSite, item)) is not None]
    site_index = {item.get("id"): i for i, item in sites if isinstance(item.get("id"), str)}
    problems: list[Problem] = []
    specs: list[PlaceSpec] = []
    where: dict[str, int] = {}
    seen: dict[str, int] = {}
    for i, item in items:
        p = _valid(PlaceSpec, item)
        if p is None:
            continue
        specs.append(p)
        where[p.id] = i
        fields: list[tuple[Loc, str]] = [
            (("places", i, "id"), p.id),
            (("places", i, "name"), p.name),
        ]
        if p.name_uk:
            fields.append((("places", i, "name_uk"), p.name_uk))
        fields += [(("places", i, "aliases", j), a) for j, a in enumerate(p.aliases)]
        for loc, name in fields:
            try:
                node = base.resolve(name)
            except KeyError as e:
                if "ambiguous" not in str(e):
                    node = None
                else:
                    node = "several places"
            if node is not None:
                what = (
                    node
                    if node == "several places"
                    else f"{base.graph.nodes[node]['name']} ({node})"
                )
                problems.append(
                    located(
                        file,
                        root,
                        loc,
                        f"{name!r} is already a place on the map: {what}. An added place needs "
                        "names of its own (add the district, e.g. 'Dmytrivka (Izium)'); if it is "
                        "that place, name it instead of adding it",
                    )
                )
            key = normalised(name)
            if key in seen and seen[key] != i:
                problems.append(
                    located(file, root, loc, f"{name!r} also names places[{seen[key]}]")
                )
            seen.setdefault(key, i)
        if outside_box(p.lat, p.lon):
            problems.append(
                located(
                    file,
                    root,
                    ("places", i, "lat"),
                    f"({p.lat}, {p.lon}) lies outside the map (longitude {BOX[0]}-{BOX[2]} E, "
                    f"latitude {BOX[1]}-{BOX[3]} N): a place beyond the edge is an offmap: entry",
                )
            )
    if problems or len(specs) < len(items) or len(crossings) < len(sites):
        return base, problems
    try:
        return theatre_for(_Additions(specs, crossings), base), []
    except AddedPlaceError as e:
        return base, [located(file, root, ("places", where.get(e.place, 0), "lat"), e.message)]
    except AddedCrossingError as e:
        loc = ("new_crossings", site_index.get(e.crossing, 0), *e.field)
        return base, [located(file, root, loc, e.message)]
    except ValueError as e:
        return base, [located(file, root, ("places",) if specs else ("new_crossings",), str(e))]


class _Additions:
    """What `theatre_for` reads of a scenario: its places and crossings."""

    def __init__(self, places: list[PlaceSpec], new_crossings: list[CrossingSite]):
        self.places, self.new_crossings = places, new_crossings


# --------------------------------------------------------------------------- generated items
def part_ids(data: Any) -> dict[str, tuple[int, list[str]]]:
    """Holding force id -> (its index, the ids of the units it is spread in), for the holding
    forces the schema accepts (raw data: the reference checks know these units)."""
    out: dict[str, tuple[int, list[str]]] = {}
    for i, item in items_of(data, "holding_forces"):
        h = _valid(HoldingForce, item)
        if h is not None:
            out.setdefault(h.id, (i, h.part_ids()))
    return out


def reference_problems(data: Any, file: str, root: Any, authored: bool) -> list[Problem]:
    """Problems of the generated ids: a holding force whose units, grouping or order would take
    an id the file already uses; a unit or depot written with a field only the loader sets
    (`authored`: the data is a file as written, not a scenario already resolved)."""
    out: list[Problem] = []
    if authored:
        for kind, key, what in (
            ("units", "holding_force", "holding_forces:"),
            ("depots", "offmap", "offmap:"),
        ):
            for i, item in items_of(data, kind):
                if item.get(key) is not None:
                    out.append(
                        located(
                            file,
                            root,
                            (kind, i, key),
                            f"set by the loader on what it makes of {what}; not written in a "
                            "scenario file",
                        )
                    )
    forces = part_ids(data)
    if not forces:
        return out
    units = {u.get("id"): i for i, u in items_of(data, "units") if not u.get("holding_force")}
    groupings = {g.get("id"): i for i, g in items_of(data, "groupings")}
    orders = {o.get("id"): i for i, o in items_of(data, "orders")}
    for hid, (i, ids) in forces.items():
        taken = [u for u in ids if u in units]
        if taken:
            out.append(
                located(
                    file,
                    root,
                    ("holding_forces", i, "id"),
                    f"its units are named {ids[0]}..{ids[-1]}, but units[{units[taken[0]]}] is "
                    f"already {taken[0]!r}: give the holding force another id",
                )
            )
        if authored and hid in groupings:
            out.append(
                located(
                    file,
                    root,
                    ("holding_forces", i, "id"),
                    f"its grouping is named {hid!r}, already the id of groupings[{groupings[hid]}]",
                )
            )
        if authored and f"{hid}_hold" in orders:
            out.append(
                located(
                    file,
                    root,
                    ("holding_forces", i, "id"),
                    f"its hold order is named {hid}_hold, already the id of "
                    f"orders[{orders[f'{hid}_hold']}]",
                )
            )
    return out


# ------------------------------------------------------------------------------- expansion
def holding_line(along: list[str], theatre: Theatre) -> list[tuple[str, float]]:
    """The places of a holding force's line, in order, each with its share of the line's length
    (km): the places in `along` (node ids) and those on the shortest road between each two of
    them (never over a crossing without a bridge), each place counting half of the stretch of
    line on either side of it. Raises ExpandError (at the `along` entry) for two places with no
    such road between them."""
    import networkx as nx  # here: reading a scenario without holding forces needs no graph code

    g = theatre.graph
    usable = nx.subgraph_view(
        g,
        filter_edge=lambda u, v: (
            not (
                g.edges[u, v].get("crossing")
                and theatre.crossings[g.edges[u, v]["crossing"]].kind == "none"
            )
        ),
    )
    share: dict[str, float] = {along[0]: 0.0}
    for j, (a, b) in enumerate(zip(along[:-1], along[1:], strict=True)):
        try:
            path = nx.shortest_path(usable, a, b, weight="length_km")
        except nx.NetworkXNoPath:
            raise ExpandError(
                [
                    (
                        ("along", j + 1),
                        f"no road from {g.nodes[a]['name']} to {g.nodes[b]['name']} on the map "
                        "(without crossing a river where there is no bridge)",
                    )
                ]
            ) from None
        for u, v in zip(path[:-1], path[1:], strict=True):
            half = g.edges[u, v]["length_km"] / 2
            share[u] = share.get(u, 0.0) + half
            share[v] = share.get(v, 0.0) + half
    return list(share.items())


def ordinal(k: int) -> str:
    """1 -> '1st', 2 -> '2nd', 11 -> '11th', 23 -> '23rd'."""
    suffix = "th" if 10 <= k % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(k % 10, "th")
    return f"{k}{suffix}"


def _generated(hf: HoldingForce, theatre: Theatre) -> tuple[list[dict], dict, dict]:
    """The units, grouping and hold order a holding force is spread into."""
    line = holding_line(hf.along, theatre)
    counts = shares([km for _, km in line], hf.parts)
    places = [node for (node, _), n in zip(line, counts, strict=True) for _ in range(n)]
    ids = hf.part_ids()
    g = theatre.graph
    first, last = g.nodes[hf.along[0]]["name"], g.nodes[hf.along[-1]]["name"]
    n = len(ids)
    units = [
        {
            "id": uid,
            "name": f"{ordinal(k)} {hf.echelon.value} of {n}, {hf.label}",
            "side": hf.side,
            "type": hf.type.value,
            "echelon": hf.echelon.value,
            "at": node,
            "equipment": eq.model_dump(),
            "quality": hf.quality,
            "morale": hf.morale,
            "supply": hf.supply,
            "posture": hf.posture.value,
            "parent": hf.label,
            "in_position_since": hf.in_position_since,
            "source": f"{hf.source} (holding force {hf.id}: part {k} of {n}, placed by the loader "
            f"along {first} - {last} in proportion to the line's length: an estimate)",
            "estimate": True,
            "holding_force": hf.id,
        }
        for k, (uid, node, eq) in enumerate(
            zip(ids, places, hf.part_equipment(), strict=True), start=1
        )
    ]
    grouping = {
        "id": hf.id,
        "units": ids,
        "on_threat": hf.on_threat,
        "fallback": list(hf.fallback),
        "source": hf.source,
    }
    order = {
        "id": f"{hf.id}_hold",
        "units": ids,
        "task": "hold",
        "source": f"{hf.source} (holding force {hf.id}: it holds its line)",
    }
    return units, grouping, order


def expand(data: dict, theatre: Theatre) -> None:
    """Make the units, groupings and hold orders of the holding forces and the bases of the
    off-map entries in `data` (a scenario's fields, places resolved to node ids), in place,
    replacing what an earlier expansion made. Raises ExpandError listing every problem."""
    forces = [
        (i, HoldingForce.model_validate(h)) for i, h in enumerate(data.get("holding_forces") or [])
    ]
    offmap = [(i, OffMap.model_validate(o)) for i, o in enumerate(data.get("offmap") or [])]
    if (
        not forces
        and not offmap
        and not any(u.get("holding_force") for u in data.get("units", []))
        and not any(d.get("offmap") for d in data.get("depots", []))
    ):
        return
    ids = {h.id for _, h in forces}
    data["units"] = [u for u in data["units"] if not u.get("holding_force")]
    data["depots"] = [d for d in data.get("depots", []) if not d.get("offmap")]
    data["groupings"] = [g for g in data.get("groupings", []) if g["id"] not in ids]
    data["orders"] = [
        o for o in data.get("orders", []) if o.get("id") not in {f"{h}_hold" for h in ids}
    ]
    problems: list[tuple[Loc, str]] = []
    for i, hf in forces:
        try:
            units, grouping, order = _generated(hf, theatre)
        except ExpandError as e:
            problems += [(("holding_forces", i, *loc), msg) for loc, msg in e.problems]
            continue
        data["units"] += units
        data["groupings"].append(grouping)
        data["orders"].append(order)
    depots = {d["id"]: k for k, d in enumerate(data["depots"])}
    for i, om in offmap:
        if om.kind != "base":
            continue
        for node in dict.fromkeys(om.at):
            did = om.depot_id(node)
            if did in depots:
                problems.append(
                    (
                        ("offmap", i, "id"),
                        f"its base at {node} is named {did!r}, already the id of "
                        f"depots[{depots[did]}]",
                    )
                )
                continue
            depots[did] = len(data["depots"])
            data["depots"].append(
                {
                    "id": did,
                    "side": om.side,
                    "at": node,
                    "kind": "base",
                    "source": f"{om.source} (off-map {om.id}: supply enters the map here)",
                    "offmap": om.id,
                }
            )
    if problems:
        raise ExpandError(problems)
