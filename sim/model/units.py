"""Who acts: `Unit`, one agent per BTG, regiment, brigade or battalion.

A unit's strength is its equipment (personnel, tanks, IFV/APC, artillery, MLRS), not one number:
losses, abandoned and captured items are counted per item. A unit is a Mesa agent from the hour it
enters the map until it surrenders or disbands (then it is removed from the model and only its
last state is kept for the record). It takes its tasks from its side's commander
(sim/commander.py) and decides its own local moves each hour (`step`: sim/doctrine.py's rules):
go on to the next objective, re-plan a blocked route, break off or rout when its morale breaks.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from mesa.discrete_space import Cell, CellAgent
from mesa.discrete_space.cell_agent import HasCell

from sim.model import doctrine
from sim.model.rules.combat_math import HEAVY, ITEMS, PERSONNEL
from sim.scenario import Posture, Side, Status, Task, UnitSpec, UnitType

if TYPE_CHECKING:
    from sim.model import CampaignModel

#: Unit types that move mostly on foot or in soft-skinned trucks (slower off the highway).
FOOT_TYPES = {UnitType.INFANTRY, UnitType.NATIONAL_GUARD}


class Unit(CellAgent):
    """One manoeuvre unit on the theatre graph.

    Position: `cell` is the node the unit is at. While it travels an edge, `next_node` is the
    node it is heading to and `progress_km` how far along the edge it is.

    Orders: `order_id` is the plan order it is carrying out (None: none, or a commander's own
    task), `task` and `objective` what it is doing now, `track` the objectives still to come
    after the current one.
    """

    def __init__(self, model: CampaignModel, spec: UnitSpec, index: int):
        super().__init__(model)
        self.spec = spec
        self.index = index  # position in the scenario's unit list (record order)
        self.key = spec.id
        self.side: Side = spec.side
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
        self.status = Status.ACTIVE
        self.order_id: str | None = None
        self.task: Task = doctrine.task_of_posture(self.posture)
        self.objective: str | None = None
        self.track: list[str] = []  # objectives after the current one
        self.route: list[str] = []  # nodes still to visit, next first
        self.next_node: str | None = None
        self.progress_km = 0.0
        self.hours_in_place = 0.0
        self.march_hours_today = 0.0
        self.in_combat = False
        self.losses_this_hour = 0.0
        self.supply_km = 0.0  # traced supply distance (inf when cut off)
        self.supply_route: list[str] = []  # its line of supply, base first
        self.supply_places: frozenset[str] = frozenset()  # the same places, as a set
        self.stalled_hours = 0.0  # consecutive hours attacking below the capture ratio
        self.stalled_on: str | None = None  # the objective of an attack called off
        self.withdrawn = False  # pulled back by its commander (not by its own morale)
        self.idle = False  # has done its task: its commander may give it another
        self.then: tuple | None = None  # (task, objectives) once a move is done
        self.node: str = spec.at  # where it is (kept when it leaves the map): see `cell`
        self.position_supply_km = 0.0  # its supply distance when it took its position

    # ---------------------------------------------------------------- position
    @property
    def cell(self) -> Cell | None:
        """The Mesa cell (graph node) the unit is in; None once it has left the map."""
        return self._mesa_cell

    @cell.setter
    def cell(self, cell: Cell | None) -> None:
        # Mesa's setter moves the agent between cells; `node` keeps the cell's node id as a
        # plain attribute, because it is read hundreds of thousands of times a run. It is not
        # cleared when the unit leaves the map: its last node stays for the record.
        HasCell.cell.fset(self, cell)
        if cell is not None:
            self.node = cell.coordinate

    # ---------------------------------------------------------------- derived state

    @property
    def active(self) -> bool:
        return self.status == Status.ACTIVE

    @property
    def retreating(self) -> bool:
        """Withdrawing or routed and on the move: a column on the road, not a position."""
        return self.posture in (Posture.WITHDRAW, Posture.ROUT) and (
            self.next_node is not None or bool(self.route)
        )

    @property
    def holds_ground(self) -> bool:
        """Can hold or take a node: active, not routed, and not a column withdrawing (on the
        road out, or about to take it)."""
        posture = self.posture  # (Unit.retreating, inlined: this is read very often)
        return (
            self.status == Status.ACTIVE
            and posture != Posture.ROUT
            and not (
                posture == Posture.WITHDRAW and (self.next_node is not None or bool(self.route))
            )
        )

    @property
    def advancing(self) -> bool:
        """Attacking or moving: its patrols take undefended ground (sim/control.py)."""
        return self.posture in (Posture.ATTACK, Posture.MOVE)

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
        """This hour's own decisions: the unit's doctrine (sim/doctrine.py)."""
        doctrine.unit_step(self, self.model)

    # ---------------------------------------------------------------- bookkeeping
    def abandon(self, fraction: float) -> np.ndarray:
        """Leave a fraction of heavy items behind at the current node; returns the items."""
        items = np.floor(self.equipment * fraction * HEAVY)
        self.equipment -= items
        self.abandoned += items
        return items
