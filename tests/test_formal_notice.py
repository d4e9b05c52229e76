"""The HKEX formal notice parser, on the hand-made fixture PDFs (tests/fixtures/hkex/formal_notice/make_fixtures.py)."""

from __future__ import annotations

import json

import pytest

from helpers import FIXTURES, run_hkipo
from hkipo.extract.formal_notice import (
    BASIS, NotAFormalNotice, NotAPdf, _first_when, parse_formal_notice_pdf,
)

HKEX = FIXTURES / "hkex"
FN = HKEX / "formal_notice"
ZH = FN / "zh_range.pdf"
EN = FN / "en_fixed.pdf"

# Read by hand from the fixtures' text (see the generator's comments for the arithmetic).
ZH_EXPECTED = {
    "stock_code": "03999", "shares_offered": 50_000_000, "public_offer_shares": 5_000_000,
    "international_offer_shares": 45_000_000, "offer_price_low": 8.80, "offer_price_high": 10.20, "board_lot": 500,
    "offer_open": "2026-03-02T09:00", "offer_close": "2026-03-05T12:00",
    "price_determination_date": "2026-03-05T17:00", "allotment_results_date": "2026-03-09T23:00",
    "listing_date": "2026-03-10T09:00", "sponsor_kind": "joint",
}
EN_EXPECTED = {
    "stock_code": "02998", "shares_offered": 20_000_000, "public_offer_shares": 2_000_000,
    "international_offer_shares": 18_000_000, "offer_price": 5.60, "board_lot": 1_000,
    "offer_open": "2026-04-13T09:00", "offer_close": "2026-04-16T12:00",
    "allotment_results_date": "2026-04-17T23:00", "listing_date": "2026-04-20T09:00", "sponsor_kind": "sole",
}


@pytest.mark.parametrize(("pdf", "expected"), [(ZH, ZH_EXPECTED), (EN, EN_EXPECTED)])
def test_fixture_gives_every_field(pdf, expected) -> None:  # noqa: ANN001
    r = parse_formal_notice_pdf(pdf)
    got = {k: r.get(k) for k in expected}
    assert got == pytest.approx(expected)
    assert r.warnings == []


def test_chinese_notice_names_range_and_what_it_does_not_state() -> None:
    r = parse_formal_notice_pdf(ZH)
    assert (r.name_en, r.name_zh) == ("Auspicious Cloud New Energy Technology Co., Ltd.", "祥雲新能源科技股份有限公司")
    assert r.get("offer_price") is None and "range" in r.notes["offer_price"]
    assert r.sponsors == [] and "logos" in r.notes["sponsors"]
    assert "cornerstones_mentioned" not in r.fields
    assert r.fields["offer_price_low"].page == 4 and "8.80" in r.fields["offer_price_low"].quote
    assert r.language == "zh"


def test_english_notice_fixed_price_and_named_sponsor() -> None:
    r = parse_formal_notice_pdf(EN)
    assert r.sponsors == ["Goldman Sachs"] and r.overall_coordinators == ["Goldman Sachs"]
    assert r.get("offer_price_low") is None and r.get("price_determination_date") is None
    assert r.notes["price_determination_date"].startswith("fixed price")
    assert r.language == "en"


def test_claims_carry_the_formal_notice_basis() -> None:
    claims = {c.metric: c for c in parse_formal_notice_pdf(ZH).claims()}
    assert {c.basis for c in claims.values()} == {BASIS}
    assert claims["offer_price_high"].value == 10.20 and claims["offer_price_high"].unit == "HKD"
    assert claims["public_offer_shares_initial"].value == 5_000_000
    assert claims["listing_date"].value_text == "2026-03-10" and claims["listing_date"].unit == "date"
    assert all(c.hkex_code == "03999" and c.quote for c in claims.values())


def test_tranches_that_do_not_add_up_are_not_stored() -> None:
    r = parse_formal_notice_pdf(FN / "bad_sum.pdf")
    for k in ("shares_offered", "public_offer_shares", "international_offer_shares"):
        assert r.get(k) is None and "add up" in r.notes[k]
    assert any("5,500,000" in w for w in r.warnings)
    assert r.get("offer_price_high") == 10.20  # the rest is still read


@pytest.mark.parametrize(("name", "says"), [
    ("formal_notice/prospectus.pdf", "prospectus (60 pages)"),
    ("formal_notice/allotment.pdf", "allotment results announcement"),
    ("00100_allotment_results.pdf", "allotment results announcement"),
])
def test_other_documents_are_refused_with_what_they_are(name: str, says: str) -> None:
    with pytest.raises(NotAFormalNotice, match=r"not a formal notice") as e:
        parse_formal_notice_pdf(HKEX / name)
    assert says in str(e.value)


def test_not_a_pdf() -> None:
    with pytest.raises(NotAPdf):
        parse_formal_notice_pdf(b"<html>maintenance</html>", name="x.pdf")


