"""PDF text with geometry, via pypdfium2: pages → text, words and lines with coordinates.

Why not only the text layer: HKEX announcements are tables, and the order in
which a PDF's content stream draws table cells is the order its text layer
comes out in, which in many real files is not the reading order (a basis of
allocation row's cells arrive from different rows). Grouping characters by
where they sit on the page gives the rows back.

Why pypdfium2: it reads the same text layer as pdfminer/pdfplumber roughly
ten times faster, and a 50-page announcement matters when a directory is
parsed. Geometry is computed per page only when asked for (`PdfPage.lines`),
so callers that need only text pay only for text.

Coordinates are in PDF points with the origin at the page's top left
(`top` grows downwards), like pdfplumber's, so code written for either reads
the same.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from hkipo.core.errors import UserError


class NotAPdf(UserError):
    """The file is not a readable PDF."""


@dataclass(frozen=True)
class Word:
    """A run of characters on one line with no large gap inside (a table cell, or a phrase)."""

    text: str
    x0: float
    top: float
    x1: float
    bottom: float


@dataclass(frozen=True)
class Line:
    """Words that sit on the same visual line, left to right."""

    words: tuple[Word, ...]
    top: float
    bottom: float

    @property
    def x0(self) -> float:
        return self.words[0].x0

    @property
    def x1(self) -> float:
        return self.words[-1].x1

    @property
    def text(self) -> str:
        """The words joined by one space (cells never run into each other)."""
        return " ".join(w.text for w in self.words)


@dataclass
class PdfPage:
    """One page: its text layer (as the PDF orders it) and, on demand, its lines by position."""

    number: int  # 1-based
    width: float
    height: float
    text: str
    _textpage: object = field(default=None, repr=False)

    @cached_property
    def lines(self) -> list[Line]:
        """The page's visual lines, top to bottom, each left to right."""
        if self._textpage is None:
            return []
        return _lines(self._textpage, self.text, self.height)


def pdf_source(source: bytes | str | Path, *, name: str | None = None, unnamed: str = "the file") -> tuple[str, bytes]:
    """(label for messages, bytes) of a path or bytes; a path that cannot be read is the user's mistake."""
    label = name or (str(source) if isinstance(source, (str, Path)) else unnamed)
    if isinstance(source, (str, Path)):
        try:
            return label, Path(source).read_bytes()
        except OSError as e:
            raise UserError(f"cannot read {label}: {e.strerror}") from None
    return label, bytes(source)


def read_pdf(source: bytes | str | Path, *, name: str | None = None) -> list[PdfPage]:
    """Every page of a PDF with its text; NotAPdf for anything that is not a readable PDF."""
    label, data = pdf_source(source, name=name)
    if not data.lstrip()[:5].startswith(b"%PDF"):
        raise NotAPdf(f"{label} is not a PDF (it does not start with %PDF)")
    import pypdfium2 as pdfium

    try:
        doc = pdfium.PdfDocument(data)
        pages: list[PdfPage] = []
        for i in range(len(doc)):
            page = doc[i]
            width, height = page.get_size()
            tp = page.get_textpage()
            text = tp.get_text_range().replace("\r\n", "\n").replace("\r", "\n")
            pages.append(PdfPage(i + 1, width, height, text, _textpage=(doc, page, tp)))
        return pages
    except pdfium.PdfiumError as e:
        raise NotAPdf(f"{label} is not a readable PDF: {str(e)[:200]}") from None


def page_texts(pages: Sequence[PdfPage]) -> list[str]:
    return [p.text for p in pages]


# --- geometry -----------------------------------------------------------------------------------------------

@dataclass
class _Frag:
    """Characters of one text-layer line that are adjacent on the page."""

    chars: list[tuple[str, float, float, float, float]]  # (char, x0, top, x1, bottom)

    @property
    def top(self) -> float:
        return statistics.median(c[2] for c in self.chars)

    @property
    def bottom(self) -> float:
        return statistics.median(c[4] for c in self.chars)


