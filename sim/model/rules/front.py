"""Fronts and held ground: which stretch of the contact line each unit holds, and how thickly.

A unit holding a position (`holds_position`: standing in posture defend or reserve) covers a
**sector**: the places its side holds within `sector_reach_km` by road on its own bank of any
river. The **front km** of a place is the length of its territory cell's boundary with cells the
enemy holds (`RoadNetwork.cell_boundary_km`); a sector's front is the sum over its places, at
least `min_sector_front_km`. From these the rules ask:
- `Front.covered`: a place lies in one of its holder's sectors. The presence and pocket rules are
  silent there (sim/model/rules/control.py): it passes only by combat, against its defence;
- `defence`: who defends a place and with what share of their power: the units standing in it
  in full, each unit whose sector covers it with the place's share of the sector's front
  (at least its share of the sector's places);
- `density`: the combat power per km of front at a place (each covering unit's power over its
  sector's front km), which decides whether an attack through it moves at the opposed advance
  rate of a defence or at the pace of a march through a screen (force-to-space: combat_math,
  `advance_rate_kmday`);
- `Front.zoc`: a side's zone of control, the places where its units hold ground and those next
  to them over a standing crossing: a moving enemy column stops on entering one
  (`Unit.march`), and the enemy's supply is not traced through one it has no troops in
  (`supply_blocked`).
The sectors depend on where units stand, who holds what and which crossings stand: the world
keeps them until one of those changes (`World.derived`); the powers are read when asked, as
losses change them every hour.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar

import numpy as np

from sim.model.rules.combat_math import Fighter, base_power, base_powers
from sim.model.world import UNITS_OF, Placed, World
from sim.scenario import SIDES, Posture, Side, Status, Task, other


class Holding(Fighter, Placed, Protocol):
    """What the front needs to know of a unit beyond what the world knows of it (Placed):
    sim/model/units.py's Unit has all of it."""

    @property
    def next_node(self) -> str | None: ...
    @property
    def posture(self) -> Posture: ...
    @property
    def status(self) -> Status: ...
    @property
    def task(self) -> Task: ...
    @property
    def retreating(self) -> bool: ...
    @property
    def holds_position(self) -> bool: ...
    @property
    def index(self) -> int: ...


Unit = TypeVar("Unit", bound=Holding)

#: The postures and tasks of a unit that holds a position (and so a sector).
HOLDING_POSTURES = (Posture.DEFEND, Posture.RESERVE)
HOLDING_TASKS = (Task.HOLD, Task.RESERVE)


def holds_position(unit: Holding) -> bool:
    """Standing in a position: holding ground, in posture defend or reserve with the task to
    hold or stand by, not on the road (the unit keeps it with its stance: `Unit.holds_position`;
    `holds_position_long` works it out)."""
    return unit.holds_position


def holds_position_long(unit: Holding) -> bool:
    """`holds_position` worked out from the unit's posture, task and road (what the unit's kept
    stance must give: tests/test_speed.py)."""
    return (
        unit.holds_ground
        and unit.posture in HOLDING_POSTURES
        and unit.task in HOLDING_TASKS
        and unit.next_node is None
    )


@dataclass(frozen=True)
class Sector:
    """The places one holding unit covers (network indices) and the km of front they make."""

    places: tuple[int, ...]
    front_km: float


class Sectors:
    """The places a side's holding units cover: a boolean row per unit (network order), each
    sector's front km, and a boolean per place: some sector covers it. A sector's places are
    listed when first asked for, and kept with it (`places`, `nodes`: the commanders' watches
    ask for them every hour)."""

    def __init__(self, cover: np.ndarray, sector_km: np.ndarray):
        self.cover, self.sector_km, self.covered = cover, sector_km, cover.any(axis=0)
        self._places: dict[int, tuple[int, ...]] = {}
        self._nodes: dict[int, frozenset[str]] = {}

    def places(self, k: int) -> tuple[int, ...]:
        """The places (network indices) the sector of row `k` covers."""
        cached = self._places.get(k)
        if cached is None:
            cached = self._places[k] = tuple(int(j) for j in np.flatnonzero(self.cover[k]))
        return cached

    def nodes(self, k: int, node_ids: list[str]) -> frozenset[str]:
        """The same places' ids (`node_ids`: the network's)."""
        cached = self._nodes.get(k)
        if cached is None:
            cached = self._nodes[k] = frozenset(node_ids[i] for i in self.places(k))
        return cached


