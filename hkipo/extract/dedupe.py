"""When two pages are the same story: content fingerprints (canonical URLs are hkipo.core.urls).

Pages: syndicated copies carry the same story under different boilerplate,
sometimes converted to the other Chinese script. The fingerprint is a MinHash
of 5-character shingles of the folded main text (Traditional→Simplified,
half-width, lower case, letters and digits only), so script, punctuation and
spacing do not matter and a changed paragraph only moves a few of its 64
values. Two texts are the same story when their estimated Jaccard similarity
is at least DUPLICATE_SIMILARITY. Related but different articles about one IPO
share figures and names, yet few 5-character shingles: they score far lower
(the fixtures' syndicated copies score 0.9 and more, distinct stories at most
0.22; with 64 values the estimate's standard deviation is at most 0.0625).

The fingerprint is 64 MinHash values of 16 bits (256 hex characters); 32
bands of 2 values let the warehouse find candidates with an equality join
(LSH: a pair at similarity 0.5 shares a band with probability 0.9999, at 0.1
with 0.27) instead of comparing a new article with every stored one
(pipelines/articles.py).

Similar wording is not enough: wire stories written from one template (daily
IPO briefs, "two listings in two days") share most shingles yet are about
other companies or state other figures. `StoryFacts` is what a text is about
(the securities it names) and what it states (its figures with units); a
near duplicate is a copy only when `same_story` holds — the same securities,
and the figures of one contained in the other's (a copy may add a paragraph,
it may not change a number). Anything else is a story of its own.
"""

from __future__ import annotations

import hashlib
import re
import struct
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from hkipo.core.config import Security
from hkipo.core.numbers import find_quantities
from hkipo.core.textnorm import fold
from hkipo.extract.mentions import find_mentions

SHINGLE = 5
NUM_HASHES = 64
BANDS = 32
ROWS_PER_BAND = NUM_HASHES // BANDS
HEX_PER_HASH = 4  # each MinHash value keeps 16 bits: a chance collision (1/65536) is noise next to J
FINGERPRINT_LENGTH = NUM_HASHES * HEX_PER_HASH
DUPLICATE_SIMILARITY = 0.5

# Permutations are (a*x + b) mod p with p = 2^31 - 1 and a, b, x below 2^32: the product fits in
# uint64 and wraps modulo p billions of times, so each permutation mixes well. (A 2^61 - 1 modulus
# with 32-bit inputs wraps at most 8 times: the 32 "permutations" then pick nearly the same
# shingles and unrelated texts look alike.)
_PRIME = (1 << 31) - 1
_MODULUS = np.uint64(_PRIME)
_KEEP = re.compile(r"[0-9a-z\u3400-\u9fff\uf900-\ufaff]+")


def normalized_text(text: str, *, folded: str | None = None) -> str:
    """Folded letters and digits only: what a fingerprint sees (`folded`: `fold(text)`, if the caller has it)."""
    return "".join(_KEEP.findall(folded if folded is not None else fold(text)))


def _permutations() -> tuple[np.ndarray, np.ndarray]:
    # Fixed, documented coefficients: fingerprints must not change between runs or versions.
    a, b = [], []
    for i in range(NUM_HASHES):
        digest = hashlib.blake2b(f"hkipo-minhash-{i}".encode(), digest_size=16).digest()
        x, y = struct.unpack("<QQ", digest)
        a.append(x % (_PRIME - 1) + 1)
        b.append(y % _PRIME)
    return np.array(a, dtype=np.uint64), np.array(b, dtype=np.uint64)


_A, _B = _permutations()


def shingle_hashes(text: str, *, folded: str | None = None) -> np.ndarray:
    """32-bit hashes of the distinct 5-character shingles of the normalized text.

    Each is the little-endian blake2b-32 of the shingle's UTF-8 (stored
    fingerprints depend on it); the digests are joined and read by numpy in
    one call rather than turned into Python ints one by one.
    """
    s = normalized_text(text, folded=folded)
    if not s:
        return np.zeros(0, dtype=np.uint64)
    grams = {s[i:i + SHINGLE] for i in range(max(1, len(s) - SHINGLE + 1))}
    blake2b = hashlib.blake2b
    digests = b"".join([blake2b(g.encode(), digest_size=4).digest() for g in grams])
    return np.frombuffer(digests, dtype="<u4").astype(np.uint64)


