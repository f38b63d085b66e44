"""The shared physics of the model's parameters: movement, combat, the combat value weights,
morale, supply and territory, with the base every group of parameters builds on. Both sides
share these values; how a side decides is its doctrine (sim/model/params_doctrine.py), and
`Parameters` (sim/model/params.py) is both as one flat set of names.
"""

from __future__ import annotations

from sim.model.params_base import ParameterGroup, param
from sim.model.params_held import HeldGroundParameters


class _SharedPhysics(ParameterGroup):
    """Movement, combat, weights, morale, supply and territory."""

    # --- movement -------------------------------------------------------------------------
    speed_highway_kmh: float = param(
        24.0,
        "km/h",
        "March speed of a motorised column on a highway (M03), halts included; FM 3-90 road-"
        "march rates for mixed columns are 25-40 km/h moving, less with halts (estimate).",
        ge=0.5,
        le=150,
    )
    speed_main_kmh: float = param(
        20.0,
        "km/h",
        "March speed on a national or regional road (H/P roads); as above, slower "
        "surface and junctions (estimate).",
        ge=0.5,
        le=150,
    )
    speed_secondary_kmh: float = param(
        15.0, "km/h", "March speed on a territorial road (T roads) (estimate).", ge=0.5, le=150
    )
    speed_local_kmh: float = param(
        9.0,
        "km/h",
        "March speed on local roads and tracks between villages (estimate).",
        ge=0.5,
        le=150,
    )
    speed_rail_only_kmh: float = param(
        4.0,
        "km/h",
        "Speed along a rail line with no road beside it: dismounted movement "
        "along the embankment (estimate).",
        ge=0.5,
        le=150,
    )
    ford_speed_factor: float = param(
        0.25,
        "ratio",
        "Speed multiplier on a ford (slow, one vehicle at a time; estimate).",
        ge=0.01,
        le=1,
    )
    pontoon_speed_factor: float = param(
        0.4, "ratio", "Speed multiplier on a pontoon bridge (estimate).", ge=0.01, le=1
    )
    attack_speed_factor: float = param(
        0.35,
        "ratio",
        "Speed multiplier for a unit advancing in contact (posture attack) "
        "rather than in march column (estimate).",
        ge=0.01,
        le=1,
    )
    enemy_ground_speed_factor: float = param(
        0.25,
        "ratio",
        "Speed multiplier on an edge leading into ground the enemy holds, in any "
        "posture: reconnaissance, mines and the risk of ambush slow every advance into enemy "
        "territory. Calibrated on the three operations (docs/calibration.md) over "
        "0.25/0.3/0.4/0.5: 0.25 for all three together; September with March (without the "
        "April-May operation) also pick it, the pairs with April-May pick 0.4. An unopposed "
        "attack on a main road then advances about 28 km a day.",
        ge=0.01,
        le=1,
    )
    withdraw_speed_factor: float = param(
        0.8, "ratio", "Speed multiplier for an ordered withdrawal (estimate).", ge=0.01, le=1
    )
    rout_speed_factor: float = param(
        0.6,
        "ratio",
        "Speed multiplier for a routed unit: disorganised, roads jammed (estimate).",
        ge=0.01,
        le=1,
    )
    foot_speed_factor: float = param(
        0.6,
        "ratio",
        "Speed multiplier for units with few vehicles (territorial defence, "
        "light infantry) (estimate).",
        ge=0.01,
        le=1,
    )
    enemy_ground_route_penalty: float = param(
        4.0,
        "ratio",
        "When a unit only moves (not attacks), each hour of road into ground the "
        "enemy holds counts this many times when it plans its route: columns keep to their "
        "own side's roads when they can. Large, not infinite, so that a move can still cross "
        "enemy ground if nothing else leads there (estimate).",
        ge=1,
        le=100,
    )
    march_hours_per_day: float = param(
        16.0,
        "h",
        "Hours a unit can move in a day before it must halt for rest and "
        "maintenance (estimate, from 8-16 h daily march doctrine).",
        ge=0.5,
        le=24,
    )

    pontoon_build_hours: float = param(
        10.0,
        "h",
        "Hours for engineers to bridge a river with pontoons at an undefended "
        "site (PMP assembly is ~1 h; site reconnaissance, preparation and fire raise it; "
        "estimate).",
        ge=0.5,
        le=720,
    )

    # --- combat ---------------------------------------------------------------------------
    attacker_loss_per_day: float = param(
        0.02,
        "1/day",
        "Attacker's fractional personnel loss per day of combat at force ratio 1:1. Dupuy's "
        "QJM/TNDM base rate is 2.8 %/day for divisions; 2 % is fitted to the median daily "
        "loss of CDB90's attackers since 1939 (benchmarks/cdb90.py, docs/cdb90.md).",
        gt=0,
        lt=1,
    )
    defender_loss_per_day: float = param(
        0.03,
        "1/day",
        "Defender's fractional personnel loss per day at force ratio 1:1. Dupuy's base rate "
        "is 1.5 %/day; 3 % is fitted to the median daily loss of CDB90's defenders since "
        "1939, whose smaller forces lose a larger share (benchmarks/cdb90.py, docs/cdb90.md).",
        gt=0,
        lt=1,
    )
    loss_ratio_exponent: float = param(
        0.6,
        "-",
        "How strongly the loss rate follows the force ratio: rate = base * ratio^e "
        "for the weaker side. 1 would be Lanchester's square law, 0 the linear law; Dupuy "
        "found rates vary much less than the square law predicts (calibration choice).",
        ge=0,
        le=1.5,
    )
    max_loss_per_day: float = param(
        0.30,
        "1/day",
        "Cap on one side's daily loss fraction in any battle (Dupuy's "
        "highest recorded division-day rates are about 30 %).",
        gt=0,
        le=1,
    )
    equipment_loss_factor: float = param(
        1.4,
        "ratio",
        "Armoured vehicles and guns are lost at this multiple of the personnel "
        "rate (Oryx counts show equipment losses outpacing casualties; estimate).",
        gt=0,
        le=10,
    )
    capture_ratio: float = param(
        1.0,
        "ratio",
        "Force ratio (attacker/defender combat power, after posture and terrain "
        "multipliers) at which an attack advances at CDB90's median rate for the defence it "
        "meets (advance_*_kmday); below it the rate falls to nothing at stall_ratio, above "
        "it rises (advance_ratio_exponent, capped). 1.0: the CDB90 battles' attackers win "
        "about as often at 1:1 after multipliers as the record says (benchmarks/cdb90.py); "
        "1.0 to 1.5 scored within a point on the three calibration operations.",
        ge=0.1,
        le=100,
    )
    morale_combat_floor: float = param(
        0.5,
        "ratio",
        "Combat power multiplier at zero morale (rises linearly to 1 at full morale; estimate).",
        ge=0,
        le=1,
    )
    fatigue_combat_penalty: float = param(
        0.3, "ratio", "Share of combat power lost at full fatigue (estimate).", ge=0, le=1
    )
    combat_noise: float = param(
        0.15,
        "-",
        "Standard deviation of the log-normal day-to-day variation of a battle's "
        "force ratio (fog of war); 0 makes combat deterministic.",
        ge=0,
        le=2,
    )
    defend_multiplier: float = param(
        1.3,
        "ratio",
        "Combat power multiplier of a unit in posture defend (QJM hasty defence 1.3).",
        ge=0.1,
        le=10,
    )
    prepared_defence_multiplier: float = param(
        1.5,
        "ratio",
        "Multiplier of a unit that has held its place for at least dig_in_hours in supply "
        "(QJM prepared defence 1.5; until issue 23 it was 1.6, the fortified value); a "
        "fortified one (fortify_hours) has fortified_defence_multiplier instead.",
        ge=0.1,
        le=10,
    )
    dig_in_hours: float = param(
        24.0, "h", "Hours in place before a defending unit counts as prepared.", ge=0, le=720
    )
    urban_multiplier: float = param(
        1.5,
        "ratio",
        "Defender multiplier in urban terrain (QJM built-up area 1.4-1.6).",
        ge=0.1,
        le=10,
    )
    forest_multiplier: float = param(
        1.35, "ratio", "Defender multiplier in forest (QJM wooded 1.3-1.45).", ge=0.1, le=10
    )
    river_attack_multiplier: float = param(
        0.6,
        "ratio",
        "Attacker multiplier when attacking across a river crossing (QJM gives "
        "the defender 1.5 behind a river; 1/1.5 ~ 0.67, rounded down for a contested "
        "crossing).",
        ge=0.1,
        le=1,
    )
    surprise_multiplier: float = param(
        1.6,
        "ratio",
        "Attacker multiplier during a scenario's surprise window (QJM surprise "
        "factors 1.3-2.2 for substantial surprise).",
        ge=1,
        le=10,
    )
    rout_combat_factor: float = param(
        0.3, "ratio", "Combat power left to a routed unit.", ge=0, le=1
    )
    artillery_range_km: float = param(
        25.0,
        "km",
        "Range at which tube artillery supports a battle it is not in (152 mm towed/SP 17-30 km).",
        ge=0,
        le=500,
    )
    mlrs_range_km: float = param(
        40.0,
        "km",
        "Range at which rocket artillery supports a battle (BM-21 20 km, "
        "BM-27 35 km, HIMARS GMLRS 70+ km; a blend).",
        ge=0,
        le=500,
    )
    fire_support_factor: float = param(
        0.5,
        "ratio",
        "Share of a supporting unit's artillery value it adds to a battle "
        "it is not in (it spreads its fire; estimate).",
        ge=0,
        le=1,
    )

    interdiction_loss_per_hour: float = param(
        0.01,
        "1/h",
        "Personnel fraction a retreating unit (withdrawing or routed, on the move) "
        "loses in an hour to enemy artillery and rockets in range of it, when their value "
        "equals its own power (in proportion below; vehicles at equipment_loss_factor times "
        "that): columns on the road under observed fire (estimate, of the order of the "
        "ambushes of retreating Russian columns east of Izium in September 2022).",
        ge=0,
        le=1,
    )

    crossing_hit_per_gun_hour: float = param(
        0.005,
        "probability",
        "Chance per hour that one enemy gun or rocket launcher in range "
        "destroys a pontoon or wrecks a crossing being built (times its supply level): a "
        "brigade's 18 guns give about an 8 % chance an hour, so a ten-hour pontoon build under "
        "them fails about half the time (the Russian crossings at Izium in March 2022 and at "
        "Bilohorivka in May 2022 were destroyed by artillery). Calibrated on the three "
        "operations over 0.005/0.01/0.02 (docs/calibration.md): 0.005; September and March "
        "alone do not move with it.",
        ge=0,
        le=1,
    )

    # --- combat value weights (points per item; an infantryman is 1) ----------------------
    weight_personnel: float = param(1.0, "points", "Combat value of one soldier.", ge=0, le=10_000)
    weight_tank: float = param(
        30.0,
        "points",
        "Combat value of a tank: chosen so that a Russian BTG (~700 men, "
        "10 tanks, 40 IFVs, 12 guns) draws about a third of its value from armour.",
        ge=0,
        le=10_000,
    )
    weight_ifv_apc: float = param(
        10.0,
        "points",
        "Combat value of an IFV or APC (its weapons, not its squad).",
        ge=0,
        le=10_000,
    )
    weight_artillery: float = param(
        25.0, "points", "Combat value of a gun or howitzer in the battle it is in.", ge=0, le=10_000
    )
    weight_mlrs: float = param(
        35.0, "points", "Combat value of a multiple rocket launcher.", ge=0, le=10_000
    )

    # --- morale ---------------------------------------------------------------------------
    morale_loss_per_casualty: float = param(
        2.5,
        "morale/fraction",
        "Morale lost per unit fraction of personnel lost in an hour "
        "(10 % losses cost 0.25 morale; a unit breaks after roughly 15-25 % losses, after "
        "Dupuy's breakpoints).",
        ge=0,
        le=100,
    )
    morale_isolation_per_hour: float = param(
        0.006,
        "morale/h",
        "Morale lost each hour a unit is cut off from supply (estimate: about 0.15 a day).",
        ge=0,
        le=1,
    )
    morale_recovery_per_hour: float = param(
        0.004,
        "morale/h",
        "Morale regained each hour out of contact and in supply (estimate).",
        ge=0,
        le=1,
    )
    low_supply_level: float = param(
        0.5,
        "supply",
        "Below this supply level a unit goes short of food, fuel and ammunition "
        "and its morale wears down (low_supply_morale_per_hour).",
        ge=0,
        le=1,
    )
    low_supply_morale_per_hour: float = param(
        0.004,
        "morale/h",
        "Morale lost per hour at zero supply (in proportion below "
        "low_supply_level): about 0.1 a day, so ten days without supply break a unit "
        "(estimate).",
        ge=0,
        le=1,
    )
    forced_out_morale: float = param(
        0.1,
        "morale",
        "Morale lost by defenders forced out of a place: a lost position shakes "
        "a unit (estimate; the withdraw and rout thresholds are the calibrated levers).",
        ge=0,
        le=1,
    )
    forced_out_abandon_hours: float = param(
        4.0,
        "h",
        "Defenders forced out of a place leave behind what a routed unit abandons "
        "in this many hours (4 x rout_abandon_per_hour = 8 % of heavy items by default): a "
        "hurried, not a broken, exit.",
        ge=0,
        le=100,
    )
    surrender_supply: float = param(
        0.2,
        "supply",
        "An encircled unit surrenders only once its supply has run this low "
        "(from full supply it takes ~67 h at supply_decay_per_hour).",
        ge=0,
        le=1,
    )
    abandon_supply: float = param(
        0.5,
        "supply",
        "A unit cut off with less supply than this starts abandoning vehicles "
        "(out of fuel, broken down) at rout_abandon_per_hour.",
        ge=0,
        le=1,
    )
    rout_recovery_share: float = param(
        0.5,
        "ratio",
        "A routed unit regains morale at this share of morale_recovery_per_hour.",
        ge=0,
        le=1,
    )
    disband_fraction: float = param(
        0.10,
        "ratio",
        "A unit with less than this share of its starting personnel disbands "
        "(its survivors leave the map, its heavy items are abandoned): below a tenth, no unit "
        "in Dupuy's data still holds as a formation.",
        ge=0,
        lt=1,
    )
    rout_abandon_per_hour: float = param(
        0.02,
        "1/h",
        "Fraction of a routed or encircled unit's heavy equipment abandoned "
        "each hour (vehicles out of fuel, broken down; estimate).",
        ge=0,
        le=1,
    )

    # --- supply ---------------------------------------------------------------------------
    supply_range_km: float = param(
        60.0,
        "km",
        "Road distance from a depot or railhead (rail counted at rail_cost_factor) "
        "within which a unit is in supply; about a day's round trip for trucks (estimate).",
        ge=1,
        le=1000,
    )
    supply_reach_km: float = param(
        145.0,
        "km",
        "Beyond supply_range_km the trucks still bring a share of what a unit needs, falling "
        "linearly to nothing at this distance: the Russian army 'does not have enough trucks "
        "to meet its logistic requirement more than 90 miles beyond supply dumps' (A. "
        "Vershinin, War on the Rocks, 2021); used for both sides (an estimate for Ukraine). "
        "At or below supply_range_km supply is all or nothing at that range.",
        ge=1,
        le=2000,
    )
    rail_cost_factor: float = param(
        0.1,
        "ratio",
        "A km of rail counts as this many km of road when tracing supply "
        "(a train carries what dozens of trucks do).",
        ge=0.01,
        le=1,
    )
    forward_depot_factor: float = param(
        0.25,
        "ratio",
        "A forward depot or railhead counts as this share of its own haul from "
        "the bases when tracing supply: stocks held forward shorten the last leg, but a "
        "depot cut off from the bases stops working (estimate).",
        ge=0,
        le=1,
    )
    supply_recovery_per_hour: float = param(
        0.05, "1/h", "Supply level regained per hour when in supply.", ge=0, le=1
    )
    supply_decay_per_hour: float = param(
        0.012,
        "1/h",
        "Supply level lost per hour when cut off (about 3 days of stocks).",
        ge=0,
        le=1,
    )
    supply_combat_floor: float = param(
        0.3,
        "ratio",
        "Combat power multiplier at zero supply (it rises linearly to 1 at full supply).",
        ge=0,
        le=1,
    )

    # --- territory ------------------------------------------------------------------------
    presence_km: float = param(
        5.0,
        "km",
        "An empty village or open ground passes to a side with an advancing unit "
        "within this distance by road (over standing crossings) when the holder has no unit "
        "within it: patrols and light forces take empty ground. Towns need troops to enter.",
        ge=0,
        le=500,
    )
    fatigue_per_march_hour: float = param(
        0.03, "1/h", "Fatigue gained per hour of movement or combat.", ge=0, le=1
    )
    fatigue_recovery_per_hour: float = param(
        0.04, "1/h", "Fatigue shed per hour at rest.", ge=0, le=1
    )


class PhysicsParameters(HeldGroundParameters, _SharedPhysics):
    """Movement, combat, weights, morale, supply and territory, then held ground
    (sim/model/params_held.py): the same for both sides (the fields come first in
    `Parameters`, in this order)."""
