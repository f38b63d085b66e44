"""Every tunable of the model in one typed object.

Each field carries its default, unit and meaning (and where the value comes from) so that
`python run.py params` can list them and `--set name=value` or a sweep can override any of them.
`docs/model.md` explains how each enters the rules.

Every parameter is a finite number within stated bounds (shown by `params` and in
docs/parameters.md). The bounds are not calibration ranges: they keep the arithmetic of a run
finite (a speed of 1e-308 km/h divides by zero, an infinite weight makes combat power NaN) and
stop values no operational model means (a multiplier of 1,000). Sweeps and `--set` are checked
against them before anything runs.
"""

from __future__ import annotations

from typing import Any

from annotated_types import Ge, Gt, Le, Lt
from pydantic import ValidationError

from sim.model.params_physics import PhysicsParameters, param


class Parameters(PhysicsParameters):
    """All model parameters, with defaults: the shared physics (sim/params_physics.py:
    movement, combat, weights, morale, supply), then doctrine and territory below. Construct
    with keywords to override."""

    # --- doctrine: the side's commander (sim/commander.py) and the unit's own rules ---------
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
        "is threatened (off: groupings hold until their units break or surrender).",
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
        "An attack whose force ratio stays below capture_ratio this many hours in a "
        "row is called off: the unit holds where it is until its commander can resume it "
        "(commanders do not feed a stalled attack indefinitely; estimate).",
        ge=0.5,
        le=720,
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
    pontoon_build_hours: float = param(
        10.0,
        "h",
        "Hours for engineers to bridge a river with pontoons at an undefended "
        "site (PMP assembly is ~1 h; site reconnaissance, preparation and fire raise it; "
        "estimate).",
        ge=0.5,
        le=720,
    )

    # --- territory ------------------------------------------------------------------------
    presence_km: float = param(
        12.0,
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

    @classmethod
    def describe(cls) -> list[tuple[str, Any, str, str]]:
        """(name, default, unit, meaning) for every parameter, in declaration order."""
        rows = []
        for name, field in cls.model_fields.items():
            extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
            rows.append((name, field.default, str(extra.get("unit", "")), field.description or ""))
        return rows

    @classmethod
    def bounds(cls, name: str) -> str:
        """The allowed range of a parameter as text, e.g. ``0.5 to 150``, ``> 1 to 100``
        (``yes or no`` for a switch)."""
        if cls.model_fields[name].annotation is bool:
            return "yes or no"
        low = high = ""
        for m in cls.model_fields[name].metadata:
            if isinstance(m, Ge):
                low = f"{m.ge:g}"
            elif isinstance(m, Gt):
                low = f"> {m.gt:g}"
            elif isinstance(m, Le):
                high = f"{m.le:g}"
            elif isinstance(m, Lt):
                high = f"< {m.lt:g}"
        return f"{low or 'any'} to {high or 'any'}"


#: The parameters a scenario may set per side (sides.<S>.doctrine): how that side's commander
#: and units decide, as opposed to physics (speeds, losses, supply) that both sides share.
DOCTRINE_PARAMETERS: tuple[str, ...] = (
    "commander_interval_hours",
    "order_delay_hours",
    "withdrawal_doctrine",
    "withdraw_decision_hours",
    "loc_threat_ratio",
    "give_up_share",
    "reserve_commit_ratio",
    "resume_ratio_margin",
    "idle_free_km",
    "idle_reach_km",
    "hasty_withdrawal_abandon",
    "attack_stall_hours",
    "breakout_max_km",
    "demolition_probability",
    "withdraw_morale",
    "rout_morale",
    "surrender_morale",
)


def parse_set_option(items: list[str]) -> dict[str, str]:
    """Parse `name=value` strings from --set into a dict (values stay strings; pydantic
    coerces them). Raises ValueError naming the malformed item."""
    out: dict[str, str] = {}
    for item in items:
        name, sep, value = item.partition("=")
        name = name.strip()
        if not sep or not name:
            raise ValueError(f"--set {item!r}: expected name=value")
        if name not in Parameters.model_fields:
            import difflib

            close = difflib.get_close_matches(name, Parameters.model_fields, n=3)
            hint = f" (did you mean {', '.join(close)}?)" if close else ""
            raise ValueError(
                f"--set {item!r}: no parameter named {name!r}{hint}; "
                "`python run.py params` lists them"
            )
        out[name] = value.strip()
    return out


__all__ = ["DOCTRINE_PARAMETERS", "Parameters", "ValidationError", "parse_set_option"]
