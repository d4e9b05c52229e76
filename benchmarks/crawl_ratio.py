"""The crawl ratio on its own, side by side: hkipo's news crawl vs Scrapy on the same cassette, and `scrapy bench`.

    python -m benchmarks.crawl_ratio [--pages 2000] [--runs 3] [--out benchmarks/results/crawl.md]

The same 2,000-page synthetic cassette as the crawl benchmark (benchmarks/bench_crawl.py,
section 2 of BENCHMARKS.md). Each round runs `hkipo crawl news --cassette …` and then
the trivial Scrapy spider (benchmarks/scrapy_baseline.py) back to back, so both see the
same machine load; the ratio is the median of the per-round ratios. `scrapy bench` runs
in an empty temporary folder, outside the project: from inside the checkout Scrapy finds
scrapy.cfg and runs with hkipo's settings (AutoThrottle, download delays), which made it
report under 1 page/s.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
from pathlib import Path

from benchmarks import synth
from benchmarks.bench_crawl import _baseline_run, _project_run, _scrapy_bench
from benchmarks.machine import describe

WORK = Path(__file__).resolve().parent / ".work" / "crawl-ratio"


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.crawl_ratio")
    ap.add_argument("--pages", type=int, default=2000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--bench-seconds", type=int, default=10)
    ap.add_argument("--out", default=None, help="write the markdown here too")
    ap.add_argument("--also", default=None, metavar="PYTHON",
                    help="also time another checkout's hkipo each round (its venv's python), e.g. the code before")
    args = ap.parse_args(argv)
    WORK.mkdir(parents=True, exist_ok=True)
    watchlist = synth.watchlist_entries(synth.securities(20, listing_from=dt.date(2026, 1, 2),
                                                         listing_to=dt.date(2026, 1, 30)))
    cassette = WORK / "news.yaml"
    corpus = synth.news_cassette(cassette, watchlist, pages=args.pages)
    config = WORK / "hkipo.toml"
    config.write_text(synth.config_text(watchlist, **corpus.config_sections()), encoding="utf-8")
    feeds = [f["url"] for f in corpus.feeds]

    rounds = []
    others: list[tuple[float, int, float]] = []
    for i in range(args.runs):
        crawl_s, wall_s, responses, stored = _project_run(WORK, config, cassette, i)
        base_s, base_wall, base_resp = _baseline_run(WORK, cassette, feeds)
        ratio = (responses / crawl_s) / (base_resp / base_s)
        rounds.append((crawl_s, wall_s, responses, stored, base_s, base_wall, base_resp, ratio))
        print(f"round {i + 1}: hkipo {responses / crawl_s:.1f} responses/s ({crawl_s:.2f} s, {stored} stored), "
              f"scrapy {base_resp / base_s:.1f} responses/s ({base_s:.2f} s): {ratio:.2f}x", file=sys.stderr)
        if args.also:
            o = _project_run(WORK, config, cassette, 100 + i, python=args.also)
            others.append((o[0], o[2], (o[2] / o[0]) / (base_resp / base_s)))
            print(f"   other checkout: {o[2] / o[0]:.1f} responses/s ({o[0]:.2f} s): {others[-1][2]:.2f}x",
                  file=sys.stderr)
    bench = _scrapy_bench(WORK, args.bench_seconds)

    med = statistics.median
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    lines = [
        "## Crawl: hkipo's news crawl beside Scrapy on the same cassette",
        "",
        "Command: `python -m benchmarks.crawl_ratio --pages {0} --runs {1}`".format(args.pages, args.runs)
        + (" `--also OTHER_PYTHON`" if args.also else ""),
        "",
        describe(synth.REPO).markdown(),
        f"- Load: 1-minute load average {load:.1f} at the end (the machine is shared); medians of {args.runs} "
        "rounds, each round hkipo then Scrapy back to back",
        "",
        "| measure | value | detail |",
        "|---|---|---|",
        f"| pages | {args.pages:,} | {rounds[0][2]} responses per crawl |",
        f"| hkipo crawl news: crawl time | {med(r[0] for r in rounds):.2f} s | "
        f"{med(r[2] / r[0] for r in rounds):.1f} responses/s; runs "
        + ", ".join(f"{r[0]:.2f}" for r in rounds) + " s |",
        f"| hkipo crawl news: whole command (wall) | {med(r[1] for r in rounds):.2f} s | start-up, run record, "
        "statistics rebuild included |",
        f"| articles stored | {rounds[0][3]:,} | |",
        f"| Scrapy, same cassette, trivial parse: crawl time | {med(r[4] for r in rounds):.2f} s | "
        f"{med(r[6] / r[4] for r in rounds):.1f} responses/s |",
    ]
    if bench is not None:
        lines.append(f"| `scrapy bench` (outside the project) | {bench[0] / bench[1]:.1f} pages/s | "
                     f"{bench[0]:,} responses in {bench[1]:.1f} s |")
    else:
        lines.append("| `scrapy bench` | — | did not report (see stderr) |")
    if others:
        lines.append(f"| other checkout ({args.also}): crawl time | {med(o[0] for o in others):.2f} s | "
                     f"{med(o[1] / o[0] for o in others):.1f} responses/s; runs "
                     + ", ".join(f"{o[0]:.2f}" for o in others) + " s |")
    lines += ["", "| ratio | value |", "|---|---|",
              f"| crawl: hkipo responses/s ÷ Scrapy responses/s (same cassette, per round) | "
              f"**{med(r[7] for r in rounds):.2f}×** ({', '.join(f'{r[7]:.2f}' for r in rounds)}) |"]
    if others:
        lines.append(f"| the same for the other checkout (its run right after Scrapy's) | "
                     f"{med(o[2] for o in others):.2f}× ({', '.join(f'{o[2]:.2f}' for o in others)}) |")
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
