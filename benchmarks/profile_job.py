"""Where a job's time goes: the real job, in this process, under pyinstrument.

    python -m benchmarks.profile_job JOB CONFIG DB CASSETTE OUT_JSON

Runs `hkipo.app.jobs.run_job(JOB, ...)` exactly as `hkipo job JOB --cassette …`
does, then sums the sampled time under each stage's entry function
(outermost frames only, so nothing is counted twice) and writes the sums and
the profile text to OUT_JSON.
"""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path

# (label, file suffix, function): the entry point of each stage.
STAGES: dict[str, tuple[tuple[str, str, str], ...]] = {
    "news": (
        ("feed parsing (feedparser)", "hkipo/extract/feed.py", "parse_feed"),
        ("article extraction (trafilatura, dates, charset)", "hkipo/extract/article.py", "extract_article"),
        ("mention tagging", "hkipo/extract/mentions.py", "tag_article"),
        ("claims extraction", "hkipo/extract/claims/extract.py", "extract_claims"),
        ("fingerprint (MinHash)", "hkipo/extract/dedupe.py", "fingerprint"),
        ("loading: store_batch (DuckDB)", "pipelines/articles.py", "store_batch"),
        ("loading: writer open/migrate check/close", "warehouse/db.py", "writer"),
        ("statistics rebuild", "pipelines/reconcile.py", "rebuild_ipo_stats"),
        ("cassette look-up (Replayer)", "hkipo/core/cassette.py", "lookup"),
        ("cassette load (YAML)", "hkipo/core/cassette.py", "load_interactions"),
        ("importing Scrapy and the spiders", "hkipo/app/jobs.py", "resolve"),
    ),
    "prices": (
        ("cassette load (YAML)", "hkipo/core/cassette.py", "load_interactions"),
        ("yfinance history() (replayed HTTP, JSON, DataFrame)", "pipelines/prices.py", "fetch_history"),
        ("normalising: bars_table", "pipelines/prices.py", "bars_table"),
        ("gap check (HKEX calendar)", "pipelines/prices.py", "missing_trading_days"),
        ("loading: merge (DuckDB)", "warehouse/load.py", "merge"),
        ("loading: writer open/migrate check/close", "warehouse/db.py", "writer"),
        ("reading the stored state (reader open + query)", "pipelines/prices.py", "stored_state"),
        ("statistics rebuild", "pipelines/reconcile.py", "rebuild_ipo_stats"),
        ("importing the job", "hkipo/app/jobs.py", "resolve"),
    ),
}


def stage_times(root: object, stages: tuple[tuple[str, str, str], ...]) -> dict[str, float]:
    totals = {label: 0.0 for label, _, _ in stages}

    def walk(frame: object) -> None:
        path = (getattr(frame, "file_path", None) or "").replace("\\", "/")
        name = getattr(frame, "function", None)
        for label, suffix, fn in stages:
            if name == fn and path.endswith(suffix):
                totals[label] += frame.time  # type: ignore[attr-defined]
                return  # outermost only
        for child in frame.children:  # type: ignore[attr-defined]
            walk(child)

    walk(root)
    return totals


def main(argv: list[str]) -> int:
    from pyinstrument import Profiler

    from hkipo.core.config import load_config
    from hkipo.app.jobs import run_job
    from hkipo.core.context import JobContext

    job, config_path, db_path, cassette, out = argv
    logging.basicConfig(level=logging.WARNING)
    config = load_config(config_path)
    ctx = JobContext(config=config, db_path=Path(db_path), cassette=Path(cassette))
    prof = Profiler(interval=0.002)
    prof.start()
    run = run_job(job, ctx)
    prof.stop()
    root = prof.last_session.root_frame()
    total = root.time if root is not None else 0.0
    stages = stage_times(root, STAGES[job]) if root is not None else {}
    text = prof.output_text(unicode=True, color=False)
    Path(out).write_text(json.dumps({"total": total, "stages": stages, "status": run.status,
                                     "rows": run.rows_written, "profile": text}), encoding="utf-8")
    return 0


def stage_table(prof: dict, units: float, unit: str) -> str:
    """A markdown table of the stage sums, with the unaccounted rest."""
    total = prof["total"]
    lines = ["| stage | seconds | share | per " + unit + " |", "|---|---|---|---|"]
    accounted = 0.0
    for label, secs in sorted(prof["stages"].items(), key=lambda kv: -kv[1]):
        accounted += secs
        lines.append(f"| {label} | {secs:.2f} | {secs / total:.0%} | {secs / units * 1000:.2f} ms |")
    rest = max(0.0, total - accounted)
    lines.append(f"| everything else (framework, logging, run records) | {rest:.2f} | {rest / total:.0%} | "
                 f"{rest / units * 1000:.2f} ms |")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
