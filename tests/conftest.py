"""Test-suite wiring: no test may reach the network, by any client.

The guard (hkipo.core.netguard) is installed before any test runs and inherited by
every hkipo subprocess through HKIPO_NETWORK_GUARD=1. Each blocked attempt is
also written to a log file, and a test with any attempt fails at teardown, so
a client that swallows the exception (yfinance does) cannot turn an escape
into a silent pass.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from hkipo.core import netguard

from helpers import run_hkipo

_GUARD_LOG = Path(os.environ.get("TMPDIR", "/tmp")) / f"hkipo-netguard-{os.getpid()}.log"
os.environ[netguard.ENV_LOG] = str(_GUARD_LOG)
netguard.install()


@pytest.fixture(autouse=True)
def _no_network_escape(request: pytest.FixtureRequest) -> Iterator[None]:
    if _GUARD_LOG.exists():
        _GUARD_LOG.unlink()
    before = len(netguard.attempts)
    yield
    tried = netguard.attempts[before:]
    if _GUARD_LOG.exists():
        tried += _GUARD_LOG.read_text(encoding="utf-8").splitlines()
        _GUARD_LOG.unlink()
    if tried and not request.node.get_closest_marker("network_escape_expected"):
        pytest.fail("test tried to reach the network:\n  " + "\n  ".join(tried[:10]), pytrace=False)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "network_escape_expected: the test deliberately tries to escape the guard")
    # Keep yfinance's on-disk cookie and time-zone caches out of the user's home
    # for tests that call yfinance outside the project's transport.
    from yfinance.cache import set_cache_location

    set_cache_location(str(Path(os.environ.get("TMPDIR", "/tmp")) / f"hkipo-yf-{os.getpid()}"))


@pytest.fixture
def tmp_db(tmp_path: Path) -> Path:
    return tmp_path / "wh.duckdb"


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    """A copy of the packaged default config in a temp dir."""
    from hkipo.core.config import default_config_text

    p = tmp_path / "hkipo.toml"
    p.write_text(default_config_text(), encoding="utf-8")
    return p


@pytest.fixture
def hkipo_cli(tmp_path: Path):  # noqa: ANN201
    """run_hkipo with the working directory in a temp dir."""

    def run(*args: str, **kw):  # noqa: ANN003, ANN202
        kw.setdefault("cwd", tmp_path)
        return run_hkipo(*args, **kw)

    return run
