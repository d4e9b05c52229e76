"""`hkipo ingest`: saved pages through the same extraction and pipeline as crawled ones."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers import run_hkipo
from news_fixtures import page, served
from warehouse import db


def query(db_path: Path, sql: str) -> list[tuple]:
    with db.reader(db_path) as con:
        return con.execute(sql).fetchall()


def saved(tmp_path: Path, name: str, *, mark: str | None = None) -> Path:
    entry = page(name)
    body = served(entry)
    if mark:
        body = f"<!-- saved from url=({len(mark):04d}){mark} -->\n".encode() + body
    out = tmp_path / (Path(entry["file"]).stem + ".html")
    out.write_bytes(body)
    return out


@pytest.mark.slow
def test_ingest_saved_pages_and_again_writes_nothing(tmp_path: Path) -> None:
    db_path = tmp_path / "ingest.duckdb"
    retail = saved(tmp_path, "lionrock/minimax-retail-crowd",
                   mark="https://www.lionrockfinance.example/news/2026/01/09/minimax-retail-crowd")
    big5 = saved(tmp_path, "victoriaharbour/88150")
    proc = run_hkipo("ingest", str(retail), str(big5), "--db", str(db_path), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "zh-Hant | 獅子山財經 | 2026-01-09T20:15:00+08:00 | about 00100" in proc.stdout
    assert "(HK time assumed) | about 02513" in proc.stdout
    assert "ingest: 2 new" in proc.stdout
    got = query(db_path, "SELECT canonical_url, script, site FROM articles ORDER BY canonical_url")
    assert got[1] == ("https://www.lionrockfinance.example/news/2026/01/09/minimax-retail-crowd", "zh-Hant", "獅子山財經")
    assert got[0][0].startswith("file://") and got[0][0].endswith("/88150.html")  # no URL known: the file
    assert query(db_path, "SELECT job, status FROM ingest_runs") == [("ingest", "ok")]

    again = run_hkipo("ingest", str(retail), str(big5), "--db", str(db_path), cwd=tmp_path)
    assert again.returncode == 0, again.stderr[-3000:]
    assert "0 rows written" in again.stdout


@pytest.mark.slow
def test_ingest_with_url_and_site(tmp_path: Path) -> None:
    db_path = tmp_path / "ingest.duckdb"
    page_file = saved(tmp_path, "victoriaharbour/88150")
    proc = run_hkipo("ingest", str(page_file), "--url", "https://www.victoriaharbour.example/a/88150.html?utm_source=x",
                     "--site", "Victoria Harbour Daily", "--db", str(db_path), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert query(db_path, "SELECT canonical_url, site FROM articles") == [
        ("https://www.victoriaharbour.example/a/88150.html", "Victoria Harbour Daily")]


@pytest.mark.slow
def test_ingest_reports_pages_it_does_not_store(tmp_path: Path) -> None:
    db_path = tmp_path / "ingest.duckdb"
    biren = saved(tmp_path, "lionrock/biren-debut")
    empty = tmp_path / "empty.html"
    empty.write_bytes(b"<html><body><p>Loading...</p></body></html>")
    proc = run_hkipo("ingest", str(biren), str(empty), "--db", str(db_path), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert f"{biren}: not stored: not about any watchlist security" in proc.stdout
    assert f"{empty}: not stored: too little text to be an article" in proc.stdout
    assert query(db_path, "SELECT count(*) FROM articles") == [(0,)]


def test_ingest_user_mistakes_are_one_line_errors(tmp_path: Path) -> None:
    missing = run_hkipo("ingest", str(tmp_path / "nope.html"), cwd=tmp_path)
    assert missing.returncode == 2 and "does not exist" in missing.stderr and "Traceback" not in missing.stderr
    a, b = saved(tmp_path, "lionrock/biren-debut"), saved(tmp_path, "victoriaharbour/88150")
    two = run_hkipo("ingest", str(a), str(b), "--url", "https://x.example/1", cwd=tmp_path)
    assert two.returncode == 2 and "--url names one page" in two.stderr
    bad = run_hkipo("ingest", str(a), "--url", "ftp://x.example/1", cwd=tmp_path)
    assert bad.returncode == 2 and "expected an http(s) URL" in bad.stderr
