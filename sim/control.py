"""Territory: who holds each node, and the area and settlements that go with it.

Three rules, applied in order each hour after combat (docs/model.md, "Territory"):
1. Occupation: a node where only one side has units holding ground (active, not routed) is that
   side's.
2. Presence: an empty village or stretch of open country or forest passes to a side that has an
   advancing unit (attacking or moving) within `presence_km` by road, over crossings that
   stand, when its holder has no unit within that distance (patrols and light forces take
   undefended ground; a river without a bridge stops them, and troops holding a line do not
   creep forward). A town (urban node) changes hands only when troops enter it, or as a pocket.
3. Pockets: an empty node its holder can no longer reach from any of its depots, next to ground
   the enemy holds, passes to the enemy (a cut-off area collapses ring by ring).
When a node changes hands, the heavy equipment abandoned there by the loser is captured.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from sim.scenario import SIDES, other
from sim.supply import standing_edges

if TYPE_CHECKING:
    from sim.model import CampaignModel
    from sim.supply import SupplyNet


@dataclass(frozen=True)
class ControlChange:
    hour: int
    node: str
    from_side: str
    to_side: str
    rule: str  # "occupation" | "presence" | "pocket"


def road_distances(m: CampaignModel) -> np.ndarray:
    """Road km between every pair of nodes over standing crossings, up to presence_km (inf
    beyond): cached, and rebuilt only when a crossing changes."""
    key = (m.world.crossings_version, m.params.presence_km)
    cached = getattr(m, "_road_distances", None)
    if cached is None or cached[0] != key:
        n, e = len(m.node_ids), m.edges
        use = standing_edges(m)
        matrix = csr_matrix((np.concatenate([e.length_km[use], e.length_km[use]]),
                             (np.concatenate([e.u[use], e.v[use]]),
                              np.concatenate([e.v[use], e.u[use]]))), shape=(n, n))
        dist = dijkstra(matrix, directed=False, limit=m.params.presence_km)
        m._road_distances = cached = (key, dist)
    return cached[1]


def _presence(m: CampaignModel, side: str, advancing_only: bool) -> np.ndarray:
    """Boolean per node (theatre order): a unit of `side` holding ground (and, if
    `advancing_only`, attacking or moving) within presence_km by road over standing crossings."""
    n = len(m.node_ids)
    idx = sorted({m.node_index[u.node] for u in m.active_units(side)
                  if u.holds_ground and (not advancing_only or u.advancing)})
    if not idx or m.params.presence_km <= 0:
        return np.zeros(n, dtype=bool)
    return road_distances(m)[idx].min(axis=0) <= m.params.presence_km


def update_control(m: CampaignModel, nets: dict[str, SupplyNet]) -> list[ControlChange]:
    """Apply the three rules; returns the changes made this hour (in node order)."""
    occupied = {s: m.occupied_by(s) for s in SIDES}
    advancing = {s: _presence(m, s, True) for s in SIDES}
    present = {s: _presence(m, s, False) for s in SIDES}
    reached = {s: np.isfinite(nets[s].dist) for s in SIDES}
    urban = [m.graph.nodes[n]["terrain"] == "urban" for n in m.node_ids]
    depots = {s: m.world.has_depots(s) for s in SIDES}
    control = m.world.control
    changes: list[ControlChange] = []
    for i, node in enumerate(m.node_ids):
        holder = control[node]
        enemy = other(holder)
        rule = None
        if node in occupied[enemy]:
            if node not in occupied[holder]:
                rule = "occupation"
        elif node in occupied[holder]:
            pass
        elif advancing[enemy][i] and not present[holder][i] and not urban[i]:
            rule = "presence"
        elif (depots[holder] and not reached[holder][i]
              and any(control[nb] == enemy for nb in m.graph.neighbors(node))):
            rule = "pocket"
        if rule:
            changes.append(ControlChange(m.steps, node, holder, enemy, rule))
    for ch in changes:
        m.world.set_control(ch.node, ch.to_side)
        m.capture_abandoned(ch.node, ch.to_side)
    return changes


def held_totals(m: CampaignModel) -> dict[str, dict[str, float]]:
    """Area (km²) and settlements held by each side now, and taken since the start."""
    out = {}
    for s in SIDES:
        held = np.array([m.world.control[n] == s for n in m.node_ids])
        taken = held & ~m.initial_held[s]
        out[s] = {
            "area_km2": float(m.node_area[held].sum()),
            "settlements": int(held.sum()),
            "area_taken_km2": float(m.node_area[taken].sum()),
            "settlements_taken": int(taken.sum()),
        }
    return out
