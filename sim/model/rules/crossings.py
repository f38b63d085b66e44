"""River crossings in the turn: bridges blown behind a withdrawal, pontoons built by
engineers, and artillery fire on crossing sites (docs/model.md, "Movement").

The crossings' state (intact, destroyed, pontoon, ford...) lives in the `World`
(sim/world.py); a bridge destroyed by an event, a demolition or fire goes through
`CampaignModel.destroy_crossing`, which spares the bridges a what-if made indestructible.
Movement (sim/movement.py) calls `start_pontoon` for engineers at a river and the model's
`arrive` calls `demolish_behind` when a unit has crossed; `pontoons_under_fire` is a phase of
the turn, after combat.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.model.rules import combat_math as combat
from sim.model.rules.combat_math import ARTILLERY, MLRS
from sim.model.world import CrossingState
from sim.scenario import Posture, other

if TYPE_CHECKING:
    from sim.model import CampaignModel
    from sim.model.units import Unit


# ---------------------------------------------------------------------------------- demolition
def demolish_behind(m: CampaignModel, unit: Unit, cid: str, left: str, reached: str) -> None:
    """`unit` has crossed `cid` from `left` to `reached`. Withdrawing or routed, its side blows
    the bridge behind it with probability demolition_probability (a doctrine parameter) when
    the bridge can be destroyed, the enemy is near the bank it left (`enemy_near`) and no other
    unit of its side still needs the crossing (`needed_by_own`)."""
    if (
        unit.posture in (Posture.WITHDRAW, Posture.ROUT)
        and m.world.crossings[cid].destructible
        and enemy_near(m, left, unit.side)
        and not needed_by_own(m, left, reached, unit)
        and m.random.random() < m.params_of(unit.side).demolition_probability
    ):
        m.destroy_crossing(cid, cause=f"demolished by withdrawing {unit.side} forces")


def needed_by_own(m: CampaignModel, a: str, b: str, crossing: Unit) -> bool:
    """Whether any other unit of the crossing unit's side still depends on the edge from
    `a` (the bank it leaves, the enemy's side) to `b`: its line of supply runs over it
    from `b` into `a` (it stands on the enemy's side, supplied across the river), or it is
    on the far bank heading this way. A side does not blow a bridge its own troops on the
    far bank still need; troops on the near bank whose supply happens to come over it from
    the far bank are not trapped by the demolition, so they do not stop it."""
    for u in m.active_units(crossing.side):
        if u is crossing:
            continue
        r = u.supply_route
        if any(x == b and y == a for x, y in zip(r, r[1:], strict=False)):
            return True
        if u.node == a and u.route and u.route[0] == b:
            return True
    return False


def enemy_near(m: CampaignModel, node: str, side: str) -> bool:
    """Enemy troops within presence_km of `node`, or closing on it along a road."""
    if any(e.next_node == node for e in m.active_units(other(side))):
        return True
    enemy = m.enemy_xy(side)
    if not len(enemy):
        return False
    d = np.hypot(*(enemy - m.node_xy[m.node_index[node]]).T)
    return bool((d <= m.params.presence_km).any())


# ---------------------------------------------------------------------------------- pontoons
def start_pontoon(m: CampaignModel, unit: Unit, cid: str) -> None:
    """Engineers work one hour on a pontoon; done after pontoon_build_hours. Not under the
    guns of troops on the far bank; enemy artillery in range may wreck the work
    (crossing_fire)."""
    c = m.theatre.crossings[cid]
    far = c.v if unit.node == c.u else c.u
    if far in m.occupied_by(other(unit.side)):
        return  # no bridging under the guns of troops on the far bank
    w = m.world
    unit.hours_in_place = 0.0
    if w.pontoon_hour.get(cid) == m.steps:
        return  # one site, one bridge: other engineers there this hour add nothing
    w.pontoon_hour[cid] = m.steps
    if crossing_fire(m, cid, unit.side):
        w.pontoon_work[cid] = 0.0
        m.log(
            "pontoon_destroyed",
            unit=unit,
            node=unit.node,
            target=cid,
            text=f"{unit.name}'s crossing of the {c.river} near "
            f"{m.place_name(unit.node)} is destroyed by artillery",
        )
        return
    work = w.pontoon_work.get(cid, 0.0) + 1.0
    w.pontoon_work[cid] = work
    if work >= m.params.pontoon_build_hours and w.crossings[cid].bridgeable:
        w.set_crossing(cid, CrossingState.PONTOON)
        m.log(
            "pontoon_built",
            unit=unit,
            node=unit.node,
            target=cid,
            text=f"{unit.name} bridges the {c.river} near {m.place_name(unit.node)}",
        )


# ---------------------------------------------------------------------------------- fire
def crossing_fire(m: CampaignModel, cid: str, side: str) -> bool:
    """Whether the enemy's guns destroy `side`'s crossing site `cid` this hour: each enemy
    gun (in range, artillery_range_km) or rocket launcher (mlrs_range_km) of a unit holding
    ground hits it with probability crossing_hit_per_gun_hour, times its supply."""
    p = m.params
    if p.crossing_hit_per_gun_hour <= 0:
        return False
    c = m.theatre.crossings[cid]
    site = (m.node_xy[m.node_index[c.u]] + m.node_xy[m.node_index[c.v]]) / 2
    guns = 0.0
    for e in m.active_units(other(side)):
        if not e.holds_ground or e.equipment[ARTILLERY] + e.equipment[MLRS] <= 0:
            continue
        d = float(np.hypot(*(m.node_xy[m.node_index[e.node]] - site)))
        n = (e.equipment[ARTILLERY] if d <= p.artillery_range_km else 0.0) + (
            e.equipment[MLRS] if d <= p.mlrs_range_km else 0.0
        )
        guns += n * combat.supply_factor(e.supply, p)
    if guns <= 0:
        return False
    hit = 1.0 - (1.0 - p.crossing_hit_per_gun_hour) ** guns
    return m.random.random() < hit


def pontoons_under_fire(m: CampaignModel) -> None:
    """Pontoons in range of enemy guns may be destroyed (crossing_fire), as bridges are."""
    for cid, state in list(m.crossings_out().items()):
        if state != CrossingState.PONTOON or cid in m.world.indestructible:
            continue
        c = m.theatre.crossings[cid]
        owner = m.world.control[c.u]
        if m.world.control[c.v] == owner and crossing_fire(m, cid, owner):
            m.destroy_crossing(cid, cause="artillery fire")
