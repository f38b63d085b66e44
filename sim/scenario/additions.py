"""What a scenario adds to the map and to its order of battle (issue 23, parts 6-8), as typed parts
of the scenario schema (sim/scenario/schema.py):

* `PlaceSpec` (``places:``): a village the map lacks (most villages of positional fighting are
  under the map's ~1,000-people threshold). The scenario's theatre is the base map with these
  nodes (sim/scenario/theatre.py).
* `OffMap` (``offmap:``): the map's edge and what lies beyond it. With ``kind: base`` supply
  enters the map at its `at` places (the loader makes them bases, sim/scenario/expand.py); an
  ``artillery:`` block is fire from beyond the edge or the border, exposed as `Fire`
  (`Scenario.fires`) for the model.
* `CrossingSite` (``new_crossings:``): a ford, a bridge or a pontoon the map lacks, which the
  scenario's map puts on the road across the river at its site.
* `HoldingForce` (``holding_forces:``): a force the sources give only in aggregate ("N BTGs held
  the line from X to Y"), which the loader spreads along its line as ordinary units.

Nothing here reads the map: which places exist, what lies on the road between two places and
where the map's box ends are the loader's checks.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field, field_validator, model_validator

from sim.scenario.common import MAX_ITEMS, Echelon, Equipment, Posture, Side, Strict, UnitType

if TYPE_CHECKING:
    from sim.map.theatre import Theatre

ID_PATTERN = r"^[a-z0-9_]+$"
#: Longest range of off-map fire (km): above any tube or rocket artillery of 2022 (the
#: Tornado-S and HIMARS reach about 90-120 km); a larger figure is a typo.
MAX_RANGE_KM = 300.0
#: The project's convention for a Russian battalion tactical group (docs/scenarios.md, "How
#: strengths were derived" [BTG]): 600-800 men, about 10 tanks and 40 IFVs, two six-gun
#: batteries (the battery count is the project's assumption).
BTG = Equipment(personnel=700, tanks=10, ifv_apc=40, artillery=12, mlrs=0)
#: How many parts of each echelon a holding force's BTG is spread in: a BTG is a battalion
#: whose manoeuvre element is three motor-rifle companies and a tank company (four parts; its
#: guns, staff and support are shared among them); a battalion part is the whole BTG.
PARTS_PER_BTG = {Echelon.COMPANY: 4, Echelon.BATTALION: 1}
#: Most parts one holding force is spread in (a front of 120 companies is 30 BTGs, more than
#: any one sector of the period held; more units than this would slow every run).
MAX_PARTS = 120


def midnight(v: Any) -> Any:
    """A bare date (``2022-04-01``) as the start of that day."""
    if isinstance(v, date) and not isinstance(v, datetime):
        return datetime(v.year, v.month, v.day)
    return v


# ------------------------------------------------------------------------------------ places
class PlaceSpec(Strict):
    """A place the scenario adds to the map: set on the road it lies on, or joined by local
    roads to its neighbours (docs/map.md, "Places a scenario adds")."""

    id: str = Field(pattern=ID_PATTERN)
    name: str = Field(min_length=1)
    name_uk: str = ""
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    terrain: Literal["open", "forest", "urban"] = "open"
    population: int | None = Field(None, ge=0, le=10_000_000)
    country: Side | None = Field(
        None,
        description="the country it lies in (who holds it by default); default: the country "
        "of the nearest place on the map",
    )
    aliases: list[str] = Field(default_factory=list)
    source: str = Field(min_length=1)

    def names(self) -> list[str]:
        """Every name the place is known by (id, name, Ukrainian name, aliases)."""
        return [n for n in (self.id, self.name, self.name_uk, *self.aliases) if n]


# ------------------------------------------------------------------------------- crossings
class CrossingSite(Strict):
    """A river crossing the map lacks (a ford, a bridge, a pontoon built before the start), at
    a position on the river (`lat`, `lon`) or between two places across it (`between`). The
    scenario's map puts it on the road across the river there: the local road between the
    nearest places on either bank whose line crosses the river by the site (made if the map
    has none; docs/map.md, "Crossings a scenario adds")."""

    id: str = Field(pattern=ID_PATTERN)
    name: str = Field("", description="what the sources call it (default: from its kind)")
    kind: Literal["ford", "bridge", "pontoon"]
    river: Literal["Siverskyi Donets", "Oskil"] | None = Field(
        None, description="the river it crosses (default: the nearest to the position)"
    )
    lat: float | None = Field(None, ge=-90, le=90)
    lon: float | None = Field(None, ge=-180, le=180)
    between: list[str] = Field(
        default_factory=list, description="the two places it joins, one on either bank"
    )
    source: str = Field(min_length=1)
    estimate: bool = False

    @model_validator(mode="after")
    def _one_site(self) -> CrossingSite:
        at = self.lat is not None or self.lon is not None
        if at and (self.lat is None or self.lon is None):
            raise ValueError("give both lat and lon (the site's position), or neither")
        if at == bool(self.between):
            raise ValueError(
                "give the site as lat: and lon: (a position on the river) or as between: "
                "[PLACE, PLACE] (one on either bank), one of them"
            )
        if self.between and len(self.between) != 2:
            raise ValueError("between: names two places, one on either bank")
        return self


# ------------------------------------------------------------------------------- off the map
class OffMapArtillery(Strict):
    """Guns and rocket launchers firing from beyond the map's edge or the border."""

    guns: int = Field(0, ge=0, le=MAX_ITEMS)
    mlrs: int = Field(0, ge=0, le=MAX_ITEMS)
    range_km: float = Field(gt=0, le=MAX_RANGE_KM)
    lat: float | None = Field(None, ge=-90, le=90)
    lon: float | None = Field(None, ge=-180, le=180)
    start: datetime | None = Field(None, description="fires from (default: the start)")
    until: datetime | None = Field(None, description="fires until (default: the end)")

    @field_validator("start", "until", mode="before")
    @classmethod
    def _dates(cls, v: Any) -> Any:
        return midnight(v)

    @model_validator(mode="after")
    def _consistent(self) -> OffMapArtillery:
        if self.guns + self.mlrs == 0:
            raise ValueError("artillery: give guns, mlrs or both (more than 0)")
        if (self.lat is None) != (self.lon is None):
            raise ValueError("artillery: give both lat and lon (its position), or neither")
        if self.start is not None and self.until is not None and self.until <= self.start:
            raise ValueError("artillery: until must be after start")
        return self


