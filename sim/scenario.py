"""Where a scenario is read: YAML file -> validated, typed `Scenario`.

The loader keeps the YAML's line numbers (ruamel.yaml round-trip nodes) so that every problem,
whether YAML syntax, a wrong type, an unknown field, a place that is not on the map or an end
date before the start, is reported as ``file:line: field.path: what was expected``. All the
problems of a file are reported at once: a `ScenarioError` carries the list (`problems`), in
file order, and the command line prints one line each and exits with code 2.

Times are local (Kyiv) wall-clock times, naive datetimes; one model step is one hour. A time
written with a UTC offset (``2022-09-05T15:00:00Z``, ``...+03:00``) is **rejected** with its
line, and the message gives the same moment on the Kyiv clock to write instead: a silent
conversion would hide a misunderstanding of the scenario's clock, and Kyiv's offset changed in
the period (UTC+2 until 27 March 2022, UTC+3 after). Years lie between 1900 and 2100.

Hostile input is refused before it can hang or exhaust memory (sim/safe_io.py): only regular
files of at most 1 MiB, YAML nested at most 40 deep with at most 50,000 nodes and 200,000 values
once aliases are expanded. Every number is finite and within a bound far above any real unit
(the schema's `le=` bounds). A scenario lasts at most `MAX_DAYS` days unless the caller lifts
the cap (`--max-days`): a run keeps every hour in memory. The scenario `id` becomes part of
file names, so it must be a plain name (letters, digits, ``_``, ``-``).
"""

from __future__ import annotations

import difflib
import functools
import io
import types
import typing
from dataclasses import dataclass
from datetime import date, datetime, time
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from sim.params import DOCTRINE_PARAMETERS, Parameters
from sim.safe_io import (
    MAX_YAML_BYTES,
    SLUG_RULE,
    FileProblem,
    TooManyValues,
    count_values,
    is_slug,
    lone_surrogate,
    read_text,
    yaml_loader,
    yaml_problem,
)

if TYPE_CHECKING:
    from sim.theatre import Theatre

Side = Literal["UA", "RU"]
SIDES: tuple[Side, Side] = ("UA", "RU")


def other(side: str) -> str:
    """The opposing side."""
    return "RU" if side == "UA" else "UA"


#: Longest scenario (end - start) loaded without lifting the cap (`--max-days`): a run keeps
#: every hour's frame in memory (about 1 MiB an hour for 40 units; March 2022 is 39 days).
MAX_DAYS = 120
#: Years a scenario's times may lie in: a wider year is a typo (9999-12-31 would also overflow
#: the clock arithmetic of a run).
YEARS = (1900, 2100)
#: Most problems one ScenarioError lists (a mangled file can have thousands).
MAX_PROBLEMS = 100
#: Bounds on a unit's holdings: far above any real unit (a Soviet tank army had about 1,000
#: tanks and 60,000 soldiers); they catch typos and numbers the arithmetic cannot hold.
MAX_PERSONNEL = 200_000
MAX_ITEMS = 10_000
#: Longest surprise window: a year.
MAX_EVENT_HOURS = 24 * 366


@dataclass(frozen=True)
class Problem:
    """One problem in a scenario file: ``file:line: field.path: message``."""

    file: str
    message: str
    line: int | None = None
    path: str = ""

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line is not None else self.file
        field = f" {self.path}:" if self.path else ""
        return f"{where}:{field} {self.message}"


class ScenarioError(Exception):
    """Problems in a scenario file, each located by file, line and field path.

    `problems` lists every problem found, in file order; `file`, `message`, `line` and `path`
    are those of the first. `str()` is one line per problem."""

    def __init__(self, file: str, message: str = "", line: int | None = None, path: str = "",
                 *, problems: list[Problem] | None = None):
        self.problems = list(problems) if problems else [Problem(file, message, line, path)]
        first = self.problems[0]
        self.file, self.message, self.line, self.path = (first.file, first.message, first.line,
                                                         first.path)
        super().__init__("\n".join(str(p) for p in self.problems))


def _raise_all(file: str, problems: list[Problem]) -> None:
    """Raise one ScenarioError with every problem, in file order (unlocated ones last)."""
    if not problems:
        return
    unique = list(dict.fromkeys(problems))
    unique.sort(key=lambda p: (p.line is None, p.line or 0))
    raise ScenarioError(file, problems=unique)


