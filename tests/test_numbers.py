"""The number parser: every form coverage uses, and properties over arbitrary text."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hkipo.core.numbers import find_quantities, normalize_width, parse_number, parse_quantity, significant_step


@pytest.mark.parametrize(
    ("text", "value", "unit", "qualifier"),
    [
        ("1837 倍", 1837, "times", None),
        ("1,837x", 1837, "times", None),
        ("1,837.17 times", 1837.17, "times", None),
        ("36.76-fold", 36.76, "times", None),
        ("70 多倍", 70, "times", "over"),
        ("235.4 港元 / 股", 235.4, "HKD", None),
        ("55.4 亿港元", 5.54e9, "HKD", None),
        ("27.23億港元", 2.723e9, "HKD", None),
        ("4,817.6百萬港元", 4.8176e9, "HKD", None),
        ("HK$4,817.6 million", 4.8176e9, "HKD", None),
        ("HK$5.54bn", 5.54e9, "HKD", None),
        ("US$619m", 6.19e8, "USD", None),
        ("US$19 billion", 1.9e10, "USD", None),
        ("人民币 1.7 亿", 1.7e8, "CNY", None),
        ("3741.95萬股", 37_419_500, "shares", None),
        ("3358万股", 33_580_000, "shares", None),
        ("29,197,600 Shares", 29_197_600, "shares", None),
        ("7,483,900 H Shares", 7_483_900, "shares", None),
        ("高開約 42.67%", 0.4267, "fraction", "approx"),
        ("涨 42%", 0.42, "fraction", None),
        ("大漲 109.09%", 1.0909, "fraction", None),
        ("５６．５３％", 0.5653, "fraction", None),
        ("１８３７倍", 1837, "times", None),
        ("逾42万名投资者", 420_000, "count", "over"),
        ("超過 42 萬人", 420_000, "count", "over"),
        ("over 420,000 applicants", 420_000, "count", "over"),
        ("about 25.39m shares", 25_390_000, "shares", "approx"),
        ("nearly 80 times", 80, "times", "under"),
        ("约 720 亿港元", 7.2e10, "HKD", "approx"),
        ("14 cornerstone investors", 14, "count", None),
        ("376 名承配人", 376, "count", None),
        ("每股165港元", 165, "HKD", None),
        ("10 万 +", 100_000, None, "over"),
    ],
)
def test_forms(text: str, value: float, unit: str | None, qualifier: str | None) -> None:
    q = parse_quantity(text)
    assert q is not None, text
    assert q.value == pytest.approx(value, rel=1e-12)
    assert q.unit == unit
    assert q.qualifier == qualifier


def test_per_share_and_ranges() -> None:
    assert parse_quantity("235.4 港元 / 股").per_share
    assert parse_quantity("HK$165.00 per Offer Share").per_share
    a, b = find_quantities("HK$151.00 to HK$165.00")
    assert (a.value, b.value, a.in_range, b.in_range) == (151.0, 165.0, True, True)
    a, b = find_quantities("151 至 165 港元")
    assert (a.unit, a.value, b.value) == ("HKD", 151.0, 165.0)


def test_codes_and_model_names_are_not_figures() -> None:
    text = "MiniMax（0100.HK）、智谱（2513.HK）、埃斯顿（002747.SZ）、HK00100、模型 M2、Hailuo-02"
    assert all(q.code_like for q in find_quantities(text))
    assert parse_quantity("0100.HK") is None


def test_fullwidth_comma_separates_numbers() -> None:
    qs = find_quantities("开盘 235.4，收盘 345")
    assert [q.value for q in qs] == [235.4, 345.0]


def test_spans_point_into_the_original_text() -> None:
    text = "公开发售获１，８３７倍认购，募资约５５．４亿港元"
    for q in find_quantities(text):
        assert 0 <= q.start <= q.num_start < q.num_end <= q.end <= len(text)
    q = find_quantities(text)[-1]
    assert text[q.num_start:q.num_end] == "５５．４"


@pytest.mark.parametrize(("value", "step"), [(1837, 1), (1837.17, 0.01), (0.4267, 1e-4), (5.54e9, 1e7),
                                              (420_000, 1e4), (0.42, 0.01), (29_197_600, 100)])
def test_significant_step(value: float, step: float) -> None:
    assert significant_step(value) == pytest.approx(step)


# --- properties --------------------------------------------------------------

@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=300))
def test_never_raises_on_arbitrary_text(text: str) -> None:
    qs = find_quantities(text)
    last_end = 0
    for q in qs:
        assert 0 <= q.start <= q.num_start < q.num_end <= q.end <= len(text)
        assert q.start >= last_end or q.in_range  # quantities do not overlap
        last_end = q.end
    parse_number(text)


_NUMBERISH = st.text(alphabet="0123456789,.%倍万亿萬億港元美股$HKUSbnmx约逾超多 ，、", max_size=40)


@settings(max_examples=300, deadline=None)
@given(_NUMBERISH)
def test_never_raises_on_number_like_text(text: str) -> None:
    for q in find_quantities(text):
        assert q.value == q.value  # not NaN
        assert q.unit in (None, "HKD", "USD", "CNY", "times", "fraction", "shares", "count")


_decimals = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("99999999"), places=2, allow_nan=False,
                        allow_infinity=False)


@settings(max_examples=300, deadline=None)
@given(_decimals, st.sampled_from([
    ("{:,}倍", 1, "times"), ("{} 倍", 1, "times"), ("{:,}x", 1, "times"), ("{:,} times", 1, "times"),
    ("HK${:,}", 1, "HKD"), ("{} 港元", 1, "HKD"), ("US${:,}m", 10**6, "USD"), ("HK${}bn", 10**9, "HKD"),
    ("{}亿港元", 10**8, "HKD"), ("{}億港元", 10**8, "HKD"), ("{}万股", 10**4, "shares"), ("{:,} shares", 1, "shares"),
    ("{}%", Decimal("0.01"), "fraction"), ("{} 萬名", 10**4, "count"),
]))
def test_round_trip(number: Decimal, form: tuple[str, object, str]) -> None:
    template, scale, unit = form
    text = template.format(number)
    q = parse_quantity(text)
    assert q is not None, text
    assert q.unit == unit, text
    assert q.value == pytest.approx(float(number * Decimal(str(scale))), rel=1e-9), text
    assert text[q.start:q.end].strip() == text.strip()


@settings(max_examples=200, deadline=None)
@given(_decimals)
def test_full_width_digits_parse_like_half_width(number: Decimal) -> None:
    half = f"{number}倍"
    full = "".join(chr(ord(c) + 0xFEE0) if c.isdigit() or c == "." else c for c in half)
    assert normalize_width(full) == half
    assert parse_number(full) == parse_number(half)
