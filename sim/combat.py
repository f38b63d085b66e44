"""Where combat is resolved: pure arithmetic over numbers and small arrays, no model, no I/O.

The equations are written out in docs/model.md ("Combat"). In short:

    power  = sum(weights * equipment) * quality * posture * terrain * supply * morale * fatigue
    ratio  = attacker power / defender power            (times a day's fog-of-war draw)
    attacker loss per hour = base_att / 24 * ratio ** -e    (capped)
    defender loss per hour = base_def / 24 * ratio **  e    (capped)
    ground: if ratio >= capture_ratio, the attack gains (ratio / capture_ratio - 1) / capture_hours
            (+ a small constant) of the node each hour, at most 1 / min_capture_hours of its
            terrain; at 1 the defenders are forced out.

Base rates follow Dupuy's QJM/TNDM (2.8 %/day attacker, 1.5 %/day defender at parity).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.params import Parameters

#: The equipment items every unit carries, in this order, in every array.
ITEMS: tuple[str, ...] = ("personnel", "tanks", "ifv_apc", "artillery", "mlrs")
PERSONNEL, TANKS, IFV_APC, ARTILLERY, MLRS = range(len(ITEMS))
#: Items that are vehicles or weapons (lost at `equipment_loss_factor` times the personnel rate,
#: and the ones that can be abandoned and captured).
HEAVY = np.array([False, True, True, True, True])
HOURS_PER_DAY = 24.0
#: Exactly at the capture ratio an attack still gains 1 / (this x capture_hours) of a node an
#: hour, so a capture is possible at the threshold (it takes 4 x capture_hours) and the gain
#: rises strictly with the ratio.
THRESHOLD_GAIN_DIVISOR = 4.0


def item_weights(p: Parameters) -> np.ndarray:
    """Combat value points per item, in ITEMS order."""
    return np.array([p.weight_personnel, p.weight_tank, p.weight_ifv_apc,
                     p.weight_artillery, p.weight_mlrs])


def fire_weights(p: Parameters) -> np.ndarray:
    """The part of the weights that can fire at range (artillery and rockets only)."""
    w = np.zeros(len(ITEMS))
    w[ARTILLERY], w[MLRS] = p.weight_artillery, p.weight_mlrs
    return w


def raw_power(equipment: np.ndarray, weights: np.ndarray) -> float:
    """Combat value points of a holding, before multipliers."""
    return float(np.dot(equipment, weights))


def supply_factor(supply: float, p: Parameters) -> float:
    """Combat multiplier from supply level in [0, 1]: floor at 0, 1 at full supply."""
    return p.supply_combat_floor + (1.0 - p.supply_combat_floor) * min(max(supply, 0.0), 1.0)


def morale_factor(morale: float, p: Parameters) -> float:
    """Combat multiplier from morale in [0, 1]."""
    return p.morale_combat_floor + (1.0 - p.morale_combat_floor) * min(max(morale, 0.0), 1.0)


def fatigue_factor(fatigue: float, p: Parameters) -> float:
    """Combat multiplier from fatigue in [0, 1]."""
    return 1.0 - p.fatigue_combat_penalty * min(max(fatigue, 0.0), 1.0)


def terrain_factor(terrain: str, p: Parameters) -> float:
    """Defender's multiplier for the node's terrain."""
    return {"urban": p.urban_multiplier, "forest": p.forest_multiplier}.get(terrain, 1.0)


@dataclass(frozen=True)
class HourlyLosses:
    """Fractions of holdings lost in one hour of a battle, by side."""

    attacker: float
    defender: float


def loss_fractions(ratio: float, p: Parameters) -> HourlyLosses:
    """Personnel loss fractions per hour for attacker and defender at a force ratio.

    At ratio 1 these are Dupuy's base rates divided by 24; the side with the lower ratio
    loses faster, by ratio**loss_ratio_exponent. Each is capped at max_loss_per_day / 24.
    """
    ratio = max(ratio, 1e-6)
    cap = p.max_loss_per_day / HOURS_PER_DAY
    att = p.attacker_loss_per_day / HOURS_PER_DAY * ratio ** (-p.loss_ratio_exponent)
    dfd = p.defender_loss_per_day / HOURS_PER_DAY * ratio ** p.loss_ratio_exponent
    return HourlyLosses(min(att, cap), min(dfd, cap))


def item_loss_fractions(personnel_fraction: float, p: Parameters) -> np.ndarray:
    """Per-item loss fractions for one hour, given the personnel fraction."""
    f = np.full(len(ITEMS), personnel_fraction * p.equipment_loss_factor)
    f[PERSONNEL] = personnel_fraction
    return np.minimum(f, 1.0)


def ground_gain(ratio: float, p: Parameters, terrain: str = "open") -> float:
    """Share of a defended node the attacker gains in one hour (0 below capture_ratio), at most
    1 / (the terrain's minimum capture hours): clearing a town takes time whatever the odds."""
    if ratio < p.capture_ratio:
        return 0.0
    gain = ((ratio / p.capture_ratio - 1.0) / p.capture_hours
            + 1.0 / (p.capture_hours * THRESHOLD_GAIN_DIVISOR))
    return min(gain, 1.0 / min_capture_hours(terrain, p))


def min_capture_hours(terrain: str, p: Parameters) -> float:
    """Fewest hours of combat to clear a defended place of this terrain."""
    return {"urban": p.min_capture_hours_urban,
            "forest": p.min_capture_hours_forest}.get(terrain, p.min_capture_hours_open)


def apply_losses(equipment: np.ndarray, fractions: np.ndarray,
                 carry: np.ndarray) -> np.ndarray:
    """Remove whole items: expected losses accumulate in `carry` (updated in place) and an
    item is lost each time the carry passes 1. Returns the items lost (never more than held).
    Deterministic: randomness in combat comes only from the ratio's fog-of-war draw."""
    carry += equipment * fractions
    lost = np.minimum(np.floor(carry), equipment)
    carry -= lost
    equipment -= lost
    return lost
