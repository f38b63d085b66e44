"""A side's commander: a Mesa agent that carries out the side's plan and reacts to the situation.

Each hour the commander
- begins each phase of its plan whose start has come and whose entry condition holds, and
  issues the plan's orders (sim/model/plan.py) whose start has come, whose phase has begun and
  whose condition holds: an order that waited for a condition (its own, or its phase's entry
  condition) is issued `order_delay_hours` after the condition was first met (reports come up,
  orders go down); an order with no condition goes out at its start. An order with a pause
  (`pause:`) has its units regroup where they stand first, and sets them off when the pause
  ends; an order to leave (`task: leave`) takes its units off the map at its objective;
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
  4. `_take_abandoned`: the pursuit (units done with their task take ground the enemy has
     left) and the follow-up (units holding the line move up to a place they saw the enemy
     go back from on its command's order: `_watch_enemy`, checked every hour);
  in each, the plan's main effort (`effort: main`) is served first and a supporting effort
  last (`effort_of`): reserves go to the main effort's battles and stalled attacks before
  others', and a unit joins the nearest attack of the main effort within reach if there is one;
- carries out the decisions whose command delay has passed (sim/model/decisions.py).
Units then carry their tasks out themselves (sim/model/units.py). Every threshold is a doctrine
parameter (sim/model/params_doctrine.py), which a scenario may set per side.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Protocol

import mesa
import numpy as np

from sim.model.decisions import Decisions, GiveUpPosition, IssueOrder, Retask, WithdrawGrouping
from sim.model.params_doctrine import DoctrineParameters
from sim.model.plan import (
    EFFORT_RANK,
    OrderState,
    Plan,
    PlanOrder,
    estimated_ratio,
    is_done,
    met,
    recovered,
)
from sim.model.rules import front
from sim.model.units import FollowUp, Unit
from sim.model.watch import GroupingWatch, in_pursuit, members, watch_lines
from sim.model.world import World
from sim.scenario import Grouping, Posture, Scenario, Side, Status, Task, other


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
        self.phases = [p for p in plan.phases.values() if p.side == side]
        self.decisions = Decisions()
        self.deferred: dict[str, PlanOrder] = {}  # orders for units not yet on the map
        self.leaving: dict[str, PlanOrder] = {}  # units on their way off the map (task leave)
        self.no_way_back: set[str] = set()  # units told to give up a position, with no way back
        self.grouping_of = {uid: g for g in scenario.groupings for uid in g.units}
        side_of = {u.id: u.side for u in scenario.units}
        forces = {u.id for u in scenario.units if u.holding_force}
        self.watches = []
        for g in scenario.groupings:
            if side_of[g.units[0]] != side:
                continue
            if all(uid in forces for uid in g.units):
                # a holding force's line: each part watches its own stretch (a threat to one
                # village's road is not a threat to the whole line), with the line's fallback
                self.watches += [
                    GroupingWatch(g.model_copy(update={"id": uid, "units": [uid]}))
                    for uid in g.units
                ]
            else:
                self.watches.append(GroupingWatch(g))
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
        # what the commander has seen of the enemy going back (`_watch_enemy`): the places an
        # enemy unit stood on when its command ordered it back; the enemy units seen going;
        # where each enemy unit stood an hour ago; and its own units that have followed up
        self.left_by_enemy = np.zeros(len(world.network.node_ids), dtype=bool)
        self.enemy_going: set[str] = set()
        self.enemy_was: dict[str, str] = {}
        self.following: set[str] = set()
        # where it has seen enemy units on the road back (for any reason) and the last hour
        # it saw one there: what a pursuit follows (watch.in_pursuit)
        self.retreat_seen: dict[str, datetime] = {}
        # the countries its troops may enter on their own initiative (pursuit): its own, and
        # those its plan attacks into; crossing a state border is a plan's decision, not an
        # idle brigade's (Ukraine's brigades stopped at the border in May and September 2022)
        g = world.network.graph
        entered = {side} | {
            g.nodes[n]["country"]
            for o in self.orders
            if o.spec.task == Task.ATTACK
            for n in o.objectives
        }
        self.may_pursue = np.array(
            [g.nodes[n]["country"] in entered for n in world.network.node_ids]
        )
        # and no route of its units leads into a country where it neither attacks nor holds
        # ground at the start (rules/routes.py, route_costs): no way round through Russia
        held = {g.nodes[n]["country"] for n, s in world.control.items() if s == side}
        may_enter = np.array(
            [g.nodes[n]["country"] in entered | held for n in world.network.node_ids]
        )
        if not may_enter.all():  # most sides may go anywhere: their route searches skip it
            world.may_enter[side] = may_enter

    @property
    def doctrine(self) -> DoctrineParameters:
        return self.world.doctrine[self.side]

    # ------------------------------------------------------------------ the hour
    def step(self, battles: Mapping[str, Fought]) -> None:
        """This hour's command (`battles`: those of the last combat phase, by place)."""
        now = self.world.now
        self._watch_enemy()
        self._plan(now)
        self._end_pauses(now)
        self._leave(now)
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

    def _watch_enemy(self) -> None:
        """Note the places enemy units go back from on their command's order (a grouping
        ordered back, `Unit.withdrawn`, or a plan's withdrawal): where each stood an hour ago
        and where it stands now, the hour it is first seen going. A unit that breaks off on
        its own morale or steps back from a lost position is not a retreat to follow up.
        Also the places where enemy units are on the road back for any reason this hour
        (`Unit.retreating`; `retreat_seen`, for the pursuit): a unit broken where it stands
        is not going anywhere."""
        index = self.world.network.index
        orders = self.plan.by_id
        now, withdraw = self.world.now, Task.WITHDRAW
        for u in self.world.active_units(other(self.side)):
            if u.retreating:
                self.retreat_seen[u.node] = now
            going = u.task == withdraw and (
                u.withdrawn or (u.order_id in orders and orders[u.order_id].spec.task == withdraw)
            )
            if going and u.key not in self.enemy_going:
                self.enemy_going.add(u.key)
                for node in (self.enemy_was.get(u.key, u.node), u.node):
                    self.left_by_enemy[index[node]] = True
            elif not going:
                self.enemy_going.discard(u.key)
            self.enemy_was[u.key] = u.node

    @property
    def _delay(self) -> timedelta:
        return timedelta(hours=self.doctrine.order_delay_hours)

    def _plan(self, now: datetime) -> None:
        """Phases whose start has come and whose entry condition holds begin; orders whose
        start has come, whose phase has begun and whose condition holds become due (an order
        waiting only for its phase's entry condition, the command delay after it held)."""
        delay = self._delay
        for p in self.phases:
            if p.begun_at is None and p.start <= now:
                if p.spec.when is None or met(p.spec.when, p, self.world, self.plan):
                    p.begun_at = now
                    self.world.log(
                        "command",
                        side=self.side,
                        text=f"{self.side} command: {p.spec.label} begins",
                    )
        for o in self.orders:
            if o.state != OrderState.WAITING or o.start > now:
                continue
            phase = o.phase
            if phase is not None and phase.begun_at is None:
                continue
            if o.spec.when is None:
                due = now
                if phase is not None and phase.begun_at is not None and phase.spec.when:
                    due = max(now, phase.begun_at + delay)  # it waited for the phase's condition
                o.state, o.due = OrderState.DUE, due
                self.decisions.add(due, IssueOrder(o))
            elif met(o.spec.when, o, self.world, self.plan):
                o.state, o.due = OrderState.DUE, now + delay
                self.decisions.add(now + delay, IssueOrder(o))

    def _end_pauses(self, now: datetime) -> None:
        """Orders whose units have regrouped (their pause is over: its hours have passed, or
        those still regrouping for them have recovered) are carried out by those units: a unit
        given another order meanwhile (a later plan order, a commander's task), withdrawing or
        routed is not turned round, nor waited for."""
        for o in self.orders:
            if not o.regrouping:
                continue
            assert o.pause is not None  # regrouping: an issued order with a pause
            units = [
                u
                for uid in o.spec.units
                if (u := self.world.unit(uid)) is not None
                and u.order_id == o.id
                and u.posture not in (Posture.WITHDRAW, Posture.ROUT)
            ]  # those still regrouping for it: not sent elsewhere meanwhile
            over = o.regroup_until is not None and now >= o.regroup_until
            share = o.pause.recovered
            if over or (share is not None and recovered(units, share, self.world)):
                o.resumed_at = now
                why = "its pause is over" if over else "it has regrouped"
                for u in units:
                    self._log(u, f"sets off: {why}")
                    self._give(u, o)

    def _leave(self, now: datetime) -> None:
        """Units sent off the map (task leave) leave it once they stand at its objective."""
        for key, o in list(self.leaving.items()):
            unit = self.world.unit(key)
            if unit is None or unit.order_id != o.id:
                del self.leaving[key]  # gone, or given another task
                continue
            exit_ = o.objectives[0] if o.objectives else unit.node
            if unit.node == exit_ and unit.next_node is None:
                del self.leaving[key]
                name = self.world.network.name(unit.node)
                unit.leave_map(
                    Status.LEFT, f"leaves the map at {name} ({o.id})", leave_equipment=False
                )

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
                        self._give_up(unit)
                case Retask(unit, task, objectives, why, follow_up):
                    if unit.active and unit.posture not in (Posture.WITHDRAW, Posture.ROUT):
                        unit.take_task(task, objectives)
                        unit.follow_up = follow_up
                        self._log(unit, why)

    def _give_up(self, unit: Unit) -> None:
        """The unit gives up its position under assault, if it has a way back; if not, it
        fights on where it stands (said once, until it has a way back again)."""
        name = self.world.network.name(unit.node)
        way = unit.way_back()
        if way[0] is not None:
            self.no_way_back.discard(unit.key)
            self._log(unit, f"gives up {name}")
            unit.step_back("withdraws: the position is being lost", way)
        elif unit.key not in self.no_way_back:
            self.no_way_back.add(unit.key)
            self._log(unit, f"holds {name}: the position is being lost, and it has no way back")

    def _log(self, unit: Unit, what: str) -> None:
        self.world.log(
            "command", unit=unit, node=unit.node, text=f"{self.side} command: {unit.name} {what}"
        )

    # ------------------------------------------------------------------ orders
    def issue(self, order: PlanOrder) -> None:
        """Pass an order to its units (kept for a unit that has not yet arrived); with a
        pause, they regroup where they stand first (`_end_pauses` sets them off)."""
        order.state, order.issued_at = OrderState.ISSUED, self.world.now
        if order.pause is not None and order.pause.hours is not None:
            order.regroup_until = self.world.now + timedelta(hours=order.pause.hours)
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
        if order.regrouping:
            unit.take_task(Task.HOLD, [], order_id=order.id)
            self._log(unit, f"regroups before {spec.task.value} ({order.id})")
        elif spec.task == Task.LEAVE:
            unit.take_task(Task.MOVE, order.objectives, spec.via, order_id=order.id)
            self.leaving[unit.key] = order
            self._leave(self.world.now)
        else:
            unit.take_task(spec.task, order.objectives, spec.via, order_id=order.id)

    def on_arrival(self, unit: Unit) -> None:
        """A reinforcement has entered the map: it takes the latest order issued to it."""
        order = self.deferred.pop(unit.key, None)
        if order is not None:
            self._give(unit, order)

    # ------------------------------------------------------------------ withdrawals
    def _withdraw(self, watch: GroupingWatch, reason: str) -> None:
        """The grouping goes back, except units fighting off an attack where they stand (a
        position under assault is held until the fight is being lost, give_up_share, so a
        stronger garrison holds longer) and units with no way back, which hold on."""
        units = [u for u in members(watch, self.world) if not u.in_combat]
        ways = {u.key: u.fallback_route(leave=True) for u in units}
        units = [u for u in units if ways[u.key][0] is not None]
        if not units:
            watch.ordered_back = False  # in the fight or no way back: decide again later
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
            u.fall_back(Posture.WITHDRAW, f"withdraws: {reason}", way=ways[u.key])
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
        self._take_abandoned(due)

    def _commit_reserves(
        self, due: datetime, battles: Mapping[str, Fought], reserves: list[Unit]
    ) -> None:
        """Reserves go where the line breaks, then where an attack succeeds (in place order);
        each reserve committed leaves `reserves`."""
        name = self.world.network.name
        for node, battle in sorted(
            battles.items(), key=lambda nb: (self._battle_effort(*nb), nb[0])
        ):
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
        for target, units in sorted(
            stalled.items(), key=lambda tu: (min(map(self.effort_of, tu[1])), tu[0])
        ):
            if world.control[target] == side:
                for u in units:
                    u.stalled_on = None
                continue
            at_hand = {u.node for u in units}
            force = [
                u
                for u in world.active_units(side)
                if u.node in at_hand and u.holds_ground and not u.route and not u.culminated
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
            if u.culminated:
                continue
            if len(enemy) and network.km_from(u.node, enemy).min() <= doctrine.idle_free_km:
                continue
            lead = self._nearest(attacks, u.node)
            main = [a for a in attacks if self.effort_of(a) == EFFORT_RANK["main"]]
            if main and self.effort_of(lead) != EFFORT_RANK["main"]:
                first = self._nearest(main, u.node)  # the main effort's, if within reach
                if network.km(u.node, first.objective or first.node) <= doctrine.idle_reach_km:
                    lead = first
            assert lead.objective is not None  # `attacks` are units with an objective
            if network.km(u.node, lead.objective) > doctrine.idle_reach_km:
                continue
            objectives = [lead.objective, *lead.next_objectives]
            why = f"joins the attack on {network.name(lead.objective)}"
            self.decisions.add(due, Retask(u, Task.ATTACK, objectives, why))

    def _take_abandoned(self, due: datetime) -> None:
        """Pursuit: units whose task is done, with no enemy troops within idle_free_km, go to
        take the nearest place the enemy holds but no longer defends (no troops in it, no
        sector over it: sim/model/rules/front.py) within idle_reach_km, in a country it may
        enter (its own, or one its plan attacks into): ground the enemy has left is
        occupied, towns included, as the Ukrainian brigades entered Izium on 11 Sep 2022 once
        the Russian grouping had gone.

        Follow-up: a unit holding the line on a plan's hold order (or one that has already
        followed up), with no enemy troops within idle_free_km, moves up to the nearest such
        place within idle_reach_km that it has seen the enemy go back from on its command's
        order (`_watch_enemy`), and holds there: a holding force keeps contact with an enemy
        that retreats (the 81st Airmobile Brigade in Bohorodychne on 11 Sep 2022), not with
        one that moves on elsewhere, and it is not free for the pursuit afterwards."""
        world, side, doctrine = self.world, self.side, self.doctrine
        network = world.network
        busy = {d.unit.key for d in self.decisions.waiting() if isinstance(d, Retask)}
        planned = {
            uid
            for o in self.orders
            if o.state in (OrderState.WAITING, OrderState.DUE)
            for uid in o.spec.units
        }
        enemy = other(side)
        open_ground = world.held(enemy) & ~front.defended(world, enemy) & self.may_pursue
        if not open_ground.any():
            return
        ids = network.node_ids
        places = [ids[i] for i in np.flatnonzero(open_ground)]
        places = in_pursuit(places, self.retreat_seen, world, doctrine.idle_reach_km)
        left = [ids[i] for i in np.flatnonzero(open_ground & self.left_by_enemy)]
        holding = {o.id for o in self.orders if o.spec.task == Task.HOLD}
        enemy_xy = world.enemy_xy(side)
        claimed: set[str] = set()
        for u in world.active_units(side):
            if u.task != Task.HOLD or u.key in busy or u.key in planned:
                continue
            follow_up = not u.idle and (u.order_id in holding or u.key in self.following)
            if not (u.idle or follow_up) or u.culminated or u.node in claimed:
                continue
            if len(enemy_xy) and network.km_from(u.node, enemy_xy).min() <= doctrine.idle_free_km:
                continue
            free = [p for p in (left if follow_up else places) if p not in claimed]
            if not free:
                continue
            target = min(free, key=lambda p: (network.km(u.node, p), p))
            if network.km(u.node, target) > doctrine.idle_reach_km:
                continue
            claimed.add(target)
            why = f"moves to take {network.name(target)}, which the enemy has left"
            if follow_up:  # a move: it holds there, not free for the pursuit afterwards
                self.following.add(u.key)
                self.decisions.add(due, Retask(u, Task.MOVE, [target], why))
            else:
                self.decisions.add(due, Retask(u, Task.ATTACK, [target], why))

    def effort_of(self, unit: Unit) -> int:
        """The rank of the effort `unit` serves (EFFORT_RANK: 0 the main effort): its plan
        order's `effort`; a unit on no plan order serves none in particular."""
        order = self.plan.by_id.get(unit.order_id) if unit.order_id else None
        return order.effort if order is not None else EFFORT_RANK[None]

    def _battle_effort(self, node: str, battle: Fought) -> int:
        """The rank of the effort a battle is part of: its attackers' (an own attack), or that
        of the own units holding the place (an enemy attack)."""
        if battle.attacker == self.side:
            units = battle.attackers
        else:
            units = [u for u in self.world.active_units(self.side) if u.node == node]
        return min(map(self.effort_of, units), default=EFFORT_RANK[None])

    def _nearest(self, units: list[Unit], node: str) -> Unit:
        """The unit closest (straight line) to `node`; ties by scenario order."""
        return self.world.network.nearest(node, units, lambda u: u.node, lambda u: u.index)