class SideFront:
    """One side's part of the front: the km of front of each place it holds (0 where it
    touches no enemy cell), its holding units (`units`; their ids `holders` and rows of the
    units' table `rows`, in the order they entered the map: all on the map while the front is
    kept), which places each covers (a boolean row per unit), each sector's front km, the
    places covered, its zone of control and the places it defends (`defended`; booleans per
    place, network order)."""

    def __init__(
        self,
        front_km: np.ndarray,
        units: Sequence[Holding],
        sectors: Sectors,
        zoc: np.ndarray,
        defended: np.ndarray,
    ):
        self.front_km, self.units = front_km, tuple(units)
        self.holders = tuple(u.key for u in units)
        self.rows = np.array([u.index for u in units], dtype=np.int64)
        self.sectors = sectors
        self.cover, self.sector_km, self.covered = sectors.cover, sectors.sector_km, sectors.covered
        self.zoc, self.defended = zoc, defended
        self.row = {key: k for k, key in enumerate(self.holders)}

    def covering(self, place: int) -> tuple[str, ...]:
        """The ids of the units whose sectors cover the place (network index)."""
        return tuple(self.holders[k] for k in np.flatnonzero(self.cover[:, place]))

    def sector(self, key: str) -> Sector:
        k = self.row[key]
        return Sector(self.sectors.places(k), float(self.sector_km[k]))

    def sector_nodes(self, key: str, node_ids: list[str]) -> frozenset[str]:
        """The ids of the places a holding unit's sector covers (`node_ids`: the network's),
        kept with the sectors."""
        return self.sectors.nodes(self.row[key], node_ids)


class Front:
    """The contact line as the units hold it now: a `SideFront` per side.

    Attributes (by side, for the rules' questions):
        front_km: km of front of each place the side holds.
        covered: boolean per place: it lies in one of the side's sectors.
        zoc: boolean per place: the side's zone of control.
    """

    def __init__(self, sides: dict[Side, SideFront]):
        self.sides = sides
        self.front_km = {s: f.front_km for s, f in sides.items()}
        self.covered = {s: f.covered for s, f in sides.items()}
        self.zoc = {s: f.zoc for s, f in sides.items()}

    def sector(self, key: str) -> Sector | None:
        """The sector of a holding unit (None for a unit that holds none)."""
        for f in self.sides.values():
            if key in f.row:
                return f.sector(key)
        return None

    def sector_nodes(self, key: str, node_ids: list[str]) -> frozenset[str]:
        """The ids of the places a holding unit's sector covers (empty for a unit that holds
        none)."""
        for f in self.sides.values():
            if key in f.row:
                return f.sector_nodes(key, node_ids)
        return frozenset()


def front(world: World) -> Front:
    """The front now (kept until a unit, the control or a crossing changes)."""
    physics = world.physics
    return world.derived(
        "front",
        lambda: _work_out(world),
        on=("control", "units", "crossings"),
        key=(physics.sector_reach_km, physics.min_sector_front_km),
    )


def _reach(world: World) -> np.ndarray:
    """Road km between places within sector_reach_km over standing crossings and no river."""
    radius = world.physics.sector_reach_km
    network = world.network
    return world.derived(
        "sector reach",
        lambda: network.distances_within(radius, world.standing_edges() & network.same_bank),
        on=("crossings",),
        key=radius,
    )


def _reach_mask(world: World) -> np.ndarray:
    """Boolean place x place: within sector_reach_km by road (`_reach`), kept with it."""
    radius = world.physics.sector_reach_km
    return world.derived(
        "sector reach mask", lambda: _reach(world) <= radius, on=("crossings",), key=radius
    )


def _work_out(world: World) -> Front:
    """Each side's part of the front (`side_front`)."""
    return Front({side: side_front(world, side) for side in SIDES})


def side_front(world: World, side: Side) -> SideFront:
    """One side's part of the front, kept while what it depends on stays: who holds what and
    which crossings stand, and where that side's units stand and whether they hold ground or a
    position (a unit of the other side moving does not change it; the stances are read again
    only when one of the side's own units has changed: `World.units_changed`)."""
    physics = world.physics
    # asked thousands of times an hour for a front that has not changed: one look at the
    # versions first, then at the stances
    return world.derived(
        _NAMES[side][0],
        lambda: _side_front_of_stances(world, side),
        on=_NAMES[side][1],
        key=(physics.sector_reach_km, physics.min_sector_front_km),
    )


#: side -> (`side_front`'s name for the world's kept values, the changes it is kept on)
_NAMES = {s: (f"side front now {s}", ("control", "crossings", UNITS_OF[s])) for s in SIDES}


def _side_front_of_stances(world: World, side: Side) -> SideFront:
    """`side_front` when the side's units, the control or the crossings have changed: the
    front kept again if the units' stances are the same."""
    physics = world.physics
    stances = tuple(
        (u.key, u.node, u.holds_ground, u.holds_position) for u in world.active_units(side)
    )
    return world.derived(
        f"side front {side}",
        functools.partial(_side_front, world, side),
        on=("control", "crossings"),
        key=(physics.sector_reach_km, physics.min_sector_front_km, stances),
    )


