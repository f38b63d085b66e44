"""The checks of supply at the start (part of sim/scenario/checks.py, for `validate`): ground a
side holds that no base or depot of its side reaches, and ground at the map's edge whose supply
on the map hangs on one place. Both say where an ``offmap:`` base would go when the ground's
supply came from beyond the map's edge (issue 23: the Luhansk rear of September 2022)."""

from __future__ import annotations

from typing import Any

import networkx as nx
import numpy as np

from sim.map.theatre import Theatre
from sim.scenario import SIDES, Scenario, Severity, other

#: A problem found: (severity, location in the scenario, message).
Found = tuple[Severity, tuple, str]


def supply_reach(
    s: Scenario, model: Any, root: Any, cited: frozenset[str] = frozenset()
) -> list[Found]:
    """Held ground that no base or depot of its side reaches (the model's own supply trace),
    and ground outside a side's own country at the map's edge that reaches its bases only
    through one place (`_hanging`). `root`: the YAML tree, to say where; `cited`: the crossings
    the file gives as destroyed (`crossings:`) with a source cited beside them.

    Ground cut off by such a crossing (a bridge down, a dam road blown, its source cited) is a
    note, not a warning: the pocket is what the sources say, and needs no stand-in base. The
    same crossing given destroyed without a citation leaves it a warning that says so."""
    out: list[Found] = []
    g = model.network.graph
    loc = ("control",) if "control" in root else ("depots",)
    for side in SIDES:
        if not model.world.has_depots(side):
            continue  # already an error
        net = model.world.supply_net(side)  # the ground alone: no zones of control yet
        cut = [
            n
            for n in model.network.node_ids
            if model.world.control[n] == side and not net.reaches(n)
        ]
        if not cut:
            continue
        enemy = other(side)
        for part in sorted(
            nx.connected_components(g.subgraph(cut)), key=lambda c: (-len(c), min(c))
        ):
            places = sorted(part, key=lambda n: (-g.nodes[n]["population"], n))
            names = ", ".join(g.nodes[n]["name"] for n in places)
            units = sorted(
                u.id for u in s.units if u.side == side and u.arrives is None and u.at in part
            )
            borders = any(model.world.control[nb] == enemy for n in part for nb in g.neighbors(n))
            stand = (
                (
                    f" ({', '.join(units)} stand{'s' if len(units) == 1 else ''} there, cut "
                    "off from supply)"
                )
                if units
                else ""
            )
            what = (
                f"Nothing there is supplied, and the model hands the empty ones to {enemy} "
                f"as a pocket, ring by ring, where {enemy} troops come within pocket_km "
                f"({model.world.physics.pocket_km:g} km)"
                if borders
                else "Nothing there is supplied"
            )
            count = f"{len(part)} place{'s' if len(part) > 1 else ''} {side} holds at the start"
            across, down = _crossing_hint(model, side, set(part))
            declared = sorted(c for c in down if s.crossings.get(c) == "destroyed")
            if any(c in cited for c in declared):
                out.append(
                    (
                        "note",
                        loc,
                        f"{count} {'are' if len(part) > 1 else 'is'} cut off from {side}'s "
                        "supplied ground by a crossing this file gives as destroyed, citing "
                        f"its source: {names}{stand}. {what} (a pocket the sources give: no "
                        f"base is needed){across}",
                    )
                )
                continue
            uncited = (
                f". crossings: gives {', '.join(declared)} destroyed without a source: cite it "
                "([KEY] in a comment on its line) and this is a note, the pocket being what "
                "the sources say"
                if declared
                else ""
            )
            out.append(
                (
                    "warning",
                    loc,
                    f"{count} cannot be reached from any {side} base or depot "
                    f"through {side}-held ground: {names}{stand}. {what}. Add a base or "
                    f"depot in reach, or change control: so that they join {side}'s "
                    f"supplied ground{_offmap_hint(model, set(part))}{across}{uncited}",
                )
            )
    return out + _hanging(s, model, loc)


def edge_places(theatre: Theatre) -> set[str]:
    """The places whose territory reaches the map's edge (the raster's outer cells)."""
    owner = theatre.territory.owner
    rim = np.concatenate([owner[0], owner[-1], owner[:, 0], owner[:, -1]])
    return {theatre.node_ids[i] for i in np.unique(rim)}


def _offmap_hint(model: Any, part: set[str]) -> str:
    """The hint to declare an off-map base, for ground that reaches the map's edge."""
    g = model.network.graph
    rim = sorted(part & edge_places(model.theatre), key=lambda n: (-g.nodes[n]["population"], n))
    if not rim:
        return ""
    at = ", ".join(rim[:3])
    return (
        ". If their supply came from beyond the map's edge, declare it: an offmap: entry of "
        f"kind: base at the places where its roads leave the map (here at the edge: {at})"
    )


