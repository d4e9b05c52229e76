"""Opening the DuckDB file: migrations, views, locking, and clear errors.

DuckDB allows one read-write process per file, and while it holds the file no
other process can open it, not even read-only. So every writer here opens,
writes one transaction and closes (`writer()`), and every opener waits with
back-off (tenacity) while another process holds the lock, saying what it waits for.
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import os
import random
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path

import duckdb
from tenacity import RetryCallState, Retrying, retry_if_exception_type, stop_after_delay, wait_exponential

from hkipo.core.errors import DatabaseError
from warehouse.publish import mark_changed

log = logging.getLogger(__name__)

_LOCK_RE = re.compile(r"Could not set lock|Conflicting lock", re.IGNORECASE)
_PID_RE = re.compile(r"\(PID (\d+)\)")
VIEWS_META_KEY = "views_checksum"


# --------------------------------------------------------------------------
# Migrations and views (packaged SQL files)
# --------------------------------------------------------------------------

def _migration_files() -> list[tuple[int, str, str]]:
    out = []
    for f in resources.files("warehouse").joinpath("migrations").iterdir():
        m = re.match(r"^(\d{4})_(\w+)\.sql$", f.name)
        if m:
            out.append((int(m.group(1)), m.group(2), f.read_text(encoding="utf-8")))
    out.sort()
    versions = [v for v, _, _ in out]
    if len(versions) != len(set(versions)):
        raise RuntimeError(f"duplicate migration versions: {versions}")
    return out


def _view_files() -> list[tuple[str, str]]:
    folder = resources.files("warehouse").joinpath("views")
    files = sorted((f.name, f.read_text(encoding="utf-8")) for f in folder.iterdir() if f.name.endswith(".sql"))
    return files


def fetch_one(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> tuple | None:
    """The first row, with the result consumed to the end.

    DuckDB 2 streams results: one read with fetchone() stays open and makes the
    next register() on the connection fail with ResourceInUseException.
    """
    rows = con.execute(sql, params or []).fetchall()
    return rows[0] if rows else None


def latest_version() -> int:
    return _migration_files()[-1][0]


def current_version(con: duckdb.DuckDBPyConnection) -> int:
    exists = fetch_one(
        con,
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'schema_version' AND table_schema = 'main'",
    )
    if not exists or exists[0] == 0:
        return 0
    row = fetch_one(con, "SELECT coalesce(max(version), 0) FROM schema_version")
    return int(row[0]) if row else 0


def migrate(con: duckdb.DuckDBPyConnection, *, path: str = "") -> list[int]:
    """Apply pending migrations in order, each in its own transaction; then the views.

    Returns the versions applied. Refuses a file from a newer schema.
    """
    files = _migration_files()
    if _up_to_date(con, files[-1][0], len(files), _views_checksum(_view_files())):
        return []
    con.execute(
        "CREATE TABLE IF NOT EXISTS schema_version ("
        " version INTEGER PRIMARY KEY, name VARCHAR NOT NULL,"
        " applied_at TIMESTAMPTZ NOT NULL DEFAULT current_timestamp)"
    ).fetchall()
    have = current_version(con)
    newest = files[-1][0]
    if have > newest:
        raise DatabaseError(
            f"{path or 'the database'} has schema version {have}, newer than this hkipo "
            f"understands ({newest}). Upgrade hkipo, or use another --db file."
        )
    # Every migration not yet recorded, in order: not only those above the newest applied (a file
    # migrated while a lower-numbered migration did not exist yet still gets it).
    recorded = {int(r[0]) for r in con.execute("SELECT version FROM schema_version").fetchall()}
    applied = []
    for version, name, sql in files:
        if version in recorded:
            continue
        con.execute("BEGIN TRANSACTION").fetchall()
        try:
            con.execute(sql).fetchall()
            con.execute("INSERT INTO schema_version (version, name) VALUES (?, ?)", [version, name]).fetchall()
            con.execute("COMMIT").fetchall()
        except Exception:
            con.execute("ROLLBACK").fetchall()
            raise
        applied.append(version)
        log.info("applied migration %04d_%s to %s", version, name, path or "database")
    if _refresh_views(con) or applied:
        mark_changed(con)  # a new schema or new views: the analysts' copy must follow
    return applied


def _views_checksum(files: list[tuple[str, str]]) -> str:
    return hashlib.sha256("\n".join(f"{n}\n{s}" for n, s in files).encode()).hexdigest()


def _up_to_date(con: duckdb.DuckDBPyConnection, newest: int, n_files: int, views_checksum: str) -> bool:
    """Schema at the newest version and views current: what nearly every open finds.

    A writer opens once per batch; the full check (table creation, the
    information_schema look-up, the views query) cost ~8 ms of each open, this ~2 ms.
    Anything else (a new file, an older or newer schema, changed views) takes
    the full path in `migrate`.
    """
    try:  # two plain queries: one with two scalar subqueries plans slower than both together
        # max and count: a file that skipped a migration (numbered below one it has) is not up to date
        version = fetch_one(con, "SELECT max(version), count(*) FROM schema_version")
        views = fetch_one(con, "SELECT value FROM warehouse_meta WHERE key = ?", [VIEWS_META_KEY])
    except duckdb.CatalogException:  # a new file (or not ours): no schema_version / warehouse_meta yet
        return False
    return version == (newest, n_files) and views == (views_checksum,)


def _refresh_views(con: duckdb.DuckDBPyConnection) -> bool:
    """Views are derived code: re-create them when their SQL text changed (True if they did)."""
    files = _view_files()
    checksum = _views_checksum(files)
    row = fetch_one(con, "SELECT value FROM warehouse_meta WHERE key = ?", [VIEWS_META_KEY])
    if row and row[0] == checksum:
        return False
    con.execute("BEGIN TRANSACTION").fetchall()
    try:
        for _name, sql in files:
            con.execute(sql).fetchall()
        con.execute(
            "INSERT INTO warehouse_meta (key, value) VALUES (?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = now()",
            [VIEWS_META_KEY, checksum],
        ).fetchall()
        con.execute("COMMIT").fetchall()
    except Exception:
        con.execute("ROLLBACK").fetchall()
        raise
    return True


def views_current(con: duckdb.DuckDBPyConnection) -> bool:
    checksum = _views_checksum(_view_files())
    try:
        row = fetch_one(con, "SELECT value FROM warehouse_meta WHERE key = ?", [VIEWS_META_KEY])
    except duckdb.CatalogException:
        return False
    return bool(row and row[0] == checksum)


# --------------------------------------------------------------------------
# Opening with clear errors and lock waits
# --------------------------------------------------------------------------

class _Locked(Exception):
    """DuckDB refused the open because another process holds the file's lock."""

    def __init__(self, who: str) -> None:
        super().__init__(who)
        self.who = who


