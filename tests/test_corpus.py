"""The malformed-input corpus through the real entry points: a clear error or a recorded skip,
never a traceback, and nothing already stored lost.

Each case in tests/corpus/manifest.toml names an input (tests/corpus/*/, or
one generated here when it is too big to commit), the entry point it goes
through, and what must happen:

- `ingest`: `hkipo ingest FILE` (a saved page);
- `feed`: `hkipo crawl news` with a cassette whose one feed is the input and
  whose three linked pages are good articles;
- `yahoo`: `hkipo job prices` with a cassette where 0100.HK's chart answer is
  the input (2513.HK answers normally);
- `pdf`: `hkipo parse-allotment FILE`;
- `hkex`: `hkipo crawl hkex` re-downloading (refetch_known_pdfs) an announcement
  whose PDF is now the input;
- `config`: `hkipo job stats --config FILE`;
- `cli`: the arguments given.

Every case but `pdf` runs against a copy of a good warehouse (the bundled
cassettes replayed), and afterwards every row that was there is still there,
unchanged (ipo_stats, derived, aside). Expectations:

- `skip`: exit 0 and the output says what was not stored and why (`match`);
- `error`: exit 2 (or 3 for a cassette miss), one "hkipo: error:" line naming the problem;
- `failed`: the run record's status is the given one (`status`), with the reason in its error or warnings;
- `ok`: exit 0, stored or read as well as the input allows (`match` in the output or run record).
"""

from __future__ import annotations

import shutil
import time
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from helpers import CASSETTES, run_hkipo
from test_reliability import open_readonly, snapshot, synth

CORPUS = Path(__file__).resolve().parent / "corpus"
MANIFEST = tomllib.loads((CORPUS / "manifest.toml").read_text(encoding="utf-8"))
PRESERVED = ("securities", "ipos", "prices_daily", "articles", "article_urls", "article_mentions", "announcements",
             "claims")
pytestmark = pytest.mark.slow


@dataclass
class Case:
    id: str
    entry: str
    expect: str
    why: str
    file: str | None = None
    generate: str | None = None
    match: list[str] = field(default_factory=list)
    status: str | None = None  # run status for `failed`, HTTP status for `yahoo`
    http_status: int = 200
    args: list[str] = field(default_factory=list)
    timeout: float = 300.0  # a single input must not stall a job
    bug: str | None = None  # a known bug: the case is xfail (strict) until it is fixed


def cases() -> list[Case]:
    out = []
    for c in MANIFEST.get("case", []):
        match = c.get("match", [])
        out.append(Case(id=c["id"], entry=c["entry"], expect=c["expect"], why=c["why"], file=c.get("file"),
                        generate=c.get("generate"), match=[match] if isinstance(match, str) else match,
                        status=c.get("status"), http_status=c.get("http_status", 200), args=c.get("args", []),
                        timeout=c.get("timeout", 300.0), bug=c.get("bug")))
    return out


# ---------------------------------------------------------------------------
# inputs too big to commit
# ---------------------------------------------------------------------------

def _huge_text_page() -> bytes:
    para = ("<p>MiniMax (0100.HK) shares were quoted again in a synthetic market update number {i}, with brokers "
            "noting turnover of {t} shares and a last price of HK${p:.2f}.</p>\n")
    body = "".join(para.format(i=i, t=1000 + i * 7, p=300 + (i % 500) / 10) for i in range(40_000))
    return f"<html><head><title>MiniMax market updates</title></head><body><article>{body}</article></body></html>".encode()


def _huge_attribute_page() -> bytes:
    return (b'<html><head><title>MiniMax</title></head><body><div data-x="' + b"A" * 6_000_000 +
            b'"><p>MiniMax 0100.HK</p></div></body></html>')


def _huge_feed() -> bytes:
    items = "".join(f"<item><title>MiniMax story {i}</title><link>https://corpus.example/news/{1 + i % 3}.html"
                    f"?utm_source=item{i}</link></item>" for i in range(20_000))
    return (f'<?xml version="1.0"?><rss version="2.0"><channel><title>Big</title>{items}</channel></rss>').encode()


def _huge_watchlist() -> bytes:
    secs = synth.securities(5000, listing_from=synth.dt.date(2020, 1, 2), listing_to=synth.dt.date(2025, 12, 31))
    text = synth.config_text(secs)
    return (text + '\n[[watchlist]]\ncode = "70001"\nname_en = "Duplicate at the very end"\n').encode()


GENERATORS = {"huge_text_page": _huge_text_page, "huge_attribute_page": _huge_attribute_page,
              "huge_feed": _huge_feed, "huge_watchlist": _huge_watchlist}


def input_path(case: Case, tmp: Path) -> Path:
    if case.generate:
        p = tmp / f"{case.id}.input"
        p.write_bytes(GENERATORS[case.generate]())
        return p
    assert case.file, case.id
    return CORPUS / case.file


