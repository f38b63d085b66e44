"""Territory: who holds each place, applied each hour after combat, supply and morale.

Three rules, tried in order for each place (docs/model.md, "Territory"):
1. Occupation: a place where only one side has units holding ground is that side's.
2. Presence: an empty village or stretch of open country or forest passes to a side that has an
   advancing unit (attacking or moving) within `presence_km` by road, over crossings that
   stand, when its holder has no unit within that distance (patrols and light forces take
   undefended ground; a river without a bridge stops them, and troops holding a line do not
   creep forward). A town (urban place) changes hands only when troops enter it, or as a pocket.
3. Pockets: an empty place its holder can no longer reach from any of its depots, next to
   ground the enemy holds, passes to the enemy (a cut-off area collapses ring by ring).
When a place changes hands, the heavy equipment abandoned there by the loser is captured.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.model.world import Positions, World
from sim.scenario import SIDES, Side, other


@dataclass(frozen=True)
class ControlChange:
    hour: int
    node: str
    from_side: Side
    to_side: Side
    rule: str  # "occupation" | "presence" | "pocket"


#: The rules, in the order they are tried.
RULES = ("occupation", "presence", "pocket")


def road_distances(world: World) -> np.ndarray:
    """Road km between every two places over standing crossings, up to presence_km (inf
    beyond): worked out again only when a crossing changes."""
    radius = world.physics.presence_km
    return world.derived(
        "presence distances",
        lambda: world.network.distances_within(radius, world.standing_edges()),
        on=("crossings",),
        key=radius,
    )


def presence(world: World, side: Side, advancing_only: bool) -> np.ndarray:
    """Boolean per place (network order): a unit of `side` holding ground (and, if
    `advancing_only`, attacking or moving) within presence_km by road over standing crossings."""
    pos = world.positions()
    at = (pos.advancing_mask if advancing_only else pos.mask)[side]
    if not at.any() or world.physics.presence_km <= 0:
        return np.zeros(len(world.network.node_ids), dtype=bool)
    return road_distances(world)[at].min(axis=0) <= world.physics.presence_km


def update_control(world: World) -> list[ControlChange]:
    """Apply the three rules; returns the changes made this hour (in place order).

    The rules read only the positions, the world's control, crossings and depots, and the
    supply traced this hour (a function of those): an hour that finds them as they were in an
    hour that changed nothing is skipped."""
    pos = world.positions()
    where = tuple(tuple(ix[s]) for ix in (pos.index, pos.advancing_index) for s in SIDES)
    return world.derived(
        "control changes",
        lambda: _apply_rules(world, pos),
        on=("control", "crossings", "depots"),
        key=(world.physics.presence_km, where),
    )


def _apply_rules(world: World, pos: Positions) -> list[ControlChange]:
    """Vectorised over places: for each, `holder` is the side holding it and `enemy` the other;
    the rules are tried in order and the first that applies wins."""
    ua = world.held("UA")
    network, nets = world.network, world.supply_lines
    occupied_by_holder = np.where(ua, pos.mask["UA"], pos.mask["RU"])
    occupied_by_enemy = np.where(ua, pos.mask["RU"], pos.mask["UA"])
    advancing = {s: presence(world, s, True) for s in SIDES}
    present = {s: presence(world, s, False) for s in SIDES}
    enemy_advancing = np.where(ua, advancing["RU"], advancing["UA"])
    holder_present = np.where(ua, present["UA"], present["RU"])
    holder_reaches = np.where(ua, np.isfinite(nets["UA"].dist), np.isfinite(nets["RU"].dist))
    holder_has_depots = np.where(ua, world.has_depots("UA"), world.has_depots("RU"))
    # a neighbour held by the enemy (over any edge, bridged or not): an end of an edge whose
    # two ends are held by different sides
    e = network.edges
    front = ua[e.u] != ua[e.v]
    enemy_next_door = np.zeros(len(ua), dtype=bool)
    enemy_next_door[e.u[front]] = True
    enemy_next_door[e.v[front]] = True

    occupation = occupied_by_enemy & ~occupied_by_holder
    empty = ~occupied_by_enemy & ~occupied_by_holder
    by_presence = empty & enemy_advancing & ~holder_present & ~network.urban
    pocket = empty & ~by_presence & holder_has_depots & ~holder_reaches & enemy_next_door
    rules = np.select([occupation, by_presence, pocket], [1, 2, 3], 0)
    changes: list[ControlChange] = []
    for i in np.flatnonzero(rules):
        node = network.node_ids[i]
        holder = world.control[node]
        changes.append(ControlChange(world.hour, node, holder, other(holder), RULES[rules[i] - 1]))
    for ch in changes:
        world.set_control(ch.node, ch.to_side)
        world.capture_abandoned(ch.node, ch.to_side)
    return changes
