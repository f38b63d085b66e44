"""The built map as an entry of the disk cache (sim/disk_cache.py): JSON and arrays of plain
numbers, never a pickle. `theatre_entry` writes a `Theatre` so, `theatre_from_entry` gives it
back exactly: node order, each node's neighbour order (route searches follow it), every
attribute with its type, every array with its dtype (tests/test_theatre.py checks all of it
against a build). Used for the base map (sim/map/theatre.py) and a scenario's own map with the
places it adds (sim/scenario/theatre.py)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import fields
from typing import Any, TypeVar

import networkx as nx
import numpy as np

from sim import disk_cache

#: The map's class (sim.map.theatre.Theatre, which imports this module: it is given, not
#: imported here).
T = TypeVar("T")


def theatre_entry(t: Any) -> disk_cache.Entry:
    """The theatre as a cache entry (sim/disk_cache.py): its graph, crossings and names as
    JSON, its river lines and territory as arrays of numbers. `theatre_from_entry` gives it
    back exactly: node order, each node's neighbour order (route searches follow it), every
    attribute with its type, every array with its dtype."""
    arrays: list[np.ndarray] = []

    def ref(a: np.ndarray) -> int:
        arrays.append(a)
        return len(arrays) - 1

    g = t.graph
    edges: dict[tuple[str, str], int] = {}
    edge_data: list[dict[str, Any]] = []
    adjacency = []
    for u, nbrs in g.adj.items():
        row = []
        for v, data in nbrs.items():
            i = edges.get((v, u))
            if i is None:
                i = edges[(u, v)] = len(edge_data)
                edge_data.append(data)
            row.append([v, i])
        adjacency.append(row)
    node_keys = list(next(iter(g.nodes.values()), {}))
    edge_keys = list(edge_data[0]) if edge_data else []

    def values_of(data: dict[str, Any], keys: list[str]) -> Any:
        """The values in the order of `keys` (the first node's or edge's attribute names);
        the whole mapping for one whose names differ (a place a scenario adds, say)."""
        return list(data.values()) if list(data) == keys else dict(data)

    doc = {
        "key": t.key,
        "graph": g.graph,
        # columns: the attribute names once, then each node's (edge's) values in their order
        "node_keys": node_keys,
        "nodes": [[n, values_of(data, node_keys)] for n, data in g.nodes(data=True)],
        "edge_keys": edge_keys,
        "edges": [values_of(data, edge_keys) for data in edge_data],
        "adjacency": adjacency,
        "node_ids": t.node_ids,
        "crossings": [[getattr(c, f.name) for f in fields(c)] for c in t.crossings.values()],
        "rivers": {k: [ref(a) for a in v] for k, v in t.rivers.items()},
        "water": {k: ref(a) for k, a in t.water.items()},
        "border": [ref(a) for a in t.border],
        "territory": [ref(getattr(t.territory, f.name)) for f in fields(t.territory)],
        "names": t._names,
    }
    return disk_cache.Entry([json.dumps(doc, allow_nan=False).encode()], arrays)


def theatre_from_entry(
    entry: disk_cache.Entry,
    theatre: Callable[..., T],
    crossing: Callable[..., Any],
    territory: Callable[..., Any],
) -> T:
    """The theatre a cache entry holds (`theatre_entry`), made of the map's own classes
    (given by sim/map/theatre.py, which imports this module). Raises ValueError, KeyError or
    TypeError for an entry that is not one."""
    (text,) = entry.docs
    doc = json.loads(text)
    arrays = entry.arrays
    graph = nx.Graph(**doc["graph"])

    def attributes(values: Any, keys: list[str]) -> dict[str, Any]:
        return dict(zip(keys, values, strict=True)) if isinstance(values, list) else dict(values)

    graph.add_nodes_from((n, attributes(v, doc["node_keys"])) for n, v in doc["nodes"])
    if len(doc["adjacency"]) != graph.number_of_nodes():
        raise ValueError("adjacency and nodes differ")
    # one dict per edge, seen from both ends, as networkx keeps it
    shared = [attributes(v, doc["edge_keys"]) for v in doc["edges"]]
    for u, row in zip(graph.nodes, doc["adjacency"], strict=True):
        # networkx's own adjacency store (Graph._adj), filled in the saved neighbour order,
        # which add_edge could not reproduce (it appends each new neighbour at both ends)
        graph._adj[u].update((v, shared[i]) for v, i in row)
    return theatre(
        graph,
        list(doc["node_ids"]),
        {c[0]: crossing(*c) for c in doc["crossings"]},
        {k: [arrays[i] for i in v] for k, v in doc["rivers"].items()},
        {k: arrays[i] for k, i in doc["water"].items()},
        [arrays[i] for i in doc["border"]],
        territory(*(arrays[i] for i in doc["territory"])),
        {k: list(v) for k, v in doc["names"].items()},
        key=doc["key"],
    )
