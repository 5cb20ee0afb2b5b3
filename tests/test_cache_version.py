"""Caches across app processes: a write in one process makes every other drop its cached figures.

Real databases on both backends; the "other process" is a real subprocess.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import streamlit as st

from data import db, settings
from ui import cache_version

ROOT = Path(__file__).resolve().parents[1]


def _bump_in_another_process(url: str) -> None:
    subprocess.run([sys.executable, "-c", "import sys; from data import db, settings; "
                    "settings.bump_data_version(db.make_engine(sys.argv[1]))", url],
                   cwd=ROOT, check=True, env=dict(os.environ, PYTHONPATH=str(ROOT)), timeout=120)


def test_version_starts_empty_and_every_bump_replaces_it(engine):
    assert settings.data_version(engine) is None
    first = settings.bump_data_version(engine)
    assert settings.data_version(engine) == first
    second = settings.bump_data_version(engine)
    assert second != first and settings.data_version(engine) == second
    # an internal token, not a setting: the settings page (all_values) never shows it
    assert settings.DATA_VERSION_KEY not in settings.all_values(engine)


def test_a_bump_in_another_process_clears_this_process_cache(engine, db_url):
    calls: list[int] = []

    @st.cache_data(show_spinner=False)
    def figures(url: str, scope: tuple) -> int:
        calls.append(1)
        return len(calls)

    cache_version._seen.pop(db_url, None)
    assert cache_version.sync(db_url) is False  # first run of a process: nothing to drop
    assert figures(db_url, (1, None)) == 1 and figures(db_url, (1, None)) == 1  # cached
    assert cache_version.sync(db_url) is False  # nobody wrote: the cache stays
    assert figures(db_url, (1, None)) == 1

    _bump_in_another_process(db_url)
    assert cache_version.sync(db_url) is True  # another process imported: drop ours
    assert figures(db_url, (1, None)) == 2  # recomputed from the database
    assert cache_version.sync(db_url) is False  # once per bump, not on every run

    cache_version.bump(db_url)  # this process's own write: it cleared its caches itself, no second clear
    assert cache_version.sync(db_url) is False
    assert figures(db_url, (1, None)) == 2


def test_cli_import_bumps_the_version(tmp_path):
    from openpyxl import Workbook

    url = f"sqlite:///{tmp_path}/cli.sqlite"
    engine = db.make_engine(url)
    db.migrate(engine)
    before = settings.data_version(engine)
    book = Workbook()
    book.active.append(["企业名称", "统一社会信用代码"])
    book.active.append(["金乡县示例物业服务有限公司", "91370828MA3C000005"])
    path = tmp_path / "企业.xlsx"
    book.save(path)
    result = subprocess.run([sys.executable, "-m", "data", "import", "companies", str(path)], cwd=ROOT,
                            env=dict(os.environ, DATABASE_URL=url), capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    after = settings.data_version(engine)
    assert after is not None and after != before
