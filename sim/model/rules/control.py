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

from sim.model.rules.supply import standing_edges
from sim.scenario import SIDES, Side, other

if TYPE_CHECKING:
    from sim.model import CampaignModel
    from sim.model.rules.supply import SupplyNet


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
        matrix = csr_matrix(
            (
                np.concatenate([e.length_km[use], e.length_km[use]]),
                (np.concatenate([e.u[use], e.v[use]]), np.concatenate([e.v[use], e.u[use]])),
            ),
            shape=(n, n),
        )
        dist = dijkstra(matrix, directed=False, limit=m.params.presence_km)
        m._road_distances = cached = (key, dist)
    return cached[1]


def _presence(m: CampaignModel, side: str, advancing_only: bool) -> np.ndarray:
    """Boolean per node (theatre order): a unit of `side` holding ground (and, if
    `advancing_only`, attacking or moving) within presence_km by road over standing crossings."""
    pos = m.positions()
    at = (pos.advancing_mask if advancing_only else pos.mask)[side]
    if not at.any() or m.params.presence_km <= 0:
        return np.zeros(len(m.node_ids), dtype=bool)
    return road_distances(m)[at].min(axis=0) <= m.params.presence_km


def update_control(m: CampaignModel, nets: dict[Side, SupplyNet]) -> list[ControlChange]:
    """Apply the three rules; returns the changes made this hour (in node order).

    Vectorised over nodes: for each node, `holder` is the side holding it and `enemy` the
    other; the rules are tried in order and the first that applies wins. The rules read only
    the positions, the world (control, crossings, depots: its version) and the supply nets
    (traced from the world); an hour that changed nothing and finds them as they were when
    nothing changed is skipped."""
    pos = m.positions()
    key = (
        m.world.version,
        m.params.presence_km,
        *(tuple(ix[s]) for ix in (pos.index, pos.advancing_index) for s in SIDES),
    )
    if m._control_quiet == key:
        return []
    changes = _apply_rules(m, nets, pos)
    m._control_quiet = None if changes else key
    return changes


def _apply_rules(m: CampaignModel, nets: dict[Side, SupplyNet], pos) -> list[ControlChange]:
    ua = m.held("UA")
    occupied_by_holder = np.where(ua, pos.mask["UA"], pos.mask["RU"])
    occupied_by_enemy = np.where(ua, pos.mask["RU"], pos.mask["UA"])
    advancing = {s: _presence(m, s, True) for s in SIDES}
    present = {s: _presence(m, s, False) for s in SIDES}
    enemy_advancing = np.where(ua, advancing["RU"], advancing["UA"])
    holder_present = np.where(ua, present["UA"], present["RU"])
    holder_reaches = np.where(ua, np.isfinite(nets["UA"].dist), np.isfinite(nets["RU"].dist))
    holder_has_depots = np.where(ua, m.world.has_depots("UA"), m.world.has_depots("RU"))
    # a neighbour held by the enemy (over any edge, bridged or not): an end of an edge whose
    # two ends are held by different sides
    e = m.edges
    front = ua[e.u] != ua[e.v]
    enemy_next_door = np.zeros(len(ua), dtype=bool)
    enemy_next_door[e.u[front]] = True
    enemy_next_door[e.v[front]] = True

    occupation = occupied_by_enemy & ~occupied_by_holder
    empty = ~occupied_by_enemy & ~occupied_by_holder
    presence = empty & enemy_advancing & ~holder_present & ~m.urban
    pocket = empty & ~presence & holder_has_depots & ~holder_reaches & enemy_next_door
    rules = np.select([occupation, presence, pocket], [1, 2, 3], 0)
    changes: list[ControlChange] = []
    for i in np.flatnonzero(rules):
        node = m.node_ids[i]
        holder = m.world.control[node]
        changes.append(ControlChange(m.steps, node, holder, other(holder), RULES[rules[i]]))
    for ch in changes:
        m.world.set_control(ch.node, ch.to_side)
        m.capture_abandoned(ch.node, ch.to_side)
    return changes


#: The rule codes of update_control.
RULES = {1: "occupation", 2: "presence", 3: "pocket"}


def held_totals(m: CampaignModel) -> dict[str, dict[str, float]]:
    """Area (km²) and settlements held by each side now, and taken since the start."""
    out: dict[str, dict[str, float]] = {}
    for s in SIDES:
        held = m.held(s)
        taken = held & ~m.initial_held[s]
        out[s] = {
            "area_km2": float(m.node_area[held].sum()),
            "settlements": int(held.sum()),
            "area_taken_km2": float(m.node_area[taken].sum()),
            "settlements_taken": int(taken.sum()),
        }
    return out
