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
    """1-based line of the deepest node of `loc` that exists in the YAML tree."""
    node, line = root, getattr(getattr(root, "lc", None), "line", None)
    for key in loc:
        lc = getattr(node, "lc", None)
        if isinstance(node, dict) and key in node:
            if lc is not None:
                line = lc.key(key)[0]
            node = node[key]
        elif isinstance(node, list) and isinstance(key, int) and 0 <= key < len(node):
            if lc is not None:
                line = lc.item(key)[0]
            node = node[key]
        else:
            break
    return None if line is None else line + 1


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
