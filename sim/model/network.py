"""The road network: every question the rules ask of the map's roads, railways and crossings.

`RoadNetwork` is built once per model from the theatre (sim/map/theatre.py) and never changes:
what changes during a run (who holds a place, which bridges stand) is the world's
(sim/model/world.py), and the network's answers take it as an argument. It answers
- where a place is (`xy`, `index`), its terrain and name, the edge between two places;
- straight-line distances (`km`, `km_from`, `nearest`);
- a route for one unit (`route`: weights that depend on the unit and the hour, searched from
  both ends) and every route from one place (`paths_from`), both Dijkstra over the adjacency
  lists in the graph's own neighbour order, with networkx's tie-breaking, step for step;
- distances over the whole map: from many sources at once with a starting distance each
  (`cost_distances`, the supply traces) and between every two places within a radius
  (`distances_within`, presence): scipy's compiled Dijkstra on one sparse matrix of the
  edges, built here once.
Like mesa-geo's `RoadNetwork`, it is one object the agents and rules ask; unlike it, it holds no
state of the run, so a branch (sim/whatif/branch.py) shares it with the run it came from.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from heapq import heappop, heappush
from itertools import count
from typing import Any, TypeVar

import networkx as nx
import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from sim.map.theatre import Crossing, Theatre

#: An edge weight for a search: (from node, to node, edge attributes) -> cost, or None where
#: the edge cannot be used.
Weight = Callable[[str, str, dict], "float | None"]
T = TypeVar("T")


@dataclass(frozen=True)
class EdgeArrays:
    """The graph's edges as arrays (node indices, in the graph's edge order): the whole-map
    searches run over them, and control finds the front with them."""

    u: np.ndarray
    v: np.ndarray
    length_km: np.ndarray
    rail: np.ndarray  # a railway runs along it
    road: np.ndarray  # a road runs along it (not a railway alone)
    crossing: list[str | None]

    @classmethod
    def of(cls, graph: nx.Graph, index: dict[str, int]) -> EdgeArrays:
        edges = list(graph.edges(data=True))
        return cls(
            np.array([index[a] for a, _, _ in edges], dtype=np.int64),
            np.array([index[b] for _, b, _ in edges], dtype=np.int64),
            np.array([d["length_km"] for _, _, d in edges]),
            np.array([bool(d.get("rail")) for _, _, d in edges]),
            np.array([d.get("road_class") is not None for _, _, d in edges]),
            [d.get("crossing") for _, _, d in edges],
        )


class RoadNetwork:
    """The theatre's places and the roads, railways and crossings between them."""

    def __init__(self, theatre: Theatre):
        self.theatre = theatre
        self.graph = theatre.graph
        g = self.graph
        self.node_ids: list[str] = list(theatre.node_ids)
        self.index: dict[str, int] = {n: i for i, n in enumerate(self.node_ids)}
        #: the same, with -1 for no place (a unit not on a road, or with no objective)
        self.index_or_none: dict[str | None, int] = {n: i for n, i in self.index.items()}
        self.index_or_none[None] = -1
        self.xy = np.array([[g.nodes[n]["x_km"], g.nodes[n]["y_km"]] for n in self.node_ids])
        self.area_km2 = np.array([g.nodes[n]["area_km2"] for n in self.node_ids])
        self.terrain: dict[str, str] = {n: g.nodes[n]["terrain"] for n in self.node_ids}
        self.urban = np.array([self.terrain[n] == "urban" for n in self.node_ids])
        self.crossings: dict[str, Crossing] = theatre.crossings
        #: node -> [(neighbour, edge attributes)], in the graph's own neighbour order
        self.adjacency = theatre.adjacency
        self.edges = EdgeArrays.of(g, self.index)
        # One sparse matrix for the whole-map searches: every edge both ways, then a virtual
        # source (index n) joined to every place, so that a search from many sources, each at
        # its own starting distance, is a single scipy Dijkstra. Only the weights change
        # between searches; an edge or a source that cannot be used gets an infinite weight.
        n, e = len(self.node_ids), self.edges
        rows = np.concatenate([e.u, e.v, np.full(n, n)])
        cols = np.concatenate([e.v, e.u, np.arange(n)])
        entries = np.arange(1, len(rows) + 1, dtype=float)
        matrix = csr_matrix((entries, (rows, cols)), shape=(n + 1, n + 1))
        self._indices, self._indptr = matrix.indices, matrix.indptr
        self._slot = matrix.data.astype(np.int64) - 1  # matrix slot -> entry number

    # ------------------------------------------------------------------ places
    def name(self, node: str | None) -> str:
        return self.graph.nodes[node]["name"] if node else "-"

    def place(self, node: str | None) -> dict[str, Any]:
        """The attributes of a place (name, lat, lon, ...; docs/map.md), {} for none."""
        return self.graph.nodes[node] if node else {}

    def edge(self, u: str, v: str) -> dict[str, Any]:
        """The attributes of the edge u-v (length_km, road_class, rail, crossing)."""
        return self.graph.edges[u, v]

    def neighbours(self, node: str) -> list[tuple[str, dict]]:
        """[(neighbour, edge attributes)] of a place, in the graph's neighbour order."""
        return self.adjacency[node]

    def crossing_site(self, cid: str) -> np.ndarray:
        """Where a crossing is (km): the middle of its edge."""
        c = self.crossings[cid]
        return (self.xy[self.index[c.u]] + self.xy[self.index[c.v]]) / 2

    # ------------------------------------------------------------------ straight lines
    def km(self, a: str, b: str) -> float:
        """Straight-line distance between two places (km)."""
        return float(np.hypot(*(self.xy[self.index[a]] - self.xy[self.index[b]])))

    def km_from(self, node: str, points: np.ndarray) -> np.ndarray:
        """Straight-line distances (km) from a place to each of `points` (rows of x, y km)."""
        return np.hypot(*(points - self.xy[self.index[node]]).T)

    def km_to(self, node: str, point: np.ndarray) -> float:
        """Straight-line distance (km) from a place to a point (x, y km)."""
        return float(np.hypot(*(self.xy[self.index[node]] - point)))

    def km_between(self, nodes_a: Sequence[str], nodes_b: Sequence[str]) -> np.ndarray:
        """Straight-line distances (km), one row per place of `nodes_a`, a column per place of
        `nodes_b`."""
        a = self.xy[[self.index[n] for n in nodes_a]]
        b = self.xy[[self.index[n] for n in nodes_b]]
        return np.linalg.norm(b[None, :, :] - a[:, None, :], axis=2)

    def nearest(
        self, node: str, among: Sequence[T], place: Callable[[T], str], tie: Callable[[T], Any]
    ) -> T:
        """The one of `among` (standing at `place(x)`) nearest to `node` in a straight line;
        ties by `tie(x)`."""
        return min(among, key=lambda x: (self.km(place(x), node), tie(x)))

    # ------------------------------------------------------------------ routes
    def route(self, source: str, target: str, weight: Weight) -> list[str] | None:
        """The least-weight path from `source` to `target` (both ends included), or None.

        networkx's `bidirectional_dijkstra` (BSD licence), the search `nx.shortest_path` runs
        for a weight function, step for step: the same expansion order, the same
        tie-breaking (a counter in the heaps), so the same path whenever two routes cost the
        same. Kept here without networkx's dispatch layers and over the adjacency lists,
        because route planning is the model's hottest search."""
        if source == target:
            return [source]
        adjacency = self.adjacency
        dists: tuple[dict, dict] = ({}, {})
        preds: tuple[dict, dict] = ({source: None}, {target: None})
        seen: tuple[dict, dict] = ({source: 0}, {target: 0})
        fringe: tuple[list, list] = ([], [])
        c = count()
        heappush(fringe[0], (0, next(c), source))
        heappush(fringe[1], (0, next(c), target))
        finaldist, meetnode = None, None
        direction = 1
        while fringe[0] and fringe[1]:
            direction = 1 - direction
            dist, _, v = heappop(fringe[direction])
            done, other_done = dists[direction], dists[1 - direction]
            if v in done:
                continue
            done[v] = dist
            if v in other_done:
                forward: list[str] = []
                node = meetnode
                while node is not None:
                    forward.append(node)
                    node = preds[0][node]
                node = preds[1][meetnode]
                backward = []
                while node is not None:
                    backward.append(node)
                    node = preds[1][node]
                return forward[::-1] + backward
            seen_here, seen_there, pred = seen[direction], seen[1 - direction], preds[direction]
            for nb, d in adjacency[v]:
                cost = weight(v, nb, d) if direction == 0 else weight(nb, v, d)
                if cost is None:
                    continue
                vw = dist + cost
                if nb in done:
                    continue  # (networkx raises on a shorter path here: no negative weights)
                if nb not in seen_here or vw < seen_here[nb]:
                    seen_here[nb] = vw
                    heappush(fringe[direction], (vw, next(c), nb))
                    pred[nb] = v
                    if nb in seen_there:
                        total = vw + seen_there[nb]
                        if finaldist is None or finaldist > total:
                            finaldist, meetnode = total, nb
        return None

    def paths_from(
        self, source: str, weight: Weight
    ) -> tuple[dict[str, float], dict[str, list[str]]]:
        """(distance, path) to every place reachable from `source`: networkx's
        `single_source_dijkstra` step for step (the same expansion order and tie-breaking)."""
        dist: dict[str, float] = {}
        seen: dict[str, float] = {source: 0}
        pred: dict[str, str] = {}
        c = count()
        fringe: list = [(0, next(c), source)]
        adjacency = self.adjacency
        while fringe:
            dist_v, _, v = heappop(fringe)
            if v in dist:
                continue
            dist[v] = dist_v
            for u, e in adjacency[v]:
                cost = weight(v, u, e)
                if cost is None:
                    continue
                vu_dist = dist_v + cost
                if u in dist:
                    continue  # (networkx raises on a shorter path here: no negative weights)
                if u not in seen or vu_dist < seen[u]:
                    seen[u] = vu_dist
                    heappush(fringe, (vu_dist, next(c), u))
                    pred[u] = v
        paths = {source: [source]}
        for v in dist:
            if v != source:
                paths[v] = paths[pred[v]] + [v]
        return dist, paths

    def road_km(self, start: str, path: Sequence[str]) -> float:
        """Length (km) of the road from `start` along `path` (the places after the start)."""
        return sum(
            self.graph.edges[a, b]["length_km"] for a, b in zip([start, *path], path, strict=False)
        )

    def nearest_by_road(self, node: str, accept: Callable[[str], bool]) -> str | None:
        """The place nearest to `node` by road (km; ties by id) for which `accept` is true, or
        None."""
        lengths, _ = self.paths_from(node, _length)
        found = [n for n in lengths if accept(n)]
        return min(found, key=lambda n: (lengths[n], n)) if found else None

    # ------------------------------------------------------------------ whole-map distances
    def cost_distances(
        self, edge_cost: np.ndarray, source_offset: np.ndarray, limit: float = math.inf
    ) -> tuple[np.ndarray, np.ndarray]:
        """(distance, predecessor) of every place from the nearest source, over edges costing
        `edge_cost` each (per edge, in `edges` order; inf: not usable), where a source's
        distance starts at its offset (inf: not a source). Predecessor -9999 at sources and
        places not reached."""
        n = len(self.node_ids)
        values = np.concatenate([edge_cost, edge_cost, source_offset + 1e-9])
        matrix = csr_matrix((values[self._slot], self._indices, self._indptr), shape=(n + 1, n + 1))
        dist, pred = dijkstra(
            matrix, directed=True, indices=n, return_predecessors=True, limit=limit
        )
        pred = pred[:n]
        return dist[:n], np.where(pred == n, -9999, pred)

    def distances_within(self, radius_km: float, usable: np.ndarray) -> np.ndarray:
        """Road km between every two places over the edges `usable` (a boolean per edge), up
        to `radius_km` (inf beyond): one row per place."""
        n = len(self.node_ids)
        cost = np.where(usable, self.edges.length_km, np.inf)
        values = np.concatenate([cost, cost, np.full(n, np.inf)])
        matrix = csr_matrix((values[self._slot], self._indices, self._indptr), shape=(n + 1, n + 1))
        return dijkstra(matrix, directed=True, indices=np.arange(n), limit=radius_km)[:, :n]


def _length(u: str, v: str, data: dict) -> float:
    return data.get("length_km", 1)
