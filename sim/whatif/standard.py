"""A standard set of counterfactuals ("what if") and whether the model answers them the way the
scenario's author expects.

    python run.py whatif SCENARIO.yaml [--seeds N] [--markdown]

The scenario's `whatif:` block names what to vary: the attacking side, the key places whose
dates are reported, the key town whose garrison is scaled, a key bridge, the place a withdrawal
decides, and a supporting attack (an order id) to leave out. From it `standard_variants` builds:

- key town's garrison x2 / x0.5 (every unit of the defending side standing in the key town at
  the start): the town falls later (and still falls) / earlier;
- attacking units x0.5 (every unit the attacking side's plan sends to attack) and defending
  side x2: the key town falls later (or never);
- key bridge indestructible / destroyed at the start: as the author says;
- no withdrawal (the defending side's withdrawal doctrine off): the place the withdrawal
  decides falls later (or never);
- operation 72 h later (the attacking side's dated orders and surprise windows, and the end):
  the key town falls later;
- a supporting attack left out (its order removed): its objective falls later (or never).

Each variant runs on the same seeds as the baseline (10 by default), and each seed's change is
taken against the baseline of the same seed. The table gives, for every key place, the median
change of its date with the spread (the middle half of the seeds' changes), the median change
of the attacker's area at the end and of each side's personnel lost, the expected direction
of the measured place and whether it holds, and **flags a reversal on any key place**: a
variant that helps one side (`Variant.helps`) must not bring a place that side defends down
earlier, nor delay one the other side attacks, by more than SAME_HOURS (docs/whatif.md holds
the shipped scenarios' tables).
"""

from __future__ import annotations

import dataclasses
import math
import statistics
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sim.model.params import Parameters
from sim.runs.summary import summarise
from sim.scenario import SIDES, Scenario, Task, WhatIf, other

if TYPE_CHECKING:
    from sim.runs.record import RunRecord

NEVER = float("inf")
#: For an expectation of no effect (no_earlier, no_later): a change of this many hours the
#: wrong way still counts as none. A change of the scenario that does nothing still shifts
#: the order of events within an hour, which moves a date by an hour or two.
SAME_HOURS = 2.0


@dataclass(frozen=True)
class Variant:
    """One counterfactual: a change to the scenario (and parameters), and what it should do."""

    id: str
    label: str
    change: Callable[[dict[str, Any]], None]  # edits the scenario's data in place
    measure: str  # the place whose date judges the direction
    expect: str  # "later" | "earlier" | "no_earlier" | "no_later" | "either"
    must_fall: bool = False  # the place must still change hands (a garrison x2)
    why: str = ""
    #: the side the change helps ("attacker" | "defender"), which fixes the direction every
    #: key place may move: None where it depends (a bridge, a doctrine), and then only the
    #: measured place is judged
    helps: str | None = None


def _scale(data: dict, ids: set[str], factor: float) -> None:
    for u in data["units"]:
        if u["id"] in ids:
            u["equipment"] = {k: int(round(v * factor)) for k, v in u["equipment"].items()}


def whatif_block(s: Scenario) -> WhatIf:
    """The scenario's `whatif:` block. Raises ValueError if it has none."""
    if s.whatif is None:
        raise ValueError(f"scenario {s.id!r} has no whatif: block")
    return s.whatif


