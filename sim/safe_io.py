"""Reading files the project does not control, and writing files others will read back.

Every file the project reads (a scenario, a sweep file, a saved run, a sweep's journal) may be
damaged, truncated, enormous, or not a file at all. The readers here turn each of these into one
`FileProblem` (``file:line: message``) before any parsing starts, so that nothing hangs, runs out
of memory or ends in a traceback:

- `read_bytes` / `read_text`: only regular files (a FIFO would block forever, `/dev/zero` never
  ends), at most a stated number of bytes, UTF-8 with the line of the first bad byte.
- `yaml_loader`: ruamel.yaml with limits on nesting depth and on the number of nodes, and every
  value Python cannot hold (30 February, year 0, an integer of 5,000 digits, ``!!int izium``)
  reported with its line.
- `count_values`: a budget on values after expanding YAML aliases ("billion laughs": nine
  aliases of nine aliases... are a few lines of text but 10^9 values once expanded).
- `is_slug`: identifiers that become file names (a scenario `id`) are plain names, never paths.
- `json_text` / `write_atomic`: JSON that is always strict (no ``NaN`` or ``Infinity``), written
  to a temporary name and renamed, so a kill never leaves half a file.
- `csv_text`: a CSV cell that a spreadsheet never runs as a formula.
Output folders (run files put in place together, the folder lock, appends that never follow a
link): sim/safe_write.py.

The limits are far above anything the shipped files need (the largest scenario is 53 kB and
3,000 YAML nodes) and far below what would take more than a few seconds to parse.
"""

from __future__ import annotations

import json
import math
import os
import re
import stat
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.composer import Composer, ComposerError, MaxDepthExceededError
from ruamel.yaml.constructor import ConstructorError
from ruamel.yaml.nodes import ScalarNode

#: Largest YAML file read (scenario or sweep file): 20 times the largest shipped scenario; a
#: file of this size parses in about 5 s at worst.
MAX_YAML_BYTES = 1024 * 1024
#: Deepest nesting of YAML lists and mappings (a scenario needs 5; Python's recursion limit
#: would stop the parser at about 300).
MAX_YAML_DEPTH = 40
#: Most YAML nodes (scalars, lists, mappings, aliases) in one file: the largest shipped scenario
#: has 3,000. Parsing a node costs about 60 us, so this bounds a parse to about 3 s.
MAX_YAML_NODES = 50_000
#: Most values after expanding aliases (each alias counts as many values as it stands for).
MAX_YAML_VALUES = 200_000

SLUG = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,79}")
SLUG_RULE = (
    "letters, digits, '_' and '-', starting with a letter or digit, at most 80 "
    "characters (it becomes part of file names)"
)


class FileProblem(Exception):
    """A file that cannot be used as it is: missing, not a regular file, too large, not
    UTF-8, damaged. `str()` is one line: ``file:line: message`` (line when known)."""

    def __init__(self, file: str | Path, message: str, line: int | None = None):
        self.file, self.message, self.line = str(file), message, line
        where = f"{self.file}:{line}" if line is not None else self.file
        super().__init__(f"{where}: {message}")


def _mib(n: int) -> str:
    return f"{n / 1024 / 1024:g} MiB"


def read_bytes(path: str | Path, limit: int, what: str = "file") -> bytes:
    """The bytes of a regular file of at most `limit` bytes. Raises FileProblem for a missing
    file, a folder, a FIFO or device (which could block or never end), an unreadable or a
    larger file; nothing beyond `limit` + 1 bytes is ever read."""
    path = Path(path)
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise FileProblem(path, "file not found") from None
    except (OSError, ValueError) as e:  # ValueError: a NUL in the path
        raise FileProblem(path, f"cannot be read ({getattr(e, 'strerror', None) or e})") from None
    if stat.S_ISDIR(st.st_mode):
        raise FileProblem(path, f"is a folder, expected a {what}")
    if not stat.S_ISREG(st.st_mode):
        raise FileProblem(path, f"is not a regular file (a pipe or a device?), expected a {what}")
    if st.st_size > limit:
        raise FileProblem(
            path, f"is {_mib(st.st_size)}, larger than the {_mib(limit)} a {what} may have"
        )
    try:
        with open(path, "rb") as f:
            # the size stat gave (read() of n bytes sets n bytes aside first: reading "up to
            # the limit" took the limit in memory, 256 MiB for a small frames.json.gz); then
            # whatever it grew by since, up to the limit
            data = f.read(st.st_size + 1)
            if len(data) > st.st_size:
                data += f.read(limit + 1 - len(data))
    except OSError as e:
        raise FileProblem(path, f"cannot be read ({e.strerror or e})") from None
    if len(data) > limit:  # it grew since stat
        raise FileProblem(path, f"is larger than the {_mib(limit)} a {what} may have")
    return data


