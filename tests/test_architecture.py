"""Import rules of DESIGN.md, checked by parsing every module with ``ast``.

    pages, dashboard.py  →  ui  →  layers, policy, data  →  geo

- ``geo`` imports no project package; ``data`` and ``policy`` import only ``geo``;
  ``layers`` imports ``geo``, ``data``, ``policy``; ``ui`` those four; ``pages``/``dashboard.py`` anything.
- Only ``pages/``, ``ui/`` and ``dashboard.py`` import streamlit (or a ``streamlit_*`` component).
- ``policy`` does no I/O: no file, database, network or process modules, no ``open()``,
  no ``read_*``/``to_*`` file methods.
- ``tests/`` and ``scripts/`` are unrestricted.
Imports inside functions and ``if TYPE_CHECKING:`` blocks count too, as do
``importlib.import_module("…")`` / ``__import__("…")`` with a literal name.
"""
from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

PROJECT = {"geo", "data", "policy", "layers", "ui", "pages", "dashboard"}
ALLOWED = {  # package → project packages it may import (besides itself)
    "geo": set(),
    "data": {"geo", "policy"},  # storing applies pure rules (routing at import); policy never imports data
    "policy": {"geo"},
    "layers": {"geo", "data", "policy"},
    "ui": {"geo", "data", "policy", "layers"},  # shared page helpers never import a page
    "pages": PROJECT,
    "dashboard": PROJECT,
}
UI_PACKAGES = {"pages", "ui", "dashboard"}  # the only places streamlit may be imported
UNRESTRICTED = {"tests", "scripts"}
SKIP_DIRS = {".venv", "venv", ".git", "var", "artifacts", "static", "node_modules", "build", "dist", "__pycache__"}

IO_MODULES = {  # policy/ is pure: rules in, results out
    "os", "io", "pathlib", "shutil", "tempfile", "glob", "subprocess", "socket", "sqlite3", "urllib", "http",
    "requests", "sqlalchemy", "alembic", "psycopg", "psycopg2", "pyogrio", "fiona", "openpyxl", "pickle", "shelve",
    "csv", "logging",
}
IO_METHODS = {
    "read_csv", "read_excel", "read_file", "read_parquet", "read_feather", "read_sql", "read_sql_query",
    "read_sql_table", "read_postgis", "read_json", "to_csv", "to_excel", "to_file", "to_parquet", "to_feather",
    "to_sql", "to_postgis", "read_text", "read_bytes", "write_text", "write_bytes",
}


@dataclass(frozen=True)
class Violation:
    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


def package_of(relpath: str) -> str | None:
    """Top-level project package a file belongs to (``dashboard`` for dashboard.py), else None."""
    parts = Path(relpath).parts
    if len(parts) == 1:
        return Path(parts[0]).stem if Path(parts[0]).stem in PROJECT else None
    return parts[0] if parts[0] in PROJECT else None


def _resolve_relative(relpath: str, module: str | None, level: int) -> str:
    """``from ..x import y`` in ``data/io/csv.py`` → ``data.x``."""
    package = list(Path(relpath).parent.parts)  # a module's package; for __init__.py, itself
    base = package[: max(len(package) - (level - 1), 0)]
    return ".".join([*base, module] if module else base)


