"""The model and its turn: `CampaignModel`, one step = one hour from the scenario's start.

A step reads like a wargame turn:
    events -> arrivals -> commanders -> units' own decisions -> movement -> combat -> fire on
    crossings -> supply -> morale -> control -> record
Who decides: sim/model/commander.py (a side's commander carrying out its plan,
sim/model/plan.py) and sim/model/units.py (each unit's own rules and behaviour). The rules of
the game: sim/model/rules/ (movement, combat, crossings, morale, control; supply is traced by
the world). The state they share is one `World` (sim/model/world.py) on one `RoadNetwork`
(sim/model/network.py). This module builds them from the scenario and wires the phases in
order; it holds no rule of its own.
"""

from __future__ import annotations

from datetime import datetime

import mesa
import numpy as np
from mesa.discrete_space import Network

from sim.map.theatre import Theatre
from sim.model.commander import Commander
from sim.model.network import RoadNetwork
from sim.model.params import Parameters
from sim.model.plan import Plan
from sim.model.rules import front
from sim.model.rules.combat import Battle, combat_phase
from sim.model.rules.control import update_control
from sim.model.rules.crossings import pontoons_under_fire
from sim.model.rules.events import apply_events
from sim.model.rules.morale import morale_phase
from sim.model.rules.movement import movement_phase
from sim.model.rules.supply import draw_supply
from sim.model.units import Unit
from sim.model.world import CrossingState, DepotState, FireBase, World, start_control
from sim.runs.record import RunRecord
from sim.scenario import SIDES, Posture, Scenario, Side, UnitSpec, other
from sim.scenario.theatre import theatre_for


