"""2. Crawl end to end: synthetic article pages from a cassette, through the news job into DuckDB.

A generated cassette holds 2,000 synthetic article pages (half English, half
Simplified Chinese, ~2 KB of text each, every one about a watchlist security
and stating figures) on 4 hosts, linked from 8 RSS feeds, with robots.txt.
`hkipo crawl news --cassette …` replays it through the news spider, article
extraction, mention tagging, fingerprinting, claims extraction and the
warehouse (batches of 200, the default). The baseline is Scrapy itself on the same cassette
and replay storage, same settings, with a trivial parse and no pipeline
(benchmarks/scrapy_baseline.py); `scrapy bench` (Scrapy's local link-following
server) is run too, for reference. Pages/s are Scrapy's own start→finish
times (the last batch's write included); the whole command's wall time is
reported as well.
"""

from __future__ import annotations

import cProfile
import datetime as dt
import json
import math
import os
import pstats
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from benchmarks import synth
from benchmarks.harness import Options, Ratio, Section
from benchmarks.profile_job import stage_table

_OUTCOME = re.compile(r"news: (\w+), (\d+) responses, (\d+) items in ([\d.]+)s")


def _run(cmd: list[str], cwd: Path, timeout: float = 900) -> tuple[subprocess.CompletedProcess[str], float]:
    t0 = time.perf_counter()
    res = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout)
    return res, time.perf_counter() - t0


def _project_run(work: Path, config: Path, cassette: Path, i: int,
                 python: str = sys.executable) -> tuple[float, float, int, int]:
    db_path = work / f"crawl{i}.duckdb"
    for suffix in ("", ".wal", ".lock", ".read.duckdb"):
        Path(str(db_path) + suffix).unlink(missing_ok=True)
    res, wall = _run([python, "-m", "hkipo", "crawl", "news", "--cassette", str(cassette), "--config",
                      str(config), "--db", str(db_path)], work)
    if res.returncode != 0:
        raise RuntimeError(f"hkipo crawl news failed ({res.returncode}):\n{res.stdout[-2000:]}\n{res.stderr[-3000:]}")
    m = _OUTCOME.search(res.stderr)
    if not m:
        raise RuntimeError(f"no crawl outcome line in the log:\n{res.stderr[-3000:]}")
    import duckdb

    con = duckdb.connect(str(db_path), read_only=True)
    try:
        stored = con.execute("SELECT count(*) FROM articles").fetchall()[0][0]
    finally:
        con.close()
    return float(m.group(4)), wall, int(m.group(2)), stored


def _baseline_run(work: Path, cassette: Path, feeds: list[str]) -> tuple[float, float, int]:
    res, wall = _run([sys.executable, "-m", "benchmarks.scrapy_baseline", str(cassette), *feeds], synth.REPO)
    if res.returncode != 0:
        raise RuntimeError(f"scrapy baseline failed:\n{res.stderr[-3000:]}")
    data = json.loads(res.stdout.strip().splitlines()[-1])
    if data["misses"]:
        raise RuntimeError(f"scrapy baseline: {data['misses']} cassette misses")
    return float(data["seconds"]), wall, int(data["responses"])


