"""What a scenario is: the typed, validated schema of a scenario file (pydantic models).

Times are local (Kyiv) wall-clock times, naive datetimes; one model step is one hour. A time
written with a UTC offset (``2022-09-05T15:00:00Z``, ``...+03:00``) is **rejected**, and the
message gives the same moment on the Kyiv clock to write instead: a silent conversion would hide
a misunderstanding of the scenario's clock, and Kyiv's offset changed in the period (UTC+2 until
27 March 2022, UTC+3 after). Years lie between 1900 and 2100. Every number is finite and within
a bound far above any real unit (the `le=` bounds). The scenario `id` becomes part of file
names, so it must be a plain name (letters, digits, ``_``, ``-``).

Reading a file into these models, with every problem located by line: sim/scenario/loader.py.
The plan's models (orders, conditions, pauses, phases) are in sim/scenario/orders.py.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any, Literal

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

from sim.model.params import DOCTRINE_PARAMETERS, Parameters
from sim.safe_io import SLUG_RULE, is_slug
from sim.scenario.additions import (
    CrossingSite,
    Fire,
    HoldingForce,
    OffMap,
    PlaceSpec,
    fires_of,
    midnight,
)
from sim.scenario.common import (
    MAX_EVENT_HOURS,
    SIDES,
    Echelon,
    Equipment,
    Posture,
    Side,
    Strict,
    UnitType,
)
from sim.scenario.orders import Order, Pause, Phase


def raise_at(title: str, problems: list[tuple[tuple, str]]) -> None:
    """Raise a pydantic ValidationError with each (location, message): a check across fields
    that names the field at fault (the loader gives each its line)."""
    raise ValidationError.from_exception_data(
        title,
        [
            InitErrorDetails(
                type=PydanticCustomError("value_error", "{msg}", {"msg": msg}), loc=loc, input=None
            )
            for loc, msg in problems
        ],
    )


#: what a scenario may say of a crossing at the start (`Scenario.crossings`)
CrossingSetting = Literal["intact", "destroyed", "pontoon", "indestructible", "rigged"]


class Source(Strict):
    key: str = Field(min_length=1)
    cite: str = Field(min_length=1)


class SideSpec(Strict):
    name: str
    source: str = ""
    doctrine: dict[str, Any] = Field(
        default_factory=dict,
        description="this side's values of doctrine parameters (sim/model/params.py), e.g. its "
        "commander's decision delay; each needs a source in `source`",
    )
    in_position_since: datetime | None = Field(
        None,
        description="when this side's units on the map at the start took the positions they "
        "hold (a unit's own in_position_since wins); a bare date is the start of that day",
    )

    @field_validator("in_position_since", mode="before")
    @classmethod
    def _date(cls, v: Any) -> Any:
        return midnight(v)


class UnitSpec(Strict):
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
    in_position_since: datetime | None = Field(
        None,
        description="when it took the position it holds at the start (how long it has dug "
        "in); a bare date is the start of that day. Default: its side's",
    )
    source: str = Field(min_length=1)
    estimate: bool = False
    holding_force: str | None = Field(
        None,
        description="set by the loader on the units it makes of a holding force (the "
        "holding force's id); not written in a scenario file",
    )

    @field_validator("in_position_since", mode="before")
    @classmethod
    def _date(cls, v: Any) -> Any:
        return midnight(v)

    def hours_in_position(self, start: datetime, default: datetime | None = None) -> float | None:
        """Hours it has held its position at `start` (the scenario's start): from its
        `in_position_since`, else `default` (its side's); None when neither is given or it
        arrives later."""
        since = self.in_position_since or default
        if since is None or self.arrives is not None:
            return None
        return (start - since).total_seconds() / 3600


class Fallback(Strict):
    """Where each side's units withdraw to when the doctrine pulls them back (a grouping's own
    fallback wins), with the source of the choice."""

    UA: list[str] = Field(default_factory=list, description="UA's fallback places, in order")
    RU: list[str] = Field(default_factory=list, description="RU's fallback places, in order")
    source: str = Field(
        default="",
        description="why these places: the line or the supply points a commander knew of",
    )

    def get(self, side: str, default: list[str] | None = None) -> list[str]:
        """The fallback of `side` (`default` when it has none)."""
        places = self.UA if side == "UA" else self.RU if side == "RU" else []
        return places or (default if default is not None else [])

    def items(self) -> list[tuple[str, list[str]]]:
        """(side, places) of each side that has a fallback."""
        return [(side, places) for side, places in (("UA", self.UA), ("RU", self.RU)) if places]


class Grouping(Strict):
    """Units that a side's commander treats as one: they withdraw together when the commander
    sees their line of supply threatened (`on_threat: withdraw`), or they hold whatever
    happens (`on_threat: hold`)."""

    id: str = Field(pattern=r"^[a-z0-9_]+$")
    units: list[str] = Field(min_length=1)
    on_threat: Literal["withdraw", "hold"] = "withdraw"
    fallback: list[str] = Field(
        default_factory=list, description="where it withdraws to (default: the side's)"
    )
    source: str = Field(min_length=1)


class WhatIf(Strict):
    """What `python run.py whatif` varies in this scenario (sim/whatif/standard.py builds the
    standard set of counterfactuals from it), and the direction the author expects, with a
    reason."""

    attacker: Side
    key_places: list[str] = Field(min_length=1, description="whose dates the table reports")
    key_town: str = Field(description="the defended town whose garrison is scaled")
    key_bridge: str | None = None
    bridge_intact_expect: Literal["earlier", "later", "no_earlier", "no_later", "either"] = "either"
    bridge_destroyed_expect: Literal["earlier", "later", "no_earlier", "no_later", "either"] = (
        "either"
    )
    bridge_expect_place: str | None = Field(
        None, description="the place whose date the bridge variants are expected to move"
    )
    withdrawal_place: str | None = Field(
        None,
        description="the place the defending side's withdrawal gives up (default the key town)",
    )
    supporting_attack: str | None = Field(None, description="an order id left out")
    source: str = Field(min_length=1, description="why these expectations")


EventKind = Literal["caption", "destroy_bridge", "strike_depot", "surprise"]


class Event(Strict):
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


class Depot(Strict):
    """A source of supply. A base (the rear) always works; a depot or railhead works only while
    supply can still reach it from a base through ground its side holds."""

    id: str = Field(pattern=r"^[a-z0-9_]+$")
    side: Side
    at: str
    kind: Literal["base", "depot", "railhead"] = "depot"
    source: str = Field(min_length=1)
    offmap: str | None = Field(
        None,
        description="set by the loader on the bases it makes of an offmap: entry of kind "
        "base (the entry's id); not written in a scenario file",
    )


class Region(Strict):
    """A lon/lat polygon whose nodes start under one side's control."""

    side: Side
    polygon: list[tuple[float, float]] = Field(min_length=3)
    source: str = Field(min_length=1)

    @field_validator("polygon")
    @classmethod
    def _lon_lat(cls, v: list[tuple[float, float]]) -> list[tuple[float, float]]:
        for i, (lon, lat) in enumerate(v):
            if not (-180 <= lon <= 180 and -90 <= lat <= 90):
                raise ValueError(
                    f"point {i} ({lon}, {lat}): expected longitude -180..180 and latitude -90..90"
                )
        return v


class ControlSpec(Strict):
    """Who holds what at the start: nodes by country unless a region or a list says otherwise."""

    regions: list[Region] = Field(default_factory=list)
    nodes: dict[Side, list[str]] = Field(default_factory=dict)


class Observation(Strict):
    """A dated historical observation the run is scored against: either who held a place, or
    how much area (km²) or how many settlements a side had taken since the start."""

    date: datetime
    place: str | None = None
    holder: Side | None = None
    side: Side | None = None
    area_km2: float | None = Field(None, gt=0, le=1_000_000)
    settlements: int | None = Field(None, gt=0, le=100_000)
    relation: Literal["=", ">=", "<="] = "="
    bound: bool = Field(
        False,
        description="the date only bounds the change ('held by then'), "
        "it is not the day the place changed hands",
    )
    until: datetime | None = Field(
        None,
        description="the last day of a window for a change of hands (sources differ, or "
        "the fighting took days): the place changed hands between `date` and `until`",
    )
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
        kinds = [self.place is not None, self.area_km2 is not None, self.settlements is not None]
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
                raise ValueError(
                    "until: a window and bound: true do not go together (bound "
                    "already accepts any change before the date)"
                )
            if self.until.date() < self.date.date():
                raise ValueError("until: the window ends before its date")
        return self


class Scenario(Strict):
    id: str
    title: str
    description: str = ""
    start: datetime
    end: datetime
    sources: list[Source] = Field(min_length=1)
    sides: dict[Side, SideSpec]
    places: list[PlaceSpec] = Field(
        default_factory=list,
        description="places the scenario adds to the map (villages under the map's "
        "threshold); orders, control and history may name them",
    )
    control: ControlSpec = Field(default_factory=ControlSpec)
    depots: list[Depot] = Field(default_factory=list)
    offmap: list[OffMap] = Field(
        default_factory=list,
        description="the map's edge and what lies beyond it: bases where supply enters the "
        "map, artillery firing from beyond the edge or the border",
    )
    fallback: Fallback = Field(
        default_factory=Fallback,
        description="where each side's units withdraw to when the doctrine pulls them back, "
        "with the source of the choice",
    )
    new_crossings: list[CrossingSite] = Field(
        default_factory=list,
        description="river crossings the map lacks (a ford, a bridge or a pontoon the "
        "sources give), at a position on the river or between two places across it; "
        "crossings: may then set their state like any other's",
    )
    crossings: dict[str, CrossingSetting] = Field(
        default_factory=dict,
        description="crossings whose state at the start differs from the map's, by crossing "
        "id: a bridge already destroyed, a pontoon already built, a bridge that no strike "
        "or demolition can destroy (a what-if), or a bridge rigged for demolition (charges "
        "laid: blown in the enemy's face when the enemy reaches the far end); cite the "
        "source in a comment on its line ([KEY]): ground a cited destruction cuts off is "
        "then a note, not a warning",
    )
    units: list[UnitSpec] = Field(min_length=1)
    holding_forces: list[HoldingForce] = Field(
        default_factory=list,
        description="forces the sources give only as a total along a line; the loader "
        "spreads each into units, a grouping and a hold order",
    )
    orders: list[Order] = Field(default_factory=list)
    phases: list[Phase] = Field(
        default_factory=list,
        description="named stages of a side's plan, each with its entry condition; an order "
        "names its phase (phase:) and waits until the phase has begun",
    )
    groupings: list[Grouping] = Field(default_factory=list)
    events: list[Event] = Field(default_factory=list)
    parameters: dict[str, Any] = Field(default_factory=dict)
    history: list[Observation] = Field(default_factory=list)
    attacker: Side | None = Field(
        None,
        description="the side whose plan the null run strips (docs/history.md); default: "
        "the whatif: block's attacker, else the side with more attack orders",
    )
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
    def _one_attacker(self) -> Scenario:
        if (
            self.attacker is not None
            and self.whatif is not None
            and self.whatif.attacker != self.attacker
        ):
            raise ValueError(
                f"attacker: {self.attacker} but whatif: attacker: {self.whatif.attacker}: "
                "the side whose offensive the scenario is about is one side"
            )
        return self

    @model_validator(mode="after")
    def _additions(self) -> Scenario:
        """Ids unique within places, offmap and holding_forces; in_position_since no later
        than the start, and only for units on the map at the start."""
        found: list[tuple[tuple, str]] = []
        for kind, ids in (
            ("places", [p.id for p in self.places]),
            ("offmap", [o.id for o in self.offmap]),
            ("holding_forces", [h.id for h in self.holding_forces]),
            ("new_crossings", [c.id for c in self.new_crossings]),
            ("phases", [p.id for p in self.phases]),
        ):
            seen: dict[str, int] = {}
            for i, ident in enumerate(ids):
                if ident in seen:
                    found.append(
                        ((kind, i, "id"), f"id {ident!r} is already used by {kind}[{seen[ident]}]")
                    )
                seen.setdefault(ident, i)
        late = (
            f"after the scenario's start ({self.start:%Y-%m-%dT%H:%M}): a position taken later "
            "is an order or an arrival"
        )
        for side, spec in self.sides.items():
            if spec.in_position_since is not None and spec.in_position_since > self.start:
                found.append((("sides", side, "in_position_since"), late))
        for i, u in enumerate(self.units):
            if u.in_position_since is None:
                continue
            if u.arrives is not None:
                found.append(
                    (
                        ("units", i, "in_position_since"),
                        "the unit arrives later (arrives:): it holds no position at the start",
                    )
                )
            elif u.in_position_since > self.start:
                found.append((("units", i, "in_position_since"), late))
        for i, h in enumerate(self.holding_forces):
            if h.in_position_since is not None and h.in_position_since > self.start:
                found.append((("holding_forces", i, "in_position_since"), late))
        for i, o in enumerate(self.offmap):
            a = o.artillery
            for key in ("start", "until"):
                t = getattr(a, key) if a is not None else None
                if t is not None and not self.start <= t <= self.end:
                    found.append(
                        (
                            ("offmap", i, "artillery", key),
                            f"outside the scenario ({self.start:%Y-%m-%dT%H:%M} to "
                            f"{self.end:%Y-%m-%dT%H:%M})",
                        )
                    )
        if found:
            raise_at(type(self).__name__, found)
        return self

    @model_validator(mode="after")
    def _doctrine_parameters(self) -> Scenario:
        for side, spec in self.sides.items():
            unknown = sorted(set(spec.doctrine) - set(DOCTRINE_PARAMETERS))
            if unknown:
                raise ValueError(
                    f"sides.{side}.doctrine: {', '.join(unknown)} is not a "
                    "doctrine parameter (one of: "
                    f"{', '.join(DOCTRINE_PARAMETERS)})"
                )
            Parameters(**{**self.parameters, **spec.doctrine})
        return self

    @property
    def changes_map(self) -> bool:
        """Whether the scenario's map differs from the base map: it adds places or
        crossings (sim/scenario/theatre.py, `theatre_for`)."""
        return bool(self.places or self.new_crossings)

    def phase_of(self, order: Order) -> Phase | None:
        """The phase `order` belongs to (None: none, or one not declared)."""
        return next((p for p in self.phases if p.id == order.phase), None)

    def pause_of(self, order: Order) -> Pause | None:
        """The pause before `order`: its own, else its phase's."""
        phase = self.phase_of(order)
        return order.pause or (phase.pause if phase is not None else None)

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
        out: dict[str, Parameters] = {}
        for side in SIDES:
            spec = self.sides.get(side)
            own = {
                k: v
                for k, v in (spec.doctrine if spec else {}).items()
                if getattr(params, k) == getattr(base, k)
            }
            out[side] = Parameters(**{**params.model_dump(), **own}) if own else params
        return out

    def order_start(self, order: Order) -> datetime:
        """When an order may start: its own start, or the scenario's."""
        return order.start or self.start

    @property
    def fires(self) -> list[Fire]:
        """Fire from beyond the map's edge or the border: the artillery of `offmap`."""
        return fires_of(self.offmap)

    def in_position_since(self, unit: UnitSpec) -> datetime | None:
        """When `unit` took its starting position: its own date, else its side's (None for a
        unit that arrives later, or when neither is given)."""
        if unit.arrives is not None:
            return None
        spec = self.sides.get(unit.side)
        return unit.in_position_since or (spec.in_position_since if spec else None)

    def hours_in_position(self, unit: UnitSpec) -> float | None:
        """Hours `unit` has held its position at the start (`in_position_since`)."""
        spec = self.sides.get(unit.side)
        return unit.hours_in_position(self.start, spec.in_position_since if spec else None)
