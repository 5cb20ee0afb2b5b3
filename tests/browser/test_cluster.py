"""Two Streamlit processes behind nginx (scripts/cluster.py, deploy/nginx/cluster.conf.template).

Real nginx, real processes, real Chromium: two browser sessions are pinned to different
processes by the routing cookie, each sees the overview map, a later request with the first
cookie reaches the first process again, and the session's WebSocket went to the process its
cookie names. Scoped caches: a township user and a county user, each first in one process and
then in the other (whose caches the other scope has warmed), each see exactly their own.

Without nginx this fails under CI=true and skips locally (``make system`` installs it).
"""
from __future__ import annotations

import re
import shutil
import sys
import time
from pathlib import Path

import pytest

from helpers import ROOT, free_port, open_as, sign_in, wait_for_app, wait_for_map, wait_for_text
from tests.conftest import skip_or_fail

sys.path.insert(0, str(ROOT / "scripts"))
from cluster import ROUTE_COOKIE, Cluster  # noqa: E402

MIN_SHAPES = 600  # the demo county's compounds on the overview (as tests/browser/test_home.py)


@pytest.fixture(scope="module")
def cluster(demo_db_url, tmp_path_factory):
    if not (shutil.which("nginx") or Path("/usr/sbin/nginx").exists()):
        skip_or_fail("nginx is not installed (run `make system` as root: apt-get install nginx)")
    nginx_port = free_port()
    ports = [free_port() for _ in range(2)]
    c = Cluster(ports=ports, port=nginx_port, database_url=demo_db_url,
                workdir=tmp_path_factory.mktemp("cluster"), debug_headers=True)
    try:
        c.start(timeout_s=180)
    except RuntimeError as exc:
        pytest.fail(f"the cluster did not start: {exc}", pytrace=False)
    yield c
    c.stop()


def _context(browser):
    return browser.new_context(viewport={"width": 1400, "height": 900}, locale="zh-CN",
                               timezone_id="Asia/Shanghai")


def _route(context) -> str | None:
    return next((c["value"] for c in context.cookies() if c["name"] == ROUTE_COOKIE), None)


def _stream_routes(cluster: Cluster, at_least: int, timeout_s: float = 20.0) -> list[tuple[str, str]]:
    """(routing cookie, upstream) of every finished WebSocket in nginx's access log."""
    deadline = time.monotonic() + timeout_s
    found: list[tuple[str, str]] = []
    while time.monotonic() < deadline:
        text = cluster.access_log.read_text(errors="replace") if cluster.access_log.exists() else ""
        found = re.findall(r'"GET /_stcore/stream[^"]*" 101 .*? route=(\S*) upstream=(\S+)', text)
        if len(found) >= at_least:
            break
        time.sleep(0.5)
    return found


def test_two_sessions_are_pinned_to_different_processes(cluster, browser):
    a_ctx, b_ctx = _context(browser), _context(browser)
    try:
        a, b = a_ctx.new_page(), b_ctx.new_page()
        for page in (a, b):
            page.set_default_timeout(60_000)
            open_as(page, cluster.url, user="leader", timeout_s=120)
            # the routing cookie is HttpOnly: the page's scripts cannot read or forge it
            assert page.evaluate("() => document.cookie").find(ROUTE_COOKIE) == -1
        route_a, route_b = _route(a_ctx), _route(b_ctx)
        assert {route_a, route_b} == {str(p) for p in cluster.ports}, (route_a, route_b)  # one each
        for page in (a, b):
            state = wait_for_map(page, min_paths=MIN_SHAPES, timeout_s=120)
            assert state.maps == 1
            assert "镇街统计" in page.inner_text("body")

        # a third request with the first session's cookie reaches the first process again
        again = a_ctx.new_page()
        response = again.goto(cluster.url + "/", wait_until="domcontentloaded")
        assert response.headers.get("x-upstream") == f"127.0.0.1:{route_a}"
        assert _route(a_ctx) == route_a
        wait_for_map(again, min_paths=MIN_SHAPES, timeout_s=120)  # signed in again from the login cookie
        again.close()
    finally:
        a_ctx.close()
        b_ctx.close()
    # every session's WebSocket (the Streamlit session itself) went to the process its cookie names
    streams = _stream_routes(cluster, at_least=3)  # nginx logs a WebSocket when it closes
    assert len(streams) >= 3, streams
    for route, upstream in streams:
        assert route and upstream == f"127.0.0.1:{route}", streams
    assert {route for route, _ in streams} == {str(p) for p in cluster.ports}