@functools.cache
def _kinds(cls: type, name: str) -> frozenset[type]:
    """The plain types a field accepts: `float | None` -> {float, NoneType}."""
    ann = cls.model_fields[name].annotation
    args = typing.get_args(ann) if typing.get_origin(ann) in (typing.Union, types.UnionType) \
        else (ann,)
    return frozenset(a for a in args if isinstance(a, type))


def _check_local_time(v: datetime) -> datetime:
    """A scenario time: naive (Kyiv wall clock) and within YEARS. Raises ValueError."""
    if v.tzinfo is not None:
        hint = ""
        try:
            from zoneinfo import ZoneInfo

            local = v.astimezone(ZoneInfo("Europe/Kyiv"))
            hint = f"; this moment is {local:%Y-%m-%dT%H:%M} in Kyiv: write that"
        except Exception:  # no time zone database: the message goes without the hint
            pass
        raise ValueError(f"times are Kyiv local time, written without a UTC offset (got "
                         f"{v.isoformat()}){hint}")
    if not YEARS[0] <= v.year <= YEARS[1]:
        raise ValueError(f"expected a year between {YEARS[0]} and {YEARS[1]}, got {v.year}")
    return v


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
    """Unknown fields are errors; numbers are finite; a true/false is not a number; a number
    is not a date; times are naive Kyiv times within YEARS."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    @field_validator("*", mode="before")
    @classmethod
    def _no_lax_numbers(cls, v: Any, info: ValidationInfo) -> Any:
        kinds = _kinds(cls, info.field_name)
        if isinstance(v, bool) and bool not in kinds and kinds & {int, float}:
            raise ValueError(f"expected a number, got {str(v).lower()}")
        if isinstance(v, int | float) and not isinstance(v, bool) and datetime in kinds:
            raise ValueError(f"expected a date and time like 2022-09-05T18:00, got {v!r}")
        return v

    @field_validator("*", mode="after")
    @classmethod
    def _local_times(cls, v: Any) -> Any:
        return _check_local_time(v) if isinstance(v, datetime) else v


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

    personnel: int = Field(ge=0, le=MAX_PERSONNEL)
    tanks: int = Field(0, ge=0, le=MAX_ITEMS)
    ifv_apc: int = Field(0, ge=0, le=MAX_ITEMS)
    artillery: int = Field(0, ge=0, le=MAX_ITEMS)
    mlrs: int = Field(0, ge=0, le=MAX_ITEMS)


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
    hours: float = Field(0.0, ge=0, le=MAX_EVENT_HOURS, description="duration, for surprise")
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

    @field_validator("polygon")
    @classmethod
    def _lon_lat(cls, v: list[tuple[float, float]]) -> list[tuple[float, float]]:
        for i, (lon, lat) in enumerate(v):
            if not (-180 <= lon <= 180 and -90 <= lat <= 90):
                raise ValueError(f"point {i} ({lon}, {lat}): expected longitude -180..180 and "
                                 "latitude -90..90")
        return v


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
    area_km2: float | None = Field(None, gt=0, le=1_000_000)
    settlements: int | None = Field(None, gt=0, le=100_000)
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

    @field_validator("id")
    @classmethod
    def _id_is_a_name(cls, v: str) -> str:
        if not is_slug(v):
            raise ValueError(f"{v[:40]!r} is not a plain name: {SLUG_RULE}")
        return v

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
    """The scenario reader: round-trip (keeps line/column marks), YAML 1.2 (so NO stays a
    string), no duplicate keys, and sim.safe_io's limits on depth and size."""
    return yaml_loader("rt")


def _plain(node: Any) -> Any:
    """ruamel's commented containers -> plain dicts/lists (scalars kept; a YAML timestamp
    becomes a datetime, keeping its UTC offset so that the schema can refuse it)."""
    if isinstance(node, dict):
        return {str(k) if not isinstance(k, str) else k: _plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_plain(v) for v in node]
    if hasattr(node, "year") and type(node).__name__ == "TimeStamp":
        return datetime(node.year, node.month, node.day, node.hour, node.minute, node.second,
                        tzinfo=node.tzinfo)
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


