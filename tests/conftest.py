"""Shared fixtures: databases (SQLite and PostgreSQL/PostGIS) and the CI no-skip rule.

Fixtures
--------
pg_server_url  session   admin URL (database ``postgres``) of a PostgreSQL server:
                         ``TEST_POSTGRES_URL`` if set, else a throwaway cluster started here.
db_url         function  parametrised ["sqlite", "postgresql"]: URL of a fresh, empty database
                         (SQLite file in tmp_path / new PostgreSQL database with PostGIS).
pg_url         function  URL of a fresh PostgreSQL database with PostGIS (for @pytest.mark.postgis tests).

Under ``CI=true`` nothing may be skipped for want of a browser or a database:
the fixtures fail instead of skipping, and any other skip is turned into a
failure unless the test is marked ``@pytest.mark.allow_skip``.
"""
from __future__ import annotations

import gc
import importlib.util
import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
IN_CI = os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def _load_pg_helpers():
    # loaded by path: a top-level `scripts` package from site-packages must not shadow ours
    spec = importlib.util.spec_from_file_location("_pg_test_server", ROOT / "scripts" / "pg_test_server.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


pg_helpers = _load_pg_helpers()


def skip_or_fail(reason: str):
    """Skip locally; fail loudly under CI=true."""
    if IN_CI:
        pytest.fail(f"CI=true and {reason}", pytrace=False)
    pytest.skip(reason)


# --------------------------------------------------------------------------- PostgreSQL
@pytest.fixture(scope="session")
def pg_server_url():
    """Admin URL (``postgresql+psycopg://…/postgres``) of a PostgreSQL server with PostGIS available."""
    external = os.environ.get("TEST_POSTGRES_URL", "").strip()
    server = None
    if external:
        url = pg_helpers.to_sqlalchemy_url(external)
    else:
        reason = pg_helpers.unavailable_reason()
        if reason:
            skip_or_fail(reason)
        server = pg_helpers.PgTestServer()
        try:
            url = server.start()
        except RuntimeError as exc:
            skip_or_fail(f"PostgreSQL test server did not start: {exc}")
    try:
        pg_helpers.PostgisDatabases(url).check()
    except Exception as exc:  # noqa: BLE001 - any connection problem means "no server"
        if server:
            server.stop()
        skip_or_fail(f"cannot connect to PostgreSQL at {url}: {exc}")
    yield url
    if server:
        server.stop()


@pytest.fixture(scope="session")
def _postgis_databases(pg_server_url):
    dbs = pg_helpers.PostgisDatabases(pg_server_url)
    try:
        dbs.ensure_template()  # fails here, once, if PostGIS is not installed
    except Exception as exc:  # noqa: BLE001
        skip_or_fail(f"PostGIS is not available on {pg_server_url}: {exc}")
    yield dbs
    dbs.close()


@pytest.fixture
def pg_url(_postgis_databases):
    """A freshly created PostgreSQL database with ``CREATE EXTENSION postgis`` done; dropped afterwards."""
    url = _postgis_databases.create()
    yield url
    # engines the test forgot to dispose: let them roll back cleanly now, not at exit
    # (after DROP … WITH (FORCE) they would print tracebacks below pytest's summary)
    gc.collect()
    _postgis_databases.drop(url)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgis)])
def db_url(request, tmp_path):
    """URL of a fresh, empty database: SQLite file or PostgreSQL+PostGIS database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/t.sqlite"
    else:
        yield request.getfixturevalue("pg_url")


@pytest.fixture
def engine(db_url):
    """An engine on a fresh database of each backend, migrated to the current schema.

    Modules that need more (rows, settings) override it, asking for this one by name.
    """
    from data import db

    e = db.make_engine(db_url)
    db.migrate(e)
    yield e
    e.dispose()


# --------------------------------------------------------------------------- the page tests' demo county
@pytest.fixture(scope="session")
def page_demo(tmp_path_factory):
    """``page_demo(name) -> url``: a private copy of the demo the page tests share.

    Seed 7, 300 compounds, 6,000 complaints, built once per run; every caller
    gets its own SQLite file, so tests that write never see each other.
    """
    import shutil

    from data import db
    from data.demo import build_demo

    source = tmp_path_factory.mktemp("page_demo") / "demo.sqlite"
    engine = db.make_engine(f"sqlite:///{source}")
    db.migrate(engine)
    build_demo(engine, seed=7, compounds=300, complaints=6000)
    engine.dispose()

    def copy(name: str = "demo") -> str:
        target = tmp_path_factory.mktemp(name) / "demo.sqlite"
        shutil.copy(source, target)
        return f"sqlite:///{target}"

    return copy


# --------------------------------------------------------------------------- AppTest downloads
class Media(dict):
    """URL → bytes of every file an AppTest page handed over; ``deferred``: file id → maker."""

    def __init__(self):
        super().__init__()
        self.deferred: dict[str, object] = {}


@pytest.fixture
def media(monkeypatch):
    """Every file an AppTest page hands to the browser (download buttons), see ``apptest.downloads``.

    Eager files are kept by URL; a deferred download (``data`` a callable, made
    only when clicked) by its placeholder id, so a test can make it as a click would.
    """
    import streamlit.testing.v1.app_test as app_test
    from streamlit.runtime.media_file_manager import MediaFileManager
    from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage

    files = Media()

    class Recording(MemoryMediaFileStorage):
        def load_and_get_id(self, path_or_data, mimetype, kind, filename=None):
            file_id = super().load_and_get_id(path_or_data, mimetype, kind, filename)
            files[self.get_url(file_id)] = self._files_by_id[file_id].content
            return file_id

    add_deferred = MediaFileManager.add_deferred

    def recording_add_deferred(self, data_callable, *args, **kwargs):
        file_id = add_deferred(self, data_callable, *args, **kwargs)
        files.deferred[file_id] = data_callable
        return file_id

    monkeypatch.setattr(app_test, "MemoryMediaFileStorage", Recording)
    monkeypatch.setattr(MediaFileManager, "add_deferred", recording_add_deferred)
    return files


# --------------------------------------------------------------------------- CI: no skips
def _ci_forbids_skip(report, item=None) -> bool:
    if not (IN_CI and report.skipped) or hasattr(report, "wasxfail"):
        return False
    return item is None or item.get_closest_marker("allow_skip") is None


def _skip_reason(report) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2])
    return str(longrepr)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"rep_{report.when}", report)  # lets fixtures see the outcome (screenshots)
    if _ci_forbids_skip(report, item):
        report.outcome = "failed"
        report.longrepr = (f"skipped under CI=true, which is not allowed "
                           f"(mark @pytest.mark.allow_skip if intended): {_skip_reason(report)}")
    return report


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(collector):
    report = yield
    if _ci_forbids_skip(report):  # module-level skip / importorskip
        report.outcome = "failed"
        report.longrepr = f"module skipped under CI=true, which is not allowed: {_skip_reason(report)}"
    return report


def pytest_report_header(config):
    if os.environ.get("TEST_POSTGRES_URL"):
        pg = "TEST_POSTGRES_URL"
    else:
        reason = pg_helpers.unavailable_reason()
        pg = "throwaway cluster" if reason is None else f"none ({reason})"
    return [f"CI={'true (skips fail)' if IN_CI else 'false'}; PostgreSQL: {pg}"]
