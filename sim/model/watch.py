"""What a commander watches on each of its groupings' lines of supply, and the evidence it
sees that one is threatened (docs/model.md, "Plans and commanders").

Each hour the commander (sim/model/commander.py) looks, for every grouping (a scenario's
`groupings:`, or a unit on its own), at the units that hold positions (`members`) and at the
evidence a commander would see (`threat`): the line cut, the units losing the supply they had,
the enemy winning a fight for a place on its rear part, or enemy troops on the move next to the
rear part in a strength that could hold the road. A grouping threatened long enough is pulled
back (the commander's decision, after withdraw_decision_hours).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np

from sim.model.params_doctrine import DoctrineParameters
from sim.model.rules import front
from sim.model.rules.combat_math import base_power
from sim.model.units import Unit
from sim.model.world import World
from sim.scenario import Grouping, Posture, Side, Task

#: Tasks that hold a position, postures going back (as names: reading an enum member off its
#: class costs a lookup, and members() runs for every grouping every hour).
_HOLDING = (Task.HOLD, Task.RESERVE)
_GOING_BACK = (Posture.WITHDRAW, Posture.ROUT)


@dataclass
class GroupingWatch:
    """What a commander knows of one grouping's line of supply."""

    spec: Grouping
    threatened_since: datetime | None = None
    reason: str = ""
    ordered_back: bool = False
    #: a unit watched on its own (not in a grouping): the fallback places where it already
    #: stands back (its line is not watched there); None for a grouping
    own_fallback: frozenset[str] | None = None


class NearEnemy:
    """The enemy's troops on the move (holding ground, attacking or moving), by the place they
    stand at and the places one road from it: worked out once an hour, and only if a watch
    gets as far as asking. `attacked`: the places the enemy is attacking at capture_ratio or
    better this hour."""

    def __init__(self, world: World[Unit], enemy: Side, attacked: Iterable[str] = ()):
        self._world, self._enemy = world, enemy
        self._attacked = attacked
        self._places: dict[str, list[Unit]] | None = None
        self._evidence: frozenset[str] | None = None

    def places(self) -> dict[str, list[Unit]]:
        if self._places is None:
            adjacency = self._world.network.adjacency
            near_of: dict[str, list[Unit]] = {}
            for e in self._world.active_units(self._enemy):
                if e.advancing:
                    near_of.setdefault(e.node, []).append(e)
                    for nb, _ in adjacency[e.node]:
                        near_of.setdefault(nb, []).append(e)
            self._places = near_of
        return self._places

    def evidence(self) -> frozenset[str]:
        """The places where the enemy gives a watch evidence this hour: those it is attacking
        and those its troops on the move stand on or next to. A line of supply that passes
        through none of them is not threatened by the enemy (`threat`'s last two tests)."""
        if self._evidence is None:
            around = self._world.network.around
            found = set(self._attacked)
            for e in self._world.active_units(self._enemy):
                if e.advancing:
                    found |= around[e.node]
            self._evidence = frozenset(found)
        return self._evidence


def members(watch: GroupingWatch, world: World[Unit]) -> list[Unit]:
    """The grouping's units that hold positions (not moving on, not already going back, not
    an attack waiting to be resumed)."""
    units, fallback = world.units, watch.own_fallback
    out = []
    for uid in watch.spec.units:
        u = units.get(uid)
        if (
            u is not None
            and u.task in _HOLDING
            and not u.route
            and u.posture not in _GOING_BACK
            and not u.stalled_on
            and not (fallback is not None and u.node in fallback)
        ):
            out.append(u)
    return out