def _crossing_hint(model: Any, side: str, part: set[str]) -> tuple[str, set[str]]:
    """The hint to declare a crossing, for ground a river cut off from the side's supplied
    ground: a bridge down (a dam road blown) or a river with no crossing between them; and the
    ids of the crossings down between them (standing, any one of them would join the ground to
    the side's supplied ground)."""
    g = model.network.graph
    world = model.world
    net = world.supply_lines[side]
    rivers: dict[str, list[str]] = {}
    down: set[str] = set()
    for n in sorted(part):
        for nb in sorted(g.neighbors(n)):
            cid = g.edges[n, nb].get("crossing")
            if (
                nb in part
                or cid is None
                or world.passable(cid)
                or world.control[nb] != side
                or not net.reaches(nb)
            ):
                continue
            c = model.theatre.crossings[cid]
            what = f"{c.name} [{cid}] destroyed" if c.kind != "none" else "no crossing"
            if c.kind != "none":
                down.add(cid)
            rivers.setdefault(c.river, [])
            if what not in rivers[c.river]:
                rivers[c.river].append(what)
    if not rivers:
        return "", down
    across = "; ".join(f"the {r} ({', '.join(w)})" for r, w in sorted(rivers.items()))
    return (
        f". A river cuts them off from {side}'s supplied ground: {across}. If the sources say "
        "how they were reached (a ford, a pontoon, another bridge), declare it under "
        "new_crossings:"
    ), down


def _hanging(s: Scenario, model: Any, loc: tuple) -> list[Found]:
    """Ground a side holds outside its own country, at the map's edge, that reaches the side's
    bases only through one place: if the side loses that place, the model cuts it off and
    hands it over as a pocket. The map ends there; the sources' supply of such ground (the
    Luhansk rear in 2022) usually came from beyond the edge, which an offmap: base declares.
    Ground of the side's own country is left out: its rear beyond the edge is its country."""
    g = model.network.graph
    e = model.network.edges
    edge = edge_places(model.theatre)
    out: list[Found] = []
    for side in SIDES:
        held = model.world.held(side)
        sources = [
            d.node
            for d in model.world.depots.values()
            if d.side == side and d.working and held[model.network.index[d.node]]
        ]
        bases = [
            d.node
            for d in model.world.depots.values()
            if d.side == side and d.kind == "base" and d.node in sources
        ] or sources
        if not bases:
            continue
        use = np.flatnonzero(held[e.u] & held[e.v] & model.world.standing_edges())
        net = nx.Graph()
        net.add_edges_from(
            (model.network.node_ids[e.u[k]], model.network.node_ids[e.v[k]]) for k in use
        )
        net.add_edges_from(("", b) for b in bases)  # "": the rear, behind every base
        net = net.subgraph(nx.node_connected_component(net, "")).copy()
        found_parts: list[tuple[str, set[str]]] = []
        for cut in nx.articulation_points(net):
            if cut == "" or cut in bases:
                continue
            for part in nx.connected_components(net.subgraph(set(net) - {cut})):
                if "" in part or not part & edge:
                    continue
                if all(g.nodes[n]["country"] == side for n in part):
                    continue
                found_parts.append((cut, set(part)))
        # the largest first; a part inside a larger one (hanging on a place further out) is
        # said with it
        found_parts.sort(key=lambda cp: (-len(cp[1]), cp[0]))
        said: list[set[str]] = []
        for cut, part in found_parts:
            if any(part <= p for p in said):
                continue
            said.append(part | {cut})
            out.append(("warning", loc, _hanging_text(s, model, side, cut, part)))
    return out


def _hanging_text(s: Scenario, model: Any, side: str, cut: str, part: set[str]) -> str:
    g = model.network.graph
    places = sorted(part, key=lambda n: (-g.nodes[n]["population"], n))
    names = ", ".join(g.nodes[n]["name"] for n in places)
    where = g.nodes[cut]["name"]
    units = sorted(u.id for u in s.units if u.side == side and u.arrives is None and u.at in part)
    stand = f" ({', '.join(units)} stand there)" if units else ""
    return (
        f"{len(places)} place{'s' if len(places) > 1 else ''} {side} holds at the start, at "
        f"the map's edge, reach {side}'s bases only through {where}: {names}{stand}. If "
        f"{side} loses {where}, the model cuts them off and hands the empty ones to "
        f"{other(side)} as a pocket{_offmap_hint(model, part)}"
    )
