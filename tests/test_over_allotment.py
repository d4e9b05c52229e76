"""The over-allotment parser on the layouts real post-listing announcements use, written by us.

Fixtures are pages of visual lines (what `hkipo.extract.pdf` gives): invented issuers and figures, our own
wording, in the structure of 2025–26 announcements — an English full exercise with its shareholding table,
a Traditional Chinese partial exercise, a Chinese stabilisation-end list that names the exercise in an item,
a lapse with no exercise, and figures that fail their checks. One test writes a tiny PDF itself (Helvetica,
no font files) to drive the CLI.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from hkipo.extract.allotment import document_kind
from hkipo.extract.over_allotment import BASIS, NotAnOverAllotment, parse_over_allotment_lines
from pipelines.announcements import over_allotment_announcement, write_announcement
from warehouse import db

from helpers import run_hkipo

EN_FULL = [
    ["This announcement is made pursuant to section 9(2) of the Securities and Futures (Price Stabilizing) Rules.",
     "Example Robotics Holdings Limited", "(Stock Code: 9998)", "FULL EXERCISE OF",
     "THE OVER-ALLOTMENT OPTION, STABILIZING", "ACTIONS AND END OF STABILIZATION PERIOD",
     "FULL EXERCISE OF THE OVER-ALLOTMENT OPTION",
     "The Company announces that the Over-allotment Option described in the Prospectus has been",
     "fully exercised by the Overall Coordinators (for themselves and on behalf of the International",
     "Underwriters), on Friday, March 6, 2026, in respect of an aggregate of 1,500,000 H Shares (the",
     "\u201cOver-allotment Shares\u201d), representing approximately 15% of the total number of the Offer Shares",
     "initially available under the Global Offering (before any exercise of the Over-allotment Option).",
     "The Over-allotment Shares will be issued by the Company at HK$20.00 per H Share (exclusive of",
     "brokerage of 1%, SFC transaction levy of 0.0027%), being the Offer Price per H Share under the",
     "Global Offering."],
    ["Shareholding Structure of the Company upon the Completion of the Full Exercise",
     "Number of Shares % Number of Shares %",
     "Unlisted Shares in issue 30,000,000 75.00% 30,000,000 72.29%",
     "H Shares issued pursuant to the Global Offering 10,000,000 25.00% 11,500,000 27.71%",
     "Total 40,000,000 100.00% 41,500,000 100.00%",
     "Use of Proceeds",
     "The Company will receive additional net proceeds of approximately HK$28.5 million from the",
     "issue of the Over-allotment Shares, after deduction of underwriting fees and commissions.",
     "STABILIZING ACTIONS AND END OF STABILIZATION PERIOD",
     "(1) over-allocations of an aggregate of 1,500,000 H Shares in the International Offering,",
     "representing approximately 15% of the Offer Shares initially available; and",
     "(2) successive purchases of an aggregate of 200,000 H Shares at prices from HK$19.80 to HK$20.00."],
]
ZH_PARTIAL = [
    ["示例醫療股份有限公司", "（股份代號：9997）", "部分行使超額配股權、", "穩定價格行動及穩定價格期結束",
     "部分行使超額配股權",
     "本公司宣佈，整體協調人（為其本身及代表國際包銷商）已於2026年4月2日部分行使招",
     "股章程所述的超額配股權，涉及合共600,000股H股，約佔全球發售項下初步可供認購",
     "發售股份總數（於任何超額配股權獲行使前）的10.00%。本公司將按每股H股12.00港元",
     "（即全球發售項下每股H股的發售價，不包括1.0%經紀佣金）發行超額配發股份。"],
    ["H股 6,000,000 20.00% 6,000,000 19.61%", "部分行使超額配股權後將發行的H股 — — 600,000 1.96%",
     "總計 30,000,000 100.00% 30,600,000 100.00%", "所得款項用途",
     "本公司將收取額外所得款項淨額約6.9百萬港元（經扣除包銷費用及佣金）。",
     "(i) 在國際發售中超額分配合共900,000股H股，約佔全球發售項下初步可供認購發售股份總數的15%；"],
]
ZH_ITEM = [  # a stabilisation-end notice: the exercise is item (2), after the offer size adjustment's "悉數行使"
    ["示例物流股份有限公司", "（股份代號：9996）", "穩定價格行動及穩定價格期間結束",
     "穩定價格經辦人於穩定價格期間進行的穩定價格行動載列如下：",
     "(1)於國際發售超額分配合共450,000股發售股份，約佔全球發售項下可供認購發售股份總數的",
     "15%（經計及發售量調整權已獲悉數行使但於行使超額配股權之前）；及",
     "(2)整體協調人於2026年5月8日按每股發售股份30.00港元（不包括1.0%經紀佣金）悉數行使超額配股權，涉及合共",
     "450,000股發售股份，以補足國際發售的超額分配。"],
]
ZH_LAPSE = [
    ["示例能源股份有限公司", "（股份代號：9995）", "穩定價格期結束、無穩定價格行動及超額配股權失效",
     "國際發售概無超額分配H股。整體協調人並未行使超額配股權，且超額配股權於2026年6月1日失效。",
     "因此，本公司根據超額配股權並未發行或將予發行H股。"],
]


def _v(r) -> dict[str, float]:  # noqa: ANN001
    return {c.metric: c.value for c in r.claims}


def test_english_full_exercise_every_field_and_the_offer_row() -> None:
    r = parse_over_allotment_lines(EN_FULL)
    assert (r.hkex_code, r.outcome, r.warnings) == ("09998", "full", [])
    assert _v(r) == pytest.approx({
        "over_allotment_shares": 1_500_000, "over_allotment_share_of_offer": 0.15,
        "shares_offered_initial": 10_000_000, "shares_offered_final": 11_500_000,  # the offer row, not the total
        "over_allotment_proceeds": 28_500_000, "shares_over_allocated": 1_500_000})
    assert {c.basis for c in r.claims} == {BASIS}
    shares = r.by_metric()["over_allotment_shares"]
    assert shares.page == 1 and "1,500,000 H Shares" in shares.quote and "FULL EXERCISE OF\n" not in shares.quote


def test_chinese_partial_exercise_with_its_own_share_of_the_offer() -> None:
    r = parse_over_allotment_lines(ZH_PARTIAL)
    assert (r.hkex_code, r.outcome) == ("09997", "partial")
    got = _v(r)
    assert got["over_allotment_shares"] == 600_000 and got["over_allotment_share_of_offer"] == pytest.approx(0.10)
    assert got["over_allotment_proceeds"] == pytest.approx(6_900_000)  # ≤ 600,000 × 12.00 = 7.2m, and near it
    assert got["shares_over_allocated"] == 900_000  # the part bought back in the market is not issued
    assert "shares_offered_final" not in got  # the table adds a new row instead of before/after on one row


def test_stabilisation_item_list_skips_the_offer_size_adjustment_and_borrows_the_over_allocation_share() -> None:
    r = parse_over_allotment_lines(ZH_ITEM)
    assert r.outcome == "full" and r.warnings == []
    assert _v(r) == {"over_allotment_shares": 450_000, "over_allotment_share_of_offer": 0.15,
                     "shares_over_allocated": 450_000}


def test_lapse_means_no_share_issued() -> None:
    r = parse_over_allotment_lines(ZH_LAPSE)
    assert (r.outcome, _v(r)) == ("lapsed", {"over_allotment_shares": 0.0})


def test_more_than_fifteen_percent_is_not_stored() -> None:
    pages = [[ln.replace("approximately 15% of the total", "approximately 18% of the total") for ln in EN_FULL[0]],
             EN_FULL[1]]
    r = parse_over_allotment_lines(pages)
    assert "over_allotment_shares" not in _v(r) and "shares_offered_final" not in _v(r)
    assert any("above the 15%" in w for w in r.warnings)


def test_net_proceeds_above_shares_times_price_are_not_stored() -> None:
    pages = [EN_FULL[0], [ln.replace("HK$28.5 million", "HK$285.0 million") for ln in EN_FULL[1]]]
    r = parse_over_allotment_lines(pages)
    assert "over_allotment_proceeds" not in _v(r) and _v(r)["over_allotment_shares"] == 1_500_000
    assert any("over_allotment_proceeds not stored" in w for w in r.warnings)


def test_two_different_share_counts_store_nothing() -> None:
    pages = [EN_FULL[0] + ["The Over-allotment Option was fully exercised in respect of an aggregate of 1,400,000",
                           "H Shares."], EN_FULL[1]]
    r = parse_over_allotment_lines(pages)
    assert "over_allotment_shares" not in _v(r)
    assert any("1,400,000, 1,500,000" in w for w in r.warnings)


def test_no_way_to_check_the_limit_stores_nothing() -> None:
    pages = [["EXAMPLE CO", "(Stock Code: 9994)", "FULL EXERCISE OF THE OVER-ALLOTMENT OPTION",
              "The Over-allotment Option was fully exercised on March 3, 2026 in respect of an aggregate of",
              "2,000,000 Shares."]]
    r = parse_over_allotment_lines(pages)
    assert r.outcome == "full" and r.claims == [] and "cannot be checked" in r.warnings[0]


def test_an_allotment_announcement_is_refused() -> None:
    with pytest.raises(NotAnOverAllotment, match="allotment results"):
        parse_over_allotment_lines([["EXAMPLE CO", "ALLOTMENT RESULTS ANNOUNCEMENT", "Final Offer Price HK$1.00"]])
    assert document_kind(EN_FULL)[0] == "over_allotment"


def _tiny_pdf(pages: list[list[str]]) -> bytes:
    """A minimal PDF with Helvetica text lines (ASCII only), one line every 14 points."""
    objs: list[bytes] = [b"<< /Type /Catalog /Pages 2 0 R >>", b""]
    kids = []
    font = len(objs) + 1
    objs.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    for lines in pages:
        ops = ["BT /F1 9 Tf 40 800 Td 14 TL"]
        for ln in lines:
            safe = ln.encode("ascii", "replace").decode().replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
            ops.append(f"({safe}) Tj T*")
        ops.append("ET")
        stream = "\n".join(ops).encode()
        objs.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
        content = len(objs)
        objs.append(b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 %d 0 R >> >> "
                    b"/Contents %d 0 R >>" % (font, content))
        kids.append(len(objs))
    objs[1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (b" ".join(b"%d 0 R" % k for k in kids), len(kids))
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, o in enumerate(objs, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + o + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    out += b"".join(b"%010d 00000 n \n" % off for off in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)
    return bytes(out)


def _ascii(pages: list[list[str]]) -> list[list[str]]:
    return [[ln.replace("\u201c", '"').replace("\u201d", '"') for ln in p] for p in pages]


def test_cli_prints_an_over_allotment_announcement_instead_of_refusing_it(tmp_path: Path) -> None:
    pdf = tmp_path / "greenshoe.pdf"
    pdf.write_bytes(_tiny_pdf(_ascii(EN_FULL)))
    proc = run_hkipo("parse-allotment", str(pdf), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["kind"] == "over_allotment" and out["outcome"] == "full" and out["hkex_code"] == "09998"
    got = {c["metric"]: c["value"] for c in out["claims"]}
    assert got["over_allotment_shares"] == 1_500_000 and got["shares_offered_final"] == 11_500_000
    assert {c["basis"] for c in out["claims"]} == {"over_allotment"}


def test_stored_as_claims_with_their_basis_idempotently(tmp_db: Path, tmp_path: Path) -> None:
    body = _tiny_pdf(_ascii(EN_FULL))
    parsed = over_allotment_announcement(body, announcement_id="99980001-en", url="https://example.invalid/g.pdf",
                                         published_at=dt.datetime(2026, 3, 6, tzinfo=dt.timezone.utc))
    for _ in range(2):
        with db.writer(tmp_db) as con, db.transaction(con):
            write_announcement(con, parsed)
    with db.reader(tmp_db) as con:
        rows = con.execute("SELECT metric, value, basis FROM claims WHERE source_id = '99980001-en' "
                           "ORDER BY metric").fetchall()
        kind = con.execute("SELECT kind, parser_version FROM announcements").fetchall()
    assert kind == [("over_allotment", "over_allotment/1")]
    assert ("shares_offered_final", 11_500_000.0, "over_allotment") in rows
    assert ("over_allotment_shares", 1_500_000.0, "over_allotment") in rows and len(rows) == 6


def test_partial_exercise_bounded_by_the_over_allocation_share_is_stored() -> None:
    pages = [["EXAMPLE DRINKS LIMITED", "(Stock Code: 9993)", "PARTIAL EXERCISE OF THE OVER-ALLOTMENT OPTION",
              "(1) over-allocations of an aggregate of 3,000,000 Shares in the International Offering, representing",
              "approximately 15.00% of the Offer Shares initially available under the Global Offering;",
              "(4) the partial exercise of the Over-allotment Option on May 4, 2026, in respect of an aggregate of",
              "2,400,000 Shares, at HK$5.00 per Share, being the Offer Price per Share under the Global Offering."]]
    r = parse_over_allotment_lines(pages)
    assert r.outcome == "partial" and r.warnings == []
    assert _v(r) == {"over_allotment_shares": 2_400_000, "shares_over_allocated": 3_000_000}
    bigger = [[ln.replace("2,400,000 Shares", "3,100,000 Shares") for ln in pages[0]]]
    r = parse_over_allotment_lines(bigger)
    assert "over_allotment_shares" not in _v(r)