def _backoff(*, first: float, cap: float, timeout: float, on_first_wait: Callable[[RetryCallState], None],
             retry_on: type[BaseException]) -> Retrying:
    """Retry while `retry_on` is raised, for up to `timeout` seconds, then re-raise it.

    Sleeps double from `first` up to `cap`, each scaled by a random 0.5–1.5 so
    that processes waiting on the same lock do not retry in step; the
    "waiting" line is said once, before the first sleep.
    """
    base = wait_exponential(multiplier=first, max=cap)

    def wait(state: RetryCallState) -> float:
        return base(state) * (0.5 + random.random())

    def before_sleep(state: RetryCallState) -> None:
        if state.attempt_number == 1:
            on_first_wait(state)

    return Retrying(stop=stop_after_delay(timeout), wait=wait, retry=retry_if_exception_type(retry_on),
                    before_sleep=before_sleep, reraise=True)


def turnstile_path(path: Path) -> Path:
    return Path(str(path) + ".lock")


@contextmanager
def _turnstile(path: Path, *, timeout: float, on_wait: Callable[[str], None] | None) -> Iterator[None]:
    """A turnstile in front of DuckDB's lock, so readers cannot starve writers.

    DuckDB's file lock is shared by readers, so a steady stream of
    overlapping readers (analysts, dashboards) could keep the daemon from
    ever writing. Here a writer holds <db>.lock for its whole session, and a
    reader holds it only for the milliseconds its open takes: a waiting
    writer gets the turnstile at once, new readers queue behind it, and the
    readers already open finish and let it in. Processes that do not know
    about the turnstile (the duckdb CLI) are still handled by the retry loop
    in open_connection.
    """
    lp = turnstile_path(path)
    try:
        f = open(lp, "a+")
    except OSError:  # read-only folder: no queue, DuckDB's lock still protects the file
        yield
        return

    def tell(_state: RetryCallState) -> None:
        (on_wait or log.info)(f"waiting for another hkipo process writing to {path} ...")

    try:
        _backoff(first=0.01, cap=0.5, timeout=timeout, on_first_wait=tell, retry_on=BlockingIOError)(
            fcntl.flock, f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        f.close()
        raise DatabaseError(
            f"{path} is busy: another hkipo process is writing to it; gave up after {timeout:.0f}s"
        ) from None
    try:
        yield
    finally:
        f.close()  # releases the flock

def _check_path(path: Path, *, for_write: bool) -> None:
    if path.is_dir():
        raise DatabaseError(f"database path is a directory, not a file: {path}")
    parent = path.parent if str(path.parent) else Path(".")
    if for_write and not path.exists():
        try:
            parent.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise DatabaseError(f"cannot create the directory for the database {path}: {e.strerror}") from None
    if path.exists() and not os.access(path, os.R_OK):
        raise DatabaseError(f"database file is not readable: {path}")


def _connect_once(path: Path, read_only: bool) -> duckdb.DuckDBPyConnection:
    config = {"enable_external_access": False} if read_only else {}
    return duckdb.connect(str(path), read_only=read_only, config=config)


def _translate(e: Exception, path: Path) -> DatabaseError | None:
    msg = str(e)
    if "not a valid DuckDB database file" in msg or "not a DuckDB" in msg:
        return DatabaseError(f"{path} exists but is not a DuckDB database file")
    if "Permission denied" in msg or "Read-only file system" in msg:
        return DatabaseError(f"no permission to open {path}: {msg.splitlines()[0]}")
    if "older version" in msg or "newer version" in msg or "storage version" in msg.lower():
        return DatabaseError(f"{path} was written by an incompatible DuckDB version: {msg.splitlines()[0]}")
    if "No such file or directory" in msg:
        return DatabaseError(f"cannot open {path}: no such file or directory")
    return None


def open_connection(
    path: str | os.PathLike[str],
    *,
    read_only: bool,
    lock_timeout: float = 30.0,
    on_wait: Callable[[str], None] | None = None,
) -> duckdb.DuckDBPyConnection:
    """Open the file, waiting with jittered back-off while another process holds its lock."""
    p = Path(path)
    _check_path(p, for_write=not read_only)

    def attempt() -> duckdb.DuckDBPyConnection:
        try:
            return _connect_once(p, read_only)
        except duckdb.Error as e:
            translated = _translate(e, p)
            if translated is not None:
                raise translated from None
            if not _LOCK_RE.search(str(e)):
                raise DatabaseError(f"cannot open {p}: {str(e).splitlines()[0]}") from None
            holder = _PID_RE.search(str(e))
            raise _Locked(f"process {holder.group(1)}" if holder else "another process") from None

    def tell(state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        (on_wait or log.info)(f"waiting for {getattr(exc, 'who', 'another process')} to release {p} ...")

    try:
        return _backoff(first=0.02, cap=1.0, timeout=lock_timeout, on_first_wait=tell, retry_on=_Locked)(attempt)
    except _Locked as e:
        raise DatabaseError(
            f"{p} is locked by {e.who} (a writer such as the hkipo daemon, or an open "
            f"DuckDB session); gave up after {lock_timeout:.0f}s. Close that session or retry."
        ) from None


@contextmanager
def writer(
    path: str | os.PathLike[str],
    *,
    lock_timeout: float = 30.0,
    on_wait: Callable[[str], None] | None = None,
) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open read-write, migrate, yield, close. Hold it only for one unit of work."""
    p = Path(path)
    _check_path(p, for_write=True)
    with _turnstile(p, timeout=lock_timeout, on_wait=on_wait):
        con = open_connection(p, read_only=False, lock_timeout=lock_timeout, on_wait=on_wait)
        try:
            migrate(con, path=str(path))
            yield con
        finally:
            con.close()


def _open_reader(p: Path, lock_timeout: float, on_wait: Callable[[str], None] | None) -> duckdb.DuckDBPyConnection:
    _check_path(p, for_write=False)
    with _turnstile(p, timeout=lock_timeout, on_wait=on_wait):
        return open_connection(p, read_only=True, lock_timeout=lock_timeout, on_wait=on_wait)


@contextmanager
def reader(
    path: str | os.PathLike[str],
    *,
    lock_timeout: float = 30.0,
    on_wait: Callable[[str], None] | None = None,
    turnstile: bool = True,
) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open read-only (no file access, no writes). Never creates, migrates or upgrades a file.

    A missing file is a `DatabaseError` naming the path (a typo must not
    produce an empty warehouse and 0 rows). A file from a newer schema is
    refused; one from an older schema or with older views is read as it is,
    with a warning that `hkipo migrate` (or the next job) upgrades it.
    `turnstile=False` for files no hkipo process writes in place (the
    analysts' copy): nothing to queue behind.
    """
    p = Path(path)
    if not p.exists():
        raise DatabaseError(f"no warehouse at {p}: no such file (check --db / $HKIPO_DB; "
                            "`hkipo migrate` creates an empty one, a job creates it as it writes)")
    if turnstile:
        con = _open_reader(p, lock_timeout, on_wait)
    else:
        _check_path(p, for_write=False)
        con = open_connection(p, read_only=True, lock_timeout=lock_timeout, on_wait=on_wait)
    try:
        have = current_version(con)
        if have > latest_version():
            raise DatabaseError(
                f"{p} has schema version {have}, newer than this hkipo "
                f"understands ({latest_version()}). Upgrade hkipo, or use another --db file."
            )
        if have < latest_version() or not views_current(con):
            log.warning("%s has schema version %d and %s views (this hkipo: %d); reading it as it is — "
                        "`hkipo migrate` or the next job upgrades it", p, have,
                        "current" if views_current(con) else "older", latest_version())
        yield con
    finally:
        con.close()


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """One batch = one transaction: everything in it lands, or nothing does."""
    con.execute("BEGIN TRANSACTION").fetchall()
    try:
        yield con
    except BaseException:
        con.execute("ROLLBACK").fetchall()
        raise
    con.execute("COMMIT").fetchall()


def claim_origin(con: duckdb.DuckDBPyConnection, origin: str, *, path: str = "") -> None:
    """Mark the file 'live' or 'replay' on first write; refuse to mix the two.

    A demo replayed from bundled cassettes must never land in a user's live
    warehouse, and live data must not land in a demo file.
    """
    if origin not in ("live", "replay"):
        raise ValueError(origin)
    row = fetch_one(con, "SELECT value FROM warehouse_meta WHERE key = 'data_origin'")
    if row is None:
        con.execute("INSERT INTO warehouse_meta (key, value) VALUES ('data_origin', ?)", [origin]).fetchall()
        return
    if row[0] != origin:
        hint = (
            "use a separate --db for replays (e.g. `hkipo demo` writes data/demo.duckdb)"
            if origin == "replay"
            else "this file holds replayed demo data; point --db at your live warehouse"
        )
        raise DatabaseError(
            f"{path or 'the database'} holds {row[0]} data; refusing to add {origin} data to it: {hint}"
        )
