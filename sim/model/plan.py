"""A side's plan during a run: its orders, what each waits for, and whether it is done.

The scenario's `orders:` (sim/scenario/schema.py, `Order`) are the plan, grouped in its
`phases:` (`Phase`); this module holds their state during a run (`PlanOrder` and `PlanPhase`, in
a `Plan`) and evaluates their conditions against the world (`met`). The side's commander
(sim/model/commander.py) begins a phase once its start has come and its entry condition holds,
and issues an order once its start has come, its phase has begun and its condition holds, after
the command delay; an order with a pause is carried out once its units have regrouped
(`recovered`).

Conditions read only what a commander would know of the situation: who holds a place, where its
own units are and how strong, and an estimate of a force ratio from what stands at a place.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sim.model.rules import front
from sim.model.rules.combat_math import (
    attackers_power,
    defenders_power,
    fatigue_factor,
    morale_factor,
    supply_factor,
)
from sim.model.units import Unit
from sim.model.world import World
from sim.scenario import Condition, Order, Scenario, Side, Status, Task, other
from sim.scenario.orders import Pause, Phase

#: The order in which a commander serves its efforts (`Order.effort`): the main effort first,
#: then orders that name none, a supporting effort last.
EFFORT_RANK = {"main": 0, None: 1, "supporting": 2}


class OrderState(StrEnum):
    WAITING = "waiting"  # its start has not come, or its condition does not hold yet
    DUE = "due"  # decided: issued when the command delay has passed
    ISSUED = "issued"  # the units are carrying it out
    DONE = "done"  # its objectives are held (a hold or reserve is done once issued)


@dataclass
class PlanOrder:
    """One order of the plan and where it stands."""

    spec: Order
    id: str  # the order's id, or "orders[i]"
    side: Side
    start: datetime
    state: OrderState = OrderState.WAITING
    due: datetime | None = None
    issued_at: datetime | None = None
    done_at: datetime | None = None  # when it was first seen done (sim/runs/plan_report.py)
    phase: PlanPhase | None = None  # the phase it belongs to
    pause: Pause | None = None  # the pause before it is carried out (its own, or its phase's)
    regroup_until: datetime | None = None  # while its units regroup: the pause's longest end
    resumed_at: datetime | None = None  # when its pause ended and its units set off

    @property
    def objectives(self) -> list[str]:
        """Its objectives in turn (the order's `objective` or `objectives`)."""
        return self.spec.track

    @property
    def units(self) -> list[str]:
        """The ids of its units."""
        return self.spec.units

    @property
    def effort(self) -> int:
        """Its rank among the side's efforts (EFFORT_RANK: 0 the main effort)."""
        return EFFORT_RANK[self.spec.effort]

    @property
    def regrouping(self) -> bool:
        """Issued, and its units still regrouping before carrying it out (its pause)."""
        return (
            self.state == OrderState.ISSUED and self.pause is not None and self.resumed_at is None
        )


@dataclass
class PlanPhase:
    """One phase of a side's plan and where it stands: it begins (`begun_at`) once its start
    has come and its entry condition has held, and stays begun; its orders wait for it."""

    spec: Phase
    side: Side
    start: datetime
    orders: list[PlanOrder]
    begun_at: datetime | None = None

    @property
    def id(self) -> str:
        return self.spec.id

    @property
    def units(self) -> list[str]:
        """The units of its orders (whose strength a `ratio:` entry condition weighs)."""
        return list(dict.fromkeys(uid for o in self.orders for uid in o.spec.units))

    @property
    def done(self) -> bool:
        """Begun, and every one of its orders done."""
        return self.begun_at is not None and all(o.state == OrderState.DONE for o in self.orders)


class Plan(list[PlanOrder]):
    """Both sides' plan orders, in the file's order, with their states, and the phases they
    are grouped in."""

    def __init__(self, scenario: Scenario):
        side_of = {u.id: u.side for u in scenario.units}
        super().__init__(
            PlanOrder(
                o,
                o.id or f"orders[{i}]",
                side_of[o.units[0]],
                scenario.order_start(o),
                pause=scenario.pause_of(o),
            )
            for i, o in enumerate(scenario.orders)
        )
        self.by_id = {o.id: o for o in self}
        self.phases = {
            p.id: PlanPhase(
                p, p.side, p.start or scenario.start, [o for o in self if o.spec.phase == p.id]
            )
            for p in scenario.phases
        }
        for phase in self.phases.values():
            for o in phase.orders:
                o.phase = phase

    def state(self, order_id: str) -> OrderState:
        return self.by_id[order_id].state

    def is_done(self, name: str) -> bool:
        """Whether the order, or the phase, with this id is done (`done:`)."""
        phase = self.phases.get(name)
        if phase is not None:
            return phase.done
        return self.state(name) == OrderState.DONE


def estimated_ratio(units: Sequence[Unit], place: str, world: World[Unit]) -> float:
    """A commander's estimate of the force ratio `units` would attack `place` with: their
    attack power against the enemy defending it (the troops in it and the share of the units
    whose sectors cover it: front.defence), with posture and terrain, before the fog of war
    (inf if nobody defends it)."""
    if not units:
        return 0.0
    side = units[0].side
    physics, weights = world.physics, world.weights
    terrain = world.network.terrain[place]
    defenders = [(u, share) for u, share in front.defence(world, place, other(side))]
    defenders = [(u, share) for u, share in defenders if u.holds_ground]
    if not defenders:
        return float("inf")
    att = attackers_power(units, weights, physics)
    dfd = defenders_power(defenders, weights, physics, terrain=terrain)
    return att / max(dfd, 1e-6)


def met(cond: Condition, order: PlanOrder | PlanPhase, world: World[Unit], plan: Plan) -> bool:
    """Whether a condition holds now, seen from the side giving `order` (or beginning a
    phase). The schema gives exactly one kind per condition, so the first field set is the
    condition's kind."""
    side = order.side
    if cond.taken is not None:
        return world.control[cond.taken] == side
    if cond.lost is not None:
        return world.control[cond.lost] != side
    if cond.empty is not None:
        return cond.empty not in world.occupied_by(other(side))
    if cond.arrived is not None:
        unit = world.unit(cond.arrived)
        return unit is not None and (
            cond.at is None or (unit.node == cond.at and unit.next_node is None)
        )
    if cond.done is not None:
        return plan.is_done(cond.done)
    if cond.ratio is not None:
        assert cond.at is not None  # the schema requires at: with ratio:
        own = [u for uid in order.units if (u := world.unit(uid)) is not None]
        return estimated_ratio(own, cond.at, world) >= cond.ratio
    unit_id = cond.strength if cond.strength is not None else cond.supply
    if unit_id is not None:
        assert cond.below is not None  # the schema requires below: with strength: or supply:
        unit = world.unit(unit_id)
        if unit is None:  # gone (surrendered or disbanded), or not yet arrived, or sent away
            return world.unit_gone(unit_id) and not left_map(unit_id, world)
        level = unit.strength_fraction if cond.strength is not None else unit.supply
        return bool(level < cond.below)
    if cond.all is not None:
        return all(met(c, order, world, plan) for c in cond.all)
    assert cond.any is not None  # the only kind left
    return any(met(c, order, world, plan) for c in cond.any)


def condition_text(
    cond: Condition, place: Callable[[str], str] = str, phases: Collection[str] = ()
) -> str:
    """A condition in words, as an author reads it ("Balakliia taken and (no enemy at Kunie or
    order ua_breach done)"); `place` names a place id (default: the id itself); `phases`: the
    ids of the phases (`done:` names an order or a phase). Units, orders and phases keep their
    ids, which is how a scenario refers to them."""
    if cond.taken is not None:
        return f"{place(cond.taken)} taken"
    if cond.lost is not None:
        return f"{place(cond.lost)} lost"
    if cond.empty is not None:
        return f"no enemy at {place(cond.empty)}"
    if cond.arrived is not None:
        return f"{cond.arrived} arrived" + (f" at {place(cond.at)}" if cond.at else "")
    if cond.done is not None:
        return f"{'phase' if cond.done in phases else 'order'} {cond.done} done"
    if cond.ratio is not None:
        return f"force ratio ≥ {cond.ratio:g} at {place(cond.at or '?')}"
    if cond.strength is not None:
        assert cond.below is not None  # the schema requires below: with strength:
        return f"{cond.strength} below {cond.below * 100:g}% strength"
    if cond.supply is not None:
        return f"{cond.supply} supply below {cond.below:g}"
    parts = cond.children()
    joined = (" and " if cond.all is not None else " or ").join(
        f"({condition_text(c, place, phases)})"
        if c.children()
        else condition_text(c, place, phases)
        for c in parts
    )
    return joined


def left_map(unit_id: str, world: World[Unit]) -> bool:
    """Whether the unit has left the map on its side's orders (a `leave`), not been lost."""
    return any(u.key == unit_id and u.status == Status.LEFT for u in world.gone)


def condition_of(unit: Unit, physics) -> float:
    """A unit's fighting condition: the factors of its combat power that recover (supply,
    morale, rest; docs/model.md, "Combat"), 1 at their best."""
    return (
        supply_factor(unit.supply, physics)
        * morale_factor(unit.morale, physics)
        * fatigue_factor(unit.fatigue, physics)
    )


def recovered(units: Sequence[Unit], share: float, world: World[Unit]) -> bool:
    """Whether every one of `units` has at least `share` of the fighting condition it had at
    the start (`condition_of`, from its spec's supply and morale, rested)."""
    physics = world.physics
    for u in units:
        fresh = supply_factor(u.spec.supply, physics) * morale_factor(u.spec.morale, physics)
        if condition_of(u, physics) < share * fresh:
            return False
    return True


def is_done(order: PlanOrder, world: World[Unit]) -> bool:
    """An issued order is done when its last objective is held by its side (an attack or a
    move), when its units have reached their fallback or are gone (a withdrawal), when its
    units are off the map (a leave), or at once (a hold or a reserve); never while its units
    regroup (a pause)."""
    if order.regrouping:
        return False
    task = order.spec.task
    if task in (Task.HOLD, Task.RESERVE):
        return True
    if task == Task.LEAVE:
        return all(world.unit_gone(uid) for uid in order.spec.units)
    last = order.objectives[-1]
    if task == Task.WITHDRAW:
        units = [u for uid in order.spec.units if (u := world.unit(uid)) is not None]
        return all(u.node == last or u.order_id != order.id for u in units)
    return world.control[last] == order.side
