"""Byte sizes as settings are written and as the pages show them: one rule for every setting.

parse_size reads the size variables (NETLIB_MEMORY_BUDGET, NETLIB_RUN_DISK_BUDGET):

- a plain number is bytes: "123456";
- SI units are powers of 1000: kB (or KB), MB, GB, TB: "100MB" = 100,000,000 bytes;
- IEC units are powers of 1024: KiB, MiB, GiB, TiB (or Ki, Mi, Gi, Ti):
  "2GiB" = 2,147,483,648 bytes;
- a bare letter K, M, G or T is binary, as docker, ulimit and java -Xmx read it:
  "512M" = 512 MiB = 536,870,912 bytes;
- "B" alone is bytes; case does not matter ("1.5g", "100mb"), a decimal fraction and a space
  before the unit are allowed ("1.5 GiB"); no exponents, signs or zero.

format_size writes decimal units (1.5 GB = 1.5e9 bytes), as people read disk and memory sizes;
what it writes parses back to the same size (to its rounding).
"""

from __future__ import annotations

import re
from fractions import Fraction

RULE = (
    "write bytes (123456), a number with K, M, G or T for powers of 1024 (512M, 2GiB) "
    "or with kB, MB, GB or TB for powers of 1000 (100MB)"
)
MAX_SIZE = 2**63 - 1  # a size is stored in a signed 64-bit integer (SQLite, numpy)
_MAX_CHARS = 40
_SIZE_RE = re.compile(r"(\d+(?:\.\d+)?)\s*(?:([kmgt])(ib|i|b)?|b)?", re.IGNORECASE)
_POWER = {"k": 1, "m": 2, "g": 3, "t": 4}


class SizeError(ValueError):
    """A size setting that does not follow the rule; the message names the variable."""


def parse_size(text: str, variable: str = "size", example: str = "4G") -> int:
    """'512M', '1.5G', '2GiB', '100MB', '123456' -> bytes (the rule: this module's docstring).

    SizeError, one line naming the variable and an example, for anything else.
    """
    raw = str(text)
    match = _SIZE_RE.fullmatch(raw.strip()) if len(raw) <= _MAX_CHARS else None
    if match is None:
        raise SizeError(f"{variable}={raw!r} is not a size: {RULE}, e.g. {variable}={example}")
    number, letter, suffix = match.group(1), match.group(2), (match.group(3) or "").lower()
    value = Fraction(number)
    if letter:
        base = 1000 if suffix == "b" else 1024  # "MB" is SI; "M", "Mi" and "MiB" are binary
        value *= base ** _POWER[letter.lower()]
    if value < 1:
        raise SizeError(
            f"{variable}={raw!r} is less than one byte: {RULE}, e.g. {variable}={example}"
        )
    if value > MAX_SIZE:
        raise SizeError(f"{variable}={raw!r} is more than 8 EiB: e.g. {variable}={example}")
    return int(value)


def format_size(n: float) -> str:
    """Decimal units, as people read disk and memory sizes: 1.5 GB = 1.5e9 bytes."""
    if n < 1000:
        return f"{n:.0f} B"
    for unit in ("KB", "MB", "GB"):
        n /= 1000
        if n < 1000 or unit == "GB":
            break
    return f"{n:.1f} {unit}"
