"""RunRecord: what a run leaves behind, hour by hour.

- an hourly series (area, settlements, strength and captured equipment by side: the columns of
  timeseries.csv),
- events (captions, bridges, surrenders, routs...), control changes, battles,
- frames: every unit, node control and crossing each hour (`Frame`, `UnitSnapshot`), which the
  viewer plays back without re-simulating.
The units' state is written each hour into preallocated numpy tables (a run records ~10,000
unit-hours, and building a dict per unit per hour was a fifth of a run's time); frames are built
from the tables when asked for. The record knows nothing of files; sim/runs/report.py writes it out
and reads it back.
"""

from __future__ import annotations

import hashlib
import json
import operator
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, NotRequired, TypedDict

import numpy as np

from sim.model.rules.combat_math import ITEMS, PERSONNEL
from sim.scenario import SIDES, Posture, Status, Task

if TYPE_CHECKING:
    from sim.model.network import RoadNetwork
    from sim.model.params import Parameters
    from sim.model.rules.control import ControlChange
    from sim.model.units import Unit
    from sim.model.world import World
    from sim.scenario import Scenario


# ---------------------------------------------------------------------------------- the format
class UnitSnapshot(TypedDict):
    """One unit at the end of one hour, as a frame holds it (and frames.json.gz stores it)."""

    id: str
    node: str  # where it is (for a unit gone: where it surrendered or disbanded)
    next: str | None  # the node it is heading to along an edge, if on the road
    progress_km: float  # how far along that edge
    posture: str  # Posture value
    status: str  # Status value: active, surrendered, disbanded, left
    strength: float  # personnel left as a share of the starting figure
    morale: float
    supply: float
    equipment: list[int]  # items held, ITEMS order
    task: str  # Task value
    objective: str | None
    in_combat: bool


class Frame(TypedDict):
    """The state at the end of one hour: what the viewer draws."""

    time: str  # ISO minutes, Kyiv time
    control: str  # 'U' or 'R' per node, in node_ids order
    hold: NotRequired[str]  # how its holder holds each node: '0' gap, 's' screen, 'd' defence
    crossings: dict[str, str]  # crossing id -> "destroyed" | "pontoon" (the others stand)
    units: list[UnitSnapshot]  # every unit that has entered the map, in scenario order


#: Columns of the hourly series (timeseries.csv), in order, and whether each is a whole number.
def series_columns() -> list[tuple[str, bool]]:
    cols = [
        (f"{key}_{s}", key.startswith("settlements"))
        for key in ("area_km2", "area_taken_km2", "settlements", "settlements_taken")
        for s in SIDES
    ]
    cols += [(f"{ITEMS[i]}_{s}", True) for i in range(len(ITEMS)) for s in SIDES]
    cols += [(f"captured_{ITEMS[i]}_by_{s}", True) for i in range(1, len(ITEMS)) for s in SIDES]
    cols += [(f"prisoners_by_{s}", True) for s in SIDES]
    cols += [(f"units_{s}", True) for s in SIDES]
    return cols


_POSTURES, _STATUSES, _TASKS = list(Posture), list(Status), list(Task)
_POSTURE_CODE = {p: i for i, p in enumerate(_POSTURES)}
_STATUS_CODE = {p: i for i, p in enumerate(_STATUSES)}
_TASK_CODE = {p: i for i, p in enumerate(_TASKS)}
_ACTIVE_CODE = _STATUS_CODE[Status.ACTIVE]
#: what a unit's row of the state table is made of (`RunRecord._rows`, STATE order but the
#: strength, worked out from the equipment)
_READ = operator.attrgetter(
    "node",
    "next_node",
    "progress_km",
    "posture",
    "status",
    "morale",
    "supply",
    "task",
    "objective",
    "in_combat",
)
#: Columns of the per-unit state table (`RunRecord.state`); node columns hold node indices
#: (-1: none), the coded columns an index into Posture, Status and Task.
STATE = (
    "node",
    "next",
    "progress_km",
    "posture",
    "status",
    "strength",
    "morale",
    "supply",
    "task",
    "objective",
    "in_combat",
)
NODE, NEXT, PROGRESS, POSTURE, STATUS, STRENGTH, MORALE, SUPPLY, TASK, OBJECTIVE, IN_COMBAT = range(
    len(STATE)
)