def _scrapy_bench(work: Path, seconds: int) -> tuple[int, float] | None:
    """`scrapy bench` responses and seconds (its own local server, link following, no pipeline).

    Run in an empty temporary folder with no SCRAPY_* variables: from inside
    the checkout Scrapy finds scrapy.cfg and applies hkipo's settings
    (AutoThrottle, download delays), which measured the delays (0.8 pages/s).
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCRAPY_")}
    with tempfile.TemporaryDirectory(prefix="scrapy-bench-") as outside:
        res = subprocess.run([sys.executable, "-m", "scrapy", "bench", "-s", f"CLOSESPIDER_TIMEOUT={seconds}",
                              "-s", "LOG_LEVEL=INFO"], cwd=outside, env=env, capture_output=True, text=True,
                             timeout=seconds + 120)
    out = res.stderr + res.stdout
    n = re.search(r"'response_received_count': (\d+)", out)
    t = re.search(r"'elapsed_time_seconds': ([\d.]+)", out)
    if not (n and t):
        return None
    return int(n.group(1)), float(t.group(1))


def _profile(work: Path, config: Path, cassette: Path) -> dict:
    db_path = work / "crawl-profile.duckdb"
    for suffix in ("", ".wal", ".lock"):
        Path(str(db_path) + suffix).unlink(missing_ok=True)
    out = work / "crawl-profile.json"
    res, _ = _run([sys.executable, "-m", "benchmarks.profile_job", "news", str(config), str(db_path),
                   str(cassette), str(out)], synth.REPO)
    if res.returncode != 0:
        raise RuntimeError(f"profiled crawl failed:\n{res.stderr[-3000:]}")
    return json.loads(out.read_text(encoding="utf-8"))


def _rebuild_seconds(work: Path, k: int, profile: cProfile.Profile | None = None) -> float:
    """Time one statistics rebuild over `k` claims of one security and metric (profiled into `profile` if given)."""

    from hkipo.core.config import load_config
    from hkipo.core.items import Claim
    from warehouse.claims import claims_table
    from pipelines.reconcile import rebuild_ipo_stats
    from pipelines.watchlist import sync_watchlist
    from warehouse import db
    from warehouse.load import merge

    import pyarrow as pa

    path = work / f"rebuild-{k}.duckdb"
    for suffix in ("", ".wal", ".lock"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    rng = random.Random(k)
    tables = []
    for i in range(k):
        c = Claim("00100", "public_subscription_multiple", round(rng.uniform(100, 3000), 2), "times",
                  f"synthetic quote {i}", position=0)
        tables.append(claims_table([c], source_kind="article", source_id=f"bench{i:06d}", source_url=None,
                                   extractor_version="bench"))
    with db.writer(path) as con, db.transaction(con):
        sync_watchlist(con, load_config(None))
        merge(con, "claims", pa.concat_tables(tables), ["claim_id"])
    with db.writer(path) as con:
        t0 = time.perf_counter()
        with db.transaction(con):
            if profile is not None:
                profile.enable()
            rebuild_ipo_stats(con)
            if profile is not None:
                profile.disable()
        return time.perf_counter() - t0


def _claims_seconds(sentences: int, profile: cProfile.Profile | None = None) -> float:
    """extract_claims on one story with `sentences` sentences, each stating a price."""
    from hkipo.core.config import load_config
    from hkipo.extract.claims import extract_claims
    from hkipo.extract.claims.extract import MAX_TEXT_CHARS

    text = " ".join(f"MiniMax (0100.HK) traded at HK${100 + i * 0.05:.2f} at {9 + i // 60:02d}:{i % 60:02d}."
                    for i in range(sentences))
    if len(text) > MAX_TEXT_CHARS:
        raise ValueError(f"{sentences} sentences exceed MAX_TEXT_CHARS: the cap, not extraction, would be timed")
    securities = load_config(None).watchlist
    t0 = time.perf_counter()
    if profile is not None:
        profile.enable()
    extract_claims(text, securities)
    if profile is not None:
        profile.disable()
    return time.perf_counter() - t0


def _scaling(measure: Callable[..., float], sizes: tuple[int, ...]) -> tuple[list[tuple[int, float]], float, str]:
    """Seconds at each size, the growth exponent between the two largest, and where the largest spends its time.

    The exponent is taken at the large end, where fixed costs (opening the
    database, loading the watchlist) no longer hide how the work grows.
    """
    points = [(k, measure(k)) for k in sizes]
    prof = cProfile.Profile()
    measure(sizes[-1], prof)  # a run of its own: profiling slows it, the timed run stays clean
    (k0, s0), (k1, s1) = points[-2], points[-1]
    exponent = math.log(s1 / s0) / math.log(k1 / k0)
    return points, exponent, _hot_spots(prof)


def _hot_spots(prof: cProfile.Profile, n: int = 3) -> str:
    """The `n` functions with the most self time in a profile, as markdown."""
    stats = pstats.Stats(prof).stats  # type: ignore[attr-defined]
    total = sum(v[2] for v in stats.values()) or 1.0
    top = sorted(stats.items(), key=lambda kv: kv[1][2], reverse=True)[:n]
    out = []
    for (file, line, func), (_, calls, self_s, _, _) in top:
        where = file.replace(str(synth.REPO) + "/", "") if file != "~" else "built-in"
        out.append(f"`{func}` ({where}:{line}, {calls:,} calls) {self_s:.2f} s = {self_s / total:.0%}")
    return "; ".join(out)


def _growth_verdict(exponent: float, what: str) -> str:
    """Say what the measured exponent means; written from the measurement, never from a template of the past."""
    if exponent < 0.8:
        return f"**Linear at most**: fixed costs still outweigh {what}'s growth at these sizes."
    if exponent < 1.25:
        return f"**Linear** (n log n at most): {what} grows in proportion to its input."
    if exponent < 1.6:
        return (f"**Super-linear**: {what} grows faster than its input; a step that pairs items "
                "(sentences × figures, claims × claims) is the usual cause — see the self time below.")
    return (f"**Quadratic**: {what} grows with the square of its input — some step compares items pairwise; "
            "the self time below names it.")


def run(opts: Options) -> Section:
    t0 = time.perf_counter()
    section = Section(key="crawl", title="2. Crawl end to end", command="python -m benchmarks --only crawl",
                      what=(__doc__ or "").split("\n\n", 1)[1].strip())
    pages = 400 if opts.quick else 2000
    work = opts.work / "crawl"
    work.mkdir(parents=True, exist_ok=True)
    # A watchlist of 20 synthetic listings: each gets 1/20 of the stories, as a season of IPOs would.
    watchlist = synth.watchlist_entries(synth.securities(20, listing_from=dt.date(2026, 1, 2),
                                                         listing_to=dt.date(2026, 1, 30)))
    cassette = work / "news.yaml"
    corpus = synth.news_cassette(cassette, watchlist, pages=pages)
    config = work / "hkipo.toml"
    config.write_text(synth.config_text(watchlist, **corpus.config_sections()), encoding="utf-8")
    feeds = [f["url"] for f in corpus.feeds]

    # A full crawl takes minutes: further runs only while they fit in a few minutes.
    project = []
    for i in range(opts.runs):
        if project and sum(p[1] for p in project) > 240:
            break
        project.append(_project_run(work, config, cassette, i))
    base = [_baseline_run(work, cassette, feeds) for _ in range(opts.runs)]
    crawl_s = statistics.median(p[0] for p in project)
    wall_s = statistics.median(p[1] for p in project)
    responses = project[0][2]
    stored = project[0][3]
    base_s = statistics.median(b[0] for b in base)
    base_wall = statistics.median(b[1] for b in base)
    base_resp = base[0][2]
    if stored != pages:
        section.notes.append(f"**Check**: {stored} of {pages} pages stored as articles (expected all).")
    bench = _scrapy_bench(work, 5 if opts.quick else 10)

    section.row("pages", f"{pages:,}", f"{responses} responses per crawl (pages, {len(feeds)} feeds, robots.txt)")
    section.row("hkipo crawl news: crawl time", f"{crawl_s:.2f} s",
                f"{responses / crawl_s:,.1f} responses/s; {len(project)} runs, "
                f"{min(p[0] for p in project):.2f}–{max(p[0] for p in project):.2f} s")
    section.row("hkipo crawl news: whole command (wall)", f"{wall_s:.2f} s",
                f"{pages / wall_s:,.1f} pages/s incl. start-up, run record, statistics rebuild")
    section.row("articles stored", f"{stored:,}", "each with URLs, mentions and claims")
    section.row("Scrapy, same cassette, trivial parse: crawl time", f"{base_s:.2f} s",
                f"{base_resp / base_s:,.1f} responses/s; whole process {base_wall:.2f} s")
    if bench is not None:
        section.row("`scrapy bench` (local server, for reference)", f"{bench[0] / bench[1]:,.1f} pages/s",
                    f"{bench[0]:,} responses in {bench[1]:.1f} s; link following over loopback HTTP, no pipeline")
    section.ratios.append(Ratio("crawl: hkipo pages/s ÷ Scrapy pages/s (same cassette)",
                                (responses / crawl_s) / (base_resp / base_s)))
    if bench and bench[0] >= 50:
        section.ratios.append(Ratio("crawl: hkipo pages/s ÷ `scrapy bench` pages/s",
                                    (responses / crawl_s) / (bench[0] / bench[1])))

    prof_pages = min(pages, 400 if opts.quick else 1000)
    pcassette = work / "news-profile.yaml"
    pcorpus = synth.news_cassette(pcassette, watchlist, pages=prof_pages)
    pconfig = work / "hkipo-profile.toml"
    pconfig.write_text(synth.config_text(watchlist, **pcorpus.config_sections()), encoding="utf-8")
    prof = _profile(work, pconfig, pcassette)
    section.notes.append(f"Where the time goes ({prof_pages} pages, one profiled run of the real job in one "
                         f"process, pyinstrument; {prof['total']:.1f} s sampled):\n\n"
                         + stage_table(prof, prof_pages, "page"))
    section.profile = "\n".join(ln for ln in prof["profile"].splitlines() if ln.strip())[:12000]

    sizes = (250, 1000, 4000) if opts.quick else (250, 500, 1000, 4000, 16000)
    scaling, exponent, hot = _scaling(lambda k, prof=None: _rebuild_seconds(work, k, prof), sizes)
    section.notes.append(
        "Statistics rebuild (`pipelines.reconcile.rebuild_ipo_stats`, run after every job that wrote) against "
        "the number of claims for one security and metric (each from its own source, values all different):\n\n"
        "| claims | seconds |\n|---|---|\n" + "\n".join(f"| {k:,} | {s:.2f} |" for k, s in scaling)
        + f"\n\nGrowth exponent {exponent:.2f} between the two largest sizes (1 = linear, 2 = quadratic). "
        + _growth_verdict(exponent, "the rebuild") + f" Most self time at {sizes[-1]:,} claims: {hot}.")
    sizes = (250, 500, 1000, 2000) if opts.quick else (500, 1000, 2000, 4000)
    claims, growth, hot = _scaling(_claims_seconds, sizes)
    section.notes.append(
        "Claims extraction (`hkipo.extract.claims.extract_claims`) against the number of figure-stating "
        "sentences in one story:\n\n| sentences | seconds |\n|---|---|\n"
        + "\n".join(f"| {k:,} | {s:.2f} |" for k, s in claims)
        + f"\n\nGrowth exponent {growth:.2f} between the two largest sizes. "
        + _growth_verdict(growth, "extraction") + f" Most self time at {sizes[-1]:,} sentences: {hot}. "
        "A text over `MAX_TEXT_CHARS` is read up to it (hkipo/extract/claims/extract.py), so a page of "
        "several MB costs no more than one of that length.")
    section.seconds = time.perf_counter() - t0
    return section
