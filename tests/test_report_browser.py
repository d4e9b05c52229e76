"""The report as a person sees it: opened in headless Chromium, screenshotted, checked.

Chromium is driven over the DevTools protocol on a pipe (--remote-debugging-pipe:
file descriptors 3 and 4, NUL-separated JSON), so the test needs no socket,
no websocket library and no driver. What it checks:

- every chart image decoded (complete, naturalWidth > 0) and is not blank,
  both in the browser (pixels drawn onto a canvas) and in the screenshot
  (the pixels where each chart sits);
- no request left the machine: the DevTools network log, the Performance
  API and Chromium's own net-log list nothing but the file itself and data:
  URIs, while a dead proxy and a resolver that resolves nothing would make
  any escape fail rather than succeed.
"""

from __future__ import annotations

import base64
import ipaddress
import json
import os
import re
import select
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from helpers import CASSETTES, run_hkipo
from test_report import build_warehouse

CHROMIUM = shutil.which("chromium")
needs_chromium = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (`apt-get install chromium`; "
                                                ".ci/run installs it)"),
]


def browser_test(fn):  # noqa: ANN001, ANN201
    for mark in reversed(needs_chromium):
        fn = mark(fn)
    return pytest.mark.slow(fn)
WIDTH = 1280


class Chromium:
    """Headless Chromium with the DevTools protocol on fds 3 (commands in) and 4 (replies out)."""

    def __init__(self, profile: Path, netlog: Path, timeout: float = 60.0) -> None:
        self.timeout = timeout
        self.events: list[dict[str, Any]] = []
        self._buf = b""
        self._id = 0
        to_chrome_r, self._to_chrome = os.pipe()
        self._from_chrome, from_chrome_w = os.pipe()

        def wire() -> None:  # in the child: put the pipe ends on fds 3 and 4, whatever their numbers
            a, b = os.dup(to_chrome_r), os.dup(from_chrome_w)
            os.dup2(a, 3)
            os.dup2(b, 4)

        args = [
            CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--disable-default-apps", "--disable-extensions", "--no-default-browser-check",
            "--hide-scrollbars", "--force-device-scale-factor=1", "--no-pings", "--disable-domain-reliability",
            "--disable-client-side-phishing-detection", "--disable-breakpad", "--metrics-recording-only",
            "--disable-features=Translate,OptimizationHints,MediaRouter,NetworkTimeServiceQuerying,"
            "CertificateTransparencyComponentUpdater,AutofillServerCommunication,AccountConsistency,"
            "ChromeSignin,SigninInterception",
            f"--user-data-dir={profile}",
            # Any escape must fail: a proxy nobody listens on, and a resolver that resolves nothing.
            "--proxy-server=127.0.0.1:9", "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE localhost",
            f"--log-net-log={netlog}", "--net-log-capture-mode=Everything",
            "--remote-debugging-pipe", "about:blank",
        ]
        self._log = open(profile.parent / "chromium-stderr.log", "wb")  # noqa: SIM115 - closed in close()
        self.proc = subprocess.Popen(args, preexec_fn=wire, close_fds=False, stdin=subprocess.DEVNULL,
                                     stdout=self._log, stderr=self._log)
        os.close(to_chrome_r)
        os.close(from_chrome_w)

    def _read(self) -> dict[str, Any]:
        deadline = time.monotonic() + self.timeout
        while b"\0" not in self._buf:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([self._from_chrome], [], [], remaining)[0]:
                raise TimeoutError(f"no reply from Chromium in {self.timeout:.0f}s")
            chunk = os.read(self._from_chrome, 1 << 16)
            if not chunk:
                raise EOFError("Chromium closed the DevTools pipe")
            self._buf += chunk
        raw, self._buf = self._buf.split(b"\0", 1)
        return json.loads(raw)

    def call(self, method: str, params: dict[str, Any] | None = None, session: str | None = None) -> dict[str, Any]:
        self._id += 1
        msg: dict[str, Any] = {"id": self._id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self._to_chrome, json.dumps(msg).encode() + b"\0")
        while True:
            reply = self._read()
            if reply.get("id") == self._id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply["result"]
            self.events.append(reply)

    def wait_for(self, method: str) -> dict[str, Any]:
        while True:
            for e in self.events:
                if e.get("method") == method:
                    return e
            self.events.append(self._read())

    def evaluate(self, session: str, expression: str) -> Any:
        res = self.call("Runtime.evaluate", {"expression": expression, "returnByValue": True,
                                             "awaitPromise": True}, session)
        if "exceptionDetails" in res:
            raise RuntimeError(f"page script failed: {res['exceptionDetails']}")
        return res["result"].get("value")

    def close(self) -> None:
        try:
            self.call("Browser.close")
        except (EOFError, OSError, RuntimeError, TimeoutError):
            pass
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        for fd in (self._to_chrome, self._from_chrome):
            try:
                os.close(fd)
            except OSError:
                pass
        self._log.close()


