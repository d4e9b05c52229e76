"""The hkex job end to end: replayed crawls of cassettes/hkex.yaml into fresh warehouses.

Each crawl runs in a child process (the real CLI; Twisted's reactor cannot restart).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from helpers import CASSETTES, FIXTURES, run_hkipo, write
from hkipo.core.config import default_config_text
from warehouse import db

CASSETTE = CASSETTES / "hkex.yaml"
pytestmark = pytest.mark.slow


def query(db_path: Path, sql: str, params: list | None = None) -> list[tuple]:
    with db.reader(db_path) as con:
        return con.execute(sql, params or []).fetchall()


def last_run(db_path: Path) -> tuple:
    return query(db_path, "SELECT job, status, rows_written, warnings, error FROM ingest_runs "
                          "ORDER BY started_at DESC LIMIT 1")[0]


@pytest.fixture(scope="module")
def replayed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    tmp = tmp_path_factory.mktemp("hkex")
    db_path = tmp / "replay.duckdb"
    proc = run_hkipo("crawl", "hkex", "--cassette", str(CASSETTE), "--db", str(db_path), cwd=tmp)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.startswith("hkex: ok, ")
    return db_path, tmp


def test_replayed_crawl_loads_announcements_and_claims(replayed: tuple[Path, Path]) -> None:
    db_path, _ = replayed
    anns = query(db_path, "SELECT announcement_id, hkex_code, language, kind, url, pages, "
                          "strftime(timezone('Asia/Hong_Kong', published_at), '%Y-%m-%d %H:%M'), parser_version, "
                          "length(pdf_sha256) FROM announcements ORDER BY hkex_code")
    assert anns == [
        ("11873452-en", "00100", "en", "allotment_results",
         "https://www1.hkexnews.hk/listedco/listconews/sehk/2026/0108/2026010801342.pdf", 6, "2026-01-08 22:58",
         "allotment/2", 64),
        ("11871190-en", "02513", "en", "allotment_results",
         "https://www1.hkexnews.hk/listedco/listconews/sehk/2026/0107/2026010701798.pdf", 6, "2026-01-07 23:05",
         "allotment/2", 64),
    ]
    claims = {(c, m): v for c, m, v in query(
        db_path, "SELECT hkex_code, metric, value FROM v_claims WHERE source_kind = 'announcement' "
                 "AND metric <> 'allocation_band'")}
    assert claims[("00100", "public_subscription_multiple")] == 1837.17
    assert claims[("00100", "international_subscription_multiple")] == 36.76
    assert claims[("02513", "placees")] == 221
    assert claims[("02513", "cornerstone_share_of_offer")] == 0.6863
    # Every claim traces to its announcement, page and quote.
    assert query(db_path, "SELECT count(*) FROM v_claims WHERE source_kind = 'announcement' AND "
                          "(source_url IS NULL OR page IS NULL OR quote = '' OR source_site <> 'HKEXnews')") == [(0,)]
    assert last_run(db_path)[:2] == ("hkex", "ok")


def test_subscription_stats_from_the_announcements(replayed: tuple[Path, Path]) -> None:
    db_path, _ = replayed
    rows = query(db_path, "SELECT hkex_code, public_multiple, international_multiple, valid_applications, "
                          "round(one_lot_success_rate, 4), round(clawback_pct, 4), cornerstone_count, "
                          "round(cornerstone_share_of_offer, 4), gross_proceeds, placees "
                          "FROM v_subscription_stats ORDER BY hkex_code")
    assert rows == [
        ("00100", 1837.17, 36.76, 417_646, 0.0281, 0.1739, 14, 0.5653, 4_817_600_000, 376),
        ("02513", 1159.46, 15.28, 204_871, 0.05, 0.2, 11, 0.6863, 4_348_100_000, 221),
    ]
    # The announcement's offer price and listing date now outrank the config's.
    assert query(db_path, "SELECT hkex_code, offer_price_source, listing_date_source FROM v_ipo_terms "
                          "ORDER BY 1") == [("00100", "ipo_stats:announcement", "ipo_stats:announcement"),
                                            ("02513", "ipo_stats:announcement", "ipo_stats:announcement")]


def test_a_second_crawl_skips_known_pdfs_and_writes_nothing(replayed: tuple[Path, Path]) -> None:
    db_path, tmp = replayed
    # The same cassette without its PDFs: fetching one again would be a cassette miss (exit 3).
    data = yaml.safe_load(CASSETTE.read_text(encoding="utf-8"))
    data["interactions"] = [i for i in data["interactions"] if not i["request"]["uri"].endswith(".pdf")]
    no_pdfs = tmp / "no_pdfs.yaml"
    no_pdfs.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    proc = run_hkipo("crawl", "hkex", "--cassette", str(no_pdfs), "--db", str(db_path), cwd=tmp)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert last_run(db_path)[:3] == ("hkex", "ok", 0)


def test_refetching_known_pdfs_writes_nothing_either(replayed: tuple[Path, Path]) -> None:
    db_path, tmp = replayed
    text = default_config_text().replace("refetch_known_pdfs = false", "refetch_known_pdfs = true")
    config = write(tmp / "refetch.toml", text)
    proc = run_hkipo("crawl", "hkex", "--cassette", str(CASSETTE), "--db", str(db_path), "--config", str(config),
                     cwd=tmp)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert last_run(db_path)[:3] == ("hkex", "ok", 0)


def test_refresh_replays_the_hkex_cassette(tmp_path: Path) -> None:
    db_path = tmp_path / "r.duckdb"
    proc = run_hkipo("refresh", "--only", "hkex", "--cassette", str(CASSETTE), "--db", str(db_path), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert query(db_path, "SELECT count(*) FROM announcements") == [(2,)]


def test_chinese_pdfs_when_asked(tmp_path: Path) -> None:
    text = default_config_text().replace("fetch_chinese = false", "fetch_chinese = true")
    config = write(tmp_path / "zh.toml", text)
    db_path = tmp_path / "zh.duckdb"
    proc = run_hkipo("crawl", "hkex", "--cassette", str(CASSETTE), "--db", str(db_path), "--config", str(config),
                     "--code", "02513", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert query(db_path, "SELECT announcement_id, language FROM announcements ORDER BY 1") == [
        ("11871190-en", "en"), ("11871190-zh", "zh")]
    # Two versions of one disclosure are one source: reconciliation does not count them twice.
    assert query(db_path, "SELECT value, n_sources, n_claims, rule FROM v_ipo_stats "
                          "WHERE hkex_code = '02513' AND metric = 'public_subscription_multiple'") == [
        (1159.46, 1, 2, "only source")]


def test_failures_are_warnings_on_the_run(tmp_path: Path) -> None:
    extra = """