def _side_front(world: World, side: Side, keep: bool = True) -> SideFront:
    """`side_front` worked out. Its parts are kept on what each depends on (with `keep`;
    without, all worked out now: tests/test_speed.py): the places' front km while the control
    stands, the sectors while the holders stand where they stand, the control and the
    crossings; only the zone of control is worked out again whenever the side's units move."""
    network, physics = world.network, world.physics
    index = network.index
    e = network.edges
    mine = world.held(side)
    if keep:
        front_km = world.derived(
            f"front km {side}", lambda: _front_km(world, mine), on=("control",)
        )
    else:
        front_km = _front_km(world, mine)
    holders = [u for u in world.active_units(side) if u.holds_position]
    at = tuple(index[u.node] for u in holders)
    if keep:
        sectors = world.derived(
            f"sectors {side}",
            lambda: _sectors(world, mine, front_km, at),
            on=("control", "crossings"),
            key=(physics.sector_reach_km, physics.min_sector_front_km, at),
        )
    else:
        sectors = _sectors(world, mine, front_km, at)
    # the zone of control: where its units hold ground, and one standing road from there
    held_at = world.positions().mask[side]
    zoc = held_at.copy()
    near = world.standing_edges() & (e.length_km <= physics.sector_reach_km)
    zoc[e.v[near & held_at[e.u]]] = True
    zoc[e.u[near & held_at[e.v]]] = True
    return SideFront(front_km, holders, sectors, zoc, held_at | (sectors.covered & mine))


def _front_km(world: World, mine: np.ndarray) -> np.ndarray:
    """The km of front of each place a side holds (`mine`), 0 where it touches no enemy cell."""
    return (world.network.cell_boundary_km @ (~mine).astype(float)) * mine


def _sectors(world: World, mine: np.ndarray, front_km: np.ndarray, at: tuple[int, ...]) -> Sectors:
    """The sectors of holding units standing at `at` (network indices) of a side holding
    `mine`, whose places have `front_km`."""
    cover = _reach_mask(world)[list(at)] & mine[None, :]
    cover[np.arange(len(at)), list(at)] = True  # its own place, whoever holds it
    return Sectors(cover, np.maximum(cover @ front_km, world.physics.min_sector_front_km))


def defended(world: World, side: Side) -> np.ndarray:
    """Boolean per place: `side` holds it with troops standing in it or in one of its
    sectors (an attack on it is a battle). Kept with the side's front (`SideFront.defended`)."""
    return side_front(world, side).defended


def defence(world: World[Unit], place: str, side: Side) -> list[tuple[Unit, float]]:
    """The units of `side` that defend `place`, each with the share of its power it brings:
    the units standing in it (not columns on the road out) in full; each other unit whose
    sector covers it, the place's share of its sector's front (at least its share of the
    sector's places, for a place that touches no enemy cell)."""
    network = world.network
    i = network.index[place]
    f = side_front(world, side)
    here = [u for u in world.active_units(side) if u.node == place and not u.retreating]
    out: list[tuple[Unit, float]] = [(u, 1.0) for u in here]
    seen = {u.key for u in here}
    for k in np.flatnonzero(f.cover[:, i]):
        key = f.holders[k]
        unit = world.unit(key) if key not in seen else None
        if unit is None:
            continue
        share = max(f.front_km[i] / f.sector_km[k], 1.0 / int(f.cover[k].sum()))
        out.append((unit, min(share, 1.0)))
    return out


def density(
    world: World, place: str, side: Side, powers: Mapping[str, float] | None = None
) -> float:
    """Combat power (before posture and terrain) per km of front that `side` holds `place`
    with: each unit covering it, its power over its sector's front km; a unit standing in the
    place without a sector (an attack that has stopped there), its power over the place's own
    front (at least min_sector_front_km). `powers`: the side's units' base powers by id, if
    the caller asks for many places at once (`unit_powers`)."""
    network, physics, weights = world.network, world.physics, world.weights
    i = network.index[place]
    f = side_front(world, side)
    total = 0.0
    for k in np.flatnonzero(f.cover[:, i]):
        unit = world.unit(f.holders[k])
        if unit is not None:
            power = powers[unit.key] if powers else base_power(unit, weights, physics)
            total += power / f.sector_km[k]
    own = max(float(f.front_km[i]), physics.min_sector_front_km)
    for u in world.active_units(side):
        if u.node == place and u.key not in f.row and not u.retreating and u.holds_ground:
            total += (powers[u.key] if powers else base_power(u, weights, physics)) / own
    return total


