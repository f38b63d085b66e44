#!/usr/bin/env python3
"""The combat model against real battles: CDB90's modern battles, each fought again by the model.

    python benchmarks/cdb90.py [--plot PATH] [--worst N] [--only ISQNO,...]

For each of the 275 battles of 1939-1973 in assets/reference/cdb90_modern.csv (CDB90, CAA
Database of Battles; tidy version by Jeffrey B. Arnold, jrnold/CDB90; odc-by), `engage` sets up
the model's own engagement: both forces as one unit each on a straight road, the defender in
its posture on the battle's terrain, run hour by hour (sim.model.CampaignModel, the real turn:
commanders, movement, combat, supply, morale, control) for the battle's duration. It reads off
the winner, the attacker's advance and both sides' losses, and prints them against the record:
- the winner, on the decided battles, beside the two trivial rules ("the attacker wins", "the
  larger side wins"): a combat model must beat both;
- the median advance per day by the defender's posture, model and record, and their ratio;
- the median losses per day (% of the side's strength) by side and posture, model and record;
- the worst misses.
`--plot PATH` draws the same comparison (needs matplotlib: the ".[sweep]" extra). What the
figures show for today's model, and why every constant below has its value: docs/cdb90.md.

`engage` is the one place that knows how a battle becomes a model run: change the combat model
and the comparison stays as it is.
"""

from __future__ import annotations

import argparse
import csv
import math
import statistics
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))  # toy.py: the hand-built theatres of the rules' tests

from toy import START, toy_scenario, toy_theatre  # noqa: E402

from sim.model import CampaignModel  # noqa: E402
from sim.scenario import MAX_ITEMS, MAX_PERSONNEL  # noqa: E402

DATA = REPO / "assets" / "reference" / "cdb90_modern.csv"
CREDIT = "CDB90, CAA Database of Battles; tidy version by Jeffrey B. Arnold (jrnold/CDB90)"

# ------------------------------------------------------------------ the harness's constants
#: Distance between the places on the road, km; the first defended place is this far from the
#: attacker's start. The model's advance comes a place at a time, so this is its resolution:
#: 5 km shows the record's typical advance (median 4 km a battle, 2-3 km a day: one place in
#: two days is 2.5 km a day). The model's own map has a place every 14 km by road (median).
SPACING_KM = 5.0
#: Road class of the road the battle is fought along: "main", the class the model's advance
#: rates are calibrated on (params: enemy_ground_speed_factor, "about 28 km a day").
ROAD_CLASS = "main"
#: The road is long enough for this advance a day: above the fastest the model's attack can
#: move (speed_main_kmh 20 x attack_speed_factor 0.35 x march_hours_per_day 16 = 112 km a day
#: on its own side's ground). An attacker that reaches the end anyway is reported.
ROAD_KM_PER_DAY = 120.0
#: Supply range given to both sides (km): the road's full length, so both stay in supply for
#: the whole battle (CDB90 does not record supply; the model's default 60 km would starve a
#: defender based at the far end of a long road). The parameter's upper bound.
SUPPLY_RANGE_KM = 1000.0
#: A prepared defender has been in place for the model's dig-in time (dig_in_hours, 24 h); a
#: fortified one for this many days: weeks of work on a position (Dupuy's fortified posture).
#: Today's model counts both the same: dug in after dig_in_hours.
FORTIFIED_DAYS = 30.0
#: The model's parameters over its defaults in every engagement: no fog (the ratio is not
#: drawn, so one run per battle says what the model does); both sides in supply; and no
#: presence rule (presence_km 0: ground passes only to troops that enter it). On a single road
#: the presence rule hands the attacker the road behind a defender that has been forced out
#: (no defender unit within 12 km of the places beyond), which traps it where it stands,
#: behind the attacker, cutting the attacker's own supply line; with no second road for
#: either to take, that measures the road, not the combat (docs/cdb90.md).
PARAMETERS = {"combat_noise": 0.0, "supply_range_km": SUPPLY_RANGE_KM, "presence_km": 0.0}
#: Seed of each run (the model draws nothing once combat_noise is 0, but its units act in a
#: shuffled order each hour).
SEED = 0
#: Morale at the start, both sides: the scenario schema's default for a unit whose morale its
#: scenario does not give (CDB90 rates morale only as an advantage of one side).
MORALE = 0.8
#: Unit type of both forces: mechanised, the model's combined-arms formation. CDB90 does not say
#: how a force moved; in today's model the type changes only the march speed (foot: x0.6).
UNIT_TYPE = "mechanised"
#: How the defender's posture (CDB90 post1) is set up: "hasty" arrives as the battle starts,
#: "prepared" stands in place for the dig-in time, "fortified" for FORTIFIED_DAYS. The model
#: has no delaying or withdrawing posture: DL and WD defenders stand as a hasty defence, and
#: the model's own rules decide whether and when they give ground.
POSTURES = {"HD": "hasty", "PD": "prepared", "FD": "fortified", "DL": "hasty", "WD": "hasty"}
#: CDB90's postures in the order the tables list them, and their names.
POSTURE_ORDER = ("HD", "PD", "FD", "DL", "WD")
POSTURE_NAMES = {
    "HD": "hasty",
    "PD": "prepared",
    "FD": "fortified",
    "DL": "delay",
    "WD": "withdrawal",
}


