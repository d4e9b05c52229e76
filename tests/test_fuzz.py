"""Property tests for the text-facing functions every crawled page reaches.

tests/test_codes.py and tests/test_numbers.py already check that code
normalisation and number parsing never raise on arbitrary text and round-trip
their canonical forms; this file adds what they leave out: every spelling of
a code, Yahoo symbols, claim extraction on hostile and on figure-dense text,
the offset-keeping folding that claims rely on, `significant_step` on any
float, and URL canonicalisation (which feeds and saved pages reach with
whatever links they carry).
"""

from __future__ import annotations

import datetime as dt
import math

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from hkipo.core.codes import InvalidCode, code_to_yahoo, normalize_code, yahoo_to_code
from hkipo.core.config import load_config
from hkipo.extract.claims import extract_claims
from hkipo.core.items import QUALIFIERS, UNITS
from hkipo.core.numbers import find_quantities, parse_number, significant_step
from hkipo.core.urls import canonical_url
from hkipo.core.textnorm import fold

SECURITIES = load_config(None).watchlist
FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# ---------------------------------------------------------------------------
# HK codes
# ---------------------------------------------------------------------------

@FUZZ
@given(st.integers(min_value=1, max_value=99999), st.integers(min_value=0, max_value=4),
       st.sampled_from(["", ".HK", ".hk", ".Hk"]), st.sampled_from(["", "HK", "hk", "HKEX:", "HK "]),
       st.sampled_from(["", " ", "  ", "\t"]))
def test_every_spelling_of_a_code_normalises_to_the_same_code(n: int, zeros: int, suffix: str, prefix: str,
                                                              pad: str) -> None:
    digits = "0" * zeros + str(n)
    assume(len(digits) <= 5)
    spelled = f"{pad}{prefix}{digits}{suffix}{pad}"
    assert normalize_code(spelled) == f"{n:05d}"
    assert normalize_code(code_to_yahoo(spelled)) == f"{n:05d}"


@FUZZ
@given(st.text(max_size=16))
def test_yahoo_symbols_parse_or_raise_invalid_code(s: str) -> None:
    try:
        code = yahoo_to_code(s)
    except InvalidCode:
        return
    assert len(code) == 5 and code.isdigit()
    assert yahoo_to_code(code_to_yahoo(code)) == code


@FUZZ
@given(st.integers(min_value=-10**6, max_value=10**6))
def test_integer_codes_outside_1_to_99999_are_invalid(n: int) -> None:
    if 1 <= n <= 99999:
        assert int(normalize_code(n)) == n
    else:
        with pytest.raises(InvalidCode):
            normalize_code(n)


# ---------------------------------------------------------------------------
# numbers
# ---------------------------------------------------------------------------

@FUZZ
@given(st.floats(allow_nan=True, allow_infinity=True))
def test_significant_step_is_a_power_of_ten_for_any_float(x: float) -> None:
    step = significant_step(x)
    assert 1e-6 <= step <= 1e15
    assert math.isclose(math.log10(step), round(math.log10(step)), abs_tol=1e-9)


@FUZZ
@given(st.integers(min_value=1, max_value=10**8))
def test_significant_step_of_an_integer_divides_it(n: int) -> None:
    step = significant_step(float(n))
    assert step >= 1 and n % int(step) == 0 and n % (int(step) * 10) != 0


def test_significant_step_of_a_large_integer_divides_it() -> None:
    for n in (1_420_103_679, 5_540_219_987, 33_580_001):
        step = significant_step(float(n))
        assert n % int(step) == 0, (n, step)


@FUZZ
@given(st.integers(min_value=0, max_value=10**12), st.sampled_from([",", ""]))
def test_grouped_integers_round_trip(n: int, sep: str) -> None:
    text = f"{n:,}".replace(",", sep)
    assert parse_number(text) == n


_FIGURE_TEXT = st.lists(st.sampled_from([
    "1,837", "235.4", "42.67%", "55.4亿港元", "HK$5.54bn", "US$619m", "逾42万名", "约", "近", "over", "about",
    "倍", "x", "times", "港元", "股", "每手", "20", "至", "-", "~", "。", "，", ". ", "\n", " ", "(", ")", "（", "）",
    "１８３７", "％", "亿", "萬", "bn", "m", "k", "0", "00100", "0100.HK", "2513.HK", "2026年1月9日", "1e9", "NaN",
    "inf", "-5", "+3", "9" * 40, ".", ",", "万亿", "千", "%",
]), max_size=40).map("".join)