class OffMap(Strict):
    """Where roads or railways leave the map toward something beyond it (the Luhansk rear,
    Belgorod oblast): with ``kind: base``, supply enters the map at the `at` places; with an
    ``artillery:`` block, guns fire from beyond the edge."""

    id: str = Field(pattern=ID_PATTERN)
    name: str = Field("", description="what lies beyond, e.g. the Luhansk rear (Starobilsk)")
    side: Side
    at: list[str] = Field(
        min_length=1, description="the places on the map where its roads or railways leave it"
    )
    kind: Literal["edge", "base"] = "edge"
    artillery: OffMapArtillery | None = None
    source: str = Field(min_length=1)
    estimate: bool = False

    @field_validator("at", mode="before")
    @classmethod
    def _one_or_more(cls, v: Any) -> Any:
        return [v] if isinstance(v, str) else v

    def depot_id(self, node: str) -> str:
        """The id of the base the loader makes at `node` (one of `at`, resolved)."""
        return f"{self.id}_{node}"


@dataclass(frozen=True)
class Fire:
    """Fire from beyond the map's edge or the border (`Scenario.fires`): `guns` tubes and
    `rockets` launchers of `side`, reaching `range_km` from its position: the explicit
    `lat`/`lon`, else each of the `at` places. Active from `start` to `until` (None: the
    scenario's start / end)."""

    id: str
    side: Side
    at: tuple[str, ...]
    lat: float | None
    lon: float | None
    guns: int
    rockets: int
    range_km: float
    start: datetime | None
    until: datetime | None
    source: str
    estimate: bool

    def positions(self, theatre: Theatre) -> list[tuple[float, float]]:
        """(lat, lon) of each position it fires from."""
        if self.lat is not None and self.lon is not None:
            return [(self.lat, self.lon)]
        g = theatre.graph
        return [(g.nodes[n]["lat"], g.nodes[n]["lon"]) for n in self.at if n in g]

    def active(self, t: datetime) -> bool:
        """Whether it fires at time `t`."""
        return (self.start is None or self.start <= t) and (self.until is None or t < self.until)


