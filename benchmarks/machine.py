"""The machine a benchmark ran on: figures mean nothing without it."""

from __future__ import annotations

import os
import platform
import subprocess
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path


@dataclass(frozen=True)
class Machine:
    cpu: str
    cores: int
    ram_gb: float
    os: str
    python: str
    versions: dict[str, str]
    git: str

    def markdown(self) -> str:
        libs = ", ".join(f"{k} {v}" for k, v in self.versions.items())
        return "\n".join([
            f"- CPU: {self.cpu}, {self.cores} cores available",
            f"- RAM: {self.ram_gb:.1f} GB",
            f"- OS: {self.os}",
            f"- Python: {self.python}",
            f"- Libraries: {libs}",
            f"- Code: {self.git}",
        ])


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _ram_gb() -> float:
    try:
        import psutil

        return psutil.virtual_memory().total / 2**30
    except ImportError:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30


def _os() -> str:
    pretty = ""
    try:
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                pretty = line.split("=", 1)[1].strip('"')
    except OSError:
        pass
    return f"{pretty or platform.system()} (kernel {platform.release()}, {platform.machine()})"


def _git(repo: Path) -> str:
    try:
        head = subprocess.run(["git", "-C", str(repo), "rev-parse", "--short", "HEAD"], capture_output=True,
                              text=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(repo), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return f"commit {head}" + (" with uncommitted changes in the working tree" if dirty else "")


def describe(repo: Path) -> Machine:
    versions = {}
    for dist in ("duckdb", "scrapy", "pyarrow", "yfinance", "trafilatura", "apscheduler", "pyinstrument"):
        try:
            versions[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            versions[dist] = "not installed"
    return Machine(
        cpu=_cpu_model(),
        cores=len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1),
        ram_gb=_ram_gb(),
        os=_os(),
        python=f"{platform.python_implementation()} {platform.python_version()}",
        versions=versions,
        git=_git(repo),
    )
