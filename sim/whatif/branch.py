"""Branching a run: stop a running model at any hour, change one thing, and run both futures.

    model = CampaignModel(scenario, theatre, params, seed=0)
    run_to(model, 66)                   # the base run, stopped after hour 66
    twin = snapshot(model)              # the exact state of that hour, as a second model
    save_bridge(twin, "kupiansk_rail_bridge")
    base, branch = model.run(), twin.run()

`snapshot` is a deep copy of the model that shares what no rule changes (the map, the
scenario, the parameters, the hours already recorded) and copies everything else, the random
generators included: a copy continued with no change gives a record byte-identical to the
uninterrupted run (tests/test_branch.py pins it at random hours of both scenarios).

The changes a branch can make at its hour are small functions on the live model, each logging
a `whatif` event in its record: `set_parameter`, `scale_unit` (reinforce or weaken),
`hold_unit`, `release_unit`, `give_objective`, `destroy_bridge`, `save_bridge` and
`set_withdrawal`. A `Change` is one of them as data (a branch file's `changes:` entry, or a
choice made in the viewer's what-if panel); `Checkpoints` reaches any hour of a base run
quickly, for a viewer that branches again and again.
"""

from __future__ import annotations

import copy
import itertools
from collections.abc import Callable
from typing import Any

import mesa
import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from sim.model import CampaignModel
from sim.model.params import DOCTRINE_PARAMETERS, Parameters, unknown_parameter
from sim.model.rules.combat_math import ITEMS, PERSONNEL
from sim.model.rules.routes import plan_route
from sim.model.world import CrossingState
from sim.scenario import MAX_ITEMS, MAX_PERSONNEL, SIDES, Scenario, Task

#: Bridge kinds a change may destroy or save (fords and unbridged stretches have nothing to).
BRIDGE_KINDS = ("bridge", "rail_bridge")
#: Most a change may scale a unit's holdings by: beyond ten times a unit is another unit.
MAX_SCALE = 10.0
#: Most of each item a unit may hold after a change: what a scenario may give one (the
#: schema's bounds, sim/scenario/schema.py).
_MOST = (MAX_PERSONNEL, *(MAX_ITEMS,) * (len(ITEMS) - 1))


class ChangeError(ValueError):
    """A change that cannot be made to this model at this hour (names what and why)."""


# ---------------------------------------------------------------------------------- snapshot
def run_to(
    model: CampaignModel, hour: int, progress: Callable[[int, int], None] | None = None
) -> CampaignModel:
    """Step `model` until `hour` hours have been simulated (its record then ends with the
    frame of that hour); returns the model. `progress(done, hour)` is called after each step."""
    if not 0 <= hour <= model.scenario.hours:
        raise ValueError(f"hour {hour} is outside the run (0 to {model.scenario.hours})")
    if model.steps > hour:
        raise ValueError(f"the model is at hour {model.steps}, past hour {hour}")
    while model.steps < hour:
        model.step()
        if progress:
            progress(model.steps, hour)
    return model


def snapshot(model: CampaignModel) -> CampaignModel:
    """A second model in the exact state of `model` at its current hour. Continued with no
    change, it gives the same record as `model` continued (and `model` is left untouched).

    The map, the scenario, the parameters and the hours already recorded are shared (no rule
    changes them; a change to a parameter replaces the object); everything else is copied,
    Mesa's agent sets and the model's two random generators included. Mesa 3.3 numbers agents
    per model from a class-level counter (`mesa.Agent._ids`): the copy's counter is carried on
    so that a reinforcement arriving in the copy gets the number it would have had."""
    twin = copy.deepcopy(model, _shared(model))
    ids = getattr(mesa.Agent, "_ids", None)
    if isinstance(ids, dict):
        ids[twin] = itertools.count(next_agent_id(model))
    return twin


def next_agent_id(model: CampaignModel) -> int:
    """The unique id the model's next agent gets: one more than the highest given so far
    (units on the map, units gone, commanders; no agent is ever dropped otherwise)."""
    given = [a.unique_id for a in model.agents] + [u.unique_id for u in model.gone]
    return max(given, default=0) + 1


