"""The state of the theatre during a run, in one typed object: `World`.

Everything the rules read or change lives here: who holds each place, the state of every
crossing, the depots, the units on the map (and those gone), the battles in progress (how much
of a place an attack has gained), equipment lying on the ground, what each side has captured,
the hour, the laws in force (the shared physics and each side's doctrine: a what-if may change
them during a run) and the run's random generators. The rules (sim/model/rules/) and the units
(sim/model/units.py) are written against it and the road network (sim/model/network.py); the
model (sim/model/campaign.py) only wires them in order.

What derives from the state is worked out when asked for and kept until the state it depends on
changes: the world counts the changes of each kind (`versions`: control, crossings, depots,
units), and `derived` keeps a value with the counts it was worked out at. Nobody invalidates a
cache by hand: a change goes through the world's own methods (`set_control`, `set_crossing`,
`depot_out`) or through a unit, which tells the world when it enters, leaves, moves or changes
its posture (`units_changed`). A rule module that needs a value of its own over the world
(a trace, a distance table) asks `derived` for it under its own name.
Keeping the state in one value is also what makes a run easy to snapshot and branch.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from random import Random
from typing import Any, Generic, Protocol, TypeVar

import numpy as np

from sim.map.geometry import points_in_polygon
from sim.map.theatre import Theatre
from sim.model.network import RoadNetwork
from sim.model.params_doctrine import DoctrineParameters
from sim.model.params_physics import PhysicsParameters
from sim.model.rules.combat_math import ITEMS, item_weights
from sim.model.rules.supply import SupplyNet, trace, untouched
from sim.model.table import UnitTable
from sim.scenario import SIDES, Scenario, Side

#: The kinds of change the world counts (`World.versions`): "laws" is the physics and doctrine
#: in force (a what-if may change them); "units RU" and "units UA" count the changes of one
#: side's units ("units" those of either).
CHANGES = ("control", "crossings", "depots", "units", "laws", "units RU", "units UA")
#: side -> the kind of change of its units (`World.units_changed`)
UNITS_OF: dict[str, str] = {s: f"units {s}" for s in SIDES}
T = TypeVar("T")


def declared_control(
    scenario: Scenario, theatre: Theatre
) -> tuple[dict[str, Side], dict[str, str]]:
    """Who holds each place at the start before units are placed, and why: by country, then the
    scenario's `control.regions` (polygons), then its `control.nodes`."""
    g = theatre.graph
    nodes = list(g.nodes)
    control: dict[str, Side] = {n: ("RU" if g.nodes[n]["country"] == "RU" else "UA") for n in nodes}
    why = dict.fromkeys(nodes, "by country")
    lon = np.array([g.nodes[n]["lon"] for n in nodes])
    lat = np.array([g.nodes[n]["lat"] for n in nodes])
    for r, region in enumerate(scenario.control.regions):
        inside = points_in_polygon(lon, lat, np.array(region.polygon, dtype=float))
        for n in np.array(nodes, dtype=object)[inside]:
            control[n], why[n] = region.side, f"control.regions[{r}]"
    for side, listed in scenario.control.nodes.items():
        for n in listed:
            control[n], why[n] = side, f"control.nodes.{side}"
    return control, why


def start_control(scenario: Scenario, theatre: Theatre) -> dict[str, Side]:
    """Who holds each place at the start (in network order): `declared_control`, and a unit on
    the map at the start holds its place."""
    control, _ = declared_control(scenario, theatre)
    for spec in scenario.units:
        if spec.arrives is None:
            control[spec.at] = spec.side
    return {n: control[n] for n in theatre.node_ids}


#: kinds of change -> what `World.derived` reads of the versions for them (made once each)
_READERS: dict[tuple[str, ...], Callable[[Mapping[str, int]], Any]] = {}


def _reader(on: tuple[str, ...]) -> Callable[[Mapping[str, int]], Any]:
    reader = _READERS.get(on)
    if reader is None:
        reader = _READERS[on] = operator.itemgetter(*on) if on else (lambda _: ())
    return reader


class CrossingState(StrEnum):
    """What a river crossing is now. Bridges start intact; fords and unbridged stretches keep
    their kind; engineers can turn a destroyed bridge or an unbridged stretch into a pontoon."""

    INTACT = "intact"
    DESTROYED = "destroyed"
    PONTOON = "pontoon"
    FORD = "ford"
    NONE = "none"  # no crossing at all (engineers only)

    @property
    def passable(self) -> bool:
        """Anyone may cross."""
        return self in (CrossingState.INTACT, CrossingState.FORD, CrossingState.PONTOON)

    @property
    def bridgeable(self) -> bool:
        """Engineers may build a pontoon here."""
        return self in (CrossingState.NONE, CrossingState.DESTROYED)

    @property
    def destructible(self) -> bool:
        """A strike or a demolition can put it out of use."""
        return self in (CrossingState.INTACT, CrossingState.PONTOON)