def fingerprint(text: str, *, folded: str | None = None) -> str:
    """MinHash signature of the text: 64 values of 16 bits, as 256 hex characters."""
    h = shingle_hashes(text, folded=folded)
    if h.size == 0:
        return "f" * FINGERPRINT_LENGTH
    # a < 2^31 and h < 2^32: a*h + b < 2^64, no overflow before the modulo.
    mins = ((_A[:, None] * h[None, :] + _B[:, None]) % _MODULUS).min(axis=1) & np.uint64(0xFFFF)
    return mins.astype(">u2").tobytes().hex()  # each value as 4 lower-case hex digits, in order


def similarity(fp_a: str, fp_b: str) -> float:
    """Estimated Jaccard similarity of the two texts' shingle sets."""
    if len(fp_a) != FINGERPRINT_LENGTH or len(fp_b) != FINGERPRINT_LENGTH:
        return 0.0
    same = sum(fp_a[i:i + HEX_PER_HASH] == fp_b[i:i + HEX_PER_HASH]
               for i in range(0, FINGERPRINT_LENGTH, HEX_PER_HASH))
    return same / NUM_HASHES


class Fingerprints:
    """Fingerprints decoded once for vectorised `similarity`: a batch compares many pairs.

    Each fingerprint becomes its characters' code points, shape (n, 64, 4):
    a value matches when its 4 characters do, exactly as `similarity`
    compares the hex text (whatever its case or content). A fingerprint of
    the wrong length matches nothing (similarity 0.0).
    """

    def __init__(self, fps: Sequence[str]) -> None:
        n = len(fps)
        self.valid = np.array([len(fp) == FINGERPRINT_LENGTH for fp in fps], dtype=bool)
        chars = "".join(fp if ok else "\0" * FINGERPRINT_LENGTH for fp, ok in zip(fps, self.valid, strict=True))
        self.codes = np.frombuffer(chars.encode("utf-32-le"), dtype="<u4").reshape(n, NUM_HASHES, HEX_PER_HASH)

    def __len__(self) -> int:
        return len(self.valid)

    def similarity(self, i: np.ndarray | int, other: Fingerprints, j: np.ndarray | int) -> np.ndarray:
        """`similarity(self[i], other[j])`, element-wise over index arrays (broadcast)."""
        same = (self.codes[i] == other.codes[j]).all(axis=-1).sum(axis=-1)
        return np.where(self.valid[i] & other.valid[j], same / NUM_HASHES, 0.0)


def bands(fp: str) -> list[str]:
    """The LSH bands of a fingerprint (texts sharing any band are candidates)."""
    width = ROWS_PER_BAND * HEX_PER_HASH
    return [fp[i * width:(i + 1) * width] for i in range(BANDS)]


def article_id(fp: str) -> str:
    """A story's id: a hash of the fingerprint it was first stored with (stable afterwards)."""
    return hashlib.sha256(fp.encode("ascii")).hexdigest()[:24]


@dataclass(frozen=True)
class StoryFacts:
    """What a story is about and what it states: the comparison behind `same_story`."""

    codes: frozenset[str]  # watchlist securities named in the title or text
    figures: frozenset[tuple[str, float]]  # (unit, value) of every figure with a unit


def story_facts(title: str, text: str, securities: Sequence[Security]) -> StoryFacts:
    """The securities named (any spelling, any script) and the figures stated (dates and codes are not figures)."""
    body = f"{title or ''}\n{text or ''}"
    codes = frozenset(m.hkex_code for m in find_mentions(body, securities)) if securities else frozenset()
    figures = frozenset((q.unit, round(q.value, 6)) for q in find_quantities(text or "")
                        if q.unit is not None and not q.code_like)
    return StoryFacts(codes, figures)


def same_story(a: StoryFacts, b: StoryFacts) -> bool:
    """Two near-duplicate texts are one story: the same securities, and no figure of either contradicts the other.

    A figure only one side states is a contradiction unless that side is the
    fuller one throughout (a copy with an added paragraph): one figure set
    must contain the other.
    """
    if a.codes != b.codes:
        return False
    return a.figures <= b.figures or b.figures <= a.figures
