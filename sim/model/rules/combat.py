"""The combat phase of the turn: who fights where this hour, the fire support guns outside the
battles give, each battle resolved (its arithmetic: sim/model/rules/combat_math.py), and the
losses of units caught on the road out.

A place is under attack when units tasked to attack are in contact with it over a crossing that
stands and the enemy defends it: enemy troops stand in it, or it lies in an enemy sector
(`battles`; sim/model/rules/front.py). Its defence is the units standing in it and the share of
their power the units whose sectors cover it bring. Artillery and rockets not in a battle,
and fire from beyond the map's edge (`offmap` artillery), support the nearest battle in range
(`fire_support`). Each battle's losses, its progress towards taking the place (the siege,
sim/model/world.py: the share of the way covered at the hour's advance rate), a stalled attack's
end, and, when the place is taken, the garrison forced out and the attackers in the place are
applied in `combat_phase`; withdrawing and routed columns then lose men to pursuers (some taken
prisoner) and guns (`retreat_losses`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from sim.model.rules import front
from sim.model.rules.attrition import attrition_phase
from sim.model.rules.combat_math import (
    ARTILLERY,
    HOURS_PER_DAY,
    MLRS,
    Ground,
    attack_power,
    attackers_power,
    base_power,
    defenders_power,
    loss_fractions,
    resolve_battle,
    retreat_loss,
    supply_factors,
)
from sim.model.rules.routes import arc_hours
from sim.model.units import Unit
from sim.model.world import World
from sim.scenario import SIDES, Posture, Side, Task, other


@dataclass(frozen=True)
class Battle:
    """One hour of a battle, as the record keeps it and a commander sees it."""

    attacker: Side
    ratio: float  # attacker / defender power, fog of war included
    attackers: list[Unit]


Defence = list[tuple[Unit, float]]  # (unit, the share of its power it brings)


def battles(world: World[Unit]) -> dict[str, tuple[list[Unit], Defence]]:
    """node -> (attackers, defence) for every place under attack this hour: units tasked to
    attack, in contact with it over a crossing that stands, and the enemy defending it
    (front.defence; in node order). Clears every unit's `in_combat` first."""
    out: dict[str, list[Unit]] = {}
    network = world.network
    index = network.index
    defended = {s: front.defended(world, s) for s in SIDES}
    for unit in world.active_units():
        unit.in_combat = False
        v = unit.next_node
        if (
            v
            and unit.task == Task.ATTACK
            and unit.posture == Posture.ATTACK
            and defended[other(unit.side)][index[v]]
            and world.passable(network.edge(unit.node, v).get("crossing"))
        ):
            out.setdefault(v, []).append(unit)
    found: dict[str, tuple[list[Unit], Defence]] = {}
    for v in sorted(out):
        side = out[v][0].side
        att = [u for u in out[v] if u.side == side]
        dfd = front.defence(world, v, other(side))
        if dfd:
            found[v] = (att, dfd)
    # a unit defending in several battles this hour spreads its power over them: its shares
    # add up to at most all of it
    total: dict[str, float] = {}
    for _, dfd in found.values():
        for u, share in dfd:
            total[u.key] = total.get(u.key, 0.0) + share
    for v, (att, dfd) in found.items():
        found[v] = (att, [(u, share / max(total[u.key], 1.0)) for u, share in dfd])
    return found


def fog_of_war(world: World[Unit], node: str) -> float:
    """Log-normal multiplier on a battle's ratio, drawn once per place and day."""
    noise = world.physics.combat_noise
    if noise <= 0:
        return 1.0
    key = (node, (world.now - world.start).days)
    if key not in world.fog:
        world.fog[key] = float(np.exp(world.rng.normal(0.0, noise)))
    return world.fog[key]


def fire_values(world: World[Unit], units: list[Unit], distance_km: np.ndarray) -> np.ndarray:
    """What each unit's guns and rockets add at a target `distance_km` away (combat power; one
    distance per unit): its tubes within artillery range, its launchers within rocket range,
    times fire_support_factor and its supply factor (combat_math.supply_factor)."""
    physics = world.physics
    items = world.table.equipment[[u.index for u in units]]  # their rows of the units' table
    guns = items[:, ARTILLERY] * physics.weight_artillery
    rockets = items[:, MLRS] * physics.weight_mlrs
    value = np.where(distance_km <= physics.artillery_range_km, guns, 0.0) + np.where(
        distance_km <= physics.mlrs_range_km, rockets, 0.0
    )
    supply = np.array([u.supply for u in units], dtype=float)
    return value * physics.fire_support_factor * supply_factors(supply, physics)


def armed_rows(world: World[Unit]) -> list[bool]:
    """By row of the units' table (`Unit.index`, sim/model/table.py): whether the unit has
    guns or rockets."""
    items = world.table.equipment
    return (items[:, ARTILLERY] + items[:, MLRS] > 0).tolist()


