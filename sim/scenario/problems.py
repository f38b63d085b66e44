"""A problem in a scenario file, located by file, line and field path (``file:line:
field.path: message``), and the error that carries every problem of a file. Shared by the
loader (sim/scenario/loader.py) and the semantic checks (sim/scenario/checks.py)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from sim.safe_io import UnreadableValue

#: An error stops a run; a warning is printed (`validate --strict` makes it an error); a note
#: says what the file's own sourced facts lead to (never an error, not even with --strict).
Severity = Literal["error", "warning", "note"]


@dataclass(frozen=True)
class Problem:
    """One problem in a scenario file: ``file:line: field.path: message``. The loader's are
    errors; the semantic checks (sim/scenario/checks.py) also find warnings and notes."""

    file: str
    message: str
    line: int | None = None
    path: str = ""
    severity: Severity = "error"

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line is not None else self.file
        field = f" {self.path}:" if self.path else ""
        return f"{where}:{field} {self.message}"


class ScenarioError(Exception):
    """Problems in a scenario file, each located by file, line and field path.

    `problems` lists every problem found, in file order; `file`, `message`, `line` and `path`
    are those of the first. `str()` is one line per problem."""

    def __init__(
        self,
        file: str,
        message: str = "",
        line: int | None = None,
        path: str = "",
        *,
        problems: list[Problem] | None = None,
    ):
        self.problems = list(problems) if problems else [Problem(file, message, line, path)]
        first = self.problems[0]
        self.file, self.message, self.line, self.path = (
            first.file,
            first.message,
            first.line,
            first.path,
        )
        super().__init__("\n".join(str(p) for p in self.problems))

    def lines(self, limit: int | None = None) -> list[str]:
        """One line per problem (``file:line: field.path: message``), at most `limit` of them
        and then a line saying how many more there are (None: all)."""
        shown = self.problems if limit is None else self.problems[:limit]
        out = [str(p) for p in shown]
        if len(self.problems) > len(shown):
            more = len(self.problems) - len(shown)
            out.append(f"{self.file}: ... and {more} more problems (fix these first)")
        return out


def raise_all(file: str, problems: list[Problem]) -> None:
    """Raise one ScenarioError with every problem, in file order (unlocated ones last)."""
    if not problems:
        return
    unique = list(dict.fromkeys(problems))
    unique.sort(key=lambda p: (p.line is None, p.line or 0))
    raise ScenarioError(file, problems=unique)


def line_of(root: Any, loc: tuple[Any, ...]) -> int | None:
    """1-based line of the deepest node of `loc` that exists in the YAML tree (ruamel's, or
    the `LineMap` of a file read back from the cache). A key with no mark of its own (one that
    a merge key ``<<: *anchor`` brought in) is located at its mapping's line."""
    node, line = root, getattr(getattr(root, "lc", None), "line", None)
    for key in loc:
        lc = getattr(node, "lc", None)
        if isinstance(node, dict) and key in node:
            mark = _mark(lc, "key", key)
            line = mark if mark is not None else getattr(lc, "line", line)
            node = node[key]
        elif isinstance(node, list) and isinstance(key, int) and 0 <= key < len(node):
            mark = _mark(lc, "item", key)
            line = mark if mark is not None else getattr(lc, "line", line)
            node = node[key]
        else:
            break
    return None if line is None else line + 1


def _mark(lc: Any, kind: str, key: Any) -> int | None:
    """The 0-based line ruamel marked for a key (`kind` "key") or a list item ("item"), or
    None when it has none."""
    if lc is None:
        return None
    try:
        return getattr(lc, kind)(key)[0]
    except (KeyError, IndexError, TypeError, AttributeError):
        return None


# ------------------------------------------------------------------ lines kept without the tree
class _Marks:
    """ruamel's line-and-column record of a container (``.lc``), as far as `line_of` uses
    it: the container's line, and the line of each key or item (columns are not kept)."""

    __slots__ = ("_lines", "line")

    def __init__(self, line: int | None, lines: dict[Any, int | None]):
        self.line, self._lines = line, lines

    def key(self, k: Any) -> tuple[int, int]:
        line = self._lines[k]
        if line is None:
            raise KeyError(k)
        return line, 0

    item = key


