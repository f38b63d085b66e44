"""The path language of a sweep: which value of a scenario a `--vary` or `--set` names.

A path is a model parameter by its name (`capture_ratio`, or `parameters.capture_ratio`), or a
scenario value by its place in the scenario's fields, dot-separated, with a list item chosen by
index, by id or by a selector of field values (it must match exactly one item):

    units[ua_25_abn].equipment.personnel      units.ua_25_abn.equipment.personnel
    events[3].at                              end
    events[kind=destroy_bridge,target=savyntsi_bridge].probability

`parse_path` reads a path into steps, `locate` finds the value it names in a scenario's
`model_dump()` and says where it stops matching if it does not.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sim.model.params import Parameters

#: A step of a path: a field name, a list index, or a selector (field -> value).
Step = str | int | dict[str, str]


@dataclass(frozen=True)
class PathError(Exception):
    """A path that does not name exactly one value of the scenario."""

    path: str
    problem: str

    def __str__(self) -> str:
        return f"path {self.path!r}: {self.problem}"


def _split_path(path: str) -> list[str]:
    """Split on dots outside brackets: `events[p=0.5].at` -> ['events[p=0.5]', 'at']."""
    parts, depth, cur = [], 0, ""
    for ch in path:
        if ch == "[":
            depth += 1
        elif ch == "]":
            depth -= 1
            if depth < 0:
                raise PathError(path, "unbalanced ']'")
        if ch == "." and depth == 0:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    if depth:
        raise PathError(path, "unbalanced '['")
    parts.append(cur)
    return parts


_SEGMENT = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)((?:\[[^\[\]]*\])*)$")


def parse_path(path: str) -> list[Step]:
    """A path as a list of steps: a field name (str), a list index (int), or a selector
    (dict of field -> value) that must match exactly one item of a list.

    `units[ua_25_abn].equipment.personnel` -> ['units', {'id': 'ua_25_abn'}, 'equipment',
    'personnel']; `units.ua_25_abn.tanks` treats a name after a list as an id, the same way.
    """
    if not path or path != path.strip():
        raise PathError(path, "empty or padded with spaces")
    steps: list[Step] = []
    for part in _split_path(path):
        m = _SEGMENT.match(part)
        if not m:
            raise PathError(
                path,
                f"cannot read {part!r}: expected name, name[index], "
                "name[id] or name[field=value,...]",
            )
        steps.append(m.group(1))
        for sel in re.findall(r"\[([^\[\]]*)\]", m.group(2)):
            sel = sel.strip()
            if re.fullmatch(r"-?\d+", sel):
                steps.append(int(sel))
            elif "=" in sel:
                cond: dict[str, str] = {}
                for item in sel.split(","):
                    k, eq, v = item.partition("=")
                    if not eq or not k.strip():
                        raise PathError(path, f"selector [{sel}]: expected field=value,...")
                    cond[k.strip()] = v.strip()
                steps.append(cond)
            elif sel:
                steps.append({"id": sel})
            else:
                raise PathError(path, "empty []")
    return steps


def _matches(item: Any, cond: dict[str, str]) -> bool:
    if not isinstance(item, dict):
        return False
    for k, want in cond.items():
        if k not in item:
            return False
        have = item[k]
        if isinstance(have, datetime):
            try:
                if have != datetime.fromisoformat(want):
                    return False
            except ValueError:
                return False
        elif isinstance(have, bool) or have is None:
            if str(have).lower() != want.lower():
                return False
        elif isinstance(have, int | float):
            try:
                if float(want) != float(have):
                    return False
            except ValueError:
                return False
        elif str(have) != want:
            return False
    return True


def _describe_step(step: Step) -> str:
    if isinstance(step, int):
        return f"[{step}]"
    if isinstance(step, dict):
        return "[" + ",".join(f"{k}={v}" for k, v in step.items()) + "]"
    return f".{step}"


def locate(data: Any, path: str) -> tuple[Any, str | int]:
    """(container, key) of the value `path` names in a scenario's model_dump().
    Raises PathError saying where the path stops matching."""
    steps = parse_path(path)
    node, where = data, ""
    for i, step in enumerate(steps):
        if isinstance(node, dict):
            if not isinstance(step, str):
                raise PathError(
                    path,
                    f"{where or 'the scenario'} is a mapping: "
                    f"name a field, not {_describe_step(step)}",
                )
            if step not in node:
                close = difflib.get_close_matches(step, [str(k) for k in node], n=3)
                hint = f" (did you mean {', '.join(close)}?)" if close else ""
                fields = "" if close else f"; fields: {', '.join(map(str, node))}"
                raise PathError(
                    path, f"no field {step!r} in {where or 'the scenario'}{hint}{fields}"
                )
            key: str | int = step
        elif isinstance(node, list):
            if isinstance(step, int):
                if not 0 <= step < len(node):
                    raise PathError(
                        path, f"{where} has {len(node)} items; index {step} is out of range"
                    )
                key = step
            else:
                cond = {"id": step} if isinstance(step, str) else step
                hits = [j for j, item in enumerate(node) if _matches(item, cond)]
                if len(hits) != 1:
                    what = _describe_step(cond)
                    if not hits:
                        ids = [str(x.get("id")) for x in node if isinstance(x, dict) and "id" in x]
                        close = difflib.get_close_matches(cond.get("id", ""), ids, n=3)
                        hint = f" (did you mean {', '.join(close)}?)" if close else ""
                        raise PathError(path, f"no item of {where} matches {what}{hint}")
                    listed = ", ".join(f"{where}[{j}]" for j in hits[:5])
                    raise PathError(
                        path,
                        f"{what} matches {len(hits)} items of {where} "
                        f"({listed}{'...' if len(hits) > 5 else ''}); add a field "
                        "to the selector or use an index",
                    )
                key = hits[0]
        else:
            raise PathError(
                path, f"{where} is a single value; it has no {_describe_step(step).lstrip('.')}"
            )
        if i == len(steps) - 1:
            return node, key
        node = node[key]
        where += _describe_step(key if isinstance(key, int) else step) if where else str(key)
    raise PathError(path, "empty path")  # pragma: no cover (parse_path never returns [])


def parameter_name(path: str) -> str | None:
    """The model parameter a path names (`capture_ratio`, `parameters.capture_ratio`), or None
    for a scenario path."""
    for prefix in ("parameters.", "params."):
        if path.startswith(prefix) and path[len(prefix) :] in Parameters.model_fields:
            return path[len(prefix) :]
    return path if path in Parameters.model_fields else None
