"""The metric registry is the one list: every metric named anywhere is registered, the README's table is its output.

The checks read the source (ast for Python, the `metric = '…'` literals for
SQL), so a new extractor field, view column or report rule that names an
unregistered metric fails here, before it reaches a warehouse.
"""

from __future__ import annotations

import ast
import dataclasses
import re
from pathlib import Path

import duckdb
import pytest

from hkipo.core import metrics
from hkipo.core.items import Claim
from hkipo.extract import allotment
from hkipo.extract.claims import cues
from warehouse.claims import CLAIM_SCHEMA

ROOT = Path(__file__).resolve().parent.parent
# Calls whose first argument is a metric name, in the extractors.
_METRIC_CALLS = {"Field", "_Found", "_Meaning"}
# Literals that are allotment fields but never claims (allotment.NOT_CLAIMS), and the range the parser splits.
_NOT_METRICS = set(allotment.NOT_CLAIMS) | {"offer_price_range"}


def _python_metric_literals(path: Path) -> set[str]:
    """Metric names a module states: first arguments of Field/_Found/_Meaning/Claim, and `metric == '…'`."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call):
            fn = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
            if fn in _METRIC_CALLS and node.args and isinstance(node.args[0], ast.Constant):
                names.add(node.args[0].value)
            for kw in node.keywords:
                if kw.arg == "metric" and isinstance(kw.value, ast.Constant):
                    names.add(kw.value.value)
        if isinstance(node, ast.Compare) and isinstance(node.left, (ast.Name, ast.Attribute)):
            left = node.left.id if isinstance(node.left, ast.Name) else node.left.attr
            if left == "metric":
                for comp in node.comparators:
                    if isinstance(comp, ast.Constant) and isinstance(comp.value, str):
                        names.add(comp.value)
    return {n for n in names if isinstance(n, str)} - _NOT_METRICS


def test_every_metric_an_extractor_or_the_report_names_is_registered() -> None:
    files = [*ROOT.glob("hkipo/extract/**/*.py"), *ROOT.glob("hkipo/app/**/*.py"), *ROOT.glob("pipelines/*.py")]
    found = {str(p.relative_to(ROOT)): _python_metric_literals(p) for p in files}
    assert sum(map(len, found.values())) > 20, "the scan found almost no metric names: it is not looking"
    missing = {f: sorted(n - set(metrics.BY_NAME)) for f, n in found.items() if n - set(metrics.BY_NAME)}
    assert not missing


def test_every_metric_a_view_names_is_registered() -> None:
    named: set[str] = set()
    for sql in (ROOT / "warehouse" / "views").glob("*.sql"):
        named |= set(re.findall(r"metric\s*(?:=|<>)\s*'([a-z_]+)'", sql.read_text(encoding="utf-8")))
    assert {"offer_price", "public_subscription_multiple"} <= named
    assert named <= set(metrics.BY_NAME), sorted(named - set(metrics.BY_NAME))


def test_allotment_fields_are_registered_with_the_same_unit() -> None:
    units = {"price": "HKD", "money": "HKD", "shares": "shares", "count": "count", "times": "times",
             "percent": "fraction", "date": "date"}
    for f in allotment.FIELDS:
        if f.metric in _NOT_METRICS:
            continue
        assert metrics.get(f.metric).unit == units[f.kind], f.metric


def test_readme_metric_table_is_the_registry() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    m = re.search(r"<!-- metrics:begin[^\n]*-->\n(.*?)\n<!-- metrics:end -->", text, re.S)
    assert m, "README lost its metrics:begin/end markers"
    assert m.group(1) == metrics.readme_metric_list(), (
        "README's metric table is stale: paste hkipo.core.metrics.readme_metric_list() between the markers")


def test_cue_tables_come_from_the_registry() -> None:
    for table, kind in ((cues.PRICE_KIND, "price"), (cues.MONEY_KIND, "money"), (cues.SHARE_KIND, "shares"),
                        (cues.COUNT_KIND, "count")):
        assert list(table) == [m.name for m in metrics.with_kind(kind)]
        for name, pattern in table.items():
            assert pattern.pattern == "|".join(metrics.get(name).aliases)
    assert cues.TRANCHE["public"].search("香港公开发售") and cues.TRANCHE["international"].search("国际配售")


def test_registry_is_consistent() -> None:
    for m in metrics.METRICS:
        assert re.fullmatch(r"[a-z][a-z0-9_]*", m.name), m.name
        assert m.kind in metrics.KIND_UNIT, m
        assert m.sources and set(m.sources) <= set(metrics.ALL_SOURCES), m
        if m.bounds is not None:
            assert m.bounds[0] < m.bounds[1], m
        for alias in m.aliases:
            re.compile(alias)
    # The agreed names other work relies on are registered (issues 12, 13, 17).
    for name in ("grey_market_close", "grey_market_return", "grey_market_lot_gain", "book_institutions"):
        assert name in metrics.BY_NAME
    assert metrics.get("grey_market_close").unit == "HKD" and metrics.get("grey_market_return").unit == "fraction"
    assert {"grey_market", "formal_notice"} <= set(metrics.BASES)
    with pytest.raises(KeyError, match="not registered"):
        metrics.get("no_such_metric")


def test_claim_schema_is_the_claim_type_and_the_table(tmp_path: Path) -> None:
    """The claim's columns: the Claim type's fields plus where it came from, in Arrow and in the migration."""
    from warehouse import db

    source_columns = {"claim_id", "source_kind", "source_id", "source_url", "extractor_version", "extracted_at"}
    assert set(CLAIM_SCHEMA.names) == {f.name for f in dataclasses.fields(Claim)} | source_columns
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    try:
        db.migrate(con)
        table = [r[0] for r in con.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'claims' ORDER BY ordinal_position"
        ).fetchall()]
    finally:
        con.close()
    assert table == CLAIM_SCHEMA.names