def _problem(file: str, root: Any, loc: tuple[Any, ...], message: str) -> Problem:
    return Problem(file, message, _line_of(root, loc), _path(loc))


def _model_at(loc: tuple[Any, ...]) -> type[BaseModel] | None:
    """The schema class whose field `loc` names (for 'did you mean' on unknown fields)."""
    cls: Any = Scenario
    for key in loc[:-1]:
        if isinstance(key, int) or not (isinstance(cls, type) and issubclass(cls, BaseModel)):
            continue
        if key not in cls.model_fields:
            return None
        ann = cls.model_fields[key].annotation
        while typing.get_args(ann) and not (isinstance(ann, type)
                                            and issubclass(ann, BaseModel)):
            models = [a for a in typing.get_args(ann)
                      if isinstance(a, type) and issubclass(a, BaseModel)]
            ann = models[0] if models else typing.get_args(ann)[-1]
        cls = ann
    return cls if isinstance(cls, type) and issubclass(cls, BaseModel) else None


def _validation_problems(file: str, root: Any, err: ValidationError,
                         prefix: tuple = ()) -> list[Problem]:
    """Every error of a pydantic ValidationError as a located Problem."""
    out = []
    for e in err.errors():
        loc = prefix + tuple(x for x in e["loc"] if not (isinstance(x, str) and "[" in x))
        msg = e["msg"].removeprefix("Value error, ")
        if e["type"] == "extra_forbidden":
            model = _model_at(loc)
            close = difflib.get_close_matches(str(loc[-1]), list(model.model_fields), n=1) \
                if model is not None and loc else []
            hint = f" (did you mean {close[0]}?)" if close else ""
            msg = f"unknown field (not part of the scenario schema){hint}"
        elif e["type"] == "missing":
            msg = "required field is missing"
        out.append(_problem(file, root, loc, msg))
    return out


def _from_validation_error(file: str, root: Any, err: ValidationError,
                           prefix: tuple = ()) -> ScenarioError:
    """A ScenarioError listing every error of `err`, located."""
    problems = _validation_problems(file, root, err, prefix)
    problems.sort(key=lambda p: (p.line is None, p.line or 0))
    return ScenarioError(file, problems=problems)


def _items(data: Any, key: str) -> list[tuple[int, dict]]:
    """(index, item) of the mapping items of a top-level list field of raw scenario data."""
    items = data.get(key) if isinstance(data, dict) else None
    if not isinstance(items, list):
        return []
    return [(i, x) for i, x in enumerate(items) if isinstance(x, dict)]


