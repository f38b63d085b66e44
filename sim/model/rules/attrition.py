"""Attrition outside the battles: what holding a position under fire, going without supply and
being cut off cost each hour (issue 23, "fighting costs").

After the battles of the combat phase (sim/model/rules/combat.py), each unit on the map:
- holding ground and not in a battle this hour, under enemy guns in range that are not firing in
  a battle (and fire from beyond the map's edge): loses `positional_loss_per_day` / 24 of its
  personnel times min(1, fire value / its own power) (`positional_loss`): shelling and patrols,
  the cost of a line held for weeks;
- short of supply (below `low_supply_level`): loses `unsupplied_loss_per_day` / 24 times how far
  below it is (sickness, desertion, stragglers);
- cut off with its supply below `surrender_supply`, or routed with enemy troops within
  presence_km: a share `straggler_surrender_per_day` / 24 times (1 - its morale) of its men give
  themselves up to the enemy (surrender in parts).
Vehicles go at equipment_loss_factor times the personnel share (Unit.lose); prisoners are
counted for the side that took them (World.prisoners).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import numpy as np

from sim.model.rules.combat_math import (
    ARTILLERY,
    HOURS_PER_DAY,
    MLRS,
    apply_losses,
    base_powers,
    item_loss_fractions,
)
from sim.model.rules.control import presence
from sim.model.units import Unit
from sim.model.world import World
from sim.scenario import SIDES, Posture, Side, other

_ROUT = Posture.ROUT  # (read once: an enum member read off its class costs a lookup)


class Free:
    """A side's units holding ground out of this hour's battles (shelled, and their guns fire),
    read once for the phase: the units, their rows of the units' table, their places' indices
    and their supply levels (none of which the phase changes; their items it does)."""

    def __init__(self, units: list[Unit], index: dict[str, int]):
        self.units = units
        self.rows = np.array([u.index for u in units], dtype=np.intp)
        self.at = np.array([index[u.node] for u in units], dtype=np.intp)
        self.supply = np.array([u.supply for u in units], dtype=float)


def enemy_fire(
    world: World[Unit], side: Side, busy: set[str], firing: Sequence[Unit] | Free | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """The guns of the enemy of `side` free to shell positions this hour: their places (km,
    one row each) and fire values at their ranges, as (xy, artillery value, rocket value,
    artillery range, rocket range) folded into two arrays: positions (k x 2) and a (k x 4)
    table of [artillery value, rocket value, artillery range km, rocket range km].
    `firing`: the enemy's units holding ground and not `busy`, if the caller has them."""
    physics, network = world.physics, world.network
    enemy = other(side)
    parts_xy: list[np.ndarray] = []
    parts: list[np.ndarray] = []
    if firing is None:
        firing = [e for e in world.active_units(enemy) if e.holds_ground and e.key not in busy]
    if not isinstance(firing, Free):
        firing = Free(list(firing), network.index)
    if firing.units:  # the units' guns, one array operation over them (the same numbers)
        equipment = world.table.equipment[firing.rows]
        guns, rockets = equipment[:, ARTILLERY], equipment[:, MLRS]
        armed = guns + rockets > 0
        floor = physics.supply_combat_floor
        supply = np.minimum(np.maximum(firing.supply, 0.0), 1.0)
        s = physics.fire_support_factor * (floor + (1.0 - floor) * supply)
        parts_xy.append(network.xy[firing.at[armed]])
        table = np.empty((len(firing.units), 4))
        table[:, 0] = guns * physics.weight_artillery * s
        table[:, 1] = rockets * physics.weight_mlrs * s
        table[:, 2] = physics.artillery_range_km
        table[:, 3] = physics.mlrs_range_km
        parts.append(table[armed])
    rows_xy: list[np.ndarray] = []
    rows: list[list[float]] = []
    for i, base in enumerate(world.fires):
        if base.side != enemy or not base.active(world.now) or f"fire:{i}" in busy:
            continue
        for xy in base.xy:
            rows_xy.append(xy)
            value = physics.fire_support_factor / len(base.xy)
            rows.append(
                [
                    base.guns * physics.weight_artillery * value,
                    base.rockets * physics.weight_mlrs * value,
                    base.range_km,
                    base.range_km,
                ]
            )
    if rows:
        parts_xy.append(np.array(rows_xy).reshape(-1, 2))
        parts.append(np.array(rows))
    if not parts or not sum(len(p) for p in parts):
        return np.zeros((0, 2)), np.zeros((0, 4))
    if len(parts) == 1:
        return parts_xy[0], parts[0]
    return np.concatenate(parts_xy), np.concatenate(parts)


def fire_at(xy: np.ndarray, guns_xy: np.ndarray, guns: np.ndarray) -> float:
    """The fire value that reaches a point: each gun's tubes within their range, its rockets
    within theirs."""
    if not len(guns):
        return 0.0
    d = np.hypot(*(guns_xy - xy).T)
    return float((guns[:, 0] * (d <= guns[:, 2]) + guns[:, 1] * (d <= guns[:, 3])).sum())


