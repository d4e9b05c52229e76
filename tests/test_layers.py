"""Imports go downwards only: core → extraction → sources | warehouse → pipelines → application.

Every `import` and `from … import` in the project's packages, at any depth
(function-local imports included), is checked against the layer of the
importing module. Sources (spiders/) and the warehouse are peers: neither
may import the other. There is no exceptions list.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# (module prefix, layer name, rank); the longest matching prefix wins.
LAYERS = [
    ("hkipo", "core", 0),  # the package __init__ (version) only; its sub-packages are listed below
    ("hkipo.core", "core", 0),
    ("hkipo.extract", "extraction", 1),
    ("spiders", "sources", 2),
    ("warehouse", "warehouse", 2),
    ("pipelines", "pipelines", 3),
    ("hkipo.app", "application", 4),
    ("hkipo.__main__", "application", 4),
    ("scheduler", "application", 4),
]
PACKAGES = ("hkipo", "spiders", "warehouse", "pipelines", "scheduler")


def layer_of(module: str) -> tuple[str, int] | None:
    best = None
    for prefix, name, rank in LAYERS:
        if (module == prefix or module.startswith(prefix + ".")) and (best is None or len(prefix) > len(best[0])):
            best = (prefix, name, rank)
    return (best[1], best[2]) if best else None


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported(tree: ast.AST, module: str, is_package: bool) -> list[tuple[int, str]]:
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against this module's package
                base = module.split(".") if is_package else module.split(".")[:-1]
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            out.append((node.lineno, target))
    return out


def violations() -> list[str]:
    found = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            module = module_name(path)
            own = layer_of(module)
            assert own is not None, f"{module} is in no layer: add its package to LAYERS"
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
            for lineno, target in imported(tree, module, path.name == "__init__.py"):
                other = layer_of(target)
                if other is None or other[0] == own[0]:
                    continue
                if other[1] > own[1] or (other[1] == own[1] and other[0] != own[0]):
                    found.append(f"{path.relative_to(ROOT)}:{lineno}: {own[0]} module {module} imports "
                                 f"{other[0]} module {target}")
    return found


def test_every_import_goes_downwards() -> None:
    assert violations() == []


@pytest.mark.parametrize("module, expected", [
    ("hkipo.core.config", "core"), ("hkipo.extract.article", "extraction"), ("spiders.news", "sources"),
    ("warehouse.db", "warehouse"), ("pipelines.reconcile", "pipelines"), ("hkipo.app.cli", "application"),
    ("scheduler.daemon", "application"), ("hkipo", "core"),
])
def test_layer_map(module: str, expected: str) -> None:
    assert layer_of(module)[0] == expected


def test_the_check_catches_an_upward_import(tmp_path: Path) -> None:
    tree = ast.parse("def f():\n    from pipelines.reconcile import choose\n")
    targets = [t for _, t in imported(tree, "hkipo.extract.article", False)]
    assert targets == ["pipelines.reconcile"]
    assert layer_of(targets[0])[1] > layer_of("hkipo.extract.article")[1]