def _reference_problems(data: Any, file: str, root: Any) -> list[Problem]:
    """Unit, depot and order ids unique; orders, conditions, groupings and the what-if block
    name units and orders that exist; a grouping is of one side. Works on raw data (items the
    schema rejects are skipped), so these are found along with the schema's problems."""
    out: list[Problem] = []
    for kind in ("units", "depots"):
        seen: dict[str, int] = {}
        for i, item in _items(data, kind):
            ident = item.get("id")
            if not isinstance(ident, str):
                continue
            if ident in seen:
                out.append(_problem(file, root, (kind, i, "id"), f"{kind[:-1]} id {ident!r} is "
                                    f"already used by {kind}[{seen[ident]}]"))
            else:
                seen[ident] = i
        if kind == "units":
            units = seen
    def unit_ref(uid: Any, loc: tuple) -> None:
        if isinstance(uid, str) and uid not in units:
            close = difflib.get_close_matches(uid, list(units), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            out.append(_problem(file, root, loc, f"no unit {uid!r} in this scenario{hint}"))

    order_ids: dict[str, int] = {}
    for i, order in _items(data, "orders"):
        ident = order.get("id")
        if isinstance(ident, str):
            if ident in order_ids:
                out.append(_problem(file, root, ("orders", i, "id"), f"order id {ident!r} is "
                                    f"already used by orders[{order_ids[ident]}]"))
            else:
                order_ids[ident] = i
    for i, order in _items(data, "orders"):
        names = order.get("units")
        for j, uid in enumerate(names if isinstance(names, list) else []):
            unit_ref(uid, ("orders", i, "units", j))
        for loc, c in _raw_conditions(order.get("when"), ("orders", i, "when")):
            for key in ("arrived", "strength", "supply"):
                unit_ref(c.get(key), (*loc, key))
            done = c.get("done")
            if isinstance(done, str) and done not in order_ids:
                out.append(_problem(file, root, (*loc, "done"), f"no order with id {done!r}"))
            elif isinstance(done, str) and done == order.get("id"):
                out.append(_problem(file, root, (*loc, "done"),
                                    "an order cannot wait for itself"))
    grouped: dict[str, str] = {}
    side_of = {u.get("id"): u.get("side") for _, u in _items(data, "units")
               if isinstance(u.get("id"), str)}
    for i, g in _items(data, "groupings"):
        names = g.get("units")
        names = names if isinstance(names, list) else []
        for j, uid in enumerate(names):
            unit_ref(uid, ("groupings", i, "units", j))
            if isinstance(uid, str) and uid in grouped:
                out.append(_problem(file, root, ("groupings", i, "units", j),
                                    f"unit {uid!r} is already in grouping {grouped[uid]!r}"))
            elif isinstance(uid, str):
                grouped[uid] = str(g.get("id"))
        if len({side_of[uid] for uid in names if isinstance(uid, str) and uid in side_of
                and isinstance(side_of[uid], str)}) > 1:
            out.append(_problem(file, root, ("groupings", i, "units"),
                                "a grouping's units must all be of one side"))
    whatif = data.get("whatif") if isinstance(data, dict) else None
    support = whatif.get("supporting_attack") if isinstance(whatif, dict) else None
    if isinstance(support, str) and support not in order_ids:
        out.append(_problem(file, root, ("whatif", "supporting_attack"),
                            f"no order with id {support!r}"))
    return out


def _raw_conditions(c: Any, loc: tuple) -> list[tuple[tuple, dict]]:
    """Every condition (a mapping) in a raw `when:` tree, with its location in the YAML."""
    if not isinstance(c, dict):
        return []
    out = [(loc, c)]
    for key in ("all", "any"):
        children = c.get(key)
        for j, child in enumerate(children if isinstance(children, list) else []):
            out += _raw_conditions(child, (*loc, key, j))
    return out


def check_references(s: Scenario, file: str, root: Any) -> None:
    """Unit and depot ids unique; orders name units that exist. Raises ScenarioError listing
    every problem."""
    _raise_all(file, _reference_problems(s.model_dump(), file, root))


def _duration_problems(s: Scenario, file: str, root: Any, max_days: float | None,
                       ) -> list[Problem]:
    if max_days is None or s.hours <= max_days * 24:
        return []
    return [_problem(file, root, ("end",), f"the scenario lasts {s.hours / 24:,.1f} days; the "
                     f"limit is {max_days:g} days (a run keeps every hour in memory): shorten "
                     "it, or lift the limit knowingly with --max-days")]


def check_duration(s: Scenario, file: str, root: Any, max_days: float | None = MAX_DAYS) -> None:
    """Raise ScenarioError if the scenario lasts longer than `max_days` (None: no cap)."""
    _raise_all(file, _duration_problems(s, file, root, max_days))


def _place_fields(data: Any) -> list[tuple[tuple, str]]:
    """Every (location in the YAML, value) of raw scenario data that must name a node of the
    map (values that are not text are the schema's business, and skipped)."""
    out: list[tuple[tuple, Any]] = []
    for i, u in _items(data, "units"):
        out.append((("units", i, "at"), u.get("at")))
    for i, o in _items(data, "orders"):
        out.append((("orders", i, "objective"), o.get("objective")))
        via = o.get("via")
        out += [(("orders", i, "via", j), v) for j, v in
                enumerate(via if isinstance(via, list) else [])]
    for i, d in _items(data, "depots"):
        out.append((("depots", i, "at"), d.get("at")))
    fallback = data.get("fallback") if isinstance(data, dict) else None
    for side, places in (fallback.items() if isinstance(fallback, dict) else []):
        out += [(("fallback", side, j), p) for j, p in
                enumerate(places if isinstance(places, list) else [])]
    control = data.get("control") if isinstance(data, dict) else None
    nodes = control.get("nodes") if isinstance(control, dict) else None
    for side, places in (nodes.items() if isinstance(nodes, dict) else []):
        out += [(("control", "nodes", side, j), p) for j, p in
                enumerate(places if isinstance(places, list) else [])]
    for i, h in _items(data, "history"):
        out.append((("history", i, "place"), h.get("place")))
    for i, o in _items(data, "orders"):
        objectives = o.get("objectives")
        out += [(("orders", i, "objectives", j), v) for j, v in
                enumerate(objectives if isinstance(objectives, list) else [])]
        for loc, c in _raw_conditions(o.get("when"), ("orders", i, "when")):
            out += [((*loc, key), c.get(key)) for key in ("taken", "lost", "empty", "at")]
    for i, g in _items(data, "groupings"):
        fallback = g.get("fallback")
        out += [(("groupings", i, "fallback", j), v) for j, v in
                enumerate(fallback if isinstance(fallback, list) else [])]
    whatif = data.get("whatif") if isinstance(data, dict) else None
    if isinstance(whatif, dict):
        places = whatif.get("key_places")
        out += [(("whatif", "key_places", j), v) for j, v in
                enumerate(places if isinstance(places, list) else [])]
        out += [(("whatif", key), whatif.get(key)) for key in
                ("key_town", "bridge_expect_place", "withdrawal_place")]
    return [(loc, v) for loc, v in out if isinstance(v, str)]


def _place_problems(data: Any, theatre: Theatre, file: str, root: Any) -> list[Problem]:
    """Places not on the map; event targets that are no bridge or no depot of the scenario."""
    out: list[Problem] = []
    for loc, value in _place_fields(data):
        try:
            theatre.resolve(value)
        except KeyError as e:
            msg = e.args[0] if e.args else f"no place named {value!r} on the map"
            out.append(_problem(file, root, loc, str(msg)))
    depot_ids = {d.get("id") for _, d in _items(data, "depots")}
    for i, ev in _items(data, "events"):
        loc, target, kind = ("events", i, "target"), ev.get("target"), ev.get("kind")
        if not isinstance(target, str):
            continue
        if kind == "destroy_bridge" and target not in theatre.crossings:
            close = difflib.get_close_matches(target, list(theatre.crossings), n=3)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            out.append(_problem(file, root, loc,
                                f"no bridge or crossing {target!r} on the map{hint}"))
        elif (kind == "destroy_bridge"
              and theatre.crossings[target].kind not in ("bridge", "rail_bridge")):
            out.append(_problem(file, root, loc, f"{target!r} is a "
                                f"{theatre.crossings[target].kind!r} crossing, not a bridge: "
                                "there is nothing to destroy"))
        elif kind == "strike_depot" and target not in depot_ids:
            out.append(_problem(file, root, loc, f"no depot {target!r} in this scenario"))
    crossings = data.get("crossings") if isinstance(data, dict) else None
    bridges = [(("crossings", cid), cid, state) for cid, state in
               (crossings.items() if isinstance(crossings, dict) else [])]
    whatif = data.get("whatif") if isinstance(data, dict) else None
    if isinstance(whatif, dict) and whatif.get("key_bridge") is not None:
        bridges.append((("whatif", "key_bridge"), whatif.get("key_bridge"), "indestructible"))
    for loc, cid, state in bridges:
        if not isinstance(cid, str):
            continue
        if cid not in theatre.crossings:
            close = difflib.get_close_matches(cid, list(theatre.crossings), n=3)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            out.append(_problem(file, root, loc, f"no bridge or crossing {cid!r} on the map"
                                f"{hint}"))
        elif (theatre.crossings[cid].kind not in ("bridge", "rail_bridge")
              and state in ("destroyed", "indestructible")):
            out.append(_problem(file, root, loc, f"{cid!r} is a "
                                f"{theatre.crossings[cid].kind!r} crossing, not a bridge"))
    return out


def _resolved(s: Scenario, theatre: Theatre) -> Scenario:
    """The scenario with every place name replaced by its node id (places already checked)."""
    data = s.model_dump()
    for loc, value in _place_fields(data):
        node = data
        for key in loc[:-1]:
            node = node[key]
        node[loc[-1]] = theatre.resolve(value)
    return Scenario.model_validate(data)


def resolve_places(s: Scenario, theatre: Theatre, file: str, root: Any) -> Scenario:
    """Check every place against the map and replace names by node ids. Also checks event
    targets (bridges, depots). Raises ScenarioError listing every problem."""
    _raise_all(file, _place_problems(s.model_dump(), theatre, file, root))
    return _resolved(s, theatre)


def _unicode_problems(data: Any, file: str, root: Any) -> list[Problem]:
    """Text no file can hold: a YAML escape such as "\\ud800" gives a lone surrogate."""
    out, stack = [], [((), data)]
    while stack:
        loc, node = stack.pop()
        if isinstance(node, dict):
            stack += [(loc + (k,), v) for k, v in node.items()]
            stack += [(loc, k) for k in node if isinstance(k, str)]
        elif isinstance(node, list):
            stack += [(loc + (i,), v) for i, v in enumerate(node)]
        elif isinstance(node, str) and lone_surrogate(node):
            out.append(_problem(file, root, loc, "text that is not valid Unicode (a lone "
                                "surrogate such as \\ud800)"))
    return out


def _load(text: str, file: str, theatre: Theatre | None, max_days: float | None,
          ) -> tuple[Scenario, Any]:
    """Parse, validate and (with a theatre) resolve; every problem found is raised at once."""
    if len(text) > MAX_YAML_BYTES:  # characters <= bytes: a cheap first check
        raise ScenarioError(file, f"larger than the {MAX_YAML_BYTES // 1024 // 1024} MiB a "
                            "scenario may have")
    try:
        root = _yaml().load(io.StringIO(text))
    except (YAMLError, ValueError, TypeError, OverflowError, RecursionError) as e:
        p = yaml_problem(file, e)
        raise ScenarioError(file, p.message, p.line) from None
    if not isinstance(root, dict):
        raise ScenarioError(file, "expected a mapping of scenario fields at the top level", 1)
    try:
        count_values(root)
        data = _plain(root)
    except TooManyValues as e:
        raise ScenarioError(file, f"YAML: {e}") from None
    except (ValueError, TypeError, OverflowError) as e:
        raise ScenarioError(file, f"YAML value: {e}") from None
    problems: list[Problem] = _unicode_problems(data, file, root)
    scenario = None
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as err:
        problems += _validation_problems(file, root, err)
    problems += _reference_problems(data, file, root)
    if theatre is not None:
        problems += _place_problems(data, theatre, file, root)
    if scenario is not None:
        problems += _duration_problems(scenario, file, root, max_days)
    _raise_all(file, problems)
    assert scenario is not None
    if theatre is not None:
        scenario = _resolved(scenario, theatre)
    return scenario, root


def parse_scenario(text: str, file: str = "<scenario>", max_days: float | None = MAX_DAYS,
                   ) -> tuple[Scenario, Any]:
    """Parse and validate YAML text; returns the scenario and the raw YAML tree (for lines).
    Raises ScenarioError listing every problem (schema, references, a duration over
    `max_days` days; None: no cap)."""
    return _load(text, file, None, max_days)


def read_scenario_text(path: str | Path) -> str:
    """The text of a scenario file: a regular UTF-8 file of at most MAX_YAML_BYTES. Raises
    ScenarioError (a pipe, a device, a folder, a huge or binary file are refused unread)."""
    try:
        return read_text(path, MAX_YAML_BYTES, "scenario .yaml file")
    except FileProblem as e:
        raise ScenarioError(str(path), e.message, e.line) from None


def load_scenario(path: str | Path, theatre: Theatre | None = None,
                  max_days: float | None = MAX_DAYS) -> Scenario:
    """Read a scenario file. With a theatre, places are checked and resolved to node ids.
    A scenario longer than `max_days` days is refused (None: no cap).

    Raises ScenarioError (never another exception) listing every problem of the file.
    """
    file = str(path)
    return _load(read_scenario_text(path), file, theatre, max_days)[0]


def yaml_location(root: Any, loc: tuple[Any, ...]) -> tuple[int | None, str]:
    """(1-based line, field path such as ``units[3].at``) of a field in the YAML tree returned
    by `parse_scenario`: the loader's own lookup, for checks made outside the loader."""
    return _line_of(root, loc), _path(loc)
