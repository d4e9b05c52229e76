"""Sentences and clauses with their offsets, for Chinese and English text.

Claims quote the sentence a figure came from and are attributed by it, so
the split must keep offsets into the original text. Chinese ends sentences
with 。！？ (and often ；), English with . ! ? followed by a space and a
capital; decimal points (`5.54bn`) and abbreviations (`No. 1`, `Mr. Yan`,
`U.S. investors`) do not end a sentence. Line breaks always do: paragraphs,
headlines and list items are separate statements.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    text: str
    paragraph: int  # index of the paragraph (line block) the span belongs to


_ABBREVIATIONS = frozenset({
    "mr", "mrs", "ms", "dr", "prof", "inc", "ltd", "co", "corp", "no", "nos", "st", "vs", "approx", "est",
    "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "u.s", "e.g", "i.e",
})
_WORD_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz.")
_ZH_END = "。！？!?；;"
_EN_END = re.compile(r"[.!?](?=[\"'”’)\]]*\s+[\"'“‘(\[]?[A-Z0-9\u4e00-\u9fff])")
# Commas and colons between digits are part of a number (1,837 / 22:45), not clause breaks.
# "touched HK$267.80 in early trade and closed at HK$345.00": a new verb after "and"/"then" is a new clause.
_CLAUSE = re.compile(r"[，、；：]|(?<!\d)[,:;]|[,:;](?!\d)|\s[-–—]\s|\b(?:while|whereas|but)\b|"
                     r"\b(?:and|then|before|after)\s+(?=(?:then\s+)?(?:closed|ended|finished|opened|touched|hit|"
                     r"rose|fell|climbed|slid|slipped|jumped|surged|reached|dipped)\b)")


def split_sentences(text: str) -> list[Span]:
    """Sentences of `text`, stripped, with offsets; never empty strings."""
    out: list[Span] = []
    paragraph = 0
    for line_m in re.finditer(r"[^\n\r\u2028\u2029]+", text):
        line_start = line_m.start()
        line = line_m.group(0)
        cuts = [0]
        for i, ch in enumerate(line):
            if ch in _ZH_END:
                cuts.append(i + 1)
        for m in _EN_END.finditer(line):
            word = _word_before(line, m.start())
            if m.group(0) == "." and word and word.lower().rstrip(".") in _ABBREVIATIONS:
                continue
            if m.group(0) == "." and word and re.fullmatch(r"(?:[A-Z]\.)*[A-Z]", word):
                continue  # initials: "U.S. investors", "J. Smith"
            cuts.append(m.end())
        cuts = sorted(set(cuts)) + [len(line)]
        added = False
        for a, b in zip(cuts, cuts[1:]):
            seg = line[a:b]
            stripped = seg.strip()
            if not stripped:
                continue
            lead = len(seg) - len(seg.lstrip())
            s = line_start + a + lead
            out.append(Span(s, s + len(stripped), stripped, paragraph))
            added = True
        if added:
            paragraph += 1
    return out


def _word_before(line: str, end: int) -> str:
    """The run of ASCII letters and dots ending at `end`.

    Scanned backwards: a regex anchored at `$` on line[:end] rescans the line
    for every full stop, quadratic on a long one-line page.
    """
    start = end
    while start > 0 and line[start - 1] in _WORD_CHARS:
        start -= 1
    return line[start:end]


def split_clauses(sentence: Span) -> list[Span]:
    """Clauses of one sentence (split at commas and similar), offsets into the original text."""
    out: list[Span] = []
    prev = 0
    t = sentence.text
    for m in _CLAUSE.finditer(t):
        if m.start() > prev:
            _add(out, sentence, prev, m.start())
        prev = m.end()
    _add(out, sentence, prev, len(t))
    return out or [sentence]


def _add(out: list[Span], sentence: Span, a: int, b: int) -> None:
    seg = sentence.text[a:b]
    if not seg.strip():
        return
    lead = len(seg) - len(seg.lstrip())
    s = sentence.start + a + lead
    stripped = seg.strip()
    out.append(Span(s, s + len(stripped), stripped, sentence.paragraph))
