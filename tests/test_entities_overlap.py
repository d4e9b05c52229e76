"""add_unless_overlapping (the bisecting merge of other issuers into watchlist mentions) keeps the
result of the pairwise version it replaced, on any input."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from hkipo.extract.claims.entities import Entity, add_unless_overlapping
from hkipo.core.textnorm import leftmost_longest


def _pairwise(ours: list[Entity], others: list[Entity]) -> list[Entity]:
    out = list(ours)
    for o in others:
        if not any(o.start < e.end and e.start < o.end for e in out):
            out.append(o)
    out.sort(key=lambda e: (e.start, e.end))
    return out


def _spans(code: str | None) -> st.SearchStrategy[list[Entity]]:
    span = st.tuples(st.integers(0, 200), st.integers(0, 12)).map(
        lambda t: Entity(code, t[0], t[0] + t[1], f"{code}@{t[0]}+{t[1]}"))
    return st.lists(span, max_size=40)


@settings(max_examples=400, deadline=None)
@given(_spans("00100"), _spans(None))
def test_same_entities_as_the_pairwise_check(ours: list[Entity], others: list[Entity]) -> None:
    kept = leftmost_longest([e for e in ours if e.end > e.start])  # as find_mentions returns them
    assert add_unless_overlapping(kept, others) == _pairwise(kept, others)


def test_an_overlapping_issuer_gives_way_to_the_watchlist_mention() -> None:
    ours = [Entity("00100", 10, 17, "MiniMax")]
    others = [Entity(None, 5, 12, "X Group"), Entity(None, 17, 25, "Y Holdings"), Entity(None, 20, 22, "YH")]
    assert [e.name for e in add_unless_overlapping(ours, others)] == ["MiniMax", "Y Holdings"]
