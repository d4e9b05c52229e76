"""4. Daemon footprint: resident memory over many cycles, and CPU while idle.

`hkipo daemon` runs as users run it, from a generated config whose only job is
the cheap `stats` job on a sub-second interval, so hundreds of cycles (each a
child process launched, watched, logged and recorded) pass in minutes. The
daemon's resident set (RSS, psutil) is sampled after the 10th and the last
finished cycle; the growth ratio is the second over the first. Idle CPU is
then measured on a daemon whose next run is a minute away: CPU seconds used
over 30 s of waiting, as a share of one core.
"""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time
from pathlib import Path

from benchmarks import synth
from benchmarks.harness import Options, Ratio, Section

_FINISHED = re.compile(r"scheduler\.daemon: stats finished: ok")  # the daemon's line, not the relayed child's


class _Daemon:
    def __init__(self, work: Path, config: Path, db_path: Path, name: str):
        self.log = work / f"{name}.log"
        self._out = open(self.log, "wb")
        self.proc = subprocess.Popen([sys.executable, "-m", "hkipo", "daemon", "--config", str(config),
                                      "--db", str(db_path)], cwd=work, stdout=self._out,
                                     stderr=subprocess.STDOUT)

    def cycles(self) -> int:
        return len(_FINISHED.findall(self.log.read_text(encoding="utf-8", errors="replace")))

    def wait_cycles(self, n: int, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while self.cycles() < n:
            if self.proc.poll() is not None:
                raise RuntimeError(f"daemon exited ({self.proc.returncode}):\n{self.log.read_text()[-3000:]}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"daemon did only {self.cycles()} of {n} cycles in {timeout:.0f} s")
            time.sleep(0.1)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._out.close()


def _config(work: Path, name: str, interval_minutes: float) -> Path:
    path = work / f"{name}.toml"
    path.write_text(synth.config_text(synth.default_watchlist(), schedule={
        "jobs": ["stats"], "stats_interval_minutes": interval_minutes, "max_parallel_jobs": 1,
        "wakeup_seconds": 60,
    }, logging={"level": "INFO"}), encoding="utf-8")
    return path


def _rss_mb(pid: int) -> tuple[float, float]:
    import psutil

    p = psutil.Process(pid)
    full = p.memory_full_info()
    return full.rss / 2**20, full.uss / 2**20


def _fresh(db_path: Path) -> None:
    for p in db_path.parent.glob(db_path.name + "*"):
        p.unlink()


def run(opts: Options) -> Section:
    import psutil

    t0 = time.perf_counter()
    section = Section(key="daemon", title="4. Daemon footprint", command="python -m benchmarks --only daemon",
                      what=(__doc__ or "").split("\n\n", 1)[1].strip())
    work = opts.work / "daemon"
    work.mkdir(parents=True, exist_ok=True)
    first, last = 10, (60 if opts.quick else 500)
    db_path = work / "daemon.duckdb"
    _fresh(db_path)
    config = _config(work, "cycles", 0.01)  # every 0.6 s: a new cycle starts as soon as one ends
    d = _Daemon(work, config, db_path, "cycles")
    try:
        d.wait_cycles(first, timeout=600)
        rss_first, uss_first = _rss_mb(d.proc.pid)
        cpu_first = sum(psutil.Process(d.proc.pid).cpu_times()[:2])
        t_first = time.perf_counter()
        d.wait_cycles(last, timeout=max(600, 6 * last))
        rss_last, uss_last = _rss_mb(d.proc.pid)
        cpu_last = sum(psutil.Process(d.proc.pid).cpu_times()[:2])
        t_last = time.perf_counter()
        threads = psutil.Process(d.proc.pid).num_threads()
    finally:
        d.stop()
    cycles = last - first
    per_cycle = (t_last - t_first) / cycles
    section.row("cycles", f"{last}", f"stats job every 0.6 s, one at a time; {per_cycle:.2f} s per cycle "
                                      "(child start-up to its run record)")
    section.row(f"daemon RSS after {first} cycles", f"{rss_first:.1f} MiB", f"USS {uss_first:.1f} MiB")
    section.row(f"daemon RSS after {last} cycles", f"{rss_last:.1f} MiB", f"USS {uss_last:.1f} MiB; {threads} threads")
    section.row("daemon CPU per cycle", f"{(cpu_last - cpu_first) / cycles * 1000:.1f} ms",
                "scheduling, launching, log relay, state file (the child's own CPU not included)")
    section.ratios.append(Ratio(f"daemon: RSS after {last} / after {first} cycles", rss_last / rss_first))

    # Idle: the next run a minute away, nothing to do but wait.
    _fresh(db_path)
    config = _config(work, "idle", 1.0)
    d = _Daemon(work, config, db_path, "idle")
    try:
        d.wait_cycles(1, timeout=300)  # the catch-up run at start
        time.sleep(2)
        p = psutil.Process(d.proc.pid)
        c0, w0 = sum(p.cpu_times()[:2]), time.perf_counter()
        window = 10 if opts.quick else 30
        time.sleep(window)
        c1, w1 = sum(p.cpu_times()[:2]), time.perf_counter()
        idle_rss, _ = _rss_mb(d.proc.pid)
        runs_during = d.cycles() - 1
    finally:
        d.stop()
    idle = (c1 - c0) / (w1 - w0)
    section.row("idle CPU", f"{idle:.3%} of one core",
                f"{c1 - c0:.3f} CPU s over {w1 - w0:.0f} s of waiting"
                + (f" (a run started meanwhile: {runs_during})" if runs_during else ""))
    section.row("idle daemon RSS", f"{idle_rss:.1f} MiB", "")
    section.ratios.append(Ratio("daemon: idle CPU, share of one core", idle, 0.01, at_most=True))
    section.seconds = time.perf_counter() - t0
    return section
