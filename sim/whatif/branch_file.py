"""A what-if saved as a small YAML file: the base scenario, the seed, the hour, the changes.

    title: What if the Kupiansk road bridge had held?
    question: Would Kupiansk's west bank still have fallen on 10 September?
    context: On 9 September the road bridge over the Oskil at Kupiansk was destroyed [ISW].
    scenario: ../../scenarios/izium_2022_09.yaml   # relative to this file
    seed: 0
    at: 2022-09-09T06:00                          # or hour: 60 (hours after the start)
    parameters: {}                                # for both runs, like --set
    changes:
      - save_bridge: kupiansk_road_bridge

`load_branch` reads and checks one (every problem as one `ScenarioError`: file:line: field:
message, as the scenario loader reports them); `simulate` runs the base and the branch; and
`save_branch` writes the file the viewer's what-if panel makes. `python run.py branch FILE`
replays one (sim/cli/branch.py); docs/lessons.md lists the prepared ones in examples/lessons/.
"""

from __future__ import annotations

import difflib
import io
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from sim.map.theatre import Theatre
from sim.model import CampaignModel
from sim.model.params import DOCTRINE_PARAMETERS, RETIRED, Parameters, retired_warning
from sim.runs.record import RunRecord
from sim.safe_io import (
    MAX_YAML_BYTES,
    FileProblem,
    TooManyValues,
    count_values,
    read_text,
    yaml_loader,
    yaml_problem,
)
from sim.scenario import (
    Scenario,
    ScenarioError,
    kyiv_local_time,
    read_scenario,
    read_scenario_text,
    yaml_location,
)
from sim.whatif.branch import (
    BRIDGE_KINDS,
    MAX_SCALE,
    Change,
    ChangeError,
    apply_changes,
    run_to,
    snapshot,
)

HOUR = timedelta(hours=1)


class BranchFile(BaseModel):
    """The fields of a branch file (see the module docstring)."""

    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, description="the what-if, as a question or a title")
    question: str = Field("", description="the question to ask the class")
    context: str = Field("", description="a sentence of historical context")
    source: str = Field("", description="where the context comes from")
    scenario: str = Field(min_length=1, description="the base scenario, relative to this file")
    # strict: `hour: true` is no hour 1, `seed: "3"` no seed
    seed: int = Field(0, ge=0, le=2**32 - 1, strict=True)
    at: datetime | None = Field(None, description="the branch time (on the hour), Kyiv local time")
    hour: int | None = Field(
        None, ge=0, strict=True, description="or: hours after the scenario's start"
    )
    parameters: dict[str, Any] = Field(
        default_factory=dict, description="parameter values for both runs"
    )
    changes: list[Change] = Field(min_length=1)

    @field_validator("at")
    @classmethod
    def _local(cls, v: datetime | None) -> datetime | None:
        return None if v is None else kyiv_local_time(v)  # as a scenario's times


@dataclass
class Branch:
    """A loaded branch file: the checked fields, the scenario, the parameters, the hour."""

    file: str
    spec: BranchFile
    scenario_path: Path
    scenario: Scenario
    theatre: Theatre
    params: Parameters
    hour: int
    changes: list[Change]  # places resolved to node ids
    root: Any = None  # the YAML tree, for lines
    scenario_text: str = ""  # the scenario file's text (a run is known by it: its hash)

    @property
    def when(self) -> datetime:
        return self.scenario.start + self.hour * HOUR

    def error(self, loc: tuple, message: str) -> ScenarioError:
        line, path = yaml_location(self.root, loc)
        return ScenarioError(self.file, message, line, path)


# ---------------------------------------------------------------------------------- reading
def _tree(text: str, file: str) -> Any:
    """The YAML tree (with lines), read with the project's limits (sim/safe_io.py)."""
    try:
        root = yaml_loader("rt").load(io.StringIO(text))
        count_values(root)
    except TooManyValues as e:
        raise ScenarioError(file, f"YAML: {e}") from None
    except (YAMLError, ValueError, TypeError, OverflowError, RecursionError) as e:
        p = yaml_problem(file, e)
        raise ScenarioError(file, p.message, p.line) from None
    if not isinstance(root, dict):
        raise ScenarioError(
            file,
            "expected a mapping of branch fields (title, scenario, at, "
            "changes, ...) at the top level",
            1,
        )
    return root


def _plain(node: Any) -> Any:
    if isinstance(node, dict):
        return {str(k): _plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_plain(v) for v in node]
    if type(node).__name__ == "TimeStamp":  # keeping a UTC offset, so that it is refused
        return datetime(
            node.year, node.month, node.day, node.hour, node.minute, node.second, tzinfo=node.tzinfo
        )
    return node


