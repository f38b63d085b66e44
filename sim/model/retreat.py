"""A unit's withdrawals: `FallingBack`, the part of `Unit` (sim/model/units.py) that goes back.

Kept in a module of its own so that units.py stays readable; the methods are the unit's own
(`Unit` inherits them) and use only what every unit has.
- `fallback_route`: where a withdrawal goes and the road there (sim/model/rules/routes.py);
- `fall_back`: withdraw or rout to the nearest fallback place it can reach, or break out;
- `step_back`: give up a position for the next place behind it, and hold there;
- `forced_out`: the enemy has taken its place: it leaves by road, or surrenders with no exit.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from sim.model.rules import front
from sim.model.rules.routes import fallback_route, route_costs
from sim.scenario import Posture, Side, Task, other

#: A withdrawing unit with nowhere to go looks for a way out again every this many hours (a
#: breakout search is a whole-map Dijkstra; the situation rarely changes within the hour).
REPLAN_EVERY_HOURS = 6

if TYPE_CHECKING:
    from sim.model.params_doctrine import DoctrineParameters
    from sim.model.world import World


def enemy_present(world: World[Any], node: str, side: Side) -> bool:
    """Enemy troops holding ground within presence_km of `node` (straight line), for `side`."""
    enemy = world.enemy_xy(side)
    if not len(enemy):
        return False
    return bool((world.network.km_from(node, enemy) <= world.physics.presence_km).any())


class FallingBack:
    """How a unit goes back (a part of `Unit`; see the module's docstring)."""

    # what it uses of the unit (sim/model/units.py defines each)
    world: World[Any]
    side: Side
    fallback_places: tuple[str, ...]
    task: Task
    objective: str | None
    next_objectives: list[str]
    stalled_on: str | None
    morale: float
    hours_in_place: float
    posture: Posture
    node: str
    engineers: bool
    in_combat: bool
    broke: bool

    @property
    def route(self) -> list[str]:
        raise NotImplementedError

    @property
    def foot(self) -> bool:
        raise NotImplementedError

    @property
    def doctrine(self) -> DoctrineParameters:
        raise NotImplementedError

    def set_route(self, route: list[str], heading: str | None = None) -> None:
        raise NotImplementedError

    def surrender(self) -> None:
        raise NotImplementedError

    def give_up_men(self, share: float) -> None:
        raise NotImplementedError

    def abandon(self, fraction: float) -> np.ndarray:
        raise NotImplementedError

    def leave_behind(self, items: np.ndarray, node: str | None = None) -> None:
        raise NotImplementedError

    def _log(self, kind: str, what: str) -> None:
        raise NotImplementedError

    def fallback_route(
        self, start: str | None = None, *, leave: bool = False
    ) -> tuple[str | None, list[str]]:
        """Where a withdrawal from `start` (default its place) goes, and the route there
        (sim/model/rules/routes.py, `fallback_route`)."""
        return fallback_route(
            self,
            self.fallback_places,
            self.world,
            self.doctrine.breakout_max_km,
            start,
            leave=leave,
        )

    def fall_back(
        self,
        posture: Posture,
        why: str | None,
        *,
        leave: bool = False,
        way: tuple[str | None, list[str]] | None = None,
    ) -> None:
        """Withdraw (or rout) to the nearest fallback place it can reach (`leave`: other than
        the one it stands on; `way`: that place and the road there, if the caller has looked
        them up); `why` is logged."""
        target, route = way or self.fallback_route(leave=leave)
        self._go_back(target, route, posture, why)

    def _go_back(
        self, target: str | None, route: list[str], posture: Posture, why: str | None
    ) -> None:
        """Set off back to `target` along `route` in `posture` (withdraw or rout), leaving men
        behind if it breaks contact under assault (not if it stays where it is: its fallback is
        the place it holds, or it has no way back); `why` is logged."""
        if self.in_combat and route:  # breaking contact under assault leaves men behind
            self.give_up_men(self.world.physics.forced_out_prisoner_share)
        self.task, self.objective, self.next_objectives = Task.WITHDRAW, target, []
        self.posture = posture
        self.set_route(route)
        self.stalled_on = None
        if why:
            self._log(posture.value, why)

    def keep_withdrawing(self) -> None:
        """Withdrawing or routed: on to its fallback, or reorganise once there, with its morale
        back to withdraw_morale. A unit broken on its own morale (`broke`) reorganises only out
        of contact, with no enemy troops within presence_km: a unit does not pull itself
        together in the fight that broke it. (Without that, one broken where its fallback is,
        in its sector's fight, broke and stood again hour after hour on the threshold.)"""
        if self.route:
            return
        world = self.world
        if self.objective is not None and self.node == self.objective:
            if self.morale >= self.doctrine.withdraw_morale and not (
                self.broke and enemy_present(self.world, self.node, self.side)
            ):
                self.posture, self.task, self.broke = Posture.DEFEND, Task.HOLD, False
        elif self.objective is not None or world.hour % REPLAN_EVERY_HOURS == 0:
            self.fall_back(self.posture, None)  # blocked, or nowhere to go yet: look again

    def way_back(self) -> tuple[str | None, list[str], bool]:
        """Where a unit giving up its position under assault would go, the road there, and
        whether that is a step back (`step_back_place`) rather than its fallback; (None, [],
        False) when it has no way back at all."""
        target, route = self.step_back_place()
        if target is not None:
            return target, route, True
        target, route = self.fallback_route(leave=True)
        return target, route, False

    def step_back(self, why: str, way: tuple[str | None, list[str], bool] | None = None) -> None:
        """Give up the position it holds under assault for the next place behind it
        (`step_back_place`), where it holds again once there (a hasty defence: its time in
        position starts afresh); with no such place, fall back to its fallback (`way`, if the
        caller has looked it up: `way_back`). With no way back at all, nothing changes: it
        stays and fights on where it stands."""
        target, route, stepped = way or self.way_back()
        if target is None:
            return
        if stepped:
            why = f"{why}; steps back to {self.world.network.name(target)}"
        self._go_back(target, route, Posture.WITHDRAW, why)

    def step_back_place(self) -> tuple[str | None, list[str]]:
        """The place a unit giving up its position goes back to, and the road there: the
        nearest (by route hours over its own side's ground, ties by id) place its side holds
        and supplies, nearer the supply than its own, not in the enemy's zone of control nor
        under siege, within `step_back_km` road km; (None, []) if there is none."""
        world, start = self.world, self.node
        max_km = self.doctrine.step_back_km
        if max_km <= 0:
            return None, []
        network, control = world.network, world.control
        supplied = world.supply_lines[self.side]
        here = supplied.distance(start)
        zoc = front.side_front(world, other(self.side)).zoc
        cost = route_costs(self, world, fighting=False, own_ground=True)
        hours, paths = network.paths_from(start, cost)
        best: tuple[float, str] | None = None
        for node, h in hours.items():
            if node == start or control[node] != self.side or not supplied.reaches(node):
                continue
            if supplied.distance(node) >= here or zoc[network.index[node]]:
                continue
            if world.siege.get(node, 0.0) > 0 or network.road_km(start, paths[node][1:]) > max_km:
                continue
            if best is None or (h, node) < best:
                best = (h, node)
        if best is None:
            return None, []
        return best[1], paths[best[1]][1:]

    def forced_out(self, node: str, exits: Sequence[str]) -> None:
        """The enemy has taken `node`: the unit leaves it by road, on the first step of its way
        back to its side's next line, or else towards the exit deepest in its side's lines, at
        withdrawal speed: it is on the road, no longer holding the place, and can be pursued,
        shelled and cut off on the way. With no exit at all it surrenders."""
        physics = self.world.physics
        self.morale = max(0.0, self.morale - physics.forced_out_morale)
        if not exits:
            self.surrender()
            return
        self.give_up_men(physics.forced_out_prisoner_share)
        hurried = physics.rout_abandon_per_hour * physics.forced_out_abandon_hours
        self.leave_behind(self.abandon(hurried), node)
        target, way_back = self.fallback_route(start=node)
        if way_back and way_back[0] in exits:
            route = way_back
        else:
            supplied = self.world.supply_lines[self.side]

            def depth(place: str) -> float:  # the inverse of its supply distance
                d = supplied.distance(place)
                return -d if math.isfinite(d) else -1e9

            target = None
            route = [min(exits, key=lambda nb: (-depth(nb), nb))]
        posture = Posture.ROUT if self.posture == Posture.ROUT else Posture.WITHDRAW
        self.task, self.objective, self.next_objectives = Task.WITHDRAW, target or route[-1], []
        self.posture = posture
        self.set_route(route, heading=route[0])
        self.hours_in_place, self.stalled_on = 0.0, None