def decode_utf8(data: bytes | bytearray, file: str | Path) -> str:
    """`data` as UTF-8 text (a BOM is dropped). Raises FileProblem naming the line of the
    first byte that is not UTF-8."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        raise FileProblem(file, f"not UTF-8 text ({e.reason} at byte {e.start})", line) from None


def read_text(path: str | Path, limit: int, what: str = "file") -> str:
    """A regular file of at most `limit` bytes as UTF-8 text (see read_bytes, decode_utf8)."""
    return decode_utf8(read_bytes(path, limit, what), path)


# ---------------------------------------------------------------------------------------- YAML
class TooManyNodes(ComposerError):
    """More than MAX_YAML_NODES nodes in one file."""


class _CountingComposer(Composer):
    """ruamel's composer, refusing more than MAX_YAML_NODES nodes."""

    nodes = 0

    def __init__(self, loader: Any = None) -> None:
        super().__init__(loader)
        self.warn_double_anchors = False  # YAML allows redefining an anchor; no stderr noise

    def compose_node(self, parent: Any, index: Any) -> Any:
        self.nodes += 1
        if self.nodes > MAX_YAML_NODES:
            event = self.parser.peek_event()
            raise TooManyNodes(
                None,
                None,
                f"more than {MAX_YAML_NODES:,} values: too large for a scenario or sweep file",
                event.start_mark,
            )
        return super().compose_node(parent, index)


#: What a scalar's constructor raises for a value Python cannot hold: ValueError (30 February,
#: ``!!int izium``), OverflowError, TypeError, KeyError (``!!bool maybe``), RecursionError.
_UNREADABLE = (ValueError, OverflowError, TypeError, KeyError, RecursionError)


@dataclass(frozen=True)
class UnreadableValue:
    """A YAML scalar Python cannot hold, kept in place of its value by a loader made with
    ``yaml_loader(keep_unreadable=True)``: `text` as written, `reason` (one line: what is
    wrong with it), `line` (1-based). Its `str()` is the text as written."""

    text: str
    reason: str
    line: int

    def __str__(self) -> str:
        return self.text


def _reason(node: Any, e: BaseException) -> str:
    """Why the scalar `node` cannot be read, in one line (its text when short)."""
    value = getattr(node, "value", "")
    shown = value if isinstance(value, str) and len(value) <= 40 else None
    what = f"cannot read {shown!r}: " if shown is not None else ""
    if isinstance(e, KeyError):  # a mapping of accepted words: !!bool maybe
        tag = str(getattr(node, "tag", "")).rpartition(":")[2] or "value"
        return f"{what}not a {tag} value"
    if isinstance(e, ConstructorError):
        return str(e.problem or e).strip().splitlines()[0]
    return f"{what}{e}".split("; use sys.set_int_max_str_digits")[0].splitlines()[0]


def _located(base: Any, keep_unreadable: bool) -> type:
    """A constructor class that reports a scalar Python cannot hold (an invalid date, an
    integer of thousands of digits, ``!!int word``) at the scalar's line: as a ConstructorError,
    or (`keep_unreadable`) as an `UnreadableValue` in its place, so that reading goes on."""

    def construct_object(self: Any, node: Any, deep: bool = False) -> Any:
        deep_construct = self.deep_construct
        try:
            return base.construct_object(self, node, deep)
        except (*_UNREADABLE, ConstructorError) as e:
            scalar = isinstance(node, ScalarNode)
            if keep_unreadable and scalar and not isinstance(e, RecursionError):
                kept = UnreadableValue(str(node.value), _reason(node, e), node.start_mark.line + 1)
                # what ruamel leaves half done when a construction fails: an alias of this
                # node must get the same value, not the None of a node under construction
                self.recursive_objects.pop(node, None)
                self.constructed_objects[node] = kept
                self.deep_construct = deep_construct
                return kept
            if isinstance(e, ConstructorError):
                raise
            raise ConstructorError(None, None, _reason(node, e), node.start_mark) from None

    return type(f"Located{base.__name__}", (base,), {"construct_object": construct_object})


def yaml_loader(typ: str = "rt", keep_unreadable: bool = False) -> YAML:
    """A YAML loader with limits: YAML 1.2 (``NO`` stays a string), no duplicate keys, nesting
    at most MAX_YAML_DEPTH, at most MAX_YAML_NODES nodes, unreadable scalars located. `typ`
    "rt" keeps line numbers (ruamel's round-trip nodes), "safe" gives plain Python values.
    Errors are ruamel's MarkedYAMLError (with a line) or YAMLError. With `keep_unreadable`, a
    scalar Python cannot hold (30 February, ``!!int izium``) is no error: the tree holds an
    `UnreadableValue` in its place, for the caller to report along with its other problems."""
    y = YAML(typ=typ, pure=True)
    y.allow_duplicate_keys = False
    y.max_depth = MAX_YAML_DEPTH
    y.Composer = _CountingComposer
    y.Constructor = _located(y.Constructor, keep_unreadable)
    return y