@dataclass
class DepotState:
    """A depot, railhead or base during the run."""

    id: str
    side: Side
    node: str
    kind: str  # "base" | "depot" | "railhead"
    working: bool = True


@dataclass(frozen=True)
class FireBase:
    """Guns firing into the map from beyond its edge or the border (a scenario's `offmap`
    artillery): `guns` tubes and `rockets` launchers of `side` at the positions `xy` (km, one
    row each), reaching `range_km`, from `start` to `until` (None: the whole run). Always in
    supply, never attacked: the map does not hold them."""

    side: Side
    xy: np.ndarray
    guns: int
    rockets: int
    range_km: float
    start: datetime | None = None
    until: datetime | None = None

    def active(self, t: datetime) -> bool:
        return (self.start is None or self.start <= t) and (self.until is None or t < self.until)


class Placed(Protocol):
    """What the world knows of a unit on the map (sim/model/units.py's `Unit`)."""

    @property
    def key(self) -> str: ...
    @property
    def side(self) -> Side: ...
    @property
    def node(self) -> str: ...
    @property
    def holds_ground(self) -> bool: ...
    @property
    def advancing(self) -> bool: ...


U = TypeVar("U", bound=Placed)


class Journal(Protocol):
    """Where the world's events go (the run's record, sim/runs/record.py)."""

    def event(
        self,
        end_of_hour: datetime,
        kind: str,
        *,
        text: str,
        unit_id: str,
        side: str,
        node: str | None,
        place: Mapping[str, Any],
        target: str | None,
    ) -> None: ...


class Positions:
    """Where each side's units hold ground (`Unit.holds_ground`: active, not routed, not a
    column on the road out), and which of them are advancing (attacking or moving). Per side:
    the places' indices (one per unit, in the order they entered the map), the places as a set,
    a boolean per place (network order) and the places' positions in km. The parts are worked
    out when first asked for."""

    def __init__(self, units: Iterable[Placed], network: RoadNetwork):
        self._network = network
        index = network.index
        self.index: dict[str, list[int]] = {s: [] for s in SIDES}
        self.advancing_index: dict[str, list[int]] = {s: [] for s in SIDES}
        for u in units:
            if u.holds_ground:
                i = index[u.node]
                self.index[u.side].append(i)
                if u.advancing:
                    self.advancing_index[u.side].append(i)

    @functools.cached_property
    def nodes(self) -> dict[str, set[str]]:
        ids = self._network.node_ids
        return {s: {ids[i] for i in self.index[s]} for s in SIDES}

    @functools.cached_property
    def mask(self) -> dict[str, np.ndarray]:
        return {s: self._mask(self.index[s]) for s in SIDES}

    @functools.cached_property
    def advancing_mask(self) -> dict[str, np.ndarray]:
        return {s: self._mask(self.advancing_index[s]) for s in SIDES}

    @functools.cached_property
    def xy(self) -> dict[str, np.ndarray]:
        return {s: self._network.xy[self.index[s]].reshape(-1, 2) for s in SIDES}

    @functools.cached_property
    def advancing_xy(self) -> dict[str, np.ndarray]:
        return {s: self._network.xy[self.advancing_index[s]].reshape(-1, 2) for s in SIDES}

    def _mask(self, index: list[int]) -> np.ndarray:
        out = np.zeros(len(self._network.node_ids), dtype=bool)
        out[index] = True
        return out


