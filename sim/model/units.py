"""Who acts: `Unit`, one Mesa agent per BTG, regiment, brigade or battalion, and what it does.

A unit's strength is its equipment (personnel, tanks, IFV/APC, artillery, MLRS), not one number:
losses, abandoned and captured items are counted per item. A unit is on the map from the hour it
enters until it surrenders or disbands (then it leaves the model and only its last state is kept
for the record). It takes its tasks from its side's commander (sim/model/commander.py) and does
them itself: each of its behaviours is one method here, written once.
- orders: `take_task` (a task and its objectives, the route planned), `finish_task`,
  `call_off_attack`;
- movement: `march` (one hour along its route; sim/model/rules/movement.py runs the phase);
- fighting: `lose` (a battle's or a pursuit's losses; sim/model/rules/combat.py);
- falling back (sim/model/retreat.py, a part of the class kept apart): `fall_back`
  (withdraw or rout to its fallback place, or break out), `forced_out` (the enemy has taken
  its place); and `surrender`, `leave_map`;
- supply: what it draws from its side's supply as traced this hour is set for all units at
  once by sim/model/rules/supply.py's `draw_supply`;
- its own rules each hour (`step`, the orders phase, after its commander's): disband below
  `disband_fraction` of its personnel; surrender cut off, out of supply and out of morale; rout
  or break off below `rout_morale` or `withdraw_morale`; keep withdrawing to its fallback and
  reorganise there; go on to its next objective once its side holds the current one; re-plan a
  route that a bridge or the enemy has blocked.
The commander decides what a unit should do; these methods decide how. Speeds and route
searches are sim/model/rules/routes.py's; the state a unit shares with the others is the
world's (sim/model/world.py), which it tells when it enters, leaves, moves or changes posture.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

import mesa
import numpy as np
from mesa.discrete_space import Cell, CellAgent
from mesa.discrete_space.cell_agent import HasCell

from sim.model.params_doctrine import DoctrineParameters
from sim.model.retreat import FallingBack
from sim.model.rules import front
from sim.model.rules.combat_math import (
    HEAVY,
    ITEMS,
    PERSONNEL,
    DefenceLevel,
    apply_losses,
    defence_level,
    item_loss_fractions,
)
from sim.model.rules.routes import arc_hours, bridgeable, plan_route
from sim.model.table import OnTable
from sim.model.world import World
from sim.scenario import Posture, Side, Status, Task, UnitSpec, UnitType, other

#: Unit types that move mostly on foot or in soft-skinned trucks (slower off the highway).
FOOT_TYPES = {UnitType.INFANTRY, UnitType.NATIONAL_GUARD}
#: The posture that goes with each task.
POSTURE_OF_TASK = {
    Task.ATTACK: Posture.ATTACK,
    Task.MOVE: Posture.MOVE,
    Task.WITHDRAW: Posture.WITHDRAW,
    Task.RESERVE: Posture.RESERVE,
    Task.HOLD: Posture.DEFEND,
}


# Reading an enum member off its class is a descriptor lookup (~90 ns on Python 3.11); the
# checks a unit makes every hour compare with these names instead.
_ACTIVE = Status.ACTIVE
_ATTACK, _MOVE, _WITHDRAW, _ROUT = Posture.ATTACK, Posture.MOVE, Posture.WITHDRAW, Posture.ROUT
_TASK_ATTACK, _TASK_MOVE = Task.ATTACK, Task.MOVE
_HOLDING, _HOLDING_TASKS = front.HOLDING_POSTURES, front.HOLDING_TASKS  # holding a position


def task_of_posture(posture: Posture) -> Task:
    """A unit's task at the start, from its posture: reserves stand by, others hold."""
    return Task.RESERVE if posture == Posture.RESERVE else Task.HOLD


@dataclass(frozen=True)
class FollowUp:
    """The task a unit takes up once it has reached the place it was sent to (a reserve
    brought up behind an attack, then committed to it)."""

    task: Task
    objectives: tuple[str, ...]