def _shared(model: CampaignModel) -> dict[int, Any]:
    """deepcopy's memo, prefilled with the objects the copy shares with `model`."""
    memo: dict[int, Any] = {}

    def share(obj: Any) -> None:
        memo[id(obj)] = obj

    th, world = model.theatre, model.world
    for obj in (
        th,
        th.graph,
        model.network,
        world.initial_held,
        world.weights,
        world.physics,
        *world.doctrine.values(),
        model.params,
        *model.side_params.values(),
    ):
        share(obj)
    _share_tree(model.scenario, share)
    rec = model.record
    for rows in (rec.events, rec.control_changes, rec.battles, rec.crossings):
        for row in rows:  # written once, never changed: the copy appends its own
            share(row)
    share(rec.units)
    share(rec.node_ids)
    share(rec.place_names)
    for net in world.supply_lines.values():  # pure functions of the world and the parameters
        share(net)
    return memo


def _share_tree(obj: Any, share: Callable[[Any], None]) -> None:
    """Share a pydantic model and every model, list and dict inside it (the scenario: the
    input of the run, which no rule changes)."""
    if isinstance(obj, BaseModel):
        share(obj)
        for value in obj.__dict__.values():
            _share_tree(value, share)
    elif isinstance(obj, list | dict | tuple):
        share(obj)
        for value in obj.values() if isinstance(obj, dict) else obj:
            _share_tree(value, share)


# ---------------------------------------------------------------------------------- changes
def _whatif(
    m: CampaignModel,
    text: str,
    *,
    unit=None,
    node: str | None = None,
    side: str | None = None,
    target: str | None = None,
) -> str:
    m.world.log("whatif", text=f"What if: {text}", unit=unit, node=node, side=side, target=target)
    return text


def _unit(m: CampaignModel, uid: str):
    unit = m.unit(uid)
    if unit is not None:
        return unit
    if uid not in {u.id for u in m.scenario.units}:
        raise ChangeError(f"no unit {uid!r} in this scenario")
    if m.world.unit_gone(uid):
        raise ChangeError(f"unit {uid!r} has already left the map (surrendered or disbanded)")
    spec = next(u for u in m.scenario.units if u.id == uid)
    assert spec.arrives is not None  # neither on the map nor gone: a reinforcement to come
    raise ChangeError(
        f"unit {uid!r} is not on the map yet at {m.now.day} {m.now:%b %H:%M} "
        f"(it arrives {spec.arrives.day} {spec.arrives:%b %H:%M})"
    )


def _bridge(m: CampaignModel, cid: str):
    c = m.network.crossings.get(cid)
    if c is None:
        raise ChangeError(f"no bridge {cid!r} on the map")
    if c.kind not in BRIDGE_KINDS:
        raise ChangeError(f"{cid!r} is a {c.kind!r} crossing, not a bridge")
    return c


def _with_parameter(m: CampaignModel, name: str, value: Any, side: str | None) -> Any:
    """Replace the model's parameters (one side's with `side`) by validated copies with
    `name` = `value`; returns the value as validated."""
    if name not in Parameters.model_fields:
        raise ChangeError(unknown_parameter(name))
    if side is not None and side not in SIDES:
        raise ChangeError(f"side {side!r}: expected UA or RU")
    if side is not None and name not in DOCTRINE_PARAMETERS:
        raise ChangeError(
            f"{name} is not a doctrine parameter, so it is the same for both sides: leave out side:"
        )

    def with_value(p: Parameters) -> Parameters:
        try:
            return Parameters(**{**p.model_dump(), name: value})
        except ValidationError as e:
            msg = e.errors()[0]["msg"].removeprefix("Value error, ")
            raise ChangeError(f"{name}={value!r}: {msg}") from None

    if side is None:
        params = with_value(m.params)
        side_params = {s: with_value(p) for s, p in m.side_params.items()}
    else:
        changed = with_value(m.side_params[side])
        params, side_params = m.params, {**m.side_params, side: changed}
    m.use_parameters(params, side_params)  # what depends on them is worked out again
    return getattr(m.side_params[side or SIDES[0]], name)