# In the page: each chart image, whether it decoded, and how many distinct colours a canvas sees in it.
IMAGES_JS = """
(async () => {
  const out = [];
  for (const img of document.images) {
    await img.decode().catch(() => null);
    const r = img.getBoundingClientRect();
    let colours = 0;
    if (img.naturalWidth > 0) {
      const c = document.createElement('canvas');
      c.width = img.naturalWidth; c.height = img.naturalHeight;
      const g = c.getContext('2d');
      g.drawImage(img, 0, 0);
      const px = g.getImageData(0, 0, c.width, c.height).data;
      const seen = new Set();
      for (let i = 0; i < px.length && seen.size < 500; i += 4 * 7) seen.add((px[i] << 16) | (px[i+1] << 8) | px[i+2]);
      colours = seen.size;
    }
    out.push({chart: img.dataset.chart || '', scheme: img.src.split(':')[0], complete: img.complete,
              naturalWidth: img.naturalWidth, colours,
              x: r.left + scrollX, y: r.top + scrollY, w: r.width, h: r.height});
  }
  return out;
})()
"""
RESOURCES_JS = "performance.getEntriesByType('resource').map(e => e.name.slice(0, 80))"


def _external(url: str) -> bool:
    return not url.startswith(("data:", "file:", "about:", "chrome:", "devtools:"))


