"""The import kinds of ``python -m data import KIND`` and the 数据管理 page, in one list.

``REGISTERS`` are the table-only registers (no geometry, no CRS): each has an
importer ``f(engine, path, *, encoding, dry_run, filename, actor)``.
"""
from __future__ import annotations

import importlib

__all__ = ["KINDS", "REGISTERS", "register_importer"]

KINDS = ("boundaries", "compounds", "complaints", "evaluations", "credit", "fees", "parking", "inspectors",
         "companies", "township-scores")
REGISTERS = {
    "evaluations": ("data.importers.evaluations", "import_evaluations"),
    "credit": ("data.importers.credit", "import_credit"),
    "fees": ("data.importers.fees", "import_fees"),
    "inspectors": ("data.importers.inspectors", "import_inspectors"),
    "companies": ("data.importers.companies", "import_companies"),
    "township-scores": ("data.importers.township_scores", "import_township_scores"),
}


def register_importer(kind: str):
    """The import function of a table-only register (KeyError for another kind)."""
    module, func = REGISTERS[kind]
    return getattr(importlib.import_module(module), func)
