"""Where a scenario is read: YAML file -> validated, typed `Scenario`.

The loader keeps the YAML's line numbers (ruamel.yaml round-trip nodes) so that every problem,
whether YAML syntax, a wrong type, an unknown field, a place that is not on the map or an end
date before the start, is reported as one `ScenarioError`: ``file:line: field.path: what was
expected``. The command line turns it into a one-line message and exit code 2.

Times are local (Kyiv) wall-clock times, naive datetimes; one model step is one hour.
"""

from __future__ import annotations

import difflib
import io
from datetime import date, datetime, time
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from sim.params import DOCTRINE_PARAMETERS, Parameters

if TYPE_CHECKING:
    from sim.theatre import Theatre

Side = Literal["UA", "RU"]
SIDES: tuple[Side, Side] = ("UA", "RU")


def other(side: str) -> str:
    """The opposing side."""
    return "RU" if side == "UA" else "UA"


class ScenarioError(Exception):
    """A problem in a scenario file, located by file, line and field path."""

    def __init__(self, file: str, message: str, line: int | None = None, path: str = ""):
        self.file, self.message, self.line, self.path = file, message, line, path
        where = f"{file}:{line}" if line is not None else file
        field = f" {path}:" if path else ""
        super().__init__(f"{where}:{field} {message}")


class UnitType(StrEnum):
    """APP-6 unit function, as far as the model distinguishes them."""

    ARMOUR = "armour"
    MECHANISED = "mechanised"  # mechanised / motor rifle infantry
    AIRBORNE = "airborne"  # VDV, UA airborne and air assault
    INFANTRY = "infantry"  # light infantry, territorial defence, rifle battalions
    NATIONAL_GUARD = "national_guard"  # Rosgvardia, UA National Guard
    ARTILLERY = "artillery"
    SPECIAL_FORCES = "special_forces"
    RECONNAISSANCE = "reconnaissance"


class Echelon(StrEnum):
    """APP-6 echelon (the mark above the frame)."""

    COMPANY = "company"  # I
    BATTALION = "battalion"  # II (a Russian BTG is drawn as a battalion)
    REGIMENT = "regiment"  # III
    BRIGADE = "brigade"  # X
    DIVISION = "division"  # XX


class Posture(StrEnum):
    """What a unit is doing; it sets speed and combat multipliers."""

    ATTACK = "attack"
    DEFEND = "defend"
    MOVE = "move"
    WITHDRAW = "withdraw"
    ROUT = "rout"
    RESERVE = "reserve"


class Status(StrEnum):
    """Where a unit is in its life on the map."""

    WAITING = "waiting"  # not yet arrived
    ACTIVE = "active"
    SURRENDERED = "surrendered"
    DISBANDED = "disbanded"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Source(_Strict):
    key: str = Field(min_length=1)
    cite: str = Field(min_length=1)


class SideSpec(_Strict):
    name: str
    source: str = ""
    doctrine: dict[str, Any] = Field(
        default_factory=dict,
        description="this side's values of doctrine parameters (sim/params.py), e.g. its "
        "commander's decision delay; each needs a source in `source`")


class Equipment(_Strict):
    """Holdings by item. Personnel are soldiers; the rest are counts of vehicles or weapons."""

    personnel: int = Field(ge=0)
    tanks: int = Field(0, ge=0)
    ifv_apc: int = Field(0, ge=0)
    artillery: int = Field(0, ge=0)
    mlrs: int = Field(0, ge=0)


class UnitSpec(_Strict):
    id: str = Field(pattern=r"^[a-z0-9_]+$")
    name: str
    side: Side
    type: UnitType
    echelon: Echelon
    at: str = Field(description="node id or place name where the unit starts (or arrives)")
    equipment: Equipment
    quality: float = Field(1.0, gt=0, le=2, description="training and cohesion multiplier")
    morale: float = Field(0.8, ge=0, le=1)
    supply: float = Field(1.0, ge=0, le=1)
    posture: Posture = Posture.DEFEND
    engineers: bool = Field(False, description="can build pontoon crossings")
    arrives: datetime | None = Field(None, description="enters the map at this time")
    parent: str = ""
    source: str = Field(min_length=1)
    estimate: bool = False


