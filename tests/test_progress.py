"""Progress bars: on a terminal only (HKIPO_PROGRESS=force stands in for one here); never in pipes,
logs or under --log-format json; the one-screen summary is printed either way."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers import CASSETTES, run_hkipo


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("progress")
    p = tmp / "wh.duckdb"
    r = run_hkipo("job", "prices", "--cassette", str(CASSETTES / "prices.yaml"), "--db", str(p), cwd=tmp)
    assert r.returncode == 0, r.stderr
    return p


def test_export_shows_a_bar_on_a_terminal_and_keeps_its_summary(db: Path, tmp_path: Path) -> None:
    r = run_hkipo("export", str(tmp_path / "o"), "--db", str(db), cwd=tmp_path, env={"HKIPO_PROGRESS": "force"})
    assert r.returncode == 0, r.stderr
    assert "export parquet:" in r.stderr and "table/s" in r.stderr
    assert r.stdout.startswith("exported ")


@pytest.mark.parametrize("extra,env", [([], {}), (["--log-format", "json"], {"HKIPO_PROGRESS": "force"}),
                                       ([], {"HKIPO_PROGRESS": "0"})])
def test_no_bar_in_pipes_or_json_logs(db: Path, tmp_path: Path, extra: list[str], env: dict[str, str]) -> None:
    r = run_hkipo("export", str(tmp_path / "o"), "--db", str(db), *extra, cwd=tmp_path, env=env)
    assert r.returncode == 0, r.stderr
    assert "table/s" not in r.stderr and "\r" not in r.stderr
    assert r.stdout.startswith("exported ")


def test_a_replayed_prices_job_shows_a_bar_per_security(tmp_path: Path) -> None:
    r = run_hkipo("job", "prices", "--cassette", str(CASSETTES / "prices.yaml"), "--db", str(tmp_path / "w.duckdb"),
                  cwd=tmp_path, env={"HKIPO_PROGRESS": "force"})
    assert r.returncode == 0, r.stderr
    assert "prices:" in r.stderr and ("symbol/s" in r.stderr or "s/symbol" in r.stderr)
