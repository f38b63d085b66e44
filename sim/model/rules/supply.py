"""Supply: traced each hour from a side's bases, by rail and by road, through ground it holds.

Trains run from a side's bases (its rear: Belgorod, Valuiki, Kharkiv) along unbroken railway over
ground the side holds, where a km of rail counts `rail_cost_factor` of a km of road (a train
carries what dozens of trucks do); trucks haul from the bases and from any place a train reaches,
by road. So cutting a line (taking a place on it, or destroying its bridge) cuts the rail supply
of everything beyond, which then has to come by road from the nearest place trains still reach.
Forward depots and railheads shorten the last leg while they work: a depot while trucks can reach
it from a base, a railhead while trains can. A unit whose traced distance is within
`supply_range_km` is in supply and refills; otherwise its supply level decays, and with no path
at all it is cut off (encircled).

Izium, the Russian hub in summer 2022, worked as long as the railway through Kupiansk fed it.
The traces run over the edges whose two ends the side holds and whose crossing stands
(scipy.sparse.csgraph.dijkstra).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

if TYPE_CHECKING:
    from sim.model import CampaignModel
    from sim.model.units import Unit
    from sim.scenario import Side


@dataclass
class SupplyNet:
    """One side's traced supply network for the current hour."""

    side: str
    node_ids: list[str]
    index: dict[str, int]
    dist: np.ndarray  # effective km from the bases, per node (inf: not reached)
    pred: np.ndarray  # predecessor towards the source that feeds it (-9999 at sources)
    feeders: tuple[np.ndarray, ...] = ()  # the stages behind: forward depot -> haul -> rail
    #: node -> (supply km, line of supply, its places as a set) of a unit there
    #: (unit_supply_km; the net is immutable once traced, so each is worked out once). The
    #: lists are shared: read only.
    to_unit: dict[str, tuple[float, list[str], frozenset[str]]] = field(
        default_factory=dict, repr=False
    )

    def reaches(self, node: str) -> bool:
        return bool(np.isfinite(self.dist[self.index[node]]))

    def distance(self, node: str) -> float:
        return float(self.dist[self.index[node]])

    def path(self, node: str) -> list[str]:
        """The line of supply to `node`: base first (by rail as far as trains go, through the
        forward depot that feeds it, if any), `node` last ([] if not reached)."""
        i = self.index[node]
        if not np.isfinite(self.dist[i]):
            return []
        out = [i]
        for pred in (self.pred, *self.feeders):
            while pred[out[-1]] >= 0:
                out.append(int(pred[out[-1]]))
        return [self.node_ids[j] for j in reversed(out)]


@dataclass(frozen=True)
class EdgeArrays:
    """The graph's edges as arrays (node indices, in the graph's edge order): the supply
    traces run over them (`CostGraph`), and control finds the front with them."""

    u: np.ndarray
    v: np.ndarray
    length_km: np.ndarray
    rail: np.ndarray  # a railway runs along it
    road: np.ndarray  # a road runs along it (not a railway alone)
    crossing: list[str | None]

    @classmethod
    def of(cls, graph, index: dict[str, int]) -> EdgeArrays:
        edges = list(graph.edges(data=True))
        return cls(
            np.array([index[a] for a, _, _ in edges], dtype=np.int64),
            np.array([index[b] for _, b, _ in edges], dtype=np.int64),
            np.array([d["length_km"] for _, _, d in edges]),
            np.array([bool(d.get("rail")) for _, _, d in edges]),
            np.array([d.get("road_class") is not None for _, _, d in edges]),
            [d.get("crossing") for _, _, d in edges],
        )


class CostGraph:
    """The theatre's edges as one reusable sparse matrix with a virtual source node (index n)
    joined to every node, so that multi-source shortest paths with per-source starting
    distances are a single scipy Dijkstra. Only the weights change between calls; an edge or a
    source that cannot be used gets an infinite weight. Every road is in the matrix both ways
    and the virtual node only leads out, so the search runs as directed (scipy's undirected
    mode would transpose the matrix on every call, for the same distances)."""

    def __init__(self, n: int, u: np.ndarray, v: np.ndarray):
        self.n, self.n_edges = n, len(u)
        rows = np.concatenate([u, v, np.full(n, n)])
        cols = np.concatenate([v, u, np.arange(n)])
        entries = np.arange(1, len(rows) + 1, dtype=float)
        self.matrix = csr_matrix((entries, (rows, cols)), shape=(n + 1, n + 1))
        self.order = self.matrix.data.astype(np.int64) - 1  # data slot -> entry number

    def distances(
        self, edge_cost: np.ndarray, source_offset: np.ndarray, limit: float = np.inf
    ) -> tuple[np.ndarray, np.ndarray]:
        """(distance, predecessor) of every node from the nearest source, where a source's
        distance starts at its offset (inf: not a source). Predecessor -9999 at sources and
        unreached nodes."""
        values = np.concatenate([edge_cost, edge_cost, source_offset + 1e-9])
        self.matrix.data[:] = values[self.order]
        dist, pred = dijkstra(
            self.matrix, directed=True, indices=self.n, return_predecessors=True, limit=limit
        )
        pred = pred[: self.n]
        return dist[: self.n], np.where(pred == self.n, -9999, pred)


