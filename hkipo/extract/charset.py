"""Bytes of a web page to text, when headers and meta tags may lie.

Chinese news sites still serve GBK/GB18030 and Big5, and their declarations
are often wrong or missing (a server default of ISO-8859-1, a template's
`<meta charset=gb2312>` on a page written in GBK, a CMS that says UTF-8 over
Big5 bytes). The order of trust:

1. a byte-order mark;
2. valid UTF-8 (GBK and Big5 text essentially never is), whatever is declared
   — also when a few bytes are broken (a page cut mid-character, one bad
   byte in a template): almost-valid UTF-8 is UTF-8, not the GB2312 its
   template declares;
3. a declared charset (header, then meta) that decodes without error and
   that charset-normalizer does not clearly contradict;
4. GB18030 or Big5 when the bytes read as common Chinese characters in it
   (a page with no usable declaration, or a few broken bytes: a
   single-byte guess such as KOI8 or PTCP154 turns such a page into
   Cyrillic-looking noise);
5. charset-normalizer's best guess;
6. UTF-8 with replacement characters, as a last resort.

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


# A broken sequence per this many decoded non-ASCII characters is damage, not another encoding.
DAMAGE_PER = 200


def _mostly(body: bytes, codec: str) -> bool:
    """The bytes decode in `codec` with at most one broken sequence per DAMAGE_PER non-ASCII characters."""
    text = body.decode(codec, errors="replace")
    bad = text.count("\ufffd")
    wide = sum(1 for c in text if ord(c) > 0x7F) - bad
    return wide >= 20 and bad * DAMAGE_PER <= wide


# The common characters' byte ranges: GB2312 level 1 (3,755 most used) and Big5's frequent block.
_COMMON_LEADS = {"gb18030": (0xB0, 0xD7), "big5hkscs": (0xA4, 0xC6)}


def _common_share(body: bytes, codec: str) -> float:
    """Share of the Han characters decoded that are common ones: real text ~0.9+, another encoding's bytes far less."""
    text = body.decode(codec, errors="replace")
    han = [c for c in text if "\u4e00" <= c <= "\u9fff"]
    if len(han) < 20:
        return 0.0
    lo, hi = _COMMON_LEADS[codec]
    common = 0
    for c in han:
        try:
            b = c.encode("gb2312" if codec == "gb18030" else "big5")
        except UnicodeEncodeError:
            continue
        common += lo <= b[0] <= hi
    return common / len(han)


def decode_html(body: bytes, content_type: str | None = None) -> tuple[str, str]:
    """(text, codec used) for an HTML page's bytes and its Content-Type header."""
    bom, _ = read_bom(body)
    if bom:
        codec = _codec(bom) or "utf_8"
        return body[len(codecs.BOM_UTF8) if codec == "utf_8" else 0:].decode(codec, errors="replace").lstrip(
            "\ufeff"), codec
    if _decodes(body, "utf_8"):
        return body.decode("utf_8"), "utf_8"
    if _mostly(body, "utf_8"):
        return body.decode("utf_8", errors="replace"), "utf_8"
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
    chinese = max(((_common_share(body, c), c) for c in CJK if _mostly(body, c)), default=(0.0, ""))
    if chinese[0] >= 0.8:
        return body.decode(chinese[1], errors="replace"), chinese[1]
    guessed = _guess(body)
    if guessed:
        try:
            return body.decode(guessed), guessed
        except (UnicodeDecodeError, LookupError):
            pass
    return body.decode("utf_8", errors="replace"), "utf_8"