def _validation(file: str, root: Any, err: ValidationError) -> ScenarioError:
    first = err.errors()[0]
    loc = tuple(x for x in first["loc"] if not (isinstance(x, str) and "[" in x))
    msg = first["msg"].removeprefix("Value error, ")
    if first["type"] == "extra_forbidden":
        msg = "unknown field (not part of a branch file: docs/lessons.md lists the fields)"
    elif first["type"] == "missing":
        msg = "required field is missing"
    line, path = yaml_location(root, loc)
    return ScenarioError(file, msg, line, path)


def load_branch(path: str | Path, theatre: Theatre) -> Branch:
    """Read and check a branch file. Raises ScenarioError (never another exception): the
    branch file's line and field, or the scenario file's own error."""
    path = Path(path)
    file = str(path)
    try:
        text = read_text(path, MAX_YAML_BYTES, "branch file")
    except FileProblem as e:
        raise ScenarioError(file, e.message, e.line) from None
    root = _tree(text, file)
    try:
        spec = BranchFile.model_validate(_plain(root))
    except ValidationError as e:
        raise _validation(file, root, e) from None

    def err(loc: tuple, message: str) -> ScenarioError:
        line, where = yaml_location(root, loc)
        return ScenarioError(file, message, line, where)

    try:
        scenario_path = (path.parent / spec.scenario).resolve()
        found = scenario_path.exists()
    except (OSError, ValueError):  # a name the file system refuses (too long, a NUL byte)
        found = False
    if not found:
        raise err(
            ("scenario",),
            f"no scenario file {spec.scenario} (a path relative to this file's folder)",
        )
    try:  # a folder, a FIFO or a device is named as what it is, at this file's line
        read_scenario_text(scenario_path)
    except ScenarioError as e:
        raise err(("scenario",), f"{spec.scenario} ({scenario_path}): {e.message}") from None
    loaded = read_scenario(scenario_path, theatre)
    scenario = loaded.scenario
    theatre = loaded.theatre or theatre  # the scenario's own map (the places it adds)
    try:
        params = scenario.parameters_with(spec.parameters)
    except ValidationError as e:
        name = str(e.errors()[0]["loc"][0])
        raise err(("parameters", name), e.errors()[0]["msg"]) from None
    hour = _hour(spec, scenario, err)
    changes = [_checked(ch, i, scenario, theatre, params, err) for i, ch in enumerate(spec.changes)]
    scale: dict[str, float] = {}
    for i, ch in enumerate(changes):  # repeated strength changes of a unit multiply
        if ch.kind == "strength" and ch.factor is not None:
            scale[ch.subject] = scale.get(ch.subject, 1.0) * ch.factor
            if scale[ch.subject] > MAX_SCALE:
                raise err(
                    ("changes", i, "factor"),
                    f"the strength changes of {ch.subject} multiply to "
                    f"{scale[ch.subject]:,.4g} times its holdings; at most {MAX_SCALE:g} in all "
                    "(beyond that a unit is another unit)",
                )
    return Branch(
        file, spec, scenario_path, scenario, theatre, params, hour, changes, root, loaded.text
    )


def _hour(spec: BranchFile, s: Scenario, err: Callable) -> int:
    if (spec.at is None) == (spec.hour is None):
        raise err(
            ("at",) if spec.at else (),
            "give the branch time as at: (a date and time) "
            "or hour: (hours after the start), one of them",
        )
    if spec.at is not None:
        if spec.at.minute or spec.at.second:
            raise err(("at",), f"{spec.at:%Y-%m-%dT%H:%M}: expected a time on the hour")
        if not s.start <= spec.at < s.end:
            raise err(
                ("at",),
                f"{spec.at:%Y-%m-%dT%H:%M} is outside the scenario "
                f"({s.start:%Y-%m-%dT%H:%M} to {s.end:%Y-%m-%dT%H:%M}, "
                "the end excluded)",
            )
        return int((spec.at - s.start) / HOUR)
    assert spec.hour is not None  # exactly one of at: and hour: (checked above)
    if spec.hour >= s.hours:
        raise err(("hour",), f"{spec.hour}: the scenario has {s.hours} hours (0 to {s.hours - 1})")
    return spec.hour


