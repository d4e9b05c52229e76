"""Helpers shared by tests (import as `from helpers import ...`)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CASSETTES = REPO / "cassettes"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def run_hkipo(*args: str, cwd: Path | None = None, input: str | None = None, timeout: float = 120,
              env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run the real CLI in a subprocess (guarded: it inherits HKIPO_NETWORK_GUARD)."""
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "hkipo", *args],
        cwd=cwd, input=input, capture_output=True, text=True, timeout=timeout, env=full_env,
    )


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path
