"""The combat phase of the turn: who fights where this hour, the fire support guns outside the
battles give, each battle resolved (the arithmetic: sim/combat.py), and the losses of units
caught on the road out.

A node is under attack when units tasked to attack are in contact with it over a crossing that
stands and enemy troops hold it (`battles`). Artillery and rockets not in a battle support the
nearest battle in range (`fire_support`). Each battle's losses, its progress towards taking the
node (the siege, sim/world.py) and a stalled attack's end are applied in `combat_phase`;
withdrawing and routed columns then lose men to pursuers and guns (`retreat_losses`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.model import doctrine
from sim.model.rules import combat_math as combat
from sim.model.rules.combat_math import ARTILLERY, MLRS
from sim.scenario import Posture, other

if TYPE_CHECKING:
    from sim.model import CampaignModel
    from sim.model.params import Parameters
    from sim.model.units import Unit


def battles(m: CampaignModel) -> dict[str, tuple[list[Unit], list[Unit]]]:
    """node -> (attackers, defenders) for every node under attack this hour: units tasked
    to attack, in contact with it over a crossing that stands, and enemy troops there (in
    node order). Clears every unit's `in_combat` first."""
    out: dict[str, tuple[list[Unit], list[Unit]]] = {}
    for unit in m.active_units():
        unit.in_combat = False
        v = unit.next_node
        if (
            v
            and unit.task == "attack"
            and unit.posture == Posture.ATTACK
            and v in m.occupied_by(other(unit.side))
            and m.world.passable(m.graph.edges[unit.node, v].get("crossing"))
        ):
            out.setdefault(v, ([], []))[0].append(unit)
    for v, (att, dfd) in out.items():
        side = att[0].side
        att[:] = [u for u in att if u.side == side]
        dfd.extend(u for u in m.active_units(other(side)) if u.node == v and not u.retreating)
    return {v: out[v] for v in sorted(out) if out[v][1]}


def fog_of_war(m: CampaignModel, node: str) -> float:
    """Log-normal multiplier on a battle's ratio, drawn once per node and day."""
    if m.params.combat_noise <= 0:
        return 1.0
    key = (node, (m.now - m.start).days)
    fog = m.world.fog
    if key not in fog:
        fog[key] = float(np.exp(m.rng.normal(0.0, m.params.combat_noise)))
    return fog[key]


def fire_value(unit: Unit, distance_km: float, p: Parameters) -> float:
    """What a unit's guns and rockets add at a target this far away (combat power)."""
    value = (
        unit.equipment[ARTILLERY] * p.weight_artillery
        if distance_km <= p.artillery_range_km
        else 0.0
    ) + (unit.equipment[MLRS] * p.weight_mlrs if distance_km <= p.mlrs_range_km else 0.0)
    return value * p.fire_support_factor * combat.supply_factor(unit.supply, p)


def fire_support(
    m: CampaignModel, battles: dict, engaged: set[str]
) -> tuple[dict[tuple[str, str], float], set[str]]:
    """Artillery and rockets not in a battle support the nearest battle within range.
    Returns the support (combat power) by (node, side) and the ids of the units that gave it."""
    support: dict[tuple[str, str], float] = {}
    gave: set[str] = set()
    if not battles:
        return support, gave
    nodes = list(battles)
    bxy = m.node_xy[[m.node_index[n] for n in nodes]]
    guns = [
        u
        for u in m.active_units()
        if u.key not in engaged
        and u.holds_ground
        and u.equipment[ARTILLERY] + u.equipment[MLRS] > 0
    ]
    if not guns:
        return support, gave
    uxy = m.node_xy[[m.node_index[u.node] for u in guns]]
    dist = np.linalg.norm(bxy[None, :, :] - uxy[:, None, :], axis=2)  # gun x battle
    nearest = np.argmin(dist, axis=1)
    for unit, d, j in zip(
        guns, dist[np.arange(len(guns)), nearest].tolist(), nearest.tolist(), strict=True
    ):
        value = fire_value(unit, d, m.params)
        if value > 0:
            key = (nodes[j], unit.side)
            support[key] = support.get(key, 0.0) + value
            gave.add(unit.key)
    return support, gave