def set_parameter(m: CampaignModel, name: str, value: Any, side: str | None = None) -> str:
    """Set a model parameter from now on (for one side's commander and units with `side`: a
    doctrine parameter only, docs/parameters.md). Parameters are immutable: the model's are
    replaced by validated copies (what the world works out from them, the combat weights and
    the supply traces, follows). Returns the change in words."""
    new = _with_parameter(m, name, value, side)
    return _whatif(m, f"{side + ' ' if side else ''}{name} = {new}", side=side)


def scale_unit(m: CampaignModel, uid: str, factor: float) -> str:
    """Reinforce (`factor` > 1) or weaken (< 1) a unit on the map: every item it holds times
    `factor`, in whole items. A reinforced unit grows: the men and vehicles that join it count
    in its starting strength too, so its strength fraction (and when it disbands) is as before.
    A weakened unit has lost them: they count as destroyed, and its strength fraction falls.
    The record's facts of the unit give the grown establishment as its starting holdings."""
    if not 0 < factor <= MAX_SCALE or factor == 1:
        raise ChangeError(f"factor {factor}: expected more than 0 and at most {MAX_SCALE:g}, not 1")
    unit = _unit(m, uid)
    before = unit.equipment.copy()
    after = np.round(before * factor)
    for item, n, most in zip(ITEMS, after, _MOST, strict=True):
        if n > most:  # repeated changes multiply: no more than a scenario may give a unit
            raise ChangeError(
                f"{unit.name} would have {int(n):,} {item.replace('_', '/')} "
                f"(it has {int(before[ITEMS.index(item)]):,}); a unit holds at most {most:,}"
            )
    unit.equipment = after
    if factor > 1:
        unit.initial = np.round(unit.initial * factor)
        m.record.units = [
            {**u, "initial": [int(x) for x in unit.initial]} if u["id"] == uid else u
            for u in m.record.units
        ]  # a new list: the base's is shared
    else:
        unit.lost = unit.lost + (before - unit.equipment)
    word = "reinforced" if factor > 1 else "weakened"
    return _whatif(
        m,
        f"{unit.name} {word} to {factor:.0%} ({int(before[PERSONNEL]):,} -> "
        f"{int(unit.equipment[PERSONNEL]):,} personnel)",
        unit=unit,
        node=unit.node,
    )


def _retask(m: CampaignModel, uid: str, task: Task, objectives: list[str]):
    unit = _unit(m, uid)
    if unit.morale < unit.doctrine.withdraw_morale:
        raise ChangeError(
            f"{unit.name}'s morale ({unit.morale:.0%}) is below its breaking "
            "point: its own rules take it back whatever its orders"
        )
    if (
        objectives
        and objectives[0] != unit.node
        and plan_route(unit, objectives[0], m.world, fighting=task == Task.ATTACK) is None
    ):
        raise ChangeError(f"{unit.name} has no route to {m.network.name(objectives[0])}")
    unit.take_task(task, objectives)
    return unit


def hold_unit(m: CampaignModel, uid: str) -> str:
    """The unit holds where it stands now (task hold, at the place it last passed if it was on
    the road). Its side's later orders and its commander's decisions still apply to it."""
    unit = _retask(m, uid, Task.HOLD, [])
    return _whatif(
        m,
        f"{unit.name} is ordered to hold at {m.network.name(unit.node)}",
        unit=unit,
        node=unit.node,
    )


def release_unit(m: CampaignModel, uid: str) -> str:
    """The unit becomes a reserve where it stands (task reserve): its commander commits it
    where the line breaks or an attack succeeds (docs/model.md, "Plans and commanders")."""
    unit = _retask(m, uid, Task.RESERVE, [])
    return _whatif(
        m, f"{unit.name} is released to its commander as a reserve", unit=unit, node=unit.node
    )


