"""Territory: who holds each place, applied each hour after combat, supply and morale.

Three rules, tried in order for each place (docs/model.md, "Territory"):
1. Occupation: a place where only one side has units holding ground is that side's.
2. Presence: an empty village or stretch of open country or forest passes to a side that has an
   advancing unit (attacking or moving) within `presence_km` by road, over crossings that
   stand, when its holder has no unit within that distance (patrols and light forces take
   undefended ground; a river without a bridge stops them, and troops holding a line do not
   creep forward). A town (urban place) changes hands only when troops enter it, or as a pocket.
3. Pockets: an empty place its holder can no longer reach from any of its depots (its supply
   is not traced through the enemy's zone of control), next to ground the enemy holds, passes
   to the enemy when the enemy can trace supply to a place next to it and has a unit holding
   ground within `pocket_km` (a cut-off area collapses ring by ring as the enemy closes in).
Neither presence nor a pocket takes a place inside one of its holder's sectors
(sim/model/rules/front.py): there only combat does. And a place changes hands by presence or
pocket at most `max_free_changes` times in a run; after that only troops entering it take it.
When a place changes hands, the heavy equipment abandoned there by the loser is captured.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.model.rules import front
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
    """Road km between every two places over standing crossings, up to the larger of
    presence_km and pocket_km (inf beyond): worked out again only when a crossing changes."""
    radius = max(world.physics.presence_km, world.physics.pocket_km)
    return world.derived(
        "presence distances",
        lambda: world.network.distances_within(radius, world.standing_edges()),
        on=("crossings",),
        key=radius,
    )


def presence(
    world: World, side: Side, advancing_only: bool, within_km: float | None = None
) -> np.ndarray:
    """Boolean per place (network order): a unit of `side` holding ground (and, if
    `advancing_only`, attacking or moving) within `within_km` (default presence_km) by road
    over standing crossings."""
    radius = world.physics.presence_km if within_km is None else within_km
    pos = world.positions()
    at = (pos.advancing_mask if advancing_only else pos.mask)[side]
    if not at.any() or radius <= 0:
        return np.zeros(len(world.network.node_ids), dtype=bool)
    return road_distances(world)[at].min(axis=0) <= radius


def update_control(world: World) -> list[ControlChange]:
    """Apply the three rules; returns the changes made this hour (in place order).

    The rules read only the positions, the world's control, crossings and depots, and the
    supply traced this hour (a function of those): an hour that finds them as they were in an
    hour that changed nothing is skipped."""
    pos = world.positions()
    physics = world.physics
    return world.derived(
        "control changes",
        lambda: _apply_rules(world, pos),
        on=("control", "crossings", "depots", "units"),
        key=(physics.presence_km, physics.pocket_km, physics.max_free_changes),
    )


def _apply_rules(world: World, pos: Positions) -> list[ControlChange]:
    """Vectorised over places: for each, `holder` is the side holding it and `enemy` the other;
    the rules are tried in order and the first that applies wins."""
    ua = world.held("UA")
    network, nets = world.network, world.supply_lines
    occupied_by_holder = np.where(ua, pos.mask["UA"], pos.mask["RU"])
    occupied_by_enemy = np.where(ua, pos.mask["RU"], pos.mask["UA"])
    advancing = {s: presence(world, s, True) for s in SIDES}
    # `presence` within presence_km and within pocket_km, from one look at the road km
    present: dict[str, np.ndarray] = {}
    near: dict[str, np.ndarray] = {}
    nowhere = np.zeros(len(ua), dtype=bool)
    for s in SIDES:
        at = pos.mask[s]
        km = road_distances(world)[at].min(axis=0) if at.any() else None
        for out, radius in ((present, world.physics.presence_km), (near, world.physics.pocket_km)):
            out[s] = nowhere if km is None or radius <= 0 else km <= radius
    enemy_advancing = np.where(ua, advancing["RU"], advancing["UA"])
    holder_present = np.where(ua, present["UA"], present["RU"])
    enemy_near = np.where(ua, near["RU"], near["UA"])
    reaches = {s: np.isfinite(nets[s].dist) for s in SIDES}
    holder_reaches = np.where(ua, reaches["UA"], reaches["RU"])
    f = front.front(world)
    covered = np.where(ua, f.covered["UA"], f.covered["RU"])
    used = np.zeros(len(ua), dtype=int)  # free changes so far (most places: none)
    for node, count in world.free_changes.items():
        used[network.index[node]] = count
    free = used < world.physics.max_free_changes
    holder_has_depots = np.where(ua, world.has_depots("UA"), world.has_depots("RU"))
    # a neighbour held by the enemy (over any edge, bridged or not): an end of an edge whose
    # two ends are held by different sides
    e = network.edges
    front_edge = ua[e.u] != ua[e.v]
    enemy_next_door = np.zeros(len(ua), dtype=bool)
    enemy_next_door[e.u[front_edge]] = True
    enemy_next_door[e.v[front_edge]] = True
    # the enemy can trace supply to a place next to it (over an edge whose crossing stands)
    standing = world.standing_edges()
    enemy_supplies_next_door = np.zeros(len(ua), dtype=bool)
    for s in SIDES:
        theirs = np.where(ua, s == "RU", s == "UA")  # places whose enemy is s
        lit = np.zeros(len(ua), dtype=bool)
        lit[e.u[standing & reaches[s][e.v]]] = True
        lit[e.v[standing & reaches[s][e.u]]] = True
        enemy_supplies_next_door |= theirs & lit

    occupation = occupied_by_enemy & ~occupied_by_holder
    empty = ~occupied_by_enemy & ~occupied_by_holder & ~covered & free
    by_presence = empty & enemy_advancing & ~holder_present & ~network.urban
    pocket = (
        empty
        & ~by_presence
        & holder_has_depots
        & ~holder_reaches
        & enemy_next_door
        & enemy_near
        & enemy_supplies_next_door
    )
    # the first rule that applies (np.select's answer, without its overhead)
    rules = np.where(occupation, 1, np.where(by_presence, 2, np.where(pocket, 3, 0)))
    changes: list[ControlChange] = []
    for i in np.flatnonzero(rules):
        node = network.node_ids[i]
        holder = world.control[node]
        changes.append(ControlChange(world.hour, node, holder, other(holder), RULES[rules[i] - 1]))
    for ch in changes:
        world.set_control(ch.node, ch.to_side)
        world.capture_abandoned(ch.node, ch.to_side)
        if ch.rule != "occupation":
            world.free_changes[ch.node] = world.free_changes.get(ch.node, 0) + 1
    return changes