class Task(StrEnum):
    """What a unit has been told to do."""

    MOVE = "move"  # march to the objective, avoiding the enemy
    ATTACK = "attack"  # advance on the objective, fighting through defended places
    HOLD = "hold"  # defend where it stands (or at the objective, once there)
    WITHDRAW = "withdraw"  # fall back to the objective over ground its side holds
    RESERVE = "reserve"  # stand by: the side's commander commits it where it is needed


#: Tasks that need an objective (a place).
TASKS_WITH_OBJECTIVE = (Task.MOVE, Task.ATTACK, Task.WITHDRAW)

CONDITION_KINDS = ("taken", "lost", "empty", "arrived", "done", "ratio", "strength", "supply",
                   "all", "any")


class Condition(_Strict):
    """What a plan's order waits for, seen from the side that gives the order (exactly one kind):

    - `taken: PLACE`: the side holds the place (whoever took it);
    - `lost: PLACE`: the enemy holds the place;
    - `empty: PLACE`: no enemy troops stand at the place (it was never held, or they left it);
    - `arrived: UNIT`: the unit is on the map (a reinforcement has come); with `at: PLACE`, the
      unit is at that place;
    - `done: ORDER`: the order with that id is done (its objectives reached or taken);
    - `ratio: R` with `at: PLACE`: the order's own units, as they stand, would attack the enemy
      troops at the place with a force ratio of at least R (the commander's estimate, before
      the fog of war; docs/model.md, "Plans and commanders");
    - `strength: UNIT` with `below: F`: the unit has less than F of its starting personnel;
    - `supply: UNIT` with `below: S`: the unit's supply level is below S;
    - `all: [...]` / `any: [...]`: every / at least one of the listed conditions.
    """

    taken: str | None = None
    lost: str | None = None
    empty: str | None = None
    arrived: str | None = None
    done: str | None = None
    ratio: float | None = Field(None, gt=0)
    strength: str | None = None
    supply: str | None = None
    all: list[Condition] | None = Field(None, min_length=1)
    any: list[Condition] | None = Field(None, min_length=1)
    at: str | None = Field(None, description="place, with arrived or ratio")
    below: float | None = Field(None, ge=0, le=1, description="level, with strength or supply")

    @model_validator(mode="after")
    def _one_kind(self) -> Condition:
        given = [k for k in CONDITION_KINDS if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("a condition gives exactly one of " + ", ".join(CONDITION_KINDS)
                             + (f" (got {', '.join(given)})" if given else ""))
        kind = given[0]
        if self.at is not None and kind not in ("arrived", "ratio"):
            raise ValueError(f"at: goes with arrived or ratio, not with {kind}")
        if kind == "ratio" and self.at is None:
            raise ValueError("ratio: needs at: (the place the enemy holds)")
        if (self.below is None) != (kind not in ("strength", "supply")):
            raise ValueError("below: goes with strength or supply, and they need it")
        return self

    @property
    def kind(self) -> str:
        return next(k for k in CONDITION_KINDS if getattr(self, k) is not None)

    def children(self) -> list[Condition]:
        return list(self.all or self.any or [])


class Order(_Strict):
    """A task for one or more units: part of a side's plan.

    An order starts at `start` (default: the scenario's start) once its `when` condition holds;
    the side's commander then issues it (after the command delay, docs/model.md). A move or an
    attack follows its objectives in turn: an attack goes on to the next objective when the
    current one is held by its side. A `start` later than the scenario's start is only for a
    decision that a source dates (its `source:` says so; docs/scenarios.md lists them all).
    """

    id: str | None = Field(None, pattern=r"^[a-z0-9_]+$",
                           description="name for `done:` conditions and what-ifs")
    units: list[str] = Field(min_length=1)
    task: Task
    objective: str | None = None
    objectives: list[str] = Field(default_factory=list,
                                  description="a sequence of objectives, taken in turn")
    via: list[str] = Field(default_factory=list,
                           description="places the route to the first objective passes")
    start: datetime | None = Field(None, description="not before (default: the scenario start)")
    when: Condition | None = Field(None, description="the order waits until this holds")
    source: str = Field(min_length=1)

    @model_validator(mode="after")
    def _objective_needed(self) -> Order:
        if self.objective is not None and self.objectives:
            raise ValueError("give objective: (one place) or objectives: (a list), not both")
        if self.task in TASKS_WITH_OBJECTIVE and not self.track:
            raise ValueError(f"task {self.task.value!r} needs an objective (a place)")
        return self

    @property
    def track(self) -> list[str]:
        """The objectives in order ([] for a hold or reserve in place)."""
        return list(self.objectives) or ([self.objective] if self.objective else [])


class Grouping(_Strict):
    """Units that a side's commander treats as one: they withdraw together when the commander
    sees their line of supply threatened (`on_threat: withdraw`), or they hold whatever
    happens (`on_threat: hold`)."""

    id: str = Field(pattern=r"^[a-z0-9_]+$")
    units: list[str] = Field(min_length=1)
    on_threat: Literal["withdraw", "hold"] = "withdraw"
    fallback: list[str] = Field(default_factory=list,
                                description="where it withdraws to (default: the side's)")
    source: str = Field(min_length=1)


class WhatIf(_Strict):
    """What `python run.py whatif` varies in this scenario (sim/whatif.py builds the standard
    set of counterfactuals from it), and the direction the author expects, with a reason."""

    attacker: Side
    key_places: list[str] = Field(min_length=1, description="whose dates the table reports")
    key_town: str = Field(description="the defended town whose garrison is scaled")
    key_bridge: str | None = None
    bridge_intact_expect: Literal["earlier", "later", "no_earlier", "no_later", "either"] = (
        "either")
    bridge_destroyed_expect: Literal["earlier", "later", "no_earlier", "no_later",
                                     "either"] = "either"
    bridge_expect_place: str | None = Field(
        None, description="the place whose date the bridge variants are expected to move")
    withdrawal_place: str | None = Field(
        None, description="the place the defending side's withdrawal gives up (default the "
        "key town)")
    supporting_attack: str | None = Field(None, description="an order id left out")
    source: str = Field(min_length=1, description="why these expectations")


EventKind = Literal["caption", "destroy_bridge", "strike_depot", "surprise"]


class Event(_Strict):
    """A dated event: a caption for the viewer, a bridge destroyed, a depot struck, or the start
    of a surprise window for a side."""

    at: datetime
    kind: EventKind
    target: str | None = None
    side: Side | None = None
    hours: float = Field(0.0, ge=0, description="duration, for surprise")
    probability: float = Field(1.0, ge=0, le=1)
    text: str = ""
    source: str = Field(min_length=1)

    @model_validator(mode="after")
    def _fields_for_kind(self) -> Event:
        if self.kind in ("destroy_bridge", "strike_depot") and not self.target:
            raise ValueError(f"an event of kind {self.kind!r} needs a target")
        if self.kind == "surprise" and (self.side is None or self.hours <= 0):
            raise ValueError("a surprise event needs a side and hours > 0")
        if self.kind == "caption" and not self.text:
            raise ValueError("a caption event needs a text")
        return self


class Depot(_Strict):
    """A source of supply. A base (the rear) always works; a depot or railhead works only while
    supply can still reach it from a base through ground its side holds."""

    id: str = Field(pattern=r"^[a-z0-9_]+$")
    side: Side
    at: str
    kind: Literal["base", "depot", "railhead"] = "depot"
    source: str = Field(min_length=1)


class Region(_Strict):
    """A lon/lat polygon whose nodes start under one side's control."""

    side: Side
    polygon: list[tuple[float, float]] = Field(min_length=3)
    source: str = Field(min_length=1)


class ControlSpec(_Strict):
    """Who holds what at the start: nodes by country unless a region or a list says otherwise."""

    regions: list[Region] = Field(default_factory=list)
    nodes: dict[Side, list[str]] = Field(default_factory=dict)


class Observation(_Strict):
    """A dated historical observation the run is scored against: either who held a place, or
    how much area (km²) or how many settlements a side had taken since the start."""

    date: datetime
    place: str | None = None
    holder: Side | None = None
    side: Side | None = None
    area_km2: float | None = Field(None, gt=0)
    settlements: int | None = Field(None, gt=0)
    relation: Literal["=", ">=", "<="] = "="
    bound: bool = Field(False, description="the date only bounds the change ('held by then'), "
                        "it is not the day the place changed hands")
    until: datetime | None = Field(
        None, description="the last day of a window for a change of hands (sources differ, or "
        "the fighting took days): the place changed hands between `date` and `until`")
    source: str = Field(min_length=1)
    note: str = ""

    @field_validator("date", "until", mode="before")
    @classmethod
    def _date_is_end_of_day(cls, v: Any) -> Any:
        # A bare date means "by the end of that day".
        if isinstance(v, date) and not isinstance(v, datetime):
            return datetime.combine(v, time(23, 0))
        return v

    @model_validator(mode="after")
    def _one_kind(self) -> Observation:
        kinds = [self.place is not None, self.area_km2 is not None,
                 self.settlements is not None]
        if sum(kinds) != 1:
            raise ValueError("an observation gives exactly one of place, area_km2, settlements")
        if self.place is not None and self.holder is None:
            raise ValueError("an observation of a place needs its holder (UA or RU)")
        if self.place is None and self.side is None:
            raise ValueError("an area or settlements observation needs the side that took them")
        if self.until is not None:
            if self.place is None:
                raise ValueError("until: a window is for who held a place, not for a figure")
            if self.bound:
                raise ValueError("until: a window and bound: true do not go together (bound "
                                 "already accepts any change before the date)")
            if self.until.date() < self.date.date():
                raise ValueError("until: the window ends before its date")
        return self


class Scenario(_Strict):
    id: str
    title: str
    description: str = ""
    start: datetime
    end: datetime
    sources: list[Source] = Field(min_length=1)
    sides: dict[Side, SideSpec]
    control: ControlSpec = Field(default_factory=ControlSpec)
    depots: list[Depot] = Field(default_factory=list)
    fallback: dict[Side, list[str]] = Field(
        default_factory=dict,
        description="where each side's units withdraw to when the doctrine pulls them back")
    crossings: dict[str, Literal["intact", "destroyed", "pontoon", "indestructible"]] = Field(
        default_factory=dict,
        description="crossings whose state at the start differs from the map's, by crossing "
        "id: a bridge already destroyed, a pontoon already built, or a bridge that no strike "
        "or demolition can destroy (a what-if)")
    units: list[UnitSpec] = Field(min_length=1)
    orders: list[Order] = Field(default_factory=list)
    groupings: list[Grouping] = Field(default_factory=list)
    events: list[Event] = Field(default_factory=list)
    parameters: dict[str, Any] = Field(default_factory=dict)
    history: list[Observation] = Field(default_factory=list)
    whatif: WhatIf | None = None

    @field_validator("end")
    @classmethod
    def _end_after_start(cls, v: datetime, info: Any) -> datetime:
        start = info.data.get("start")
        if start is not None and v <= start:
            raise ValueError(f"end ({v}) must be after start ({start})")
        return v

    @field_validator("parameters")
    @classmethod
    def _known_parameters(cls, v: dict[str, Any]) -> dict[str, Any]:
        Parameters(**v)  # raises with the parameter's name in the error location
        return v

    @model_validator(mode="after")
    def _doctrine_parameters(self) -> Scenario:
        for side, spec in self.sides.items():
            unknown = sorted(set(spec.doctrine) - set(DOCTRINE_PARAMETERS))
            if unknown:
                raise ValueError(f"sides.{side}.doctrine: {', '.join(unknown)} is not a "
                                 "doctrine parameter (one of: "
                                 f"{', '.join(DOCTRINE_PARAMETERS)})")
            Parameters(**{**self.parameters, **spec.doctrine})
        return self

    @property
    def hours(self) -> int:
        """Number of one-hour steps from start to end."""
        return int((self.end - self.start).total_seconds() // 3600)

    def parameters_with(self, overrides: dict[str, Any] | None = None) -> Parameters:
        """Model defaults, then the scenario's parameters, then the caller's overrides."""
        return Parameters(**{**self.parameters, **(overrides or {})})

    def side_parameters(self, params: Parameters) -> dict[str, Parameters]:
        """Per side: `params` with that side's doctrine values (sides.<S>.doctrine) over them.
        A value the caller overrode (it differs from the scenario's) is kept for both sides."""
        base = self.parameters_with()
        out = {}
        for side in SIDES:
            spec = self.sides.get(side)
            own = {k: v for k, v in (spec.doctrine if spec else {}).items()
                   if getattr(params, k) == getattr(base, k)}
            out[side] = Parameters(**{**params.model_dump(), **own}) if own else params
        return out

    def order_start(self, order: Order) -> datetime:
        """When an order may start: its own start, or the scenario's."""
        return order.start or self.start


# --------------------------------------------------------------------------------------------
# Loading with line numbers


def _yaml() -> YAML:
    y = YAML(typ="rt")  # round-trip: keeps line/column marks; YAML 1.2 (so NO stays a string)
    y.allow_duplicate_keys = False
    return y


def _plain(node: Any) -> Any:
    """ruamel's commented containers -> plain dicts/lists (scalars kept)."""
    if isinstance(node, dict):
        return {str(k) if not isinstance(k, str) else k: _plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_plain(v) for v in node]
    if hasattr(node, "year") and type(node).__name__ == "TimeStamp":
        return datetime(node.year, node.month, node.day, node.hour, node.minute, node.second)
    return node


def _line_of(root: Any, loc: tuple[Any, ...]) -> int | None:
    """1-based line of the deepest node of `loc` that exists in the YAML tree."""
    node, line = root, getattr(getattr(root, "lc", None), "line", None)
    for key in loc:
        lc = getattr(node, "lc", None)
        if isinstance(node, dict) and key in node:
            if lc is not None:
                line = lc.key(key)[0]
            node = node[key]
        elif isinstance(node, list) and isinstance(key, int) and 0 <= key < len(node):
            if lc is not None:
                line = lc.item(key)[0]
            node = node[key]
        else:
            break
    return None if line is None else line + 1


def _path(loc: tuple[Any, ...]) -> str:
    out = ""
    for key in loc:
        if isinstance(key, int):
            out += f"[{key}]"
        else:
            out += ("." if out else "") + str(key)
    return out


def _from_validation_error(file: str, root: Any, err: ValidationError,
                           prefix: tuple = ()) -> ScenarioError:
    first = err.errors()[0]
    loc = prefix + tuple(x for x in first["loc"] if not (isinstance(x, str) and "[" in x))
    msg = first["msg"].removeprefix("Value error, ")
    if first["type"] == "extra_forbidden":
        msg = "unknown field (not part of the scenario schema)"
    elif first["type"] == "missing":
        msg = "required field is missing"
    more = len(err.errors()) - 1
    if more:
        msg += f" (and {more} more problem{'s' if more > 1 else ''})"
    return ScenarioError(file, msg, _line_of(root, loc), _path(loc))


def parse_scenario(text: str, file: str = "<scenario>") -> tuple[Scenario, Any]:
    """Parse and validate YAML text; returns the scenario and the raw YAML tree (for lines)."""
    try:
        root = _yaml().load(io.StringIO(text))
    except MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        line = mark.line + 1 if mark is not None else None
        problem = (e.problem or e.context or "invalid YAML").strip()
        raise ScenarioError(file, f"YAML syntax: {problem}", line) from None
    except YAMLError as e:
        raise ScenarioError(file, f"YAML: {str(e).splitlines()[0]}") from None
    except (ValueError, TypeError, OverflowError) as e:
        raise ScenarioError(file, f"YAML value: {e}") from None
    if not isinstance(root, dict):
        raise ScenarioError(file, "expected a mapping of scenario fields at the top level", 1)
    try:
        data = _plain(root)
    except (ValueError, TypeError, OverflowError) as e:
        raise ScenarioError(file, f"YAML value: {e}") from None
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as err:
        raise _from_validation_error(file, root, err) from None
    check_references(scenario, file, root)
    return scenario, root


def _conditions(c: Condition | None, loc: tuple) -> list[tuple[tuple, Condition]]:
    """Every condition in a `when:` tree, with its location in the YAML."""
    if c is None:
        return []
    out = [(loc, c)]
    for key in ("all", "any"):
        for j, child in enumerate(getattr(c, key) or []):
            out += _conditions(child, (*loc, key, j))
    return out


def _located(file: str, root: Any, loc: tuple, message: str) -> ScenarioError:
    return ScenarioError(file, message, _line_of(root, loc), _path(loc))


def check_references(s: Scenario, file: str, root: Any) -> None:
    """Unit ids and order ids unique; orders, groupings and conditions name units and orders
    that exist."""
    seen: dict[str, int] = {}
    for i, u in enumerate(s.units):
        if u.id in seen:
            raise _located(file, root, ("units", i, "id"),
                           f"unit id {u.id!r} is already used by units[{seen[u.id]}]")
        seen[u.id] = i

    def unit_ref(uid: str, loc: tuple) -> None:
        if uid not in seen:
            close = difflib.get_close_matches(uid, list(seen), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise _located(file, root, loc, f"no unit {uid!r} in this scenario{hint}")

    order_ids: dict[str, int] = {}
    for i, o in enumerate(s.orders):
        if o.id is not None:
            if o.id in order_ids:
                raise _located(file, root, ("orders", i, "id"),
                               f"order id {o.id!r} is already used by orders[{order_ids[o.id]}]")
            order_ids[o.id] = i
    for i, o in enumerate(s.orders):
        for j, uid in enumerate(o.units):
            unit_ref(uid, ("orders", i, "units", j))
        for loc, c in _conditions(o.when, ("orders", i, "when")):
            for key in ("arrived", "strength", "supply"):
                if getattr(c, key) is not None:
                    unit_ref(getattr(c, key), (*loc, key))
            if c.done is not None and c.done not in order_ids:
                raise _located(file, root, (*loc, "done"), f"no order with id {c.done!r}")
            if c.done is not None and c.done == o.id:
                raise _located(file, root, (*loc, "done"), "an order cannot wait for itself")
    grouped: dict[str, str] = {}
    for i, g in enumerate(s.groupings):
        for j, uid in enumerate(g.units):
            unit_ref(uid, ("groupings", i, "units", j))
            if uid in grouped:
                raise _located(file, root, ("groupings", i, "units", j),
                               f"unit {uid!r} is already in grouping {grouped[uid]!r}")
            grouped[uid] = g.id
        if len({s.units[seen[uid]].side for uid in g.units}) > 1:
            raise _located(file, root, ("groupings", i, "units"),
                           "a grouping's units must all be of one side")
    if s.whatif and s.whatif.supporting_attack and s.whatif.supporting_attack not in order_ids:
        raise _located(file, root, ("whatif", "supporting_attack"),
                       f"no order with id {s.whatif.supporting_attack!r}")


def _place_fields(s: Scenario) -> list[tuple[tuple, str]]:
    """Every (location in the YAML, value) that must name a node of the map."""
    out: list[tuple[tuple, str]] = []
    for i, u in enumerate(s.units):
        out.append((("units", i, "at"), u.at))
    for i, o in enumerate(s.orders):
        if o.objective:
            out.append((("orders", i, "objective"), o.objective))
        out += [(("orders", i, "objectives", j), v) for j, v in enumerate(o.objectives)]
        out += [(("orders", i, "via", j), v) for j, v in enumerate(o.via)]
        for loc, c in _conditions(o.when, ("orders", i, "when")):
            out += [((*loc, key), getattr(c, key)) for key in ("taken", "lost", "empty", "at")
                    if getattr(c, key) is not None]
    for i, g in enumerate(s.groupings):
        out += [(("groupings", i, "fallback", j), p) for j, p in enumerate(g.fallback)]
    for i, d in enumerate(s.depots):
        out.append((("depots", i, "at"), d.at))
    for side, places in s.fallback.items():
        out += [(("fallback", side, j), p) for j, p in enumerate(places)]
    for side, places in s.control.nodes.items():
        out += [(("control", "nodes", side, j), p) for j, p in enumerate(places)]
    for i, h in enumerate(s.history):
        if h.place:
            out.append((("history", i, "place"), h.place))
    if s.whatif:
        out += [(("whatif", "key_places", j), p) for j, p in enumerate(s.whatif.key_places)]
        out.append((("whatif", "key_town"), s.whatif.key_town))
        for key in ("bridge_expect_place", "withdrawal_place"):
            if getattr(s.whatif, key):
                out.append((("whatif", key), getattr(s.whatif, key)))
    return out


def resolve_places(s: Scenario, theatre: Theatre, file: str, root: Any) -> Scenario:
    """Check every place against the map and replace names by node ids. Also checks event
    targets (bridges, depots)."""

    def resolve(loc: tuple, value: str) -> str:
        try:
            return theatre.resolve(value)
        except KeyError as e:
            msg = e.args[0] if e.args else f"no place named {value!r} on the map"
            raise ScenarioError(file, str(msg), _line_of(root, loc), _path(loc)) from None

    data = s.model_dump()
    for loc, value in _place_fields(s):
        node = data
        for key in loc[:-1]:
            node = node[key]
        node[loc[-1]] = resolve(loc, value)
    depot_ids = {d["id"] for d in data["depots"]}
    for i, ev in enumerate(data["events"]):
        loc = ("events", i, "target")
        if ev["kind"] == "destroy_bridge" and ev["target"] not in theatre.crossings:
            close = difflib.get_close_matches(ev["target"], list(theatre.crossings), n=3)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            raise ScenarioError(file, f"no bridge or crossing {ev['target']!r} on the map{hint}",
                                _line_of(root, loc), _path(loc))
        if (ev["kind"] == "destroy_bridge"
                and theatre.crossings[ev["target"]].kind not in ("bridge", "rail_bridge")):
            kind = theatre.crossings[ev["target"]].kind
            raise ScenarioError(file, f"{ev['target']!r} is a {kind!r} crossing, not a bridge: "
                                "there is nothing to destroy", _line_of(root, loc), _path(loc))
        if ev["kind"] == "strike_depot" and ev["target"] not in depot_ids:
            raise ScenarioError(file, f"no depot {ev['target']!r} in this scenario",
                                _line_of(root, loc), _path(loc))
    bridges = [(("crossings", cid), cid) for cid in data["crossings"]]
    if data["whatif"] and data["whatif"]["key_bridge"]:
        bridges.append((("whatif", "key_bridge"), data["whatif"]["key_bridge"]))
    for loc, cid in bridges:
        if cid not in theatre.crossings:
            close = difflib.get_close_matches(cid, list(theatre.crossings), n=3)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            raise ScenarioError(file, f"no bridge or crossing {cid!r} on the map{hint}",
                                _line_of(root, loc), _path(loc))
        if theatre.crossings[cid].kind not in ("bridge", "rail_bridge") and (
                loc[0] == "whatif" or data["crossings"][cid] in ("destroyed", "indestructible")):
            kind = theatre.crossings[cid].kind
            raise ScenarioError(file, f"{cid!r} is a {kind!r} crossing, not a bridge",
                                _line_of(root, loc), _path(loc))
    return Scenario.model_validate(data)



def load_scenario(path: str | Path, theatre: Theatre | None = None) -> Scenario:
    """Read a scenario file. With a theatre, places are checked and resolved to node ids.

    Raises ScenarioError (never another exception) for any problem with the file.
    """
    path = Path(path)
    file = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError(file, "file not found") from None
    except IsADirectoryError:
        raise ScenarioError(file, "is a directory, expected a .yaml file") from None
    except UnicodeDecodeError as e:
        raise ScenarioError(file, f"not UTF-8 text ({e.reason} at byte {e.start})") from None
    except OSError as e:
        raise ScenarioError(file, f"cannot be read ({e.strerror})") from None
    scenario, root = parse_scenario(text, file)
    if theatre is not None:
        scenario = resolve_places(scenario, theatre, file, root)
    return scenario


def yaml_location(root: Any, loc: tuple[Any, ...]) -> tuple[int | None, str]:
    """(1-based line, field path such as ``units[3].at``) of a field in the YAML tree returned
    by `parse_scenario`: the loader's own lookup, for checks made outside the loader."""
    return _line_of(root, loc), _path(loc)