class LineMap(dict):
    """A YAML mapping's shape and lines: its keys, its mappings and lists, and (`lc`) the line
    of each key, the way `line_of` reads ruamel's tree; every other value is None. A file read
    back from the cache locates its problems with these (sim/scenario/loader.py)."""

    lc: _Marks


class LineList(list):
    """A YAML list's shape and lines (see `LineMap`)."""

    lc: _Marks


def lines_data(node: Any) -> Any:
    """The shape and lines of a YAML tree as JSON data: a mapping is ``{"m": line, "k":
    [[key, line, child], ...]}`` (text keys only), a list ``{"s": line, "i": [[line, child],
    ...]}``, anything else null. `lines_from_data` reads it back."""
    lc = getattr(node, "lc", None)
    marks = getattr(lc, "data", None) or {}

    def mark(k: Any) -> int | None:
        m = marks.get(k)
        return m[0] if isinstance(m, list | tuple) and m and isinstance(m[0], int) else None

    line = getattr(lc, "line", None)
    if isinstance(node, dict):
        return {
            "m": line,
            "k": [[k, mark(k), lines_data(v)] for k, v in node.items() if isinstance(k, str)],
        }
    if isinstance(node, list):
        return {"s": line, "i": [[mark(i), lines_data(v)] for i, v in enumerate(node)]}
    return None


def lines_from_data(data: Any) -> LineMap | LineList | None:
    """The `LineMap` or `LineList` that `lines_data` wrote. Raises ValueError for data that
    is not such."""
    if data is None:
        return None
    if not isinstance(data, dict):
        raise ValueError("not the lines of a YAML tree")
    if "m" in data:
        m = LineMap()
        lines: dict[Any, int | None] = {}
        for k, line, child in data["k"]:
            m[k], lines[k] = lines_from_data(child), line
        m.lc = _Marks(data["m"], lines)
        return m
    seq = LineList(lines_from_data(child) for _, child in data["i"])
    seq.lc = _Marks(data["s"], {i: line for i, (line, _) in enumerate(data["i"])})
    return seq


def field_path(loc: tuple[Any, ...]) -> str:
    """A field's path as a scenario author reads it, e.g. ``units[3].at``."""
    out = ""
    for key in loc:
        if isinstance(key, int):
            out += f"[{key}]"
        else:
            out += ("." if out else "") + str(key)
    return out


def located(file: str, root: Any, loc: tuple[Any, ...], message: str) -> Problem:
    """The Problem at field `loc` of the YAML tree `root`, with its line."""
    return Problem(file, message, line_of(root, loc), field_path(loc))


def unreadable_values(
    node: Any, loc: tuple[Any, ...] = ()
) -> list[tuple[tuple[Any, ...], UnreadableValue]]:
    """(location, UnreadableValue) of every value (or key) of a YAML tree read with
    ``yaml_loader(keep_unreadable=True)`` that could not be read, in file order. A key's
    location is its own (where the schema would name it)."""
    out: list[tuple[tuple[Any, ...], UnreadableValue]] = []
    stack: list[tuple[tuple[Any, ...], Any]] = [(loc, node)]
    while stack:
        here, n = stack.pop()
        if isinstance(n, UnreadableValue):
            out.append((here, n))
        elif isinstance(n, dict):
            for k, v in reversed(list(n.items())):
                stack.append(((*here, str(k)), v))
                if isinstance(k, UnreadableValue):
                    stack.append(((*here, str(k)), k))
        elif isinstance(n, list):
            stack += [((*here, i), v) for i, v in reversed(list(enumerate(n)))]
    return out


def unreadable_problems(
    file: str,
    found: list[tuple[tuple[Any, ...], UnreadableValue]],
    expected: dict[tuple[Any, ...], str],
) -> list[Problem]:
    """One problem per unreadable value, at its own line and field, saying what the schema
    expected there when it says one thing (`expected`: message by location)."""
    out = []
    for loc, value in found:
        wanted = expected.get(loc, "")
        hint = f" (expected {wanted})" if wanted else ""
        out.append(Problem(file, f"YAML value: {value.reason}{hint}", value.line, field_path(loc)))
    return out