def _compounds_shown(page) -> int:
    """The overview's 住宅小区 figure (the compounds in the signed-in user's scope)."""
    wait_for_map(page, min_paths=1, timeout_s=120)
    body = wait_for_text(page, "住宅小区", "当前用户", timeout_s=60)
    found = re.search(r"住宅小区\s+([\d,]+)", body)
    assert found, body[:1500]
    return int(found.group(1).replace(",", ""))


@pytest.fixture(scope="module")
def compounds_in(demo_db_url):
    """Compounds the county user (None) and 金乡街道's user (township 1) may see, from the database."""
    from sqlalchemy import text

    from data import db

    with db.make_engine(demo_db_url).connect() as conn:
        return {"leader": conn.execute(text("SELECT count(*) FROM compound")).scalar_one(),
                "jinxiang_jd": conn.execute(text("SELECT count(*) FROM compound WHERE township_id = "
                                                 "(SELECT township_id FROM app_user WHERE username = 'jinxiang_jd')"))
                .scalar_one()}


@pytest.mark.parametrize("order", [("jinxiang_jd", "leader"), ("leader", "jinxiang_jd")],
                         ids=["township-first", "county-first"])
def test_scoped_caches_never_cross_users_in_either_process(cluster, browser, order, compounds_in):
    """Each process serves one scope first (warming its caches), then the other scope."""
    assert 0 < compounds_in["jinxiang_jd"] < compounds_in["leader"]
    first, second = order
    for port, user in ((cluster.ports[0], first), (cluster.ports[1], second),
                       (cluster.ports[1], first), (cluster.ports[0], second)):
        ctx = _context(browser)
        try:
            ctx.add_cookies([{"name": ROUTE_COOKIE, "value": str(port), "url": cluster.url}])
            page = ctx.new_page()
            page.set_default_timeout(60_000)
            response = page.goto(cluster.url + "/", wait_until="domcontentloaded")
            assert response.headers.get("x-upstream") == f"127.0.0.1:{port}"
            wait_for_app(page, timeout_s=120)
            sign_in(page, user, timeout_s=120)
            assert _route(ctx) == str(port)
            assert _compounds_shown(page) == compounds_in[user], (user, port)
        finally:
            ctx.close()


def _top_listed(page) -> int:
    """The overview's 本月投诉排名上榜小区 figure (depends on the setting ranking_top_n)."""
    wait_for_map(page, min_paths=1, timeout_s=120)
    body = wait_for_text(page, "本月投诉排名上榜小区", timeout_s=60)
    found = re.search(r"本月投诉排名上榜小区\s+([\d,]+)", body)
    assert found, body[:1500]
    return int(found.group(1).replace(",", ""))


def _leader_on(browser, cluster: Cluster, port: int) -> int:
    ctx = _context(browser)
    try:
        ctx.add_cookies([{"name": ROUTE_COOKIE, "value": str(port), "url": cluster.url}])
        page = ctx.new_page()
        page.set_default_timeout(60_000)
        page.goto(cluster.url + "/", wait_until="domcontentloaded")
        wait_for_app(page, timeout_s=120)
        sign_in(page, "leader", timeout_s=120)
        assert _route(ctx) == str(port)
        return _top_listed(page)
    finally:
        ctx.close()


def test_a_write_elsewhere_refreshes_every_process_cache(cluster, browser, demo_db_url):
    """Another process changes a setting the overview's cached figures depend on, as the settings
    page does (set_value, then the data-version bump): both app processes show the new figure."""
    from data import db, settings

    engine = db.make_engine(demo_db_url)
    before = {port: _leader_on(browser, cluster, port) for port in cluster.ports}  # both caches warm
    assert len(set(before.values())) == 1 and next(iter(before.values())) > 5
    old = settings.get(engine, "ranking_top_n")
    try:
        settings.set_value(engine, "ranking_top_n", 5)
        # without the bump a process keeps serving its cached figure: the cache is real
        assert _leader_on(browser, cluster, cluster.ports[0]) == before[cluster.ports[0]]
        settings.bump_data_version(engine)
        after = {port: _leader_on(browser, cluster, port) for port in cluster.ports}
        assert all(n < before[port] for port, n in after.items()), (before, after)
    finally:
        settings.set_value(engine, "ranking_top_n", old)
        settings.bump_data_version(engine)
