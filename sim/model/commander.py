"""A side's commander: a Mesa agent that carries out the side's plan and reacts to the situation.

Each hour the commander
- issues the plan's orders (sim/model/plan.py) whose start has come and whose condition holds:
  an order that waited for a condition is issued `order_delay_hours` after the condition was
  first met (reports come up, orders go down); an order with no condition goes out at its start;
- watches each grouping's line of supply (sim/model/watch.py) for the evidence a commander
  would see;
- decides that a grouping whose line has been threatened for `withdraw_decision_hours`
  withdraws together to its fallback (its units fighting off an assault stay in the fight), and
  that a unit whose position is being lost (the attack has gained `give_up_share` of it) gives
  it up, unless the plan says its grouping holds; with the side's `withdrawal_doctrine` off it
  decides neither;
- every `commander_interval_hours`, reviews the rest of the situation, one job after another:
  1. `_commit_reserves`: reserves go where the line is about to break (an enemy attack at
     `reserve_commit_ratio` or more), then where an own attack succeeds (exploitation: they
     move up behind the attacking unit over their own ground, then join its attack);
  2. `_resume_stalled_attacks`: a stalled attack is resumed once the units at hand give
     `capture_ratio x resume_ratio_margin`; if not, a reserve is sent to it;
  3. `_join_attacks`: units that have finished an attack join the nearest attack of their side
     within `idle_reach_km`, unless enemy troops stand within `idle_free_km` of what they took;
- carries out the decisions whose command delay has passed (sim/model/decisions.py).
Units then carry their tasks out themselves (sim/model/units.py). Every threshold is a doctrine
parameter (sim/model/params_doctrine.py), which a scenario may set per side.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Protocol

import mesa

from sim.model.decisions import Decisions, GiveUpPosition, IssueOrder, Retask, WithdrawGrouping
from sim.model.params_doctrine import DoctrineParameters
from sim.model.plan import OrderState, Plan, PlanOrder, estimated_ratio, is_done, met
from sim.model.units import FollowUp, Unit
from sim.model.watch import GroupingWatch, members, watch_lines
from sim.model.world import World
from sim.scenario import Grouping, Posture, Scenario, Side, Task, other


class Fought(Protocol):
    """What a commander sees of a battle of the last combat phase
    (sim/model/rules/combat.py's `Battle`)."""

    @property
    def attacker(self) -> Side: ...
    @property
    def ratio(self) -> float: ...
    @property
    def attackers(self) -> list[Unit]: ...


class Commander(mesa.Agent):
    """The operational commander of one side (UA or RU)."""

    def __init__(
        self, model: mesa.Model, side: Side, world: World[Unit], plan: Plan, scenario: Scenario
    ):
        super().__init__(model)
        self.side = side
        self.world = world
        self.plan = plan
        self.orders: list[PlanOrder] = [o for o in plan if o.side == side]
        self.decisions = Decisions()
        self.deferred: dict[str, PlanOrder] = {}  # orders for units not yet on the map
        self.grouping_of = {uid: g for g in scenario.groupings for uid in g.units}
        side_of = {u.id: u.side for u in scenario.units}
        self.watches = [GroupingWatch(g) for g in scenario.groupings if side_of[g.units[0]] == side]
        # every other unit of the side is watched on its own
        for spec in scenario.units:
            if spec.side == side and spec.id not in self.grouping_of:
                self.watches.append(
                    GroupingWatch(
                        Grouping(id=spec.id, units=[spec.id], source="implicit: one unit"),
                        own_fallback=frozenset(scenario.fallback.get(side, [])),
                    )
                )
        self.next_review = world.start

    @property
    def doctrine(self) -> DoctrineParameters:
        return self.world.doctrine[self.side]

    # ------------------------------------------------------------------ the hour
    def step(self, battles: Mapping[str, Fought]) -> None:
        """This hour's command (`battles`: those of the last combat phase, by place)."""
        now = self.world.now
        self._plan(now)
        enemy = other(self.side)
        capture = self.world.physics.capture_ratio
        attacked = [
            node
            for node, b in sorted(battles.items())
            if b.attacker == enemy and b.ratio >= capture
        ]
        watch_lines(self.watches, self.world, enemy, attacked, self.doctrine)
        self._decide_withdrawals(now)
        if now >= self.next_review:
            self.review(now, battles)
            self.next_review = now + timedelta(hours=self.doctrine.commander_interval_hours)
        self._carry_out(now)
        for o in self.orders:
            if o.state == OrderState.ISSUED and is_done(o, self.world):
                o.state, o.done_at = OrderState.DONE, now

    @property
    def _delay(self) -> timedelta:
        return timedelta(hours=self.doctrine.order_delay_hours)

    def _plan(self, now: datetime) -> None:
        """Orders whose start has come and whose condition holds become due."""
        delay = self._delay
        for o in self.orders:
            if o.state != OrderState.WAITING or o.start > now:
                continue
            if o.spec.when is None:
                o.state, o.due = OrderState.DUE, now
                self.decisions.add(now, IssueOrder(o))
            elif met(o.spec.when, o, self.world, self.plan):
                o.state, o.due = OrderState.DUE, now + delay
                self.decisions.add(now + delay, IssueOrder(o))

    def _carry_out(self, now: datetime) -> None:
        """The decisions whose command delay has passed take effect."""
        for decision in self.decisions.due(now):
            match decision:
                case IssueOrder(order):
                    self.issue(order)
                case WithdrawGrouping(watch, reason):
                    self._withdraw(watch, reason)
                case GiveUpPosition(unit):
                    if (
                        unit.active
                        and unit.task in (Task.HOLD, Task.RESERVE)
                        and not unit.retreating
                    ):
                        self._log(unit, f"gives up {self.world.network.name(unit.node)}")
                        unit.fall_back(
                            Posture.WITHDRAW, "withdraws: the position is being lost", leave=True
                        )
                case Retask(unit, task, objectives, why, follow_up):
                    if unit.active and unit.posture not in (Posture.WITHDRAW, Posture.ROUT):
                        unit.take_task(task, objectives)
                        unit.follow_up = follow_up
                        self._log(unit, why)

    def _log(self, unit: Unit, what: str) -> None:
        self.world.log(
            "command", unit=unit, node=unit.node, text=f"{self.side} command: {unit.name} {what}"
        )

    # ------------------------------------------------------------------ orders
    def issue(self, order: PlanOrder) -> None:
        """Pass an order to its units (kept for a unit that has not yet arrived)."""
        order.state, order.issued_at = OrderState.ISSUED, self.world.now
        for uid in order.spec.units:
            unit = self.world.unit(uid)
            if unit is None:
                if not self.world.unit_gone(uid):
                    self.deferred[uid] = order
                continue
            self._give(unit, order)

    def _give(self, unit: Unit, order: PlanOrder) -> None:
        if unit.posture == Posture.ROUT:
            return  # a routed unit must reorganise first
        spec = order.spec
        unit.take_task(spec.task, order.objectives, spec.via, order_id=order.id)

    def on_arrival(self, unit: Unit) -> None:
        """A reinforcement has entered the map: it takes the latest order issued to it."""
        order = self.deferred.pop(unit.key, None)
        if order is not None:
            self._give(unit, order)

    # ------------------------------------------------------------------ withdrawals
    def _withdraw(self, watch: GroupingWatch, reason: str) -> None:
        """The grouping goes back, except units fighting off an attack where they stand: a
        position under assault is held until the fight is being lost (give_up_share), so a
        stronger garrison holds longer."""
        units = [u for u in members(watch, self.world) if not u.in_combat]
        if not units:
            watch.ordered_back = False  # all in the fight: decide again when it is over
            return
        label = (
            f"the {watch.spec.id.replace('_', ' ')} grouping"
            if len(watch.spec.units) > 1
            else units[0].name
        )
        self.world.log(
            "command",
            side=self.side,
            node=units[0].node,
            text=f"{self.side} command orders {label} back: {reason}",
        )
        for u in units:
            u.leave_behind(u.abandon(self.doctrine.hasty_withdrawal_abandon))
            u.fall_back(Posture.WITHDRAW, f"withdraws: {reason}", leave=True)
            u.withdrawn = True

    def _decide_withdrawals(self, now: datetime) -> None:
        """Checked every hour: a grouping whose line has been threatened for
        withdraw_decision_hours goes back; a unit whose position is being lost gives it up."""
        doctrine = self.doctrine
        if not doctrine.withdrawal_doctrine:
            return
        delay = self._delay
        pending = {id(d.unit) for d in self.decisions.waiting() if isinstance(d, GiveUpPosition)}
        decision_time = timedelta(hours=doctrine.withdraw_decision_hours)
        for watch in self.watches:
            if (
                watch.threatened_since is not None
                and not watch.ordered_back
                and now - watch.threatened_since >= decision_time
                and watch.spec.on_threat == "withdraw"
            ):
                watch.ordered_back = True
                self.decisions.add(now + delay, WithdrawGrouping(watch, watch.reason))
        siege = self.world.siege
        if all(v < doctrine.give_up_share for v in siege.values()):
            return  # no position of either side is being lost
        for u in self.world.active_units(self.side):
            g = self.grouping_of.get(u.key)
            if (
                siege.get(u.node, 0.0) >= doctrine.give_up_share
                and id(u) not in pending
                and u.task in (Task.HOLD, Task.RESERVE)
                and not u.retreating
                and (g is None or g.on_threat == "withdraw")
            ):
                self.decisions.add(now + delay, GiveUpPosition(u))

    # ------------------------------------------------------------------ the review
    def review(self, now: datetime, battles: Mapping[str, Fought]) -> None:
        """Every commander_interval_hours: reserves, stalled attacks, idle units (a unit
        already given a task by a decision still waiting is left alone)."""
        due = now + self._delay
        busy = {d.unit.key for d in self.decisions.waiting() if isinstance(d, Retask)}
        reserves = sorted(
            (
                u
                for u in self.world.active_units(self.side)
                if u.task == Task.RESERVE and not u.route and u.key not in busy
            ),
            key=lambda u: u.index,
        )
        self._commit_reserves(due, battles, reserves)
        self._resume_stalled_attacks(due, busy, reserves)
        self._join_attacks(due, busy)

    def _commit_reserves(
        self, due: datetime, battles: Mapping[str, Fought], reserves: list[Unit]
    ) -> None:
        """Reserves go where the line breaks, then where an attack succeeds (in place order);
        each reserve committed leaves `reserves`."""
        name = self.world.network.name
        for node, battle in sorted(battles.items()):
            if not reserves or battle.ratio < self.doctrine.reserve_commit_ratio:
                continue
            u = self._nearest(reserves, node)
            if battle.attacker != self.side:
                decision = Retask(u, Task.MOVE, [node], f"moves up to reinforce {name(node)}")
            else:
                lead = battle.attackers[0]
                join = FollowUp(Task.ATTACK, (lead.objective or node, *lead.next_objectives))
                why = f"is committed to exploit the attack on {name(node)}"
                decision = Retask(u, Task.MOVE, [lead.node], why, join)
            self.decisions.add(due, decision)
            reserves.remove(u)

    def _resume_stalled_attacks(self, due: datetime, busy: set[str], reserves: list[Unit]) -> None:
        """A stalled attack is resumed when the units at hand are strong enough, else a
        reserve is sent to it."""
        world, side, doctrine = self.world, self.side, self.doctrine
        name = world.network.name
        stalled: dict[str, list[Unit]] = {}
        for u in world.active_units(side):
            if u.stalled_on and u.task == Task.HOLD and u.key not in busy:
                stalled.setdefault(u.stalled_on, []).append(u)
        for target, units in sorted(stalled.items()):
            if world.control[target] == side:
                for u in units:
                    u.stalled_on = None
                continue
            at_hand = {u.node for u in units}
            force = [
                u
                for u in world.active_units(side)
                if u.node in at_hand and u.holds_ground and not u.route
            ]
            needed = world.physics.capture_ratio * doctrine.resume_ratio_margin
            if estimated_ratio(force, target, world) >= needed:
                for u in force:
                    if u.task in (Task.HOLD, Task.RESERVE) and not u.withdrawn:
                        objectives = [target, *u.next_objectives] if u.stalled_on else [target]
                        why = f"resumes the attack on {name(target)}"
                        self.decisions.add(due, Retask(u, Task.ATTACK, objectives, why))
            elif reserves:
                u = self._nearest(reserves, units[0].node)
                why = f"moves up for the attack on {name(target)}"
                self.decisions.add(due, Retask(u, Task.MOVE, [units[0].node], why))
                reserves.remove(u)

    def _join_attacks(self, due: datetime, busy: set[str]) -> None:
        """Units whose task is done join the nearest attack of their side, unless the enemy
        stands close to what they took or the attack is out of reach."""
        world, side, doctrine = self.world, self.side, self.doctrine
        network = world.network
        attacks = [
            u
            for u in world.active_units(side)
            if u.task == Task.ATTACK and u.objective and world.control[u.objective] != side
        ]
        if not attacks:
            return
        enemy = world.enemy_xy(side)
        planned = {
            uid
            for o in self.orders
            if o.state in (OrderState.WAITING, OrderState.DUE)
            for uid in o.spec.units
        }
        for u in world.active_units(side):
            if not (u.idle and u.task == Task.HOLD and u.key not in busy and u.key not in planned):
                continue
            if len(enemy) and network.km_from(u.node, enemy).min() <= doctrine.idle_free_km:
                continue
            lead = self._nearest(attacks, u.node)
            assert lead.objective is not None  # `attacks` are units with an objective
            if network.km(u.node, lead.objective) > doctrine.idle_reach_km:
                continue
            objectives = [lead.objective, *lead.next_objectives]
            why = f"joins the attack on {network.name(lead.objective)}"
            self.decisions.add(due, Retask(u, Task.ATTACK, objectives, why))

    def _nearest(self, units: list[Unit], node: str) -> Unit:
        """The unit closest (straight line) to `node`; ties by scenario order."""
        return self.world.network.nearest(node, units, lambda u: u.node, lambda u: u.index)
