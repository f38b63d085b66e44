"""Two futures of one run compared: the base run and a branch that changed one thing at an hour.

    futures = compare_futures(base_record, branch_record, scenario, hour)
    futures.lines()          # "Izium (north bank) passes to UA 2.0 days later: ..."
    futures.lines(until=k)   # the same, as far as hour k

What is compared, after the branch hour (before it the two runs are one):
- **key places**: the scenario's `whatif:` places and every place its `history:` block dates.
  For each, the first time it changes hands after the branch hour in each run, with the
  record's date for that change where the history block gives one;
- **area** each side has taken since the start;
- **losses**: each side's personnel lost (killed, wounded, captured or missing, and those of
  units that surrendered), prisoners taken, units that surrendered or disbanded;
- **bridges** destroyed in one future and not the other.
Only differences are listed; a branch that changes nothing says so.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sim.runs.record import RunRecord
from sim.scenario import SIDES, Scenario, other

if TYPE_CHECKING:
    from sim.map.theatre import Theatre

#: Differences smaller than these are not listed (rounding in the record).
MIN_AREA_KM2 = 1.0
MIN_PERSONNEL = 1
#: Place dates closer than this are the same date (records are hourly).
SAME_HOURS = 1.0


@dataclass(frozen=True)
class PlaceOutcome:
    """When a place changes hands after the branch hour, in each future (None: not by the
    end), and when the record says it did (None: not dated in the history block)."""

    node: str
    name: str
    holder: str  # who held it at the branch hour
    base: datetime | None
    branch: datetime | None
    record: datetime | None = None
    record_until: datetime | None = None

    @property
    def to_side(self) -> str:
        return other(self.holder)

    @property
    def differs(self) -> bool:
        if self.base is None or self.branch is None:
            return (self.base is None) != (self.branch is None)
        return abs(_hours(self.branch, self.base)) >= SAME_HOURS


@dataclass(frozen=True)
class Futures:
    """The base run and a branch, side by side (build with `compare_futures`)."""

    start: datetime
    branch_time: datetime
    end: datetime
    hour: int
    places: list[PlaceOutcome]
    base: RunRecord
    branch: RunRecord
    crossing_names: dict[str, str] = field(default_factory=dict)  # crossing id -> its name

    @functools.cached_property
    def _series(self) -> tuple[dict[str, list], dict[str, list]]:
        """The hourly series of both futures, built once (`lines` is asked for every hour
        of a what-if's page: sim/web/)."""
        return self.base.series(), self.branch.series()

    def place(self, node: str) -> PlaceOutcome | None:
        return next((p for p in self.places if p.node == node), None)

    def lines(self, until: int | None = None) -> list[str]:
        """The differences in words, as far as hour `until` (default: the end): places
        first, then area, losses and bridges. One line that says so when there are none."""
        k = (
            min(self.base.hours, self.branch.hours)
            if until is None
            else min(max(until, self.hour), self.base.hours, self.branch.hours)
        )
        when = self.start + timedelta(hours=k)
        out = [line for p in self.places if (line := _place_line(p, when))]
        out += _figures(self.base, self.branch, k, when, self._series)
        out += _bridges(self.base, self.branch, when, self.crossing_names)
        if not out:
            out = [
                f"No difference by {_day(when)}: the branch's future is the base's so far."
                if until is not None
                else "No difference: the branch's future is the base's."
            ]
        return out


def compare_futures(
    base: RunRecord,
    branch: RunRecord,
    scenario: Scenario,
    hour: int,
    theatre: Theatre | None = None,
) -> Futures:
    """The base and branch records of one run compared after `hour` (the branch hour). With
    the `theatre`, a pontoon over an unbridged stretch is named as one (not by its crossing's
    map name, "no crossing A-B")."""
    k = min(hour, base.hours, branch.hours)
    nodes = _key_places(scenario, set(base.node_ids))
    places = []
    for node in nodes:
        holder = base.holder(node, k)
        rec, rec_until = _record_date(scenario, node, other(holder))
        places.append(
            PlaceOutcome(
                node,
                base.place_names.get(node, node),
                holder,
                _first_change(base, node, k),
                _first_change(branch, node, k),
                rec,
                rec_until,
            )
        )
    places.sort(key=lambda p: (min(t for t in (p.base, p.branch, base.times[-1]) if t), p.name))
    names = {}
    if theatre is not None:
        for cid, c in theatre.crossings.items():
            if c.kind not in ("bridge", "rail_bridge"):
                names[cid] = (
                    f"The pontoon over the {c.river} between "
                    f"{base.place_names.get(c.u, c.u)} and "
                    f"{base.place_names.get(c.v, c.v)}"
                )
    return Futures(base.start, base.times[k], base.times[-1], k, places, base, branch, names)


def _key_places(scenario: Scenario, known: set[str]) -> list[str]:
    out: list[str] = []
    w = scenario.whatif
    if w is not None:
        out += [*w.key_places, w.key_town]
        out += [p for p in (w.withdrawal_place, w.bridge_expect_place) if p]
    out += [o.place for o in sorted(scenario.history, key=lambda o: o.date) if o.place]
    return [n for n in dict.fromkeys(out) if n in known]


def _record_date(
    scenario: Scenario, node: str, holder: str
) -> tuple[datetime | None, datetime | None]:
    for o in sorted(scenario.history, key=lambda o: o.date):
        if o.place == node and o.holder == holder and not o.bound:
            return o.date, o.until
    return None, None


def _first_change(record: RunRecord, node: str, k: int) -> datetime | None:
    """The first recorded hour after hour k at which `node` is held by another side."""
    start = record.holder(node, k)
    for j in range(k + 1, len(record.times)):
        if record.holder(node, j) != start:
            return record.times[j]
    return None


def _hours(a: datetime, b: datetime) -> float:
    return (a - b) / timedelta(hours=1)


def _day(t: datetime) -> str:
    return f"{t.day} {t:%b}"


def _when(t: datetime) -> str:
    return f"{t.day} {t:%b %H:%M}"


def _span(hours: float) -> str:
    h = abs(hours)
    return f"{h:.0f} hour{'s' if round(h) != 1 else ''}" if h < 48 else f"{h / 24:.1f} days"


def _place_line(p: PlaceOutcome, when: datetime) -> str | None:
    base = p.base if p.base is not None and p.base <= when else None
    alt = p.branch if p.branch is not None and p.branch <= when else None
    if base is None and alt is None:
        return None
    record = ""
    if p.record is not None:
        record = f"; record: {_day(p.record)}" + (
            f" to {_day(p.record_until)}" if p.record_until else ""
        )
    verb = f"passes to {p.to_side}"
    if base is not None and alt is not None:
        d = _hours(alt, base)
        if abs(d) < SAME_HOURS:
            return None
        return (
            f"{p.name} {verb} {_span(d)} {'later' if d > 0 else 'earlier'}: "
            f"{_when(alt)}, not {_when(base)}{record}"
        )
    if base is not None:  # and not the branch
        return (
            f"{p.name} does not pass to {p.to_side} by {_day(when)} (base: {_when(base)}{record})"
        )
    assert alt is not None  # not both None (returned above)
    return f"{p.name} {verb} on {_when(alt)} (not in the base by {_day(when)}{record})"


def _figures(
    base: RunRecord, alt: RunRecord, k: int, when: datetime, series: tuple[dict, dict]
) -> list[str]:
    out = []
    sb, sa = series
    fb, fa = base.frame(k)["units"], alt.frame(k)["units"]
    for side in SIDES:
        col = f"area_taken_km2_{side}"
        b, a = float(sb[col][k]), float(sa[col][k])
        if abs(a - b) >= MIN_AREA_KM2:
            out.append(
                f"{side} has taken {abs(a - b):,.0f} km² {'more' if a > b else 'less'} "
                f"by {_day(when)} ({a:,.0f} instead of {b:,.0f} km²)"
            )
    for side in SIDES:
        b, a = _lost(base, side, fb), _lost(alt, side, fa)
        if abs(a - b) >= MIN_PERSONNEL:
            out.append(
                f"{side} loses {abs(a - b):,} {'more' if a > b else 'fewer'} personnel "
                f"({a:,} instead of {b:,})"
            )
    for side in SIDES:
        col = f"prisoners_by_{side}"
        b, a = int(sb[col][k]), int(sa[col][k])
        if a != b:
            out.append(
                f"{side} takes {abs(a - b):,} {'more' if a > b else 'fewer'} prisoners "
                f"({a:,} instead of {b:,})"
            )
    for side in SIDES:
        b, a = _gone(base, side, fb), _gone(alt, side, fa)
        if a != b:
            out.append(f"{side} units surrendered or disbanded: {a} instead of {b}")
    return out


def _lost(record: RunRecord, side: str, frame: list) -> int:
    """Personnel of `side` lost by the hour of `frame` (its units): the establishment of the
    units that have arrived (grown by a what-if reinforcement: sim/whatif/branch.py, scale_unit)
    minus those on the map."""
    facts = {u["id"]: u for u in record.units}
    arrived = sum(facts[u["id"]]["initial"][0] for u in frame if facts[u["id"]]["side"] == side)
    now = sum(
        u["equipment"][0]
        for u in frame
        if facts[u["id"]]["side"] == side and u["status"] == "active"
    )
    return int(arrived - now)


def _gone(record: RunRecord, side: str, frame: list) -> int:
    facts = {u["id"]: u["side"] for u in record.units}
    return sum(
        1 for u in frame if facts[u["id"]] == side and u["status"] in ("surrendered", "disbanded")
    )


def _bridges(base: RunRecord, alt: RunRecord, when: datetime, names: dict[str, str]) -> list[str]:
    def destroyed(record: RunRecord) -> dict[str, str]:
        stamp = when.isoformat(timespec="minutes")
        return {
            e["target"]: names.get(e["target"], e["text"].split(" destroyed")[0])
            for e in record.events
            if e["kind"] == "bridge_destroyed" and e["time"] <= stamp
        }

    b, a = destroyed(base), destroyed(alt)
    out = [f"{a[c]} is destroyed (it stands in the base)" for c in sorted(set(a) - set(b))]
    out += [f"{b[c]} stands (destroyed in the base)" for c in sorted(set(b) - set(a))]
    return out
