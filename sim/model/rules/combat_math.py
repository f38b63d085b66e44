"""Where combat is resolved: pure arithmetic over numbers and small arrays, no model, no I/O.

The equations are written out in docs/model.md ("Combat"). In short:

    power  = sum(weights * equipment) * quality * posture * terrain * supply * morale * fatigue
    ratio  = attacker power / defender power            (times a day's fog-of-war draw)
    attacker loss per hour = base_att / 24 * ratio ** -e    (capped)
    defender loss per hour = base_def / 24 * ratio **  e    (capped)
    ground: if ratio >= capture_ratio, the attack gains (ratio / capture_ratio) ** a
            / (capture_hours * terrain factor) of the node each hour; at 1 the defenders are
            forced out. Clearing time therefore grows with the garrison and falls with the odds,
            with no floor.
    a unit caught retreating (withdrawing or routed) fights at no defensive advantage and takes
    losses at the ratio of its pursuers, and loses a share to artillery fire on its route.

Base rates follow Dupuy's QJM/TNDM (2.8 %/day attacker, 1.5 %/day defender at parity).
`resolve_battle` is the one function the combat phase (sim/model/rules/combat.py) calls for a
battle: (the units' powers, the node's terrain, the fog, the physics) -> losses and ground
gained.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
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


class Holder(Fighter, Protocol):
    """What combat needs to know of a unit holding a place: its posture and whether it is dug
    in (sim/model/units.py's Unit has both)."""

    @property
    def posture(self) -> str: ...
    @property
    def prepared(self) -> bool: ...


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
    defending: bool,
    prepared: bool,
    routed: bool = False,
) -> float:
    """Combat power of a unit holding a node: posture (`defending`: posture defend; `prepared`:
    dug in, which needs supply) and terrain multiply it; a routed unit fights at
    rout_combat_factor."""
    power = base_power(unit, weights, physics)
    if routed:
        return power * physics.rout_combat_factor
    if defending:
        power *= physics.prepared_defence_multiplier if prepared else physics.defend_multiplier
    return power * terrain_factor(terrain, physics)


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
    units: Iterable[Holder], weights: np.ndarray, physics: PhysicsParameters, *, terrain: str
) -> float:
    """The summed power of the units holding a place of this terrain, each in its posture
    (defending, dug in or not; routed). The combat phase and a commander's estimate of a ratio
    both count a defence so."""
    return sum(
        defence_power(
            u,
            weights,
            physics,
            terrain=terrain,
            defending=u.posture == "defend",
            prepared=u.prepared,
            routed=u.posture == "rout",
        )
        for u in units
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


def item_loss_fractions(personnel_fraction: float, physics: PhysicsParameters) -> np.ndarray:
    """Per-item loss fractions for one hour, given the personnel fraction."""
    f = np.full(len(ITEMS), personnel_fraction * physics.equipment_loss_factor)
    f[PERSONNEL] = personnel_fraction
    return np.minimum(f, 1.0)


def capture_factor(terrain: str, physics: PhysicsParameters) -> float:
    """How many times longer than open country a place of this terrain takes to clear."""
    return {"urban": physics.urban_capture_factor, "forest": physics.forest_capture_factor}.get(
        terrain, 1.0
    )


def ground_gain(ratio: float, physics: PhysicsParameters, terrain: str = "open") -> float:
    """Share of a defended node the attacker gains in one hour: 0 below capture_ratio, else
    (ratio / capture_ratio) ** capture_ratio_exponent / (capture_hours x the terrain's
    capture factor). Strictly increasing in the ratio: more attackers never slow a capture,
    a bigger garrison always does."""
    if ratio < physics.capture_ratio:
        return 0.0
    return (ratio / physics.capture_ratio) ** physics.capture_ratio_exponent / (
        physics.capture_hours * capture_factor(terrain, physics)
    )


def capture_time_hours(ratio: float, physics: PhysicsParameters, terrain: str = "open") -> float:
    """Hours to clear a node at a steady ratio (inf below capture_ratio)."""
    gain = ground_gain(ratio, physics, terrain)
    return 1.0 / gain if gain > 0 else float("inf")


@dataclass(frozen=True)
class BattleResult:
    """One hour of a battle at a node."""

    ratio: float  # attacker / defender power, fog included
    attacker_loss: float  # personnel fraction each attacking unit loses this hour
    defender_loss: float  # personnel fraction each defending unit loses this hour
    gain: float  # share of the node the attack gains this hour


def resolve_battle(
    attacker_power: float,
    defender_power: float,
    *,
    terrain: str,
    fog: float,
    physics: PhysicsParameters,
) -> BattleResult:
    """The hour's outcome of a battle from the two sides' total powers (fire support
    included), the node's terrain and the day's fog-of-war multiplier on the ratio."""
    ratio = attacker_power / max(defender_power, 1e-6) * fog
    rates = loss_fractions(ratio, physics)
    return BattleResult(ratio, rates.attacker, rates.defender, ground_gain(ratio, physics, terrain))


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
