"""Is a daemon running on this database, and what did it last say about itself?

Two files next to the DuckDB file:
  <db>.daemon.lock  held with an exclusive flock() for the daemon's lifetime.
                    The kernel drops the lock when the process dies, however
                    it dies, so a crashed daemon never leaves it stuck.
  <db>.daemon.json  the daemon's pid, start time and next run per job,
                    replaced atomically whenever the schedule changes.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from hkipo.core.errors import UserError


def lock_path(db_path: Path) -> Path:
    return Path(str(db_path) + ".daemon.lock")


def state_path(db_path: Path) -> Path:
    return Path(str(db_path) + ".daemon.json")


class DaemonAlreadyRunning(UserError):
    """A second daemon on the same database."""


@dataclass
class DaemonState:
    """What `hkipo status` shows about the daemon. Only a running daemon's file is believed."""

    running: bool
    pid: int | None = None
    started_at: str | None = None
    next_runs: dict[str, str | None] = field(default_factory=dict)
    cassette_dir: str | None = None
    schedule: dict[str, str] = field(default_factory=dict)  # job -> its schedule in words
    active: dict[str, str] = field(default_factory=dict)  # job -> when its current run started
    last: dict[str, dict] = field(default_factory=dict)  # job -> the daemon's last launch of it
    stopping: bool = False


def acquire_lock(db_path: Path) -> IO[str]:
    """Take the daemon lock or raise DaemonAlreadyRunning. Keep the returned file open."""
    p = lock_path(db_path)
    p.parent.mkdir(parents=True, exist_ok=True)
    f = open(p, "a+", encoding="utf-8")
    try:
        fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        f.close()
        st = read_state(db_path)
        who = f" (pid {st.pid}, started {st.started_at})" if st.pid else ""
        raise DaemonAlreadyRunning(
            f"a daemon is already running on {db_path}{who}; one daemon per database"
        ) from None
    f.seek(0)
    f.truncate()
    f.write(str(os.getpid()))
    f.flush()
    return f


def is_locked(db_path: Path) -> bool:
    p = lock_path(db_path)
    if not p.exists():
        return False
    with open(p, encoding="utf-8") as f:
        try:
            fcntl.flock(f.fileno(), fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(f.fileno(), fcntl.LOCK_UN)
        return False


def write_state(db_path: Path, data: dict[str, Any]) -> None:
    """Replace the state file atomically (readers never see half of it)."""
    p = state_path(db_path)
    tmp = p.with_name(p.name + f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data, default=str, indent=2), encoding="utf-8")
    os.replace(tmp, p)


def read_state(db_path: Path) -> DaemonState:
    running = is_locked(db_path)
    try:
        data = json.loads(state_path(db_path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        data = {}
    if not running:
        return DaemonState(running=False)
    return DaemonState(
        running=True,
        pid=data.get("pid"),
        started_at=data.get("started_at"),
        next_runs=data.get("next_runs", {}),
        cassette_dir=data.get("cassette_dir"),
        schedule=data.get("schedule", {}),
        active=data.get("active", {}),
        last=data.get("last", {}),
        stopping=bool(data.get("stopping")),
    )


def now_iso() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
