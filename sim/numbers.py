"""Numbers as a person writes them on a command line or in a sweep: ASCII digits, a point and
an exponent, nothing else. Python's int() and float() also read "1_5" (as 15) and the digits
of other scripts ("١" as 1, "２" as 2), and pydantic reads the text "1_5" as 15 too: a `--set`
or `--vary` value is read here first, so that such a value is refused, not silently read as
another number. Standard library only (the command line imports it at start-up)."""

from __future__ import annotations

import re

#: A number as written plainly: an optional sign, digits 0-9 with an optional point (or a
#: point and digits), an optional exponent.
NUMBER = re.compile(r"[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?")
#: Longest run of digits read as a whole number (Python refuses to read longer ones: CVE-2020-
#: 10735's guard); a longer one is read as a float (and refused where it must be finite).
MAX_INT_DIGITS = 4000


def number_value(text: str) -> int | float | None:
    """`text` as a number (an int without a point or exponent, else a float), or None if it
    is not one written plainly (NUMBER)."""
    t = text.strip()
    if not NUMBER.fullmatch(t):
        return None
    if any(c in t for c in ".eE") or len(t) > MAX_INT_DIGITS:
        return float(t)
    return int(t)