def standard_variants(s: Scenario) -> list[Variant]:
    """The standard counterfactuals for a scenario with a `whatif:` block."""
    w = whatif_block(s)
    attacker, defender = w.attacker, other(w.attacker)
    garrison = {
        u.id for u in s.units if u.side == defender and u.at == w.key_town and u.arrives is None
    }
    attacking = {
        uid
        for o in s.orders
        if o.task == Task.ATTACK
        for uid in o.units
        if next(u for u in s.units if u.id == uid).side == attacker
    }
    defending = {u.id for u in s.units if u.side == defender}
    town = w.key_town
    out = [
        Variant(
            "garrison_x2",
            "Key town's garrison x2",
            lambda d: _scale(d, garrison, 2.0),
            town,
            "later",
            must_fall=True,
            why="a bigger garrison holds longer (hours to days), but still falls",
            helps="defender",
        ),
        Variant(
            "garrison_x0.5",
            "Key town's garrison x0.5",
            lambda d: _scale(d, garrison, 0.5),
            town,
            "earlier",
            why="a smaller garrison falls sooner",
            helps="attacker",
        ),
        Variant(
            "attackers_x0.5",
            "Attacking units x0.5",
            lambda d: _scale(d, attacking, 0.5),
            town,
            "later",
            why="half the attacking force is slower, or fails",
            helps="defender",
        ),
        Variant(
            "defenders_x2",
            "Defending side x2",
            lambda d: _scale(d, defending, 2.0),
            town,
            "later",
            why="twice the defence holds longer",
            helps="defender",
        ),
    ]
    bridge = w.key_bridge
    if bridge:
        place = w.bridge_expect_place or town
        out += [
            Variant(
                "bridge_intact",
                "Key bridge cannot be destroyed",
                lambda d: _bridge(d, bridge, "indestructible"),
                place,
                w.bridge_intact_expect,
                why=w.source,
            ),
            Variant(
                "bridge_destroyed",
                "Key bridge destroyed at the start",
                lambda d: _bridge(d, bridge, "destroyed"),
                place,
                w.bridge_destroyed_expect,
                why=w.source,
            ),
        ]
    out += [
        Variant(
            "no_withdrawal",
            "Defending side never withdraws",
            lambda d: _doctrine(d, defender, withdrawal_doctrine=False),
            w.withdrawal_place or town,
            "later",
            why="a defence that never pulls back is stormed, later, or holds",
        ),
        Variant(
            "delay_72h",
            "Operation 72 h later",
            lambda d: _delay(d, attacker, 72),
            town,
            "later",
            why="the attack starts three days later",
            helps="defender",
        ),
    ]
    support = w.supporting_attack
    if support:
        order = next(o for o in s.orders if o.id == support)
        out.append(
            Variant(
                "no_supporting_attack",
                f"Supporting attack left out ({support})",
                lambda d: _drop_order(d, support),
                order.track[-1],
                "later",
                why="without it, its objective falls later or not at all",
                helps="defender",
            )
        )
    return out


def _bridge(data: dict, cid: str, state: str) -> None:
    data["crossings"] = {**data.get("crossings", {}), cid: state}
    data["events"] = [
        e for e in data["events"] if not (e["kind"] == "destroy_bridge" and e["target"] == cid)
    ]


def _doctrine(data: dict, side: str, **values: Any) -> None:
    data["sides"][side]["doctrine"] = {**data["sides"][side].get("doctrine", {}), **values}


def _delay(data: dict, side: str, hours: int) -> None:
    """The side's orders (an order without a start starts with the scenario) and surprise
    windows `hours` later, and the end with them."""
    shift = timedelta(hours=hours)
    side_of = {u["id"]: u["side"] for u in data["units"]}
    for o in data["orders"]:
        if side_of[o["units"][0]] == side:
            o["start"] = (o.get("start") or data["start"]) + shift
    for e in data["events"]:
        if e["kind"] == "surprise" and e.get("side") == side:
            e["at"] = e["at"] + shift
    data["end"] = data["end"] + shift


def _drop_order(data: dict, order_id: str) -> None:
    data["orders"] = [o for o in data["orders"] if o.get("id") != order_id]


def apply(s: Scenario, variant: Variant) -> Scenario:
    """The scenario with the variant's change made (validated)."""
    data = s.model_dump()
    variant.change(data)
    return Scenario.model_validate(data)


# ---------------------------------------------------------------------------------- runs
def _hours(record: RunRecord, place: str, holder: str) -> float:
    """Hours from the start until `place` first passed to `holder` (inf if never)."""
    for ch in record.control_changes:
        if ch["node_id"] == place and ch["to_side"] == holder:
            return (datetime.fromisoformat(ch["time"]) - record.start).total_seconds() / 3600
    return NEVER


#: Outcome key of a place's start holder: 1.0 when the attacking side held it at the start.
ATTACKER_HELD = "attacker_held_at_start."


def outcome(record: RunRecord, s: Scenario, places: list[str]) -> dict[str, float]:
    """What the table reports of one run: each of `places`' hours to its change of hands (to
    the side that does not hold it at the start) and whether the attacker held it at the start
    (ATTACKER_HELD), the attacker's area taken at the end, and each side's personnel lost
    (destroyed, captured or abandoned with their units)."""
    w = whatif_block(s)
    out: dict[str, float] = {}
    for place in places:
        start_holder = record.holder(place, 0)
        out[place] = _hours(record, place, other(start_holder))
        out[ATTACKER_HELD + place] = float(start_holder == w.attacker)
    summary = summarise(record)
    out["area"] = float(summary.final[w.attacker]["area_taken_km2"])
    for side, lost in summary.lost.items():
        out[f"lost_{side}"] = float(lost["personnel"])
    for side in SIDES:
        out[f"prisoners_by_{side}"] = float(summary.prisoners[side])
    return out


