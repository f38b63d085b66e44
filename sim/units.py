"""Who acts: `Unit`, one agent per BTG, regiment, brigade or battalion.

A unit's strength is its equipment (personnel, tanks, IFV/APC, artillery, MLRS), not one number:
losses, abandoned and captured items are counted per item. The rules that change a unit live in
sim/combat.py, sim/movement.py, sim/supply.py and sim/control.py; the unit holds state and makes
its own decisions about what to do next (`step`, called once per hour in the orders phase).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import numpy as np
from mesa.discrete_space import CellAgent

from sim.combat import HEAVY, ITEMS, PERSONNEL
from sim.scenario import Order, Posture, UnitSpec, UnitType

if TYPE_CHECKING:
    from sim.model import CampaignModel

#: Unit types that move mostly on foot or in soft-skinned trucks (slower off the highway).
FOOT_TYPES = {UnitType.INFANTRY, UnitType.NATIONAL_GUARD}
#: A unit with less than this share of its starting personnel is combat-ineffective and
#: disbands (its survivors leave the map; its remaining heavy items are abandoned). 10 % is
#: the point below which Dupuy's data shows no unit still holding as a formation.
DISBAND_FRACTION = 0.10


class Unit(CellAgent):
    """One manoeuvre unit on the theatre graph.

    Position: `cell` is the node the unit is at. While it travels an edge, `next_node` is the
    node it is heading to and `progress_km` how far along the edge it is.
    """

    def __init__(self, model: CampaignModel, spec: UnitSpec):
        super().__init__(model)
        self.spec = spec
        self.key = spec.id
        self.side: str = spec.side
        self.type = spec.type
        self.name = spec.name
        self.quality = spec.quality
        self.morale = spec.morale
        self.supply = spec.supply
        self.fatigue = 0.0
        self.posture = Posture(spec.posture)
        self.engineers = spec.engineers
        self.equipment = np.array([getattr(spec.equipment, k) for k in ITEMS], dtype=float)
        self.initial = self.equipment.copy()
        self.lost = np.zeros(len(ITEMS))  # destroyed in combat
        self.abandoned = np.zeros(len(ITEMS))  # left behind (counted as captured by the taker)
        self.loss_carry = np.zeros(len(ITEMS))  # fractional expected losses not yet whole items
        self.status = "waiting" if spec.arrives is not None else "active"
        self.orders: list[Order] = sorted(
            (o for o in model.scenario.orders if spec.id in o.units), key=lambda o: o.start)
        self.order: Order | None = None
        self.task: str = "hold"
        self.objective: str | None = None
        self.route: list[str] = []  # nodes still to visit, next first
        self.next_node: str | None = None
        self.progress_km = 0.0
        self.hours_in_place = 0.0
        self.march_hours_today = 0.0
        self.in_combat = False
        self.losses_this_hour = 0.0
        self.supply_km = 0.0  # traced supply distance (inf when cut off)
        self.baseline_supply_km: float | None = None  # supply distance when it took position
        self.baseline_node: str | None = None
        self.supply_route: list[str] = []
        self.threat_hours = 0.0
        self.doctrine_withdraw = False
        self.stalled_hours = 0.0  # consecutive hours attacking below the capture ratio

    # ---------------------------------------------------------------- derived state
    @property
    def node(self) -> str:
        return self.cell.coordinate

    @property
    def active(self) -> bool:
        return self.status == "active"

    @property
    def holds_ground(self) -> bool:
        """Active and not routed: can hold or take a node."""
        return self.active and self.posture != Posture.ROUT

    @property
    def personnel(self) -> float:
        return float(self.equipment[PERSONNEL])

    @property
    def strength_fraction(self) -> float:
        """Personnel left as a share of the starting figure."""
        return self.personnel / max(self.initial[PERSONNEL], 1.0)

    @property
    def foot(self) -> bool:
        return self.type in FOOT_TYPES

    # ---------------------------------------------------------------- orders phase
    def step(self) -> None:
        """Decide what to do this hour: take up new orders, or obey the doctrine."""
        if not self.active:
            return
        now: datetime = self.model.now
        while self.orders and self.orders[0].start <= now:
            self.order = self.orders.pop(0)
            if self.posture != Posture.ROUT:  # a new order from above overrides the doctrine
                self.doctrine_withdraw, self.threat_hours = False, 0.0
                self.model.assign_task(self, self.order.task, self.order.objective,
                                       self.order.via)
        self.model.apply_doctrine(self)

    # ---------------------------------------------------------------- bookkeeping
    def abandon(self, fraction: float) -> np.ndarray:
        """Leave a fraction of heavy items behind at the current node; returns the items."""
        items = np.floor(self.equipment * fraction * HEAVY)
        self.equipment -= items
        self.abandoned += items
        return items

    def snapshot(self) -> dict:
        """What the viewer and the record need of this unit at the end of an hour."""
        return {
            "id": self.key,
            "node": self.node,
            "next": self.next_node,
            "progress_km": round(self.progress_km, 2),
            "posture": self.posture.value,
            "status": self.status,
            "strength": round(self.strength_fraction, 4),
            "morale": round(self.morale, 4),
            "supply": round(self.supply, 4),
            "equipment": [int(x) for x in self.equipment],
            "task": self.task,
            "objective": self.objective,
            "in_combat": self.in_combat,
        }
