"""Where combat is resolved: pure arithmetic over numbers and small arrays, no model, no I/O.

The equations are written out in docs/model.md ("Combat"). In short:

    power  = sum(weights * equipment) * quality * posture * terrain * supply * morale * fatigue
    ratio  = attacker power / defender power            (times a day's fog-of-war draw)
    attacker loss per hour = base_att / 24 * ratio ** -e    (capped)
    defender loss per hour = base_def / 24 * ratio **  e    (capped)
    defence level: hasty, then prepared after dig_in_hours in place, fortified after
            fortify_hours (in supply): multipliers 1.3, 1.5, 1.6 (Dupuy's posture factors)
    ground: the road to a place is crossed at the pace of a march through enemy ground up to
            the defended belt, defence_depth_km deep where the defence's density per km of
            front reaches defence_density and thinner in proportion (sim/model/rules/front.py);
            the belt (and a town's depth, if a garrison holds it) at the opposed rate of the
            defence's level (CDB90's medians) x terrain x (ratio / capture_ratio) ** a (capped;
            a steeper power below capture_ratio); the place falls when the attack has covered
            it all.
    a unit caught retreating (withdrawing or routed) fights at no defensive advantage and takes
    losses at the ratio of its pursuers, and loses a share to artillery fire on its route.

Base rates follow Dupuy's QJM/TNDM (2.8 %/day attacker, 1.5 %/day defender at parity).
benchmarks/cdb90.py fights CDB90's modern battles again with these rules.
`resolve_battle` is the one function the combat phase (sim/model/rules/combat.py) calls for a
battle: (the units' powers, the node's terrain, the fog, the physics) -> losses and ground
gained.
"""

from __future__ import annotations

import operator
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from enum import IntEnum
from itertools import chain
from typing import Protocol

import numpy as np

from sim.model.params_physics import PhysicsParameters

#: The equipment items every unit carries, in this order, in every array.
ITEMS: tuple[str, ...] = ("personnel", "tanks", "ifv_apc", "artillery", "mlrs")
PERSONNEL, TANKS, IFV_APC, ARTILLERY, MLRS = range(len(ITEMS))
#: Items that are vehicles or weapons (lost at `equipment_loss_factor` times the personnel rate,
#: and the ones that can be abandoned and captured).
HEAVY = np.array([False, True, True, True, True])
HOURS_PER_DAY = 24.0


class Fighter(Protocol):
    """What combat needs to know of a unit (sim/model/units.py's Unit has all of it)."""

    equipment: np.ndarray
    quality: float
    supply: float
    morale: float
    fatigue: float


class DefenceLevel(IntEnum):
    """How long a defender has worked on its position: hasty (just arrived), prepared (after
    dig_in_hours, in supply), fortified (after fortify_hours, in supply); NONE for a unit not
    in posture defend or reserve (caught moving, attacking or routed)."""

    NONE = -1
    HASTY = 0
    PREPARED = 1
    FORTIFIED = 2


def defence_level(
    hours_in_place: float, in_supply: bool, defending: bool, physics: PhysicsParameters
) -> DefenceLevel:
    """The level of a defence: digging in needs supply (timber, mines, the engineers' fuel)."""
    if not defending:
        return DefenceLevel.NONE
    if in_supply and hours_in_place >= physics.fortify_hours:
        return DefenceLevel.FORTIFIED
    if in_supply and hours_in_place >= physics.dig_in_hours:
        return DefenceLevel.PREPARED
    return DefenceLevel.HASTY


def level_multiplier(level: DefenceLevel, physics: PhysicsParameters) -> float:
    """The combat power multiplier of a defence level (1 for none)."""
    return {
        DefenceLevel.HASTY: physics.defend_multiplier,
        DefenceLevel.PREPARED: physics.prepared_defence_multiplier,
        DefenceLevel.FORTIFIED: physics.fortified_defence_multiplier,
    }.get(level, 1.0)


class Holder(Fighter, Protocol):
    """What combat needs to know of a unit holding a place: its posture and its defence level
    (sim/model/units.py's Unit has both)."""

    @property
    def posture(self) -> str: ...
    @property
    def defence_level(self) -> DefenceLevel: ...