def yaml_problem(file: str | Path, e: Exception) -> FileProblem:
    """One located line for an exception raised while loading YAML."""
    mark = getattr(e, "problem_mark", None) or getattr(e, "context_mark", None)
    line = mark.line + 1 if mark is not None else None
    problem = getattr(e, "problem", None) or getattr(e, "context", None) or str(e)
    problem = (str(problem).strip().splitlines() or ["invalid YAML"])[0]
    if isinstance(e, TooManyNodes):
        return FileProblem(file, f"YAML: {problem}", line)
    if isinstance(e, MaxDepthExceededError):
        return FileProblem(
            file, f"YAML: lists and mappings nested more than {MAX_YAML_DEPTH} levels deep", line
        )
    if isinstance(e, ConstructorError):
        return FileProblem(file, f"YAML value: {problem}", line)
    return FileProblem(file, f"YAML syntax: {problem}", line)


class TooManyValues(ValueError):
    """More values than MAX_YAML_VALUES once aliases are expanded."""


def count_values(data: Any, limit: int = MAX_YAML_VALUES) -> int:
    """How many values `data` holds with every shared (aliased) list and mapping counted each
    time it appears. Raises TooManyValues past `limit` (it stops counting there)."""
    seen = 0
    stack = [data]
    while stack:
        node = stack.pop()
        seen += 1
        if seen > limit:
            raise TooManyValues(f"more than {limit:,} values once YAML aliases are expanded")
        if isinstance(node, dict):
            stack.extend(node.keys())
            stack.extend(node.values())
        elif isinstance(node, list | tuple):
            stack.extend(node)
    return seen


def lone_surrogate(obj: Any, raw: str | None = None) -> bool:
    """Whether a JSON value holds text that cannot be written as UTF-8 (JSON's ``\\ud800``
    escapes decode to lone surrogates; files, fonts and Parquet refuse them). With `raw`, the
    JSON text it came from, the walk is done only if `raw` has such an escape at all."""
    if raw is not None and not _SURROGATE_ESCAPE.search(raw):
        return False
    stack = [obj]
    while stack:
        node = stack.pop()
        if isinstance(node, str):
            try:
                node.encode("utf-8")
            except UnicodeEncodeError:
                return True
        elif isinstance(node, dict):
            stack.extend(node.keys())
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return False


_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")


# ---------------------------------------------------------------------------------------- names
def is_slug(text: Any) -> bool:
    """Whether `text` is a plain name (SLUG_RULE) that can safely be part of a file name."""
    return isinstance(text, str) and SLUG.fullmatch(text) is not None


# ---------------------------------------------------------------------------------------- writing
def finite(obj: Any) -> Any:
    """`obj` with every NaN or infinite float replaced by None (JSON has no such numbers)."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: finite(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [finite(v) for v in obj]
    return obj


def json_text(obj: Any, **kw: Any) -> str:
    """json.dumps that never writes NaN or Infinity (non-finite floats become null). The
    usual case costs one dumps: the object is walked only if it holds such a number."""
    try:
        return json.dumps(obj, allow_nan=False, **kw)
    except ValueError:
        return json.dumps(finite(obj), allow_nan=False, **kw)


#: This process's umask (read once, at import, before any thread could race the read): the
#: files written through a temporary file get the mode a plain open() would give them.
UMASK = os.umask(0o022)
os.umask(UMASK)
#: os.open flags that never follow a link at the last component and never wait on a FIFO
NO_LINK = getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)


def named(e: OSError, path: Path | str) -> OSError:
    """`e` with the file it concerns (a write's own error has none: "error: : File too
    large")."""
    if e.filename is None:
        e.filename = str(path)
    return e


#: The first characters by which a spreadsheet reads a cell as a formula (=, +, -, @) or that
#: hide one (a tab, a carriage return): "CSV injection" (OWASP).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_text(value: Any) -> Any:
    """A text cell as a spreadsheet shows it and never runs it: text that starts like a
    formula gets a leading apostrophe (a caption ``=HYPERLINK(...)`` is written
    ``'=HYPERLINK(...)``, which a spreadsheet shows as the text); any other value as it is.
    `csv_read` undoes it."""
    if isinstance(value, str) and value.lstrip("'").startswith(FORMULA_START):
        return "'" + value  # (apostrophes before a formula's start: one more, so read back)
    return value


def csv_read(text: str) -> str:
    """A text cell as it was before `csv_text` (the apostrophe it added dropped)."""
    if text.startswith("'") and text.lstrip("'").startswith(FORMULA_START):
        return text[1:]
    return text


def write_atomic(path: Path, data: bytes) -> Path:
    """Write `data` to `path` through a temporary file in the same folder and a rename: a
    reader (or a kill) sees the old file or the new one, never half of one. The temporary file
    has a name no one can guess and is created new (never through a planted link); a link at
    `path` itself is replaced, never followed. An OSError names `path`."""
    path = Path(path)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as e:
        raise named(e, path) from None
    try:
        if hasattr(os, "fchmod"):  # mkstemp's 0600: the file gets the mode open() would give
            os.fchmod(fd, 0o666 & ~UMASK)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException as e:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(e, OSError):
            raise named(e, path) from None
        raise
    return path
