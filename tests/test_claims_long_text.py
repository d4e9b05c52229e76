"""Long texts: a page over the cap is read up to it, never with a figure cut in half.

Speed itself is measured in benchmarks/bench_crawl.py (claims extraction
scaling); here only what the speed-ups must not change.
"""

from __future__ import annotations

import logging
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hkipo.core.config import load_config
from hkipo.extract.claims import extract, extract_claims
from hkipo.extract.claims.sentences import _word_before


def _story(n: int) -> str:
    return "".join(f"MiniMax opened at HK${200 + i}.45 on its first day of trading. " for i in range(n))


def test_text_over_the_cap_is_read_to_its_last_whole_sentence(monkeypatch: pytest.MonkeyPatch,
                                                             caplog: pytest.LogCaptureFixture) -> None:
    securities = load_config(None).watchlist
    text = _story(40)
    cut = text.index("HK$220.45") + len("HK$220.4")  # the cap falls inside a figure
    monkeypatch.setattr(extract, "MAX_TEXT_CHARS", cut)
    with caplog.at_level(logging.INFO, logger="hkipo.extract.claims.extract"):
        claims = extract_claims(text, securities)
    values = sorted(c.value for c in claims if c.metric == "first_day_open")
    assert values == [200 + i + 0.45 for i in range(20)]  # 220.4 (the cut figure) is not read
    assert all(c.position < cut for c in claims)
    assert any(f"text of {len(text)} characters, reading the first {cut}" in r.getMessage() for r in caplog.records)


def test_text_under_the_cap_is_read_whole(caplog: pytest.LogCaptureFixture) -> None:
    securities = load_config(None).watchlist
    text = _story(40)
    assert len(text) < extract.MAX_TEXT_CHARS
    with caplog.at_level(logging.INFO, logger="hkipo.extract.claims.extract"):
        claims = extract_claims(text, securities)
    assert len([c for c in claims if c.metric == "first_day_open"]) == 40
    assert not any("reading the first" in r.getMessage() for r in caplog.records)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="AbzU.S. ,1中\t", max_size=30), st.data())
def test_word_before_a_full_stop_matches_the_regex_it_replaced(line: str, data: st.DataObject) -> None:
    end = data.draw(st.integers(min_value=0, max_value=len(line)))
    m = re.search(r"([A-Za-z.]+)$", line[:end])
    assert _word_before(line, end) == (m.group(1) if m else "")