def combat_phase(m: CampaignModel) -> None:
    """Battles (sim/combat.py resolves each), then losses of units caught retreating. Sets
    `m.last_battles` (node -> attacking side, ratio, attackers) for this hour."""
    p = m.params
    found = battles(m)
    engaged = {u.key for att, dfd in found.values() for u in att + dfd}
    support, gave = fire_support(m, found, engaged)
    w = m.world
    for node in list(w.siege):
        if node not in found:
            del w.siege[node]
    m.last_battles = {}
    for node, (att, dfd) in found.items():
        side = att[0].side
        terrain = m.graph.nodes[node]["terrain"]
        surprise = w.in_surprise(side, m.now)
        p_att = sum(
            combat.attack_power(
                u,
                m.weights,
                p,
                surprise=surprise,
                across_river=m.graph.edges[u.node, node].get("crossing") is not None,
            )
            for u in att
        ) + support.get((node, side), 0.0)
        p_def = sum(
            combat.defence_power(
                u,
                m.weights,
                p,
                terrain=terrain,
                defending=u.posture == Posture.DEFEND,
                prepared=m.prepared(u),
                routed=u.posture == Posture.ROUT,
            )
            for u in dfd
        )
        p_def += support.get((node, other(side)), 0.0)
        result = combat.resolve_battle(p_att, p_def, terrain=terrain, fog=fog_of_war(m, node), p=p)
        for units, rate in ((att, result.attacker_loss), (dfd, result.defender_loss)):
            for u in units:
                lose(u, rate, p)
                u.in_combat = True
                u.fatigue = min(1.0, u.fatigue + p.fatigue_per_march_hour)
        w.siege[node] = w.siege.get(node, 0.0) + result.gain
        for u in att:
            u.stalled_hours = u.stalled_hours + 1.0 if result.ratio < p.capture_ratio else 0.0
            if u.stalled_hours >= m.params_of(u.side).attack_stall_hours:
                doctrine.call_off_attack(u, m, node)
        m.record.battle(m, node, side, result.ratio)
        m.last_battles[node] = (side, result.ratio, att)
        if w.siege[node] >= 1.0:
            del w.siege[node]
            doctrine.force_out(dfd, node, side, m)
    retreat_losses(m, engaged | gave)


def lose(unit: Unit, fraction: float, p: Parameters) -> None:
    """Apply one hour's loss fraction to a unit (vehicles at equipment_loss_factor)."""
    lost = combat.apply_losses(
        unit.equipment, combat.item_loss_fractions(fraction, p), unit.loss_carry
    )
    unit.lost += lost
    unit.losses_this_hour += fraction


def retreat_losses(m: CampaignModel, busy: set[str]) -> None:
    """Units on the road out (withdrawing or routed) lose men and vehicles to pursuers in
    contact and to enemy guns in range that are not firing in a battle (`busy`: the ids of
    the units that fought or gave fire support this hour; sim/combat.py, retreat_loss)."""
    p = m.params
    columns = [u for u in m.active_units() if u.retreating]
    if not columns:
        return
    for u in columns:
        enemy = m.active_units(other(u.side))
        pursuers = [
            e
            for e in enemy
            if e.holds_ground and e.advancing and (e.node == u.node or e.next_node == u.node)
        ]
        pursuit = sum(combat.attack_power(e, m.weights, p) for e in pursuers)
        here = m.node_xy[m.node_index[u.node]]
        fire = 0.0
        for e in enemy:
            if e.key in busy or not e.holds_ground:
                continue
            if e.equipment[ARTILLERY] + e.equipment[MLRS] > 0:
                d = float(np.hypot(*(m.node_xy[m.node_index[e.node]] - here)))
                fire += fire_value(e, d, p)
        own = combat.base_power(u, m.weights, p)
        fraction = combat.retreat_loss(pursuit, own, fire, p)
        if fraction > 0:
            lose(u, fraction, p)
