"""6. Start-up: how long `hkipo --help` and `hkipo sql "select 1"` take, and what they import.

Wall time of the real command in a fresh process (median of several), next
to a bare `python -c pass` and to the imports the command cannot avoid
(`import click` for --help; `import duckdb` for sql), so the ratio says how
much the project adds. `python -X importtime` names the heaviest modules each
command imports.
"""

from __future__ import annotations

import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

from benchmarks.harness import Options, Ratio, Section

# Modules a command must not need: a sign it imports more than its job.
HEAVY = ("scrapy", "twisted", "yfinance", "pandas", "matplotlib", "trafilatura", "pdfplumber", "apscheduler",
         "opencc", "feedparser", "curl_cffi", "vcr", "numpy", "pyarrow", "holidays", "jinja2", "requests")


def _wall(cmd: list[str], cwd: Path, runs: int) -> float:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        res = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=120)
        times.append(time.perf_counter() - t0)
        if res.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)} failed ({res.returncode}): {res.stderr[-1500:]}")
    return statistics.median(times)


def importtime(args: list[str], cwd: Path) -> tuple[float, list[tuple[float, str]], set[str]]:
    """Total import time (s), the packages that cost most (their modules' own time summed), all packages seen."""
    res = subprocess.run([sys.executable, "-X", "importtime", "-m", "hkipo", *args], cwd=cwd, capture_output=True,
                         text=True, timeout=120)
    per_package: dict[str, float] = {}
    total = 0.0
    for line in res.stderr.splitlines():
        m = re.match(r"import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)", line)
        if not m:
            continue
        own = int(m.group(1)) / 1e6
        package = m.group(4).split(".")[0]
        per_package[package] = per_package.get(package, 0.0) + own
        total += own
    heavy = sorted(((s, n) for n, s in per_package.items()), reverse=True)[:8]
    return total, heavy, set(per_package)


def run(opts: Options) -> Section:
    t0 = time.perf_counter()
    section = Section(key="startup", title="6. Start-up", command="python -m benchmarks --only startup",
                      what=(__doc__ or "").split("\n\n", 1)[1].strip())
    work = opts.work / "startup"
    work.mkdir(parents=True, exist_ok=True)
    db_path = work / "startup.duckdb"
    runs = max(5, opts.runs * 3)
    py = sys.executable
    subprocess.run([py, "-m", "hkipo", "migrate", "--db", str(db_path)], cwd=work, capture_output=True, check=True)
    bare = _wall([py, "-c", "pass"], work, runs)
    click_only = _wall([py, "-c", "import click"], work, runs)
    duck_only = _wall([py, "-c", "import duckdb; duckdb.connect(':memory:').sql('select 1').fetchall()"], work, runs)
    helptime = _wall([py, "-m", "hkipo", "--help"], work, runs)
    sqltime = _wall([py, "-m", "hkipo", "sql", "--db", str(db_path), "select 1"], work, runs)
    section.row("python -c pass", f"{bare * 1000:.0f} ms", f"median of {runs}")
    section.row("python -c 'import click'", f"{click_only * 1000:.0f} ms", "")
    section.row("python -c 'import duckdb' + select 1 in memory", f"{duck_only * 1000:.0f} ms", "")
    section.row("hkipo --help", f"{helptime * 1000:.0f} ms", "`python -m hkipo --help`")
    section.row('hkipo sql "select 1"', f"{sqltime * 1000:.0f} ms", "on a migrated file")
    section.ratios += [
        Ratio("start-up: hkipo --help ÷ python -c 'import click'", helptime / click_only),
        Ratio("start-up: hkipo sql ÷ python -c 'import duckdb; select 1'", sqltime / duck_only),
    ]
    notes = []
    for label, args in (("hkipo --help", ["--help"]), ('hkipo sql "select 1"', ["sql", "--db", str(db_path), "select 1"])):
        total, heavy, tops = importtime(args, work)
        extra = sorted(t for t in tops if t in HEAVY)
        top = ", ".join(f"{n} {s * 1000:.0f} ms" for s, n in heavy)
        notes.append(f"`{label}` spends {total * 1000:.0f} ms importing (python -X importtime; packages by the "
                     f"time their own modules took): {top}."
                     + (f" Heavy packages imported: {', '.join(extra)}." if extra else " None of the heavy "
                        "packages (Scrapy, pandas, pyarrow, yfinance, matplotlib, …) is imported."))
    section.notes += notes
    section.seconds = time.perf_counter() - t0
    return section