# ------------------------------------------------------------------ the engagement
@dataclass(frozen=True)
class Force:
    """One side of a battle as CDB90 gives it. Aircraft sorties are carried for a model that
    will use them; today's model has no air power."""

    personnel: int
    tanks: int = 0
    artillery: int = 0
    sorties: int = 0


@dataclass(frozen=True)
class Outcome:
    """What the model's engagement came to.

    attacker_won: the attacker took the first defended place, or the defender was forced out
        of it, broke off, routed, surrendered or disbanded.
    advance_km: how far the attacker's unit moved down the road (km from its start to where it
        stands at the end: the last place it entered plus the km covered towards the next).
    attacker_loss_pct_day, defender_loss_pct_day: personnel lost (killed and wounded, and
        prisoners taken from it) per day, as a % of the side's strength at the start.
    end_of_road: the attacker reached the end of the road (the advance is then a lower bound).
    """

    attacker_won: bool
    advance_km: float
    attacker_loss_pct_day: float
    defender_loss_pct_day: float
    end_of_road: bool = False


def _equipment(force: Force, scale: float) -> dict[str, int]:
    return {
        "personnel": max(1, round(force.personnel * scale)),
        "tanks": round(force.tanks * scale),
        "artillery": round(force.artillery * scale),
    }


def engage(
    attacker: Force,
    defender: Force,
    posture: str,
    terrain: str,
    frontage_km: float | None,
    days: float,
    *,
    parameters: dict | None = None,
) -> Outcome:
    """Fight one battle in the model and read off its outcome.

    The theatre: a straight road of places SPACING_KM apart (`n0`, `n1`, ...), long enough for
    ROAD_KM_PER_DAY, every place of the battle's `terrain` ("open", "forest" or "urban"). The
    attacker's force is one unit at `n0` ordered to attack down the road to its end; the
    defender's force is one unit at `n1`, in `posture` ("hasty": it arrives as the battle
    starts; "prepared": in place for the model's dig-in time; "fortified": in place
    FORTIFIED_DAYS), holding everything from `n1` on. Each side's base is at its end of the
    road. The model runs `days` x 24 hours with PARAMETERS (and `parameters`) over its defaults.

    `frontage_km` (the defender's front width) is passed on for a model that uses it; today's
    model has no frontage. A force above the scenario schema's caps on a unit (MAX_PERSONNEL
    soldiers, MAX_ITEMS of an item: 14 battles, the largest Soviet operations and El Alamein)
    is scaled down with the other side and the frontage by the same factor: today's model
    depends only on the ratio of the two, and the losses are read as a share of each side.
    """
    if posture not in ("hasty", "prepared", "fortified"):
        raise ValueError(f"posture: expected hasty, prepared or fortified, got {posture!r}")
    hours = max(1, round(days * 24))
    scale = min(
        1.0,
        MAX_PERSONNEL / max(attacker.personnel, defender.personnel, 1),
        MAX_ITEMS / max(attacker.tanks, defender.tanks, attacker.artillery, defender.artillery, 1),
    )
    _frontage = None if frontage_km is None else frontage_km * scale  # for a model that uses it
    n_places = math.ceil(ROAD_KM_PER_DAY * hours / 24 / SPACING_KM) + 2
    road_km = SPACING_KM * (n_places - 1)
    if road_km > SUPPLY_RANGE_KM:
        raise ValueError(f"days: {days} needs a road of {road_km:.0f} km, over the supply range")
    places = [f"n{i}" for i in range(n_places)]
    theatre = toy_theatre(
        {n: (SPACING_KM * i, 0.0) for i, n in enumerate(places)},
        [(a, b, SPACING_KM, ROAD_CLASS) for a, b in zip(places, places[1:], strict=False)],
        terrain=dict.fromkeys(places, terrain),
    )
    unit = {"type": UNIT_TYPE, "echelon": "division", "morale": MORALE}
    first, last = places[1], places[-1]
    scenario = toy_scenario(
        [
            {
                **unit,
                "id": "att",
                "name": "Attacker",
                "side": "UA",
                "at": places[0],
                "equipment": _equipment(attacker, scale),
            },
            {
                **unit,
                "id": "dfd",
                "name": "Defender",
                "side": "RU",
                "at": first,
                "equipment": _equipment(defender, scale),
                **({"arrives": START} if posture == "hasty" else {}),
            },
        ],
        hours=hours,
        orders=[{"units": ["att"], "task": "attack", "objective": last}],
        depots=[
            {"id": "att_base", "side": "UA", "at": places[0], "kind": "base"},
            {"id": "dfd_base", "side": "RU", "at": last, "kind": "base"},
        ],
        control={"nodes": {"RU": places[1:]}},
        parameters={**PARAMETERS, **(parameters or {})},
    )
    model = CampaignModel(scenario, theatre, seed=SEED)
    att = model.unit("att")
    assert att is not None
    dfd = model.unit("dfd")  # None until it arrives (hasty: in the first hour)
    if posture == "fortified":
        assert dfd is not None
        dfd.hours_in_place = FORTIFIED_DAYS * 24
    won = False
    while model.running:
        model.step()
        dfd = dfd or model.unit("dfd")
        assert dfd is not None
        won = won or (
            model.world.control[first] == att.side  # the first defended place taken
            or not dfd.active  # surrendered or disbanded
            or dfd.posture in ("withdraw", "rout")  # forced out, gave up, broke off, routed
            or dfd.node != first
        )
    model.release()
    assert dfd is not None
    index = {n: i for i, n in enumerate(places)}
    at = index[att.node]
    ahead = att.next_node is not None and index[att.next_node] > at
    taken = model.world.prisoners  # by the side that took them
    return Outcome(
        attacker_won=won,
        advance_km=SPACING_KM * at + (att.progress_km if ahead else 0.0),
        attacker_loss_pct_day=_loss_pct_day(att.initial, att.personnel, taken[dfd.side], hours),
        defender_loss_pct_day=_loss_pct_day(dfd.initial, dfd.personnel, taken[att.side], hours),
        end_of_road=at == len(places) - 1,
    )