def fire_support(
    world: World[Unit], found: dict, engaged: set[str]
) -> tuple[dict[tuple[str, str], float], set[str]]:
    """Artillery and rockets not in a battle support the nearest battle within range, and so
    does fire from beyond the map's edge (`offmap_fire`). Returns the support (combat power)
    by (node, side) and the ids of the units that gave it."""
    support: dict[tuple[str, str], float] = {}
    gave: set[str] = set()
    if not found:
        return support, gave
    nodes = list(found)
    beyond, used = offmap_fire(world, nodes)
    for (node, side), value in beyond.items():
        support[(node, side)] = support.get((node, side), 0.0) + value
    gave |= used
    armed = armed_rows(world)
    guns = [
        u
        for u in world.active_units()
        if u.key not in engaged and u.holds_ground and armed[u.index]
    ]
    if not guns:
        return support, gave
    dist = world.network.km_between([u.node for u in guns], nodes)  # gun x battle
    nearest = np.argmin(dist, axis=1)
    values = fire_values(world, guns, dist[np.arange(len(guns)), nearest])
    battle = nearest.tolist()
    for k in np.flatnonzero(values > 0).tolist():  # in the units' order
        key = (nodes[battle[k]], guns[k].side)
        support[key] = support.get(key, 0.0) + values[k]
        gave.add(guns[k].key)
    return support, gave


def offmap_fire(
    world: World[Unit], nodes: list[str]
) -> tuple[dict[tuple[str, str], float], set[str]]:
    """What the guns beyond the map's edge (`World.fires`) add to the battles at `nodes`: each
    active fire base supports the nearest of them within its range, on its own side, at
    fire_support_factor of its tubes' and launchers' value (in supply). Returns the support by
    (node, side) and the bases that gave it ("fire:i", i their index in `World.fires`)."""
    physics, network = world.physics, world.network
    out: dict[tuple[str, str], float] = {}
    used: set[str] = set()
    if not nodes:
        return out, used
    at = network.xy[[network.index[n] for n in nodes]]
    for i, base in enumerate(world.fires):
        if not base.active(world.now):
            continue
        dist = np.linalg.norm(at[None, :, :] - base.xy[:, None, :], axis=2).min(axis=0)
        j = int(np.argmin(dist))
        if dist[j] <= base.range_km:
            value = base.guns * physics.weight_artillery + base.rockets * physics.weight_mlrs
            key = (nodes[j], base.side)
            out[key] = out.get(key, 0.0) + value * physics.fire_support_factor
            used.add(f"fire:{i}")
    return out, used


def the_ground(
    world: World[Unit], node: str, att: list[Unit], dfd: Defence, support: float
) -> Ground:
    """What the ground and the defence's layout set for the attack on `node` this hour: the
    level of the defence that brings the most power, the place's terrain, the defence's
    density (front.density, with the guns supporting it over the place's front), the slowest
    attacker's free pace into it (its march speed through enemy ground over its march hours),
    the shortest road still to cover, and a town's depth when a garrison stands in it."""
    physics, network, weights = world.physics, world.network, world.weights
    side = dfd[0][0].side
    strongest = max(dfd, key=lambda us: us[1] * base_power(us[0], weights, physics))[0]
    density = front.density(world, node, side) + support / front.place_front_km(world, node, side)
    march_share = physics.march_hours_per_day / HOURS_PER_DAY
    free, road = [], []
    for u in att:
        arc = network.arc[u.node, node]
        km = network.edge(u.node, node)["length_km"]
        hours = float(arc_hours(u, world)[arc])
        free.append(km / hours * HOURS_PER_DAY * march_share if hours > 0 else math.inf)
        road.append(max(km - u.progress_km, 0.0))
    garrison = any(u.node == node for u, _ in dfd)
    town = physics.urban_clear_km if garrison and network.terrain[node] == "urban" else 0.0
    return Ground(
        strongest.defence_level, network.terrain[node], density, min(free), min(road), town
    )