def run_all(
    s: Scenario,
    theatre,
    params: Parameters,
    seeds: list[int],
    variants: list[Variant] | None = None,
    simulate: Callable | None = None,
) -> dict[str, list[dict[str, float]]]:
    """Outcomes per seed of the baseline ("baseline") and of each variant."""
    from sim.model import CampaignModel

    def default(scenario: Scenario, seed: int) -> RunRecord:
        return CampaignModel(scenario, theatre, params, seed=seed).run()

    simulate = simulate or default
    variants = standard_variants(s) if variants is None else variants
    places = _places(s, variants)
    runs = {"baseline": [outcome(simulate(s, seed), s, places) for seed in seeds]}
    for v in variants:
        changed = apply(s, v)
        runs[v.id] = [outcome(simulate(changed, seed), s, places) for seed in seeds]
    return runs


def _places(s: Scenario, variants: list[Variant]) -> list[str]:
    """The key places, then every other place a variant measures."""
    return list(dict.fromkeys([*whatif_block(s).key_places, *(v.measure for v in variants)]))


def _change(x: float, b: float) -> float:
    """A variant's hours to a change of hands against the baseline's, on one seed: the
    difference, 0 when neither falls, +inf when only the baseline's falls, -inf when only the
    variant's does."""
    if x == b:
        return 0.0
    if NEVER in (x, b):
        return NEVER if x == NEVER else -NEVER
    return x - b


def _quartiles(values: list[float]) -> tuple[float, float]:
    """The first and third quartiles by nearest rank (no interpolation, so +-inf stay as they
    are): the middle half of the seeds lies between them."""
    v = sorted(values)
    n = len(v)
    return v[max(0, math.ceil(n / 4) - 1)], v[max(0, math.ceil(3 * n / 4) - 1)]


@dataclass(frozen=True)
class Row:
    variant: Variant
    delta_hours: dict[str, float]  # per key place: median of the seeds' changes, hours (+ later)
    spread: dict[str, tuple[float, float]]  # per key place: quartiles of the seeds' changes
    never: dict[str, bool]  # the place does not fall in the variant (median run)
    delta_area: float
    delta_lost: dict[str, float]
    holds: bool
    reversed: list[str]  # key places that moved against the side the variant helps (median)
    #: key places that moved against it in at least a quarter of the seeds, not in the median
    reversed_in_some: list[str] = dataclasses.field(default_factory=list)
    base_hours: dict[str, float] = dataclasses.field(default_factory=dict)  # baseline medians


def _reversed(v: Variant, delta: float, attacker_held: bool) -> bool:
    """A change against the side the variant helps: a place that side defends falling more than
    SAME_HOURS earlier, or one it attacks more than SAME_HOURS later."""
    if v.helps is None:
        return False
    later_is_good_for_defender = not attacker_held  # the place falls to the attacker
    if (v.helps == "defender") == later_is_good_for_defender:
        return delta < -SAME_HOURS
    return delta > SAME_HOURS


def _reversed_in_some(v: Variant, spread: tuple[float, float], attacker_held: bool) -> bool:
    """A change against the side the variant helps in at least a quarter of the seeds: the
    quartile on the wrong side is a reversal (`_reversed`)."""
    return _reversed(v, spread[0], attacker_held) or _reversed(v, spread[1], attacker_held)


def _paired(mine: list[dict[str, float]], base: list[dict[str, float]], key: str) -> float:
    """The median over seeds of a figure's change against the same seed's baseline."""
    return statistics.median(x[key] - b[key] for x, b in zip(mine, base, strict=True))


def judge(
    s: Scenario, runs: dict[str, list[dict[str, float]]], variants: list[Variant]
) -> list[Row]:
    """Changes against the baseline, seed by seed, and whether each expected direction holds.

    Each place's change is the median over seeds of the variant's hours to its change of hands
    minus the baseline's on the same seed (`_change`). `later` holds when the measured place's
    median change is positive (it falls later, or not at all, unless the variant must still
    let it fall); `earlier` when it is negative; `no_earlier` / `no_later` (no effect
    expected, or one way only) when it moves at most SAME_HOURS the wrong way; `either` always
    holds. Every key place is checked for a reversal (`_reversed`)."""
    base = runs["baseline"]
    places = _places(s, variants)
    rows = []
    for v in variants:
        mine = runs[v.id]
        delta, spread, never, flipped, some = {}, {}, {}, [], []
        for p in places:
            changes = [_change(x[p], b[p]) for x, b in zip(mine, base, strict=True)]
            delta[p] = statistics.median(changes)
            spread[p] = _quartiles(changes)
            never[p] = statistics.median([r[p] for r in mine]) == NEVER
            held = bool(base[0].get(ATTACKER_HELD + p, 0.0))
            if _reversed(v, delta[p], held):
                flipped.append(p)
            elif _reversed_in_some(v, spread[p], held):
                some.append(p)
        d = delta[v.measure]
        if v.expect == "later":
            holds = d > 0 and not (v.must_fall and never[v.measure])
        elif v.expect == "earlier":
            holds = d < 0
        elif v.expect == "no_earlier":
            holds = d >= -SAME_HOURS
        elif v.expect == "no_later":
            holds = d <= SAME_HOURS
        else:
            holds = True

        rows.append(
            Row(
                v,
                delta,
                spread,
                never,
                _paired(mine, base, "area"),
                {side: _paired(mine, base, f"lost_{side}") for side in SIDES},
                holds,
                flipped,
                some,
                {p: statistics.median([b[p] for b in base]) for p in places},
            )
        )
    return rows


