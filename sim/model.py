"""The world and its step: `CampaignModel`, one step = one hour from the scenario's start.

A step reads like a wargame turn:
    events -> arrivals -> orders & doctrine -> movement -> combat -> supply -> morale -> control
    -> record
The rules are in sim/combat.py, sim/movement.py, sim/supply.py and sim/control.py; this module
wires them to the units and keeps the state they share (who holds each node, bridges, depots,
equipment abandoned on the ground).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

import mesa
import networkx as nx
import numpy as np
from mesa.discrete_space import Network

from sim import combat
from sim.combat import HEAVY, ITEMS, PERSONNEL
from sim.control import held_totals, update_control
from sim.movement import BRIDGEABLE, crossing_factor, move, plan_route, route_weight
from sim.params import Parameters
from sim.record import RunRecord
from sim.scenario import SIDES, Posture, Scenario, other
from sim.supply import CostGraph, trace, update_supply
from sim.theatre import Theatre, build_theatre, point_in_polygon
from sim.units import DISBAND_FRACTION, Unit

#: Morale lost by defenders forced out of a node (a lost position shakes a unit; estimate).
FORCED_OUT_MORALE = 0.1
#: Encircled and out of supply: a unit surrenders only when its supply has run this low.
SURRENDER_SUPPLY = 0.2
#: Defenders forced out of a node leave behind what a routed unit abandons in this many hours
#: (4 x rout_abandon_per_hour = 8 % of heavy items by default): a hurried, not a broken, exit.
FORCED_OUT_ABANDON_HOURS = 4
#: A unit cut off with less than this supply left starts abandoning vehicles (out of fuel).
ABANDON_SUPPLY = 0.5
#: A routed unit regains morale at this share of the normal recovery rate.
ROUT_RECOVERY_SHARE = 0.5
#: A unit with no way back over its own ground breaks out only if the way to the nearest
#: ground its side still supplies crosses at most this much enemy-held road (two or three
#: villages); deeper in, it stays where it is and the encirclement rules apply.
BREAKOUT_MAX_KM = 25.0


@dataclass(frozen=True)
class EdgeArrays:
    """The graph's edges as arrays (node indices), for vectorised supply tracing."""

    u: np.ndarray
    v: np.ndarray
    length_km: np.ndarray
    rail: np.ndarray
    crossing: list[str | None]

    @classmethod
    def of(cls, graph, index: dict[str, int]) -> EdgeArrays:
        edges = list(graph.edges(data=True))
        return cls(np.array([index[a] for a, _, _ in edges], dtype=np.int64),
                   np.array([index[b] for _, b, _ in edges], dtype=np.int64),
                   np.array([d["length_km"] for _, _, d in edges]),
                   np.array([bool(d.get("rail")) for _, _, d in edges]),
                   [d.get("crossing") for _, _, d in edges])


@dataclass
class DepotState:
    id: str
    side: str
    node: str
    kind: str
    working: bool = True


