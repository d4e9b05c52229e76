"""Tables and views as files for the tools analysts use: Parquet (zstd) or CSV, plus schema.json.

Read from the analysts' copy, so an export never waits for the daemon nor
delays it. Each file is written under a temporary name in the target folder
and renamed when complete: a reader of the folder sees the previous file or
the new one, never half of one. Column descriptions come from the schema's
own SQL (the comment after a column, the comment block above a table or
view), or a DuckDB `COMMENT ON` where one is set.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from importlib import resources
from pathlib import Path

import duckdb

FORMATS = ("parquet", "csv")
SCHEMA_FILE = "schema.json"
_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass
class Column:
    name: str
    type: str
    description: str | None = None


@dataclass
class Exported:
    name: str
    kind: str  # 'table' | 'view'
    file: str
    rows: int
    bytes: int
    description: str | None = None
    columns: list[Column] = field(default_factory=list)


class ExportError(Exception):
    """Bad input for an export (unknown table, unwritable folder); the message says which."""


def exportable(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str]]:
    """Every base table and every `v_` view in the main schema, as (name, 'table' | 'view')."""
    rows = con.execute(
        "SELECT table_name, CASE table_type WHEN 'VIEW' THEN 'view' ELSE 'table' END "
        "FROM information_schema.tables WHERE table_schema = 'main' "
        "AND (table_type = 'BASE TABLE' OR (table_type = 'VIEW' AND table_name LIKE 'v\\_%' ESCAPE '\\')) "
        "ORDER BY table_type, table_name"
    ).fetchall()
    return [(r[0], r[1]) for r in rows]


def export(source: Path, out_dir: Path, fmt: str, *, tables: Sequence[str] | None = None,
           on_start: Callable[[int], None] | None = None,
           on_done: Callable[[Exported], None] | None = None) -> list[Exported]:
    """Write each table/view of `source` to `out_dir` as NAME.parquet or NAME.csv, then schema.json."""
    if fmt not in FORMATS:
        raise ExportError(f"unknown format {fmt!r}: use one of {', '.join(FORMATS)}")
    if out_dir.exists() and not out_dir.is_dir():
        raise ExportError(f"export target is not a directory: {out_dir}")
    # External access is needed for COPY TO; the connection is read-only all the same.
    con = duckdb.connect(str(source), read_only=True)
    try:
        available = exportable(con)
        chosen = available
        if tables:
            kinds = dict(available)
            unknown = [t for t in tables if t not in kinds]
            if unknown:
                raise ExportError(f"no such table or v_ view: {', '.join(unknown)} "
                                  f"(available: {', '.join(n for n, _ in available)})")
            chosen = [(t, kinds[t]) for t in dict.fromkeys(tables)]
        try:
            out_dir.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise ExportError(f"cannot create the export folder {out_dir}: {e.strerror or e}") from None
        descriptions = schema_descriptions()
        comments = _duckdb_comments(con)
        if on_start:
            on_start(len(chosen))
        done = []
        for name, kind in chosen:
            item = _export_one(con, name, kind, out_dir, fmt)
            table_desc, col_desc = descriptions.get(name, (None, {}))
            item.description = comments.get((name, None)) or table_desc
            for c in item.columns:
                c.description = (comments.get((name, c.name)) or col_desc.get(c.name)
                                 or COMMON_COLUMNS.get(c.name) or _by_pattern(c.name))
            done.append(item)
            if on_done:
                on_done(item)
        published = _meta(con, "published_at")
    finally:
        con.close()
    _write_schema(out_dir, fmt, source, published, done)
    return done


def _export_one(con: duckdb.DuckDBPyConnection, name: str, kind: str, out_dir: Path, fmt: str) -> Exported:
    if not _NAME_RE.match(name):  # names come from the catalog; refuse anything that would need quoting tricks
        raise ExportError(f"cannot export {name!r}: unusual name")
    final = out_dir / f"{name}.{fmt}"
    tmp = out_dir / f".{name}.{fmt}.tmp-{os.getpid()}"
    options = "FORMAT parquet, COMPRESSION zstd" if fmt == "parquet" else "FORMAT csv, HEADER true"
    target = str(tmp).replace("'", "''")
    try:
        con.execute(f"COPY (SELECT * FROM \"{name}\") TO '{target}' ({options})").fetchall()
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        os.replace(tmp, final)
    except BaseException as e:
        with contextlib.suppress(OSError):
            tmp.unlink()
        if isinstance(e, OSError):
            raise ExportError(f"cannot write {final}: {e.strerror or e}") from None
        if isinstance(e, duckdb.IOException):
            raise ExportError(f"cannot write {final}: {str(e).splitlines()[0]}") from None
        raise
    rows = con.execute(f'SELECT count(*) FROM "{name}"').fetchall()[0][0]
    cols = [Column(r[0], r[1]) for r in con.execute(
        "SELECT column_name, data_type FROM information_schema.columns "
        "WHERE table_schema = 'main' AND table_name = ? ORDER BY ordinal_position", [name]).fetchall()]
    return Exported(name=name, kind=kind, file=final.name, rows=rows, bytes=final.stat().st_size, columns=cols)


def _write_schema(out_dir: Path, fmt: str, source: Path, published: str | None, done: list[Exported]) -> None:
    doc = {
        "format": fmt,
        "compression": "zstd" if fmt == "parquet" else None,
        "exported_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "source": str(source),
        "source_published_at": published,
        "tables": [asdict(d) for d in done],
    }
    tmp = out_dir / f".{SCHEMA_FILE}.tmp-{os.getpid()}"
    try:
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(doc, f, ensure_ascii=False, indent=2)
            f.write("\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, out_dir / SCHEMA_FILE)
    except OSError as e:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise ExportError(f"cannot write {out_dir / SCHEMA_FILE}: {e.strerror or e}") from None


def _meta(con: duckdb.DuckDBPyConnection, key: str) -> str | None:
    try:
        rows = con.execute("SELECT value FROM warehouse_meta WHERE key = ?", [key]).fetchall()
    except duckdb.Error:
        return None
    return rows[0][0] if rows else None


def _duckdb_comments(con: duckdb.DuckDBPyConnection) -> dict[tuple[str, str | None], str]:
    """`COMMENT ON TABLE/VIEW/COLUMN` texts, keyed (object, column or None)."""
    out: dict[tuple[str, str | None], str] = {}
    with contextlib.suppress(duckdb.Error):
        for name, comment in con.execute(
                "SELECT table_name, comment FROM duckdb_tables() WHERE comment IS NOT NULL UNION ALL "
                "SELECT view_name, comment FROM duckdb_views() WHERE comment IS NOT NULL").fetchall():
            out[(name, None)] = comment
        for name, col, comment in con.execute(
                "SELECT table_name, column_name, comment FROM duckdb_columns() WHERE comment IS NOT NULL").fetchall():
            out[(name, col)] = comment
    return out


# --------------------------------------------------------------------------
# descriptions from the schema's SQL comments
# --------------------------------------------------------------------------

_CREATE_TABLE = re.compile(r"^\s*CREATE\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?(\w+)\s*\(", re.IGNORECASE)
_CREATE_VIEW = re.compile(r"^\s*CREATE\s+(?:OR\s+REPLACE\s+)?VIEW\s+(\w+)", re.IGNORECASE)
_ADD_COLUMN = re.compile(r"^\s*ALTER\s+TABLE\s+(\w+)\s+ADD\s+(?:COLUMN\s+)?(?:IF\s+NOT\s+EXISTS\s+)?(\w+)[^-]*--\s*(.+)$",
                         re.IGNORECASE)
_COLUMN = re.compile(r"^\s*(\w+)\s+[A-Za-z][^-]*?--\s*(.+)$")
_NOT_COLUMNS = {"PRIMARY", "UNIQUE", "CHECK", "FOREIGN", "CONSTRAINT"}


# What a column name means wherever the schema's SQL gives no comment for it.
COMMON_COLUMNS: dict[str, str] = {
    "hkex_code": "HKEX stock code, 5 digits with leading zeros",
    "symbol": "Yahoo Finance symbol, e.g. 0100.HK",
    "yahoo_symbol": "Yahoo Finance symbol, e.g. 0100.HK",
    "name_en": "English name", "name_zh_hans": "Chinese name, simplified script",
    "name_zh_hant": "Chinese name, traditional script", "aliases": "other names the security is matched by in news",
    "board_lot": "shares per board lot", "listing_date": "first trading day on HKEX",
    "offer_price": "IPO offer price per share", "currency": "ISO currency of the prices",
    "trade_date": "Hong Kong trading date of the bar", "open": "opening price", "high": "highest price",
    "low": "lowest price", "close": "closing price", "adj_close": "close adjusted for splits and dividends",
    "volume": "shares traded", "fetched_at": "when hkipo fetched the row (UTC)",
    "updated_at": "when the row last changed (UTC)", "source": "where the row came from",
    "article_id": "story id: the content fingerprint's id (syndicated copies share it)",
    "canonical_url": "URL the story was first seen at (canonicalised)", "title": "headline or title",
    "site": "publishing site", "published_at": "publication time, time-zone aware",
    "language": "language code: zh, en, ...", "script": "zh-Hans, zh-Hant or en", "text": "main text",
    "fingerprint": "content fingerprint used to collapse copies", "url": "URL (canonicalised)",
    "extractor_version": "version of the extractor that produced the row", "via_feed": "feed the URL was found in",
    "first_seen_at": "when hkipo first saw the URL (UTC)", "announcement_id": "HKEXnews NEWS_ID and language",
    "pdf_sha256": "SHA-256 of the announcement PDF", "pages": "pages in the PDF",
    "parser_version": "version of the parser that read the PDF", "claim_id": "hash of the claim's source and position",
    "metric": "what the figure measures (e.g. public_subscription_multiple)", "value": "the figure, as a number",
    "value_text": "the figure when it is not a number (ISO dates)", "unit": "unit of value: HKD, times, fraction, ...",
    "qualifier": "NULL if exact; approx, over or under", "basis": "what the figure is measured on",
    "as_of": "date the figure refers to", "source_kind": "announcement, article, prices or config",
    "source_id": "id of the source row (announcement_id, article_id, symbol)", "source_url": "where the source is",
    "quote": "the source's words the figure was read from", "extracted_at": "when the figure was extracted (UTC)",
    "computed_at": "when the row was computed (UTC)", "run_id": "id of the job run", "job": "job name",
    "started_at": "when the run started (UTC)", "finished_at": "when the run ended (UTC)",
    "status": "running, ok, partial, failed or aborted", "rows_written": "rows the run inserted or changed",
    "error": "first error of the run", "warnings": "warnings of the run", "pid": "process id of the run",
    "host": "machine the run ran on", "key": "setting name", "version": "schema migration number",
    "name": "name", "applied_at": "when the migration was applied (UTC)",
}


def _by_pattern(column: str) -> str | None:
    if column.endswith("_source") and column != "source":
        return f"where {column[: -len('_source')]} came from (a table, or claims:<source kind>)"
    if column.startswith("n_"):
        return f"number of {column[2:].replace('_', ' ')}"
    return None


def schema_descriptions() -> dict[str, tuple[str | None, dict[str, str]]]:
    """{table or view: (description, {column: description})} from the packaged migrations and views."""
    out: dict[str, tuple[str | None, dict[str, str]]] = {}
    root = resources.files("warehouse")
    files = sorted((f.name, f.read_text(encoding="utf-8")) for f in root.joinpath("migrations").iterdir()
                   if f.name.endswith(".sql"))
    files += sorted((f.name, f.read_text(encoding="utf-8")) for f in root.joinpath("views").iterdir()
                    if f.name.endswith(".sql"))
    for _, text in files:
        _parse(text, out)
    return out


def _parse(text: str, out: dict[str, tuple[str | None, dict[str, str]]]) -> None:
    block: list[str] = []
    current: str | None = None
    for line in text.splitlines():
        stripped = line.strip()
        if current is None:
            if stripped.startswith("--"):
                block.append(stripped[2:].strip())
                continue
            m = _CREATE_TABLE.match(line) or _CREATE_VIEW.match(line)
            if m:
                name = m.group(1)
                desc = _join(block)
                old_desc, cols = out.get(name, (None, {}))
                out[name] = (desc or old_desc, cols)
                current = name if _CREATE_TABLE.match(line) else None
                block = []
                continue
            m = _ADD_COLUMN.match(line)
            if m:
                out.setdefault(m.group(1), (None, {}))[1][m.group(2)] = m.group(3).strip()
            if stripped:
                block = []
            continue
        if stripped.startswith(")"):
            current = None
            continue
        m = _COLUMN.match(line)
        if m and m.group(1).upper() not in _NOT_COLUMNS:
            out[current][1][m.group(1)] = m.group(2).strip()


def _join(lines: list[str]) -> str | None:
    text = " ".join(ln for ln in lines if ln)
    return text or None
