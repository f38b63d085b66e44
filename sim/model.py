"""The world and its step: `CampaignModel`, one step = one hour from the scenario's start.

A step reads like a wargame turn:
    events -> arrivals -> commanders -> units' own decisions -> movement -> combat (and fire on
    crossings) -> supply -> morale -> control -> record
Who decides is in sim/commander.py (a side's commander carrying out the plan, sim/plan.py) and
sim/doctrine.py (a unit's own rules); the rules of the game are in sim/movement.py,
sim/battle.py (the combat phase; its arithmetic: sim/combat.py), sim/crossings.py (bridges
blown, pontoons, fire on crossings), sim/supply.py and sim/control.py. The state they share is
one `World` (sim/world.py). This module wires them in order, keeps the units (Mesa agents on
the map) and answers the rules' questions about them (where each side holds ground:
sim/positions.py).
"""

from __future__ import annotations

import math
from datetime import timedelta

import mesa
import networkx as nx
import numpy as np
from mesa.discrete_space import Network

from sim import battle, combat, crossings
from sim.combat import HEAVY, ITEMS, PERSONNEL
from sim.commander import Commander
from sim.control import held_totals, update_control
from sim.movement import move
from sim.params import Parameters
from sim.plan import OrderState, plan_orders
from sim.positions import Positions
from sim.record import RunRecord
from sim.scenario import SIDES, Grouping, Posture, Scenario, Status, other
from sim.scenario.theatre import theatre_for
from sim.supply import CostGraph, EdgeArrays, trace, update_supply
from sim.theatre import Theatre, points_in_polygon
from sim.units import Unit
from sim.world import CrossingState, DepotState, World


