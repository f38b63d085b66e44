"""The building blocks of the scenario schema (sim/scenario/schema.py): sides, the strict base
model every part of a scenario file derives from (unknown fields are errors, numbers finite, times
naive Kyiv times), unit kinds, and a unit's equipment."""

from __future__ import annotations

import functools
import types
import typing
from datetime import datetime
from enum import StrEnum
from typing import Any, Literal, overload

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

Side = Literal["UA", "RU"]
SIDES: tuple[Side, Side] = ("UA", "RU")


@overload
def other(side: Side) -> Side: ...
@overload
def other(side: str) -> str: ...


def other(side: str) -> str:
    """The opposing side (a `Side` for a `Side`; a plain string, e.g. a control code, for a
    string)."""
    return "RU" if side == "UA" else "UA"


#: Years a scenario's times may lie in: a wider year is a typo (9999-12-31 would also overflow
#: the clock arithmetic of a run).
YEARS = (1900, 2100)
#: Bounds on a unit's holdings: far above any real unit (a Soviet tank army had about 1,000
#: tanks and 60,000 soldiers); they catch typos and numbers the arithmetic cannot hold.
MAX_PERSONNEL = 200_000
MAX_ITEMS = 10_000
#: Longest surprise window: a year.
MAX_EVENT_HOURS = 24 * 366


@functools.cache
def _kinds(cls: type[BaseModel], name: str) -> frozenset[type]:
    """The plain types a field accepts: `float | None` -> {float, NoneType}."""
    ann = cls.model_fields[name].annotation
    args = (
        typing.get_args(ann)
        if typing.get_origin(ann) in (typing.Union, types.UnionType)
        else (ann,)
    )
    return frozenset(a for a in args if isinstance(a, type))


def kyiv_local_time(v: datetime) -> datetime:
    """`v`, a time as every file of the project writes it: naive, on the Kyiv wall clock.
    Raises ValueError for a time with a UTC offset, saying the same moment on the Kyiv clock
    to write instead (a silent conversion would hide a misread clock). Shared by the scenario
    schema and the branch file (sim/whatif/branch_file.py)."""
    if v.tzinfo is None:
        return v
    hint = ""
    try:
        from zoneinfo import ZoneInfo

        local = v.astimezone(ZoneInfo("Europe/Kyiv"))
        hint = f"; this moment is {local:%Y-%m-%dT%H:%M} in Kyiv: write that"
    except Exception:  # no time zone database: the message goes without the hint
        pass
    raise ValueError(
        f"times are Kyiv local time, written without a UTC offset (got {v.isoformat()}){hint}"
    )


def _check_local_time(v: datetime) -> datetime:
    """A scenario time: naive (Kyiv wall clock) and within YEARS. Raises ValueError."""
    kyiv_local_time(v)
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
    LEFT = "left"  # sent off the map by its side's plan (an order with task leave)


class Strict(BaseModel):
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


class Equipment(Strict):
    """Holdings by item. Personnel are soldiers; the rest are counts of vehicles or weapons."""

    personnel: int = Field(ge=0, le=MAX_PERSONNEL)
    tanks: int = Field(0, ge=0, le=MAX_ITEMS)
    ifv_apc: int = Field(0, ge=0, le=MAX_ITEMS)
    artillery: int = Field(0, ge=0, le=MAX_ITEMS)
    mlrs: int = Field(0, ge=0, le=MAX_ITEMS)
