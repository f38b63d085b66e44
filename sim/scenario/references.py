"""Where a scenario file names units, orders and places, read from its raw data (the YAML as
plain dicts and lists, before the schema has accepted it), so that a wrong name is found along
with the schema's problems: the reference checks (ids unique, orders and groupings naming
units and orders that exist) and every field that names a place. Used by the loader
(sim/scenario/loader.py)."""

from __future__ import annotations

import difflib
from typing import Any

from sim.safe_io import UnreadableValue
from sim.scenario import expand
from sim.scenario.expand import items_of
from sim.scenario.problems import Problem, located


def _ident(value: Any) -> Any:
    """An id as written: an unreadable one (``!!int ua_25``, reported on its own) by its text,
    so that references to it are not reported as well."""
    return str(value) if isinstance(value, UnreadableValue) else value


def reference_problems(data: Any, file: str, root: Any, authored: bool = True) -> list[Problem]:
    """Unit, depot and order ids unique; orders, conditions, groupings and the what-if block
    name units and orders that exist (the units of holding forces included); a grouping is of
    one side. Works on raw data (items the schema rejects are skipped), so these are found
    along with the schema's problems. `authored`: the data is a file as written (not a
    scenario already resolved, which holds what the loader made of its additions)."""
    out: list[Problem] = expand.reference_problems(data, file, root, authored)
    forces = expand.part_ids(data)
    for kind in ("units", "depots"):
        seen: dict[str, int] = {}
        for i, item in items_of(data, kind):
            ident = _ident(item.get("id"))
            if not isinstance(ident, str):
                continue
            if ident in seen:
                out.append(
                    located(
                        file,
                        root,
                        (kind, i, "id"),
                        f"{kind[:-1]} id {ident!r} is already used by {kind}[{seen[ident]}]",
                    )
                )
            else:
                seen[ident] = i
        if kind == "units":
            units = dict(seen)
            for i, ids in forces.values():
                for uid in ids:
                    units.setdefault(uid, i)

    def unit_ref(uid: Any, loc: tuple) -> None:
        if isinstance(uid, str) and uid not in units:
            close = difflib.get_close_matches(uid, list(units), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            out.append(located(file, root, loc, f"no unit {uid!r} in this scenario{hint}"))

    order_ids: dict[str, int] = {}
    for i, order in items_of(data, "orders"):
        ident = _ident(order.get("id"))
        if isinstance(ident, str):
            if ident in order_ids:
                out.append(
                    located(
                        file,
                        root,
                        ("orders", i, "id"),
                        f"order id {ident!r} is already used by orders[{order_ids[ident]}]",
                    )
                )
            else:
                order_ids[ident] = i
    phase_side: dict[str, Any] = {}
    for i, phase in items_of(data, "phases"):
        ident = _ident(phase.get("id"))
        if isinstance(ident, str) and ident in order_ids:
            out.append(
                located(
                    file,
                    root,
                    ("phases", i, "id"),
                    f"{ident!r} is already the id of orders[{order_ids[ident]}] (done: names "
                    "an order or a phase, so their ids differ)",
                )
            )
        elif isinstance(ident, str):
            phase_side.setdefault(ident, phase.get("side"))
    side_of = {
        u.get("id"): u.get("side")
        for _, u in items_of(data, "units")
        if isinstance(u.get("id"), str)
    }

    def condition_refs(when: Any, loc: tuple, own: Any) -> None:
        """The units and orders (or phases) the conditions of `when` name; `own`: the id of
        the order or phase they belong to."""
        for cloc, c in raw_conditions(when, loc):
            for key in ("arrived", "strength", "supply"):
                unit_ref(c.get(key), (*cloc, key))
            done = c.get("done")
            if isinstance(done, str) and done not in order_ids and done not in phase_side:
                close = difflib.get_close_matches(done, [*order_ids, *phase_side], n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                out.append(
                    located(
                        file, root, (*cloc, "done"), f"no order or phase with id {done!r}{hint}"
                    )
                )
            elif isinstance(done, str) and done == own:
                out.append(
                    located(
                        file,
                        root,
                        (*cloc, "done"),
                        "a condition cannot wait for its own order or phase",
                    )
                )

    for i, order in items_of(data, "orders"):
        names = order.get("units")
        for j, uid in enumerate(names if isinstance(names, list) else []):
            unit_ref(uid, ("orders", i, "units", j))
        sides = {
            str(side_of[uid])
            for uid in (names if isinstance(names, list) else [])
            if isinstance(uid, str) and isinstance(side_of.get(uid), str)
        }
        if len(sides) > 1:
            out.append(
                located(
                    file,
                    root,
                    ("orders", i, "units"),
                    "an order's units must all be of one side (an order is part of a side's "
                    f"plan); these are {' and '.join(sorted(sides))}",
                )
            )
        condition_refs(order.get("when"), ("orders", i, "when"), order.get("id"))
        in_phase = order.get("phase")
        if isinstance(in_phase, str) and in_phase not in phase_side:
            close = difflib.get_close_matches(in_phase, list(phase_side), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else " (phases: declares them)"
            out.append(located(file, root, ("orders", i, "phase"), f"no phase {in_phase!r}{hint}"))
        elif isinstance(in_phase, str) and isinstance(names, list) and names:
            of_phase = {side_of.get(uid) for uid in names if isinstance(uid, str)}
            if phase_side[in_phase] not in of_phase and of_phase & {"UA", "RU"}:
                out.append(
                    located(
                        file,
                        root,
                        ("orders", i, "phase"),
                        f"phase {in_phase!r} is {phase_side[in_phase]}'s; this order's units are "
                        f"{'/'.join(sorted(str(x) for x in of_phase))}",
                    )
                )
    for i, phase in items_of(data, "phases"):
        condition_refs(phase.get("when"), ("phases", i, "when"), phase.get("id"))
    out += _cycle_problems(data, file, root, order_ids)
    grouped: dict[str, str] = {}
    if authored:  # the grouping each holding force's units are in
        grouped = {uid: hid for hid, (_, ids) in forces.items() for uid in ids}
    for i, g in items_of(data, "groupings"):
        names = g.get("units")
        names = names if isinstance(names, list) else []
        for j, uid in enumerate(names):
            unit_ref(uid, ("groupings", i, "units", j))
            if isinstance(uid, str) and uid in grouped:
                out.append(
                    located(
                        file,
                        root,
                        ("groupings", i, "units", j),
                        f"unit {uid!r} is already in grouping {grouped[uid]!r}",
                    )
                )
            elif isinstance(uid, str):
                grouped[uid] = str(g.get("id"))
        if (
            len(
                {
                    side_of[uid]
                    for uid in names
                    if isinstance(uid, str) and uid in side_of and isinstance(side_of[uid], str)
                }
            )
            > 1
        ):
            out.append(
                located(
                    file,
                    root,
                    ("groupings", i, "units"),
                    "a grouping's units must all be of one side",
                )
            )
    whatif = data.get("whatif") if isinstance(data, dict) else None
    support = whatif.get("supporting_attack") if isinstance(whatif, dict) else None
    if isinstance(support, str) and support not in order_ids:
        out.append(
            located(file, root, ("whatif", "supporting_attack"), f"no order with id {support!r}")
        )
    return out


def _needed(c: Any) -> set[str]:
    """The orders a raw `when:` condition cannot hold without (each `done:` it needs: all of
    an `all:`'s, those every branch of an `any:` needs)."""
    if not isinstance(c, dict):
        return set()
    if isinstance(c.get("done"), str):
        return {c["done"]}
    kids = c.get("all")
    if isinstance(kids, list):
        return set().union(*(_needed(k) for k in kids))
    kids = c.get("any")
    if isinstance(kids, list) and kids:
        return set.intersection(*(_needed(k) for k in kids))
    return set()


def _cycle_problems(data: Any, file: str, root: Any, order_ids: dict[str, int]) -> list[Problem]:
    """Orders that wait, through `done:` conditions they cannot hold without, for one another
    (a waits for b done, b for a): none of them is ever issued. One problem a cycle, at the
    `done:` of its first order (an order waiting for itself is reported on its own)."""
    needs = {
        ident: {n for n in _needed(order.get("when")) if n in order_ids and n != ident}
        for i, order in items_of(data, "orders")
        if isinstance(ident := _ident(order.get("id")), str) and order_ids.get(ident) == i
    }
    out: list[Problem] = []
    reported: set[str] = set()
    for start in sorted(needs, key=order_ids.__getitem__):
        path = _path_back(start, needs)
        if path is None or reported & set(path):
            continue
        reported |= set(path)
        i = order_ids[start]
        order = dict(items_of(data, "orders"))[i]
        loc = next(
            (
                (*where, "done")
                for where, c in raw_conditions(order.get("when"), ("orders", i, "when"))
                if c.get("done") == path[1]
            ),
            ("orders", i, "when"),
        )
        chain = " -> ".join(path)
        out.append(
            located(
                file,
                root,
                loc,
                f"waits for order {path[1]!r} to be done, which waits for this one ({chain}): "
                "none of them is ever issued; remove one of the done: conditions",
            )
        )
    return out


def _path_back(start: str, needs: dict[str, set[str]]) -> list[str] | None:
    """The shortest chain of waits from `start` back to itself ([start, ..., start]), or None."""
    previous: dict[str, str] = {}
    frontier = [start]
    while frontier:
        later = []
        for a in frontier:
            for b in sorted(needs.get(a, ())):
                if b == start:
                    chain = [a]
                    while chain[-1] != start:
                        chain.append(previous[chain[-1]])
                    return [start, *reversed(chain[:-1]), start]
                if b not in previous:
                    previous[b] = a
                    later.append(b)
        frontier = later
    return None


def raw_conditions(c: Any, loc: tuple) -> list[tuple[tuple, dict]]:
    """Every condition (a mapping) in a raw `when:` tree, with its location in the YAML."""
    if not isinstance(c, dict):
        return []
    out = [(loc, c)]
    for key in ("all", "any"):
        children = c.get(key)
        for j, child in enumerate(children if isinstance(children, list) else []):
            out += raw_conditions(child, (*loc, key, j))
    return out


def place_fields(data: Any) -> list[tuple[tuple, str]]:
    """Every (location in the YAML, value) of raw scenario data that must name a node of the
    map (values that are not text are the schema's business, and skipped)."""
    out: list[tuple[tuple, Any]] = []
    for i, u in items_of(data, "units"):
        out.append((("units", i, "at"), u.get("at")))
    for i, o in items_of(data, "orders"):
        out.append((("orders", i, "objective"), o.get("objective")))
        via = o.get("via")
        out += [
            (("orders", i, "via", j), v) for j, v in enumerate(via if isinstance(via, list) else [])
        ]
    for i, d in items_of(data, "depots"):
        out.append((("depots", i, "at"), d.get("at")))
    fallback = data.get("fallback") if isinstance(data, dict) else None
    for side, places in fallback.items() if isinstance(fallback, dict) else []:
        out += [
            (("fallback", side, j), p)
            for j, p in enumerate(places if isinstance(places, list) else [])
        ]
    control = data.get("control") if isinstance(data, dict) else None
    nodes = control.get("nodes") if isinstance(control, dict) else None
    for side, places in nodes.items() if isinstance(nodes, dict) else []:
        out += [
            (("control", "nodes", side, j), p)
            for j, p in enumerate(places if isinstance(places, list) else [])
        ]
    for i, h in items_of(data, "history"):
        out.append((("history", i, "place"), h.get("place")))
    for i, o in items_of(data, "orders"):
        objectives = o.get("objectives")
        out += [
            (("orders", i, "objectives", j), v)
            for j, v in enumerate(objectives if isinstance(objectives, list) else [])
        ]
        for loc, c in raw_conditions(o.get("when"), ("orders", i, "when")):
            out += [((*loc, key), c.get(key)) for key in ("taken", "lost", "empty", "at")]
    for i, p in items_of(data, "phases"):
        for loc, c in raw_conditions(p.get("when"), ("phases", i, "when")):
            out += [((*loc, key), c.get(key)) for key in ("taken", "lost", "empty", "at")]
    for i, g in items_of(data, "groupings"):
        fallback = g.get("fallback")
        out += [
            (("groupings", i, "fallback", j), v)
            for j, v in enumerate(fallback if isinstance(fallback, list) else [])
        ]
    for i, h in items_of(data, "holding_forces"):
        for key in ("along", "fallback"):
            places = h.get(key)
            out += [
                (("holding_forces", i, key, j), v)
                for j, v in enumerate(places if isinstance(places, list) else [])
            ]
    for i, o in items_of(data, "offmap"):
        at = o.get("at")
        if isinstance(at, list):
            out += [(("offmap", i, "at", j), v) for j, v in enumerate(at)]
        else:
            out.append((("offmap", i, "at"), at))
    whatif = data.get("whatif") if isinstance(data, dict) else None
    if isinstance(whatif, dict):
        places = whatif.get("key_places")
        out += [
            (("whatif", "key_places", j), v)
            for j, v in enumerate(places if isinstance(places, list) else [])
        ]
        out += [
            (("whatif", key), whatif.get(key))
            for key in ("key_town", "bridge_expect_place", "withdrawal_place")
        ]
    return [(loc, v) for loc, v in out if isinstance(v, str)]
