"""The analysts' copy: a read-only snapshot of the warehouse next to the live file.

DuckDB lets a read-write process exclude every other process, and an analyst's
session (a notebook, the DuckDB CLI, a BI tool) that stays open on the live
file blocks every write. So analysts read `<stem>.read.duckdb` instead, which
the writers replace after every job that changed data: checkpoint the live file
while holding its write lock (nothing else can change it then), copy its
bytes to a temporary file in the same folder, and rename that over the copy.
A session opened before the rename keeps reading the old file (its inode
lives until the session closes); a session opened after sees the new one; no
one ever waits for anyone.

A copy of the checkpointed file is the file itself: every table, view,
constraint and type queries the same. Copying bytes costs what the disk costs
(~1 GB/s, or nothing with reflinks); DuckDB's own `COPY FROM DATABASE`
re-encodes every row and is kept as the fallback (and as the benchmark's
reference) for the case a write-ahead log survives the checkpoint.

Whether a copy is due is told by two counters in `warehouse_meta`:
`data_generation`, bumped in the same transaction as every write that changed
rows (`mark_changed`), and `published_generation`, what the copy holds. A job
killed after its last batch leaves them apart and the next job publishes.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb

log = logging.getLogger(__name__)

GENERATION_KEY = "data_generation"
PUBLISHED_KEY = "published_generation"
PUBLISHED_AT_KEY = "published_at"
SUFFIX = ".read.duckdb"
_TMP_MARK = ".publishing-"


class PublishError(Exception):
    """The analysts' copy could not be written; the live file is unaffected."""


@dataclass(frozen=True)
class Published:
    """One publication: where, how long it took, how big, which data generation, how."""

    path: Path
    seconds: float
    size_bytes: int
    generation: int
    method: str  # 'file-copy' | 'copy-from-database'


def analyst_path(live: str | os.PathLike[str]) -> Path:
    """`data/hkipo.duckdb` → `data/hkipo.read.duckdb` (a path already ending in .read.duckdb is the copy)."""
    p = Path(live)
    if p.name.endswith(SUFFIX):
        return p
    stem = p.name[: -len(".duckdb")] if p.name.endswith(".duckdb") else p.name
    return p.with_name(stem + SUFFIX)


def is_analyst_path(path: str | os.PathLike[str]) -> bool:
    return Path(path).name.endswith(SUFFIX)


def _meta(con: duckdb.DuckDBPyConnection, key: str) -> str | None:
    rows = con.execute("SELECT value FROM warehouse_meta WHERE key = ?", [key]).fetchall()
    return rows[0][0] if rows else None


def _set_meta(con: duckdb.DuckDBPyConnection, key: str, value: str) -> None:
    con.execute(
        "INSERT INTO warehouse_meta (key, value) VALUES (?, ?) "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = now()",
        [key, value],
    ).fetchall()


def mark_changed(con: duckdb.DuckDBPyConnection) -> None:
    """Record that data changed; call inside the transaction that changed it."""
    con.execute(
        "INSERT INTO warehouse_meta (key, value) VALUES (?, '1') ON CONFLICT (key) DO UPDATE SET "
        "value = (CAST(warehouse_meta.value AS BIGINT) + 1)::VARCHAR, updated_at = now()",
        [GENERATION_KEY],
    ).fetchall()


def generation(con: duckdb.DuckDBPyConnection) -> int:
    value = _meta(con, GENERATION_KEY)
    return int(value) if value else 0


def is_current(con: duckdb.DuckDBPyConnection, live: str | os.PathLike[str]) -> bool:
    """True when the copy exists and holds the live file's current data generation."""
    if not analyst_path(live).exists():
        return False
    rows = con.execute(  # one query: this runs at the end of every job
        "SELECT max(value) FILTER (WHERE key = ?), max(value) FILTER (WHERE key = ?) FROM warehouse_meta "
        "WHERE key IN (?, ?)", [GENERATION_KEY, PUBLISHED_KEY, GENERATION_KEY, PUBLISHED_KEY]).fetchall()
    gen, published = rows[0]
    return published is not None and published == (gen or "0")