def _checked(
    ch: Change, i: int, s: Scenario, theatre: Theatre, params: Parameters, err: Callable
) -> Change:
    """A change checked against the scenario and the map (places resolved to node ids)."""
    loc = ("changes", i, ch.kind)
    units = [u.id for u in s.units]
    if ch.kind in ("strength", "hold", "release", "attack", "move") and ch.subject not in units:
        close = difflib.get_close_matches(ch.subject, units, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise err(loc, f"no unit {ch.subject!r} in {s.id}{hint}")
    if ch.kind in ("destroy_bridge", "save_bridge"):
        c = theatre.crossings.get(ch.subject)
        if c is None:
            close = difflib.get_close_matches(ch.subject, list(theatre.crossings), n=3)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            raise err(loc, f"no bridge {ch.subject!r} on the map{hint}")
        if c.kind not in BRIDGE_KINDS:
            raise err(loc, f"{ch.subject!r} is a {c.kind!r} crossing, not a bridge")
    if ch.kind == "parameter":
        if ch.subject in RETIRED:
            raise err(loc, retired_warning(ch.subject))
        if ch.subject not in Parameters.model_fields:
            close = difflib.get_close_matches(ch.subject, list(Parameters.model_fields), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise err(
                loc, f"no model parameter {ch.subject!r}{hint}; python run.py params lists them"
            )
        if ch.side is not None and ch.subject not in DOCTRINE_PARAMETERS:
            raise err(
                ("changes", i, "side"),
                f"{ch.subject} is not a doctrine parameter, so "
                "it is the same for both sides: leave out side:",
            )
        try:
            Parameters(**{**params.model_dump(), ch.subject: ch.value})
        except ValidationError as e:
            raise err(("changes", i, "value"), e.errors()[0]["msg"]) from None
    if ch.to:
        nodes = []
        for j, place in enumerate(ch.to):
            try:
                nodes.append(theatre.resolve(place))
            except KeyError as e:
                raise err(("changes", i, "to", j), str(e.args[0])) from None
        ch = ch.model_copy(update={"to": nodes})
    return ch


# ---------------------------------------------------------------------------------- running
def simulate(
    b: Branch, progress: Callable[[str, int, int], None] | None = None
) -> tuple[RunRecord, RunRecord, list[str]]:
    """Run the base to the branch hour, copy it, make the changes on the copy, and run both
    to the end. Returns (base record, branch record, the changes in words). A change that
    cannot be made at that hour raises ScenarioError at its line. `progress(stage, done,
    total)` reports the hours ("base" up to the branch hour, then "futures")."""
    model = CampaignModel(b.scenario, b.theatre, b.params, seed=b.spec.seed)
    run_to(model, b.hour, (lambda d, t: progress("base", d, t)) if progress else None)
    twin = snapshot(model)
    try:
        texts = apply_changes(twin, b.changes)
    except ChangeError as e:
        i = getattr(e, "index", 0)
        raise b.error(("changes", i), str(e)) from None
    total = 2 * (b.scenario.hours - b.hour)
    done = 0
    for m in (model, twin):
        while m.running:
            m.step()
            done += 1
            if progress:
                progress("futures", done, total)
        m.release()
    return model.record, twin.record, texts


# ---------------------------------------------------------------------------------- writing
def branch_text(
    *,
    title: str,
    scenario: Path,
    seed: int,
    when: datetime,
    changes: list[Change],
    out: Path,
    question: str = "",
    context: str = "",
    source: str = "",
    parameters: dict[str, Any] | None = None,
) -> str:
    """The YAML text of a branch file written to `out` (the scenario path relative to it)."""
    try:
        rel = Path(_relative(scenario.resolve(), out.resolve().parent))
    except ValueError:
        rel = scenario.resolve()
    data: dict[str, Any] = {"title": title}
    for key, value in (("question", question), ("context", context), ("source", source)):
        if value:
            data[key] = value
    data.update({"scenario": rel.as_posix(), "seed": seed, "at": when.strftime("%Y-%m-%dT%H:%M")})
    if parameters:
        data["parameters"] = dict(parameters)
    data["changes"] = [ch.as_yaml() for ch in changes]
    y = YAML(typ="safe", pure=True)
    y.default_flow_style = False
    # keep the fields in the order above (ruamel's __init__ sets this to None, so its inferred
    # type is None, though it takes a bool)
    y.sort_base_mapping_type_on_output = False  # type: ignore[assignment]
    buf = io.StringIO()
    y.dump(data, buf)
    head = (
        "# A what-if branch (docs/lessons.md): python run.py branch THIS_FILE\n"
        "# or python run.py view THIS_FILE\n"
    )
    return head + buf.getvalue().replace(f"at: '{data['at']}'", f"at: {data['at']}")


def save_branch(out: Path, **fields: Any) -> Path:
    """Write a branch file (fields as for `branch_text`); returns the path."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(branch_text(out=out, **fields), encoding="utf-8")
    return out


def _relative(target: Path, folder: Path) -> str:
    """`target` relative to `folder`, with .. where needed (os.path.relpath, kept POSIX)."""
    return os.path.relpath(target, folder)