class World(Generic[U]):
    """Who holds what, who stands where, and what lies where, at the current hour.

    Attributes:
        network: the road network (static).
        control: node id -> the side that holds it.
        crossings: crossing id -> its state.
        indestructible: crossing ids that no strike or demolition can destroy (a what-if).
        rigged: crossing ids rigged for demolition: blown in the enemy's face
            (sim/model/rules/crossings.py, `demolish_in_front`).
        depots: depot id -> its state.
        units: the units on the map by id, in the order they entered it; `gone`: those that
            surrendered or disbanded, in the order they left.
        siege: node -> share of it (0..1) the current attack has gained.
        pontoon_work: crossing id -> engineer-hours spent bridging it; pontoon_hour: the
            hour engineers last worked on it.
        abandoned_at: node -> side -> items that side left there (captured by whoever takes it).
        captured: side -> items captured BY that side (ITEMS order).
        prisoners: side -> personnel taken prisoner BY that side.
        surprise_until: side -> end of its surprise window.
        fog: (node, day) -> the day's fog-of-war multiplier of a battle at that node.
        supply_lines: side -> its supply as traced in this hour's supply phase, which the
            units' supply and their decisions until the next supply phase go by.
        physics, doctrine: the shared physics and each side's doctrine in force; weights:
            the combat value points per item (ITEMS order) under that physics.
        start, now, hour: the run's start, the time now (the start of the hour being
            simulated, the end of it once it is done) and the number of that hour (1 for the
            first; 0 before it).
        random, rng: the run's random generators (Python's and numpy's), the model's own.
        fires: the guns firing into the map from beyond it (`FireBase`).
        table: the units' numbers, a row each (`UnitTable`; `unit_rows`: how many to make
            room for at once, the scenario's units).
        free_changes: place -> how many times it has changed hands by the presence or pocket
            rules (without troops fighting for it), for their limit (max_free_changes).
    """

    def __init__(
        self,
        network: RoadNetwork,
        *,
        control: dict[str, Side],
        crossings: dict[str, CrossingState],
        depots: dict[str, DepotState],
        indestructible: set[str],
        physics: PhysicsParameters,
        doctrine: dict[Side, DoctrineParameters],
        start: datetime,
        journal: Journal,
        random: Random,
        rng: np.random.Generator,
        fires: Iterable[FireBase] = (),
        rigged: Iterable[str] = (),
        unit_rows: int = 0,
    ):
        self.network = network
        self.table = UnitTable(unit_rows)
        self.fires: tuple[FireBase, ...] = tuple(fires)
        self.control = control
        self.crossings = crossings
        self.depots = depots
        self.indestructible = indestructible
        self.rigged = frozenset(rigged)
        self.units: dict[str, U] = {}
        self.gone: list[U] = []
        self.siege: dict[str, float] = {}
        self.pontoon_work: dict[str, float] = {}
        self.pontoon_hour: dict[str, int] = {}
        # (crossing, side) where that side holds one end and the enemy the other
        # (sim/model/rules/crossings.py, demolish_in_front)
        self.bridge_threats: set[tuple[str, Side]] = set()
        # side -> per place, whether its plan takes its troops into that country (commander.py)
        self.may_enter: dict[Side, np.ndarray] = {}
        self.abandoned_at: dict[str, dict[str, np.ndarray]] = {}
        self.captured: dict[str, np.ndarray] = {s: np.zeros(len(ITEMS)) for s in SIDES}
        self.prisoners: dict[str, float] = dict.fromkeys(SIDES, 0.0)
        self.surprise_until: dict[str, datetime] = {}
        self.free_changes: dict[str, int] = {}
        self.fog: dict[tuple[str, int], float] = {}
        self.supply_lines: dict[Side, SupplyNet] = {}
        self.physics = physics
        self.doctrine = doctrine
        self.weights = item_weights(physics)
        self.start, self.now, self.hour = start, start, 0
        self.journal = journal
        self.random, self.rng = random, rng
        self.versions = dict.fromkeys(CHANGES, 0)
        self._derived: dict[str, tuple[Hashable, Any]] = {}
        self._positions: tuple[int, Positions] | None = None
        self._roster: tuple[int, dict[Side | None, list[U]]] | None = None
        #: side -> the last supply trace, with what it was traced over (`supply_net`)
        self._last_trace: dict[Side, tuple[Hashable, np.ndarray, SupplyNet]] = {}
        self.initial_held = {s: self.held(s).copy() for s in SIDES}

    # ------------------------------------------------------------------ the hour
    def begin_hour(self, hour: int) -> None:
        """Hour `hour` (1 for the first) begins: `now` is its start."""
        self.hour, self.now = hour, self.start + timedelta(hours=hour - 1)

    def end_hour(self) -> None:
        """The hour is done: `now` is its end, the time its record carries."""
        self.now = self.start + timedelta(hours=self.hour)

    @property
    def end_of_hour(self) -> datetime:
        """The end of the hour being simulated: the time stamped on its events and battles."""
        return self.start + timedelta(hours=self.hour)

    def log(
        self,
        kind: str,
        *,
        text: str,
        unit: Placed | None = None,
        node: str | None = None,
        side: str | None = None,
        target: str | None = None,
    ) -> None:
        """An event of this hour in the run's record (stamped with the end of the hour)."""
        self.journal.event(
            self.end_of_hour,
            kind,
            text=text,
            unit_id=unit.key if unit else "",
            side=side or (unit.side if unit else "") or "",
            node=node,
            place=self.network.place(node),
            target=target,
        )

    # ------------------------------------------------------------------ changes
    def set_control(self, node: str, side: Side) -> None:
        self.control[node] = side
        self.versions["control"] += 1

    def set_crossing(self, crossing: str, state: CrossingState) -> None:
        self.crossings[crossing] = state
        self.versions["crossings"] += 1

    def depot_out(self, depot: str) -> None:
        self.depots[depot].working = False
        self.versions["depots"] += 1

    def destroy_crossing(self, cid: str, cause: str) -> None:
        """A strike, a demolition or fire on a crossing: destroyed if it can be, unless a
        what-if made it indestructible."""
        c = self.network.crossings[cid]
        if cid in self.indestructible:
            self.log("bridge_held", node=c.u, target=cid, text=f"{c.name} survives ({cause})")
        elif self.crossings[cid].destructible:
            self.set_crossing(cid, CrossingState.DESTROYED)
            self.log("bridge_destroyed", node=c.u, text=f"{c.name} destroyed ({cause})", target=cid)

    def set_laws(
        self, physics: PhysicsParameters, doctrine: dict[Side, DoctrineParameters]
    ) -> None:
        """New physics and doctrine from now on (a what-if). What is worked out from them is
        counted as a change of the laws, so it is worked out again."""
        self.physics, self.doctrine = physics, doctrine
        self.weights = item_weights(physics)
        self.versions["laws"] += 1

    def units_changed(self, side: Side | None = None) -> None:
        """A unit (of `side`; None: of either) has entered or left the map, moved to another
        place, or changed what it is doing there (sim/model/units.py calls this)."""
        versions = self.versions
        versions["units"] += 1
        for s in (side,) if side is not None else SIDES:
            versions[UNITS_OF[s]] += 1

    def enter(self, unit: U) -> None:
        self.units[unit.key] = unit
        self.units_changed(unit.side)

    def leave(self, unit: U) -> None:
        del self.units[unit.key]
        self.gone.append(unit)
        self.units_changed(unit.side)

    def leave_behind(self, side: Side, node: str, items: np.ndarray) -> None:
        """Items `side` abandoned at `node`: captured by the enemy when it takes the node, at
        once if the enemy already holds it."""
        if not items.any():
            return
        if self.control[node] != side:
            self.captured[self.control[node]] += items
            return
        pool = self.abandoned_at.setdefault(node, {})
        pool[side] = pool.get(side, np.zeros(len(ITEMS))) + items

    def capture_abandoned(self, node: str, taker: Side) -> None:
        """`taker` has taken `node`: what the other side left there is captured."""
        pool = self.abandoned_at.get(node, {})
        loser = "RU" if taker == "UA" else "UA"
        if loser in pool:
            self.captured[taker] += pool.pop(loser)

    # ------------------------------------------------------------------ questions
    def holds(self, node: str, side: Side) -> bool:
        return self.control[node] == side

    def passable(self, crossing: str | None) -> bool:
        """Whether an edge with this crossing (None: no river) can be used now."""
        return crossing is None or self.crossings[crossing].passable

    def in_surprise(self, side: Side) -> bool:
        return side in self.surprise_until and self.now < self.surprise_until[side]

    def has_depots(self, side: Side) -> bool:
        return any(d.side == side for d in self.depots.values())

    def unit(self, key: str) -> U | None:
        """The unit with this id if it is on the map."""
        return self.units.get(key)

    def unit_gone(self, key: str) -> bool:
        """Whether the unit has surrendered or disbanded."""
        return any(u.key == key for u in self.gone)

    # ------------------------------------------------------------------ derived
    def derived(
        self, name: str, compute: Callable[[], T], *, on: tuple[str, ...], key: Hashable = ()
    ) -> T:
        """The value `compute()` worked out at the world's present state of the kinds of
        change in `on` (CHANGES) and for `key` (the parameters it depends on); kept under
        `name` until one of them changes."""
        reader = _READERS.get(on) or _reader(on)
        stamp = (reader(self.versions), key)
        cached = self._derived.get(name)
        if cached is None or cached[0] != stamp:
            cached = self._derived[name] = (stamp, compute())
        return cached[1]

    def active_units(self, side: Side | None = None) -> list[U]:
        """The units on the map (of one side), in the order they entered it: read only."""
        version = self.versions["units"]
        if self._roster is None or self._roster[0] != version:
            everyone = list(self.units.values())
            by_side: dict[Side | None, list[U]] = {
                s: [u for u in everyone if u.side == s] for s in SIDES
            }
            by_side[None] = everyone
            self._roster = (version, by_side)
        return self._roster[1][side]

    def positions(self) -> Positions:
        """Where each side's units hold ground now."""
        version = self.versions["units"]
        if self._positions is None or self._positions[0] != version:
            self._positions = (version, Positions(self.units.values(), self.network))
        return self._positions[1]

    def occupied_by(self, side: Side) -> set[str]:
        """Places where `side` has a unit holding ground."""
        return self.positions().nodes[side]

    def enemy_xy(self, side: Side, advancing: bool = False) -> np.ndarray:
        """Positions (km) of the enemy's units holding ground, or only of those attacking or
        moving."""
        pos = self.positions()
        return (pos.advancing_xy if advancing else pos.xy)["RU" if side == "UA" else "UA"]

    def held(self, side: Side) -> np.ndarray:
        """Boolean per place (network order): `side` holds it now. Read only."""

        def masks() -> dict[str, np.ndarray]:
            ua = np.array([self.control[n] == "UA" for n in self.network.node_ids])
            return {"UA": ua, "RU": ~ua}

        return self.derived("held", masks, on=("control",))[side]

    def control_code(self) -> str:
        """Control as one string in node order ('U' or 'R' per node), for keys and frames."""
        ids = self.network.node_ids
        return self.derived(
            "control code",
            lambda: "".join("U" if self.control[n] == "UA" else "R" for n in ids),
            on=("control",),
        )

    def crossings_out(self) -> dict[str, str]:
        """Crossings that do not stand as built: id -> "destroyed" or "pontoon". Read only."""
        return self.derived(
            "crossings out",
            lambda: {
                c: s.value
                for c, s in sorted(self.crossings.items())
                if s in ("destroyed", "pontoon")
            },
            on=("crossings",),
        )

    def standing_edges(self) -> np.ndarray:
        """Boolean per edge (network order): its crossing, if any, can be used now. Read only."""
        return self.derived(
            "standing edges",
            lambda: np.array([self.passable(c) for c in self.network.edges.crossing]),
            on=("crossings",),
        )

    def supply_ground(self, side: Side, closed: np.ndarray) -> tuple[np.ndarray, list[DepotState]]:
        """What `side`'s supply is traced over: the places it holds that are not `closed` (a
        boolean per place), and its working depots on them."""
        held = self.held(side) & ~closed
        index = self.network.index
        depots = [
            d for d in self.depots.values() if d.side == side and d.working and held[index[d.node]]
        ]
        return held, depots

    def supply_net(self, side: Side, blocked: np.ndarray | None = None) -> SupplyNet:
        """`side`'s supply traced over the world as it is now (sim/model/rules/supply.py), not
        through the places `blocked` (a boolean per place: its own places in the enemy's zone
        of control with none of its troops in them, sim/model/rules/front.py)."""
        physics = self.physics
        closed = np.zeros(len(self.network.node_ids), dtype=bool) if blocked is None else blocked
        key = (physics.rail_cost_factor, physics.forward_depot_factor)

        def traced() -> SupplyNet:
            held, depots = self.supply_ground(side, closed)
            # the last trace again if only places it did not reach changed hands (unreached,
            # and with no neighbour reached, they stay so: supply.untouched); anything else
            # the trace reads (the crossings, the depots' states, the laws) unchanged
            stamp = (
                self.versions["crossings"],
                self.versions["depots"],
                key,
                tuple(d.id for d in depots),
            )
            last = self._last_trace.get(side)
            if last is not None and last[0] == stamp and untouched(last[2], last[1], held):
                net = last[2]
            else:
                standing = self.standing_edges()
                previous = last[2] if last is not None else None
                net = trace(self.network, side, held, depots, standing, physics, previous)
            self._last_trace[side] = (stamp, held, net)
            return net

        return self.derived(
            f"supply {side}",
            traced,
            on=("control", "crossings", "depots"),
            key=(*key, closed.tobytes()),
        )

    def totals(self) -> dict[str, dict[str, float]]:
        """Area (km²) and settlements held by each side now, and taken since the start."""

        def count() -> dict[str, dict[str, float]]:
            area = self.network.area_km2
            out: dict[str, dict[str, float]] = {}
            for s in SIDES:
                held = self.held(s)
                taken = held & ~self.initial_held[s]
                out[s] = {
                    "area_km2": float(area[held].sum()),
                    "settlements": int(held.sum()),
                    "area_taken_km2": float(area[taken].sum()),
                    "settlements_taken": int(taken.sum()),
                }
            return out

        return self.derived("totals", count, on=("control",))