@FUZZ
@given(_FIGURE_TEXT)
def test_quantities_in_figure_dense_text_are_finite_and_inside_the_text(text: str) -> None:
    for q in find_quantities(text):
        assert math.isfinite(q.value), (text, q)
        assert 0 <= q.start <= q.num_start < q.num_end <= q.end <= len(text)


# ---------------------------------------------------------------------------
# claims
# ---------------------------------------------------------------------------

_CLAIM_TEXT = st.lists(st.one_of(
    st.sampled_from([
        "MiniMax", "稀宇科技", "智谱", "智譜", "Zhipu", "00100.HK", "2513.HK", "宁德时代", "CATL", "Biren",
        "开盘报", "收市报", "发售价", "公开发售获", "超额认购", "国际配售", "基石投资者", "一手中签率", "有效申请",
        "募资总额", "市值", "opened at", "closed at", "priced at", "times subscribed", "cornerstone investors",
        "valid applications", "gross proceeds", "首日", "上市首日", "暗盘", "grey market", "其", "前者", "后者",
        "1. ", "• ", "若超额配股权获悉数行使", "at the close of applications", "盘中", "较发行价", "涨", "跌",
    ]),
    _FIGURE_TEXT,
    st.text(max_size=8),
), max_size=30).map("".join)

_PUBLISHED = st.one_of(
    st.none(),
    st.datetimes(min_value=dt.datetime(1990, 1, 1), max_value=dt.datetime(2100, 1, 1),
                 timezones=st.sampled_from([dt.timezone.utc, dt.timezone(dt.timedelta(hours=8)),
                                            dt.timezone(dt.timedelta(hours=-11))])),
)


def _check_claims(text: str, published: dt.datetime | None) -> None:
    codes = {s.code for s in SECURITIES}
    for c in extract_claims(text, SECURITIES, published_at=published):
        assert c.hkex_code in codes
        assert c.unit in UNITS and c.qualifier in QUALIFIERS
        assert c.value is None or math.isfinite(c.value)
        assert c.quote and c.position is not None
        assert text[c.position:c.position + len(c.quote)] == c.quote, (text, c)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_CLAIM_TEXT, _PUBLISHED)
def test_claim_extraction_never_raises_and_quotes_the_text(text: str, published: dt.datetime | None) -> None:
    _check_claims(text, published)


@FUZZ
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=400), _PUBLISHED)
def test_claim_extraction_never_raises_on_arbitrary_text(text: str, published: dt.datetime | None) -> None:
    _check_claims(text, published)


# ---------------------------------------------------------------------------
# folding and URLs
# ---------------------------------------------------------------------------

@FUZZ
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=300))
def test_fold_keeps_the_length_of_any_text(text: str) -> None:
    assert len(fold(text)) == len(text)


_URLISH = st.builds(
    lambda scheme, host, port, path, query, frag: f"{scheme}://{host}{port}{path}{query}{frag}",
    st.sampled_from(["http", "https", "HTTPS"]),
    st.from_regex(r"[A-Za-z0-9-]{1,12}(\.[A-Za-z0-9-]{1,8}){0,3}", fullmatch=True),
    st.sampled_from(["", ":80", ":443", ":8080"]),
    st.from_regex(r"(/[A-Za-z0-9._~%-]{0,8}){0,4}", fullmatch=True),
    st.lists(st.tuples(st.sampled_from(["utm_source", "id", "spm", "q", "page", "oc", "a b"]),
                       st.text(alphabet="abc123 %&=", max_size=5)), max_size=4)
    .map(lambda kv: ("?" + "&".join(f"{k}={v}" for k, v in kv)) if kv else ""),
    st.sampled_from(["", "#top", "#"]),
)


@FUZZ
@given(_URLISH)
def test_canonical_url_is_idempotent(url: str) -> None:
    once = canonical_url(url)
    assert canonical_url(once) == once
    assert "#" not in once and "utm_source" not in once
