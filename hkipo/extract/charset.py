"""Bytes of a web page to text, when headers and meta tags may lie.

Chinese news sites still serve GBK/GB18030 and Big5, and their declarations
are often wrong or missing (a server default of ISO-8859-1, a template's
`<meta charset=gb2312>` on a page written in GBK, a CMS that says UTF-8 over
Big5 bytes). The order of trust:

1. a byte-order mark;
2. valid UTF-8 (GBK and Big5 text essentially never is), whatever is declared;
3. a declared charset (header, then meta) that decodes without error and
   that charset-normalizer does not clearly contradict;
4. charset-normalizer's best guess;
5. UTF-8 with replacement characters, as a last resort.

Declared GB2312/GBK map to GB18030 and Big5 to Big5-HKSCS, their supersets
(w3lib's aliases), because real pages use characters outside the old sets.
"""

from __future__ import annotations

import codecs

import charset_normalizer
from w3lib.encoding import html_body_declared_encoding, http_content_type_encoding, read_bom, resolve_encoding

# Declarations that mean "nobody chose": server defaults, not evidence.
WEAK = frozenset({"cp1252", "latin_1", "iso8859_1", "ascii", "us_ascii"})
CJK = ("gb18030", "big5hkscs")


def _codec(name: str | None) -> str | None:
    if not name:
        return None
    resolved = resolve_encoding(name)
    if not resolved:
        return None
    try:
        return codecs.lookup(resolved).name.replace("-", "_")
    except LookupError:
        return None


def _decodes(body: bytes, codec: str) -> bool:
    try:
        body.decode(codec)
    except (UnicodeDecodeError, LookupError):
        return False
    return True


def _guess(body: bytes, candidates: list[str] | None = None) -> str | None:
    best = charset_normalizer.from_bytes(body, cp_isolation=candidates).best()
    return _codec(best.encoding) if best is not None else None


def decode_html(body: bytes, content_type: str | None = None) -> tuple[str, str]:
    """(text, codec used) for an HTML page's bytes and its Content-Type header."""
    bom, _ = read_bom(body)
    if bom:
        codec = _codec(bom) or "utf_8"
        return body[len(codecs.BOM_UTF8) if codec == "utf_8" else 0:].decode(codec, errors="replace").lstrip(
            "\ufeff"), codec
    if _decodes(body, "utf_8"):
        return body.decode("utf_8"), "utf_8"
    declared: list[str] = []
    for name in (http_content_type_encoding(content_type or ""), html_body_declared_encoding(body[:4096])):
        codec = _codec(name)
        if codec and codec not in declared and codec != "utf_8":
            declared.append(codec)
    for codec in declared:
        if codec in WEAK or not _decodes(body, codec):
            continue
        # Most multi-byte CJK text decodes "successfully" in the other family too; ask for a second opinion.
        rivals = [codec, *(c for c in CJK if c != codec)]
        second = _guess(body, rivals)
        if second is None or second == codec:
            return body.decode(codec), codec
        return body.decode(second, errors="replace"), second
    guessed = _guess(body)
    if guessed:
        try:
            return body.decode(guessed), guessed
        except (UnicodeDecodeError, LookupError):
            pass
    return body.decode("utf_8", errors="replace"), "utf_8"