def density_map(world: World, side: Side, powers: Mapping[str, float]) -> np.ndarray:
    """`density` at every place at once (network order), from the side's units' base powers
    by id (`unit_powers`): the same terms added in the same order as `density` adds them, a
    holder's over all its sector's places at a time (tests/test_speed.py)."""
    index, min_km = world.network.index, world.physics.min_sector_front_km
    f = side_front(world, side)
    total = np.zeros(len(index))
    for k, key in enumerate(f.holders):
        if world.unit(key) is not None:
            total += (powers[key] / f.sector_km[k]) * f.cover[k]  # 0.0 where it does not cover
    for u in world.active_units(side):
        if u.key not in f.row and not u.retreating and u.holds_ground:
            i = index[u.node]
            total[i] += powers[u.key] / max(float(f.front_km[i]), min_km)
    return total


def unit_powers(world: World, side: Side) -> dict[str, float]:
    """The base power of each unit of `side` on the map, by id (`density`'s `powers`)."""
    weights, physics = world.weights, world.physics
    return {u.key: base_power(u, weights, physics) for u in world.active_units(side)}


def place_front_km(world: World, place: str, side: Side) -> float:
    """The km of front `side` holds at `place` (at least min_sector_front_km)."""
    i = world.network.index[place]
    return max(float(side_front(world, side).front_km[i]), world.physics.min_sector_front_km)


def supply_blocked(world: World, side: Side) -> np.ndarray:
    """Boolean per place (read only): `side` may not trace supply through it, a place of its
    own inside the enemy's zone of control with none of its units within sector_reach_km by
    road (a unit on the road out still draws supply where it stands; where both sides' troops
    are near, the road is contested, not closed). A place with a working base, depot or
    railhead of its own is never blocked: its rear troops and guards hold it (Kharkiv, the
    Ukrainian base of April 2022, with a Russian company holding a village next to it). On a
    map whose places are 6-28 km apart, a zone of control closes the roads behind an enemy's
    advance, not those along a front."""
    physics = world.physics

    def work_out() -> np.ndarray:
        index = world.network.index
        own = np.zeros(len(index), dtype=bool)
        own[[index[u.node] for u in world.active_units(side)]] = True
        near = _reach_mask(world)[own].any(axis=0) | own
        depots = [index[d.node] for d in world.depots.values() if d.side == side and d.working]
        near[depots] = True
        return side_front(world, other(side)).zoc & ~near

    # kept while the front is (the same changes) and the units stand where they stood
    return world.derived(
        f"supply blocked {side}",
        work_out,
        on=("control", "units", "crossings", "depots"),
        key=(physics.sector_reach_km, physics.min_sector_front_km),
    )


def in_enemy_zoc(world: World, places: Iterable[str], side: Side) -> list[str]:
    """Those of `places` that lie in the zone of control of `side`'s enemy."""
    zoc, index = side_front(world, other(side)).zoc, world.network.index
    return [p for p in places if zoc[index[p]]]


def densities(world: World, side: Side) -> np.ndarray:
    """`density` of every place `side` holds (network order; 0 where none of its sectors
    covers it), the powers read once per unit."""
    f = side_front(world, side)
    return _densities(world, side, f, _holder_powers(world, {side: f})[side])


def _holder_powers(world: World, fronts: dict[Side, SideFront]) -> dict[Side, np.ndarray]:
    """The base power of each holder of each of `fronts`, in one `base_powers` over them
    all (their items read from the units' table at once)."""
    units = [u for f in fronts.values() for u in f.units]  # (on the map: the fronts are kept)
    rows = np.concatenate([f.rows for f in fronts.values()])
    powers = base_powers(units, world.weights, world.physics, world.table.equipment[rows])
    out, start = {}, 0
    for side, f in fronts.items():
        out[side], start = powers[start : start + len(f.rows)], start + len(f.rows)
    return out


def _densities(world: World, side: Side, f: SideFront, power: np.ndarray) -> np.ndarray:
    """`densities` from the powers of the side's holders."""
    if not f.holders:
        return np.zeros(len(f.front_km))
    return ((power / f.sector_km) @ f.cover) * world.held(side)


#: The letters of `hold_code`, per place: no sector of its holder covers it, a sector thinner
#: than defence_density (a screen), a defence.
HOLD_LETTERS = "0sd"
_HOLD_BYTES = np.frombuffer(HOLD_LETTERS.encode("ascii"), dtype=np.uint8)


def hold_code(world: World) -> str:
    """How each place's holder holds it, one letter a place in network order (HOLD_LETTERS):
    what the viewer draws along the front (the record keeps it every hour)."""
    threshold = world.physics.defence_density
    code = np.zeros(len(world.network.node_ids), dtype=np.int8)
    fronts = {side: side_front(world, side) for side in SIDES}
    powers = _holder_powers(world, fronts)  # both sides' holders at once
    for side, f in fronts.items():
        d = _densities(world, side, f, powers[side])
        held = world.held(side) & f.covered
        code[held] = np.where(d[held] >= threshold, 2, 1)
    return _HOLD_BYTES[code].tobytes().decode("ascii")