def _loss_pct_day(initial, left: float, prisoners, hours: int) -> float:
    """Personnel lost in battle (the fall in strength) and taken prisoner, per day, as a % of
    the starting strength (`initial`: the unit's starting items, personnel first). A
    surrendered unit keeps its men on its books: they are counted once, as prisoners."""
    start = float(initial[0])
    lost = start - float(left) + float(prisoners)
    return 100.0 * lost / max(start, 1.0) / (hours / 24.0)


# ------------------------------------------------------------------ the record
@dataclass(frozen=True)
class Battle:
    """One row of cdb90_modern.csv, as the comparison uses it (None: the record has no value)."""

    isqno: int
    name: str
    year: int
    post1: str
    terrain: str
    frontage_km: float | None
    days: float
    advance_km: float | None
    wina: int | None
    attacker: Force
    defender: Force
    cas_a: float | None
    cas_d: float | None

    @property
    def decided(self) -> bool:
        return self.wina in (1, -1)

    @property
    def ratio(self) -> float:
        """Personnel ratio, attacker to defender."""
        return self.attacker.personnel / max(self.defender.personnel, 1)

    def advance_per_day(self) -> float | None:
        return None if self.advance_km is None else self.advance_km / self.days

    def loss_pct_day(self, side: str) -> float | None:
        cas, force = (self.cas_a, self.attacker) if side == "a" else (self.cas_d, self.defender)
        return None if cas is None else 100.0 * cas / max(force.personnel, 1) / self.days