def threat(
    units: list[Unit],
    near_of: NearEnemy,
    attacked: list[str],
    world: World[Unit],
    doctrine: DoctrineParameters,
) -> str | None:
    """The evidence a commander sees that a grouping's line of supply is threatened, or None,
    in order: the line is cut; the units, in supply range when they took their positions, are
    all out of it now (the line was broken behind them and the supply comes the long way
    round); the enemy is attacking a place on the rear part of the line and gaining ground
    there (force ratio at least capture_ratio); enemy troops on the move stand on or next to
    the rear part (one road away), at least loc_threat_ratio times as strong as the grouping.
    The rear part is the line behind the grouping's own places and its sectors (the front a
    grouping holds is not its rear: a long line's lateral roads run along it). A unit that took
    its position
    already short of supply (over-extended by its own advance) is brought supply, not pulled
    back: its morale and power wear down instead (docs/model.md). `near_of`: the enemy's troops
    on the move by place; `attacked`: the places the enemy is attacking at capture_ratio or
    better, in name order."""
    range_km, lost = world.physics.supply_range_km, True
    for u in units:  # (loops: most groupings are one unit)
        km = u.supply_km
        if not math.isfinite(km):
            return "its line of supply is cut"
        lost = lost and u.position_supply_km <= range_km < km
    if lost:
        return "it has lost its supply"
    # the rear part is a part of the lines: if they pass through no place where the enemy
    # attacks or moves, neither of the last two tests can find anything (most watches, most
    # hours; tests/test_speed.py checks it over a run)
    evidence = near_of.evidence()
    for u in units:
        if not u.supply_places.isdisjoint(evidence):
            return rear_threat(units, near_of, attacked, world, doctrine)
    return None


def rear_threat(
    units: list[Unit],
    near_of: NearEnemy,
    attacked: list[str],
    world: World[Unit],
    doctrine: DoctrineParameters,
) -> str | None:
    """`threat`'s last two tests: the enemy attacking a place on the rear part of the line,
    or its troops on the move on or next to it in strength."""
    physics, name = world.physics, world.network.name
    f, ids = front.side_front(world, units[0].side), world.network.node_ids  # (one side's)
    held = {u.node for u in units}
    for u in units:
        if u.key in f.row:  # (a unit that holds no position has no sector)
            held.update(f.sector_nodes(u.key, ids))
    rear = frozenset().union(*(u.supply_places for u in units)) - held
    if not rear:
        return None
    for node in attacked:
        if node in rear:
            return f"the enemy is attacking {name(node)} on its line of supply"
    at = near_of.places()
    near = list({e.key: e for n in sorted(rear & at.keys()) for e in at[n]}.values())
    if near:
        theirs = sum(base_power(e, world.weights, physics) for e in near)
        ours = sum(base_power(u, world.weights, physics) for u in units)
        if theirs >= doctrine.loc_threat_ratio * ours:
            where = sorted({name(e.node) for e in near})
            return f"enemy forces at {', '.join(where)} are closing on its line of supply"
    return None


def watch_lines(
    watches: list[GroupingWatch],
    world: World[Unit],
    enemy: Side,
    attacked: list[str],
    doctrine: DoctrineParameters,
) -> None:
    """This hour's look at every grouping's line: since when it has been threatened, and why."""
    near_of = NearEnemy(world, enemy, attacked)
    for watch in watches:
        units = members(watch, world)
        reason = threat(units, near_of, attacked, world, doctrine) if units else None
        if reason is None:
            watch.threatened_since, watch.reason = None, ""
        elif watch.threatened_since is None:
            watch.threatened_since, watch.reason = world.now, reason
        else:
            watch.reason = reason


def in_pursuit(
    places: list[str], retreat_seen: dict[str, datetime], world: World[Unit], reach_km: float
) -> list[str]:
    """Of the places the enemy holds and does not defend (in place order), those a pursuit
    may go to: within `reach_km` (idle_reach_km) of a place where an enemy unit was seen going
    back, withdrawing or routed, in the last fortify_hours (`retreat_seen`: place -> the last
    hour; older entries are dropped). A pursuit follows an enemy in retreat until it could
    have fortified a new line (FM 3-90: a pursuit catches or cuts off an enemy trying to
    escape); the enemy's quiet rear, where none was seen going back, is not walked into on a
    unit's own initiative. Without this a Russian regiment in March 2022 walked round Izium
    through Ukraine's undefended rear, place after place, to Dolyna (docs/calibration.md, "A
    pursuit near an enemy in retreat")."""
    since = world.now - timedelta(hours=world.physics.fortify_hours)
    for node in [n for n, t in retreat_seen.items() if t < since]:
        del retreat_seen[node]
    if not places or not retreat_seen:
        return []
    kms = world.network.kms
    near = np.zeros(len(places), dtype=bool)
    for node in retreat_seen:
        near |= kms(places, node) <= reach_km
    return [p for p, ok in zip(places, near, strict=True) if ok]
