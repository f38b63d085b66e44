"""The physics of held ground (issue 23): sectors along the contact line, defence that grows
with time in position, advance rates, attrition, prisoners and the hysteresis of territory.
Both sides share these values; they are part of `PhysicsParameters`
(sim/model/params_physics.py) and of the flat `Parameters`. How each enters the rules:
docs/model.md ("Fronts and held ground"). Where a value comes from CDB90 (CAA Database of
Battles; tidy version by Jeffrey B. Arnold, jrnold/CDB90), it is the median of the 1939-1973
battles in assets/reference/cdb90_modern.csv (benchmarks/cdb90.py compares the model with them).
"""

from __future__ import annotations

from sim.model.params_base import ParameterGroup, param


class HeldGroundParameters(ParameterGroup):
    """Sectors, posture over time, advance rates, attrition and territory's hysteresis."""

    # --- defence that grows with time in position ----------------------------------------
    fortify_hours: float = param(
        168.0,
        "h",
        "Hours in place (in supply) before a prepared defence counts as fortified: minefields, "
        "obstacles and overhead cover are weeks of engineer work (Dupuy's fortified posture; "
        "estimate: a week; 2 weeks and 30 days scored the same on the calibration "
        "operations, docs/calibration.md). Units in position at a scenario's start count "
        "the hours since their sourced in_position_since. Also how long a pursuit follows an "
        "enemy it saw going back: the time that enemy would need to fortify a new line "
        "(sim/model/watch.py, in_pursuit).",
        ge=0,
        le=8760,
    )
    fortified_defence_multiplier: float = param(
        1.6,
        "ratio",
        "Combat power multiplier of a fortified defender (QJM/TNDM fortified posture 1.6; "
        "prepared 1.5, hasty 1.3).",
        ge=0.1,
        le=10,
    )

    # --- sectors: a front held by units, not by points ----------------------------------
    sector_reach_km: float = param(
        10.0,
        "km",
        "A unit holding a position covers the places its side holds within this distance by "
        "road on its own bank of any river: its sector. A motor-rifle battalion defends 3-5 km "
        "of front and screens up to about three times that (FM 100-2-1, 1984); the map's places "
        "are 6-28 km apart (median 14), so a battalion's sector is its own place and the next "
        "ones along its roads (estimate). Its side's zone of control takes in the places one "
        "standing road of at most this length from its troops.",
        ge=0,
        le=200,
    )
    min_sector_front_km: float = param(
        4.0,
        "km",
        "The least front a unit's sector counts when its places touch little or no enemy "
        "ground (a unit in depth): about a battalion's doctrinal frontage (FM 100-2-1, 3-5 km).",
        gt=0,
        le=1000,
    )
    defence_density: float = param(
        200.0,
        "points/km",
        "Combat power (manpower and the guns in range) per km of front at which a sector is a "
        "defence rather than a screen: its defended belt is defence_depth_km deep, and a "
        "thinner one's in proportion (force-to-space: Liddell Hart 1960; Mearsheimer 1982). A "
        "BTG (about 1,800 points) holding 5-10 km gives 180-360 (estimate, FM 100-2-1 "
        "frontages).",
        gt=0,
        le=100000,
    )
    defence_depth_km: float = param(
        5.0,
        "km",
        "Depth of the belt a defence of full density holds in front of a place: an attack "
        "crosses the road up to it at the pace of a march through enemy ground and the belt at "
        "the opposed advance rate. A first-echelon battalion's position is about 2 km deep and "
        "a regiment's defence 5-7 km (FM 100-2-1, 1984).",
        ge=0,
        le=100,
    )

    # --- advance rates instead of clearing times -----------------------------------------
    advance_hasty_kmday: float = param(
        2.4,
        "km/day",
        "How far an attack with the edge advances in a day against a hasty defence in open "
        "country: CDB90's median over the 1939-1973 battles against a hasty defence.",
        gt=0,
        le=100,
    )
    advance_prepared_kmday: float = param(
        2.1,
        "km/day",
        "The same against a prepared defence: CDB90's median against a prepared defence.",
        gt=0,
        le=100,
    )
    advance_fortified_kmday: float = param(
        1.45,
        "km/day",
        "The same against a fortified defence: CDB90's median against a fortified defence.",
        gt=0,
        le=100,
    )
    advance_forest_factor: float = param(
        0.75,
        "ratio",
        "Advance rate in forest as a share of open country (estimate, after Dupuy's terrain "
        "factors for the rate of advance: wooded and rugged ground roughly halves to "
        "three-quarters it).",
        gt=0,
        le=1,
    )
    advance_urban_factor: float = param(
        0.4,
        "ratio",
        "Advance rate through a built-up place as a share of open country: the Dupuy "
        "Institute's urban warfare studies (ETO 1944, Kharkov 1943, Manila, Hue) found rates "
        "of advance one third to one half of those in non-urban combat; 0.4 lies between, "
        "chosen before it was run (0.6 before, an estimate; docs/calibration.md).",
        gt=0,
        le=1,
    )
    advance_ratio_exponent: float = param(
        0.3,
        "-",
        "How the advance rate grows with the odds above capture_ratio: rate x (ratio / "
        "capture_ratio) ^ this. Small because CDB90's advance per day barely changes with the "
        "force ratio once the attacker has the edge (Dupuy's verity: posture and terrain matter "
        "more than the ratio).",
        ge=0,
        le=3,
    )
    advance_low_exponent: float = param(
        1.0,
        "-",
        "Below capture_ratio an attack still advances, at the opposed rate times (ratio / "
        "capture_ratio) ^ this: slowly, and at a cost, until it culminates or stalls "
        "(stall_ratio). A slope, not a cliff: in CDB90 the attacker wins over half its battles "
        "even at odds below 1:1 (estimate).",
        ge=0,
        le=10,
    )
    advance_ratio_cap: float = param(
        1.5,
        "ratio",
        "The most the odds can multiply the opposed advance rate (estimate: an attack with "
        "overwhelming odds still clears positions at a walking pace).",
        ge=1,
        le=100,
    )
    urban_clear_km: float = param(
        3.0,
        "km",
        "Depth of a town a garrison in it defends street by street, cleared at the opposed "
        "advance rate after the approach: the least time a defended town takes (estimate: the "
        "built-up area of the map's towns of 10,000-30,000 people is 3-6 km across).",
        ge=0,
        le=50,
    )

    # --- attrition and prisoners ---------------------------------------------------------
    positional_loss_per_day: float = param(
        0.004,
        "1/day",
        "Personnel share a unit holding a position loses in a day to enemy guns and rockets "
        "in range that are not firing in a battle, when their fire value equals its own power "
        "(in proportion below): the attrition of positional fighting, shelling and patrols "
        "(estimate: about half of Dupuy's defender base rate, on days without an assault).",
        ge=0,
        le=1,
    )
    unsupplied_loss_per_day: float = param(
        0.005,
        "1/day",
        "Personnel share a unit at supply 0 loses in a day to sickness, desertion and "
        "stragglers (in proportion below low_supply_level; estimate).",
        ge=0,
        le=1,
    )
    unsupplied_march_floor: float = param(
        0.25,
        "ratio",
        "Share of its daily march hours a unit at supply 0 can still move (on foot, out of "
        "fuel); it rises to all of them at low_supply_level (estimate).",
        ge=0,
        le=1,
    )
    pursuit_prisoner_share: float = param(
        0.5,
        "ratio",
        "Share of a retreating column's losses to pursuers in contact that are taken prisoner "
        "rather than killed or wounded: men cut off on the road out (estimate).",
        ge=0,
        le=1,
    )
    forced_out_prisoner_share: float = param(
        0.03,
        "ratio",
        "Share of a unit's personnel taken prisoner when the attack takes its position and "
        "forces it out, or when it breaks contact under assault (it gives the position up, "
        "breaks off or routs in a battle): the men cut off in their trenches and cellars "
        "(estimate; CDB90's defender losses, 3-5 % a day, count the captured).",
        ge=0,
        le=1,
    )
    straggler_surrender_per_day: float = param(
        0.1,
        "1/day",
        "Personnel share of a cut-off unit out of supply (below surrender_supply), or of a "
        "routed one with enemy troops within presence_km, that gives itself up in a day, times "
        "(1 - its morale): surrender in parts, not all or nothing (estimate).",
        ge=0,
        le=1,
    )

    # --- territory: hysteresis ----------------------------------------------------------
    pocket_km: float = param(
        5.0,
        "km",
        "An empty place its holder can no longer supply passes to the enemy only when one of "
        "the enemy's units holding ground stands within this distance by road and the enemy "
        "can trace supply to a place next to it (estimate: a day's patrolling).",
        ge=0,
        le=500,
    )
    max_free_changes: int = param(
        2,
        "changes",
        "How many times a place may change hands by the presence or pocket rules (no troops "
        "fighting for it) in a run; after that only troops entering it take it, so that no "
        "place flickers between the sides (estimate).",
        ge=0,
        le=1000,
    )