def give_objective(m: CampaignModel, uid: str, task: str, objectives: list[str]) -> str:
    """A new task for the unit: `attack` (fighting through defended places) or `move` (avoiding
    the enemy) to the objectives in turn (node ids)."""
    if task not in ("attack", "move"):
        raise ChangeError(f"task {task!r}: expected attack or move")
    if not objectives:
        raise ChangeError("an objective is needed (a place)")
    for node in objectives:
        if node not in m.network.graph:
            raise ChangeError(f"no place {node!r} on the map")
    unit = _retask(m, uid, Task(task), list(objectives))
    names = " then ".join(m.network.name(n) for n in objectives)
    return _whatif(
        m,
        f"{unit.name} is ordered to {task} {names}",
        unit=unit,
        node=unit.node,
        target=objectives[-1],
    )


def destroy_bridge(m: CampaignModel, cid: str) -> str:
    """The bridge is destroyed now (a strike). A bridge already down cannot be."""
    c = _bridge(m, cid)
    state = m.world.crossings[cid]
    if not state.destructible:
        raise ChangeError(f"{c.name} is already {state.value} at {m.now.day} {m.now:%b %H:%M}")
    m.world.indestructible.discard(cid)
    text = _whatif(m, f"{c.name} is destroyed", node=c.u, target=cid)
    m.world.destroy_crossing(cid, cause="what-if strike")
    return text


def save_bridge(m: CampaignModel, cid: str) -> str:
    """From now on no strike or demolition can destroy the bridge (it must still stand)."""
    c = _bridge(m, cid)
    state = m.world.crossings[cid]
    if state != CrossingState.INTACT:
        raise ChangeError(
            f"{c.name} is already {state.value} at {m.now.day} {m.now:%b %H:%M}: "
            "branch from an earlier hour"
        )
    m.world.indestructible.add(cid)
    return _whatif(m, f"{c.name} cannot be destroyed", node=c.u, target=cid)


def set_withdrawal(m: CampaignModel, side: str, on: bool) -> str:
    """Turn a side's withdrawal doctrine on or off (its commander pulls threatened groupings
    back, and gives up positions being lost, only when it is on)."""
    _with_parameter(m, "withdrawal_doctrine", bool(on), side)
    words = "withdraws when threatened" if on else "never withdraws"
    return _whatif(m, f"{side} command {words}", side=side)


# ---------------------------------------------------------------------------------- as data
CHANGE_KINDS = (
    "parameter",
    "strength",
    "hold",
    "release",
    "attack",
    "move",
    "destroy_bridge",
    "save_bridge",
    "withdrawal",
)
#: The extra fields each kind takes (required ones first; `side` is optional).
CHANGE_FIELDS = {
    "parameter": ("value", "side"),
    "strength": ("factor",),
    "attack": ("to",),
    "move": ("to",),
    "withdrawal": ("on",),
}