def _fmt_delta(h: float, never: bool = False) -> str:
    if never:
        return "never"
    if h in (NEVER, -NEVER):
        return "falls" if h < 0 else "never"
    if round(h) == 0:
        return "0 h"
    return f"{h:+.0f} h" if abs(h) < 48 else f"{h / 24:+.1f} d"


def _cell(r: Row, p: str) -> str:
    """A place's cell: the median change, the spread (when the seeds differ) and a reversal
    ("!" in the median, "?" in at least a quarter of the seeds)."""
    if r.never[p] and r.base_hours.get(p) == NEVER and r.spread[p] == (0.0, 0.0):
        return "never, as base"
    text = _fmt_delta(r.delta_hours[p], r.never[p])
    lo, hi = r.spread[p]
    if lo != hi:
        text += f" ({_fmt_delta(lo)}..{_fmt_delta(hi)})"
    if p in r.reversed:
        return f"{text} !"
    return f"{text} ?" if p in r.reversed_in_some else text


def _when(s: Scenario, hours: float) -> str:
    """A baseline median as a date (or never)."""
    if hours == NEVER:
        return "never"
    return f"{s.start + timedelta(hours=hours):%d %b %H:%M}"


def table(
    s: Scenario, rows: list[Row], seeds: list[int], names: dict[str, str], markdown: bool = False
) -> str:
    """The printed (or Markdown) what-if table."""
    places = list(rows[0].delta_hours) if rows else []
    head = [
        "what if",
        *(names.get(p, p) for p in places),
        f"{whatif_block(s).attacker} area",
        "UA lost",
        "RU lost",
        "expected",
        "holds",
    ]
    body = []
    if rows and rows[0].base_hours:
        body.append(
            [
                "(baseline: median date)",
                *(_when(s, rows[0].base_hours[p]) for p in places),
                *([""] * 5),
            ]
        )
    for r in rows:
        body.append(
            [
                r.variant.label,
                *(_cell(r, p) for p in places),
                f"{r.delta_area:+,.0f} km²",
                f"{r.delta_lost['UA']:+,.0f}",
                f"{r.delta_lost['RU']:+,.0f}",
                f"{names.get(r.variant.measure, r.variant.measure)} {r.variant.expect}",
                "yes" if r.holds else "NO",
            ]
        )
    seed_text = (
        f"seeds {seeds[0]}-{seeds[-1]}"
        if seeds == list(range(seeds[0], seeds[-1] + 1)) and len(seeds) > 2
        else f"seed(s) {', '.join(map(str, seeds))}"
    )
    title = (
        f"{s.title}: change against the baseline, seed by seed; median of {len(seeds)} "
        f"{seed_text} (in brackets the middle half of the seeds)"
    )
    flagged = [
        f"{r.variant.label}: {', '.join(names.get(p, p) for p in r.reversed)}"
        for r in rows
        if r.reversed
    ]
    partly = [
        f"{r.variant.label}: {', '.join(names.get(p, p) for p in r.reversed_in_some)}"
        for r in rows
        if r.reversed_in_some
    ]
    notes = [
        "! reversed: the change helps one side, and the place moved more than "
        f"{SAME_HOURS:g} h against it in the median"
        + (f" ({'; '.join(flagged)})" if flagged else " (none)"),
        "? reversed in at least a quarter of the seeds"
        + (f" ({'; '.join(partly)})" if partly else " (none)"),
    ]
    if markdown:
        lines = [f"**{title}**", "", "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        lines += ["| " + " | ".join(row) + " |" for row in body]
        return "\n".join([*lines, "", *notes])
    widths = [max(len(str(x)) for x in col) for col in zip(head, *body, strict=True)]
    fmt = "  ".join(f"{{:<{w}}}" for w in widths)
    return "\n".join([title, fmt.format(*head), *(fmt.format(*row) for row in body), *notes])
