"""RunRecord: what a run leaves behind, hour by hour.

- a time series collected each step by Mesa's DataCollector (area, settlements, strength and
  captured equipment by side),
- events (captions, bridges, surrenders, routs...), control changes, battles,
- frames: a snapshot of every unit, node control and crossing each hour, which the viewer plays
  back without re-simulating.
The record knows nothing of files; sim/report.py writes it out.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import numpy as np
from mesa import DataCollector

from sim.combat import ITEMS, PERSONNEL
from sim.scenario import SIDES

if TYPE_CHECKING:
    from sim.control import ControlChange
    from sim.model import CampaignModel
    from sim.units import Unit


# ---------------------------------------------------------------------------------- reporters
def _held(side: str, key: str) -> Callable[[CampaignModel], float]:
    def reporter(model: CampaignModel) -> float:
        return model.totals()[side][key]

    reporter.__name__ = f"{key}_{side}"
    return reporter


def _strength(side: str, item: int) -> Callable[[CampaignModel], int]:
    def reporter(model: CampaignModel) -> int:
        return int(sum(u.equipment[item] for u in model.active_units(side)))

    reporter.__name__ = f"{ITEMS[item]}_{side}"
    return reporter


def _captured(side: str, item: int) -> Callable[[CampaignModel], int]:
    def reporter(model: CampaignModel) -> int:
        return int(model.world.captured[side][item])

    reporter.__name__ = f"captured_{ITEMS[item]}_by_{side}"
    return reporter


def _prisoners(side: str) -> Callable[[CampaignModel], int]:
    def reporter(model: CampaignModel) -> int:
        return int(model.world.prisoners[side])

    reporter.__name__ = f"prisoners_by_{side}"
    return reporter


def _units_active(side: str) -> Callable[[CampaignModel], int]:
    def reporter(model: CampaignModel) -> int:
        return len(model.active_units(side))

    reporter.__name__ = f"units_{side}"
    return reporter


def model_reporters() -> dict[str, Callable]:
    """Column name -> reporter, in the order of timeseries.csv."""
    reps: list[Callable] = []
    for key in ("area_km2", "area_taken_km2", "settlements", "settlements_taken"):
        reps += [_held(s, key) for s in SIDES]
    for item in range(len(ITEMS)):
        reps += [_strength(s, item) for s in SIDES]
    for item in range(1, len(ITEMS)):
        reps += [_captured(s, item) for s in SIDES]
    reps += [_prisoners(s) for s in SIDES]
    reps += [_units_active(s) for s in SIDES]
    return {r.__name__: r for r in reps}


# ---------------------------------------------------------------------------------- the record
@dataclass
class RunRecord:
    scenario_id: str
    title: str
    seed: int
    start: datetime
    parameters: dict[str, Any]
    node_ids: list[str]
    place_names: dict[str, str]
    units: list[dict[str, Any]]  # static facts per unit: id, name, side, type, echelon...
    collector: DataCollector
    times: list[datetime] = field(default_factory=list)
    frames: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    control_changes: list[dict[str, Any]] = field(default_factory=list)
    battles: list[dict[str, Any]] = field(default_factory=list)
    _gone: list[dict[str, Any]] = field(default_factory=list)  # last snapshots of units gone
    _order: dict[str, int] = field(default_factory=dict)  # unit id -> its place in the file

    def __post_init__(self) -> None:
        self._order = {u["id"]: i for i, u in enumerate(self.units)}

    def gone(self, unit: Unit) -> None:
        """A unit has left the map (surrendered, disbanded): its last state stays in every
        later frame."""
        self._gone.append(unit.snapshot())

    @classmethod
    def begin(cls, m: CampaignModel) -> RunRecord:
        units = [{
            "id": u.id, "name": u.name, "side": u.side, "type": u.type.value,
            "echelon": u.echelon.value, "parent": u.parent,
            "initial": [int(getattr(u.equipment, k)) for k in ITEMS],
        } for u in m.scenario.units]
        names = {n: m.graph.nodes[n]["name"] for n in m.node_ids}
        return cls(m.scenario.id, m.scenario.title, m.seed, m.start, m.params.model_dump(),
                   list(m.node_ids), names, units, DataCollector(model_reporters=model_reporters()))

    @property
    def hours(self) -> int:
        return len(self.times) - 1

    def hour(self, m: CampaignModel, changes: list[ControlChange]) -> None:
        """Record the state at the end of an hour (hour 0: the start)."""
        self.times.append(m.now)
        self.collector.collect(m)
        g = m.graph
        for ch in changes:
            n = g.nodes[ch.node]
            self.control_changes.append({
                "time": m.now.isoformat(timespec="minutes"), "node_id": ch.node,
                "name": n["name"], "lat": n["lat"], "lon": n["lon"],
                "from_side": ch.from_side, "to_side": ch.to_side, "rule": ch.rule,
            })
        self.frames.append({
            "time": m.now.isoformat(timespec="minutes"),
            "control": m.world.control_code(m.node_ids),
            "crossings": {c: s.value for c, s in sorted(m.world.crossings.items())
                          if s in ("destroyed", "pontoon")},
            "units": sorted([*(u.snapshot() for u in m.active_units()), *self._gone],
                            key=lambda snap: self._order[snap["id"]]),
        })

    def event(self, m: CampaignModel, kind: str, *, text: str, unit: Unit | None,
              node: str | None, side: str | None, target: str | None) -> None:
        n = m.graph.nodes[node] if node else {}
        end_of_hour = self.start + timedelta(hours=m.steps)  # events are stamped like frames
        self.events.append({
            "time": end_of_hour.isoformat(timespec="minutes"), "kind": kind, "side": side or "",
            "unit_id": unit.key if unit else "", "node_id": node or "",
            "name": n.get("name", ""), "lat": n.get("lat", ""), "lon": n.get("lon", ""),
            "target": target or "", "text": text,
        })

    def battle(self, m: CampaignModel, node: str, attacker: str, ratio: float) -> None:
        end_of_hour = self.start + timedelta(hours=m.steps)
        self.battles.append({"time": end_of_hour.isoformat(timespec="minutes"), "node_id": node,
                             "attacker": attacker, "ratio": round(float(ratio), 3)})

    # ------------------------------------------------------------------ views of the record
    def series(self) -> dict[str, list]:
        """Column -> values per hour (hour 0 first)."""
        return {"time": [t.isoformat(timespec="minutes") for t in self.times],
                **self.collector.model_vars}

    def at(self, when: datetime) -> int:
        """Index of the last recorded hour at or before `when` (clamped to the run)."""
        k = int((when - self.start) / timedelta(hours=1))
        return min(max(k, 0), self.hours)

    def holder(self, node: str, k: int) -> str:
        i = self.node_ids.index(node)
        return "UA" if self.frames[k]["control"][i] == "U" else "RU"

    def losses_by_side(self) -> dict[str, dict[str, dict[str, int]]]:
        """Per side: items destroyed, abandoned, and lost overall (destroyed + abandoned +
        surrendered), plus items captured from the enemy."""
        out: dict[str, dict[str, dict[str, int]]] = {}
        last = self.frames[-1]["units"]
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
                if snap["status"] == "active":
                    now += snap["equipment"]
            out[s] = {"lost": {k: int(round(initial[i] - now[i])) for i, k in enumerate(ITEMS)}}
        return out

    def personnel_start(self, side: str) -> int:
        return int(sum(u["initial"][PERSONNEL] for u in self.units if u["side"] == side))
