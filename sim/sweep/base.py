"""The base of a sweep: the scenario every run starts from, loaded once, and how one run's
values (`{path: value}`) are applied to it to give that run's scenario and parameters."""

from __future__ import annotations

import copy
import difflib
import hashlib
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sim.model.params import RETIRED, Parameters, retired_warning
from sim.sweep.paths import PathError, locate, parameter_name

if TYPE_CHECKING:
    from sim.map.theatre import Theatre
    from sim.scenario import Scenario


@dataclass
class Base:
    """What every run starts from: the scenario file (text and hash), the map, the scenario
    with places resolved, and its model_dump() that paths are applied to."""

    file: str
    text: str
    sha256: str
    theatre: Theatre
    scenario: Scenario
    data: dict[str, Any]
    max_days: float | None = None  # longest scenario a run may last (None: no cap)
    max_units: int | None = None  # most units a run may have (None: no cap)

    @classmethod
    def load(
        cls, file: str, text: str, max_days: float | None = None, max_units: int | None = None
    ) -> Base:
        """Parse and resolve the scenario once. `max_days`, `max_units`: the caps on its
        duration and units (default sim.scenario.MAX_DAYS, MAX_UNITS), for the base and for
        every run that changes its dates or units."""
        from sim.map.theatre import build_theatre
        from sim.scenario import MAX_DAYS, MAX_UNITS, parse_scenario, resolve_places
        from sim.scenario.theatre import theatre_for

        max_days = MAX_DAYS if max_days is None else max_days
        max_units = MAX_UNITS if max_units is None else max_units
        scenario, root = parse_scenario(text, file, max_days=max_days, max_units=max_units)
        scenario = resolve_places(scenario, build_theatre(), file, root)
        theatre = theatre_for(scenario)  # the scenario's own map (the places it adds)
        return cls(
            file,
            text,
            hashlib.sha256(text.encode("utf-8")).hexdigest(),
            theatre,
            scenario,
            scenario.model_dump(),
            max_days,
            max_units,
        )

    def current(self, path: str) -> Any:
        """The value a path names in the base (the effective value for a parameter)."""
        name = parameter_name(path)
        if name is not None:
            return getattr(self.scenario.parameters_with(), name)
        if path in RETIRED:
            raise PathError(path, retired_warning(path))
        if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", path) and path not in self.data:
            close = difflib.get_close_matches(path, [*Parameters.model_fields, *self.data], n=3)
            hint = f" (did you mean {', '.join(close)}?)" if close else ""
            raise PathError(
                path,
                f"no model parameter or scenario field of that name{hint}; "
                "`python run.py params` lists the parameters",
            )
        container, key = locate(self.data, path)
        return container[key]

    def materialise(self, overrides: dict[str, Any]) -> tuple[Scenario, Parameters]:
        """The scenario and parameters of one run. Raises PathError, ValidationError or
        ScenarioError."""
        from sim.scenario import Scenario, check_duration, check_references, resolve_places

        params: dict[str, Any] = {}
        data = None
        for path, value in overrides.items():
            name = parameter_name(path)
            if name is not None:
                params[name] = value
                continue
            if re.match(r"places\b", path):
                raise PathError(
                    path,
                    "the places a scenario adds are part of its map, which a sweep keeps as "
                    "it is: vary them in copies of the scenario file",
                )
            if data is None:
                data = copy.deepcopy(self.data)
            container, key = locate(data, path)
            container[key] = value
        scenario = self.scenario
        if data is not None:
            scenario = Scenario.model_validate(data)
            check_references(scenario, self.file, None)
            check_duration(scenario, self.file, None, self.max_days, self.max_units)
            scenario = resolve_places(scenario, self.theatre, self.file, None)
        return scenario, scenario.parameters_with(params)


def validation_message(e: Exception) -> str:
    """A rejected value's reason in one line: the field and message of a pydantic or scenario
    error, else the exception's text."""
    from pydantic import ValidationError

    from sim.scenario import ScenarioError

    if isinstance(e, ValidationError):
        err = e.errors()[0]
        loc = ".".join(str(x) for x in err["loc"])
        return f"{loc}: {err['msg'].removeprefix('Value error, ')}" if loc else err["msg"]
    if isinstance(e, ScenarioError):
        return f"{e.path}: {e.message}" if e.path else e.message
    return str(e)
