"""Supply: traced each hour from a side's bases, by rail and by road, through ground it holds.

Trains run from a side's bases (its rear: Belgorod, Valuiki, Kharkiv) along unbroken railway over
ground the side holds, where a km of rail counts `rail_cost_factor` of a km of road (a train
carries what dozens of trucks do); trucks haul from the bases and from any place a train reaches,
by road. So cutting a line (taking a place on it, or destroying its bridge) cuts the rail supply
of everything beyond, which then has to come by road from the nearest place trains still reach.
Forward depots and railheads shorten the last leg while they work: a depot while trucks can reach
it from a base, a railhead while trains can. A unit whose traced distance is within
`supply_range_km` is in supply and refills; otherwise its supply level decays, and with no path
at all it is cut off (encircled): `draw_supply`, each hour for every unit on the map.

Izium, the Russian hub in summer 2022, worked as long as the railway through Kupiansk fed it.
The traces run over the edges whose two ends the side holds and whose crossing stands
(`RoadNetwork.cost_distances`). A trace is a function of the world's control, crossings and
depots: the world keeps it until one of them changes (`World.supply_net`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from sim.model.network import RoadNetwork
from sim.model.params_physics import PhysicsParameters
from sim.scenario import Side


class Depot(Protocol):
    """What a trace needs of a depot (sim/model/world.py's DepotState)."""

    @property
    def node(self) -> str: ...
    @property
    def kind(self) -> str: ...


@dataclass
class SupplyNet:
    """One side's traced supply network."""

    side: str
    network: RoadNetwork = field(repr=False)
    dist: np.ndarray  # effective km from the bases, per node (inf: not reached)
    pred: np.ndarray  # predecessor towards the source that feeds it (-9999 at sources)
    feeders: tuple[np.ndarray, ...] = ()  # the stages behind: forward depot -> haul -> rail
    #: node -> (supply km, line of supply, its places as a set) of a unit there (`line_to`;
    #: the net is immutable once traced, so each is worked out once). The lists are shared:
    #: read only.
    _lines: dict[str, tuple[float, list[str], frozenset[str]]] = field(
        default_factory=dict, repr=False
    )
    #: stage name -> (edge costs, source offsets, distances, predecessors) of each search it
    #: was traced with, for the next trace of the side to reuse (`trace`, `previous`)
    searches: dict[str, tuple[np.ndarray, ...]] = field(default_factory=dict, repr=False)

    def reaches(self, node: str) -> bool:
        return bool(np.isfinite(self.dist[self.network.index[node]]))

    def distance(self, node: str) -> float:
        return float(self.dist[self.network.index[node]])

    def path(self, node: str) -> list[str]:
        """The line of supply to `node`: base first (by rail as far as trains go, through the
        forward depot that feeds it, if any), `node` last ([] if not reached)."""
        i = self.network.index[node]
        if not np.isfinite(self.dist[i]):
            return []
        out = [i]
        for pred in (self.pred, *self.feeders):
            while pred[out[-1]] >= 0:
                out.append(int(pred[out[-1]]))
        ids = self.network.node_ids
        return [ids[j] for j in reversed(out)]

    def line_to(self, node: str) -> tuple[float, list[str], frozenset[str]]:
        """Traced supply distance to a unit at `node`, its line of supply (base first) and the
        line's places. The unit's own place may be contested or just taken; then the best
        neighbour the side holds is used."""
        known = self._lines.get(node)
        if known is not None:
            return known
        if self.reaches(node):
            km, route = self.distance(node), self.path(node)
        else:
            g = self.network.graph
            best, best_nb = math.inf, None
            for nb in sorted(g.neighbors(node)):
                if self.reaches(nb):
                    d = self.distance(nb) + g.edges[node, nb]["length_km"]
                    if d < best:
                        best, best_nb = d, nb
            km, route = best, ([*self.path(best_nb), node] if best_nb else [])
        known = self._lines[node] = km, route, frozenset(route)
        return known


def trace(
    network: RoadNetwork,
    side: str,
    held: np.ndarray,
    depots: Iterable[Depot],
    standing: np.ndarray,
    physics: PhysicsParameters,
    previous: SupplyNet | None = None,
) -> SupplyNet:
    """Supply distances from the side's bases, by rail and road, through its forward depots.

    `held`: a boolean per place, the side holds it; `depots`: the side's working depots on
    ground it holds; `standing`: a boolean per edge, its crossing stands.
    Stage 1 (trains): Dijkstra from the working bases (kind "base": the rear, never cut) over
    held railway, at rail_cost_factor per km. Stage 2 (trucks): Dijkstra by road from the
    bases and every place a train reaches (at its rail distance): the haul. Stage 3: every
    forward depot the trucks reach, and every railhead the trains reach, is also a source, at
    `forward_depot_factor` times its own haul (stocks held forward shorten the last leg); a
    depot or railhead cut off from the bases stops working. A side with no base treats all its
    depots as bases. `previous`: the side's last trace, whose searches are taken again where
    one's costs and sources are the same as now (a search is a function of them alone: after
    a change of hands off the railway, the rail stage is the same).
    """
    n = len(network.node_ids)
    index = network.index
    depots = list(depots)
    bases = [d for d in depots if d.kind == "base"] or depots
    forward = [d for d in depots if d not in bases]
    if not bases:
        return SupplyNet(side, network, np.full(n, np.inf), np.full(n, -9999))
    e = network.edges
    use = held[e.u] & held[e.v] & standing
    rail_cost = np.where(use & e.rail, e.length_km * physics.rail_cost_factor, np.inf)
    road_cost = np.where(use & e.road, e.length_km, np.inf)
    offset = np.full(n, np.inf)
    offset[[index[d.node] for d in bases]] = 0.0
    searches: dict[str, tuple[np.ndarray, ...]] = {}
    last = previous.searches if previous is not None else {}

    def search(stage: str, cost: np.ndarray, sources: np.ndarray) -> tuple[np.ndarray, ...]:
        done = last.get(stage)
        if done is None or not (np.array_equal(done[0], cost) and np.array_equal(done[1], sources)):
            done = (cost, sources, *network.cost_distances(cost, sources))
        searches[stage] = done
        return done[2:]

    by_rail, rail_pred = search("rail", rail_cost, offset)
    haul, haul_pred = search("haul", road_cost, np.minimum(offset, by_rail))
    fed = False
    sources = np.minimum(offset, by_rail)
    for d in forward:
        i = index[d.node]
        reached = by_rail[i] if d.kind == "railhead" else haul[i]
        if np.isfinite(reached):
            sources[i] = min(sources[i], physics.forward_depot_factor * haul[i])
            fed = True
    if not fed:  # no forward depot in play: the haul is the supply distance
        return SupplyNet(side, network, haul, haul_pred, (rail_pred,), searches=searches)
    dist, pred = search("forward", road_cost, sources)
    return SupplyNet(side, network, dist, pred, (haul_pred, rail_pred), searches=searches)


def untouched(net: SupplyNet, held_before: np.ndarray, held_now: np.ndarray) -> bool:
    """Whether tracing over `held_now` gives `net` again, `net` having been traced over
    `held_before` (the same bases, depots, crossings and physics): true when every place whose
    holding changed, and every neighbour of it, is unreached in `net`. Every stage's search
    (rail, haul, forward depots) reaches no more than the last one's, so no search ever got to
    such a place, nor to an arc into it: with it held or not, each search pops the same places
    and relaxes the same arcs at the same costs."""
    changed = held_before != held_now
    if not changed.any():
        return True
    e = net.network.edges
    near = changed.copy()
    near[e.v[changed[e.u]]] = True
    near[e.u[changed[e.v]]] = True
    return not np.isfinite(net.dist[near]).any()


def supply_share(km: float, physics: PhysicsParameters) -> float:
    """The share of a unit's needs its side's trucks bring at `km` of traced supply distance:
    all of it within supply_range_km, falling linearly to none at supply_reach_km (none when
    the reach is not beyond the range), none when cut off (infinite km)."""
    if km <= physics.supply_range_km:
        return 1.0
    span = physics.supply_reach_km - physics.supply_range_km
    if span <= 0 or km >= physics.supply_reach_km:
        return 0.0
    return (physics.supply_reach_km - km) / span


class Drawer(Protocol):
    """What draws on its side's supply (sim/model/units.py's `Unit`)."""

    @property
    def side(self) -> Side: ...
    @property
    def node(self) -> str: ...

    supply: float
    supply_km: float
    supply_route: list[str]
    supply_places: frozenset[str]


class Drawing(Protocol):
    """Where units draw on the supply traced this hour (sim/model/world.py's `World`, which
    imports this module)."""

    @property
    def physics(self) -> PhysicsParameters: ...
    @property
    def supply_lines(self) -> dict[Side, SupplyNet]: ...
    def active_units(self, side: Side | None = None) -> Sequence[Drawer]: ...


def draw_supply(world: Drawing) -> None:
    """Each unit on the map takes its line of supply from its side's trace of this hour
    (`World.supply_lines`: its `supply_km`, `supply_route` and `supply_places`) and refills up
    to, or drains down to, the share of its needs the trucks bring (`supply_share`: all in
    supply range, less beyond it, nothing cut off), at supply_recovery_per_hour and
    supply_decay_per_hour."""
    physics, lines = world.physics, world.supply_lines
    range_km = physics.supply_range_km
    refill, drain = physics.supply_recovery_per_hour, physics.supply_decay_per_hour
    for unit in world.active_units():
        line = lines[unit.side].line_to(unit.node)
        unit.supply_km, unit.supply_route, unit.supply_places = line
        km, s = line[0], unit.supply
        share = 1.0 if km <= range_km else supply_share(km, physics)
        unit.supply = min(share, s + refill) if s < share else max(share, s - drain)
