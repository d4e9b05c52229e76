"""The O(n log n) reconciliation gives exactly what the pairwise one gave.

`choose()` used to compare every claim with every other (quadratic in the
claims of one metric); `significant_step` used to try every power of ten from
1e15 down. Both were rewritten for speed only: the pairwise versions are kept
here, verbatim, as the reference, and hypothesis compares winner, source
count and rule text on inputs built to hit the hard cases — many claims over
few distinct values, open ranges (over/under), approximate figures, several
units, figures with no value, a few source groups repeating each other.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hkipo.core.numbers import significant_step
from hkipo.core import metrics
from pipelines.reconcile import (
    _RULE_NAMES, APPROX_TOL, BASIS_RANK, REL_TOL, SOURCE_RANK, Choice, Evidence, _canonical_unit, _IntervalCache,
    _supports, choose,
)

EQUIV = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
T0 = dt.datetime(2026, 1, 9, 12, 0, tzinfo=dt.timezone.utc)


# --- the reference: the implementation before the rewrite, unchanged ----------

def ref_significant_step(value: float) -> float:
    v = abs(value)
    if v == 0 or not math.isfinite(v):
        return 1e-6
    for k in range(15, -7, -1):
        step = 10.0 ** k
        ratio = v / step
        if round(ratio) >= 1 and abs(v - round(ratio) * step) <= 1e-12 * max(v, step):
            return step
    return 1e-6


def ref_interval(value: float, qualifier: str | None) -> tuple[float, float]:
    rel = APPROX_TOL if qualifier == "approx" else REL_TOL
    u = max(rel * abs(value), ref_significant_step(value))
    lo = -math.inf if qualifier == "under" else value - u
    hi = math.inf if qualifier == "over" else value + u
    return lo, hi


def ref_agree(a: Evidence, b: Evidence) -> bool:
    if a.unit != b.unit:
        return False
    if a.value is None or b.value is None:
        return a.value is None and b.value is None and a.value_text == b.value_text
    alo, ahi = ref_interval(a.value, a.qualifier)
    blo, bhi = ref_interval(b.value, b.qualifier)
    return alo <= bhi and blo <= ahi


def ref_choose(claims: Sequence[Evidence]) -> Choice:
    reports = [c for c in claims if c.source_kind in ("announcement", "article")]

    def support(c: Evidence) -> int:
        # Claims corroborate; a bar or the config is itself plus the claims that agree with it.
        n = len({o.source_group for o in reports if ref_agree(o, c)})
        return n if c in reports else n + 1

    supports = {c.claim_id: support(c) for c in claims}

    def key(c: Evidence) -> tuple:
        canonical = _canonical_unit(c.metric)
        digits = math.floor(math.log10(abs(c.value) / ref_significant_step(c.value))) + 1 if c.value else 0
        return (
            0 if canonical is None or c.unit == canonical else 1,
            metrics.get(c.metric).source_rank(c.source_kind),
            BASIS_RANK.get(c.basis, 5),
            -supports[c.claim_id],
            0 if c.qualifier is None else 1,
            -digits,
            -(c.reported_at.timestamp() if c.reported_at else 0.0),
            c.claim_id,
        )

    ranked = sorted(claims, key=key)
    best = ranked[0]
    same_unit = [c for c in ranked if c.unit == best.unit]
    rival = next((c for c in same_unit[1:] if not ref_agree(c, best)), None)
    corroborating = [c for c in claims if c.source_kind != "config"]
    groups = {c.source_group for c in same_unit if c.source_kind != "config"}
    if rival is None:
        if len(groups) > 1:
            rule = f"all {len(groups)} sources agree"
        elif len([c for c in same_unit if c.source_kind != "config"]) < len(corroborating):
            rule = _RULE_NAMES[0]
        elif not reports:
            rule = {"prices": "only the listing-day price bar", "config": "only the watchlist config"}[best.source_kind]
        else:
            rule = "only claim" if len(corroborating) == 1 else "only source"
    else:
        kb, kr = key(best), key(rival)
        i = next(i for i in range(len(kb)) if kb[i] != kr[i])
        rule = _RULE_NAMES[i].format(loser_basis=rival.basis.replace("_", " "), n=supports[best.claim_id],
                                     m=supports[rival.claim_id], loser_qualifier=rival.qualifier)
        if i == 1:
            names = {"announcement": "official announcement", "article": "news",
                     "prices": "the listing-day price bar", "config": "the watchlist config"}
            rule = f"{names[best.source_kind]} beats {names[rival.source_kind]}"
    return Choice(best, supports[best.claim_id], len(reports), rule)


# --- inputs --------------------------------------------------------------------

# Few distinct values, close together, so ranges overlap in chains; a stray far value and odd floats now and then.
_VALUES = st.one_of(
    st.sampled_from([36.76, 37.0, 37.5, 38.0, 40.0, 1209.0, 1837.0, 1837.17, 1850.0, 0.0, -0.0, 0.42, 0.4267]),
    st.floats(min_value=30, max_value=45, allow_nan=False).map(lambda x: round(x, 1)),
    st.floats(allow_nan=True, allow_infinity=True),
    st.none(),
)
_CLAIM = st.fixed_dictionaries({
    "value": _VALUES,
    "qualifier": st.sampled_from([None, None, "approx", "over", "under"]),
    "unit": st.sampled_from(["times", "times", "times", "HKD", "USD"]),
    "text": st.sampled_from([None, "about 37 times", "n/a"]),
    "group": st.sampled_from(["siteA", "siteB", "siteC", "siteD", "HKEXnews:00100"]),
    "kind": st.sampled_from(["article", "article", "article", "announcement", "prices", "config"]),
    "basis": st.sampled_from(["final", "final", "at_close_of_applications", "intraday"]),
    "hours": st.integers(min_value=0, max_value=3),
})


def _evidence(specs: list[dict], metric: str) -> list[Evidence]:
    return [Evidence(claim_id=f"c{i:04d}", hkex_code="00100", metric=metric, value=s["value"], value_text=s["text"],
                     unit=s["unit"], qualifier=s["qualifier"], basis=s["basis"], source_kind=s["kind"],
                     source_id=f"s{i}", source_url=None, source_group=s["group"], quote=f"quote {i}",
                     reported_at=T0 + dt.timedelta(hours=s["hours"]))
            for i, s in enumerate(specs)]


def _outcome(fn, claims: list[Evidence]) -> tuple:  # noqa: ANN001 - choose or ref_choose
    # An infinite or NaN value has no digit count: both versions raise on it (the same error).
    try:
        c = fn(claims)
    except (OverflowError, ValueError) as e:
        return ("raised", type(e))
    return (c.winner, c.n_sources, c.n_claims, c.rule)


def _same(claims: list[Evidence]) -> None:
    assert _outcome(choose, claims) == _outcome(ref_choose, claims)


@EQUIV
@given(st.lists(_CLAIM, min_size=1, max_size=40),
       st.sampled_from(["public_subscription_multiple", "market_cap", "first_day_close", "offer_price"]))
def test_choose_matches_the_pairwise_reference(specs: list[dict], metric: str) -> None:
    _same(_evidence(specs, metric))


@EQUIV
@given(st.lists(st.tuples(st.floats(min_value=30, max_value=45, allow_nan=False).map(lambda x: round(x, 1)),
                          st.sampled_from([None, "approx", "over", "under"]),
                          st.sampled_from(["a", "b", "c"])), min_size=2, max_size=60))
def test_one_group_stating_far_apart_figures_counts_once(rows: list[tuple]) -> None:
    """A source repeating figures whose ranges do not touch: each group must count once, not once per range."""
    specs = [{"value": v, "qualifier": q, "unit": "times", "text": None, "group": g, "kind": "article",
              "basis": "final", "hours": 0} for v, q, g in rows]
    _same(_evidence(specs, "public_subscription_multiple"))


@EQUIV
@given(st.floats(allow_nan=True, allow_infinity=True))
def test_significant_step_matches_the_reference(x: float) -> None:
    assert significant_step(x) == ref_significant_step(x)


def test_significant_step_matches_the_reference_on_stated_figures() -> None:
    values = [1837.17, 36.76, 79.0, 0.028073, 5.54e9, 4.8176e9, 131.5, 125.7, 1e15, 1e16, 1e-6, 1e-7, 9.99e-7,
              123456789012.0, 5e-324, 1.7976931348623157e308, 999.9999999999999, 1000.0000000000001]
    values += [k * 10.0 ** e for k in (1, 2, 5, 9.5, 99.95) for e in range(-9, 18)]
    for v in values:
        for x in (v, -v):
            assert significant_step(x) == ref_significant_step(x), x


@EQUIV
@given(st.lists(_CLAIM, min_size=1, max_size=40))
def test_every_claims_support_matches_the_pairwise_count(specs: list[dict]) -> None:
    """Not only the winner's: each claim's count of agreeing source groups (infinite and NaN values included)."""
    claims = _evidence(specs, "public_subscription_multiple")
    expected = [len({o.source_group for o in claims if ref_agree(o, c)}) for c in claims]
    assert _supports(claims, _IntervalCache()) == expected
