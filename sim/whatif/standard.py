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

Each variant runs on the same seeds as the baseline; the table gives the median change of each
key place's date, of the attacker's area at the end, and of each side's personnel lost, with
the expected direction and whether it holds (docs/whatif.md holds both shipped scenarios'
tables).
"""

from __future__ import annotations

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
        ),
        Variant(
            "garrison_x0.5",
            "Key town's garrison x0.5",
            lambda d: _scale(d, garrison, 0.5),
            town,
            "earlier",
            why="a smaller garrison falls sooner",
        ),
        Variant(
            "attackers_x0.5",
            "Attacking units x0.5",
            lambda d: _scale(d, attacking, 0.5),
            town,
            "later",
            why="half the attacking force is slower, or fails",
        ),
        Variant(
            "defenders_x2",
            "Defending side x2",
            lambda d: _scale(d, defending, 2.0),
            town,
            "later",
            why="twice the defence holds longer",
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
    """The side's dated orders and surprise windows `hours` later, and the end with them."""
    shift = timedelta(hours=hours)
    side_of = {u["id"]: u["side"] for u in data["units"]}
    for o in data["orders"]:
        if side_of[o["units"][0]] == side and o.get("start"):
            o["start"] = o["start"] + shift
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


def outcome(record: RunRecord, s: Scenario, places: list[str]) -> dict[str, float]:
    """What the table reports of one run: each of `places`' hours to its change of hands (to
    the side that does not hold it at the start), the attacker's area taken at the end, and
    each side's personnel lost (destroyed, captured or abandoned with their units)."""
    w = whatif_block(s)
    out: dict[str, float] = {}
    for place in places:
        start_holder = record.holder(place, 0)
        out[place] = _hours(record, place, other(start_holder))
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
    places = list(dict.fromkeys([*whatif_block(s).key_places, *(v.measure for v in variants)]))
    runs = {"baseline": [outcome(simulate(s, seed), s, places) for seed in seeds]}
    for v in variants:
        changed = apply(s, v)
        runs[v.id] = [outcome(simulate(changed, seed), s, places) for seed in seeds]
    return runs


def _median(values: list[float]) -> float:
    return statistics.median(values)


@dataclass(frozen=True)
class Row:
    variant: Variant
    delta_hours: dict[str, float]  # per key place: median hours later (+) or earlier (-)
    never: dict[str, bool]  # the place does not fall in the variant (median run)
    delta_area: float
    delta_lost: dict[str, float]
    holds: bool


def judge(
    s: Scenario, runs: dict[str, list[dict[str, float]]], variants: list[Variant]
) -> list[Row]:
    """Median changes against the baseline and whether each expected direction holds.

    `later` holds when the measured place falls later in the median (or does not fall,
    unless the variant must still let it fall); `earlier` when it falls earlier (or falls
    where the baseline's did not); `no_earlier` / `no_later` (no effect expected, or one way
    only) when it falls at most SAME_HOURS the wrong way; `either` always holds."""
    base = runs["baseline"]
    places = list(dict.fromkeys([*whatif_block(s).key_places, *(v.measure for v in variants)]))
    rows = []
    for v in variants:
        mine = runs[v.id]
        delta, never = {}, {}
        for p in places:
            b, x = _median([r[p] for r in base]), _median([r[p] for r in mine])
            never[p] = x == NEVER
            delta[p] = (
                (x - b)
                if (x != NEVER and b != NEVER)
                else (0.0 if x == b else (NEVER if x == NEVER else -NEVER))
            )
        b, x = _median([r[v.measure] for r in base]), _median([r[v.measure] for r in mine])
        if v.expect == "later":
            holds = x > b and not (v.must_fall and x == NEVER)
        elif v.expect == "earlier":
            holds = x < b
        elif v.expect == "no_earlier":
            holds = x >= b - SAME_HOURS
        elif v.expect == "no_later":
            holds = x <= b + SAME_HOURS
        else:
            holds = True
        rows.append(
            Row(
                v,
                delta,
                never,
                _median([r["area"] for r in mine]) - _median([r["area"] for r in base]),
                {
                    side: _median([r[f"lost_{side}"] for r in mine])
                    - _median([r[f"lost_{side}"] for r in base])
                    for side in SIDES
                },
                holds,
            )
        )
    return rows


def _fmt_delta(h: float, never: bool) -> str:
    if never:
        return "never"
    if h in (NEVER, -NEVER):
        return "falls" if h < 0 else "never"
    if abs(h) < 0.5:
        return "0 h"
    return f"{h:+.0f} h" if abs(h) < 48 else f"{h / 24:+.1f} d"


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
    for r in rows:
        body.append(
            [
                r.variant.label,
                *(_fmt_delta(r.delta_hours[p], r.never[p]) for p in places),
                f"{r.delta_area:+,.0f} km²",
                f"{r.delta_lost['UA']:+,.0f}",
                f"{r.delta_lost['RU']:+,.0f}",
                f"{names.get(r.variant.measure, r.variant.measure)} {r.variant.expect}",
                "yes" if r.holds else "NO",
            ]
        )
    title = (
        f"{s.title}: change against the baseline, median of {len(seeds)} seed(s) "
        f"({', '.join(map(str, seeds))})"
    )
    if markdown:
        lines = [f"**{title}**", "", "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        lines += ["| " + " | ".join(row) + " |" for row in body]
        return "\n".join(lines)
    widths = [max(len(str(x)) for x in col) for col in zip(head, *body, strict=True)]
    fmt = "  ".join(f"{{:<{w}}}" for w in widths)
    return "\n".join([title, fmt.format(*head), *(fmt.format(*row) for row in body)])