class CampaignModel(mesa.Model):
    """An operation replayed hour by hour.

    Args:
        scenario: the validated scenario (places resolved to node ids).
        theatre: the map; built from assets/map when omitted.
        params: all model parameters; the scenario's parameters block over the defaults when
            omitted. A side's doctrine values (sides.<S>.doctrine) apply over them for that side.
        seed: seed of the model's random generators (combat fog, bridge demolitions, events).
    """

    def __init__(
        self,
        scenario: Scenario,
        theatre: Theatre | None = None,
        params: Parameters | None = None,
        *,
        seed: int = 0,
    ):
        super().__init__(rng=seed)
        self.seed = seed
        self.scenario = scenario
        self.theatre = theatre or theatre_for(scenario)
        if any(p.id not in self.theatre.graph for p in scenario.places):
            raise ValueError("the map lacks the scenario's places: pass theatre_for(scenario)")
        self.params = params or scenario.parameters_with()
        self.side_params = scenario.side_parameters(self.params)
        self.graph = self.theatre.graph
        self.space = Network(self.graph, random=self.random)
        self.start = scenario.start
        self.end = scenario.end
        self.now = self.start
        self.weights = combat.item_weights(self.params)

        self.node_ids: list[str] = list(self.theatre.node_ids)
        self.node_index = {n: i for i, n in enumerate(self.node_ids)}
        # the same, with -1 for no node (a unit not on the road, or with no objective)
        self.node_index_or_none: dict[str | None, int] = {n: i for n, i in self.node_index.items()}
        self.node_index_or_none[None] = -1
        g = self.graph
        self.node_xy = np.array([[g.nodes[n]["x_km"], g.nodes[n]["y_km"]] for n in self.node_ids])
        self.node_area = np.array([g.nodes[n]["area_km2"] for n in self.node_ids])
        self.urban = np.array([g.nodes[n]["terrain"] == "urban" for n in self.node_ids])
        self.edges = EdgeArrays.of(g, self.node_index)
        self.cost_graph = CostGraph(len(self.node_ids), self.edges.u, self.edges.v)
        self.supply_cache: dict = {}
        self._totals_cache: tuple[int, dict] | None = None
        self._control_quiet: tuple | None = None  # inputs of an hour with no change of control
        self._standing: tuple[int, np.ndarray] | None = None  # supply.standing_edges

        crossing_states = {
            cid: CrossingState("intact" if c.kind in ("bridge", "rail_bridge") else c.kind)
            for cid, c in self.theatre.crossings.items()
        }
        crossing_states.update(
            {
                cid: CrossingState("intact" if s == "indestructible" else s)
                for cid, s in scenario.crossings.items()
            }
        )
        self.world = World(
            control=self._initial_control(),
            crossings=crossing_states,
            depots={d.id: DepotState(d.id, d.side, d.at, d.kind) for d in scenario.depots},
            indestructible={cid for cid, s in scenario.crossings.items() if s == "indestructible"},
        )
        self.initial_held = {
            s: np.array([self.world.control[n] == s for n in self.node_ids]) for s in SIDES
        }
        self.pending_events = sorted(scenario.events, key=lambda e: e.at)
        self._groupings = {uid: g for g in scenario.groupings for uid in g.units}
        self._side_of = {u.id: u.side for u in scenario.units}

        self._units: dict[str, Unit] = {}  # on the map, by id
        self.gone: list[Unit] = []  # surrendered or disbanded (removed from the model)
        self._pending = sorted(
            (
                (spec.arrives, i, spec)
                for i, spec in enumerate(scenario.units)
                if spec.arrives is not None
            ),
            key=lambda t: (t[0], t[1]),
        )
        for i, spec in enumerate(scenario.units):
            if spec.arrives is None:
                unit = self._place(spec, i)
                if unit.posture == Posture.DEFEND:  # in position before the start: dug in
                    unit.hours_in_place = self.params.dig_in_hours
        self._positions: Positions | None = None
        self._held: tuple[int, dict[str, np.ndarray]] | None = None
        self._code: tuple[int, str] | None = None
        self._crossings_out: tuple[int, dict[str, str]] | None = None
        self._roster: dict | None = None
        self.last_battles: dict[str, tuple[str, float, list[Unit]]] = {}

        self.plan = plan_orders(self)
        self._order_by_id = {o.id: o for o in self.plan}
        self.commanders = {s: Commander(self, s) for s in SIDES}
        self.record = RunRecord.begin(self)
        self.nets = {s: trace(self, s) for s in SIDES}
        update_supply(self, self.nets)
        for unit in self.active_units():  # the positions held at the start
            unit.position_supply_km = unit.supply_km
        self.record.hour(self, [])

    # ------------------------------------------------------------------ setup
    def _initial_control(self) -> dict[str, str]:
        g, spec = self.graph, self.scenario.control
        control = {n: ("RU" if g.nodes[n]["country"] == "RU" else "UA") for n in g.nodes}
        nodes = list(g.nodes)
        lon = np.array([g.nodes[n]["lon"] for n in nodes])
        lat = np.array([g.nodes[n]["lat"] for n in nodes])
        for region in spec.regions:
            inside = points_in_polygon(lon, lat, np.array(region.polygon))
            for n in np.array(nodes, dtype=object)[inside]:
                control[n] = region.side
        for side, nodes in spec.nodes.items():
            for n in nodes:
                control[n] = side
        for spec_u in self.scenario.units:  # a unit on the map at the start holds its node
            if spec_u.arrives is None:
                control[spec_u.at] = spec_u.side
        return {n: control[n] for n in self.theatre.node_ids}

    def _place(self, spec, index: int, at: str | None = None) -> Unit:
        unit = Unit(self, spec, index)
        unit.cell = self.space[at or spec.at]
        self._units[spec.id] = unit
        self._roster = None
        return unit

    # ------------------------------------------------------------------ queries
    def params_of(self, side: str) -> Parameters:
        """The parameters with `side`'s doctrine values (sides.<S>.doctrine)."""
        return self.side_params[side]

    def active_units(self, side: str | None = None) -> list[Unit]:
        """The units on the map (of one side), in the order they entered it. They are the
        model's Unit agents (Mesa's AgentSet): surrendered and disbanded units are removed."""
        if self._roster is None:
            units = self.agents_by_type.get(Unit)
            everyone = list(units) if units is not None else []
            self._roster = {
                None: everyone,
                **{s: [u for u in everyone if u.side == s] for s in SIDES},
            }
        return self._roster[side]

    def unit(self, uid: str) -> Unit | None:
        """The unit with this id if it is on the map."""
        return self._units.get(uid)

    def unit_gone(self, uid: str) -> bool:
        """Whether the unit has surrendered or disbanded."""
        return any(u.key == uid for u in self.gone)

    def side_of_unit(self, uid: str) -> str:
        return self._side_of[uid]

    def grouping_of(self, unit: Unit) -> Grouping | None:
        return self._groupings.get(unit.key)

    def order_state(self, order_id: str) -> OrderState:
        return self._order_by_id[order_id].state

    def enemy_xy(self, side: str, advancing: bool = False) -> np.ndarray:
        """Positions (km) of the enemy's units holding ground, or only of those attacking or
        moving (cached within a phase)."""
        pos = self.positions()
        return (pos.advancing_xy if advancing else pos.xy)[other(side)]

    def occupied_by(self, side: str) -> set[str]:
        """Nodes where `side` has a unit holding ground (cached within a phase)."""
        return self.positions().nodes[side]

    def positions(self) -> Positions:
        """Where each side holds ground now (cached until a unit moves or changes posture:
        positions_changed)."""
        if self._positions is None:
            self._positions = Positions(self)
        return self._positions

    def held(self, side: str) -> np.ndarray:
        """Boolean per node (theatre order): `side` holds it now (cached by the world's
        version, which every change of control bumps)."""
        version = self.world.version
        if self._held is None or self._held[0] != version:
            ua = np.array([self.world.control[n] == "UA" for n in self.node_ids])
            self._held = (version, {"UA": ua, "RU": ~ua})
        return self._held[1][side]

    def control_code(self) -> str:
        """Control as one string in node order ('U' or 'R' per node), for frames (cached by
        the world's version)."""
        version = self.world.version
        if self._code is None or self._code[0] != version:
            self._code = (version, self.world.control_code(self.node_ids))
        return self._code[1]

    def crossings_out(self) -> dict[str, str]:
        """Crossings that do not stand as built: id -> "destroyed" or "pontoon" (cached by
        the crossings' version; read only)."""
        version = self.world.crossings_version
        if self._crossings_out is None or self._crossings_out[0] != version:
            self._crossings_out = (
                version,
                {
                    c: s.value
                    for c, s in sorted(self.world.crossings.items())
                    if s in ("destroyed", "pontoon")
                },
            )
        return self._crossings_out[1]

    def positions_changed(self) -> None:
        self._positions = None

    def prepared(self, unit: Unit) -> bool:
        """Dug in: in place for dig_in_hours, and in supply (digging in needs timber, mines
        and fuel for the engineers' vehicles)."""
        return (
            unit.hours_in_place >= self.params.dig_in_hours
            and unit.supply_km <= self.params.supply_range_km
        )

    # ------------------------------------------------------------------ the turn
    def step(self) -> None:
        """One hour: events, arrivals, commanders, units, movement, combat, supply, morale,
        control, record."""
        self.now = self.start + timedelta(hours=self.steps - 1)
        self.apply_events()
        self.arrivals()
        self.positions_changed()
        for side in SIDES:
            self.commanders[side].step()
        units = self.agents_by_type.get(Unit)
        if units is not None:
            units.shuffle_do("step")  # each unit's own decisions, in random order
        self.positions_changed()  # decisions may have put units on the road out
        self.movement_phase()
        battle.combat_phase(self)
        crossings.pontoons_under_fire(self)
        self.nets = {s: trace(self, s) for s in SIDES}
        update_supply(self, self.nets)
        self.morale_phase()
        changes = update_control(self, self.nets)
        self.positions_changed()
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
        w = self.world
        while self.pending_events and self.pending_events[0].at <= self.now:
            ev = self.pending_events.pop(0)
            if ev.probability < 1.0 and self.random.random() >= ev.probability:
                self.log("event_failed", text=f"{ev.kind} {ev.target} did not take effect")
                continue
            if ev.kind == "caption":
                self.log("caption", text=ev.text, side=ev.side)
            elif ev.kind == "destroy_bridge":
                assert ev.target is not None  # the schema requires a target for this kind
                self.destroy_crossing(ev.target, cause=ev.text or "strike")
            elif ev.kind == "strike_depot":
                assert ev.target is not None  # the schema requires a target for this kind
                w.depot_out(ev.target)
                self.log(
                    "depot_destroyed",
                    node=w.depots[ev.target].node,
                    side=w.depots[ev.target].side,
                    text=ev.text or "depot struck",
                )
            elif ev.kind == "surprise":
                assert ev.side is not None  # the schema requires a side for this kind
                w.surprise_until[ev.side] = ev.at + timedelta(hours=ev.hours)
                self.log("surprise", side=ev.side, text=ev.text or f"{ev.side} surprise")

    def arrivals(self) -> None:
        """Reinforcements enter the map at their place, or, if the enemy has taken it, at the
        nearest place (by road) their side still holds."""
        while self._pending and self._pending[0][0] <= self.now:
            _, index, spec = self._pending.pop(0)
            at = spec.at
            if self.world.control[at] != spec.side or at in self.occupied_by(other(spec.side)):
                at = self._nearest_held(at, spec.side)
            unit = self._place(spec, index, at)
            moved = (
                ""
                if at == spec.at
                else f" at {self.place_name(at)} ({self.place_name(spec.at)} is held by the enemy)"
            )
            self.log("arrival", unit=unit, node=unit.node, text=f"{unit.name} arrives{moved}")
            self.commanders[unit.side].on_arrival(unit)

    def _nearest_held(self, node: str, side: str) -> str:
        """The place nearest to `node` by road that `side` holds without enemy troops in it."""
        enemy_held = self.occupied_by(other(side))
        lengths = nx.single_source_dijkstra_path_length(self.graph, node, weight="length_km")
        held = [n for n in lengths if self.world.control[n] == side and n not in enemy_held]
        return min(held, key=lambda n: (lengths[n], n)) if held else node

    def destroy_crossing(self, cid: str, cause: str) -> None:
        w = self.world
        c = self.theatre.crossings[cid]
        if cid in w.indestructible:
            self.log("bridge_held", node=c.u, target=cid, text=f"{c.name} survives ({cause})")
        elif w.crossings[cid].destructible:
            w.set_crossing(cid, CrossingState.DESTROYED)
            self.log("bridge_destroyed", node=c.u, text=f"{c.name} destroyed ({cause})", target=cid)

    # ------------------------------------------------------------------ losses of units
    def surrender(self, unit: Unit) -> None:
        """Cut off with no way out: personnel become prisoners, equipment is captured."""
        taker = other(unit.side)
        self.world.captured[taker] += unit.equipment * HEAVY
        self.world.prisoners[taker] += unit.equipment[PERSONNEL]
        unit.abandoned += unit.equipment * HEAVY
        self.remove_unit(
            unit,
            Status.SURRENDERED,
            "surrenders, encircled and out of supply",
            leave_equipment=False,
        )

    def remove_unit(
        self, unit: Unit, status: Status, why: str, leave_equipment: bool = True
    ) -> None:
        """The unit leaves the map: it is removed from the model's agents (its last state
        stays in the record)."""
        if leave_equipment:
            self.leave_behind(unit, unit.abandon(1.0))
        self.log(status.value, unit=unit, node=unit.node, text=f"{unit.name} {why}")
        unit.status = status
        unit.route, unit.next_node = [], None
        unit.remove()
        del self._units[unit.key]
        self.gone.append(unit)
        self.record.gone(unit, self)
        self._roster = None
        self.positions_changed()

    def leave_behind(self, unit: Unit, items: np.ndarray, node: str | None = None) -> None:
        """Items abandoned at `node` (default the unit's); captured by the enemy when it takes
        the node, at once if the enemy already holds it."""
        if not items.any():
            return
        node = node or unit.node
        w = self.world
        if w.control[node] != unit.side:
            w.captured[w.control[node]] += items
            return
        pool = w.abandoned_at.setdefault(node, {})
        pool[unit.side] = pool.get(unit.side, np.zeros(len(ITEMS))) + items

    def capture_abandoned(self, node: str, taker: str) -> None:
        pool = self.world.abandoned_at.get(node, {})
        loser = other(taker)
        if loser in pool:
            self.world.captured[taker] += pool.pop(loser)

    # ------------------------------------------------------------------ movement
    def movement_phase(self) -> None:
        p = self.params
        if self.now.hour == 0:
            for u in self.active_units():
                u.march_hours_today = 0.0
        for unit in self.active_units():
            before = unit.node
            km = move(unit, self)  # arrive() refreshes the occupation cache on a new node
            if km > 0:
                unit.fatigue = min(1.0, unit.fatigue + p.fatigue_per_march_hour)
                unit.hours_in_place = 0.0
            elif unit.node == before:
                if unit.hours_in_place == 0.0:  # its first hour in a new position
                    unit.position_supply_km = unit.supply_km
                unit.hours_in_place += 1.0

    def arrive(self, unit: Unit, node: str, data: dict) -> None:
        """`unit` reaches `node` along an edge (`data`: the edge's); over a crossing, its side
        may blow the bridge behind it (sim/crossings.py, demolish_behind)."""
        prev = unit.node
        unit.cell = self.space[node]
        unit.route.pop(0)
        unit.next_node, unit.progress_km = None, 0.0
        self.positions_changed()
        cid = data.get("crossing")
        if cid:
            crossings.demolish_behind(self, unit, cid, prev, node)

    # ------------------------------------------------------------------ morale
    def morale_phase(self) -> None:
        p = self.params
        for u in self.active_units():
            m = u.morale - p.morale_loss_per_casualty * u.losses_this_hour
            in_range = u.supply_km <= p.supply_range_km
            if not math.isfinite(u.supply_km):
                m -= p.morale_isolation_per_hour
                if u.supply < p.abandon_supply:
                    self.leave_behind(u, u.abandon(p.rout_abandon_per_hour))
            if u.supply < p.low_supply_level:
                m -= p.low_supply_morale_per_hour * (1.0 - u.supply / max(p.low_supply_level, 1e-9))
            elif not u.in_combat and in_range:
                m += p.morale_recovery_per_hour * (
                    p.rout_recovery_share if u.posture == Posture.ROUT else 1.0
                )
            if u.posture == Posture.ROUT:
                self.leave_behind(u, u.abandon(p.rout_abandon_per_hour))
            rested = not u.in_combat and u.march_hours_today == 0
            if rested and in_range:  # rest needs food and fuel
                u.fatigue = max(0.0, u.fatigue - p.fatigue_recovery_per_hour)
            u.morale = min(1.0, max(0.0, m))
            u.losses_this_hour = 0.0

    # ------------------------------------------------------------------ record helpers
    def place_name(self, node: str | None) -> str:
        return self.graph.nodes[node]["name"] if node else "-"

    def log(
        self,
        kind: str,
        *,
        text: str,
        unit: Unit | None = None,
        node: str | None = None,
        side: str | None = None,
        target: str | None = None,
    ) -> None:
        self.record.event(
            self,
            kind,
            text=text,
            unit=unit,
            node=node,
            side=side or (unit.side if unit else None),
            target=target,
        )

    def totals(self) -> dict:
        """Held area and settlements by side (for the record; cached by the world's version,
        which every change of control bumps)."""
        if self._totals_cache is None or self._totals_cache[0] != self.world.version:
            self._totals_cache = (self.world.version, held_totals(self))
        return self._totals_cache[1]