def standing_edges(m: CampaignModel) -> np.ndarray:
    """Boolean per edge: its crossing (if any) can be used now (cached by the crossings'
    version; read only)."""
    version = m.world.crossings_version
    cached = m._standing
    if cached is None or cached[0] != version:
        m._standing = cached = (version, np.array([m.world.passable(c) for c in m.edges.crossing]))
    return cached[1]


def trace(m: CampaignModel, side: str) -> SupplyNet:
    """`_trace`, cached by the world's version: supply only changes when control, a crossing or
    a depot does."""
    key = (side, m.world.version)
    if key not in m.supply_cache:
        if len(m.supply_cache) > 64:  # keep the cache small: old states do not come back
            m.supply_cache.clear()
        m.supply_cache[key] = _trace(m, side)
    return m.supply_cache[key]


def _trace(m: CampaignModel, side: str) -> SupplyNet:
    """Supply distances from the side's bases, by rail and road, through its forward depots.

    Stage 1 (trains): Dijkstra from the working bases (kind "base": the rear, never cut) over
    held railway, at rail_cost_factor per km. Stage 2 (trucks): Dijkstra by road from the
    bases and every place a train reaches (at its rail distance): the haul. Stage 3: every
    forward depot the trucks reach, and every railhead the trains reach, is also a source, at
    `forward_depot_factor` times its own haul (stocks held forward shorten the last leg); a
    depot or railhead cut off from the bases stops working. A side with no base treats all its
    depots as bases.
    """
    n = len(m.node_ids)
    held = m.held(side)
    depots = [
        d
        for d in m.world.depots.values()
        if d.side == side and d.working and held[m.node_index[d.node]]
    ]
    bases = [d for d in depots if d.kind == "base"] or depots
    forward = [d for d in depots if d not in bases]
    if not bases:
        return SupplyNet(side, m.node_ids, m.node_index, np.full(n, np.inf), np.full(n, -9999))
    e = m.edges
    use = held[e.u] & held[e.v] & standing_edges(m)
    rail_cost = np.where(use & e.rail, e.length_km * m.params.rail_cost_factor, np.inf)
    road_cost = np.where(use & e.road, e.length_km, np.inf)
    offset = np.full(n, np.inf)
    offset[[m.node_index[d.node] for d in bases]] = 0.0
    by_rail, rail_pred = m.cost_graph.distances(rail_cost, offset)
    haul, haul_pred = m.cost_graph.distances(road_cost, np.minimum(offset, by_rail))
    fed = False
    sources = np.minimum(offset, by_rail)
    for d in forward:
        i = m.node_index[d.node]
        reached = by_rail[i] if d.kind == "railhead" else haul[i]
        if np.isfinite(reached):
            sources[i] = min(sources[i], m.params.forward_depot_factor * haul[i])
            fed = True
    if not fed:  # no forward depot in play: the haul is the supply distance
        return SupplyNet(side, m.node_ids, m.node_index, haul, haul_pred, (rail_pred,))
    dist, pred = m.cost_graph.distances(road_cost, sources)
    return SupplyNet(side, m.node_ids, m.node_index, dist, pred, (haul_pred, rail_pred))


def unit_supply_km(
    unit: Unit, net: SupplyNet, m: CampaignModel
) -> tuple[float, list[str], frozenset[str]]:
    """Traced supply distance to a unit, the route (depot first) and the route's places. The
    unit's own node may be contested or just taken; then the best neighbour the side holds
    is used."""
    node = unit.node
    known = net.to_unit.get(node)
    if known is not None:
        return known
    if net.reaches(node):
        km, route = net.distance(node), net.path(node)
    else:
        best, best_nb = math.inf, None
        for nb in sorted(m.graph.neighbors(node)):
            if net.reaches(nb):
                d = net.distance(nb) + m.graph.edges[node, nb]["length_km"]
                if d < best:
                    best, best_nb = d, nb
        km, route = best, ([*net.path(best_nb), node] if best_nb else [])
    known = net.to_unit[node] = km, route, frozenset(route)
    return known


def update_supply(m: CampaignModel, nets: dict[Side, SupplyNet]) -> None:
    """Refill units in supply, drain those beyond range or cut off."""
    p = m.params
    for unit in m.active_units():
        d, unit.supply_route, unit.supply_places = unit_supply_km(unit, nets[unit.side], m)
        unit.supply_km = d
        if d <= p.supply_range_km:
            unit.supply = min(1.0, unit.supply + p.supply_recovery_per_hour)
        else:
            unit.supply = max(0.0, unit.supply - p.supply_decay_per_hour)
