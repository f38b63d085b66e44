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
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator


def _p(default: Any, unit: str, meaning: str, **kw: Any) -> Any:
    """A parameter field: default, unit and one-sentence meaning with its source."""
    return Field(default, description=meaning, json_schema_extra={"unit": unit}, **kw)


class Parameters(BaseModel):
    """All model parameters, with defaults. Construct with keywords to override."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True,
                              allow_inf_nan=False)

    @field_validator("*", mode="before")
    @classmethod
    def _not_a_bool(cls, v: Any) -> Any:
        if isinstance(v, bool):  # pydantic would read true as 1.0
            raise ValueError(f"expected a number, got {str(v).lower()}")
        return v

    # --- movement -------------------------------------------------------------------------
    speed_highway_kmh: float = _p(
        24.0, "km/h",
        "March speed of a motorised column on a highway (M03), halts included; FM 3-90 road-"
        "march rates for mixed columns are 25-40 km/h moving, less with halts (estimate).",
        ge=0.5, le=150)
    speed_main_kmh: float = _p(
        20.0, "km/h", "March speed on a national or regional road (H/P roads); as above, slower "
        "surface and junctions (estimate).", ge=0.5, le=150)
    speed_secondary_kmh: float = _p(
        15.0, "km/h", "March speed on a territorial road (T roads) (estimate).", ge=0.5, le=150)
    speed_local_kmh: float = _p(
        9.0, "km/h", "March speed on local roads and tracks between villages (estimate).",
        ge=0.5, le=150)
    speed_rail_only_kmh: float = _p(
        4.0, "km/h", "Speed along a rail line with no road beside it: dismounted movement "
        "along the embankment (estimate).", ge=0.5, le=150)
    ford_speed_factor: float = _p(
        0.25, "ratio", "Speed multiplier on a ford (slow, one vehicle at a time; estimate).",
        ge=0.01, le=1)
    pontoon_speed_factor: float = _p(
        0.4, "ratio", "Speed multiplier on a pontoon bridge (estimate).", ge=0.01, le=1)
    attack_speed_factor: float = _p(
        0.35, "ratio", "Speed multiplier for a unit advancing in contact (posture attack) "
        "rather than in march column (estimate).", ge=0.01, le=1)
    enemy_ground_speed_factor: float = _p(
        0.4, "ratio", "Speed multiplier on an edge leading into ground the enemy holds, in any "
        "posture: reconnaissance, mines and the risk of ambush slow every advance into enemy "
        "territory. Calibrated by a sweep of 0.25/0.4/0.6/1.0 over 5 seeds (docs/calibration.md): "
        "mean fidelity 74.8/74.3/71.5/70.7 (September) and 88.4/91.3/92.8/91.1 (March). 0.4 is "
        "the best for neither alone (0.25 for September, 0.6 for March) but within 1.5 points "
        "of the best for both. An unopposed attack on a main road then advances about 45 km "
        "a day.",
        ge=0.01, le=1)
    withdraw_speed_factor: float = _p(
        0.8, "ratio", "Speed multiplier for an ordered withdrawal (estimate).", ge=0.01, le=1)
    rout_speed_factor: float = _p(
        0.6, "ratio", "Speed multiplier for a routed unit: disorganised, roads jammed (estimate).",
        ge=0.01, le=1)
    foot_speed_factor: float = _p(
        0.6, "ratio", "Speed multiplier for units with few vehicles (territorial defence, "
        "light infantry) (estimate).", ge=0.01, le=1)
    march_hours_per_day: float = _p(
        16.0, "h", "Hours a unit can move in a day before it must halt for rest and "
        "maintenance (estimate, from 8-16 h daily march doctrine).", ge=0.5, le=24)

    # --- combat ---------------------------------------------------------------------------
    attacker_loss_per_day: float = _p(
        0.028, "1/day", "Attacker's fractional personnel loss per day of combat at force "
        "ratio 1:1 (Dupuy, QJM/TNDM base rate, 2.8 %/day).", gt=0, lt=1)
    defender_loss_per_day: float = _p(
        0.015, "1/day", "Defender's fractional personnel loss per day at force ratio 1:1 "
        "(Dupuy, QJM/TNDM base rate, 1.5 %/day).", gt=0, lt=1)
    loss_ratio_exponent: float = _p(
        0.6, "-", "How strongly the loss rate follows the force ratio: rate = base * ratio^e "
        "for the weaker side. 1 would be Lanchester's square law, 0 the linear law; Dupuy "
        "found rates vary much less than the square law predicts (calibration choice).",
        ge=0, le=1.5)
    max_loss_per_day: float = _p(
        0.30, "1/day", "Cap on one side's daily loss fraction in any battle (Dupuy's "
        "highest recorded division-day rates are about 30 %).", gt=0, le=1)
    equipment_loss_factor: float = _p(
        1.4, "ratio", "Armoured vehicles and guns are lost at this multiple of the personnel "
        "rate (Oryx counts show equipment losses outpacing casualties; estimate).", gt=0, le=10)
    capture_ratio: float = _p(
        1.5, "ratio", "Force ratio (attacker/defender combat power, after multipliers) the "
        "attacker needs to take an occupied node; the classic 3:1 rule on raw strength "
        "becomes about 1.5:1 once posture and terrain multipliers are applied.", ge=0.1, le=100)
    capture_hours: float = _p(
        12.0, "h", "Hours of combat for an attacker at twice the capture ratio to force the "
        "defenders out of a node; exactly at the ratio it takes 4x as long (calibration "
        "choice: a defended town holds a day or two against a modest superiority, hours "
        "against an overwhelming one, as Balakliia, 6-8 Sep 2022).", ge=0.1, le=720)
    min_capture_hours_open: float = _p(
        3.0, "h", "Fewest hours of combat in which an attack can clear a defended village in "
        "open country, however strong (estimate).", ge=0.1, le=720)
    min_capture_hours_forest: float = _p(
        8.0, "h", "Fewest hours to clear a defended place in forest (estimate: wooded river "
        "valleys are cleared slowly).", ge=0.1, le=720)
    min_capture_hours_urban: float = _p(
        30.0, "h", "Fewest hours to clear a defended town (calibration: Balakliia, attacked "
        "early on 6 Sep 2022 and cleared by 8 Sep; urban clearing is slow at any ratio).",
        ge=0.1, le=720)
    morale_combat_floor: float = _p(
        0.5, "ratio", "Combat power multiplier at zero morale (rises linearly to 1 at full "
        "morale; estimate).", ge=0, le=1)
    fatigue_combat_penalty: float = _p(
        0.3, "ratio", "Share of combat power lost at full fatigue (estimate).", ge=0, le=1)
    combat_noise: float = _p(
        0.15, "-", "Standard deviation of the log-normal day-to-day variation of a battle's "
        "force ratio (fog of war); 0 makes combat deterministic.", ge=0, le=2)
    defend_multiplier: float = _p(
        1.3, "ratio", "Combat power multiplier of a unit in posture defend (QJM hasty "
        "defence 1.3).", ge=0.1, le=10)
    prepared_defence_multiplier: float = _p(
        1.6, "ratio", "Multiplier of a unit that has held its node for at least "
        "dig_in_hours (QJM prepared defence 1.5-1.6).", ge=0.1, le=10)
    dig_in_hours: float = _p(
        24.0, "h", "Hours in place before a defending unit counts as prepared.", ge=0, le=720)
    urban_multiplier: float = _p(
        1.5, "ratio", "Defender multiplier in urban terrain (QJM built-up area 1.4-1.6).",
        ge=0.1, le=10)
    forest_multiplier: float = _p(
        1.35, "ratio", "Defender multiplier in forest (QJM wooded 1.3-1.45).", ge=0.1, le=10)
    river_attack_multiplier: float = _p(
        0.6, "ratio", "Attacker multiplier when attacking across a river crossing (QJM gives "
        "the defender 1.5 behind a river; 1/1.5 ~ 0.67, rounded down for a contested "
        "crossing).", ge=0.1, le=1)
    surprise_multiplier: float = _p(
        1.6, "ratio", "Attacker multiplier during a scenario's surprise window (QJM surprise "
        "factors 1.3-2.2 for substantial surprise).", ge=1, le=10)
    rout_combat_factor: float = _p(
        0.3, "ratio", "Combat power left to a routed unit.", ge=0, le=1)
    artillery_range_km: float = _p(
        25.0, "km", "Range at which tube artillery supports a battle it is not in (152 mm "
        "towed/SP 17-30 km).", ge=0, le=500)
    mlrs_range_km: float = _p(
        40.0, "km", "Range at which rocket artillery supports a battle (BM-21 20 km, "
        "BM-27 35 km, HIMARS GMLRS 70+ km; a blend).", ge=0, le=500)
    fire_support_factor: float = _p(
        0.5, "ratio", "Share of a supporting unit's artillery value it adds to a battle "
        "it is not in (it spreads its fire; estimate).", ge=0, le=1)

    # --- combat value weights (points per item; an infantryman is 1) ----------------------
    weight_personnel: float = _p(1.0, "points", "Combat value of one soldier.", ge=0, le=10_000)
    weight_tank: float = _p(
        30.0, "points", "Combat value of a tank: chosen so that a Russian BTG (~700 men, "
        "10 tanks, 40 IFVs, 12 guns) draws about a third of its value from armour.",
        ge=0, le=10_000)
    weight_ifv_apc: float = _p(
        10.0, "points", "Combat value of an IFV or APC (its weapons, not its squad).",
        ge=0, le=10_000)
    weight_artillery: float = _p(
        25.0, "points", "Combat value of a gun or howitzer in the battle it is in.",
        ge=0, le=10_000)
    weight_mlrs: float = _p(
        35.0, "points", "Combat value of a multiple rocket launcher.", ge=0, le=10_000)

    # --- morale ---------------------------------------------------------------------------
    morale_loss_per_casualty: float = _p(
        2.5, "morale/fraction", "Morale lost per unit fraction of personnel lost in an hour "
        "(10 % losses cost 0.25 morale; a unit breaks after roughly 15-25 % losses, after "
        "Dupuy's breakpoints).", ge=0, le=100)
    morale_isolation_per_hour: float = _p(
        0.006, "morale/h", "Morale lost each hour a unit is cut off from supply (estimate: "
        "about 0.15 a day).", ge=0, le=1)
    morale_threat_per_hour: float = _p(
        0.002, "morale/h", "Morale lost each hour a unit's supply line is threatened "
        "(estimate).", ge=0, le=1)
    morale_recovery_per_hour: float = _p(
        0.004, "morale/h", "Morale regained each hour out of contact and in supply "
        "(estimate).", ge=0, le=1)
    withdraw_morale: float = _p(
        0.35, "morale", "Below this a unit breaks off and withdraws.", ge=0, le=1)
    rout_morale: float = _p(0.15, "morale", "Below this a unit routs.", ge=0, le=1)
    surrender_morale: float = _p(
        0.25, "morale", "An encircled unit out of supply surrenders below this.", ge=0, le=1)
    rout_abandon_per_hour: float = _p(
        0.02, "1/h", "Fraction of a routed or encircled unit's heavy equipment abandoned "
        "each hour (vehicles out of fuel, broken down; estimate).", ge=0, le=1)

    # --- supply ---------------------------------------------------------------------------
    supply_range_km: float = _p(
        60.0, "km", "Road distance from a depot or railhead (rail counted at rail_cost_factor) "
        "within which a unit is in supply; about a day's round trip for trucks (estimate).",
        ge=1, le=1000)
    rail_cost_factor: float = _p(
        0.1, "ratio", "A km of rail counts as this many km of road when tracing supply "
        "(a train carries what dozens of trucks do).", ge=0.01, le=1)
    forward_depot_factor: float = _p(
        0.25, "ratio", "A forward depot or railhead counts as this share of its own haul from "
        "the bases when tracing supply: stocks held forward shorten the last leg, but a "
        "depot cut off from the bases stops working (estimate).", ge=0, le=1)
    supply_recovery_per_hour: float = _p(
        0.05, "1/h", "Supply level regained per hour when in supply.", ge=0, le=1)
    supply_decay_per_hour: float = _p(
        0.012, "1/h", "Supply level lost per hour when cut off (about 3 days of stocks).",
        ge=0, le=1)
    supply_combat_floor: float = _p(
        0.3, "ratio", "Combat power multiplier at zero supply (it rises linearly to 1 at "
        "full supply).", ge=0, le=1)

    # --- doctrine -------------------------------------------------------------------------
    withdraw_detour_factor: float = _p(
        1.8, "ratio", "The doctrine withdraws a unit holding ground when its supply route is "
        "cut, or has grown to this multiple of its length when the unit took its position "
        "(and by more than threat_radius_km): the encirclement doctrine.", gt=1, le=100)
    threat_radius_km: float = _p(
        12.0, "km", "Advancing enemy units (attacking or moving) this close to the rear part "
        "of a unit's supply route (the nodes farther than this from the unit) threaten it.",
        ge=0, le=500)
    threat_hours: float = _p(
        6.0, "h", "Hours a supply route must stay threatened before the doctrine withdraws.",
        ge=0, le=720)
    hasty_withdrawal_abandon: float = _p(
        0.2, "ratio", "Share of its heavy items a unit leaves behind when the doctrine pulls it "
        "out of a threatened position (vehicles broken down or out of fuel, stocks that cannot "
        "be moved). Calibrated to Oryx: Russian equipment captured rose by about 50 tanks and "
        "280 items of all types between 5 and 13 Sep 2022 across the whole front, most of it "
        "in this operation.", ge=0, le=1)
    attack_stall_hours: float = _p(
        24.0, "h", "An attack whose force ratio stays below capture_ratio this many hours in a "
        "row is called off: the unit holds where it is (commanders do not feed a stalled "
        "attack indefinitely; estimate).", ge=1, le=720)
    demolition_probability: float = _p(
        0.6, "probability", "Chance that a side withdrawing over a bridge with the enemy "
        "near blows it behind itself.", ge=0, le=1)
    pontoon_build_hours: float = _p(
        10.0, "h", "Hours for engineers to bridge a river with pontoons at an undefended "
        "site (PMP assembly is ~1 h; site reconnaissance, preparation and fire raise it; "
        "estimate).", ge=0.5, le=720)

    # --- territory ------------------------------------------------------------------------
    presence_km: float = _p(
        12.0, "km", "An empty village or open ground passes to a side with an advancing unit "
        "within this distance by road (over standing crossings) when the holder has no unit "
        "within it: patrols and light forces take empty ground. Towns need troops to enter.",
        ge=0, le=500)
    fatigue_per_march_hour: float = _p(
        0.03, "1/h", "Fatigue gained per hour of movement or combat.", ge=0, le=1)
    fatigue_recovery_per_hour: float = _p(
        0.04, "1/h", "Fatigue shed per hour at rest.", ge=0, le=1)

    @classmethod
    def describe(cls) -> list[tuple[str, Any, str, str]]:
        """(name, default, unit, meaning) for every parameter, in declaration order."""
        rows = []
        for name, field in cls.model_fields.items():
            extra = field.json_schema_extra or {}
            rows.append((name, field.default, str(extra.get("unit", "")), field.description))
        return rows

    @classmethod
    def bounds(cls, name: str) -> str:
        """The allowed range of a parameter as text, e.g. ``0.5 to 150``, ``> 1 to 100``."""
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

    def with_overrides(self, overrides: dict[str, Any]) -> Parameters:
        """A copy with some fields replaced, validated (raises ValidationError)."""
        return type(self).model_validate({**self.model_dump(), **overrides})


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
            raise ValueError(f"--set {item!r}: no parameter named {name!r}{hint}; "
                             "`python run.py params` lists them")
        out[name] = value.strip()
    return out


__all__ = ["Parameters", "ValidationError", "parse_set_option"]