[[watchlist]]
code = "09999"
name_en = "Not on HKEXnews (synthetic)"
listing_date = 2026-01-09

[[watchlist]]
code = "01234"
name_en = "Nothing announced (synthetic)"
listing_date = 2026-01-09
"""
    config = write(tmp_path / "fail.toml", default_config_text() + extra)
    db_path = tmp_path / "fail.duckdb"
    proc = run_hkipo("crawl", "hkex", "--cassette", str(CASSETTES / "hkex" / "failures.yaml"), "--db",
                     str(db_path), "--config", str(config), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    job, status, rows, warnings, error = last_run(db_path)
    assert (job, status, error) == ("hkex", "ok", None)
    text = "\n".join(warnings)
    assert "09999: HKEXnews does not know this stock code" in text
    assert "01234: no allotment results announcement on HKEXnews" in text
    assert "00100: title search answer is not JSON" in text
    assert "02513: " in text and "is not a PDF" in text
    assert query(db_path, "SELECT count(*) FROM announcements") == [(0,)]


def test_a_cassette_miss_fails_the_crawl(tmp_path: Path) -> None:
    extra = '\n[[watchlist]]\ncode = "09988"\nname_en = "Not in the cassette"\nlisting_date = 2026-01-09\n'
    config = write(tmp_path / "miss.toml", default_config_text() + extra)
    proc = run_hkipo("crawl", "hkex", "--cassette", str(CASSETTE), "--db", str(tmp_path / "m.duckdb"),
                     "--config", str(config), cwd=tmp_path)
    assert proc.returncode == 3
    assert "prefix.do" in proc.stderr and "name=09988" in proc.stderr


def test_the_committed_cassettes_are_their_generators_output(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, str(CASSETTES / "build" / "hkex.py"), str(tmp_path)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "hkex.yaml").read_bytes() == CASSETTE.read_bytes(), "run: python cassettes/build/hkex.py"
    assert (tmp_path / "hkex" / "failures.yaml").read_bytes() == (CASSETTES / "hkex" / "failures.yaml").read_bytes()


def test_the_committed_pdfs_are_their_generators_output(tmp_path: Path) -> None:
    pytest.importorskip("fpdf", reason="fpdf2 is only needed to regenerate the fixture PDFs")
    from importlib.util import module_from_spec, spec_from_file_location

    spec = spec_from_file_location("make_fixtures", FIXTURES / "hkex" / "make_fixtures.py")
    mod = module_from_spec(spec)
    spec.loader.exec_module(mod)
    if not mod.CJK_FONT.exists():
        pytest.skip(f"{mod.CJK_FONT} not installed (apt-get install fonts-wqy-microhei)")
    mod.HERE = tmp_path
    mod.main()
    for pdf in (FIXTURES / "hkex").glob("*.pdf"):
        assert (tmp_path / pdf.name).read_bytes() == pdf.read_bytes(), \
            f"{pdf.name}: run python tests/fixtures/hkex/make_fixtures.py"


def test_parse_allotment_output_matches_what_the_crawl_stored(replayed: tuple[Path, Path]) -> None:
    db_path, tmp = replayed
    proc = run_hkipo("parse-allotment", str(FIXTURES / "hkex" / "00100_allotment_results.pdf"), cwd=tmp)
    printed = {(c["metric"], c["value"], c.get("value_text"), c["page"], c["quote"])
               for c in json.loads(proc.stdout)["claims"] if c["metric"] != "allocation_band"}
    stored = set(query(db_path, "SELECT metric, value, value_text, page, quote FROM claims "
                                "WHERE hkex_code = '00100' AND metric <> 'allocation_band'"))
    assert printed == stored
