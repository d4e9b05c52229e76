"""Text normalised for matching: one script, half-width, same length as the input.

Coverage mixes Simplified and Traditional Chinese, full-width digits and
letters. Matching happens on a folded copy (Traditional → Simplified via
OpenCC, NFKC width folding, lower case) that keeps every character at its
original index, so a match's offsets point straight back into the source text.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable
from typing import Protocol, TypeVar

import opencc


class _Span(Protocol):
    start: int
    end: int


S = TypeVar("S", bound=_Span)

_HAN = re.compile("[\u4e00-\u9fff]+")
_LATIN = re.compile("[A-Za-z]")  # what `c.isascii() and c.isalpha()` accepts
# Characters `_fold_char` may change: all but lower-case ASCII and CJK unified ideographs, which
# NFKC and lower() keep as they are (tests/test_textnorm_speed.py checks every one of them).
_MAY_CHANGE = re.compile("[^\x00-\x40\x5b-\x7f\u4e00-\u9fff]+")


def leftmost_longest(spans: Iterable[S]) -> list[S]:
    """Non-overlapping matches, as a regex alternation would pick them:
    the leftmost first, and at one position the longest ("MINIMAX-W" over
    "MiniMax")."""
    kept: list[S] = []
    last_end = -1
    for span in sorted(spans, key=lambda s: (s.start, -(s.end - s.start))):
        if span.start >= last_end:
            kept.append(span)
            last_end = span.end
    return kept


@functools.lru_cache(maxsize=1)
def _t2s() -> opencc.OpenCC:
    return opencc.OpenCC("t2s.json")


@functools.lru_cache(maxsize=4096)
def _fold_char(c: str) -> str:
    n = unicodedata.normalize("NFKC", c)
    if len(n) != 1:
        n = c
    if n == "\u3000":
        n = " "
    return n.lower()


def to_simplified(text: str) -> str:
    """OpenCC Traditional → Simplified, guaranteed to keep the length."""
    out = _t2s().convert(text)
    if len(out) == len(text):
        return out
    conv = _t2s().convert
    return "".join(ch if len(ch := conv(c)) == 1 else c for c in text)


def _fold_run(m: re.Match[str]) -> str:
    return "".join(map(_fold_char, m.group()))


def _width_fold(text: str) -> str:
    """`_fold_char` on every character, visiting only the characters it can change.

    ASCII is NFKC-stable, so ASCII text only needs lower-casing; elsewhere
    the unchanged bulk (lower-case ASCII, CJK unified ideographs) is skipped
    by a regex and only the runs between go through `_fold_char`. The
    per-character Python loop this replaces was most of the cost of folding.
    """
    if text.isascii():
        return text.lower()
    return _MAY_CHANGE.sub(_fold_run, text)


def fold(text: str) -> str:
    """Simplified script, half-width, lower case; len(fold(t)) == len(t)."""
    return to_simplified(_width_fold(text))


def script_of(text: str) -> str | None:
    """'zh-Hant', 'zh-Hans' or 'en' for a text, by which conversion changes it.

    Traditional text changes under t2s; Simplified text does not. Texts with
    few Han characters are English (or unknown, None, if empty).
    """
    han = "".join(_HAN.findall(text))
    if len(han) < 10:
        latin = len(_LATIN.findall(text))
        return "en" if latin >= 20 else (None if not han else "zh-Hans")
    sample = han[:5000]
    simplified = to_simplified(sample)
    changed = 0 if simplified == sample else sum(a != b for a, b in zip(sample, simplified))
    return "zh-Hant" if changed / len(sample) > 0.02 else "zh-Hans"