def test_code_given_must_match_the_notice() -> None:
    assert parse_formal_notice_pdf(ZH, code="3999.HK").hkex_code == "03999"
    with pytest.raises(Exception, match="03999, not 02998"):
        parse_formal_notice_pdf(ZH, code="2998")


@pytest.mark.parametrize(("text", "expected"), [
    ("2026年3月9日（星期一）下午11時正或之前", "2026-03-09 23:00"),
    ("2026年3月5日（星期四）中午十二時正", "2026-03-05 12:00"),
    ("2025年6月16日（星期一）上午十一時四十五分", "2025-06-16 11:45"),
    ("9:00 a.m. on Tuesday, February 3, 2026", "2026-02-03 09:00"),
    ("at or before 11:00 p.m. on Friday, April 17, 2026", "2026-04-17 23:00"),
    ("2025年7月2日（星期三）將於聯交所網站", "2025-07-02 None"),
])
def test_dates_and_times(text: str, expected: str) -> None:
    from hkipo.core.textnorm import fold

    f = fold(text).lower()
    w = _first_when(f, 0, len(f))
    assert w is not None and f"{w.date} {w.time.strftime('%H:%M') if w.time else None}" == expected


def test_cli_json_and_exit_codes() -> None:
    ok = run_hkipo("parse-formal-notice", str(EN), "--json")
    assert ok.returncode == 0, ok.stderr
    out = json.loads(ok.stdout)
    assert out["hkex_code"] == "02998" and out["fields"]["board_lot"]["value"] == 1000
    assert out["fields"]["offer_price_low"] == {"value": None, "why": "fixed price: no range"}
    bad = run_hkipo("parse-formal-notice", str(FN / "prospectus.pdf"))
    assert bad.returncode == 2 and "prospectus" in bad.stderr and "Traceback" not in bad.stderr
    assert len(bad.stderr.strip().splitlines()) == 1


def test_the_committed_fixtures_are_their_generators_output(tmp_path) -> None:  # noqa: ANN001
    from importlib.util import module_from_spec, spec_from_file_location

    spec = spec_from_file_location("make_formal_notices", FN / "make_fixtures.py")
    mod = module_from_spec(spec)
    spec.loader.exec_module(mod)  # type: ignore[union-attr]
    mod.HERE = tmp_path
    mod.main()
    for pdf in FN.glob("*.pdf"):
        assert (tmp_path / pdf.name).read_bytes() == pdf.read_bytes(), \
            f"{pdf.name}: run python tests/fixtures/hkex/formal_notice/make_fixtures.py"


def test_gem_share_offer_labels_from_text() -> None:
    from hkipo.extract.formal_notice import parse_formal_notice_text

    pages = ["本公告並非招股章程。",
             "甲乙丙科技控股有限公司\n（於開曼群島註冊成立的有限公司）\n股份發售\n"
             "股份發售項下的發售股份數目 ： 100,000,000股股份\n公開發售股份數目 ： 10,000,000股股份\n"
             "配售股份數目 ： 90,000,000股股份\n發售價 ： 每股發售股份0.50港元\n股份代號 ： 8999\n"
             "網上白表服務\n預期時間表\n公開發售開始. . . . 2026年5月4日（星期一）上午九時正\n"
             "股份將以每手5,000股為買賣單位進行買賣。"]
    r = parse_formal_notice_text(pages)
    assert (r.get("shares_offered"), r.get("public_offer_shares"), r.get("international_offer_shares")) == (
        100_000_000, 10_000_000, 90_000_000)
    assert (r.hkex_code, r.get("offer_price"), r.get("board_lot")) == ("08999", 0.50, 5000)


def test_any_text_gives_a_notice_or_a_refusal_never_a_crash() -> None:
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from hkipo.core.errors import UserError
    from hkipo.extract.formal_notice import parse_formal_notice_text

    pieces = st.sampled_from(["全球發售", "發售股份數目", "香港發售股份數目 ： ", "最高發售價：每股H股", "港元", "股份代號：",
                              "預期時間表", "網上白表", "2026年2月30日", "上午25時正", "Global Offering", "Offer Price : HK$",
                              " per Share", "12,345,678股", "0.0", "99999", "每手", "\n", " ", "(", "）", ". . . ."])

    @settings(max_examples=300, deadline=None)
    @given(st.lists(st.lists(pieces, max_size=40).map("".join), min_size=1, max_size=4))
    def check(pages: list[str]) -> None:
        try:
            r = parse_formal_notice_text(pages)
        except UserError:
            return
        lo, hi = r.get("offer_price_low"), r.get("offer_price_high")
        assert lo is None or hi is None or lo <= hi

    check()


def test_claim_metrics_are_registered_with_their_units() -> None:
    from hkipo.core import metrics
    from hkipo.extract.formal_notice import CLAIM_METRICS

    claims = {c.metric: c for c in parse_formal_notice_pdf(ZH).claims()}
    assert set(claims) <= set(CLAIM_METRICS.values()) <= set(metrics.BY_NAME)
    for c in claims.values():
        assert c.unit == metrics.get(c.metric).unit, c.metric