class Change(BaseModel):
    """One change a branch makes at its hour: exactly one kind, with its fields.

    - `parameter: NAME` with `value:` (and `side:` for a doctrine parameter of one side);
    - `strength: UNIT` with `factor:` (above 1 reinforces, below 1 weakens);
    - `hold: UNIT` / `release: UNIT` (hold where it stands / become its commander's reserve);
    - `attack: UNIT` / `move: UNIT` with `to:` (a place, or places in turn);
    - `destroy_bridge: BRIDGE` / `save_bridge: BRIDGE` (crossing ids, docs/map.md);
    - `withdrawal: SIDE` with `on: true|false` (the side's withdrawal doctrine).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    parameter: str | None = None
    strength: str | None = None
    hold: str | None = None
    release: str | None = None
    attack: str | None = None
    move: str | None = None
    destroy_bridge: str | None = None
    save_bridge: str | None = None
    withdrawal: str | None = None
    # `default=` by keyword: type checkers read it as optional only so (PEP 681)
    value: Any = None
    side: str | None = Field(default=None, pattern="^(UA|RU)$")
    # strict: `factor: true` is no factor 1.0, `on: 1` no true
    factor: float | None = Field(default=None, gt=0, le=MAX_SCALE, strict=True)
    to: list[str] | None = Field(default=None, min_length=1)
    on: bool | None = Field(default=None, strict=True)

    @model_validator(mode="before")
    @classmethod
    def _one_place_as_list(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("to"), str):
            return {**data, "to": [data["to"]]}
        return data

    @model_validator(mode="after")
    def _one_kind(self) -> Change:
        given = [k for k in CHANGE_KINDS if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(
                "a change gives exactly one of "
                + ", ".join(CHANGE_KINDS)
                + (f" (got {', '.join(given)})" if given else "")
            )
        kind = given[0]
        allowed = CHANGE_FIELDS.get(kind, ())
        for extra in ("value", "side", "factor", "to", "on"):
            if getattr(self, extra) is not None and extra not in allowed:
                raise ValueError(f"{extra}: does not go with {kind}")
        for need in allowed:
            if need != "side" and getattr(self, need) is None:
                raise ValueError(f"{kind}: needs {need}:")
        if kind == "withdrawal" and self.withdrawal not in SIDES:
            raise ValueError(f"withdrawal: {self.withdrawal!r}: expected UA or RU")
        if kind == "strength" and self.factor == 1:
            raise ValueError("factor: 1 changes nothing (above 1 reinforces, below weakens)")
        return self

    @property
    def kind(self) -> str:
        return next(k for k in CHANGE_KINDS if getattr(self, k) is not None)

    @property
    def subject(self) -> str:
        """The unit, bridge, parameter or side the change is about."""
        return getattr(self, self.kind)

    def apply(self, m: CampaignModel) -> str:
        """Make the change on the live model; returns it in words. Raises ChangeError."""
        k, s = self.kind, self.subject
        if k == "parameter":
            return set_parameter(m, s, self.value, self.side)
        if k == "strength":
            assert self.factor is not None  # `_one_kind` requires factor: with strength:
            return scale_unit(m, s, float(self.factor))
        if k == "hold":
            return hold_unit(m, s)
        if k == "release":
            return release_unit(m, s)
        if k in ("attack", "move"):
            return give_objective(m, s, k, list(self.to or []))
        if k == "destroy_bridge":
            return destroy_bridge(m, s)
        if k == "save_bridge":
            return save_bridge(m, s)
        return set_withdrawal(m, s, bool(self.on))

    def as_yaml(self) -> dict[str, Any]:
        """The change as a branch file writes it (only the fields it uses)."""
        return {k: v for k, v in self.model_dump().items() if v is not None}


def apply_changes(m: CampaignModel, changes: list[Change]) -> list[str]:
    """Make each change in turn; returns them in words. Raises ChangeError with the index of
    the change that failed as `index`."""
    out = []
    for i, ch in enumerate(changes):
        try:
            out.append(ch.apply(m))
        except ChangeError as e:
            e.index = i  # type: ignore[attr-defined]
            raise
    return out


# ---------------------------------------------------------------------------------- base runs
class Checkpoints:
    """A base run that can be stopped at any hour, again and again: it keeps a snapshot every
    `every_h` simulated hours as it goes, so that reaching an earlier hour later costs at most
    `every_h` steps. Used by the viewer's what-if panel (a branch from the hour on screen)."""

    def __init__(
        self,
        scenario: Scenario,
        theatre,
        params: Parameters | None = None,
        seed: int = 0,
        every_h: int = 24,
    ):
        self.scenario, self.theatre, self.params, self.seed = scenario, theatre, params, seed
        self.every_h = every_h
        self._saved: dict[int, CampaignModel] = {}
        self._head: CampaignModel | None = None

    def model_at(
        self,
        hour: int,
        progress: Callable[[int, int], None] | None = None,
        cancelled: Callable[[], bool] | None = None,
    ) -> CampaignModel | None:
        """A new model at the end of `hour` (None if `cancelled()` turned true on the way).
        `progress(done, hour)` reports the steps."""
        if self._head is None:
            self._head = CampaignModel(self.scenario, self.theatre, self.params, seed=self.seed)
            self._saved[0] = snapshot(self._head)
        if self._head.steps > hour:
            start = max(h for h in self._saved if h <= hour)
            model = snapshot(self._saved[start])
        else:
            model = self._head
        while model.steps < hour:
            if cancelled and cancelled():
                return None
            model.step()
            if model is self._head and model.steps % self.every_h == 0:
                self._saved[model.steps] = snapshot(model)
            if progress:
                progress(model.steps, hour)
        return snapshot(model)