def _num(text: str) -> float | None:
    return float(text) if text.strip() else None


def _count(text: str) -> int:
    """A count the model needs: blank (CDB90 does not know) is taken as none."""
    return round(float(text)) if text.strip() else 0


def read_battles(path: Path = DATA) -> tuple[list[Battle], list[tuple[int, str, str]]]:
    """The battles the model can fight (both strengths, a posture and a duration known), and
    those it cannot: (isqno, name, why)."""
    battles, skipped = [], []
    with path.open(newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            isqno, name = int(row["isqno"]), row["name"]
            missing = [k for k in ("str_a", "str_d", "post1", "duration_days") if not row[k]]
            if missing:
                skipped.append((isqno, name, "no " + ", ".join(missing)))
                continue
            wina = _num(row["wina"])
            battles.append(
                Battle(
                    isqno=isqno,
                    name=name,
                    year=int(row["year"]),
                    post1=row["post1"],
                    terrain=row["terrain"],
                    frontage_km=_num(row["wofd_km"]),
                    days=float(row["duration_days"]),
                    advance_km=_num(row["kmda_km"]),
                    wina=None if wina is None else int(wina),
                    attacker=Force(
                        _count(row["str_a"]),
                        _count(row["tank_a"]),
                        _count(row["arty_a"]),
                        _count(row["fly_a"]),
                    ),
                    defender=Force(
                        _count(row["str_d"]),
                        _count(row["tank_d"]),
                        _count(row["arty_d"]),
                        _count(row["fly_d"]),
                    ),
                    cas_a=_num(row["cas_a"]),
                    cas_d=_num(row["cas_d"]),
                )
            )
    return battles, skipped


def fight(battle: Battle, **kw) -> Outcome:
    """The model's engagement for a battle of the record."""
    return engage(
        battle.attacker,
        battle.defender,
        POSTURES[battle.post1],
        battle.terrain,
        battle.frontage_km,
        battle.days,
        **kw,
    )


# ------------------------------------------------------------------ the comparison
@dataclass(frozen=True)
class Result:
    battle: Battle
    model: Outcome

    def advance_per_day(self) -> float:
        return self.model.advance_km / self.battle.days


def _median(values: Iterable[float | None]) -> float | None:
    vs = [v for v in values if v is not None]
    return statistics.median(vs) if vs else None


def _fmt(x: float | None, digits: int = 2) -> str:
    return "-" if x is None else f"{x:.{digits}f}"


def _ratio(model: float | None, record: float | None) -> float | None:
    return None if model is None or not record else model / record


def winner_rows(results: list[Result]) -> list[tuple[str, int, int]]:
    """(rule, right, out of) on the decided battles: the model and the two trivial rules."""
    decided = [r for r in results if r.battle.decided]
    n = len(decided)

    def right(pred: Callable[[Result], bool]) -> int:
        return sum((r.battle.wina == 1) == pred(r) for r in decided)

    return [
        ("the model", right(lambda r: r.model.attacker_won), n),
        ("the attacker wins", right(lambda r: True), n),
        # a tie of strengths counts as an attacker win, as the first rule says
        ("the larger side wins", right(lambda r: r.battle.ratio >= 1.0), n),
    ]


def posture_table(
    results: list[Result],
    record: Callable[[Battle], float | None],
    model: Callable[[Result], float],
) -> list[tuple[str, int, float | None, float | None, float | None]]:
    """By posture (and all): (posture, battles, model median, record median, model / record),
    over the battles where the record has the value."""
    rows = []
    for post in (*POSTURE_ORDER, "all"):
        rs = [
            r
            for r in results
            if (post == "all" or r.battle.post1 == post) and record(r.battle) is not None
        ]
        if not rs:
            continue
        m = _median(model(r) for r in rs)
        rec = _median(record(r.battle) for r in rs)
        name = POSTURE_NAMES.get(post, post)
        rows.append((name, len(rs), m, rec, _ratio(m, rec)))
    return rows


RATIO_BINS = ((0.0, 1.0), (1.0, 1.5), (1.5, 3.0), (3.0, math.inf))


def _bin_name(lo: float, hi: float) -> str:
    return f"<{hi:g}" if lo == 0 else (f">{lo:g}" if math.isinf(hi) else f"{lo:g}-{hi:g}")


def wins_by_ratio(results: list[Result]) -> list[tuple[str, int, float, float]]:
    """(personnel-ratio bin, decided battles, model's attacker-win share, record's)."""
    out = []
    for lo, hi in RATIO_BINS:
        rs = [r for r in results if r.battle.decided and lo <= r.battle.ratio < hi]
        if rs:
            out.append(
                (
                    _bin_name(lo, hi),
                    len(rs),
                    sum(r.model.attacker_won for r in rs) / len(rs),
                    sum(r.battle.wina == 1 for r in rs) / len(rs),
                )
            )
    return out


def report(results: list[Result], skipped: list, seconds: tuple[float, float], worst: int) -> None:
    n = len(results)
    print(f"CDB90 modern battles (1939-1973): {n} fought by the model, {len(skipped)} skipped")
    for isqno, name, why in skipped:
        print(f"  skipped {isqno} {name}: {why}")
    print(f"  ({CREDIT})")
    wall, cpu = seconds
    print(
        f"run time: {wall:.1f} s, CPU {cpu:.1f} s ({1000 * cpu / max(n, 1):.0f} ms of CPU a battle)"
    )
    off_road = [r.battle.isqno for r in results if r.model.end_of_road]
    if off_road:
        print(f"the attacker reached the end of the road in {off_road}: advance a lower bound")

    print("\nWinner, decided battles (record: attacker won or lost)")
    for rule, right, out_of in winner_rows(results):
        print(f"  {rule:22s} {right:4d} / {out_of}  {100 * right / max(out_of, 1):5.1f} %")
    print("  attacker wins by personnel ratio     battles   model  record")
    for name, k, m, rec in wins_by_ratio(results):
        print(f"    {name:32s} {k:5d}   {100 * m:4.0f} %  {100 * rec:4.0f} %")

    def table(title: str, rows: list) -> None:
        print(f"\n{title}")
        print(
            f"  {'posture':12s} {'battles':>7s} {'model':>7s} {'record':>7s} {'model/record':>13s}"
        )
        for name, k, m, rec, ratio in rows:
            print(f"  {name:12s} {k:7d} {_fmt(m):>7s} {_fmt(rec):>7s} {_fmt(ratio):>13s}")

    table(
        "Median advance per day, km",
        posture_table(results, Battle.advance_per_day, Result.advance_per_day),
    )
    known = [r for r in results if r.battle.advance_km is not None]
    still_m = sum(r.model.advance_km == 0 for r in known)
    still_r = sum(r.battle.advance_km == 0 for r in known)
    print(
        f"  no advance at all: model {still_m} of {len(known)} battles "
        f"({100 * still_m / max(len(known), 1):.0f} %), record {still_r} "
        f"({100 * still_r / max(len(known), 1):.0f} %)"
    )
    table(
        "Median attacker losses per day, % of its strength",
        posture_table(
            results, lambda b: b.loss_pct_day("a"), lambda r: r.model.attacker_loss_pct_day
        ),
    )
    table(
        "Median defender losses per day, % of its strength",
        posture_table(
            results, lambda b: b.loss_pct_day("d"), lambda r: r.model.defender_loss_pct_day
        ),
    )

    print(f"\nWorst misses: the winner, the {worst} most lopsided battles the model calls wrong")
    wrong = [
        r for r in results if r.battle.decided and (r.battle.wina == 1) != r.model.attacker_won
    ]
    wrong.sort(key=lambda r: -abs(math.log(max(r.battle.ratio, 1e-3))))
    for r in wrong[:worst]:
        b = r.battle
        who = "attacker" if b.wina == 1 else "defender"
        print(
            f"  {b.isqno:4d} {b.name[:34]:34s} {b.year} {POSTURE_NAMES[b.post1]:10s} "
            f"ratio {b.ratio:5.2f}: {who} won, the model says the other"
        )
    print(f"Worst misses: advance per day, the {worst} farthest from the record (km/day)")
    far = [r for r in results if r.battle.advance_km is not None]
    far.sort(key=lambda r: -abs(r.advance_per_day() - (r.battle.advance_per_day() or 0.0)))
    for r in far[:worst]:
        b = r.battle
        print(
            f"  {b.isqno:4d} {b.name[:34]:34s} {b.year} {POSTURE_NAMES[b.post1]:10s} "
            f"ratio {b.ratio:5.2f}: model {r.advance_per_day():6.2f}, "
            f"record {_fmt(b.advance_per_day()):>6s}"
        )


def plot(results: list[Result], path: Path) -> None:
    """Model against record: advance per day and losses per day by posture, and the
    attacker's wins by force ratio."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(15, 4.6))
    width = 0.38

    adv = posture_table(results, Battle.advance_per_day, Result.advance_per_day)
    ax = axes[0]
    xs = range(len(adv))
    ax.bar([x - width / 2 for x in xs], [r[3] or 0 for r in adv], width, label="record")
    ax.bar([x + width / 2 for x in xs], [r[2] or 0 for r in adv], width, label="model")
    ax.set_xticks(list(xs), [f"{r[0]}\n({r[1]})" for r in adv])
    ax.set_ylabel("median advance per day, km")
    ax.set_title("Advance per day, by the defender's posture")
    ax.legend()

    ax = axes[1]
    att = posture_table(
        results, lambda b: b.loss_pct_day("a"), lambda r: r.model.attacker_loss_pct_day
    )
    dfd = posture_table(
        results, lambda b: b.loss_pct_day("d"), lambda r: r.model.defender_loss_pct_day
    )
    names = [r[0] for r in att]
    xs = range(len(names))
    w = 0.2
    for k, (rows, side) in enumerate(((att, "attacker"), (dfd, "defender"))):
        ax.bar(
            [x + (2 * k - 1.5) * w for x in xs],
            [r[3] or 0 for r in rows],
            w,
            label=f"{side}, record",
            color=("tab:blue", "tab:red")[k],
            alpha=0.45,
        )
        ax.bar(
            [x + (2 * k - 0.5) * w for x in xs],
            [r[2] or 0 for r in rows],
            w,
            label=f"{side}, model",
            color=("tab:blue", "tab:red")[k],
        )
    ax.set_xticks(list(xs), names)
    ax.set_ylabel("median losses per day, % of strength")
    ax.set_title("Losses per day, by the defender's posture")
    ax.legend(fontsize=8)

    ax = axes[2]
    wins = wins_by_ratio(results)
    xs = range(len(wins))
    ax.bar([x - width / 2 for x in xs], [100 * r[3] for r in wins], width, label="record")
    ax.bar([x + width / 2 for x in xs], [100 * r[2] for r in wins], width, label="model")
    ax.set_xticks(list(xs), [f"{r[0]}\n({r[1]})" for r in wins])
    ax.set_xlabel("personnel ratio, attacker : defender (decided battles)")
    ax.set_ylabel("attacker wins, %")
    ax.set_ylim(0, 100)
    ax.set_title("The winner, by force ratio")
    ax.legend()

    fig.suptitle(
        f"Today's combat model against CDB90's modern battles (data: {CREDIT})", fontsize=9
    )
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--plot", type=Path, help="write the comparison figure here (PNG)")
    ap.add_argument("--worst", type=int, default=5, help="misses listed (default 5)")
    ap.add_argument("--only", help="comma-separated isqno: fight these battles only")
    args = ap.parse_args(argv)
    battles, skipped = read_battles()
    if args.only:
        keep = {int(x) for x in args.only.split(",")}
        battles = [b for b in battles if b.isqno in keep]
    t0, c0 = time.perf_counter(), time.process_time()
    results = [Result(b, fight(b)) for b in battles]
    seconds = (time.perf_counter() - t0, time.process_time() - c0)
    report(results, skipped, seconds, args.worst)
    if args.plot:
        plot(results, args.plot)
        print(f"\nwrote {args.plot}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