class CampaignModel(mesa.Model):
    """An operation replayed hour by hour.

    Args:
        scenario: the validated scenario (places resolved to node ids).
        theatre: the map (with the places the scenario adds: `theatre_for(scenario)`); the
            scenario's own map when omitted.
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
        if any(p.id not in self.theatre.graph for p in scenario.places) or any(
            c.id not in self.theatre.crossings for c in scenario.new_crossings
        ):
            raise ValueError(
                "the map lacks the scenario's places or crossings: pass theatre_for(scenario)"
            )
        self.params = params or scenario.parameters_with()
        by_side = scenario.side_parameters(self.params)
        self.side_params: dict[Side, Parameters] = {s: by_side[s] for s in SIDES}
        self.network = RoadNetwork(self.theatre)
        self.space = Network(self.theatre.graph, random=self.random)
        self.record = RunRecord.begin(scenario, self.params, seed, self.network)
        self.world: World[Unit] = World(
            self.network,
            control=start_control(scenario, self.theatre),
            crossings=self._crossings_at_start(),
            depots={d.id: DepotState(d.id, d.side, d.at, d.kind) for d in scenario.depots},
            indestructible={c for c, s in scenario.crossings.items() if s == "indestructible"},
            rigged={c for c, s in scenario.crossings.items() if s == "rigged"},
            physics=self.params.physics(),
            doctrine={s: ps.doctrine() for s, ps in self.side_params.items()},
            start=scenario.start,
            journal=self.record,
            random=self.random,
            rng=self.rng,
            fires=self._fires(),
            unit_rows=len(scenario.units),
        )
        self.pending_events = sorted(scenario.events, key=lambda e: e.at)
        self._fallback = {g_unit: g.fallback for g in scenario.groupings for g_unit in g.units}
        arriving = [(s.arrives, i, s) for i, s in enumerate(scenario.units) if s.arrives]
        self._arrivals = sorted(arriving, key=lambda t: (t[0], t[1]))
        for i, spec in enumerate(scenario.units):
            if spec.arrives is None:
                unit = self._place(spec, i, spec.at)
                # in position before the start: since its sourced in_position_since, or else
                # long enough to be dug in (prepared)
                since = scenario.hours_in_position(spec)
                if since is not None:
                    unit.hours_in_place = max(since, 0.0)
                elif unit.posture == Posture.DEFEND:
                    unit.hours_in_place = self.world.physics.dig_in_hours
        self.plan = Plan(scenario)
        self.commanders = {s: Commander(self, s, self.world, self.plan, scenario) for s in SIDES}
        self.battles: dict[str, Battle] = {}  # the last combat phase's, for the commanders
        self.supply_phase()
        for unit in self.world.active_units():  # the positions held at the start
            unit.position_supply_km = unit.supply_km
        self.record.hour(self.world, [], front.hold_code(self.world))

    def _crossings_at_start(self) -> dict[str, CrossingState]:
        """Bridges stand, fords and unbridged stretches are what they are, unless the scenario
        says otherwise (`crossings:`; "indestructible" and "rigged" stand)."""
        out = {
            cid: CrossingState("intact" if c.kind in ("bridge", "rail_bridge") else c.kind)
            for cid, c in self.theatre.crossings.items()
        }
        for cid, s in self.scenario.crossings.items():
            out[cid] = CrossingState("intact" if s in ("indestructible", "rigged") else s)
        return out

    def _fires(self) -> list[FireBase]:
        """The scenario's guns beyond the map's edge, placed on the map's projection."""
        out = []
        for fire in self.scenario.fires:
            points = fire.positions(self.theatre)
            if not points:
                continue
            x, y = self.theatre.project(
                np.array([lon for _, lon in points]), np.array([lat for lat, _ in points])
            )
            xy = np.column_stack([x, y])
            out.append(
                FireBase(
                    fire.side, xy, fire.guns, fire.rockets, fire.range_km, fire.start, fire.until
                )
            )
        return out

    def _place(self, spec: UnitSpec, index: int, at: str) -> Unit:
        """A unit enters the map at `at`."""
        fallback = self._fallback.get(spec.id) or self.scenario.fallback.get(spec.side, [])
        unit = Unit(self, spec, index, self.world, fallback)
        unit.cell = self.space[at]
        self.world.enter(unit)
        return unit

    # ------------------------------------------------------------------ the turn
    def step(self) -> None:
        """One hour: events, arrivals, commanders, units, movement, combat, fire on crossings,
        supply, morale, control, record."""
        world = self.world
        world.begin_hour(self.steps)
        apply_events(world, self.pending_events)
        self.arrivals()
        for side in SIDES:
            self.commanders[side].step(self.battles)
        units = self.agents_by_type.get(Unit)
        if units is not None:
            units.shuffle_do("step")  # each unit's own decisions, in random order
        movement_phase(world)
        self.battles = combat_phase(world)
        for node, battle in self.battles.items():
            self.record.battle(world.end_of_hour, node, battle.attacker, battle.ratio)
        pontoons_under_fire(world)
        self.supply_phase()
        morale_phase(world)
        changes = update_control(world)
        world.end_hour()
        self.record.hour(world, changes, front.hold_code(world))
        if world.now >= self.scenario.end:
            self.running = False

    def supply_phase(self) -> None:
        """Each side's supply traced over the world as it is now; each unit draws on it."""
        world = self.world
        world.supply_lines = {
            s: world.supply_net(s, blocked=front.supply_blocked(world, s)) for s in SIDES
        }
        draw_supply(world)

    def arrivals(self) -> None:
        """Reinforcements enter the map at their place, or, if the enemy has taken it, at the
        nearest place (by road) their side still holds without enemy troops in it."""
        world, name = self.world, self.network.name
        while self._arrivals and self._arrivals[0][0] <= world.now:
            _, index, spec = self._arrivals.pop(0)
            at = self._entry(spec.at, spec.side)
            unit = self._place(spec, index, at)
            moved = (
                "" if at == spec.at else f" at {name(at)} ({name(spec.at)} is held by the enemy)"
            )
            world.log("arrival", unit=unit, node=unit.node, text=f"{unit.name} arrives{moved}")
            self.commanders[unit.side].on_arrival(unit)

    def _entry(self, node: str, side: Side) -> str:
        control, enemy_held = self.world.control, self.world.occupied_by(other(side))
        if control[node] == side and node not in enemy_held:
            return node
        nearest = self.network.nearest_by_road(
            node, lambda n: control[n] == side and n not in enemy_held
        )
        return nearest or node

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

    # ------------------------------------------------------------------ what-ifs and queries
    def use_parameters(self, params: Parameters, side_params: dict[Side, Parameters]) -> None:
        """New parameters from now on (a what-if, sim/whatif/branch.py): the world's physics
        and doctrine, and the record's parameters."""
        self.params, self.side_params = params, side_params
        self.world.set_laws(params.physics(), {s: ps.doctrine() for s, ps in side_params.items()})
        self.record.parameters = params.model_dump()

    @property
    def now(self) -> datetime:
        return self.world.now

    def unit(self, key: str) -> Unit | None:
        """The unit with this id if it is on the map."""
        return self.world.unit(key)

    @property
    def gone(self) -> list[Unit]:
        """The units that have surrendered or disbanded, in the order they left."""
        return self.world.gone