def item_weights(physics: PhysicsParameters) -> np.ndarray:
    """Combat value points per item, in ITEMS order."""
    return np.array(
        [
            physics.weight_personnel,
            physics.weight_tank,
            physics.weight_ifv_apc,
            physics.weight_artillery,
            physics.weight_mlrs,
        ]
    )


def raw_power(equipment: np.ndarray, weights: np.ndarray) -> float:
    """Combat value points of a holding, before multipliers."""
    return float(np.dot(equipment, weights))


def supply_factor(supply: float, physics: PhysicsParameters) -> float:
    """Combat multiplier from supply level in [0, 1]: floor at 0, 1 at full supply."""
    return physics.supply_combat_floor + (1.0 - physics.supply_combat_floor) * min(
        max(supply, 0.0), 1.0
    )


def supply_factors(supply: np.ndarray, physics: PhysicsParameters) -> np.ndarray:
    """`supply_factor` of many supply levels at once (the same numbers)."""
    floor = physics.supply_combat_floor
    return floor + (1.0 - floor) * np.minimum(np.maximum(supply, 0.0), 1.0)


def morale_factor(morale: float, physics: PhysicsParameters) -> float:
    """Combat multiplier from morale in [0, 1]."""
    return physics.morale_combat_floor + (1.0 - physics.morale_combat_floor) * min(
        max(morale, 0.0), 1.0
    )


def fatigue_factor(fatigue: float, physics: PhysicsParameters) -> float:
    """Combat multiplier from fatigue in [0, 1]."""
    return 1.0 - physics.fatigue_combat_penalty * min(max(fatigue, 0.0), 1.0)


def terrain_factor(terrain: str, physics: PhysicsParameters) -> float:
    """Defender's multiplier for the node's terrain."""
    return {"urban": physics.urban_multiplier, "forest": physics.forest_multiplier}.get(
        terrain, 1.0
    )


def base_power(unit: Fighter, weights: np.ndarray, physics: PhysicsParameters) -> float:
    """A unit's combat power before posture, terrain, river and surprise: its items' value
    times quality, supply, morale and fatigue."""
    return (
        raw_power(unit.equipment, weights)
        * unit.quality
        * supply_factor(unit.supply, physics)
        * morale_factor(unit.morale, physics)
        * fatigue_factor(unit.fatigue, physics)
    )


_STATE = operator.attrgetter("quality", "supply", "morale", "fatigue")  # (`base_powers`)


def base_powers(
    units: Sequence[Fighter],
    weights: np.ndarray,
    physics: PhysicsParameters,
    equipment: np.ndarray | None = None,
) -> np.ndarray:
    """`base_power` of many units at once (one array operation; the same numbers).
    `equipment`: their items, a row each, if the caller has them as one array already (the
    world's units' table, sim/model/world.py)."""
    if not units:
        return np.zeros(0)
    if equipment is None:
        equipment = np.array([u.equipment for u in units])
    # (quality, supply, morale, fatigue) of each, a row each (one flat read: np.array over a
    # list of tuples costs more)
    state = np.fromiter(chain.from_iterable(map(_STATE, units)), float, 4 * len(units))
    state = state.reshape(-1, 4)
    quality = state[:, 0]
    # morale and fatigue clipped to [0, 1] (np.clip's numbers, without its cost on a list)
    morale, fatigue = np.minimum(np.maximum(state[:, 2:], 0.0), 1.0).T
    return (
        (equipment @ weights)
        * quality
        * supply_factors(state[:, 1], physics)
        * (physics.morale_combat_floor + (1.0 - physics.morale_combat_floor) * morale)
        * (1.0 - physics.fatigue_combat_penalty * fatigue)
    )


def attack_power(
    unit: Fighter,
    weights: np.ndarray,
    physics: PhysicsParameters,
    *,
    across_river: bool = False,
    surprise: bool = False,
) -> float:
    """Combat power of an attacking unit."""
    power = base_power(unit, weights, physics)
    if across_river:
        power *= physics.river_attack_multiplier
    if surprise:
        power *= physics.surprise_multiplier
    return power


def defence_power(
    unit: Fighter,
    weights: np.ndarray,
    physics: PhysicsParameters,
    *,
    terrain: str,
    level: DefenceLevel,
    routed: bool = False,
) -> float:
    """Combat power of a unit holding a place: its defence level (`level_multiplier`) and the
    place's terrain multiply it; a routed unit fights at rout_combat_factor."""
    power = base_power(unit, weights, physics)
    if routed:
        return power * physics.rout_combat_factor
    return power * level_multiplier(level, physics) * terrain_factor(terrain, physics)


