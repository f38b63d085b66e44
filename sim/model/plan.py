"""A side's plan during a run: its orders, what each waits for, and whether it is done.

The scenario's `orders:` (sim/scenario/schema.py, `Order`) are the plan; this module holds
their state during a run (`PlanOrder`, in a `Plan`) and evaluates their conditions against the
world (`met`). The side's commander (sim/model/commander.py) issues an order once its start has
come and its condition holds, after the command delay.

Conditions read only what a commander would know of the situation: who holds a place, where its
own units are and how strong, and an estimate of a force ratio from what stands at a place.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sim.model.rules.combat_math import attackers_power, defenders_power
from sim.model.units import Unit
from sim.model.world import World
from sim.scenario import Condition, Order, Scenario, Side, Task, other


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

    @property
    def objectives(self) -> list[str]:
        """Its objectives in turn (the order's `objective` or `objectives`)."""
        return self.spec.track


class Plan(list[PlanOrder]):
    """Both sides' plan orders, in the file's order, with their states."""

    def __init__(self, scenario: Scenario):
        side_of = {u.id: u.side for u in scenario.units}
        super().__init__(
            PlanOrder(o, o.id or f"orders[{i}]", side_of[o.units[0]], scenario.order_start(o))
            for i, o in enumerate(scenario.orders)
        )
        self.by_id = {o.id: o for o in self}

    def state(self, order_id: str) -> OrderState:
        return self.by_id[order_id].state


def estimated_ratio(units: Sequence[Unit], place: str, world: World[Unit]) -> float:
    """A commander's estimate of the force ratio `units` would attack `place` with: their
    attack power against the enemy troops holding it, with posture and terrain, before the fog
    of war (inf if nobody holds it)."""
    if not units:
        return 0.0
    side = units[0].side
    physics, weights = world.physics, world.weights
    terrain = world.network.terrain[place]
    defenders = [u for u in world.active_units(other(side)) if u.node == place and u.holds_ground]
    if not defenders:
        return float("inf")
    att = attackers_power(units, weights, physics)
    dfd = defenders_power(defenders, weights, physics, terrain=terrain)
    return att / max(dfd, 1e-6)


def met(cond: Condition, order: PlanOrder, world: World[Unit], plan: Plan) -> bool:
    """Whether a condition holds now, seen from the side giving `order`. The schema gives
    exactly one kind per condition, so the first field set is the condition's kind."""
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
        return plan.state(cond.done) == OrderState.DONE
    if cond.ratio is not None:
        assert cond.at is not None  # the schema requires at: with ratio:
        own = [u for uid in order.spec.units if (u := world.unit(uid)) is not None]
        return estimated_ratio(own, cond.at, world) >= cond.ratio
    unit_id = cond.strength if cond.strength is not None else cond.supply
    if unit_id is not None:
        assert cond.below is not None  # the schema requires below: with strength: or supply:
        unit = world.unit(unit_id)
        if unit is None:  # gone (surrendered or disbanded), or not yet arrived
            return world.unit_gone(unit_id)
        level = unit.strength_fraction if cond.strength is not None else unit.supply
        return bool(level < cond.below)
    if cond.all is not None:
        return all(met(c, order, world, plan) for c in cond.all)
    assert cond.any is not None  # the only kind left
    return any(met(c, order, world, plan) for c in cond.any)


def condition_text(cond: Condition, place: Callable[[str], str] = str) -> str:
    """A condition in words, as an author reads it ("Balakliia taken and (no enemy at Kunie or
    order ua_breach done)"); `place` names a place id (default: the id itself). Units and
    orders keep their ids, which is how a scenario refers to them."""
    if cond.taken is not None:
        return f"{place(cond.taken)} taken"
    if cond.lost is not None:
        return f"{place(cond.lost)} lost"
    if cond.empty is not None:
        return f"no enemy at {place(cond.empty)}"
    if cond.arrived is not None:
        return f"{cond.arrived} arrived" + (f" at {place(cond.at)}" if cond.at else "")
    if cond.done is not None:
        return f"order {cond.done} done"
    if cond.ratio is not None:
        return f"force ratio ≥ {cond.ratio:g} at {place(cond.at or '?')}"
    if cond.strength is not None:
        assert cond.below is not None  # the schema requires below: with strength:
        return f"{cond.strength} below {cond.below * 100:g}% strength"
    if cond.supply is not None:
        return f"{cond.supply} supply below {cond.below:g}"
    parts = cond.children()
    joined = (" and " if cond.all is not None else " or ").join(
        f"({condition_text(c, place)})" if c.children() else condition_text(c, place) for c in parts
    )
    return joined


def is_done(order: PlanOrder, world: World[Unit]) -> bool:
    """An issued order is done when its last objective is held by its side (an attack or a
    move), when its units have reached their fallback or are gone (a withdrawal), or at once
    (a hold or a reserve)."""
    task = order.spec.task
    if task in (Task.HOLD, Task.RESERVE):
        return True
    last = order.objectives[-1]
    if task == Task.WITHDRAW:
        units = [u for uid in order.spec.units if (u := world.unit(uid)) is not None]
        return all(u.node == last or u.order_id != order.id for u in units)
    return world.control[last] == order.side
