"""Browser tests: the real app on 127.0.0.1, driven by Debian's Chromium through Playwright.

Fixtures
--------
demo_db_url   session   URL of a demo-county SQLite database built once (``DATABASE_URL=… python -m data demo``);
                        ``TEST_DEMO_DB_URL`` overrides it.
app_url       session   ``http://127.0.0.1:<port>`` of ``streamlit run dashboard.py`` serving that database;
                        ``TEST_APP_URL`` uses an app that is already running instead.
browser       session   Playwright Chromium (``/usr/bin/chromium``, headless).
page          function  new page, 1400×900, locale zh-CN, Asia/Shanghai; screenshot saved on failure.
console_errors function list that collects the page's console errors and uncaught exceptions.
open_app      function  ``open_app(path="", user="leader")`` → app_url + path, signed in as that demo user.
wait_for_map  function  the ``helpers.wait_for_map`` function (map iframe drawn with ≥ N shapes).

Every test in this folder is marked ``browser``. Without Chromium or Playwright the
tests are skipped locally; under ``CI=true`` they fail instead.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import CHROMIUM, CHROMIUM_ARGS, ROOT, SCREENSHOTS, StreamlitServer, open_as, save_screenshot
from helpers import wait_for_map as _wait_for_map

IN_CI = os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}
HERE = Path(__file__).resolve().parent


def _missing_browser() -> str | None:
    if not os.access(CHROMIUM, os.X_OK):
        return f"{CHROMIUM} is missing (run `make system` as root: apt-get install chromium fonts-noto-cjk)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed (make venv)"
    return None


def _skip_or_fail(reason: str):
    if IN_CI:
        pytest.fail(f"CI=true and {reason}", pytrace=False)
    pytest.skip(reason)


def pytest_collection_modifyitems(config, items):
    reason = None if IN_CI else _missing_browser()  # under CI the fixtures fail instead
    for item in items:
        if HERE in Path(item.path).resolve().parents:
            item.add_marker(pytest.mark.browser)
            if reason:
                item.add_marker(pytest.mark.skip(reason=reason))


# --------------------------------------------------------------------------- the app
def _run_python(*args: str, what: str, env: dict[str, str] | None = None, timeout: float = 600) -> None:
    result = subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout,
                            env=dict(os.environ, **(env or {})))
    if result.returncode != 0:
        pytest.fail(f"{what} failed ({result.returncode}): {' '.join(args)}\n"
                    f"{result.stdout[-3000:]}\n{result.stderr[-6000:]}", pytrace=False)


@pytest.fixture(scope="session")
def demo_db_url(tmp_path_factory):
    """URL of the demo county database the browser tests run against (built once per session)."""
    override = os.environ.get("TEST_DEMO_DB_URL", "").strip()
    if override:
        return override
    url = f"sqlite:///{tmp_path_factory.mktemp('demo_db') / 'demo.sqlite'}"
    # the URL goes in DATABASE_URL, which the CLI reads whether --db sits before or after the subcommand
    _run_python("-m", "data", "demo", env={"DATABASE_URL": url}, what="building the demo database")
    return url


def _ensure_static_assets() -> None:
    # Leaflet must be served from static/ (no CDN); `make test` copies it, plain `pytest` may not have
    static = ROOT / "static"
    if not (static.is_dir() and any(p.name != "README.md" for p in static.iterdir())):
        _run_python("-m", "layers.offline", what="copying Leaflet into static/")


@pytest.fixture(scope="session")
def app_url(demo_db_url, tmp_path_factory):
    """Base URL of the running dashboard (no trailing slash)."""
    override = os.environ.get("TEST_APP_URL", "").strip()
    if override:
        yield override.rstrip("/")
        return
    _ensure_static_assets()
    log_file = tmp_path_factory.mktemp("streamlit") / "streamlit.log"
    server = StreamlitServer(ROOT / "dashboard.py", env={"DATABASE_URL": demo_db_url}, log_file=log_file)
    try:
        url = server.start(timeout_s=90)
    except RuntimeError as exc:
        pytest.fail(str(exc), pytrace=False)
    yield url
    server.stop()
    if os.environ.get("TEST_SHOW_APP_LOG"):
        print(f"\n--- streamlit log ({log_file}) ---\n{server.log_tail(200)}")


# --------------------------------------------------------------------------- the browser
@pytest.fixture(scope="session")
def browser():
    """Headless Chromium from Debian, launched by Playwright."""
    reason = _missing_browser()
    if reason:
        _skip_or_fail(reason)
    from playwright.sync_api import sync_playwright

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, request):
    """A fresh page (own context: no cookies or session state shared between tests)."""
    context = browser.new_context(viewport={"width": 1400, "height": 900}, locale="zh-CN",
                                  timezone_id="Asia/Shanghai")
    pg = context.new_page()
    pg.set_default_timeout(30_000)
    yield pg
    failed = any(getattr(getattr(request.node, f"rep_{when}", None), "failed", False)
                 for when in ("setup", "call"))
    if failed:
        try:
            path = save_screenshot(pg, f"FAILED-{request.node.nodeid}")
            print(f"\nscreenshot: {path.relative_to(ROOT)}")
        except Exception as exc:  # noqa: BLE001 - a broken page must not hide the real failure
            print(f"\nscreenshot failed: {exc}")
    context.close()


@pytest.fixture
def console_errors(page):
    """Console errors and uncaught page exceptions, collected from now on (list of str)."""
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(f"console.{msg.type}: {msg.text}") if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(f"pageerror: {exc}"))
    return errors


@pytest.fixture
def open_app(page, app_url):
    """``open_app(path="", timeout_s=60, user="leader")``: open a page signed in as a demo user.

    Every ``open_app`` is a new browser session (a page load), so it signs in
    again, through the login form; ``user=None`` stays on the login page.
    """
    def _open(path: str = "", timeout_s: float = 60.0, user: str | None = "leader"):
        return open_as(page, app_url, path, user=user, timeout_s=timeout_s)
    return _open


@pytest.fixture
def wait_for_map():
    """``wait_for_map(page, min_paths=1, timeout_s=30, nth=None) -> MapState`` (see helpers.py)."""
    return _wait_for_map