def publish(con: duckdb.DuckDBPyConnection, live: str | os.PathLike[str], *, force: bool = False,
            method: str = "file-copy") -> Published | None:
    """Replace the analysts' copy of `live` if it is out of date (or `force`); None if it was current.

    `con` must be the writer's connection to `live`, outside any transaction:
    holding DuckDB's write lock is what keeps the file still while it is copied.
    """
    live = Path(live)
    target = analyst_path(live)
    if not force and is_current(con, live):
        return None
    t0 = time.perf_counter()
    gen = generation(con)
    _sweep_leftovers(target)
    # Recorded before the copy so the copy carries its own generation and time.
    con.execute("BEGIN TRANSACTION").fetchall()
    try:
        _set_meta(con, PUBLISHED_KEY, str(gen))
        _set_meta(con, PUBLISHED_AT_KEY, dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"))
        con.execute("COMMIT").fetchall()
    except Exception:
        con.execute("ROLLBACK").fetchall()
        raise
    tmp = target.with_name(f"{target.name}{_TMP_MARK}{os.getpid()}")
    try:
        con.execute("CHECKPOINT").fetchall()
        wal = Path(str(live) + ".wal")
        used = method
        if method == "file-copy" and wal.exists() and wal.stat().st_size > 0:
            used = "copy-from-database"  # the file alone would miss what the log holds
        if used == "file-copy":
            _copy_bytes(live, tmp)
        else:
            _copy_from_database(con, tmp)
        os.chmod(tmp, 0o444)  # the copy is for reading; a write to it would be lost at the next publication
        # A log left by someone who wrote to the old copy must not be replayed into the new one.
        with contextlib.suppress(FileNotFoundError):
            os.unlink(str(target) + ".wal")
        os.replace(tmp, target)
        _fsync_dir(target.parent)
    except BaseException as e:
        with contextlib.suppress(OSError):
            tmp.unlink()
        with contextlib.suppress(Exception):  # so the next writer tries again
            con.execute("DELETE FROM warehouse_meta WHERE key = ?", [PUBLISHED_KEY]).fetchall()
        if isinstance(e, Exception) and not isinstance(e, PublishError):
            raise PublishError(f"cannot write the analysts' copy {target}: {e}") from e
        raise
    took = time.perf_counter() - t0
    size = target.stat().st_size
    log.info("published the analysts' copy %s (%.1f MB, generation %d) in %.2fs", target, size / 1e6, gen, took)
    return Published(path=target, seconds=took, size_bytes=size, generation=gen, method=used)


def _copy_bytes(src: Path, dst: Path) -> None:
    """Copy in the kernel (copy_file_range: a reflink where the file system has them), then fsync."""
    with open(src, "rb") as fin, open(dst, "wb") as fout:
        remaining = os.fstat(fin.fileno()).st_size
        try:
            while remaining > 0:
                n = os.copy_file_range(fin.fileno(), fout.fileno(), min(remaining, 1 << 30))
                if n == 0:
                    break
                remaining -= n
        except OSError:  # not supported here (another file system, an old kernel): plain copy
            fin.seek(0)
            fout.seek(0)
            fout.truncate()
            shutil.copyfileobj(fin, fout, 1 << 20)
        fout.flush()
        os.fsync(fout.fileno())


def _copy_from_database(con: duckdb.DuckDBPyConnection, dst: Path) -> None:
    """DuckDB's own copy of every table, view, sequence and macro into a new file."""
    source = con.execute("SELECT current_database()").fetchall()[0][0]
    alias = "hkipo_publish_target"
    escaped = str(dst).replace("'", "''")
    con.execute(f"ATTACH '{escaped}' AS {alias}").fetchall()
    try:
        con.execute(f'COPY FROM DATABASE "{source}" TO {alias}').fetchall()
    finally:
        con.execute(f"DETACH {alias}").fetchall()
    with open(dst, "rb+") as f:
        os.fsync(f.fileno())


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _sweep_leftovers(target: Path) -> None:
    """Remove temporary copies left by publishers that were killed (their pid is gone)."""
    for f in target.parent.glob(f"{target.name}{_TMP_MARK}*"):
        pid = f.name.rsplit("-", 1)[-1]
        if pid.isdigit() and int(pid) != os.getpid() and _alive(int(pid)):
            continue
        with contextlib.suppress(OSError):
            f.unlink()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def info(live: str | os.PathLike[str]) -> dict:
    """What `hkipo status` says about the copy, read from the copy itself (never the live file)."""
    target = analyst_path(live)
    out: dict = {"path": str(target), "exists": target.exists(), "published_at": None, "size_bytes": None,
                 "generation": None}
    if not out["exists"]:
        return out
    out["size_bytes"] = target.stat().st_size
    try:
        con = duckdb.connect(str(target), read_only=True, config={"enable_external_access": False})
    except duckdb.Error as e:
        out["error"] = str(e).splitlines()[0]
        return out
    try:
        out["published_at"] = _meta(con, PUBLISHED_AT_KEY)
        gen = _meta(con, PUBLISHED_KEY)
        out["generation"] = int(gen) if gen else None
    except duckdb.Error:
        pass
    finally:
        con.close()
    return out
