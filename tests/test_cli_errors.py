"""The CLI's last line of defence: --version, a bug's friendly message (traceback to a file), broken pipes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import click
import pytest

from helpers import run_hkipo
from hkipo import __version__
from hkipo.app import cli


def test_version() -> None:
    r = run_hkipo("--version")
    assert r.returncode == 0 and r.stdout.strip() == f"hkipo, version {__version__}"


@pytest.fixture
def buggy_command(monkeypatch: pytest.MonkeyPatch) -> None:
    @click.command()
    def boom() -> None:
        raise ZeroDivisionError("a bug on purpose")

    module = type(sys)("hkipo_test_buggy")
    module.boom = boom
    monkeypatch.setitem(sys.modules, "hkipo_test_buggy", module)
    monkeypatch.setitem(cli.COMMANDS, "boom", ("hkipo_test_buggy", "boom", "raises"))


def test_an_unexpected_error_is_a_friendly_message_with_the_log(buggy_command: None, tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("HKIPO_DEBUG", raising=False)
    monkeypatch.setenv("HKIPO_ERROR_DIR", str(tmp_path))
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["boom"])
    assert exit_info.value.code == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert "unexpected error: ZeroDivisionError: a bug on purpose" in err and "This is a bug in hkipo" in err
    logs = list(tmp_path.glob("hkipo-error-*.log"))
    assert len(logs) == 1 and str(logs[0]) in err
    saved = logs[0].read_text(encoding="utf-8")
    assert "Traceback" in saved and "ZeroDivisionError" in saved and "command: hkipo boom" in saved


def test_hkipo_debug_shows_the_traceback(buggy_command: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HKIPO_DEBUG", "1")
    with pytest.raises(ZeroDivisionError):
        cli.main(["boom"])


def test_a_closed_pipe_is_not_an_error(tmp_path: Path) -> None:
    db = tmp_path / "wh.duckdb"
    assert run_hkipo("migrate", "--db", str(db), cwd=tmp_path).returncode == 0
    p = subprocess.Popen([sys.executable, "-m", "hkipo", "sql", "--db", str(db), "--format", "csv",
                          "select * from range(200000)"], cwd=tmp_path, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    p.stdout.read(100)
    p.stdout.close()
    err = p.stderr.read().decode()
    assert p.wait(timeout=60) in (0, 1), err  # click reports EPIPE as exit 1, quietly
    assert "Traceback" not in err and "unexpected error" not in err and "Exception ignored" not in err
