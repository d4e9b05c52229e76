"""HKEX stock codes and Yahoo Finance symbols.

HKEX writes codes as five digits (``00100``); Yahoo wants four digits plus
``.HK`` (``0100.HK``) and returns nothing for ``00100.HK``. Codes above 9999
keep their five digits on both sides.
"""

from __future__ import annotations

import re

from hkipo.core.errors import UserError

_CODE_RE = re.compile(r"^\s*(?:HK(?:EX)?[:\s]?)?0*(\d{1,5})(?:\.HK)?\s*$", re.IGNORECASE)
_SYMBOL_RE = re.compile(r"^\s*(\d{4,5})\.HK\s*$", re.IGNORECASE)


class InvalidCode(UserError):
    """A string that is not an HKEX code or Yahoo .HK symbol."""


def normalize_code(value: str | int) -> str:
    """Return the canonical 5-digit HKEX code for any common spelling.

    Accepts ``100``, ``0100``, ``00100``, ``0100.HK``, ``00100.HK``, ``HK00100``
    and ints. Rejects empty strings, letters, zero and codes over 99999.
    """
    text = str(value)
    m = _CODE_RE.match(text)
    if not m:
        raise InvalidCode(f"not an HKEX stock code: {text!r} (expected 1-5 digits, e.g. 00100)")
    number = int(m.group(1))
    if number == 0:
        raise InvalidCode(f"not an HKEX stock code: {text!r} (code 0 does not exist)")
    return f"{number:05d}"


def code_to_yahoo(code: str | int) -> str:
    """``00100`` -> ``0100.HK``; ``09988`` -> ``9988.HK``; ``80737`` -> ``80737.HK``."""
    number = int(normalize_code(code))
    return f"{number:04d}.HK"


def yahoo_to_code(symbol: str) -> str:
    """``0100.HK`` -> ``00100``. Only Hong Kong symbols are accepted."""
    m = _SYMBOL_RE.match(str(symbol))
    if not m:
        raise InvalidCode(f"not a Yahoo Hong Kong symbol: {symbol!r} (expected e.g. 0100.HK)")
    return normalize_code(m.group(1))


def resolve_code(given: str | None, stated: str | None, *, document: str = "announcement") -> str | None:
    """The code a document is for: the one the user gave (checked) and the one it states must agree.

    An unparseable stated code counts as not stated (a parser read something else); a bad --code is the
    user's mistake, and a disagreement means the wrong file: both are errors, never a guess."""
    def norm(c: str | None) -> str | None:
        if not c:
            return None
        try:
            return normalize_code(c)
        except InvalidCode:
            return None

    g, s = norm(given), norm(stated)
    if given and g is None:
        raise UserError(f"--code {given!r} is not an HKEX stock code")
    if g and s and g != s:
        raise UserError(f"the {document} is for stock code {s}, not {g}")
    return g or s
