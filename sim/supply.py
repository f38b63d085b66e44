"""Supply: traced each hour from a side's depots and railheads through ground the side holds.

Rail counts at `rail_cost_factor` of its length (a train carries what dozens of trucks do), so a
railhead far up a line still feeds the units near it, and cutting the line (taking a node on it,
or destroying its bridge) cuts that supply. A unit whose traced distance is within
`supply_range_km` is in supply and refills; otherwise its supply level decays, and with no path
at all it is cut off (encircled).

The trace is a multi-source Dijkstra (scipy.sparse.csgraph) over the edges whose two ends the side
holds and whose crossing stands.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

if TYPE_CHECKING:
    from sim.model import CampaignModel
    from sim.units import Unit


@dataclass
class SupplyNet:
    """One side's traced supply network for the current hour."""

    side: str
    node_ids: list[str]
    index: dict[str, int]
    dist: np.ndarray  # effective km from the nearest depot, per node (inf: not reached)
    pred: np.ndarray  # predecessor towards that depot (-9999 at depots and unreached nodes)

    def reaches(self, node: str) -> bool:
        return bool(np.isfinite(self.dist[self.index[node]]))

    def distance(self, node: str) -> float:
        return float(self.dist[self.index[node]])

    def path(self, node: str) -> list[str]:
        """Depot first, `node` last ([] if not reached)."""
        i = self.index[node]
        if not np.isfinite(self.dist[i]):
            return []
        out = [i]
        while self.pred[out[-1]] >= 0:
            out.append(int(self.pred[out[-1]]))
        return [self.node_ids[j] for j in reversed(out)]


def trace(m: CampaignModel, side: str) -> SupplyNet:
    """Multi-source shortest supply distances from the side's working depots."""
    n = len(m.node_ids)
    held = np.array([m.control[x] == side for x in m.node_ids])
    sources = sorted({m.node_index[d.node] for d in m.depots.values()
                      if d.side == side and d.working and held[m.node_index[d.node]]})
    if not sources:
        return SupplyNet(side, m.node_ids, m.node_index, np.full(n, np.inf),
                         np.full(n, -9999))
    e = m.edges
    standing = np.array([c is None or m.crossing_state[c] in ("intact", "ford", "pontoon")
                         for c in e.crossing])
    use = held[e.u] & held[e.v] & standing
    cost = np.where(e.rail, e.length_km * m.params.rail_cost_factor, e.length_km)[use]
    graph = csr_matrix((cost, (e.u[use], e.v[use])), shape=(n, n))
    dist, pred, _ = dijkstra(graph, directed=False, indices=sources, min_only=True,
                             return_predecessors=True)
    return SupplyNet(side, m.node_ids, m.node_index, dist, pred)


def unit_supply_km(unit: Unit, net: SupplyNet, m: CampaignModel) -> tuple[float, list[str]]:
    """Traced supply distance to a unit and the route (depot first). The unit's own node may
    be contested or just taken; then the best neighbour the side holds is used."""
    node = unit.node
    if net.reaches(node):
        return net.distance(node), net.path(node)
    best, best_nb = math.inf, None
    for nb in sorted(m.graph.neighbors(node)):
        if net.reaches(nb):
            d = net.distance(nb) + m.graph.edges[node, nb]["length_km"]
            if d < best:
                best, best_nb = d, nb
    return best, ([*net.path(best_nb), node] if best_nb else [])


def update_supply(m: CampaignModel, nets: dict[str, SupplyNet]) -> None:
    """Refill units in supply, drain those beyond range or cut off."""
    p = m.params
    for unit in m.active_units():
        d, route = unit_supply_km(unit, nets[unit.side], m)
        unit.supply_km, unit.supply_route = d, route
        if unit.baseline_supply_km is None and math.isfinite(d):
            unit.baseline_supply_km = max(d, 1.0)
        if d <= p.supply_range_km:
            unit.supply = min(1.0, unit.supply + p.supply_recovery_per_hour)
        else:
            unit.supply = max(0.0, unit.supply - p.supply_decay_per_hour)
