"""The crawl infrastructure every spider shares: cassette replay/record through
Scrapy's HTTP cache, loud misses, and failures recorded on the run.

Each crawl runs in a child process (tests/crawl_probe.py): Twisted's reactor
cannot restart, so one crawl per process, as in production.
"""

from __future__ import annotations

import gzip
import http.server
import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from hkipo.core.cassette import Recorder, Replayer
from helpers import REPO

PROBE = Path(__file__).with_name("crawl_probe.py")
HTML = {"Content-Type": ["text/html; charset=utf-8"]}


def crawl(mode: str, cassette: Path, out: Path, *urls: str) -> tuple[int, dict, list[dict]]:
    proc = subprocess.run([sys.executable, str(PROBE), mode, str(cassette), str(out), *urls],
                          capture_output=True, text=True, cwd=REPO, timeout=120)
    assert proc.stdout.strip(), proc.stderr[-3000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    items = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()] if out.exists() else []
    return proc.returncode, result, items


@pytest.fixture
def cassette(tmp_path: Path) -> Path:
    """Hand-made exchanges: a redirect, a 503 then 200, a gzip body, a 404, robots.txt."""
    rec = Recorder(tmp_path / "c.yaml")
    robots = b"User-agent: *\nDisallow: /private/\n"
    rec.add("GET", "http://a.example/robots.txt", {}, None, 200, "OK", {"Content-Type": ["text/plain"]}, robots)
    rec.add("GET", "https://a.example/robots.txt", {}, None, 200, "OK", {"Content-Type": ["text/plain"]}, robots)
    rec.add("GET", "http://a.example/old?utm_source=x", {}, None, 301, "Moved Permanently",
            {"Location": ["https://a.example/new"]}, b"")
    rec.add("GET", "https://a.example/new", {}, None, 200, "OK", HTML, "<p>新的頁面</p>".encode())
    rec.add("GET", "https://a.example/flaky", {}, None, 503, "Service Unavailable", HTML, b"busy")
    rec.add("GET", "https://a.example/flaky", {}, None, 200, "OK", HTML, b"<p>ok after retry</p>")
    rec.add("GET", "https://a.example/gz", {}, None, 200, "OK", HTML, b"placeholder")
    rec.add("GET", "https://a.example/gone", {}, None, 404, "Not Found", HTML, b"gone")
    # A cassette written by another tool may keep bodies compressed: replay must still decompress.
    gz = rec.interactions[6].response
    gz["headers"]["Content-Encoding"] = ["gzip"]
    gz["body"]["string"] = gzip.compress("<p>壓縮內容</p>".encode())
    rec.save()
    return rec.path


def test_replay_runs_redirects_retries_and_decompression(cassette: Path, tmp_path: Path) -> None:
    code, result, items = crawl("replay", cassette, tmp_path / "out.jsonl", "http://a.example/old?utm_source=x",
                                "https://a.example/flaky", "https://a.example/gz", "https://a.example/gone")
    assert code == 0, result
    assert result["misses"] == []
    by_url = {i["requested"]: i for i in items}
    assert by_url["http://a.example/old?utm_source=x"]["url"] == "https://a.example/new"
    assert by_url["http://a.example/old?utm_source=x"]["text"] == "<p>新的頁面</p>"
    assert by_url["https://a.example/flaky"]["text"] == "<p>ok after retry</p>"
    assert by_url["https://a.example/gz"]["text"] == "<p>壓縮內容</p>"
    assert all(i["cached"] for i in items)
    assert "https://a.example/gone" not in by_url
    assert result["warnings"] == ["HTTP 404 from https://a.example/gone"]
    assert result["errors"] == []


def test_robots_txt_is_obeyed_in_replay(cassette: Path, tmp_path: Path) -> None:
    code, result, items = crawl("replay", cassette, tmp_path / "out.jsonl", "https://a.example/new",
                                "https://a.example/private/page")
    assert code == 0, result
    assert [i["url"] for i in items] == ["https://a.example/new"]
    assert "1 request(s) not made: forbidden by robots.txt" in result["warnings"]


def test_a_request_missing_from_the_cassette_fails_the_crawl(cassette: Path, tmp_path: Path) -> None:
    code, result, items = crawl("replay", cassette, tmp_path / "out.jsonl", "https://a.example/new",
                                "https://a.example/not-recorded")
    assert code == 3
    assert "1 request(s) not found in cassette" in result["miss"]
    assert "GET https://a.example/not-recorded" in result["miss"]


class _Site(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802
        if self.path == "/robots.txt":
            self._send(200, b"User-agent: *\nAllow: /\n", "text/plain")
        elif self.path == "/start":
            self.send_response(302)
            self.send_header("Location", "/article")
            self.send_header("Set-Cookie", "session=secret")
            self.end_headers()
        elif self.path == "/article":
            body = gzip.compress("<html><body><p>錄製的文章：智譜上市。</p></body></html>".encode())
            self._send(200, body, "text/html; charset=utf-8", {"Content-Encoding": "gzip"})
        else:
            self._send(404, b"no", "text/plain")

    def _send(self, status: int, body: bytes, ctype: str, extra: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def local_site() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Site)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_recording_writes_a_readable_cassette_that_replays(local_site: str, tmp_path: Path) -> None:
    cassette = tmp_path / "recorded.yaml"
    code, result, live = crawl("record", cassette, tmp_path / "live.jsonl", f"{local_site}/start")
    assert code == 0, result
    assert [i["text"] for i in live] == ["<html><body><p>錄製的文章：智譜上市。</p></body></html>"]
    text = cassette.read_text(encoding="utf-8")
    assert "session=secret" not in text  # cookies scrubbed
    recorded = yaml.safe_load(text)["interactions"]
    article = next(i for i in recorded if i["request"]["uri"].endswith("/article"))
    assert "錄製的文章" in article["response"]["body"]["string"]  # stored decompressed, as text
    assert not any(k.lower() == "content-encoding" for k in article["response"]["headers"])
    assert len(Replayer(cassette)) == 3  # robots.txt, the redirect, the article

    code, result, replayed = crawl("replay", cassette, tmp_path / "replay.jsonl", f"{local_site}/start")
    assert code == 0, result
    assert result["misses"] == []
    assert [i["text"] for i in replayed] == [i["text"] for i in live]
    assert all(i["cached"] for i in replayed)
