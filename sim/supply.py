"""Supply: traced each hour from a side's depots and railheads through ground the side holds.

Rail counts at `rail_cost_factor` of its length (a train carries what dozens of trucks do), so a
railhead far up a line still feeds the units near it, and cutting the line (taking a node on it,
or destroying its bridge) cuts that supply. A unit whose traced distance is within
`supply_range_km` is in supply and refills; otherwise its supply level decays, and with no path
at all it is cut off (encircled).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import networkx as nx

from sim.movement import PASSABLE

if TYPE_CHECKING:
    from sim.model import CampaignModel
    from sim.units import Unit


@dataclass
class SupplyNet:
    """One side's traced supply network for the current hour."""

    side: str
    dist_km: dict[str, float] = field(default_factory=dict)  # effective km from a depot
    paths: dict[str, list[str]] = field(default_factory=dict)  # depot ... node

    def reaches(self, node: str) -> bool:
        return node in self.dist_km


def trace(m: CampaignModel, side: str) -> SupplyNet:
    """Multi-source Dijkstra from the side's working depots over nodes it holds."""
    p = m.params
    sources = sorted(d.node for d in m.depots.values()
                     if d.side == side and d.working and m.control[d.node] == side)
    net = SupplyNet(side)
    if not sources:
        return net
    control, state = m.control, m.crossing_state

    def weight(u: str, v: str, data: dict) -> float | None:
        if control[u] != side or control[v] != side:
            return None
        cid = data.get("crossing")
        if cid is not None and state[cid] not in PASSABLE:
            return None
        if data.get("rail"):
            return data["length_km"] * p.rail_cost_factor
        return data["length_km"]

    dist, paths = nx.multi_source_dijkstra(m.graph, sources, weight=weight)
    net.dist_km, net.paths = dist, paths
    return net


def unit_supply_km(unit: Unit, net: SupplyNet, m: CampaignModel) -> tuple[float, list[str]]:
    """Traced supply distance to a unit and the route (depot first). The unit's own node may
    be contested or just taken; then the best neighbour the side holds is used."""
    node = unit.node
    if net.reaches(node):
        return net.dist_km[node], net.paths[node]
    best, route = math.inf, []
    for nb in sorted(m.graph.neighbors(node)):
        if net.reaches(nb):
            d = net.dist_km[nb] + m.graph.edges[node, nb]["length_km"]
            if d < best:
                best, route = d, [*net.paths[nb], node]
    return best, route


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
