"""Every tunable of the model in one typed object.

Each field carries its default, unit and meaning (and where the value comes from) so that
`python run.py params` can list them and `--set name=value` or a sweep can override any of them.
`docs/model.md` explains how each enters the rules.

Every parameter is a finite number within stated bounds (shown by `params` and in
docs/parameters.md). The bounds are not calibration ranges: they keep the arithmetic of a run
finite (a speed of 1e-308 km/h divides by zero, an infinite weight makes combat power NaN) and
stop values no operational model means (a multiplier of 1,000). Sweeps and `--set` are checked
against them before anything runs.
"""

from __future__ import annotations

from typing import Any

from annotated_types import Ge, Gt, Le, Lt
from pydantic import ValidationError

from sim.model.params_doctrine import DoctrineParameters
from sim.model.params_physics import PhysicsParameters


class Parameters(DoctrineParameters, PhysicsParameters):
    """All model parameters, with defaults, as one flat set of names: the shared physics
    (sim/model/params_physics.py: movement, combat, weights, morale, supply, territory), then
    a side's doctrine (sim/model/params_doctrine.py). Construct with keywords to override.
    A run splits them (`physics`, `doctrine`): the world holds the physics once and a
    doctrine per side."""

    def physics(self) -> PhysicsParameters:
        """The shared physics of these parameters (both sides)."""
        return PhysicsParameters.model_construct(
            **{k: getattr(self, k) for k in PhysicsParameters.model_fields}
        )

    def doctrine(self) -> DoctrineParameters:
        """The doctrine values of these parameters (one side's, for a side's parameters)."""
        return DoctrineParameters.model_construct(
            **{k: getattr(self, k) for k in DoctrineParameters.model_fields}
        )

    @classmethod
    def describe(cls) -> list[tuple[str, Any, str, str]]:
        """(name, default, unit, meaning) for every parameter, in declaration order."""
        rows = []
        for name, field in cls.model_fields.items():
            extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
            rows.append((name, field.default, str(extra.get("unit", "")), field.description or ""))
        return rows

    @classmethod
    def bounds(cls, name: str) -> str:
        """The allowed range of a parameter as text, e.g. ``0.5 to 150``, ``> 1 to 100``
        (``yes or no`` for a switch)."""
        if cls.model_fields[name].annotation is bool:
            return "yes or no"
        low = high = ""
        for bound in cls.model_fields[name].metadata:
            if isinstance(bound, Ge):
                low = f"{bound.ge:g}"
            elif isinstance(bound, Gt):
                low = f"> {bound.gt:g}"
            elif isinstance(bound, Le):
                high = f"{bound.le:g}"
            elif isinstance(bound, Lt):
                high = f"< {bound.lt:g}"
        return f"{low or 'any'} to {high or 'any'}"


#: The parameters a scenario may set per side (sides.<S>.doctrine): how that side's commander
#: and units decide, as opposed to physics (speeds, losses, supply) that both sides share.
DOCTRINE_PARAMETERS: tuple[str, ...] = tuple(DoctrineParameters.model_fields)


def parse_set_option(items: list[str]) -> dict[str, str]:
    """Parse `name=value` strings from --set into a dict (values stay strings; pydantic
    coerces them). Raises ValueError naming the malformed item."""
    out: dict[str, str] = {}
    for item in items:
        name, sep, value = item.partition("=")
        name = name.strip()
        if not sep or not name:
            raise ValueError(f"--set {item!r}: expected name=value")
        if name not in Parameters.model_fields:
            import difflib

            close = difflib.get_close_matches(name, Parameters.model_fields, n=3)
            hint = f" (did you mean {', '.join(close)}?)" if close else ""
            raise ValueError(
                f"--set {item!r}: no parameter named {name!r}{hint}; "
                "`python run.py params` lists them"
            )
        out[name] = value.strip()
    return out


__all__ = ["DOCTRINE_PARAMETERS", "Parameters", "ValidationError", "parse_set_option"]