def combat_phase(world: World[Unit]) -> dict[str, Battle]:
    """Battles (sim/model/rules/combat_math.py resolves each), then losses of units caught
    retreating. Returns this hour's battles by place, in place order."""
    physics, weights = world.physics, world.weights
    network = world.network
    found = battles(world)
    engaged = {u.key for att, dfd in found.values() for u in [*att, *(d for d, _ in dfd)]}
    support, gave = fire_support(world, found, engaged)
    siege = world.siege
    attack = Task.ATTACK
    pressing = {u.next_node for u in world.active_units() if u.task == attack}
    for node in list(siege):
        if node not in found and node not in pressing:
            del siege[node]  # a siege lapses only when nobody attacks the place any more
    # the ground of every battle before any is resolved: a unit may attack in one and defend
    # in another, and a place taken this hour moves its attackers into it
    grounds = {
        node: the_ground(world, node, att, dfd, support.get((node, dfd[0][0].side), 0.0))
        for node, (att, dfd) in found.items()
    }
    fought: dict[str, Battle] = {}
    for node, (att, dfd) in found.items():
        side = att[0].side
        terrain = network.terrain[node]
        surprise = world.in_surprise(side)
        river = [u for u in att if network.edge(u.node, node).get("crossing") is not None]
        p_att = attackers_power(att, weights, physics, surprise=surprise, across_river=river)
        p_att += support.get((node, side), 0.0)
        p_def = defenders_power(dfd, weights, physics, terrain=terrain)
        p_def += support.get((node, other(side)), 0.0)
        result = resolve_battle(
            p_att, p_def, grounds[node], fog=fog_of_war(world, node), physics=physics
        )
        for u in att:
            u.lose(result.attacker_loss)
        for u, share in dfd:
            u.lose(result.defender_loss * share)
        for u in [*att, *(d for d, _ in dfd)]:
            u.in_combat = True
            u.fatigue = min(1.0, u.fatigue + physics.fatigue_per_march_hour)
        siege[node] = siege.get(node, 0.0) + result.gain
        for u in att:
            doctrine = u.doctrine
            u.stalled_hours = u.stalled_hours + 1.0 if result.ratio < doctrine.stall_ratio else 0.0
            if u.stalled_hours >= doctrine.attack_stall_hours:
                u.call_off_attack(node)
            elif u.strength_fraction < doctrine.culmination_strength:
                u.call_off_attack(node, culminated=True)
        fought[node] = Battle(side, result.ratio, att)
        if siege[node] >= 1.0:
            del siege[node]
            force_out(world, [u for u, _ in dfd if u.node == node], node, side)
            for u in att:
                if u.active and u.next_node == node and u.task == Task.ATTACK:
                    u.break_in(node)
    retreat_losses(world, engaged | gave)
    attrition_phase(world, engaged | gave)
    return fought


def force_out(world: World[Unit], units: list[Unit], node: str, attacker: Side) -> None:
    """The attack has taken `node`: each defender leaves it by road (`Unit.forced_out`),
    through the exits its side holds that are not held or attacked by the enemy, over
    crossings that stand; with none, it surrenders."""
    control = world.control
    attack_from = {u.node for u in world.active_units(attacker) if u.next_node == node}
    enemy_held = world.occupied_by(attacker)
    exits = sorted(
        nb
        for nb, data in world.network.neighbours(node)
        if control[nb] != attacker
        and nb not in attack_from
        and nb not in enemy_held
        and world.passable(data.get("crossing"))
    )
    world.log(
        "node_taken",
        node=node,
        side=attacker,
        text=f"{attacker} forces break into {world.network.name(node)}",
    )
    for u in units:
        if u.active:
            u.forced_out(node, exits)


def retreat_losses(world: World[Unit], busy: set[str]) -> None:
    """Units on the road out (withdrawing or routed) lose men and vehicles to pursuers in
    contact and to enemy guns in range that are not firing in a battle (`busy`: the ids of
    the units that fought or gave fire support this hour; combat_math.retreat_loss)."""
    physics, weights, network = world.physics, world.weights, world.network
    # (a column holds no ground: the kept stance first, the posture and road only then)
    columns = [u for u in world.active_units() if not u.holds_ground and u.retreating]
    if not columns:
        return
    # each side's guns free to fire (holding ground, not busy, armed) and its advancing units,
    # in their order on the map: a column's losses change neither (a column holds no ground)
    armed = armed_rows(world)
    guns = {
        s: [
            e
            for e in world.active_units(s)
            if e.key not in busy and e.holds_ground and armed[e.index]
        ]
        for s in SIDES
    }
    advancing = {s: [e for e in world.active_units(s) if e.advancing] for s in SIDES}
    for u in columns:
        enemy = other(u.side)
        pursuers = [e for e in advancing[enemy] if e.node == u.node or e.next_node == u.node]
        pursuit = sum(attack_power(e, weights, physics) for e in pursuers)
        fire = 0.0
        if guns[enemy]:  # added up gun by gun, in their order
            km = network.kms([e.node for e in guns[enemy]], u.node)
            for value in fire_values(world, guns[enemy], km):
                fire += value
        own = base_power(u, weights, physics)
        fraction = retreat_loss(pursuit, own, fire, physics)
        if fraction > 0:
            # the share of the hour's losses the pursuers inflicted, part of it taken prisoner
            by_pursuers = loss_fractions(pursuit / own, physics).defender if pursuit > 0 else 0.0
            taken = min(by_pursuers / fraction, 1.0) * physics.pursuit_prisoner_share
            u.lose(fraction, taken=taken)