class March(NamedTuple):
    """One hour of a unit's march."""

    km: float  # covered
    crossed: tuple[tuple[str, str, str], ...]  # (crossing, the bank left, the bank reached)
    bridging: str | None  # the crossing its engineers work on this hour, if any


#: The hour of a unit that did not march.
STOOD = March(0.0, (), None)


class Unit(FallingBack, OnTable, CellAgent):
    """One manoeuvre unit on the road network.

    Position: `cell` is the Mesa cell of the place the unit is at, `node` its id. While it
    travels an edge, `next_node` is the place it is heading to and `progress_km` how far along
    the edge it is; `route` the places still to come, next first.

    Orders: `order_id` is the plan order it is carrying out (None: none, or a commander's own
    task), `task` and `objective` what it is doing now, `next_objectives` the objectives still
    to come after the current one, `follow_up` the task it takes up once it has arrived.

    Posture history: `postures` lists (hour, posture) each time it changed; `hours_in_place`
    counts the hours it has stood where it is.
    """

    def __init__(
        self,
        model: mesa.Model,
        spec: UnitSpec,
        index: int,
        world: World[Unit],
        fallback_places: Sequence[str],
    ):
        super().__init__(model)
        self.world = world
        self.spec = spec
        self.index = index  # position in the scenario's unit list (record order)
        self.key = spec.id
        self.side: Side = spec.side
        self.type = spec.type
        self.name = spec.name
        self.quality = spec.quality
        self.morale = spec.morale
        self.supply = spec.supply
        self.fatigue = 0.0
        self.engineers = spec.engineers
        self.fallback_places = tuple(fallback_places)  # its grouping's, or its side's
        equipment = np.array([getattr(spec.equipment, k) for k in ITEMS], dtype=float)
        # equipment, lost, loss_carry, initial (= equipment): sim/model/table.py
        self.take_row(world.table, equipment)
        self.abandoned = np.zeros(len(ITEMS))  # left behind (counted as captured by the taker)
        self.abandon_carry = np.zeros(len(ITEMS))  # shares of items not yet a whole one
        # what the world's positions depend on: set through the properties below
        self._posture = Posture(spec.posture)
        self._status = Status.ACTIVE
        self._next_node: str | None = None
        self._route: list[str] = []
        self._task: Task = task_of_posture(self._posture)
        self._stance_now = self._stance()
        # kept with its stance, read only (`_stance`): holds_ground (can hold or take a place:
        # active, not routed, not a column withdrawing, on the road out or about to take it);
        # advancing (holding ground and attacking or moving: its patrols take undefended
        # ground, sim/model/rules/control.py); holds_position (front.holds_position)
        self.holds_ground, self.advancing, self.holds_position = self._stance_now
        self.postures: list[tuple[int, Posture]] = [(world.hour, self._posture)]
        self.order_id: str | None = None
        self.objective: str | None = None
        self.next_objectives: list[str] = []  # objectives after the current one
        self.follow_up: FollowUp | None = None
        self.progress_km = 0.0
        self.hours_in_place = 0.0
        self.broke = False  # broken on its own morale, not yet reorganised (retreat.py)
        self.march_hours_today = 0.0
        self.in_combat = False
        self.losses_this_hour = 0.0
        self.supply_km = 0.0  # traced supply distance (inf when cut off)
        self.supply_route: list[str] = []  # its line of supply, base first
        self.supply_places: frozenset[str] = frozenset()  # the same places, as a set
        self.stalled_hours = 0.0  # consecutive hours attacking below the capture ratio
        self.stalled_on: str | None = None  # the objective of an attack called off
        self.withdrawn = False  # pulled back by its commander (not by its own morale)
        self.idle = False  # has done its task: its commander may give it another
        self.node: str = spec.at  # where it is (kept when it leaves the map): see `cell`
        self.position_supply_km = 0.0  # its supply distance when it took its position

    # ---------------------------------------------------------------- where it stands
    @property
    def cell(self) -> Cell | None:
        """The Mesa cell (graph node) the unit is in; None once it has left the map."""
        return self._mesa_cell

    @cell.setter
    def cell(self, cell: Cell | None) -> None:
        # Mesa's setter moves the agent between cells; `node` keeps the cell's node id as a
        # plain attribute, because it is read hundreds of thousands of times a run. It is not
        # cleared when the unit leaves the map: its last node stays for the record.
        HasCell.cell.fset(self, cell)
        if cell is not None and cell.coordinate != self.node:
            self.node = cell.coordinate
            self.world.units_changed(self.side)

    @property
    def posture(self) -> Posture:
        return self._posture

    @posture.setter
    def posture(self, posture: Posture) -> None:
        if posture != self._posture:
            self._posture = posture
            self.postures.append((self.world.hour, posture))
            self._restance(force=True)

    @property
    def status(self) -> Status:
        return self._status

    @status.setter
    def status(self, status: Status) -> None:
        self._status = status
        self._restance()

    @property
    def next_node(self) -> str | None:
        return self._next_node

    @next_node.setter
    def next_node(self, node: str | None) -> None:
        self._next_node = node
        if self._posture == _WITHDRAW or self._posture in _HOLDING:
            self._restance()

    @property
    def task(self) -> Task:
        return self._task

    @task.setter
    def task(self, task: Task) -> None:
        self._task = task
        if self._posture in _HOLDING:  # whether it holds a position may change
            self._restance()

    @property
    def route(self) -> list[str]:
        return self._route

    @route.setter
    def route(self, route: list[str]) -> None:
        self._route = route
        if self._posture == _WITHDRAW:
            self._restance()

    def _stance(self) -> tuple[bool, bool, bool]:
        """(holds ground, advancing, holds a position): active, not routed and not a column on
        the road out; attacking or moving; standing in defend or reserve with the task to hold
        or stand by (front.holds_position, what the sectors are made of)."""
        posture = self._posture
        holds = (
            self._status == _ACTIVE
            and posture != _ROUT
            and not (posture == _WITHDRAW and (self._next_node is not None or bool(self._route)))
        )
        position = holds and posture in _HOLDING and self._task in _HOLDING_TASKS
        return holds, holds and (posture in (_ATTACK, _MOVE)), position and not self._next_node

    def _restance(self, force: bool = False) -> None:
        """Its stance again; the world is told when what the rules read of it changed."""
        stance = self._stance()
        if force or stance != self._stance_now:
            self._stance_now = stance
            self.holds_ground, self.advancing, self.holds_position = stance
            self.world.units_changed(self.side)

    @property
    def retreating(self) -> bool:
        """Withdrawing or routed and on the move: a column on the road, not a position."""
        return (self._posture == _WITHDRAW or self._posture == _ROUT) and (
            self._next_node is not None or bool(self._route)
        )

    @property
    def active(self) -> bool:
        return self._status == _ACTIVE

    @property
    def personnel(self) -> float:
        return float(self._equipment[PERSONNEL])  # (its row's view: `equipment`)

    @property
    def strength_fraction(self) -> float:
        """Personnel left as a share of the starting figure."""
        return float(self._equipment[PERSONNEL]) / max(self._initial[PERSONNEL], 1.0)

    @property
    def foot(self) -> bool:
        return self.type in FOOT_TYPES

    @property
    def doctrine(self) -> DoctrineParameters:
        """Its side's doctrine in force."""
        return self.world.doctrine[self.side]

    @property
    def defence_level(self) -> DefenceLevel:
        """How dug in it is (combat_math.defence_level): hasty, prepared after dig_in_hours in
        place, fortified after fortify_hours, in supply; none out of posture defend."""
        physics = self.world.physics
        in_supply = self.supply_km <= physics.supply_range_km
        defending = self._posture == Posture.DEFEND
        return defence_level(self.hours_in_place, in_supply, defending, physics)

    # ---------------------------------------------------------------- orders
    def set_route(self, route: list[str], heading: str | None = None) -> None:
        """A new route from the place it last stood (`heading`: already on the road to the
        first place of it, at its start)."""
        self.route, self.next_node, self.progress_km = route, heading, 0.0

    def clear_route(self) -> None:
        """Stop where it last stood: no route, not on the road."""
        self.set_route([])

    def take_task(
        self,
        task: Task,
        objectives: Sequence[str] | None = None,
        via: Sequence[str] | None = None,
        *,
        order_id: str | None = None,
        replan: bool = False,
    ) -> None:
        """Take a task: the first of `objectives` now, the rest in turn (`replan`: the same
        task again after a block; a missing route is then not reported again).

        A unit part-way along a road keeps the distance it has covered if its new route goes
        on along that road; otherwise it stops at the place it last passed (it is not carried
        on to a place it had not reached)."""
        objectives = list(objectives or [])
        self.task = task
        self.objective = objectives[0] if objectives else None
        self.next_objectives = objectives[1:]
        if not replan:
            self.order_id = order_id
            self.stalled_on, self.stalled_hours = None, 0.0
            self.withdrawn = self.idle = False
            self.follow_up = None
        self.posture = POSTURE_OF_TASK[task]
        heading, covered = self.next_node, self.progress_km
        self.clear_route()
        if self.objective and self.objective != self.node:
            route = plan_route(self, self.objective, self.world, via, fighting=task == Task.ATTACK)
            if route is None:
                if not replan:
                    self._log("no_route", f"no route to {self.world.network.name(self.objective)}")
                self.posture = Posture.DEFEND
            else:
                self.route = route
                if heading is not None and route[0] == heading:
                    self.next_node, self.progress_km = heading, covered

    def finish_task(self) -> None:
        """The task is done and the unit holds where it is. After an attack it is free for its
        commander to use again (`idle`); after a move it holds the position it was sent to."""
        self.idle = self.task == Task.ATTACK
        self.task, self.posture, self.objective, self.next_objectives = (
            Task.HOLD,
            Posture.DEFEND,
            None,
            [],
        )
        self.clear_route()

    def call_off_attack(self, target: str, *, culminated: bool = False) -> None:
        """A stalled attack: the unit holds where it is; its commander may resume it later (the
        attack's objective is kept in `stalled_on`, not as the objective of the hold, which
        would march the unit on towards it). `culminated`: worn down, it attacks no more."""
        self.stalled_on, self.stalled_hours = self.objective or target, 0.0
        self.task, self.posture, self.objective = Task.HOLD, Posture.DEFEND, None
        self.clear_route()
        why = "culminated: " if culminated else ""
        self._log("attack_stalled", f"{why}attack on {self.world.network.name(target)} called off")

    @property
    def culminated(self) -> bool:
        """Worn below its side's culmination_strength: it attacks no more."""
        return self.strength_fraction < self.doctrine.culmination_strength

    # ---------------------------------------------------------------- its own rules
    def step(self) -> None:
        """This hour's own decisions (the orders phase, after its commander's)."""
        if self._status != _ACTIVE:
            return
        world = self.world
        physics, doctrine = world.physics, world.doctrine[self.side]  # (`doctrine`)
        if self.strength_fraction < physics.disband_fraction:
            self.leave_map(Status.DISBANDED, "disbands (combat-ineffective)")
            return
        cut_off = not math.isfinite(self.supply_km)
        if (
            cut_off
            and self.supply < physics.surrender_supply
            and self.morale < doctrine.surrender_morale
        ):
            target, _ = self.fallback_route()
            if target is None:  # no way out at all: the end of the pocket
                self.surrender()
                return
        if self.morale < doctrine.rout_morale and self._posture != _ROUT:
            self.broke = True
            self.fall_back(Posture.ROUT, "routs")
            return
        if self.morale < doctrine.withdraw_morale and self._posture not in (_WITHDRAW, _ROUT):
            self.broke = True
            self.fall_back(Posture.WITHDRAW, "breaks off and withdraws")
            return
        if self._posture == _WITHDRAW or self._posture == _ROUT:
            self.keep_withdrawing()
            return
        task = self._task
        if (task == _TASK_ATTACK or task == _TASK_MOVE) and self.objective:
            reached = (
                world.control[self.objective] == self.side
                if task == _TASK_ATTACK
                else self.node == self.objective
            )
            if reached:
                if self.next_objectives:
                    self.take_task(self.task, self.next_objectives, replan=True)
                elif self.follow_up is not None:  # moved up: now the task it was brought for
                    self.take_task(self.follow_up.task, self.follow_up.objectives)
                elif self.node == self.objective or self.task == Task.ATTACK:
                    self.finish_task()
                return
        if self.objective and self.node != self.objective and not self._route:
            self.take_task(self.task, [self.objective, *self.next_objectives], replan=True)

    # ---------------------------------------------------------------- moving
    def march_hours_allowed(self) -> float:
        """Hours it may march today: all of march_hours_per_day in supply, down to
        unsupplied_march_floor of them at supply 0 (out of fuel, on foot), linearly below
        low_supply_level."""
        p = self.world.physics
        short = min(1.0, self.supply / p.low_supply_level) if p.low_supply_level > 0 else 1.0
        floor = p.unsupplied_march_floor
        return p.march_hours_per_day * (floor + (1.0 - floor) * short)

    def march(self) -> March:
        """One hour along its route. The next edge's crossing is checked first: over a bridge
        that is down only engineers go on (they bridge it: `bridging`), everyone else stops
        and re-plans. Then contact: a unit stops before a place held by enemy troops, with
        `next_node` set to it, which makes it an attacker there in the combat phase if its
        task is to attack; any other unit is blocked and re-plans next hour. A place "held by
        enemy troops" is one they stand in or one of their sectors covers (front.defended). A
        column on the move (posture move) stops for the hour on entering a place in the
        enemy's zone of control."""
        world = self.world
        if not self._route or self.march_hours_today >= self.march_hours_allowed():
            return STOOD
        network = world.network
        enemy = other(self.side)
        defended, zoc = front.defended(world, enemy), front.side_front(world, enemy).zoc
        hours_now = arc_hours(self, world)
        budget, covered = 1.0, 0.0
        crossed: list[tuple[str, str, str]] = []
        bridging = None
        while budget > 1e-9 and self._route:
            nxt = self._route[0]
            data = network.edge(self.node, nxt)
            arc = network.arc[self.node, nxt]
            hours = float(hours_now[arc])
            if hours == math.inf:  # its crossing does not stand
                if bridgeable(self, world)[arc]:
                    self.next_node = nxt
                    bridging = data["crossing"]
                else:
                    self.next_node, self.route = None, []  # bridge gone: re-plan next hour
                break
            self.next_node = nxt
            if defended[network.index[nxt]]:
                if self.task != _TASK_ATTACK or self._posture in (_WITHDRAW, _ROUT):
                    self.next_node = None
                    self.route = []  # blocked: the unit will re-plan next hour
                break  # in contact: combat decides
            length = data["length_km"]
            speed = length / hours
            step_km = min(speed * budget, length - self.progress_km)
            self.progress_km += step_km
            covered += step_km
            budget -= step_km / speed
            if self.progress_km >= length - 1e-9:
                left = self.node
                self._arrive(nxt)
                defended, zoc = front.defended(world, enemy), front.side_front(world, enemy).zoc
                if data.get("crossing"):
                    crossed.append((data["crossing"], left, nxt))
                if self._posture == _MOVE and zoc[network.index[nxt]]:
                    break  # a column entering the enemy's zone of control stops there
        self.march_hours_today += 1.0 if covered > 0 else 0.0
        return March(covered, tuple(crossed), bridging)

    def break_in(self, node: str) -> None:
        """Its attack has taken `node`, the next place of its route: it is there (the battle
        was its advance along the road)."""
        if self._next_node == node and self._route and self._route[0] == node:
            self._arrive(node)

    def _arrive(self, node: str) -> None:
        """Reach the next place of its route."""
        assert self.cell is not None  # a unit on the map
        self.cell = self.cell.connections[node]
        self._route.pop(0)
        self.next_node, self.progress_km = None, 0.0
        if self._posture == _WITHDRAW:
            self._restance()

    def settle(self, km: float, start: str) -> None:
        """After the hour's march (`km` covered, from place `start`): a march tires a unit and
        ends its time in place; a unit that stayed counts another hour there (and notes its
        supply distance in its first)."""
        if km > 0:
            self.fatigue = min(1.0, self.fatigue + self.world.physics.fatigue_per_march_hour)
            self.hours_in_place = 0.0
        elif self.node == start:
            if self.hours_in_place == 0.0:  # its first hour in a new position
                self.position_supply_km = self.supply_km
            self.hours_in_place += 1.0

    # ---------------------------------------------------------------- losses
    def lose(self, fraction: float, taken: float = 0.0) -> None:
        """An hour's losses: `fraction` of its personnel (vehicles at equipment_loss_factor
        times that), in whole items; `taken` of the men lost are prisoners of the enemy."""
        physics = self.world.physics
        lost = apply_losses(self.equipment, item_loss_fractions(fraction, physics), self.loss_carry)
        self.lost += lost
        self.losses_this_hour += fraction
        if taken > 0 and lost[PERSONNEL] > 0:
            self.world.prisoners[other(self.side)] += float(lost[PERSONNEL]) * taken

    def abandon(self, fraction: float) -> np.ndarray:
        """Leave a fraction of heavy items behind, whole items only: the shares add up from
        hour to hour until they make an item, as losses do (`apply_losses`), so 2 % an hour of
        ten tanks is a tank every five hours, not none. Returns the items."""
        items = apply_losses(self.equipment, fraction * HEAVY, self.abandon_carry)
        self.abandoned += items
        return items

    def leave_behind(self, items: np.ndarray, node: str | None = None) -> None:
        """Items it abandoned lie at `node` (default its place) until someone takes it."""
        self.world.leave_behind(self.side, node or self.node, items)

    def give_up_men(self, share: float) -> None:
        """`share` of its personnel are taken prisoner (men cut off, stragglers); its vehicles
        stay with the unit."""
        men = math.floor(self.equipment[PERSONNEL] * share)
        if men > 0:
            self.equipment[PERSONNEL] -= men
            self.lost[PERSONNEL] += men
            self.losses_this_hour += men / max(self.initial[PERSONNEL], 1.0)
            self.world.prisoners[other(self.side)] += men

    def surrender(self) -> None:
        """Cut off with no way out: personnel become prisoners, equipment is captured."""
        world, taker = self.world, other(self.side)
        world.captured[taker] += self.equipment * HEAVY
        world.prisoners[taker] += self.equipment[PERSONNEL]
        self.abandoned += self.equipment * HEAVY
        self.leave_map(
            Status.SURRENDERED, "surrenders, encircled and out of supply", leave_equipment=False
        )

    def leave_map(self, status: Status, why: str, *, leave_equipment: bool = True) -> None:
        """The unit leaves the map for good (its last state stays in the record)."""
        if leave_equipment:
            self.leave_behind(self.abandon(1.0))
        self._log(status.value, why)
        self.status = status
        self.route, self.next_node = [], None
        self.remove()  # Mesa: out of the model's agents and off its cell
        self.world.leave(self)

    # ---------------------------------------------------------------- record
    def _log(self, kind: str, what: str) -> None:
        """An event of this unit at its place: '<its name> <what>'."""
        sep = ": " if kind in ("no_route", "attack_stalled") else " "
        self.world.log(kind, unit=self, node=self.node, text=f"{self.name}{sep}{what}")


# The properties read most (~200,000 times a September run: the rules, the watches and the
# record read them of every unit every hour) get C getters, `operator.attrgetter` of the same
# attribute: no Python frame per read. Their setters, which tell the world, stay as written.
for _name in ("posture", "status", "next_node", "task", "route"):
    setattr(Unit, _name, getattr(Unit, _name).getter(operator.attrgetter(f"_{_name}")))