def attackers_power(
    units: Iterable[Fighter],
    weights: np.ndarray,
    physics: PhysicsParameters,
    *,
    surprise: bool = False,
    across_river: Collection[Fighter] = (),
) -> float:
    """The summed power of units attacking a place (those in `across_river` attack over a
    river). The combat phase and a commander's estimate of a ratio both count an attack so."""
    return sum(
        attack_power(u, weights, physics, surprise=surprise, across_river=u in across_river)
        for u in units
    )


def defenders_power(
    units: Iterable[tuple[Holder, float]],
    weights: np.ndarray,
    physics: PhysicsParameters,
    *,
    terrain: str,
) -> float:
    """The summed power of the units defending a place of this terrain, each at its defence
    level (routed: rout_combat_factor) times the share of its power it brings there (1 for a
    unit standing in the place; a sector's share for one covering it from elsewhere:
    sim/model/rules/front.py, `defence`). The combat phase and a commander's estimate of a
    ratio both count a defence so."""
    return sum(
        share
        * defence_power(
            u, weights, physics, terrain=terrain, level=u.defence_level, routed=u.posture == "rout"
        )
        for u, share in units
    )


@dataclass(frozen=True)
class HourlyLosses:
    """Fractions of holdings lost in one hour of a battle, by side."""

    attacker: float
    defender: float


def loss_fractions(ratio: float, physics: PhysicsParameters) -> HourlyLosses:
    """Personnel loss fractions per hour for attacker and defender at a force ratio.

    At ratio 1 these are Dupuy's base rates divided by 24; the side with the lower ratio
    loses faster, by ratio**loss_ratio_exponent. Each is capped at max_loss_per_day / 24.
    """
    ratio = max(ratio, 1e-6)
    cap = physics.max_loss_per_day / HOURS_PER_DAY
    att = physics.attacker_loss_per_day / HOURS_PER_DAY * ratio ** (-physics.loss_ratio_exponent)
    dfd = physics.defender_loss_per_day / HOURS_PER_DAY * ratio**physics.loss_ratio_exponent
    return HourlyLosses(min(att, cap), min(dfd, cap))


def item_loss_fractions(
    personnel_fraction: float | np.ndarray, physics: PhysicsParameters
) -> np.ndarray:
    """Per-item loss fractions for one hour, given the personnel fraction (ITEMS values); for an
    array of fractions, one row each."""
    share = np.asarray(personnel_fraction, dtype=float)
    f = np.empty((*share.shape, len(ITEMS)))
    f[...] = (share * physics.equipment_loss_factor)[..., None]
    f[..., PERSONNEL] = share
    return np.minimum(f, 1.0, out=f)


def opposed_advance_kmday(
    level: DefenceLevel, terrain: str, ratio: float, physics: PhysicsParameters
) -> float:
    """How far an attack advances in a day against a dense defence at this level, on this
    terrain, at this force ratio: CDB90's median rate for the level (a defender caught out of
    a defensive posture counts as hasty) times the terrain's factor times the odds' factor:
    (ratio / capture_ratio) ** advance_ratio_exponent above capture_ratio (at most
    advance_ratio_cap), ** advance_low_exponent below it. It grows with the ratio but slowly
    once the attacker has the edge: posture and terrain set the pace more than the odds
    (Dupuy); below the edge it falls steeply, a slope and not a cliff."""
    rate = {
        DefenceLevel.PREPARED: physics.advance_prepared_kmday,
        DefenceLevel.FORTIFIED: physics.advance_fortified_kmday,
    }.get(level, physics.advance_hasty_kmday)
    rate *= {"urban": physics.advance_urban_factor, "forest": physics.advance_forest_factor}.get(
        terrain, 1.0
    )
    odds = max(ratio, 0.0) / physics.capture_ratio
    if odds >= 1.0:
        return rate * min(odds**physics.advance_ratio_exponent, physics.advance_ratio_cap)
    return rate * odds**physics.advance_low_exponent


def defended_depth_km(road_km: float, density: float, physics: PhysicsParameters) -> float:
    """How much of the road to a place the defence holds in depth: defence_depth_km where its
    density (combat power per km of front) reaches defence_density, in proportion below (a
    thin screen holds a thin belt: force-to-space), never more than the road."""
    share = min(1.0, max(density, 0.0) / physics.defence_density)
    return min(road_km, physics.defence_depth_km * share)


