"""A minimal spider and runner for testing the crawl infrastructure in a child process.

Usage: python tests/crawl_probe.py replay|record CASSETTE OUT.jsonl URL...
Prints the run's outcome as JSON; exit code 3 on a cassette miss (like hkipo).
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

import scrapy

from hkipo.core import netguard
from hkipo.core.config import load_config
from hkipo.core.errors import CassetteMiss
from hkipo.core.context import JobContext
from spiders.runner import run_crawl
from hkipo.core.runs import RunRecord


class Probe(scrapy.Spider):
    name = "probe"
    custom_settings = {"ROBOTSTXT_OBEY": True}

    def __init__(self, urls: list[str], out: str, **kwargs):  # noqa: ANN003
        super().__init__(**kwargs)
        self.urls = urls
        self.out = Path(out)

    async def start(self):  # noqa: ANN201
        for url in self.urls:
            yield scrapy.Request(url, callback=self.parse)

    def parse(self, response):  # noqa: ANN001, ANN201
        with self.out.open("a", encoding="utf-8") as f:
            f.write(json.dumps({
                "requested": response.request.meta.get("redirect_urls", [response.url])[0],
                "url": response.url,
                "status": response.status,
                "text": response.text,
                "cached": "cached" in response.flags,
            }, ensure_ascii=False) + "\n")


def main() -> int:
    netguard.install_if_requested()
    mode, cassette, out, *urls = sys.argv[1:]
    config = load_config(None)
    db = Path(tempfile.mkdtemp()) / "unused.duckdb"
    ctx = JobContext(config=config, db_path=db,
                     cassette=Path(cassette) if mode == "replay" else None,
                     record=Path(cassette) if mode == "record" else None)
    run = RunRecord(job="probe")
    try:
        outcome = run_crawl(Probe, ctx, run, urls=urls, out=out)
    except CassetteMiss as e:
        print(json.dumps({"miss": str(e)}))
        return 3
    print(json.dumps({"finish_reason": outcome.finish_reason, "responses": outcome.responses,
                      "misses": outcome.misses, "warnings": run.warnings, "errors": run.errors}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