def imported_modules(tree: ast.AST, relpath: str):
    """Yield ``(line, dotted module name)`` for every import in the tree."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                yield node.lineno, _resolve_relative(relpath, node.module, node.level)
            else:
                yield node.lineno, node.module or ""
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant) \
                and isinstance(node.args[0].value, str):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
            if name in {"import_module", "__import__"}:
                yield node.lineno, node.args[0].value


def _is_streamlit(top: str) -> bool:
    return top == "streamlit" or top.startswith("streamlit_")


def check_source(source: str, relpath: str) -> list[Violation]:
    """All rule violations in one module; ``relpath`` is relative to the repo root (``geo/crs.py``)."""
    relpath = Path(relpath).as_posix()
    if Path(relpath).parts[0] in UNRESTRICTED:
        return []
    try:
        tree = ast.parse(source, filename=relpath)
    except SyntaxError as exc:
        return [Violation(relpath, exc.lineno or 0, f"cannot parse: {exc.msg}")]
    package = package_of(relpath)
    found: list[Violation] = []
    for line, module in imported_modules(tree, relpath):
        top = module.split(".")[0]
        if _is_streamlit(top) and package not in UI_PACKAGES:
            found.append(Violation(relpath, line, f"imports {module}: only pages/, ui/ and dashboard.py may use streamlit"))
        if package in ALLOWED and top in PROJECT and top != package and top not in ALLOWED[package]:
            allowed = ", ".join(sorted(ALLOWED[package])) or "no project package"
            found.append(Violation(relpath, line, f"{package} imports {module}: {package} may import {allowed}"))
        if package == "policy" and top in IO_MODULES:
            found.append(Violation(relpath, line, f"policy imports {module}: policy/ does no I/O"))
    if package == "policy":
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                func = node.func
                if isinstance(func, ast.Name) and func.id == "open":
                    found.append(Violation(relpath, node.lineno, "policy calls open(): policy/ does no I/O"))
                elif isinstance(func, ast.Attribute) and func.attr in IO_METHODS:
                    found.append(Violation(relpath, node.lineno, f"policy calls .{func.attr}(): policy/ does no I/O"))
    return found


def project_files(root: Path = ROOT) -> list[Path]:
    files = []
    for path in root.rglob("*.py"):
        rel = path.relative_to(root)
        if any(part in SKIP_DIRS or part.startswith(".") for part in rel.parts[:-1]):
            continue
        files.append(path)
    return sorted(files)


def check_tree(root: Path = ROOT) -> tuple[list[Violation], int]:
    violations: list[Violation] = []
    files = project_files(root)
    for path in files:
        rel = path.relative_to(root).as_posix()
        violations += check_source(path.read_text(encoding="utf-8"), rel)
    return violations, len(files)


# --------------------------------------------------------------------------- the real tree
def test_import_rules_hold_for_the_whole_project():
    violations, scanned = check_tree()
    assert scanned > 0
    assert not violations, f"{len(violations)} import rule violation(s):\n" + "\n".join(map(str, violations))


def test_scan_sees_the_project_packages():
    scanned = {package_of(p.relative_to(ROOT).as_posix()) for p in project_files()}
    assert Path(__file__).resolve() in project_files()
    assert scanned & {"geo", "data", "policy", "layers", "pages", "dashboard"}, "no project module found"


# --------------------------------------------------------------------------- the checker itself
@pytest.mark.parametrize("relpath, source, expected", [
    ("geo/crs.py", "import streamlit as st\n", "geo/crs.py:1: imports streamlit"),
    ("layers/compounds.py", "x = 1\nfrom streamlit_folium import st_folium\n", "layers/compounds.py:2: imports streamlit_folium"),
    ("data/db.py", "def f():\n    import streamlit\n", "data/db.py:2: imports streamlit"),
    ("geo/assign.py", "from data.db import make_engine\n", "geo/assign.py:1: geo imports data.db"),
    ("geo/__init__.py", "import policy\n", "geo/__init__.py:1: geo imports policy"),
    ("data/db.py", "from layers import compounds\n", "data/db.py:1: data imports layers"),
    ("policy/votes.py", "from data import queries\n", "policy/votes.py:1: policy imports data"),
    ("policy/ranking.py", "from data import vocab\n", "policy/ranking.py:1: policy imports data"),
    ("policy/ranking.py", "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from layers.x import y\n",
     "policy/ranking.py:3: policy imports layers.x"),
    ("layers/heat.py", "import ui.cache\n", "layers/heat.py:1: layers imports ui.cache"),
    ("data/io/shp.py", "from ...layers import base\n", "data/io/shp.py:1: data imports layers"),
    ("geo/crs.py", "from ..data import db\n", "geo/crs.py:1: geo imports data"),
    ("geo/crs.py", "import importlib\nm = importlib.import_module('data.db')\n", "geo/crs.py:2: geo imports data.db"),
    ("policy/votes.py", "import sqlite3\n", "policy/votes.py:1: policy imports sqlite3"),
    ("policy/votes.py", "def f(p):\n    return open(p).read()\n", "policy/votes.py:2: policy calls open()"),
    ("policy/votes.py", "def f(df):\n    df.to_excel('x.xlsx')\n", "policy/votes.py:2: policy calls .to_excel()"),
    ("helpers_at_root.py", "import streamlit\n", "helpers_at_root.py:1: imports streamlit"),
    ("geo/broken.py", "def f(:\n", "geo/broken.py:1: cannot parse"),
])
def test_checker_catches(relpath, source, expected):
    messages = [str(v) for v in check_source(source, relpath)]
    assert any(m.startswith(expected) for m in messages), messages


@pytest.mark.parametrize("relpath, source", [
    ("dashboard.py", "import streamlit as st\nfrom ui import cache\nfrom layers import x\nimport data, policy, geo\n"),
    ("pages/map.py", "import streamlit as st\nfrom streamlit_folium import st_folium\nfrom data.db import q\n"),
    ("layers/compounds.py", "import folium\nfrom geo import crs\nfrom data import vocab\nfrom policy import ladders\n"),
    ("policy/ladders.py", "from dataclasses import dataclass\nimport math\nfrom geo.crs import to_gcj02\nfrom . import votes\n"),
    ("data/db.py", "import sqlalchemy\nfrom geo import crs\nfrom .schema import metadata\nfrom . import vocab\n"),
    ("geo/crs.py", "import numpy as np\nimport pyproj\nfrom .distance import distance_m\n"),
    ("tests/test_x.py", "import streamlit\nfrom streamlit.testing.v1 import AppTest\nfrom pages import a\n"),
    ("scripts/tool.py", "import streamlit\nimport layers\n"),
])
def test_checker_accepts(relpath, source):
    assert check_source(source, relpath) == []


def test_pages_folder_holds_only_pages():
    """Streamlit lists every ``.py`` in ``pages/`` as a page on the first load:
    helpers there flash in the sidebar under their file names. They live in ``ui/``."""
    from ui.nav import LOGIN, PAGES

    page_files = {Path(spec.path).name for spec in (*PAGES, LOGIN)}
    present = {p.name for p in (ROOT / "pages").glob("*.py")} - {"__init__.py"}
    assert present <= page_files, f"not pages, move to ui/: {sorted(present - page_files)}"
