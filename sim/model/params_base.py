"""What every group of the model's parameters is built on: `param` (a field with its default,
unit and meaning) and `ParameterGroup` (frozen, no unknown names, finite numbers)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

#: Parameters an earlier version had and the held-ground model (issue 23) retired: the time to
#: take a place is no longer hours of combat at a ratio but a depth of defence over an advance
#: rate (docs/model.md, "Fronts and held ground"). A file that still sets one keeps loading:
#: the value is dropped with a warning (`retired_warning`) that says what took its place.
RETIRED: dict[str, str] = {
    "capture_hours": "the time to take a place is now its defended depth over an advance rate; "
    "set advance_hasty_kmday, advance_prepared_kmday, advance_fortified_kmday or "
    "defence_depth_km instead",
    "capture_ratio_exponent": "set advance_ratio_exponent instead (how the advance rate grows "
    "with the odds)",
    "urban_capture_factor": "set advance_urban_factor or urban_clear_km instead",
    "forest_capture_factor": "set advance_forest_factor instead",
}


def retired_warning(name: str) -> str:
    """What to tell a user who set the retired parameter `name`."""
    return f"{name} was retired with the held-ground model (issue 23): {RETIRED[name]}"


def param(default: Any, unit: str, meaning: str, **kw: Any) -> Any:
    """A parameter field: default, unit and one-sentence meaning with its source."""
    return Field(default, description=meaning, json_schema_extra={"unit": unit}, **kw)


class ParameterGroup(BaseModel):
    """What every group of parameters shares: frozen, no unknown names, finite numbers, and no
    boolean where a number is expected (true would read as 1)."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, validate_default=True, allow_inf_nan=False
    )

    @model_validator(mode="before")
    @classmethod
    def _drop_retired(cls, data: Any) -> Any:
        """Old files keep loading: a retired parameter is dropped here; the scenario checks
        and --set say so (`retired_warning`)."""
        if isinstance(data, dict) and any(k in RETIRED for k in data):
            return {k: v for k, v in data.items() if k not in RETIRED}
        return data

    @field_validator("*", mode="before")
    @classmethod
    def _not_a_bool(cls, v: Any, info: Any) -> Any:
        if isinstance(v, bool) and cls.model_fields[info.field_name].annotation is not bool:
            raise ValueError(f"expected a number, got {str(v).lower()}")  # not 1.0
        return v