def positional_loss(fire: np.ndarray, own_power: np.ndarray, rate_per_day: float) -> np.ndarray:
    """Personnel share each position loses in an hour to `fire` (fire value reaching it)
    against its own power: rate_per_day / 24 x min(1, fire / own); 0 where no fire reaches."""
    share = rate_per_day / HOURS_PER_DAY * np.minimum(fire / np.maximum(own_power, 1e-6), 1.0)
    return np.where(fire > 0, share, 0.0)


def _near(world: World[Unit], side: Side) -> set[str]:
    """The places within presence_km by road of a unit of `side` holding ground."""
    reach = presence(world, side, advancing_only=False)
    return {world.network.node_ids[i] for i in np.flatnonzero(reach)}


def attrition_phase(world: World[Unit], busy: Iterable[str]) -> None:
    """Each unit's losses outside the battles this hour (the module's docstring). `busy`: the
    ids of the units that fought or gave fire support this hour (and "fire:i" for the fire
    bases beyond the edge that did). One side after the other: the second side's guns fire
    after the first side's losses."""
    physics, network, weights, table = world.physics, world.network, world.weights, world.table
    busy = set(busy)
    low_level = physics.low_supply_level
    low = max(low_level, 1e-9)
    per_hour = 1.0 / HOURS_PER_DAY
    unsupplied = physics.unsupplied_loss_per_day * per_hour
    # each side's units on the map (all active: a unit leaving it is taken off at once), and
    # those holding ground out of the battles (shelled, and their guns fire), with their
    # positions in the first list; neither changes in this phase (losses do not move a unit)
    on_map = {s: world.active_units(s) for s in SIDES}
    free_at = {
        s: [k for k, u in enumerate(on_map[s]) if u.holds_ground and u.key not in busy]
        for s in SIDES
    }
    free = {s: Free([on_map[s][k] for k in free_at[s]], network.index) for s in SIDES}
    for side in SIDES:
        units = on_map[side]
        if not units:
            continue
        guns_xy, guns = enemy_fire(world, side, busy, free[other(side)])
        loss = np.zeros(len(units))
        shelled = free[side]
        if len(guns) and shelled.units:
            at = network.xy[shelled.at]
            dx = at[:, 0, None] - guns_xy[None, :, 0]  # unit x gun
            dy = at[:, 1, None] - guns_xy[None, :, 1]
            d = np.sqrt(dx * dx + dy * dy)  # (np.linalg.norm's numbers, without its cost)
            reaching = (guns[:, 0] * (d <= guns[:, 2]) + guns[:, 1] * (d <= guns[:, 3])).sum(1)
            hit = np.flatnonzero(reaching > 0)
            if len(hit):
                under = [shelled.units[k] for k in hit.tolist()]
                own = base_powers(under, weights, physics, table.equipment[shelled.rows[hit]])
                lost = positional_loss(reaching[hit], own, physics.positional_loss_per_day)
                loss[np.array(free_at[side], dtype=np.intp)[hit]] = lost
        # short of supply: the same sum as one unit at a time (its share of the shelling,
        # then the shortage's)
        supply = np.array([u.supply for u in units])
        short = supply < low_level
        if short.any():
            loss[short] = loss[short] + unsupplied * (1.0 - supply[short] / low)
        losing = np.flatnonzero(loss > 0)
        if len(losing):
            lose_together([units[k] for k in losing.tolist()], loss[losing].tolist())
        _give_up(world, side, units)


def _give_up(world: World[Unit], side: Side, units: list[Unit]) -> None:
    """The men of `side` who give themselves up this hour: a unit cut off with its supply
    below surrender_supply, or routed with enemy troops near (the module's docstring)."""
    physics, per_hour = world.physics, 1.0 / HOURS_PER_DAY
    near_enemy: set[str] | None = None  # worked out if a unit is routed
    for u in units:
        posture = u.posture
        if (posture != _ROUT and math.isfinite(u.supply_km)) or not u.active:
            continue  # neither cut off nor routed
        cut_off = not math.isfinite(u.supply_km) and u.supply < physics.surrender_supply
        routed_near = False
        if not cut_off and posture == _ROUT:
            if near_enemy is None:
                near_enemy = _near(world, other(side))
            routed_near = u.node in near_enemy
        if cut_off or routed_near:
            give_up = physics.straggler_surrender_per_day * per_hour * (1.0 - u.morale)
            u.give_up_men(give_up)


def lose_together(units: Sequence[Unit], fractions: Sequence[float]) -> None:
    """`Unit.lose` (no prisoners) of many units at once: one array operation over them, the
    same numbers (every step is elementwise), for the hourly attrition of every unit."""
    if not units:
        return
    world = units[0].world
    f = item_loss_fractions(np.array(fractions, dtype=float), world.physics)
    table = world.table  # their rows of the units' table:
    rows = np.fromiter([u.index for u in units], np.intp, len(units))
    equipment, carry = table.equipment[rows], table.loss_carry[rows]
    lost = apply_losses(equipment, f, carry)
    table.equipment[rows], table.loss_carry[rows] = equipment, carry
    table.lost[rows] += lost
    for u, fraction in zip(units, fractions, strict=True):
        u.losses_this_hour += fraction
