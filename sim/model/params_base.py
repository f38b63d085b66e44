"""What every group of the model's parameters is built on: `param` (a field with its default,
unit and meaning) and `ParameterGroup` (frozen, no unknown names, finite numbers)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator


def param(default: Any, unit: str, meaning: str, **kw: Any) -> Any:
    """A parameter field: default, unit and one-sentence meaning with its source."""
    return Field(default, description=meaning, json_schema_extra={"unit": unit}, **kw)


class ParameterGroup(BaseModel):
    """What every group of parameters shares: frozen, no unknown names, finite numbers, and no
    boolean where a number is expected (true would read as 1)."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, validate_default=True, allow_inf_nan=False
    )

    @field_validator("*", mode="before")
    @classmethod
    def _not_a_bool(cls, v: Any, info: Any) -> Any:
        if isinstance(v, bool) and cls.model_fields[info.field_name].annotation is not bool:
            raise ValueError(f"expected a number, got {str(v).lower()}")  # not 1.0
        return v