def _chars(tp: object, text: str, height: float) -> Iterator[tuple[str, float, float, float, float]]:
    """(char, x0, top, x1, bottom) for every character of the text page; generated breaks as '\\n'."""
    textpage = tp[2]  # type: ignore[index]
    n = textpage.count_chars()
    same = len(text) == n  # true on nearly every page; else ask each char's code point (surrogates, odd fonts)
    if not same:
        import pypdfium2.raw as pdfium_c

        raw = textpage.raw
    for i in range(n):
        if same:
            ch = text[i]
        else:
            cp = pdfium_c.FPDFText_GetUnicode(raw, i)
            ch = chr(cp) if 0 < cp < 0x110000 and not 0xD800 <= cp < 0xE000 else " "
        if ch in "\r\n":
            yield ("\n", 0.0, 0.0, 0.0, 0.0)
            continue
        left, bottom, right, top = textpage.get_charbox(i)
        yield (ch, left, height - top, right, height - bottom)


def _lines(tp: object, text: str, height: float) -> list[Line]:
    frags: list[_Frag] = []
    cur: list[tuple[str, float, float, float, float]] = []
    # The current fragment's last real character and vertical band, kept as it grows (recomputing them
    # per character made a long line quadratic: 18x bare pypdfium2 on long English announcements).
    prev: tuple[str, float, float, float, float] | None = None
    top = bottom = 0.0

    def close() -> None:
        nonlocal cur, prev
        if prev is not None:
            frags.append(_Frag(cur))
        cur, prev = [], None

    for c in _chars(tp, text, height):
        if c[0] == "\n":
            close()
            continue
        if c[0].isspace() or c[3] <= c[1]:  # generated spaces have no box: keep them as separators
            if cur:
                cur.append((" ", cur[-1][3], cur[-1][2], cur[-1][3], cur[-1][4]))
            continue
        if prev is not None:
            # A jump back to the left or off the fragment's band starts a new fragment (the stream moved).
            # The band is padded: a comma or a full stop sits low, a quote mark high, on the same line.
            pad = 0.35 * max(bottom - top, c[4] - c[2])
            if c[1] < prev[1] - 1 or c[4] < top - pad or c[2] > bottom + pad:
                close()
        if prev is None:
            top, bottom = c[2], c[4]
        else:
            top, bottom = min(top, c[2]), max(bottom, c[4])
        cur.append(c)
        prev = c
    close()

    # Group fragments whose vertical extents overlap mostly into visual lines (a group keeps its first
    # fragment's extent, so the cost stays linear).
    spans = [(f.top, f.bottom, f) for f in frags]
    spans.sort(key=lambda x: (x[0], x[2].chars[0][1]))
    groups: list[list[_Frag]] = []
    extents: list[tuple[float, float]] = []
    for t, b, f in spans:
        for gi in range(len(groups) - 1, max(-1, len(groups) - 7), -1):
            gt, gb = extents[gi]
            overlap = min(b, gb) - max(t, gt)
            if overlap > 0.5 * min(b - t, gb - gt):
                groups[gi].append(f)
                break
        else:
            groups.append([f])
            extents.append((t, b))
    lines = []
    for g in groups:
        chars = sorted((c for f in g for c in f.chars), key=lambda c: c[1])
        words = _words(chars)
        if words:
            lines.append(Line(tuple(words), min(w.top for w in words), max(w.bottom for w in words)))
    lines.sort(key=lambda ln: ln.top)
    return lines


def _words(chars: list[tuple[str, float, float, float, float]]) -> list[Word]:
    """Split a line's characters at spaces and at gaps wider than about one character."""
    visible = [c for c in chars if c[0] != " "]
    if not visible:
        return []
    size = statistics.median(c[4] - c[2] for c in visible) or 1.0
    words: list[Word] = []
    run: list[tuple[str, float, float, float, float]] = []
    spaced = False

    def flush() -> None:
        nonlocal run
        if run:
            words.append(Word("".join(c[0] for c in run), run[0][1], min(c[2] for c in run), run[-1][3],
                              max(c[4] for c in run)))
        run = []

    last_x1 = None
    for c in chars:
        if c[0] == " ":
            spaced = True
            continue
        if run and last_x1 is not None:
            gap = c[1] - last_x1
            if gap > 0.9 * size or (spaced and gap > 0.25 * size and _is_wordy(run[-1][0], c[0])):
                flush()
        spaced = False
        run.append(c)
        last_x1 = c[3]
    flush()
    return words


def _is_wordy(a: str, b: str) -> bool:
    """A written space between two Latin letters/digits separates words; between CJK it is letter-spacing."""
    return not ("\u3000" <= a <= "\u9fff" or "\u3000" <= b <= "\u9fff")