def render_in_browser(html_path: Path, work: Path) -> dict[str, Any]:
    """Open the report, wait for it, and return what the page and the network saw, plus a full-page screenshot."""
    profile = work / "profile"
    profile.mkdir(parents=True)
    netlog = work / "netlog.json"
    browser = Chromium(profile, netlog)
    try:
        target = browser.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = browser.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        browser.call("Page.enable", session=session)
        browser.call("Network.enable", session=session)
        browser.call("Emulation.setDeviceMetricsOverride",
                     {"width": WIDTH, "height": 900, "deviceScaleFactor": 1, "mobile": False}, session)
        browser.call("Page.navigate", {"url": html_path.resolve().as_uri()}, session)
        browser.wait_for("Page.loadEventFired")
        images = browser.evaluate(session, IMAGES_JS)
        resources = browser.evaluate(session, RESOURCES_JS)
        title = browser.evaluate(session, "document.title")
        headings = browser.evaluate(session, "[...document.querySelectorAll('h2')].map(h => h.textContent)")
        height = browser.evaluate(session, "Math.ceil(document.documentElement.scrollHeight)")
        browser.call("Emulation.setDeviceMetricsOverride",
                     {"width": WIDTH, "height": height, "deviceScaleFactor": 1, "mobile": False}, session)
        shot = browser.call("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True}, session)
        requests = [e["params"]["request"]["url"] for e in browser.events
                    if e.get("method") == "Network.requestWillBeSent"]
    finally:
        browser.close()
    screenshot = work / "report.png"
    screenshot.write_bytes(base64.b64decode(shot["data"]))
    return {"images": images, "resources": resources, "requests": requests, "title": title,
            "headings": headings, "screenshot": screenshot, "netlog": netlog}


def _is_loopback(address: str) -> bool:
    host = address.rsplit(":", 1)[0].strip("[]")
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def _netlog_traffic(netlog: Path) -> tuple[list[str], list[str]]:
    """From Chromium's own net-log: (traffic that left the machine, external URLs it tried).

    Traffic means a TCP connection to a non-loopback address, or any bytes
    sent or received on a socket. Chromium's housekeeping (update checks,
    account lists) still *tries* URLs despite the flags; the resolver rule
    refuses them before any socket opens, which is what the first list checks.
    """
    log = json.loads(netlog.read_text(encoding="utf-8"))
    names = {v: k for k, v in log["constants"]["logEventTypes"].items()}
    left, tried = [], []
    for event in log.get("events", []):
        kind = names.get(event["type"], "")
        params = event.get("params") or {}
        if kind in ("TCP_CONNECT", "TCP_CONNECT_ATTEMPT"):
            addresses = params.get("address_list") or ([params["address"]] if "address" in params else [])
            left += [f"{kind} {a}" for a in addresses if not _is_loopback(a)]
        elif kind in ("SOCKET_BYTES_SENT", "SOCKET_BYTES_RECEIVED", "UDP_BYTES_SENT", "UDP_BYTES_RECEIVED",
                      "HTTP_TRANSACTION_READ_RESPONSE_HEADERS"):
            left.append(f"{kind} {params}")
        elif kind == "REQUEST_ALIVE" and isinstance(params.get("url"), str) and _external(params["url"]):
            tried.append(params["url"])
    return left, tried


def _screen_colours(screenshot: Path, box: dict[str, float]) -> int:
    from PIL import Image

    with Image.open(screenshot) as im:
        crop = im.convert("RGB").crop((int(box["x"]) + 2, int(box["y"]) + 2,
                                       int(box["x"] + box["w"]) - 2, int(box["y"] + box["h"]) - 2))
        return len(crop.getcolors(maxcolors=1 << 20) or [])


@browser_test
def test_report_renders_in_chromium_with_every_chart_drawn_and_no_network(tmp_path: Path, hkipo_cli) -> None:  # noqa: ANN001
    db_path = build_warehouse(tmp_path / "wh.duckdb")
    res = hkipo_cli("report", "--out", str(tmp_path / "report"), "--db", str(db_path))
    assert res.returncode == 0, res.stderr
    html_path = Path(res.stdout.strip())

    seen = render_in_browser(html_path, tmp_path / "browser")

    assert seen["title"].startswith("Hong Kong IPO report")
    assert [h.split(":")[0] for h in seen["headings"]] == [
        "IPO calendar", "Per IPO", "Subscription across tracked IPOs", "Every Hong Kong IPO", "News coverage",
        "Conflicting claims", "Reconciled figures and their sources", "When each figure was last refreshed"]
    charts = [i["chart"] for i in seen["images"]]
    # two IPOs × (price since listing + first day), subscription, coverage, and the market section's two
    # (first-day return against public multiple, IPOs per month)
    assert len(charts) == 8, charts
    for img in seen["images"]:
        assert img["scheme"] == "data", img
        assert img["complete"] and img["naturalWidth"] > 0, f"chart did not decode: {img['chart']}"
        assert img["colours"] > 20, f"chart looks blank in the browser: {img['chart']} ({img['colours']} colours)"
        assert img["w"] > 200 and img["h"] > 150, f"chart laid out too small: {img}"
        assert _screen_colours(seen["screenshot"], img) > 20, f"chart blank on screen: {img['chart']}"

    external = [u for u in seen["requests"] + seen["resources"] if _external(u)]
    assert not external, f"the page asked the network for: {external}"
    assert seen["requests"][0].startswith("file:"), seen["requests"][:3]
    assert all(u.startswith("data:image/png") for u in seen["requests"][1:]), seen["requests"]
    left, _tried = _netlog_traffic(seen["netlog"])
    assert not left, f"traffic left the machine (Chromium net-log): {left[:10]}"


@browser_test
def test_the_browser_checks_catch_a_page_that_reaches_out(tmp_path: Path) -> None:
    """The control: a page with one remote image (and no CSP) is caught, and still nothing leaves."""
    page = tmp_path / "leaky.html"
    page.write_text('<!DOCTYPE html><html><head><meta charset="utf-8"><title>leaky</title></head><body>'
                    '<h2>leaky</h2><img src="http://images.example.invalid/pixel.png" data-chart="remote">'
                    "</body></html>", encoding="utf-8")
    seen = render_in_browser(page, tmp_path / "browser")
    assert "http://images.example.invalid/pixel.png" in seen["requests"]
    assert [i["naturalWidth"] for i in seen["images"]] == [0]
    left, tried = _netlog_traffic(seen["netlog"])
    assert "http://images.example.invalid/pixel.png" in tried
    assert not left, left


@pytest.fixture(scope="module")
def bundled_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """What the README demo does: replay the bundled cassettes, then write the report."""
    tmp = tmp_path_factory.mktemp("bundled")
    db_path = tmp / "demo.duckdb"
    res = run_hkipo("refresh", "--cassette-dir", str(CASSETTES), "--db", str(db_path), cwd=tmp, timeout=300)
    assert res.returncode == 0, res.stdout + res.stderr
    res = run_hkipo("report", "--out", str(tmp / "report"), "--db", str(db_path), cwd=tmp)
    assert res.returncode == 0, res.stderr
    return Path(res.stdout.strip())


@pytest.mark.slow
def test_report_from_the_bundled_cassettes_offline(bundled_report: Path) -> None:
    html = bundled_report.read_text(encoding="utf-8")
    charts = re.findall(r'data-chart="([^"]+)"', html)
    # prices.yaml: both IPOs' first days from the listing-day bars (REAL figures in the cassette)
    for name in ("00100 MiniMax", "02513 Knowledge Atlas Technology (Zhipu)"):
        assert any(c.startswith(name) and "price since listing" in c for c in charts), (name, charts)
        assert any(c.startswith(name) and "first day vs offer" in c for c in charts), (name, charts)
    for text in ("HK$235.40", "HK$345.00", "+109.09%", "HK$120.00", "HK$131.50", "+13.17%"):
        assert text in html, text
    # hkex.yaml: the allotment results, linked to their PDFs
    assert "Subscription across tracked IPOs" in charts
    for text in ("1,837.17×", "36.76×", "1,159.46×", "15.28×", "2.81%", "5.00%", "417,646", "204,871"):
        assert text in html, text
    assert 'href="https://www1.hkexnews.hk/listedco/listconews/sehk/' in html
    # news.yaml: coverage per day by script and site, and the claims news makes
    assert any(c.startswith("News coverage per") for c in charts)
    coverage = html[html.index('id="coverage"'):html.index('id="conflicts"')]
    assert "Traditional" in coverage and "Simplified" in coverage and "English" in coverage
    conflicts = html[html.index('id="conflicts"'):html.index('id="figures"')]
    assert 'class="conflict"' in conflicts and 'href="https://' in conflicts
    assert "demo data replayed from recorded cassettes" in html


@browser_test
def test_report_from_the_bundled_cassettes_in_chromium(bundled_report: Path, tmp_path: Path) -> None:
    html_path = bundled_report
    n_charts = len(re.findall(r"data-chart=", html_path.read_text(encoding="utf-8")))
    seen = render_in_browser(html_path, tmp_path / "browser")
    assert len(seen["images"]) == n_charts == 8
    for img in seen["images"]:
        assert img["complete"] and img["naturalWidth"] > 0 and img["colours"] > 20, img["chart"]
        assert _screen_colours(seen["screenshot"], img) > 20, img["chart"]
    assert not [u for u in seen["requests"] + seen["resources"] if _external(u)]
    left, _tried = _netlog_traffic(seen["netlog"])
    assert not left, left
