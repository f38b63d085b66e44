"""A side's commander: a Mesa agent that carries out the side's plan and reacts to the situation.

Each hour the commander
- issues the plan's orders (sim/plan.py) whose start has come and whose condition holds: an
  order that waited for a condition is issued `order_delay_hours` after the condition was first
  met (reports come up, orders go down); an order with no condition goes out at its start;
- watches each grouping's line of supply for the evidence a commander would see: the line cut,
  the units losing the supply they had, the enemy winning a fight for a place on its rear part,
  or enemy troops on the move next to the rear part in a strength that could hold the road
  (`_threat`).
It decides every hour that a grouping whose line has been threatened for
`withdraw_decision_hours` withdraws together to its fallback (its units fighting off an assault
stay in the fight), and that a unit whose position is being lost (the attack has gained
`give_up_share` of it) gives it up, unless the plan says its grouping holds or the side's
withdrawal doctrine is off. Every `commander_interval_hours` it
reviews the rest of the situation (`review`), in this order:
1. reserves are committed where the line is about to break (an enemy attack at
   `reserve_commit_ratio` or more), then where an own attack succeeds (exploitation: they move
   up behind the attacking unit over their own ground, then join its attack);
2. a stalled attack is resumed once the units at hand give `capture_ratio x
   resume_ratio_margin`; if not, a reserve is sent to it;
3. units that have finished an attack join the nearest attack of their side within
   `idle_reach_km`, unless enemy troops stand within `idle_free_km` of what they took.
Each decision takes effect `order_delay_hours` later. Units then carry their tasks out with their
own rules (sim/doctrine.py). Every threshold is a parameter (sim/params.py), which a scenario may
set per side (sides.<S>.doctrine).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import mesa
import numpy as np

from sim.model import doctrine
from sim.model.plan import OrderState, PlanOrder, estimated_ratio, is_done, met
from sim.model.rules import combat_math as combat
from sim.scenario import Grouping, Posture, Task, other

if TYPE_CHECKING:
    from sim.model import CampaignModel
    from sim.model.units import Unit


@dataclass(order=True)
class Decision:
    """A decision waiting for the command delay to pass."""

    due: datetime
    seq: int  # tie-break: decisions taken earlier go first
    kind: str = field(compare=False)  # "order" | "withdraw" | "give_up" | "task"
    payload: Any = field(compare=False)


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


class _NearEnemy:
    """The enemy's troops on the move (holding ground, attacking or moving), by the place they
    stand at and the places one road from it: worked out once an hour, and only if a watch
    gets as far as asking."""

    def __init__(self, m: CampaignModel, enemy: str):
        self._m, self._enemy = m, enemy
        self._places: dict[str, list[Unit]] | None = None

    def places(self) -> dict[str, list[Unit]]:
        if self._places is None:
            m = self._m
            near_of: dict[str, list[Unit]] = {}
            for e in m.active_units(self._enemy):
                posture = e.posture  # advancing (and so not withdrawing) and holding ground
                if (posture == Posture.ATTACK or posture == Posture.MOVE) and e.active:
                    near_of.setdefault(e.node, []).append(e)
                    for nb, _ in m.theatre.adjacency[e.node]:
                        near_of.setdefault(nb, []).append(e)
            self._places = near_of
        return self._places


class Commander(mesa.Agent):
    """The operational commander of one side (UA or RU)."""

    def __init__(self, model: CampaignModel, side: str):
        super().__init__(model)
        self.side = side
        self.orders: list[PlanOrder] = [o for o in model.plan if o.side == side]
        self.decisions: list[Decision] = []
        self._seq = 0
        self.deferred: dict[str, PlanOrder] = {}  # orders for units not yet on the map
        grouped = {uid for g in model.scenario.groupings for uid in g.units}
        self.watches = [
            GroupingWatch(g)
            for g in model.scenario.groupings
            if model.side_of_unit(g.units[0]) == side
        ]
        # every other unit of the side is watched on its own
        for spec in model.scenario.units:
            if spec.side == side and spec.id not in grouped:
                self.watches.append(
                    GroupingWatch(
                        Grouping(id=spec.id, units=[spec.id], source="implicit: one unit"),
                        own_fallback=frozenset(model.scenario.fallback.get(side, [])),
                    )
                )
        self.next_review = model.start

    @property
    def p(self):
        return self.model.params_of(self.side)

    # ------------------------------------------------------------------ the hour
    def step(self) -> None:
        m = self.model
        now = m.now
        self._plan(now)
        self._watch(now)
        self._decide_withdrawals(now)
        if now >= self.next_review:
            self.review(now)
            self.next_review = now + timedelta(hours=self.p.commander_interval_hours)
        self._carry_out(now)
        for o in self.orders:
            if o.state == OrderState.ISSUED and is_done(o, m):
                o.state, o.done_at = OrderState.DONE, m.now

    def _decide(self, due: datetime, kind: str, payload: Any) -> None:
        self._seq += 1
        self.decisions.append(Decision(due, self._seq, kind, payload))

    def _plan(self, now: datetime) -> None:
        """Orders whose start has come and whose condition holds become due."""
        delay = timedelta(hours=self.p.order_delay_hours)
        for o in self.orders:
            if o.state != OrderState.WAITING or o.start > now:
                continue
            if o.spec.when is None:
                o.state, o.due = OrderState.DUE, now
                self._decide(now, "order", o)
            elif met(o.spec.when, o, self.model):
                o.state, o.due = OrderState.DUE, now + delay
                self._decide(now + delay, "order", o)

    def _carry_out(self, now: datetime) -> None:
        self.decisions.sort()
        while self.decisions and self.decisions[0].due <= now:
            d = self.decisions.pop(0)
            if d.kind == "order":
                self.issue(d.payload)
            elif d.kind == "withdraw":
                self._withdraw(*d.payload)
            elif d.kind == "give_up":
                u = d.payload
                if u.active and u.task in (Task.HOLD, Task.RESERVE) and not u.retreating:
                    self.model.log(
                        "command",
                        unit=u,
                        node=u.node,
                        text=f"{self.side} command: {u.name} gives up "
                        f"{self.model.place_name(u.node)}",
                    )
                    doctrine.fall_back(
                        u,
                        self.model,
                        Posture.WITHDRAW,
                        "withdraws: the position is being lost",
                        leave=True,
                    )
            else:
                unit, task, objectives, why, *then = d.payload
                if unit.active and unit.posture not in (Posture.WITHDRAW, Posture.ROUT):
                    doctrine.assign_task(unit, self.model, task, objectives)
                    unit.then = then[0] if then else None
                    self.model.log(
                        "command",
                        unit=unit,
                        node=unit.node,
                        text=f"{self.side} command: {unit.name} {why}",
                    )

    # ------------------------------------------------------------------ orders
    def issue(self, order: PlanOrder) -> None:
        """Pass an order to its units (kept for a unit that has not yet arrived)."""
        m = self.model
        order.state, order.issued_at = OrderState.ISSUED, m.now
        for uid in order.spec.units:
            unit = m.unit(uid)
            if unit is None:
                if not m.unit_gone(uid):
                    self.deferred[uid] = order
                continue
            self._give(unit, order)

    def _give(self, unit: Unit, order: PlanOrder) -> None:
        if unit.posture == Posture.ROUT:
            return  # a routed unit must reorganise first
        spec = order.spec
        doctrine.assign_task(unit, self.model, spec.task, spec.track, spec.via, order_id=order.id)

    def on_arrival(self, unit: Unit) -> None:
        """A reinforcement has entered the map: it takes the latest order issued to it."""
        order = self.deferred.pop(unit.key, None)
        if order is not None:
            self._give(unit, order)

    # ------------------------------------------------------------------ lines of supply
    def _members(self, watch: GroupingWatch) -> list[Unit]:
        """The grouping's units that hold positions (not moving on, not already going back,
        not an attack waiting to be resumed)."""
        m = self.model
        out = []
        for uid in watch.spec.units:
            u = m.unit(uid)
            if (
                u is not None
                and u.task in (Task.HOLD, Task.RESERVE)
                and not u.route
                and u.posture not in (Posture.WITHDRAW, Posture.ROUT)
                and not u.stalled_on
                and not (watch.own_fallback is not None and u.node in watch.own_fallback)
            ):
                out.append(u)
        return out

    def _watch(self, now: datetime) -> None:
        m = self.model
        enemy = other(self.side)
        near_of = _NearEnemy(m, enemy)
        capture = self.p.capture_ratio
        attacked = [
            node
            for node, (attacker, ratio, _) in sorted(m.last_battles.items())
            if attacker == enemy and ratio >= capture
        ]
        for w in self.watches:
            units = self._members(w)
            reason = self._threat(units, near_of, attacked) if units else None
            if reason is None:
                w.threatened_since, w.reason = None, ""
            elif w.threatened_since is None:
                w.threatened_since, w.reason = now, reason
            else:
                w.reason = reason

    def _threat(self, units: list[Unit], near_of: _NearEnemy, attacked: list[str]) -> str | None:
        """The evidence a commander sees that a grouping's line of supply is threatened, or
        None, in order: the line is cut; the units, in supply range when they took their
        positions, are all out of it now (the line was broken behind them and the supply comes
        the long way round); the enemy is attacking a place
        on the rear part of the line and gaining ground there (force ratio at least
        capture_ratio); enemy troops on the move stand on or next to the rear part (one road
        away), at least loc_threat_ratio times as strong as the grouping. The rear part is the
        line behind the grouping's own places. A unit that took its position already short of
        supply (over-extended by its own advance) is brought supply, not pulled back: its
        morale and power wear down instead (docs/model.md). `near_of`: place -> enemy troops
        on the move standing at it or one road from it; `attacked`: the places the enemy is
        attacking at capture_ratio or better, in name order."""
        p, m = self.p, self.model
        if any(not math.isfinite(u.supply_km) for u in units):
            return "its line of supply is cut"
        if all(u.position_supply_km <= p.supply_range_km < u.supply_km for u in units):
            return "it has lost its supply"
        if len(units) == 1:
            rear = units[0].supply_places - {units[0].node}
        else:
            rear = frozenset().union(*(u.supply_places for u in units)) - {u.node for u in units}
        if not rear:
            return None
        for node in attacked:
            if node in rear:
                return f"the enemy is attacking {m.place_name(node)} on its line of supply"
        at = near_of.places()
        near = list({e.key: e for n in sorted(rear & at.keys()) for e in at[n]}.values())
        if near:
            theirs = sum(combat.base_power(e, m.weights, m.params) for e in near)
            ours = sum(combat.base_power(u, m.weights, m.params) for u in units)
            if theirs >= p.loc_threat_ratio * ours:
                where = sorted({m.place_name(e.node) for e in near})
                return f"enemy forces at {', '.join(where)} are closing on its line of supply"
        return None

    def _withdraw(self, watch: GroupingWatch, reason: str) -> None:
        """The grouping goes back, except units fighting off an attack where they stand: a
        position under assault is held until the fight is being lost (give_up_share), so a
        stronger garrison holds longer."""
        m = self.model
        units = [u for u in self._members(watch) if not u.in_combat]
        if not units:
            watch.ordered_back = False  # all in the fight: decide again when it is over
            return
        label = (
            f"the {watch.spec.id.replace('_', ' ')} grouping"
            if len(watch.spec.units) > 1
            else units[0].name
        )
        m.log(
            "command",
            side=self.side,
            node=units[0].node,
            text=f"{self.side} command orders {label} back: {reason}",
        )
        for u in units:
            m.leave_behind(u, u.abandon(self.p.hasty_withdrawal_abandon))
            doctrine.fall_back(u, m, Posture.WITHDRAW, f"withdraws: {reason}", leave=True)
            u.withdrawn = True

    # ------------------------------------------------------------------ the review
    def _decide_withdrawals(self, now: datetime) -> None:
        """Checked every hour: a grouping whose line has been threatened for
        withdraw_decision_hours goes back; a unit whose position is being lost gives it up."""
        m, p = self.model, self.p
        if not p.withdrawal_doctrine:
            return
        delay = timedelta(hours=p.order_delay_hours)
        pending = {id(d.payload) for d in self.decisions if d.kind == "give_up"}
        decision_time = timedelta(hours=p.withdraw_decision_hours)
        for w in self.watches:
            if (
                w.threatened_since is not None
                and not w.ordered_back
                and now - w.threatened_since >= decision_time
                and w.spec.on_threat == "withdraw"
            ):
                w.ordered_back = True
                self._decide(now + delay, "withdraw", (w, w.reason))
        siege = m.world.siege
        if all(v < p.give_up_share for v in siege.values()):
            return  # no position of either side is being lost
        for u in m.active_units(self.side):
            g = m.grouping_of(u)
            if (
                siege.get(u.node, 0.0) >= p.give_up_share
                and id(u) not in pending
                and u.task in (Task.HOLD, Task.RESERVE)
                and not u.retreating
                and (g is None or g.on_threat == "withdraw")
            ):
                self._decide(now + delay, "give_up", u)

    def review(self, now: datetime) -> None:
        """Every commander_interval_hours: reserves, stalled attacks, idle units."""
        m, p = self.model, self.p
        delay = timedelta(hours=p.order_delay_hours)
        busy = {d.payload[0].key for d in self.decisions if d.kind == "task"}
        reserves = sorted(
            (
                u
                for u in m.active_units(self.side)
                if u.task == Task.RESERVE and not u.route and u.key not in busy
            ),
            key=lambda u: u.index,
        )
        # 1. reserves: where the line breaks, then where an attack succeeds
        for node, (attacker, ratio, attackers) in sorted(m.last_battles.items()):
            if not reserves or ratio < p.reserve_commit_ratio:
                continue
            if attacker != self.side:
                u = self._nearest(reserves, node)
                self._decide(
                    now + delay,
                    "task",
                    (u, Task.MOVE, [node], f"moves up to reinforce {m.place_name(node)}"),
                )
            else:
                lead = attackers[0]
                u = self._nearest(reserves, node)
                self._decide(
                    now + delay,
                    "task",
                    (
                        u,
                        Task.MOVE,
                        [lead.node],
                        f"is committed to exploit the attack on {m.place_name(node)}",
                        (Task.ATTACK, [lead.objective or node, *lead.track]),
                    ),
                )
            reserves.remove(u)
        # 2. stalled attacks: resume when strong enough, else reinforce
        stalled: dict[str, list[Unit]] = {}
        for u in m.active_units(self.side):
            if u.stalled_on and u.task == Task.HOLD and u.key not in busy:
                stalled.setdefault(u.stalled_on, []).append(u)
        for target, units in sorted(stalled.items()):
            if m.world.control[target] == self.side:
                for u in units:
                    u.stalled_on = None
                continue
            at_hand = {u.node for u in units}
            force = [
                u
                for u in m.active_units(self.side)
                if u.node in at_hand and u.holds_ground and not u.route
            ]
            if estimated_ratio(force, target, m) >= p.capture_ratio * p.resume_ratio_margin:
                for u in force:
                    if u.task in (Task.HOLD, Task.RESERVE) and not u.withdrawn:
                        objectives = [target, *u.track] if u.stalled_on else [target]
                        self._decide(
                            now + delay,
                            "task",
                            (
                                u,
                                Task.ATTACK,
                                objectives,
                                f"resumes the attack on {m.place_name(target)}",
                            ),
                        )
            elif reserves:
                u = self._nearest(reserves, units[0].node)
                self._decide(
                    now + delay,
                    "task",
                    (
                        u,
                        Task.MOVE,
                        [units[0].node],
                        f"moves up for the attack on {m.place_name(target)}",
                    ),
                )
                reserves.remove(u)
        # 3. units whose task is done join the nearest attack of their side, unless the enemy
        #    stands close to what they took
        attacks = [
            u
            for u in m.active_units(self.side)
            if u.task == Task.ATTACK and u.objective and m.world.control[u.objective] != self.side
        ]
        if attacks:
            enemy = m.enemy_xy(self.side)
            planned = {
                uid
                for o in self.orders
                if o.state in (OrderState.WAITING, OrderState.DUE)
                for uid in o.spec.units
            }
            for u in m.active_units(self.side):
                if not (
                    u.idle and u.task == Task.HOLD and u.key not in busy and u.key not in planned
                ):
                    continue
                here = m.node_xy[m.node_index[u.node]]
                if len(enemy) and np.hypot(*(enemy - here).T).min() <= p.idle_free_km:
                    continue
                lead = self._nearest(attacks, u.node)
                assert lead.objective is not None  # `attacks` are units with an objective
                if self._km(u.node, lead.objective) > p.idle_reach_km:
                    continue
                self._decide(
                    now + delay,
                    "task",
                    (
                        u,
                        Task.ATTACK,
                        [lead.objective, *lead.track],
                        f"joins the attack on {m.place_name(lead.objective)}",
                    ),
                )

    def _km(self, a: str, b: str) -> float:
        m = self.model
        return float(np.hypot(*(m.node_xy[m.node_index[a]] - m.node_xy[m.node_index[b]])))

    def _nearest(self, units: list[Unit], node: str) -> Unit:
        """The unit closest (straight line) to `node`; ties by scenario order."""
        m = self.model
        xy = m.node_xy[m.node_index[node]]
        return min(
            units, key=lambda u: (float(np.hypot(*(m.node_xy[m.node_index[u.node]] - xy))), u.index)
        )
