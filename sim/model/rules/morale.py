"""The morale phase: each unit's morale, fatigue and abandoned equipment at the end of the hour.

Morale falls with the hour's losses (morale_loss_per_casualty), each hour cut off
(morale_isolation_per_hour) and each hour short of supply (low_supply_morale_per_hour below
low_supply_level); it recovers out of contact and in supply (morale_recovery_per_hour, a routed
unit at rout_recovery_share of it). A unit cut off and low on supply, and a routed unit, abandon
heavy equipment each hour (rout_abandon_per_hour). Rest out of contact and in supply sheds
fatigue. What a unit does when its morale breaks is its own rule (`Unit.step`,
sim/model/units.py), next hour.
"""

from __future__ import annotations

import math

from sim.model.units import Unit
from sim.model.world import World
from sim.scenario import Posture

_ROUT = Posture.ROUT  # (read once: an enum member read off its class costs a lookup)


def morale_phase(world: World[Unit]) -> None:
    physics = world.physics
    # the laws read once for the phase (the same numbers as reading them unit by unit)
    per_casualty, range_km = physics.morale_loss_per_casualty, physics.supply_range_km
    isolation, abandon_supply = physics.morale_isolation_per_hour, physics.abandon_supply
    low_level, short_morale = physics.low_supply_level, physics.low_supply_morale_per_hour
    low = max(low_level, 1e-9)
    recovery, routed_share = physics.morale_recovery_per_hour, physics.rout_recovery_share
    abandon, rest = physics.rout_abandon_per_hour, physics.fatigue_recovery_per_hour
    for u in world.active_units():
        morale = u.morale - per_casualty * u.losses_this_hour
        supply_km, supply = u.supply_km, u.supply
        in_range = supply_km <= range_km
        routed = u.posture == _ROUT
        if not math.isfinite(supply_km):
            morale -= isolation
            if supply < abandon_supply:
                u.leave_behind(u.abandon(abandon))
        if supply < low_level:
            morale -= short_morale * (1.0 - supply / low)
        elif not u.in_combat and in_range:
            morale += recovery * (routed_share if routed else 1.0)
        if routed:
            u.leave_behind(u.abandon(abandon))
        if in_range and not u.in_combat and u.march_hours_today == 0:  # rest: food and fuel
            u.fatigue = max(0.0, u.fatigue - rest)
        u.morale = min(1.0, max(0.0, morale))
        u.losses_this_hour = 0.0