def hours_to_take(
    road_km: float,
    defended_km: float,
    free_kmday: float,
    opposed_kmday: float,
    town_km: float,
) -> float:
    """Hours an attack needs to take a place: the road up to the defended belt at the free pace
    of a march through enemy ground, the belt (`defended_km`) and, for a town a garrison holds,
    `town_km` of streets at the opposed rate (inf if those must be fought through at a rate
    of 0). A fight is never faster than the march: the opposed rate counts at most the free
    pace (a column on foot or over a ford marches slower than CDB90's rates)."""
    free = max(road_km - defended_km, 0.0)
    fought = defended_km + town_km
    opposed_kmday = min(opposed_kmday, free_kmday)
    if fought > 0 and opposed_kmday <= 0:
        return float("inf")
    hours = free / max(free_kmday, 1e-9) if free > 0 else 0.0
    if fought > 0:
        hours += fought / opposed_kmday
    return hours * HOURS_PER_DAY


@dataclass(frozen=True)
class BattleResult:
    """One hour of a battle at a node."""

    ratio: float  # attacker / defender power, fog included
    attacker_loss: float  # personnel fraction each attacking unit loses this hour
    defender_loss: float  # personnel fraction of its power there each defender loses
    advance_kmday: float  # the opposed rate of the attack this hour (through the defence)
    gain: float  # share of the way to taking the place the attack covers this hour


@dataclass(frozen=True)
class Ground:
    """What the ground and the defence's layout set for an attack on a place: the defence's
    level, the place's terrain, the defence's density (combat power per km of front), the
    attacker's free pace through enemy ground (km/day), the road to the place (km) and the
    depth of town a garrison defends in it (km, 0 for none)."""

    level: DefenceLevel
    terrain: str
    density: float
    free_kmday: float
    road_km: float
    town_km: float


def resolve_battle(
    attacker_power: float,
    defender_power: float,
    ground: Ground,
    *,
    fog: float,
    physics: PhysicsParameters,
) -> BattleResult:
    """The hour's outcome of a battle from the two sides' total powers (fire support
    included), the ground, and the day's fog-of-war multiplier on the ratio: the losses at
    the ratio, and the share of the way to the place the attack covers, 1 / `hours_to_take`
    at this hour's advance rate (0 below capture_ratio)."""
    ratio = attacker_power / max(defender_power, 1e-6) * fog
    rates = loss_fractions(ratio, physics)
    opposed = opposed_advance_kmday(ground.level, ground.terrain, ratio, physics)
    belt = defended_depth_km(ground.road_km, ground.density, physics)
    hours = hours_to_take(ground.road_km, belt, ground.free_kmday, opposed, ground.town_km)
    gain = 1.0 / hours if hours > 0 else 1.0
    return BattleResult(ratio, rates.attacker, rates.defender, opposed, gain)


def retreat_loss(
    pursuer_power: float, own_power: float, fire_value: float, physics: PhysicsParameters
) -> float:
    """Personnel fraction a retreating unit (withdrawing or routed, on the move) loses in an
    hour: to pursuers in contact, at the defender's rate for their ratio (a unit on the move
    has no defensive advantage), plus interdiction_loss_per_hour times the enemy artillery
    value in range per unit of its own power (at most 1). Capped at max_loss_per_day / 24."""
    own = max(own_power, 1e-6)
    loss = 0.0
    if pursuer_power > 0:
        loss += loss_fractions(pursuer_power / own, physics).defender
    if fire_value > 0:
        loss += physics.interdiction_loss_per_hour * min(fire_value / own, 1.0)
    return min(loss, physics.max_loss_per_day / HOURS_PER_DAY)


def apply_losses(equipment: np.ndarray, fractions: np.ndarray, carry: np.ndarray) -> np.ndarray:
    """Remove whole items: expected losses accumulate in `carry` (updated in place) and an
    item is lost each time the carry passes 1. Returns the items lost (never more than held).
    Deterministic: randomness in combat comes only from the ratio's fog-of-war draw."""
    carry += equipment * fractions
    lost = np.minimum(np.floor(carry), equipment)
    carry -= lost
    equipment -= lost
    return lost
