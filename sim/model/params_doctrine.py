"""A side's doctrine: how its commander and its units decide, as typed values that a scenario
may set per side (sides.<S>.doctrine) and that a rule reads only with the side.

The shared physics of the model (movement, combat, morale, supply, territory: the same for both
sides) is sim/model/params_physics.py; `Parameters` (sim/model/params.py) is both as the one
flat set of names the command line, sweeps and scenario files use. During a run the world holds
the physics once and a `DoctrineParameters` per side (sim/model/world.py, `World.doctrine`), so
that a commander or a unit reads its own side's values and no rule can read a doctrine value
without naming the side.
"""

from __future__ import annotations

from sim.model.params_base import ParameterGroup, param


class DoctrineParameters(ParameterGroup):
    """How a side decides: its commander (sim/model/commander.py) and its units' own rules
    (sim/model/units.py)."""

    commander_interval_hours: float = param(
        6.0,
        "h",
        "How often a side's commander reviews the situation (reserves, stalled "
        "attacks, idle units, threatened groupings). Staffs work in cycles of a few hours at "
        "this echelon (estimate).",
        ge=1,
        le=168,
    )
    order_delay_hours: float = param(
        2.0,
        "h",
        "Hours from a commander's decision (or a plan's condition being met) to the "
        "units acting on it: orders passed down, units briefed (the command delay of "
        "Flashpoint Campaigns; estimate for a prepared plan).",
        ge=0,
        le=168,
    )
    withdrawal_doctrine: bool = param(
        True,
        "yes/no",
        "Whether a side's commander withdraws a grouping whose line of supply "
        "is threatened, and has a unit give up a position being lost (off: neither; its "
        "units hold until their own morale breaks, they are forced out or they surrender).",
    )
    withdraw_decision_hours: float = param(
        12.0,
        "h",
        "Hours the evidence of a threat to a grouping's line of supply must persist "
        "before its commander orders it back (the decision delay: reports confirmed, the "
        "decision taken above). Calibrated on the three operations (docs/calibration.md) over "
        "4/8/12/18: 12 for all three together (18 for September with March, 4 for either with "
        "April-May).",
        ge=0,
        le=720,
    )
    loc_threat_ratio: float = param(
        0.3,
        "ratio",
        "Evidence a commander acts on: enemy troops on the move one road away from "
        "the rear part of a grouping's line of supply, at least this share of the grouping's "
        "own strength: a force that size can cut and hold the road. Calibrated on the three "
        "operations over 0.3/0.5/1.0 (docs/calibration.md): 0.3; September and March alone do "
        "not move with it.",
        ge=0,
        le=100,
    )
    give_up_share: float = param(
        0.5,
        "ratio",
        "Evidence a commander acts on at once: the attack on a place a grouping "
        "holds has gained this share of it (the fight is being lost); the grouping withdraws "
        "rather than lose its troops, unless the plan says it holds. As the gain rate falls "
        "with the garrison, a bigger garrison holds longer (estimate).",
        gt=0,
        le=1,
    )
    step_back_km: float = param(
        20.0,
        "km",
        "A unit giving up a position under assault (give_up_share) goes back to the nearest "
        "place its side holds and supplies, deeper in its lines and outside the enemy's zone "
        "of control, within this many road km, and holds it afresh (a hasty defence), rather "
        "than running to its side's fallback; with none that near, it falls back as before. "
        "Estimate: one to two villages back on this map (places 6-28 km apart), the depth "
        "between a defending regiment's first and second positions in Soviet-style doctrine "
        "(FM 100-2-1, ch. 8: a division's defence is several positions deep). 0: always the "
        "fallback.",
        ge=0,
        le=200,
    )
    reserve_commit_ratio: float = param(
        1.5,
        "ratio",
        "A commander commits a reserve to a place its side holds when the enemy "
        "attacks it at this force ratio or more (the line is about to break), or to an own "
        "attack that has reached this ratio (exploiting success).",
        ge=0.01,
        le=100,
    )
    resume_ratio_margin: float = param(
        1.2,
        "ratio",
        "A stalled attack is resumed when the commander's estimate of its force "
        "ratio, with the units now at hand, reaches capture_ratio times this.",
        ge=1,
        le=100,
    )
    idle_free_km: float = param(
        15.0,
        "km",
        "A unit that has done its task (taken its last objective) is free to join "
        "another attack only if no enemy troops stand within this distance; otherwise it holds "
        "what it took (estimate: about a day's patrol radius).",
        ge=0,
        le=1000,
    )
    idle_reach_km: float = param(
        40.0,
        "km",
        "A unit that has done its task joins another attack of its side only if "
        "that attack's objective lies within this distance (straight line): a commander "
        "re-tasks what is at hand, not units a day's march away (estimate).",
        ge=0,
        le=1000,
    )
    hasty_withdrawal_abandon: float = param(
        0.2,
        "ratio",
        "Share of its heavy items a unit leaves behind when its commander pulls it "
        "out of a threatened position (vehicles broken down or out of fuel, stocks that cannot "
        "be moved). Calibrated to Oryx: Russian equipment captured rose by about 50 tanks and "
        "280 items of all types between 5 and 13 Sep 2022 across the whole front, most of it "
        "in this operation.",
        ge=0,
        le=1,
    )
    attack_stall_hours: float = param(
        24.0,
        "h",
        "An attack whose force ratio stays below stall_ratio this many hours in a row is "
        "called off: the unit holds where it is until its commander can resume it "
        "(commanders do not feed a hopeless attack indefinitely; estimate).",
        ge=0.5,
        le=720,
    )
    stall_ratio: float = param(
        0.75,
        "ratio",
        "Force ratio below which an attack counts as stalled (attack_stall_hours); between it "
        "and capture_ratio an attack still gains ground, slowly and at a cost (estimate: "
        "three quarters of capture_ratio; CDB90's attackers below about 0.75:1 after "
        "multipliers rarely take their objective, benchmarks/cdb90.py).",
        gt=0,
        le=100,
    )
    culmination_strength: float = param(
        0.65,
        "ratio",
        "An attacking unit worn below this share of its starting personnel calls its attack off "
        "and holds (it has culminated), and its commander does not send it to attack again: "
        "Dupuy's breakpoints lie at 20-40 % losses for a division (estimate).",
        ge=0,
        le=1,
    )
    breakout_max_km: float = param(
        25.0,
        "km",
        "A unit with no way back over its own ground breaks out only if the way to "
        "the nearest ground its side still supplies crosses at most this much enemy-held road "
        "(two or three villages); deeper in, it holds and the encirclement rules apply.",
        ge=0,
        le=1000,
    )
    demolition_probability: float = param(
        0.6,
        "probability",
        "Chance that a side withdrawing over a bridge with the enemy near blows it behind itself.",
        ge=0,
        le=1,
    )
    withdraw_morale: float = param(
        0.35, "morale", "Below this a unit breaks off and withdraws.", ge=0, le=1
    )
    rout_morale: float = param(0.15, "morale", "Below this a unit routs.", ge=0, le=1)
    surrender_morale: float = param(
        0.25, "morale", "An encircled unit out of supply surrenders below this.", ge=0, le=1
    )
