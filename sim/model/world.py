"""The shared state of the theatre during a run, in one typed object: `World`.

Everything the rules read or change that is not a unit's own state lives here: who holds each
node, the state of every crossing, the depots, the battles in progress (how much of a node an
attack has gained), equipment lying on the ground, and what each side has captured. The rules
(sim/combat.py and sim/battle.py, sim/movement.py, sim/crossings.py, sim/supply.py,
sim/control.py, sim/doctrine.py) are functions of the units, this state and the parameters; the
model (sim/model.py) only wires them in order.
Keeping the state in one value is also what makes a run easy to snapshot and branch.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

import numpy as np

from sim.model.rules.combat_math import ITEMS
from sim.scenario import SIDES


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
    side: str
    node: str
    kind: str  # "base" | "depot" | "railhead"
    working: bool = True


@dataclass
class World:
    """Who holds what, and what lies where, at the current hour.

    Attributes:
        control: node id -> the side ("UA" or "RU") that holds it.
        crossings: crossing id -> its state.
        indestructible: crossing ids that no strike or demolition can destroy (a what-if).
        depots: depot id -> its state.
        siege: node -> share of it (0..1) the current attack has gained.
        pontoon_work: crossing id -> engineer-hours spent bridging it.
        pontoon_hour: crossing id -> the step engineers last worked on it.
        abandoned_at: node -> side -> items that side left there (captured by whoever takes it).
        captured: side -> items captured BY that side (ITEMS order).
        prisoners: side -> personnel taken prisoner BY that side.
        surprise_until: side -> end of its surprise window.
        fog: (node, day) -> the day's fog-of-war multiplier of a battle at that node.
        version, crossings_version: counters of the changes that supply and presence depend
            on (caches are keyed by them): change control, crossings and depots only through
            set_control, set_crossing and depot_out.
    """

    control: dict[str, str]
    crossings: dict[str, CrossingState]
    depots: dict[str, DepotState]
    indestructible: set[str] = field(default_factory=set)
    siege: dict[str, float] = field(default_factory=dict)
    pontoon_work: dict[str, float] = field(default_factory=dict)
    pontoon_hour: dict[str, int] = field(default_factory=dict)  # last step worked on, per site
    abandoned_at: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)
    captured: dict[str, np.ndarray] = field(
        default_factory=lambda: {s: np.zeros(len(ITEMS)) for s in SIDES}
    )
    prisoners: dict[str, float] = field(default_factory=lambda: dict.fromkeys(SIDES, 0.0))
    surprise_until: dict[str, datetime] = field(default_factory=dict)
    fog: dict[tuple[str, int], float] = field(default_factory=dict)
    version: int = 0  # bumped by every change of control, a crossing or a depot
    crossings_version: int = 0  # bumped by every change of a crossing

    def set_control(self, node: str, side: str) -> None:
        self.control[node] = side
        self.version += 1

    def set_crossing(self, crossing: str, state: CrossingState) -> None:
        self.crossings[crossing] = state
        self.version += 1
        self.crossings_version += 1

    def depot_out(self, depot: str) -> None:
        self.depots[depot].working = False
        self.version += 1

    def holds(self, node: str, side: str) -> bool:
        return self.control[node] == side

    def passable(self, crossing: str | None) -> bool:
        """Whether an edge with this crossing (None: no river) can be used now."""
        return crossing is None or self.crossings[crossing].passable

    def in_surprise(self, side: str, now: datetime) -> bool:
        return side in self.surprise_until and now < self.surprise_until[side]

    def has_depots(self, side: str) -> bool:
        return any(d.side == side for d in self.depots.values())

    def control_code(self, node_ids: list[str]) -> str:
        """Control as one string in node order ('U' or 'R' per node), for keys and frames."""
        return "".join("U" if self.control[n] == "UA" else "R" for n in node_ids)
