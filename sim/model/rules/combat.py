"""The combat phase of the turn: who fights where this hour, the fire support guns outside the
battles give, each battle resolved (its arithmetic: sim/model/rules/combat_math.py), and the
losses of units caught on the road out.

A place is under attack when units tasked to attack are in contact with it over a crossing that
stands and enemy troops hold it (`battles`). Artillery and rockets not in a battle support the
nearest battle in range (`fire_support`). Each battle's losses, its progress towards taking the
place (the siege, sim/model/world.py), a stalled attack's end and the defenders forced out when
the place is taken are applied in `combat_phase`; withdrawing and routed columns then lose men
to pursuers and guns (`retreat_losses`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.model.params_physics import PhysicsParameters
from sim.model.rules.combat_math import (
    ARTILLERY,
    MLRS,
    attack_power,
    attackers_power,
    base_power,
    defenders_power,
    resolve_battle,
    retreat_loss,
    supply_factor,
)
from sim.model.units import Unit
from sim.model.world import World
from sim.scenario import Posture, Side, Task, other


@dataclass(frozen=True)
class Battle:
    """One hour of a battle, as the record keeps it and a commander sees it."""

    attacker: Side
    ratio: float  # attacker / defender power, fog of war included
    attackers: list[Unit]


def battles(world: World[Unit]) -> dict[str, tuple[list[Unit], list[Unit]]]:
    """node -> (attackers, defenders) for every place under attack this hour: units tasked
    to attack, in contact with it over a crossing that stands, and enemy troops there (in
    node order). Clears every unit's `in_combat` first."""
    out: dict[str, tuple[list[Unit], list[Unit]]] = {}
    network = world.network
    for unit in world.active_units():
        unit.in_combat = False
        v = unit.next_node
        if (
            v
            and unit.task == Task.ATTACK
            and unit.posture == Posture.ATTACK
            and v in world.occupied_by(other(unit.side))
            and world.passable(network.edge(unit.node, v).get("crossing"))
        ):
            out.setdefault(v, ([], []))[0].append(unit)
    for v, (att, dfd) in out.items():
        side = att[0].side
        att[:] = [u for u in att if u.side == side]
        dfd.extend(u for u in world.active_units(other(side)) if u.node == v and not u.retreating)
    return {v: out[v] for v in sorted(out) if out[v][1]}


def fog_of_war(world: World[Unit], node: str) -> float:
    """Log-normal multiplier on a battle's ratio, drawn once per place and day."""
    noise = world.physics.combat_noise
    if noise <= 0:
        return 1.0
    key = (node, (world.now - world.start).days)
    if key not in world.fog:
        world.fog[key] = float(np.exp(world.rng.normal(0.0, noise)))
    return world.fog[key]


def fire_value(unit: Unit, distance_km: float, physics: PhysicsParameters) -> float:
    """What a unit's guns and rockets add at a target this far away (combat power)."""
    value = (
        unit.equipment[ARTILLERY] * physics.weight_artillery
        if distance_km <= physics.artillery_range_km
        else 0.0
    ) + (
        unit.equipment[MLRS] * physics.weight_mlrs if distance_km <= physics.mlrs_range_km else 0.0
    )
    return value * physics.fire_support_factor * supply_factor(unit.supply, physics)


def fire_support(
    world: World[Unit], found: dict, engaged: set[str]
) -> tuple[dict[tuple[str, str], float], set[str]]:
    """Artillery and rockets not in a battle support the nearest battle within range.
    Returns the support (combat power) by (node, side) and the ids of the units that gave it."""
    support: dict[tuple[str, str], float] = {}
    gave: set[str] = set()
    if not found:
        return support, gave
    nodes = list(found)
    guns = [
        u
        for u in world.active_units()
        if u.key not in engaged
        and u.holds_ground
        and u.equipment[ARTILLERY] + u.equipment[MLRS] > 0
    ]
    if not guns:
        return support, gave
    dist = world.network.km_between([u.node for u in guns], nodes)  # gun x battle
    nearest = np.argmin(dist, axis=1)
    for unit, d, j in zip(
        guns, dist[np.arange(len(guns)), nearest].tolist(), nearest.tolist(), strict=True
    ):
        value = fire_value(unit, d, world.physics)
        if value > 0:
            key = (nodes[j], unit.side)
            support[key] = support.get(key, 0.0) + value
            gave.add(unit.key)
    return support, gave


def combat_phase(world: World[Unit]) -> dict[str, Battle]:
    """Battles (sim/model/rules/combat_math.py resolves each), then losses of units caught
    retreating. Returns this hour's battles by place, in place order."""
    physics, weights = world.physics, world.weights
    network = world.network
    found = battles(world)
    engaged = {u.key for att, dfd in found.values() for u in att + dfd}
    support, gave = fire_support(world, found, engaged)
    siege = world.siege
    for node in list(siege):
        if node not in found:
            del siege[node]
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
            p_att, p_def, terrain=terrain, fog=fog_of_war(world, node), physics=physics
        )
        for units, rate in ((att, result.attacker_loss), (dfd, result.defender_loss)):
            for u in units:
                u.lose(rate)
                u.in_combat = True
                u.fatigue = min(1.0, u.fatigue + physics.fatigue_per_march_hour)
        siege[node] = siege.get(node, 0.0) + result.gain
        for u in att:
            u.stalled_hours = u.stalled_hours + 1.0 if result.ratio < physics.capture_ratio else 0.0
            if u.stalled_hours >= u.doctrine.attack_stall_hours:
                u.call_off_attack(node)
        fought[node] = Battle(side, result.ratio, att)
        if siege[node] >= 1.0:
            del siege[node]
            force_out(world, dfd, node, side)
    retreat_losses(world, engaged | gave)
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
    columns = [u for u in world.active_units() if u.retreating]
    for u in columns:
        enemy = world.active_units(other(u.side))
        pursuers = [e for e in enemy if e.advancing and (e.node == u.node or e.next_node == u.node)]
        pursuit = sum(attack_power(e, weights, physics) for e in pursuers)
        fire = 0.0
        for e in enemy:
            if e.key in busy or not e.holds_ground:
                continue
            if e.equipment[ARTILLERY] + e.equipment[MLRS] > 0:
                fire += fire_value(e, network.km(e.node, u.node), physics)
        own = base_power(u, weights, physics)
        fraction = retreat_loss(pursuit, own, fire, physics)
        if fraction > 0:
            u.lose(fraction)
