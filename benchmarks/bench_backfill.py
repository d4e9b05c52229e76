"""7. Back-fill: N synthetic listings discovered, parsed and priced, against the single-listing path.

A generated cassette pair holds a year of HKEXnews market-wide title searches
(2025-01-06 to 2025-12-28: 51 seven-day windows x 5 [discovery] phrases, the
same searches whatever N is), N synthetic allotment-results rows spread over
the year with their one-page PDFs (codes 01001, 01002, ...; "SYNTH 1001" and
so on, written by cassettes/build/discovery.py's PDF writer), and Yahoo daily
bars for every listing (listing day to 2026-04-15, a seeded random walk), the
watchlist's two securities and ^HSI. `hkipo backfill --since 2025-01-06
--until 2025-12-28 --cassette-dir ...` replays it into a fresh warehouse.

The single-listing path is the same command with N = 1. Linear cost means
the marginal cost of a listing does not grow with N: the per-listing cost
between N = 100 and N = 500 is compared with the one between N = 1 and
N = 100. Reading N listings in one back-fill is compared with N runs of the
single-listing path. Each job's seconds are the ones `hkipo backfill` prints
(child process start to end, statistics rebuild included).
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import re
import subprocess
import sys
import time
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from types import ModuleType

from benchmarks.harness import Options, Ratio, Section

REPO = Path(__file__).resolve().parent.parent
SINCE, UNTIL = dt.date(2025, 1, 6), dt.date(2025, 12, 28)
_JOB = re.compile(r"^(discovery|prices)\s+(\w+)\s+(\d+) rows\s+([\d.]+)s", re.M)


def _module(name: str) -> ModuleType:
    build = REPO / "cassettes" / "build"
    if str(build) not in sys.path:
        sys.path.insert(0, str(build))
    spec = importlib.util.spec_from_file_location(f"_bench_{name}", build / f"{name}.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod  # dataclasses look their module up while the class is made
    spec.loader.exec_module(mod)
    return mod


def build(n: int, out: Path) -> None:
    """discovery.yaml and prices.yaml for n synthetic listings, in `out`."""
    disc = _module("discovery")
    yahoo = disc.yahoo
    from hkipo.core.cassette import Recorder
    from hkipo.core.config import default_config_text, parse_config
    from hkipo.extract.hkex_listings import discovery_search_url, windows

    config = parse_config(default_config_text(), "<default>")
    out.mkdir(parents=True, exist_ok=True)
    days = yahoo.trading_days(SINCE, UNTIL - dt.timedelta(days=3))
    ipos = []
    for i in range(n):
        pub = days[(i * len(days)) // n]
        listing = yahoo.trading_days(pub + dt.timedelta(days=1), pub + dt.timedelta(days=10))[0]
        code = f"{1001 + i:05d}"
        ipos.append(replace(disc.IPOS[0], code=code, stock_code_field=code, name_en=f"SYNTH {1001 + i}",
                            name_zh=f"合成{1001 + i}", news_id=f"8{i:07d}", published=f"{pub:%d/%m/%Y} 22:30",
                            listing=listing))
    rec = Recorder(out / "discovery.yaml")
    headers = disc.request_headers(config)
    rec.add("GET", f"{disc.BASE}/robots.txt", headers, None, 200, "OK", disc.response_headers("text/plain"),
            disc.ROBOTS)
    queries = [("en", t) for t in (*config.discovery.allotment_titles_en, *config.discovery.formal_notice_titles_en)]
    queries += [("zh", t) for t in (*config.discovery.allotment_titles_zh, *config.discovery.formal_notice_titles_zh)]
    for start, end in windows(SINCE, UNTIL, config.discovery.window_days):
        inside = [ipo for ipo in ipos
                  if start <= dt.datetime.strptime(ipo.published, "%d/%m/%Y %H:%M").date() <= end]
        for lang, title in queries:
            rows = ([disc.row(ipo, lang=lang, title="ALLOTMENT RESULTS ANNOUNCEMENT") for ipo in inside]
                    if (lang, title) == ("en", "Allotment Results") else [])
            url = discovery_search_url(config.hkex.search_url, from_date=start, to_date=end, title=title,
                                       lang=lang.upper(), row_range=config.discovery.row_range)
            rec.add("GET", url, headers, None, 200, "OK", disc.response_headers("application/json;charset=utf-8"),
                    disc.answer(rows))
    for ipo in ipos:
        rec.add("GET", disc.BASE + disc.file_link(ipo), headers, None, 200, "OK",
                disc.response_headers("application/pdf"), disc.pdf_bytes(ipo))
    rec.save()
    c = yahoo.Cassette(out / "prices.yaml")
    for lst in yahoo.LISTINGS:
        c.chart_ok(lst, yahoo.chart_body(lst, yahoo.series(lst)))
    for i, ipo in enumerate(ipos):
        lst = disc.yahoo_listing(ipo, seed=5000 + i)
        c.chart_ok(lst, yahoo.chart_body(lst, yahoo.series(lst)))
    hsi = replace(disc.hsi_listing(), listing=dt.date(2024, 12, 16),
                  first_bar=yahoo.Bar(dt.date(2024, 12, 16), Decimal("20000"), Decimal("20000"), Decimal("20000"),
                                      Decimal("20000"), 0),
                  anchors={yahoo.LAST_DAY: Decimal("24500.00")})
    c.chart_ok(replace(hsi, symbol="%5EHSI"), yahoo.chart_body(hsi, yahoo.series(hsi)))
    c.rec.save()


def backfill(cassettes: Path, db: Path) -> dict[str, float]:
    for suffix in ("", ".wal", ".lock"):
        Path(str(db) + suffix).unlink(missing_ok=True)
    t0 = time.perf_counter()
    res = subprocess.run([sys.executable, "-m", "hkipo", "backfill", "--since", SINCE.isoformat(), "--until",
                          UNTIL.isoformat(), "--cassette-dir", str(cassettes), "--db", str(db),
                          "--log-format", "json"], capture_output=True, text=True, timeout=3600, cwd=db.parent)
    wall = time.perf_counter() - t0
    if res.returncode != 0:
        raise RuntimeError(f"backfill failed ({res.returncode}):\n{res.stdout[-2000:]}\n{res.stderr[-3000:]}")
    jobs = {m.group(1): float(m.group(4)) for m in _JOB.finditer(res.stdout)}
    found = re.search(r"listings found: (\d+)\s+announcements parsed: (\d+)", res.stdout)
    return {"wall": wall, **jobs, "found": float(found.group(1)) if found else -1.0,
            "parsed": float(found.group(2)) if found else -1.0}


def run(opts: Options) -> Section:
    sizes = (1, 10, 40) if opts.quick else (1, 100, 500)
    t_start = time.perf_counter()
    section = Section(
        key="backfill", title="Back-fill (every listing)",
        command=f"python -m benchmarks --only backfill{' --quick' if opts.quick else ''}",
        what=__doc__.split("\n\n", 1)[1].strip() if __doc__ else "")
    results: dict[int, dict[str, float]] = {}
    for n in sizes:
        cdir = opts.work / f"backfill{n}"
        build(n, cdir)
        runs = [backfill(cdir, opts.work / f"backfill{n}.duckdb") for _ in range(opts.runs)]
        med = {k: sorted(r[k] for r in runs)[len(runs) // 2] for k in runs[0]}
        if med["found"] != n or med["parsed"] != n:
            raise RuntimeError(f"N={n}: found {med['found']:.0f}, parsed {med['parsed']:.0f}")
        results[n] = med
        section.rows.append((f"N = {n}", f"{med['wall']:.1f} s",
                             f"discovery {med.get('discovery', 0):.1f} s, prices {med.get('prices', 0):.1f} s; "
                             f"{n} found, {n} parsed"))
    a, b, c = sizes
    per_low = (results[b]["wall"] - results[a]["wall"]) / (b - a)
    per_high = (results[c]["wall"] - results[b]["wall"]) / (c - b)
    section.rows.append(("marginal cost per listing", f"{per_low * 1000:.0f} ms ({a}→{b}), "
                         f"{per_high * 1000:.0f} ms ({b}→{c})", "wall time of the whole back-fill"))
    for job in ("discovery", "prices"):
        lo = (results[b].get(job, 0) - results[a].get(job, 0)) / (b - a)
        hi = (results[c].get(job, 0) - results[b].get(job, 0)) / (c - b)
        section.rows.append((f"{job}: per listing", f"{lo * 1000:.0f} ms ({a}→{b}), {hi * 1000:.0f} ms ({b}→{c})",
                             "job seconds as `hkipo backfill` prints them"))
    section.ratios.append(Ratio(f"marginal cost per listing, {b}→{c} / {a}→{b} (linear: ≈ 1)",
                                per_high / per_low if per_low > 0 else float("nan"), target=1.5, at_most=True))
    section.ratios.append(Ratio(f"{c} listings in one back-fill / {c} × the single-listing path",
                                results[c]["wall"] / (c * results[a]["wall"]), target=1.0, at_most=True))
    section.notes.append("The fixed part (a year of searches, process start-up, migrations) is paid once; "
                         "the single-listing path pays it for its one listing.")
    section.extra["results"] = json.dumps(results)
    section.seconds = time.perf_counter() - t_start
    return section