class CampaignModel(mesa.Model):
    """An operation replayed hour by hour.

    Args:
        scenario: the validated scenario (places resolved to node ids).
        theatre: the map; built from assets/map when omitted.
        params: all model parameters; the scenario's parameters block over the defaults when
            omitted.
        seed: seed of the model's random generators (combat fog, bridge demolitions, events).
    """

    def __init__(self, scenario: Scenario, theatre: Theatre | None = None,
                 params: Parameters | None = None, *, seed: int = 0):
        super().__init__(rng=seed)
        self.seed = seed
        self.scenario = scenario
        self.theatre = theatre or build_theatre()
        self.params = params or scenario.parameters_with()
        self.graph = self.theatre.graph
        self.space = Network(self.graph, random=self.random)
        self.start = scenario.start
        self.end = scenario.end
        self.now = self.start
        self.weights = combat.item_weights(self.params)
        self.fire_weights = combat.fire_weights(self.params)

        self.node_ids: list[str] = list(self.theatre.node_ids)
        self.node_index = {n: i for i, n in enumerate(self.node_ids)}
        g = self.graph
        self.node_xy = np.array([[g.nodes[n]["x_km"], g.nodes[n]["y_km"]] for n in self.node_ids])
        self.node_area = np.array([g.nodes[n]["area_km2"] for n in self.node_ids])
        self.edges = EdgeArrays.of(g, self.node_index)
        self.cost_graph = CostGraph(len(self.node_ids), self.edges.u, self.edges.v)
        self.supply_cache: dict = {}
        self._totals_cache: tuple[int, dict] | None = None

        self.control: dict[str, str] = self._initial_control()
        self.initial_held = {s: np.array([self.control[n] == s for n in self.node_ids])
                             for s in SIDES}
        self.crossing_state = {cid: ("intact" if c.kind in ("bridge", "rail_bridge") else c.kind)
                               for cid, c in self.theatre.crossings.items()}
        self.pontoon_work: dict[str, float] = {}
        self.depots = {d.id: DepotState(d.id, d.side, d.at, d.kind) for d in scenario.depots}
        self.surprise_until: dict[str, datetime] = {}
        self.siege: dict[str, float] = {}  # node -> share of it the attacker has gained
        self.fog: dict[tuple[str, int], float] = {}
        self.abandoned_at: dict[str, dict[str, np.ndarray]] = {}  # node -> side -> items
        self.captured = {s: np.zeros(len(ITEMS)) for s in SIDES}  # items taken BY side
        self.prisoners = dict.fromkeys(SIDES, 0.0)  # personnel taken prisoner BY side
        self.pending_events = sorted(scenario.events, key=lambda e: e.at)
        self._occupied_cache: dict[str, set[str]] | None = None

        self.units: list[Unit] = []
        for spec in scenario.units:
            unit = Unit(self, spec)
            unit.cell = self.space[spec.at]
            if spec.arrives is None and unit.posture == Posture.DEFEND:
                unit.hours_in_place = self.params.dig_in_hours  # in position before the start
            self.units.append(unit)
        self.record = RunRecord.begin(self)
        self.nets = {s: trace(self, s) for s in SIDES}
        update_supply(self, self.nets)
        self.record.hour(self, [])

    # ------------------------------------------------------------------ setup
    def _initial_control(self) -> dict[str, str]:
        g, spec = self.graph, self.scenario.control
        control = {n: ("RU" if g.nodes[n]["country"] == "RU" else "UA") for n in g.nodes}
        for region in spec.regions:
            poly = np.array(region.polygon)
            for n in g.nodes:
                if point_in_polygon(g.nodes[n]["lon"], g.nodes[n]["lat"], poly):
                    control[n] = region.side
        for side, nodes in spec.nodes.items():
            for n in nodes:
                control[n] = side
        for spec_u in self.scenario.units:  # a unit on the map at the start holds its node
            if spec_u.arrives is None:
                control[spec_u.at] = spec_u.side
        return {n: control[n] for n in self.theatre.node_ids}

    # ------------------------------------------------------------------ queries
    def active_units(self, side: str | None = None) -> list[Unit]:
        return [u for u in self.units if u.status == "active" and (side is None or u.side == side)]

    def enemy_xy(self, side: str, advancing: bool = False) -> np.ndarray:
        """Positions (km) of the enemy's units holding ground, or only of those attacking or
        moving (cached within a phase)."""
        self.occupied_by(side)
        return self._occupied_cache[("adv_" if advancing else "xy_") + other(side)]

    def occupied_by(self, side: str) -> set[str]:
        """Nodes where `side` has a unit holding ground (cached within a phase)."""
        if self._occupied_cache is None:
            occ: dict = {s: set() for s in SIDES}
            idx: dict[str, list[int]] = {s: [] for s in SIDES}
            adv: dict[str, list[int]] = {s: [] for s in SIDES}
            for u in self.units:
                if u.holds_ground:
                    occ[u.side].add(u.node)
                    idx[u.side].append(self.node_index[u.node])
                    if u.posture in (Posture.ATTACK, Posture.MOVE):
                        adv[u.side].append(self.node_index[u.node])
            for s in SIDES:
                occ["xy_" + s] = self.node_xy[idx[s]].reshape(-1, 2)
                occ["adv_" + s] = self.node_xy[adv[s]].reshape(-1, 2)
            self._occupied_cache = occ
        return self._occupied_cache[side]

    def _positions_changed(self) -> None:
        self._occupied_cache = None

    def has_depots(self, side: str) -> bool:
        return any(d.side == side for d in self.depots.values())

    def in_surprise(self, side: str) -> bool:
        return side in self.surprise_until and self.now < self.surprise_until[side]

    def distance_km(self, a: str, b: str) -> float:
        return float(np.linalg.norm(self.node_xy[self.node_index[a]]
                                    - self.node_xy[self.node_index[b]]))

    # ------------------------------------------------------------------ the turn
    def step(self) -> None:
        """One hour: events, arrivals, orders, movement, combat, supply, morale, control."""
        self.now = self.start + timedelta(hours=self.steps - 1)
        self.apply_events()
        self.arrivals()
        self._positions_changed()
        self.agents.shuffle_do("step")  # orders and doctrine, in random order
        self.movement_phase()
        self.combat_phase()
        self.nets = {s: trace(self, s) for s in SIDES}
        update_supply(self, self.nets)
        self.morale_phase()
        changes = update_control(self, self.nets)
        self._positions_changed()
        self.now = self.start + timedelta(hours=self.steps)
        self.record.hour(self, changes)
        if self.now >= self.end:
            self.running = False

    def run(self) -> RunRecord:
        """Run to the scenario's end; returns the record."""
        while self.running:
            self.step()
        self.release()
        return self.record

    def release(self) -> None:
        """Let this model be garbage-collected once the caller drops it. Mesa 3.3 keeps a
        reference to every model ever built in the class attribute `Agent._ids` (mesa issue
        #3179, fixed by #3180 in later versions), so a process running hundreds of models (a
        sweep worker, the test suite) would grow by each run's record (~9 MiB for September).
        No agent is created after a run, so the entry is not needed any more."""
        ids = getattr(mesa.Agent, "_ids", None)
        if isinstance(ids, dict):
            ids.pop(self, None)

    # ------------------------------------------------------------------ events and arrivals
    def apply_events(self) -> None:
        while self.pending_events and self.pending_events[0].at <= self.now:
            ev = self.pending_events.pop(0)
            if ev.probability < 1.0 and self.random.random() >= ev.probability:
                self.log("event_failed", text=f"{ev.kind} {ev.target} did not take effect")
                continue
            if ev.kind == "caption":
                self.log("caption", text=ev.text, side=ev.side)
            elif ev.kind == "destroy_bridge":
                self.destroy_crossing(ev.target, cause=ev.text or "strike")
            elif ev.kind == "strike_depot":
                self.depots[ev.target].working = False
                self.log("depot_destroyed", node=self.depots[ev.target].node,
                         side=self.depots[ev.target].side, text=ev.text or "depot struck")
            elif ev.kind == "surprise":
                self.surprise_until[ev.side] = ev.at + timedelta(hours=ev.hours)
                self.log("surprise", side=ev.side, text=ev.text or f"{ev.side} surprise")

    def arrivals(self) -> None:
        for u in self.units:
            if u.status == "waiting" and u.spec.arrives <= self.now:
                u.status = "active"
                self.log("arrival", unit=u, node=u.node, text=f"{u.name} arrives")

    def destroy_crossing(self, cid: str, cause: str) -> None:
        if self.crossing_state[cid] in ("intact", "pontoon"):
            self.crossing_state[cid] = "destroyed"
            c = self.theatre.crossings[cid]
            self.log("bridge_destroyed", node=c.u, text=f"{c.name} destroyed ({cause})",
                     target=cid)

    # ------------------------------------------------------------------ orders and doctrine
    def assign_task(self, unit: Unit, task: str, objective: str | None,
                    via: list[str] | None = None, replan: bool = False) -> None:
        """Give a unit a task and plan its route (`replan`: the same task again, after a
        block; a missing route is then not reported again).

        A unit part-way along a road keeps the distance it has covered if its new route goes on
        along that road; otherwise it stops at the place it last passed (it is not carried on
        to a place it had not reached)."""
        unit.task, unit.objective = task, objective
        unit.posture = {"attack": Posture.ATTACK, "move": Posture.MOVE,
                        "withdraw": Posture.WITHDRAW, "reserve": Posture.RESERVE
                        }.get(task, Posture.DEFEND)
        heading, covered = unit.next_node, unit.progress_km
        unit.route, unit.next_node, unit.progress_km = [], None, 0.0
        if objective and objective != unit.node:
            route = plan_route(unit, objective, self, via, fighting=task == "attack")
            if route is None:
                if not replan:
                    self.log("no_route", unit=unit, node=unit.node,
                             text=f"{unit.name}: no route to {self.place_name(objective)}")
                unit.posture = Posture.DEFEND
            else:
                unit.route = route
                if heading is not None and route[0] == heading:
                    unit.next_node, unit.progress_km = heading, covered

    def fallback_route(self, unit: Unit, start: str | None = None) -> tuple[str | None, list]:
        """Where a withdrawal goes, and the route there (from `start`, default the unit's node):
        the nearest (by road km) fallback place reachable over ground its side holds; failing
        that, a breakout to the nearest node its side holds and supplies, through at most
        BREAKOUT_MAX_KM of enemy-held road; failing that, nowhere (None, [])."""
        start = start or unit.node
        best, best_route, best_km = None, [], math.inf
        for t in self.scenario.fallback.get(unit.side, []):
            if t == start:
                return t, []
            r = plan_route(unit, t, self, fighting=False, start=start, own_ground=True)
            if r is None:
                continue
            km = sum(self.graph.edges[a, b]["length_km"]
                     for a, b in zip([start, *r], r, strict=False))
            if km < best_km:
                best, best_route, best_km = t, r, km
        if best is not None:
            return best, best_route
        return self._breakout(unit, start)

    def _breakout(self, unit: Unit, start: str) -> tuple[str | None, list]:
        supplied = self.nets[unit.side]
        weight = route_weight(unit, self, fighting=False)
        _, paths = nx.single_source_dijkstra(self.graph, start, weight=weight)
        best, best_route, best_km = None, [], math.inf
        for node in sorted(paths):
            if node == start or self.control[node] != unit.side or not supplied.reaches(node):
                continue
            path = paths[node]
            legs = list(zip(path, path[1:], strict=False))
            enemy_km = sum(self.graph.edges[a, b]["length_km"] for a, b in legs
                           if self.control[b] != unit.side)
            km = sum(self.graph.edges[a, b]["length_km"] for a, b in legs)
            if enemy_km <= BREAKOUT_MAX_KM and km < best_km:
                best, best_route, best_km = node, path[1:], km
        return best, best_route

    def apply_doctrine(self, unit: Unit) -> None:
        """Breakpoints, the supply-threat withdrawal, surrender, and re-planning."""
        p = self.params
        if unit.strength_fraction < DISBAND_FRACTION:
            self.remove_unit(unit, "disbanded", "disbands (combat-ineffective)")
            return
        encircled = not math.isfinite(unit.supply_km)
        if (encircled and unit.supply < SURRENDER_SUPPLY and unit.morale < p.surrender_morale):
            self.surrender(unit)
            return
        if unit.morale < p.rout_morale and unit.posture != Posture.ROUT:
            self.fall_back(unit, Posture.ROUT, "routs")
            return
        if (unit.morale < p.withdraw_morale
                and unit.posture not in (Posture.WITHDRAW, Posture.ROUT)):
            self.fall_back(unit, Posture.WITHDRAW, "breaks off and withdraws")
            return
        on_the_line = unit.node in self.scenario.fallback.get(unit.side, ())
        if unit.task in ("hold", "reserve") and not unit.doctrine_withdraw and not on_the_line:
            if self.supply_threatened(unit):
                unit.threat_hours += 1.0
            else:
                unit.threat_hours = 0.0
            if unit.threat_hours >= p.threat_hours and self.scenario.fallback.get(unit.side):
                unit.doctrine_withdraw = True
                self.leave_behind(unit, unit.abandon(p.hasty_withdrawal_abandon))
                self.fall_back(unit, Posture.WITHDRAW,
                               "withdraws: its line of supply is threatened")
                return
        if unit.posture in (Posture.WITHDRAW, Posture.ROUT) and not unit.route:
            if unit.node == unit.objective or unit.objective is None:
                if unit.morale >= p.withdraw_morale:  # back behind the lines: reorganised
                    unit.posture, unit.task = Posture.DEFEND, "hold"
                    unit.doctrine_withdraw, unit.threat_hours = False, 0.0
            else:
                self.fall_back(unit, unit.posture, None)
            return
        if unit.objective and unit.node != unit.objective and not unit.route:
            self.assign_task(unit, unit.task, unit.objective, replan=True)  # blocked: re-plan
        elif unit.objective and unit.node == unit.objective and unit.task in ("move", "attack"):
            unit.task, unit.posture = "hold", Posture.DEFEND

    def supply_threatened(self, unit: Unit) -> bool:
        """The doctrine's trigger: supply route cut, grown past withdraw_detour_factor times its
        length when the unit took position (and by more than threat_radius_km), or advancing
        enemy troops (attacking or moving) within threat_radius_km
        of its rear part (the nodes farther than threat_radius_km from the unit). Enemies in
        front of a unit at the front are its fight, and an enemy holding a line beside the
        route does not threaten to cut it; an enemy on the move near it does."""
        p = self.params
        if not math.isfinite(unit.supply_km):
            return True
        if (unit.baseline_supply_km is not None
                and unit.supply_km > p.withdraw_detour_factor * unit.baseline_supply_km
                and unit.supply_km > unit.baseline_supply_km + p.threat_radius_km):
            return True
        if not unit.supply_route or p.threat_radius_km <= 0:
            return False
        enemy = self.enemy_xy(unit.side, advancing=True)
        if not len(enemy):
            return False
        here = self.node_xy[self.node_index[unit.node]]
        route = self.node_xy[[self.node_index[n] for n in unit.supply_route]]
        rear = route[np.hypot(*(route - here).T) > p.threat_radius_km]
        if len(rear) == 0:
            return False
        d2 = ((rear[:, None, :] - enemy[None, :, :]) ** 2).sum(axis=2)
        return bool((d2 <= p.threat_radius_km ** 2).any())

    def fall_back(self, unit: Unit, posture: Posture, why: str | None) -> None:
        unit.threat_hours = 0.0  # falling back answers the threat; morale may recover again
        target, route = self.fallback_route(unit)
        unit.task, unit.objective = "withdraw", target
        unit.posture = posture
        unit.route = route
        unit.next_node, unit.progress_km = None, 0.0
        if why:
            self.log(posture.value, unit=unit, node=unit.node, text=f"{unit.name} {why}")

    def surrender(self, unit: Unit) -> None:
        """Encircled and out of supply: personnel become prisoners, equipment is captured."""
        taker = other(unit.side)
        self.captured[taker] += unit.equipment * HEAVY
        self.prisoners[taker] += unit.equipment[PERSONNEL]
        unit.abandoned += unit.equipment * HEAVY
        self.remove_unit(unit, "surrendered", "surrenders, encircled and out of supply",
                         leave_equipment=False)

    def remove_unit(self, unit: Unit, status: str, why: str, leave_equipment: bool = True
                    ) -> None:
        if leave_equipment:
            self.leave_behind(unit, unit.abandon(1.0))
        unit.status = status
        unit.route, unit.next_node = [], None
        self._positions_changed()
        self.log(status, unit=unit, node=unit.node, text=f"{unit.name} {why}")

    def leave_behind(self, unit: Unit, items: np.ndarray, node: str | None = None) -> None:
        """Items abandoned at `node` (default the unit's); captured by the enemy when it takes
        the node, at once if the enemy already holds it."""
        if not items.any():
            return
        node = node or unit.node
        if self.control[node] != unit.side:
            self.captured[self.control[node]] += items
            return
        pool = self.abandoned_at.setdefault(node, {})
        pool[unit.side] = pool.get(unit.side, np.zeros(len(ITEMS))) + items

    def capture_abandoned(self, node: str, taker: str) -> None:
        pool = self.abandoned_at.get(node, {})
        loser = other(taker)
        if loser in pool:
            self.captured[taker] += pool.pop(loser)

    # ------------------------------------------------------------------ movement
    def movement_phase(self) -> None:
        p = self.params
        if self.now.hour == 0:
            for u in self.units:
                u.march_hours_today = 0.0
        for unit in self.active_units():
            before = unit.node
            km = move(unit, self)  # arrive() refreshes the occupation cache on a new node
            if km > 0:
                unit.fatigue = min(1.0, unit.fatigue + p.fatigue_per_march_hour)
                unit.hours_in_place = 0.0
            elif unit.node == before:
                unit.hours_in_place += 1.0

    def arrive(self, unit: Unit, node: str, data: dict) -> None:
        """`unit` reaches `node` along an edge: bridge demolition behind a withdrawal."""
        prev = unit.node
        unit.cell = self.space[node]
        unit.route.pop(0)
        unit.next_node, unit.progress_km = None, 0.0
        self._positions_changed()
        cid = data.get("crossing")
        if (cid and unit.posture in (Posture.WITHDRAW, Posture.ROUT)
                and self.crossing_state[cid] in ("intact", "pontoon")
                and self.enemy_near(prev, unit.side)
                and self.random.random() < self.params.demolition_probability):
            self.destroy_crossing(cid, cause=f"demolished by withdrawing {unit.side} forces")

    def enemy_near(self, node: str, side: str) -> bool:
        enemy = self.enemy_xy(side)
        if not len(enemy):
            return False
        d = np.hypot(*(enemy - self.node_xy[self.node_index[node]]).T)
        return bool((d <= self.params.presence_km).any())

    def start_pontoon(self, unit: Unit, cid: str) -> None:
        """Engineers work one hour on a pontoon; done after pontoon_build_hours."""
        c = self.theatre.crossings[cid]
        far = c.v if unit.node == c.u else c.u
        if far in self.occupied_by(other(unit.side)):
            return  # no bridging under the guns of troops on the far bank
        work = self.pontoon_work.get(cid, 0.0) + 1.0
        self.pontoon_work[cid] = work
        unit.hours_in_place = 0.0
        if work >= self.params.pontoon_build_hours and self.crossing_state[cid] in BRIDGEABLE:
            self.crossing_state[cid] = "pontoon"
            self.log("pontoon_built", unit=unit, node=unit.node, target=cid,
                     text=f"{unit.name} bridges the {c.river} near {self.place_name(unit.node)}")

    # ------------------------------------------------------------------ combat
    def unit_power(self, unit: Unit, *, attacking: bool, node: str,
                   across_river: bool = False) -> float:
        """Combat power of one unit in a battle at `node` (docs/model.md, Combat)."""
        p = self.params
        power = combat.raw_power(unit.equipment, self.weights) * unit.quality
        power *= combat.supply_factor(unit.supply, p) * combat.morale_factor(unit.morale, p)
        power *= combat.fatigue_factor(unit.fatigue, p)
        if unit.posture == Posture.ROUT:
            return power * p.rout_combat_factor
        if attacking:
            if across_river:
                power *= p.river_attack_multiplier
            if self.in_surprise(unit.side):
                power *= p.surprise_multiplier
            return power
        if unit.posture == Posture.DEFEND:
            # Digging in needs supply (timber, mines, fuel for the engineers' vehicles).
            prepared = (unit.hours_in_place >= p.dig_in_hours
                        and unit.supply_km <= p.supply_range_km)
            power *= p.prepared_defence_multiplier if prepared else p.defend_multiplier
        return power * combat.terrain_factor(self.graph.nodes[node]["terrain"], p)

    def battles(self) -> dict[str, tuple[list[Unit], list[Unit]]]:
        """node -> (attackers, defenders) for every node under attack this hour."""
        out: dict[str, tuple[list[Unit], list[Unit]]] = {}
        for unit in self.active_units():
            unit.in_combat = False
            v = unit.next_node
            if (v and unit.task == "attack" and unit.posture == Posture.ATTACK
                    and v in self.occupied_by(other(unit.side))):
                out.setdefault(v, ([], []))[0].append(unit)
        for v, (att, dfd) in out.items():
            side = att[0].side
            att[:] = [u for u in att if u.side == side]
            dfd.extend(u for u in self.active_units(other(side)) if u.node == v)
        return {v: out[v] for v in sorted(out)}

    def fog_of_war(self, node: str) -> float:
        """Log-normal multiplier on a battle's ratio, drawn once per node and day."""
        if self.params.combat_noise <= 0:
            return 1.0
        key = (node, (self.now - self.start).days)
        if key not in self.fog:
            self.fog[key] = float(np.exp(self.rng.normal(0.0, self.params.combat_noise)))
        return self.fog[key]

    def fire_support(self, battles: dict, engaged: set[str]) -> dict[tuple[str, str], float]:
        """Artillery and rockets not in a battle support the nearest battle within range."""
        p = self.params
        support: dict[tuple[str, str], float] = {}
        if not battles:
            return support
        nodes = list(battles)
        bxy = self.node_xy[[self.node_index[n] for n in nodes]]
        for unit in self.active_units():
            if unit.key in engaged or not unit.holds_ground:
                continue
            fire = unit.equipment[combat.ARTILLERY] * p.weight_artillery
            rockets = unit.equipment[combat.MLRS] * p.weight_mlrs
            if fire + rockets <= 0:
                continue
            d = np.linalg.norm(bxy - self.node_xy[self.node_index[unit.node]], axis=1)
            j = int(np.argmin(d))
            value = (fire if d[j] <= p.artillery_range_km else 0.0) + \
                    (rockets if d[j] <= p.mlrs_range_km else 0.0)
            if value > 0:
                key = (nodes[j], unit.side)
                support[key] = support.get(key, 0.0) + (
                    value * p.fire_support_factor * combat.supply_factor(unit.supply, p))
        return support

    def combat_phase(self) -> None:
        p = self.params
        battles = self.battles()
        engaged = {u.key for att, dfd in battles.values() for u in att + dfd}
        support = self.fire_support(battles, engaged)
        for node in list(self.siege):
            if node not in battles:
                del self.siege[node]
        for node, (att, dfd) in battles.items():
            side = att[0].side
            p_att = sum(self.unit_power(
                u, attacking=True, node=node,
                across_river=self.graph.edges[u.node, node].get("crossing") is not None)
                for u in att) + support.get((node, side), 0.0)
            p_def = sum(self.unit_power(u, attacking=False, node=node) for u in dfd)
            p_def += support.get((node, other(side)), 0.0)
            ratio = p_att / max(p_def, 1e-6) * self.fog_of_war(node)
            rates = combat.loss_fractions(ratio, p)
            for units, rate in ((att, rates.attacker), (dfd, rates.defender)):
                fractions = combat.item_loss_fractions(rate, p)
                for u in units:
                    lost = combat.apply_losses(u.equipment, fractions, u.loss_carry)
                    u.lost += lost
                    u.losses_this_hour += rate
                    u.in_combat = True
                    u.fatigue = min(1.0, u.fatigue + p.fatigue_per_march_hour)
            terrain = self.graph.nodes[node]["terrain"]
            self.siege[node] = self.siege.get(node, 0.0) + combat.ground_gain(ratio, p, terrain)
            for u in att:
                u.stalled_hours = u.stalled_hours + 1.0 if ratio < p.capture_ratio else 0.0
                if u.stalled_hours >= p.attack_stall_hours:
                    u.stalled_hours = 0.0
                    u.task, u.posture, u.objective = "hold", Posture.DEFEND, None
                    u.route, u.next_node, u.progress_km = [], None, 0.0
                    self.log("attack_stalled", unit=u, node=u.node,
                             text=f"{u.name}: attack on {self.place_name(node)} called off")
            self.record.battle(self, node, side, ratio)
            if self.siege[node] >= 1.0:
                del self.siege[node]
                self.force_out(node, dfd, side)

    def force_out(self, node: str, defenders: list[Unit], attacker_side: str) -> None:
        """The attack has taken the node: defenders fall back to a neighbour they hold that
        the attacker is not attacking from, and from there on to their side's next line (the
        scenario's fallback places) if it has one. With no way out they surrender."""
        attack_from = {u.node for u in self.active_units(attacker_side) if u.next_node == node}
        exits = sorted(nb for nb in self.graph.neighbors(node)
                       if self.control[nb] != attacker_side and nb not in attack_from
                       and nb not in self.occupied_by(attacker_side)
                       and crossing_factor(self.graph.edges[node, nb], self) is not None)
        self.log("node_taken", node=node, side=attacker_side,
                 text=f"{attacker_side} forces break into {self.place_name(node)}")
        for u in defenders:
            if not u.active:
                continue
            u.morale = max(0.0, u.morale - FORCED_OUT_MORALE)
            if not exits:
                self.surrender(u)
                continue
            _, way_back = self.fallback_route(u, start=node)
            dest = (way_back[0] if way_back and way_back[0] in exits
                    else min(exits, key=lambda nb: (-self._safety(nb, u.side), nb)))
            u.cell = self.space[dest]
            u.route, u.next_node, u.progress_km = [], None, 0.0
            u.hours_in_place = 0.0
            hurried = self.params.rout_abandon_per_hour * FORCED_OUT_ABANDON_HOURS
            self.leave_behind(u, u.abandon(hurried), node)
            if u.posture != Posture.ROUT:
                u.posture, u.task, u.objective = Posture.DEFEND, "hold", None
                if self.scenario.fallback.get(u.side):
                    self.fall_back(u, Posture.WITHDRAW, "falls back to its next line")
        self._positions_changed()

    def _safety(self, node: str, side: str) -> float:
        """How far behind its side's lines a node is (for choosing where to fall back)."""
        d = self.nets[side].distance(node)
        return -d if math.isfinite(d) else -1e9

    # ------------------------------------------------------------------ morale
    def morale_phase(self) -> None:
        p = self.params
        for u in self.active_units():
            m = u.morale - p.morale_loss_per_casualty * u.losses_this_hour
            if not math.isfinite(u.supply_km):
                m -= p.morale_isolation_per_hour
                if u.supply < ABANDON_SUPPLY:
                    self.leave_behind(u, u.abandon(p.rout_abandon_per_hour))
            elif u.threat_hours > 0:
                m -= p.morale_threat_per_hour
            elif not u.in_combat and u.supply_km <= p.supply_range_km:
                m += p.morale_recovery_per_hour * (
                    ROUT_RECOVERY_SHARE if u.posture == Posture.ROUT else 1.0)
            if u.posture == Posture.ROUT:
                self.leave_behind(u, u.abandon(p.rout_abandon_per_hour))
            rested = not u.in_combat and u.march_hours_today == 0
            if rested and u.supply_km <= p.supply_range_km:  # rest needs food and fuel
                u.fatigue = max(0.0, u.fatigue - p.fatigue_recovery_per_hour)
            u.morale = min(1.0, max(0.0, m))
            u.losses_this_hour = 0.0

    # ------------------------------------------------------------------ record helpers
    def place_name(self, node: str | None) -> str:
        return self.graph.nodes[node]["name"] if node else "-"

    def log(self, kind: str, *, text: str, unit: Unit | None = None, node: str | None = None,
            side: str | None = None, target: str | None = None) -> None:
        self.record.event(self, kind, text=text, unit=unit, node=node,
                          side=side or (unit.side if unit else None), target=target)

    def battles_fought(self) -> int:
        """Battle-hours fought so far."""
        return len(self.record.battles)

    def totals(self) -> dict:
        """Held area and settlements by side (for the record and reporters; computed once
        per step)."""
        if self._totals_cache is None or self._totals_cache[0] != self.steps:
            self._totals_cache = (self.steps, held_totals(self))
        return self._totals_cache[1]