# ---------------------------------------------------------------------------
# the good warehouse, and cassettes built around an input
# ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def good_dbs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A replayed warehouse (the bundled cassettes) and a live one (saved pages ingested: `hkipo ingest`
    writes live data, which a replayed file refuses)."""
    work = tmp_path_factory.mktemp("corpus-good")
    replay = work / "replay.duckdb"
    for job in ("prices", "hkex", "news"):
        res = run_hkipo("job", job, "--cassette", str(CASSETTES / f"{job}.yaml"), "--db", str(replay), cwd=work,
                        timeout=300)
        assert res.returncode == 0, res.stderr[-3000:]
    live = work / "live.duckdb"
    pages = sorted(str(p) for p in (Path(__file__).parent / "fixtures" / "news" / "pages").rglob("*.html"))
    res = run_hkipo("ingest", *pages, "--db", str(live), cwd=work, timeout=300)
    assert res.returncode == 0, res.stderr[-3000:]
    assert snapshot(live, ("articles",))["articles"], "the live warehouse has no articles to lose"
    return {"replay": replay, "live": live}


def feed_cassette(tmp: Path, feed: bytes) -> tuple[Path, Path]:
    from hkipo.core.cassette import Recorder

    rec = Recorder(tmp / "feed.yaml")
    req = {"Accept": ["*/*"]}
    rec.add("GET", "https://corpus.example/robots.txt", req, None, 200, "OK", {"Content-Type": ["text/plain"]},
            b"User-agent: *\nAllow: /\n")
    rec.add("GET", "https://corpus.example/feed.xml", req, None, 200, "OK",
            {"Content-Type": ["application/rss+xml; charset=utf-8"]}, feed)
    wl = synth.default_watchlist()
    for n in (1, 2, 3):
        a = synth.article(n, wl[0], host="corpus.example", site="Corpus Daily", seed=31)
        a = synth.SynthArticle(f"https://corpus.example/news/{n}.html", a.title, a.paragraphs, a.published_at,
                               a.site, a.lang)
        rec.add("GET", a.url, req, None, 200, "OK", {"Content-Type": ["text/html; charset=utf-8"]},
                synth.article_html(a))
    rec.save()
    config = tmp / "feed.toml"
    config.write_text(synth.config_text(wl, news={"search_feeds": [], "search_codes": False},
                                        **{"news.feeds": [{"name": "corpus", "url": "https://corpus.example/feed.xml",
                                                           "kind": "feed"}]}), encoding="utf-8")
    return rec.path, config


def yahoo_cassette(tmp: Path, body: bytes, status: int) -> Path:
    b = synth._yahoo_builder()
    minimax, zhipu = b.LISTINGS
    c = b.Cassette(tmp / "prices.yaml")
    headers = b.JSON_HEADERS if body[:1] in (b"{", b"[") else b.HTML_HEADERS
    c.chart(minimax, status, "OK" if status == 200 else "Error", body, headers)
    c.chart_ok(zhipu, b.chart_body(zhipu, b.series(zhipu)))
    c.save()
    return c.rec.path


def hkex_cassette(tmp: Path, pdf: bytes) -> tuple[Path, Path]:
    """The bundled hkex cassette with every 00100 PDF answer replaced by the input."""
    from hkipo.core.cassette import Recorder, load_interactions

    rec = Recorder(tmp / "hkex.yaml")
    for it in load_interactions(CASSETTES / "hkex.yaml"):
        body = it.response["body"]["string"]
        body = body.encode() if isinstance(body, str) else body
        if it.request.uri.lower().endswith(".pdf") and b"0100" in _pdf_owner(body):
            body = pdf
        r = it.response
        rec.add(it.request.method, it.request.uri, dict(it.request.headers), it.request.body, r["status"]["code"],
                r["status"].get("message", ""), r.get("headers") or {}, body, final_url=r.get("url"))
    rec.save()
    config = tmp / "hkex.toml"
    from hkipo.core.config import default_config_text

    config.write_text(default_config_text().replace("refetch_known_pdfs = false", "refetch_known_pdfs = true"),
                      encoding="utf-8")
    return rec.path, config


def _pdf_owner(body: bytes) -> bytes:
    """Which stock a bundled PDF is about (its stock code line), as bytes to search."""
    try:
        from hkipo.extract.allotment import parse_allotment_pdf

        code = parse_allotment_pdf(body).hkex_code or ""
    except Exception:  # not a PDF of ours
        return b""
    return code.encode()


# ---------------------------------------------------------------------------
# running a case
# ---------------------------------------------------------------------------

@dataclass
class Outcome:
    returncode: int
    stdout: str
    stderr: str
    seconds: float
    run: dict | None  # the last ingest_runs row, when the case wrote one


def last_run(db: Path) -> dict | None:
    con = open_readonly(db)
    try:
        rows = con.execute("SELECT job, status, rows_written, error, warnings FROM ingest_runs "
                           "ORDER BY started_at DESC LIMIT 1").fetchall()
    finally:
        con.close()
    return dict(zip(("job", "status", "rows", "error", "warnings"), rows[0])) if rows else None


def run_case(case: Case, tmp: Path, good: Path | None) -> Outcome:
    db = tmp / "wh.duckdb"
    if good is not None:
        shutil.copy(good, db)
    path = input_path(case, tmp) if (case.file or case.generate) else None
    if case.entry == "ingest":
        args = ["ingest", str(path), "--db", str(db), *case.args]
    elif case.entry == "feed":
        cassette, config = feed_cassette(tmp, path.read_bytes())
        args = ["crawl", "news", "--cassette", str(cassette), "--config", str(config), "--db", str(db)]
    elif case.entry == "yahoo":
        args = ["job", "prices", "--cassette", str(yahoo_cassette(tmp, path.read_bytes(), case.http_status)),
                "--db", str(db)]
    elif case.entry == "pdf":
        args = ["parse-allotment", str(path), *case.args]
    elif case.entry == "hkex":
        cassette, config = hkex_cassette(tmp, path.read_bytes())
        args = ["crawl", "hkex", "--cassette", str(cassette), "--config", str(config), "--db", str(db)]
    elif case.entry == "config":
        args = ["job", "stats", "--config", str(path if path else tmp / case.args[0]), "--db", str(db)]
    elif case.entry == "cli":
        args = []
        for a in case.args:
            if a.startswith("{copy:"):  # a corpus file the command may touch: work on a copy
                a = str(shutil.copy(CORPUS / a[len("{copy:"):-1], tmp))
            args.append(a.replace("{db}", str(db)).replace("{cassettes}", str(CASSETTES)).replace("{tmp}", str(tmp)))
    else:
        raise ValueError(case.entry)
    t0 = time.monotonic()
    res = run_hkipo(*args, cwd=tmp, timeout=case.timeout)
    seconds = time.monotonic() - t0
    run = last_run(db) if good is not None and db.exists() else None
    return Outcome(res.returncode, res.stdout, res.stderr, seconds, run)


def check(case: Case, out: Outcome) -> None:
    said = out.stdout + out.stderr + (f"\n{out.run}" if out.run else "")
    where = f"{case.id} ({case.why}): exit {out.returncode}\n--- stdout\n{out.stdout[-1500:]}\n--- stderr\n{out.stderr[-2500:]}"
    assert "Traceback" not in out.stderr and "Traceback" not in out.stdout, where
    assert "unexpected error" not in out.stderr, where
    if case.expect == "skip":
        assert out.returncode == 0, where
        assert "not stored" in out.stdout, where
    elif case.expect == "error":
        assert out.returncode in (2, 3), where
        lines = [ln for ln in out.stderr.splitlines() if ln.startswith(("hkipo: error:", "Error:"))]
        assert lines, where
    elif case.expect == "failed":
        assert out.returncode == 1, where
        assert out.run is not None and out.run["status"] == case.status, where
    elif case.expect == "ok":
        assert out.returncode == 0, where
        if out.run is not None:
            assert out.run["status"] in ("ok", case.status or "ok"), where
    else:
        raise ValueError(case.expect)
    for m in case.match:
        assert m.lower() in said.lower(), f"{where}\nexpected to find {m!r}"


def _params() -> list:
    out = []
    for c in cases():
        marks = [pytest.mark.xfail(strict=True, reason=c.bug)] if c.bug else []
        out.append(pytest.param(c, id=c.id, marks=marks))
    return out


@pytest.mark.parametrize("case", _params())
def test_bad_input(case: Case, good_dbs: dict[str, Path], tmp_path: Path) -> None:
    good_db = good_dbs["live" if case.entry == "ingest" else "replay"]
    uses_db = case.entry != "pdf"
    before = snapshot(good_db, PRESERVED) if uses_db else None
    out = run_case(case, tmp_path, good_db if uses_db else None)
    check(case, out)
    if before is not None:
        after = snapshot(tmp_path / "wh.duckdb", PRESERVED)
        for table, rows in before.items():
            lost = set(rows) - set(after[table])
            assert not lost, f"{case.id}: {len(lost)} stored rows of {table} lost or changed, e.g. {sorted(lost)[:2]}"


def test_the_corpus_has_at_least_50_inputs_each_described_once() -> None:
    cs = cases()
    assert len(cs) >= 50
    assert len({c.id for c in cs}) == len(cs)
    files = {str(p.relative_to(CORPUS)) for p in CORPUS.rglob("*") if p.is_file()
             and p.name not in ("manifest.toml", "build.py") and "__pycache__" not in p.parts}
    named = {c.file for c in cs if c.file}
    assert files == named, (sorted(files - named), sorted(named - files))
    assert all(c.why for c in cs)


def test_committed_corpus_is_the_builders_output(tmp_path: Path) -> None:
    import importlib.util
    import sys

    spec = importlib.util.spec_from_file_location("hkipo_corpus_build", CORPUS / "build.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    groups = {"html": module.html_inputs(), "feeds": module.feed_inputs(), "pdf": module.pdf_inputs(),
              "config": module.config_inputs(),
              "yahoo": module.yahoo_inputs(module.good_minimax_chart())}
    for folder, files in groups.items():
        for name, data in files.items():
            assert (CORPUS / folder / name).read_bytes() == data, f"{folder}/{name}: re-run tests/corpus/build.py"
