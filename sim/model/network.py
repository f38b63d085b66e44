"""The road network: every question the rules ask of the map's roads, railways and crossings.

`RoadNetwork` is built once per model from the theatre (sim/map/theatre.py) and never changes:
what changes during a run (who holds a place, which bridges stand) is the world's
(sim/model/world.py), and the network's answers take it as an argument. It answers
- where a place is (`xy`, `index`), its terrain and name, the edge between two places;
- straight-line distances (`km`, `km_from`, `km_between`, `nearest`);
- searches by road, all on one sparse matrix of the network's arcs (every edge both ways, then
  a virtual source joined to every place), built here once, and scipy's compiled Dijkstra:
  a unit's route (`route`) and every route from a place (`paths_from`) over costs per arc
  (sim/model/rules/routes.py works them out: hours for that unit now), the nearest place by
  road (`nearest_by_road`), distances from many sources at once, each with a starting distance
  (`cost_distances`, the supply traces), and between every two places within a radius
  (`distances_within`, presence).
Like mesa-geo's `RoadNetwork`, it is the one object the agents and rules ask about the roads;
unlike it, it holds no state of the run, so a branch (sim/whatif/branch.py) shares it with the
run it came from.
"""

from __future__ import annotations

import functools
import math
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import networkx as nx
import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from sim.map.theatre import KM_PER_DEG, KM_PER_DEG_LON, Crossing, Theatre

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
        self.edge_road: list[str | None] = [d.get("road_class") for _, _, d in g.edges(data=True)]
        # The arcs: every edge both ways (arc k runs u -> v of edge k, arc E + k back).
        n, e = len(self.node_ids), self.edges
        self.arc_from = np.concatenate([e.u, e.v])
        self.arc_to = np.concatenate([e.v, e.u])
        self.arc_edge = np.concatenate([np.arange(len(e.u)), np.arange(len(e.u))])
        ids = self.node_ids
        self.arc: dict[tuple[str, str], int] = {
            (ids[a], ids[b]): k
            for k, (a, b) in enumerate(zip(self.arc_from, self.arc_to, strict=True))
        }
        # One sparse matrix for every search: the arcs, then a virtual source (index n) joined
        # to every place, so that a search from many sources, each at its own starting
        # distance, is a single Dijkstra. Only the costs change between searches; an arc or a
        # source that cannot be used costs inf.
        rows = np.concatenate([self.arc_from, np.full(n, n)])
        cols = np.concatenate([self.arc_to, np.arange(n)])
        entries = np.arange(1, len(rows) + 1, dtype=float)
        self._matrix = csr_matrix((entries, (rows, cols)), shape=(n + 1, n + 1))
        self._slot = self._matrix.data.astype(np.int64) - 1  # matrix slot -> entry number
        self._no_source = np.full(n, np.inf)
        # a copy of the matrix per thread, its costs overwritten for each search (a search
        # on a matrix built afresh costs twice as much; a branch shares this network, and the
        # viewer simulates one in a thread of its own)
        self._scratch: dict[int, csr_matrix] = {}

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

    @functools.cached_property
    def around(self) -> dict[str, frozenset[str]]:
        """node -> the place and its neighbours, as a set."""
        return {n: frozenset([n, *(nb for nb, _ in nbs)]) for n, nbs in self.adjacency.items()}

    def crossing_site(self, cid: str) -> np.ndarray:
        """Where a crossing is (km): the middle of its edge."""
        c = self.crossings[cid]
        return (self.xy[self.index[c.u]] + self.xy[self.index[c.v]]) / 2

    # ------------------------------------------------------------------ straight lines
    def km(self, a: str, b: str) -> float:
        """Straight-line distance between two places (km)."""
        return self._km.item(self.index[a], self.index[b])

    def kms(self, places: Sequence[str], b: str) -> np.ndarray:
        """`km` from each of `places` to `b`, as an array (the same numbers)."""
        return self._km[[self.index[a] for a in places], self.index[b]]

    @functools.cached_property
    def _km(self) -> np.ndarray:
        """`km` between every two places (the same arithmetic, done once for all)."""
        d = self.xy[:, None, :] - self.xy[None, :, :]
        return np.hypot(d[..., 0], d[..., 1])

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

    # ------------------------------------------------------------------ searches
    def _search(
        self, arc_cost: np.ndarray, source_cost: np.ndarray, indices: Any, limit: float
    ) -> tuple[np.ndarray, np.ndarray]:
        """scipy's Dijkstra over the matrix with these costs per arc and per virtual-source
        arc, from `indices`: (distances, predecessors), the virtual source's column left out."""
        n = len(self.node_ids)
        thread = threading.get_ident()
        matrix = self._scratch.get(thread)
        if matrix is None:
            matrix = self._scratch[thread] = self._matrix.copy()
        matrix.data[:] = np.concatenate([arc_cost, source_cost])[self._slot]
        dist, pred = dijkstra(
            matrix, directed=True, indices=indices, return_predecessors=True, limit=limit
        )
        return dist[..., :n], pred[..., :n]

    def route(self, source: str, target: str, arc_cost: np.ndarray) -> list[str] | None:
        """The least-cost path from `source` to `target` (both ends included) with these costs
        per arc (inf: not usable), or None."""
        if source == target:
            return [source]
        s, t = self.index[source], self.index[target]
        dist, pred = self._search(arc_cost, self._no_source, s, math.inf)
        if not np.isfinite(dist[t]):
            return None
        path = [t]
        while path[-1] != s:
            path.append(int(pred[path[-1]]))
        return [self.node_ids[i] for i in reversed(path)]

    def paths_from(
        self, source: str, arc_cost: np.ndarray
    ) -> tuple[dict[str, float], dict[str, list[str]]]:
        """(distance, path) to every place reachable from `source` with these costs per arc."""
        s = self.index[source]
        dist, pred = self._search(arc_cost, self._no_source, s, math.inf)
        ids = self.node_ids
        reached = np.flatnonzero(np.isfinite(dist))
        paths: dict[str, list[str]] = {}
        for i in reached:
            path = [int(i)]
            while path[-1] != s:
                path.append(int(pred[path[-1]]))
            paths[ids[i]] = [ids[j] for j in reversed(path)]
        return {ids[i]: float(dist[i]) for i in reached}, paths

    def road_km(self, start: str, path: Sequence[str]) -> float:
        """Length (km) of the road from `start` along `path` (the places after the start)."""
        legs = zip([start, *path], path, strict=False)
        return sum(self.graph.edges[a, b]["length_km"] for a, b in legs)

    def nearest_by_road(self, node: str, accept: Callable[[str], bool]) -> str | None:
        """The place nearest to `node` by road (km; ties by id) for which `accept` is true, or
        None."""
        lengths, _ = self.paths_from(node, self.arc_length)
        found = [n for n in lengths if accept(n)]
        return min(found, key=lambda n: (lengths[n], n)) if found else None

    @functools.cached_property
    def cell_boundary_km(self) -> np.ndarray:
        """(place x place) km of territory-cell boundary each two places share (0 for cells
        that do not touch), from the theatre's raster of cells (sim/map/theatre.py): the
        cell edges between neighbouring raster cells of two owners, times pi/4 (a staircase
        over-measures a straight line at a random angle by 4/pi on average). The front km of
        a place is the part of its boundary it shares with enemy-held cells
        (sim/model/rules/front.py)."""
        territory = self.theatre.territory
        owner, n = territory.owner, len(self.node_ids)
        # the map's own projection (equirectangular about its centre): the cells' sides in km
        # (a raster one cell wide or high, as a test's toy map may be, has no such edges)
        dx_km = (
            KM_PER_DEG_LON * float(np.diff(territory.lons).mean())
            if len(territory.lons) > 1
            else 0.0
        )
        dy_km = (
            KM_PER_DEG * float(np.diff(territory.lats).mean()) if len(territory.lats) > 1 else 0.0
        )
        shared = np.zeros((n, n))
        for a, b, side_km in (
            (owner[:, :-1], owner[:, 1:], dy_km),  # left and right: a north-south cell edge
            (owner[:-1, :], owner[1:, :], dx_km),  # below and above: an east-west cell edge
        ):
            differ = a != b
            np.add.at(shared, (a[differ], b[differ]), side_km)
        return (shared + shared.T) * (math.pi / 4)

    @functools.cached_property
    def same_bank(self) -> np.ndarray:
        """Boolean per edge: it crosses no river (a sector does not reach over one)."""
        return np.array([c is None for c in self.edges.crossing])

    @property
    def arc_length(self) -> np.ndarray:
        """Length (km) of each arc."""
        return self.edges.length_km[self.arc_edge]

    # ------------------------------------------------------------------ whole-map distances
    def cost_distances(
        self, edge_cost: np.ndarray, source_offset: np.ndarray, limit: float = math.inf
    ) -> tuple[np.ndarray, np.ndarray]:
        """(distance, predecessor) of every place from the nearest source, over edges costing
        `edge_cost` each (per edge, in `edges` order, the same both ways; inf: not usable),
        where a source's distance starts at its offset (inf: not a source). Predecessor -9999
        at sources and places not reached."""
        n = len(self.node_ids)
        arc_cost = np.concatenate([edge_cost, edge_cost])
        dist, pred = self._search(arc_cost, source_offset + 1e-9, n, limit)
        return dist, np.where(pred == n, -9999, pred)

    def distances_within(self, radius_km: float, usable: np.ndarray) -> np.ndarray:
        """Road km between every two places over the edges `usable` (a boolean per edge), up
        to `radius_km` (inf beyond): one row per place."""
        n = len(self.node_ids)
        cost = np.where(usable, self.edges.length_km, np.inf)
        dist, _ = self._search(
            np.concatenate([cost, cost]), self._no_source, np.arange(n), radius_km
        )
        return dist