def fires_of(offmap: list[OffMap]) -> list[Fire]:
    """The `Fire` of every off-map entry with artillery, in the file's order."""
    return [
        Fire(
            o.id,
            o.side,
            tuple(o.at),
            o.artillery.lat,
            o.artillery.lon,
            o.artillery.guns,
            o.artillery.mlrs,
            o.artillery.range_km,
            o.artillery.start,
            o.artillery.until,
            o.source,
            o.estimate,
        )
        for o in offmap
        if o.artillery is not None
    ]


# --------------------------------------------------------------------------- holding forces
class HoldingForce(Strict):
    """A force the sources give only as a total along a line ("N BTGs held the line from X to
    Y"): the loader spreads it in parts of `echelon` along the line (sim/scenario/expand.py)."""

    id: str = Field(pattern=ID_PATTERN)
    name: str = Field("", description="what the sources call it (default: from the id)")
    side: Side
    type: UnitType = UnitType.MECHANISED
    along: list[str] = Field(min_length=2)
    btgs: float | None = Field(None, gt=0, le=MAX_PARTS)
    equipment: Equipment | None = None
    echelon: Echelon = Echelon.COMPANY
    quality: float = Field(1.0, gt=0, le=2)
    morale: float = Field(0.8, ge=0, le=1)
    supply: float = Field(1.0, ge=0, le=1)
    posture: Posture = Posture.DEFEND
    in_position_since: datetime | None = None
    on_threat: Literal["withdraw", "hold"] = "withdraw"
    fallback: list[str] = Field(default_factory=list)
    source: str = Field(min_length=1)
    estimate: bool = True

    @field_validator("in_position_since", mode="before")
    @classmethod
    def _date(cls, v: Any) -> Any:
        return midnight(v)

    @model_validator(mode="after")
    def _one_total(self) -> HoldingForce:
        if (self.btgs is None) == (self.equipment is None):
            raise ValueError(
                "a holding force gives its total as btgs: N or equipment:, one of them"
            )
        if self.echelon not in PARTS_PER_BTG:
            raise ValueError(
                f"echelon: a holding force is spread in {' or '.join(PARTS_PER_BTG)} parts, "
                f"not {self.echelon.value}"
            )
        if self.parts > MAX_PARTS:
            raise ValueError(
                f"{self.parts} parts of {self.echelon.value} size: at most {MAX_PARTS} (spread "
                "it in battalions, or split it into several holding forces)"
            )
        return self

    @property
    def label(self) -> str:
        """Its name, or one made from its id."""
        return self.name or f"{self.side} holding force {self.id}"

    @property
    def total(self) -> Equipment:
        """All it holds: the equipment block, or `btgs` times the project's BTG (`BTG`)."""
        if self.equipment is not None:
            return self.equipment
        n = self.btgs or 0.0
        return Equipment(**{k: round(v * n) for k, v in BTG.model_dump().items()})

    @property
    def parts(self) -> int:
        """How many units it is spread in: `btgs` times `PARTS_PER_BTG` of the echelon, or
        the personnel over the personnel of such a part of a BTG (at least one)."""
        per_btg = PARTS_PER_BTG.get(self.echelon, 1)
        if self.btgs is not None:
            return max(1, round(self.btgs * per_btg))
        assert self.equipment is not None
        return max(1, round(self.equipment.personnel * per_btg / BTG.personnel))

    def part_ids(self) -> list[str]:
        """The ids of its units: ``{id}_1`` .. ``{id}_N``."""
        return [f"{self.id}_{k}" for k in range(1, self.parts + 1)]

    def part_equipment(self) -> list[Equipment]:
        """The total split as evenly as whole numbers allow (the first parts get one more of
        an item that does not divide evenly); the parts add up to the total."""
        n = self.parts
        total = self.total.model_dump()
        return [
            Equipment(**{item: v // n + (1 if i < v % n else 0) for item, v in total.items()})
            for i in range(n)
        ]


def shares(weights: list[float], n: int) -> list[int]:
    """`n` whole parts shared in proportion to `weights` by largest remainders (Hamilton's
    method; ties to the earlier weight): they add up to `n`."""
    total = sum(weights)
    if total <= 0:
        weights, total = [1.0] * len(weights), float(len(weights))
    quotas = [w * n / total for w in weights]
    out = [math.floor(q) for q in quotas]
    order = sorted(range(len(weights)), key=lambda i: (-(quotas[i] - out[i]), i))
    for i in order[: n - sum(out)]:
        out[i] += 1
    return out