# ---------------------------------------------------------------------------------- the record
def _no_table() -> np.ndarray:
    """The placeholder of a table not given to `RunRecord` (replaced in `__post_init__`)."""
    return np.zeros(0)


@dataclass
class RunRecord:
    """Everything a run leaves behind. Per hour, the units' state goes into numpy tables
    (`state`, `equipment`: hour x unit, scenario order) and the hourly series into `table`;
    `frames` and `series()` give them as the dicts and lists the viewer and the files use."""

    scenario_id: str
    title: str
    seed: int
    start: datetime
    parameters: dict[str, Any]
    node_ids: list[str]
    place_names: dict[str, str]
    units: list[dict[str, Any]]  # static facts per unit: id, name, side, type, echelon...
    times: list[datetime] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    control_changes: list[dict[str, Any]] = field(default_factory=list)
    battles: list[dict[str, Any]] = field(default_factory=list)
    # per hour: control code, crossings not standing (shared objects while they do not change)
    control: list[str] = field(default_factory=list)
    hold: list[str] = field(default_factory=list)  # sim/model/rules/front.py, hold_code
    crossings: list[dict[str, str]] = field(default_factory=list)
    # the tables; left out, they start empty, shaped for these units (`__post_init__`)
    state: np.ndarray = field(default_factory=_no_table)  # (hours, units, STATE) float
    equipment: np.ndarray = field(default_factory=_no_table)  # (hours, units, ITEMS) float
    present: np.ndarray = field(default_factory=_no_table)  # (hours, units) bool: in the frame
    table: np.ndarray = field(default_factory=_no_table)  # (hours, series columns) float
    _gone: dict[int, tuple[tuple, np.ndarray]] = field(default_factory=dict)  # last rows
    _frames: list[Frame] = field(default_factory=list)  # frames built so far (`frames`)

    def __post_init__(self) -> None:
        n = len(self.units)
        #: node id -> its index in node_ids (-1 for None: no place)
        self._index: dict[str | None, int] = {v: i for i, v in enumerate(self.node_ids)}
        self._index[None] = -1
        self._side_of = np.array([u["side"] for u in self.units])
        self._columns = series_columns()
        if self.state.ndim == 1:  # not given (`_no_table`): no hour recorded yet
            self.state = np.zeros((0, n, len(STATE)))
            self.equipment = np.zeros((0, n, len(ITEMS)))
            self.present = np.zeros((0, n), dtype=bool)
            self.table = np.zeros((0, len(self._columns)))

    @classmethod
    def begin(
        cls, scenario: Scenario, params: Parameters, seed: int, network: RoadNetwork
    ) -> RunRecord:
        """An empty record for a run of `scenario` with these parameters and seed."""
        units = [
            {
                "id": u.id,
                "name": u.name,
                "side": u.side,
                "type": u.type.value,
                "echelon": u.echelon.value,
                "parent": u.parent,
                "initial": [int(getattr(u.equipment, k)) for k in ITEMS],
            }
            for u in scenario.units
        ]
        names = {n: network.name(n) for n in network.node_ids}
        record = cls(
            scenario.id,
            scenario.title,
            seed,
            scenario.start,
            params.model_dump(),
            list(network.node_ids),
            names,
            units,
        )
        record._reserve(int((scenario.end - scenario.start) / timedelta(hours=1)) + 1)
        return record

    def _reserve(self, hours: int) -> None:
        """Room in the tables for `hours` hours (grown by doubling when a run goes on)."""
        have = len(self.state)
        if hours <= have:
            return
        grow = max(hours, 2 * have) - have

        def more(a: np.ndarray) -> np.ndarray:
            return np.concatenate([a, np.zeros((grow, *a.shape[1:]), dtype=a.dtype)])

        self.state, self.equipment = more(self.state), more(self.equipment)
        self.present, self.table = more(self.present), more(self.table)

    @property
    def hours(self) -> int:
        return len(self.times) - 1

    @staticmethod
    def _row(unit: Unit, index: dict[str | None, int]) -> tuple:
        """A unit's state now as one row of `state` (STATE order)."""
        return (
            index[unit.node],
            index[unit.next_node],
            unit.progress_km,
            _POSTURE_CODE[unit.posture],
            _STATUS_CODE[unit.status],
            unit.personnel / max(unit.initial[PERSONNEL], 1.0),
            unit.morale,
            unit.supply,
            _TASK_CODE[unit.task],
            index[unit.objective],
            unit.in_combat,
        )

    def _rows(
        self,
        units: list[Unit],
        index: dict[str | None, int],
        equipment: np.ndarray,
        initial: np.ndarray,
    ) -> tuple[np.ndarray, np.ndarray]:
        """`_row` of many units at once: each attribute read for all of them and coded as a
        column (the strengths as one array operation). `equipment`, `initial`: their items
        and those they entered with, a row each (their rows of the world's units' table)."""
        node, nxt, progress, posture, status, morale, supply, task, objective, combat = zip(
            *map(_READ, units), strict=True
        )
        at = index.__getitem__
        rows = np.array(
            [
                list(map(at, node)),
                list(map(at, nxt)),
                progress,
                list(map(_POSTURE_CODE.__getitem__, posture)),
                list(map(_STATUS_CODE.__getitem__, status)),
                [0.0] * len(units),
                morale,
                supply,
                list(map(_TASK_CODE.__getitem__, task)),
                list(map(at, objective)),
                combat,
            ],
            dtype=float,
        ).T
        rows[:, STRENGTH] = equipment[:, PERSONNEL] / np.maximum(initial[:, PERSONNEL], 1.0)
        return rows, equipment

    def hour(self, world: World[Unit], changes: list[ControlChange], hold: str = "") -> None:
        """Record the state at the end of an hour (hour 0: the start), with how each place is
        held (`hold`: sim/model/rules/front.py, hold_code). A unit gone from the map keeps its
        last state in every later frame."""
        k = len(self.times)
        self._reserve(k + 1)
        self.times.append(world.now)
        index = self._index
        for ch in changes:
            n = world.network.place(ch.node)
            self.control_changes.append(
                {
                    "time": world.now.isoformat(timespec="minutes"),
                    "node_id": ch.node,
                    "name": n["name"],
                    "lat": n["lat"],
                    "lon": n["lon"],
                    "from_side": ch.from_side,
                    "to_side": ch.to_side,
                    "rule": ch.rule,
                }
            )
        self.control.append(world.control_code())
        if hold:
            self.hold.append(hold)
        self.crossings.append(world.crossings_out())
        for unit in world.gone[len(self._gone) :]:
            self._gone[unit.index] = (self._row(unit, index), unit.equipment.copy())
        units = world.active_units()
        if units:
            at = [u.index for u in units]
            table = world.table
            rows = self._rows(units, index, table.equipment[at], table.initial[at])
            self.state[k, at], self.equipment[k, at] = rows
            self.present[k, at] = True
        for i, (row, items) in self._gone.items():
            self.state[k, i], self.equipment[k, i], self.present[k, i] = row, items, True
        self._series_row(world, k, self.table[k])

    def _series_row(self, world: World[Unit], k: int, row: np.ndarray) -> None:
        """This hour's row of the series, written into `row` (series_columns order: side
        within item)."""
        totals = world.totals()
        held = [
            totals[s][key]
            for key in ("area_km2", "area_taken_km2", "settlements", "settlements_taken")
            for s in SIDES
        ]
        active = self.present[k] & (self.state[k, :, STATUS] == _ACTIVE_CODE)
        sides, items = len(SIDES), len(ITEMS)
        row[: len(held)] = held
        at = len(held)
        strength = row[at : at + items * sides].reshape(items, sides)  # item x side (a view)
        captured = row[at + items * sides : at + (2 * items - 1) * sides].reshape(-1, sides)
        for j, s in enumerate(SIDES):
            strength[:, j] = self.equipment[k, active & (self._side_of == s)].sum(axis=0)
            captured[:, j] = world.captured[s][1:]
        at += (2 * items - 1) * sides
        row[at : at + sides] = [world.prisoners[s] for s in SIDES]
        row[at + sides : at + 2 * sides] = [len(world.active_units(s)) for s in SIDES]

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
    ) -> None:
        """An event, stamped like the frame of the hour it happened in (its end)."""
        self.events.append(
            {
                "time": end_of_hour.isoformat(timespec="minutes"),
                "kind": kind,
                "side": side,
                "unit_id": unit_id,
                "node_id": node or "",
                "name": place.get("name", ""),
                "lat": place.get("lat", ""),
                "lon": place.get("lon", ""),
                "target": target or "",
                "text": text,
            }
        )

    def battle(self, end_of_hour: datetime, node: str, attacker: str, ratio: float) -> None:
        self.battles.append(
            {
                "time": end_of_hour.isoformat(timespec="minutes"),
                "node_id": node,
                "attacker": attacker,
                "ratio": round(float(ratio), 3),
            }
        )

    # ------------------------------------------------------------------ views of the record
    def series(self) -> dict[str, list]:
        """Column -> values per hour (hour 0 first)."""
        k = len(self.times)
        out: dict[str, list] = {"time": [t.isoformat(timespec="minutes") for t in self.times]}
        for j, (name, whole) in enumerate(self._columns):
            values = self.table[:k, j].tolist()
            out[name] = [int(v) for v in values] if whole else values
        return out

    @property
    def frames(self) -> list[Frame]:
        """One Frame per recorded hour (built from the tables when first asked for, and
        extended as the run goes on)."""
        for k in range(len(self._frames), len(self.times)):
            self._frames.append(self.frame(k))
        return self._frames

    def last_frame(self) -> Frame:
        """The Frame of the last recorded hour, without building the others (a summary needs
        only the end)."""
        k = len(self.times) - 1
        return self._frames[k] if k < len(self._frames) else self.frame(k)

    def frame(self, k: int) -> Frame:
        """The Frame of hour `k`."""
        ids = self.node_ids
        units: list[UnitSnapshot] = []
        for i in np.flatnonzero(self.present[k]):
            (
                node,
                nxt,
                progress,
                posture,
                status,
                strength,
                morale,
                supply,
                task,
                objective,
                in_combat,
            ) = self.state[k, i].tolist()
            units.append(
                {
                    "id": self.units[i]["id"],
                    "node": ids[int(node)],
                    "next": ids[int(nxt)] if nxt >= 0 else None,
                    "progress_km": round(progress, 2),
                    "posture": _POSTURES[int(posture)].value,
                    "status": _STATUSES[int(status)].value,
                    "strength": round(strength, 4),
                    "morale": round(morale, 4),
                    "supply": round(supply, 4),
                    "equipment": [int(x) for x in self.equipment[k, i].tolist()],
                    "task": _TASKS[int(task)].value,
                    "objective": ids[int(objective)] if objective >= 0 else None,
                    "in_combat": bool(in_combat),
                }
            )
        frame: Frame = {
            "time": self.times[k].isoformat(timespec="minutes"),
            "control": self.control[k],
            "crossings": dict(self.crossings[k]),
            "units": units,
        }
        if k < len(self.hold):
            frame["hold"] = self.hold[k]
        return frame

    def digest(self) -> str:
        """SHA-256 of everything the run produced (frames, events, control changes, battles,
        series) as canonical JSON: two runs with the same digest wrote the same files."""
        parts = [self.frames, self.events, self.control_changes, self.battles, self.series()]
        blob = json.dumps(parts, sort_keys=True, separators=(",", ":"), default=str)
        return hashlib.sha256(blob.encode()).hexdigest()

    def at(self, when: datetime) -> int:
        """Index of the last recorded hour at or before `when` (clamped to the run)."""
        k = int((when - self.start) / timedelta(hours=1))
        return min(max(k, 0), self.hours)

    def holder(self, node: str, k: int) -> str:
        i = self.node_ids.index(node)
        return "UA" if self.control[k][i] == "U" else "RU"

    def losses_by_side(self) -> dict[str, dict[str, dict[str, int]]]:
        """Per side: items destroyed, abandoned, and lost overall (destroyed + abandoned +
        surrendered; a unit that left the map on orders took its items with it), plus items
        captured from the enemy."""
        out: dict[str, dict[str, dict[str, int]]] = {}
        last = self.last_frame()["units"]
        by_id = {u["id"]: u for u in last}
        for s in SIDES:
            initial = np.zeros(len(ITEMS))
            now = np.zeros(len(ITEMS))
            for u in self.units:
                if u["side"] != s:
                    continue
                snap = by_id.get(u["id"])
                if snap is None:  # never arrived
                    continue
                initial += u["initial"]
                if snap["status"] in ("active", "left"):  # a unit sent away took its items
                    now += snap["equipment"]
            out[s] = {"lost": {k: int(round(initial[i] - now[i])) for i, k in enumerate(ITEMS)}}
        return out

    def personnel_start(self, side: str) -> int:
        return int(sum(u["initial"][PERSONNEL] for u in self.units if u["side"] == side))
