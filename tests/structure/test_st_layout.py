"""Shape of the code: ui holds Streamlit adapters only; modules and functions stay small.

import-linter checks who imports whom; it cannot check that a module *does* import something,
nor sizes, so these are checked here by reading the source (no imports, no side effects).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("kuntamittari", "datamodel", "metrics", "forecasting", "readout", "charts", "workshop", "accounts",
            "cli", "ui", "pages", "refresh", "digest", "alerts", "api", "publish")
MAX_MODULE_LINES = 500
MAX_FUNCTION_LINES = 80
#: Known exceptions, each with the reason (kept short: the list should only shrink).
EXEMPT_MODULES: dict[str, str] = {}
EXEMPT_FUNCTIONS: dict[str, str] = {
    "datamodel/loaders/core.py::_write": "loader internals, reworked with the area-division work",
    "datamodel/loaders/own_data.py::parse_own_data": "loader internals, reworked with the own-data provenance work",
    "metrics/compiler.py::compile_inputs": "the compiler, reworked with the coverage work",
}


def _sources() -> list[Path]:
    return sorted(p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py") if "migrations" not in p.parts)


def _imports(tree: ast.AST) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("path", sorted((ROOT / "ui").glob("*.py")), ids=lambda p: p.name)
def test_every_ui_module_is_a_streamlit_adapter(path: Path) -> None:
    """Logic that runs without Streamlit belongs to the readout, the metric layer or its own package.
    An adapter either uses Streamlit or is middleware of Streamlit's own ASGI server (Starlette:
    what `served_app.py` puts in front of the app for what Streamlit cannot do itself)."""
    if path.name == "__init__.py":
        return
    imports = _imports(ast.parse(path.read_text(encoding="utf-8")))
    assert imports & {"streamlit", "starlette"}, f"{path.name} uses neither Streamlit nor its server"


def test_modules_are_under_500_lines() -> None:
    too_long = []
    for path in _sources():
        rel = path.relative_to(ROOT).as_posix()
        lines = len(path.read_text(encoding="utf-8").splitlines())
        if lines > MAX_MODULE_LINES and rel not in EXEMPT_MODULES:
            too_long.append(f"{rel}: {lines} lines")
    assert not too_long, too_long


def test_functions_are_under_80_lines() -> None:
    too_long = []
    for path in _sources():
        rel = path.relative_to(ROOT).as_posix()
        if rel in EXEMPT_MODULES:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                name = f"{rel}::{node.name}"
                if length > MAX_FUNCTION_LINES and name not in EXEMPT_FUNCTIONS:
                    too_long.append(f"{name}: {length} lines")
    assert not too_long, too_long
