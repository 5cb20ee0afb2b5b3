"""Sign-in, roles and jurisdiction in real Chromium: what each person can reach, whatever the URL says."""
from __future__ import annotations

import sqlite3

import pytest
from helpers import ROOT, StreamlitServer, db_path, open_as, save_screenshot, sign_in, wait_for_app, wait_for_text


def _nav_labels(page) -> list[str]:
    """The page titles in the sidebar (each link's last line; the first is its icon's name)."""
    return [a.inner_text().strip().splitlines()[-1]
            for a in page.query_selector_all('[data-testid="stSidebarNav"] a')]


@pytest.fixture
def fresh_app(demo_db_url, tmp_path):
    """A server nobody has visited yet: the first request after a start is the one at risk."""
    server = StreamlitServer(ROOT / "dashboard.py", env={"DATABASE_URL": demo_db_url},
                             log_file=tmp_path / "streamlit.log")
    yield server.start(timeout_s=90)
    server.stop()


@pytest.mark.parametrize("path", ["data", "audit"])
def test_the_first_visit_after_a_start_cannot_skip_sign_in(page, fresh_app, path):
    """Streamlit's legacy pages/ mode would run pages/<path>.py directly on the first visit."""
    page.goto(f"{fresh_app}/{path}", wait_until="domcontentloaded")
    wait_for_app(page, timeout_s=90)
    page.wait_for_selector('input[type="password"]', timeout=60_000)
    body = page.inner_text("body")
    assert "登录" in body and "审计日志" not in body and "导入内容" not in body
    assert "Traceback" not in body and "PermissionError" not in body
    assert not _nav_labels(page)  # nothing to navigate to before signing in


def test_a_shared_link_opens_its_page_after_sign_in(page, app_url, demo_db_url):
    with sqlite3.connect(db_path(demo_db_url)) as con:
        cid, name = con.execute("select id, name from compound order by id limit 1 offset 7").fetchone()
    page.goto(f"{app_url}/compounds?compound={cid}", wait_until="domcontentloaded")
    wait_for_app(page, timeout_s=90)
    page.wait_for_selector('input[type="password"]', timeout=60_000)
    body = page.inner_text("body")
    assert "演示账号" in body and "Page not found" not in body  # demo mode lists the demo accounts
    sign_in(page, "leader")
    page.wait_for_function("name => document.body.innerText.includes(name)", arg=name, timeout=60_000)
    assert "/compounds" in page.url and f"compound={cid}" in page.url


def test_navigation_shows_each_role_only_its_pages(page, app_url):
    open_as(page, app_url, user="jinxiang_sq1")
    community = _nav_labels(page)
    assert "总览" in community and "诉求分析" in community
    assert not {"数据管理", "审计日志", "系统管理", "双随机抽查"} & set(community)
    assert "居委会" in page.inner_text('[data-testid="stSidebar"]')  # who is signed in
    open_as(page, app_url, user="admin")
    admin = _nav_labels(page)
    assert {"审计日志", "系统管理", "数据管理"} <= set(admin)


def test_a_township_user_cannot_open_another_townships_compound_by_url(page, app_url, demo_db_url):
    with sqlite3.connect(db_path(demo_db_url)) as con:
        own = con.execute("select township_id from app_user where username = 'jinxiang_jd'").fetchone()[0]
        cid, name = con.execute("select id, name from compound where township_id != ? order by id limit 1",
                                (own,)).fetchone()
        mine = con.execute("select name from compound where township_id = ? order by id limit 1", (own,)).fetchone()[0]
    open_as(page, app_url, f"compounds?compound={cid}", user="jinxiang_jd", timeout_s=90)
    body = wait_for_text(page, "不在当前范围")
    assert name not in body
    # the sidebar offers only the user's own township, not the whole county
    sidebar = page.inner_text('[data-testid="stSidebar"]')
    assert "全县" not in sidebar
    save_screenshot(page, "access_township_url")
    # their own compounds are there
    with sqlite3.connect(db_path(demo_db_url)) as con:
        own_id = con.execute("select id from compound where name = ? and township_id = ?", (mine, own)).fetchone()[0]
    open_as(page, app_url, f"compounds?compound={own_id}", user="jinxiang_jd", timeout_s=90)
    page.wait_for_function("name => document.body.innerText.includes(name)", arg=mine, timeout=60_000)
    assert "不在当前范围" not in page.inner_text("body")


def test_a_wrong_password_is_refused_in_chinese(page, app_url):
    open_as(page, app_url, user=None)
    page.get_by_label("用户名").fill("leader")
    page.get_by_label("密码").fill("not-the-password")
    page.get_by_role("button", name="登录", exact=True).click()
    page.wait_for_function("() => document.body.innerText.includes('用户名或密码错误')", timeout=30_000)
    assert page.query_selector('input[type="password"]') is not None
    save_screenshot(page, "access_login_refused")


def _session_cookie(page) -> dict | None:
    return next((c for c in page.context.cookies() if c["name"] == "wyjg_session"), None)


def test_a_reload_keeps_the_user_signed_in_until_they_sign_out(page, app_url, demo_db_url):
    open_as(page, app_url, "complaints", user="jinxiang_jd", timeout_s=90)
    wait_for_text(page, "诉求分析", "金乡街道")
    cookie = _session_cookie(page)
    assert cookie and cookie["sameSite"] == "Strict" and cookie["expires"] > 0, page.context.cookies()
    with sqlite3.connect(db_path(demo_db_url)) as con:  # the database has only the token's hash
        assert not con.execute("select 1 from login_session where token_hash = ?", (cookie["value"],)).fetchone()

    page.reload(wait_until="domcontentloaded")  # F5: still signed in, same page, own township
    body = wait_for_text(page, "诉求分析", "金乡街道", timeout_s=90)
    assert "登录 · 物业监管地图" not in body and "/complaints" in page.url
    assert "全县" not in page.inner_text('[data-testid="stSidebar"]')  # the scope comes back with the user

    page.get_by_role("button", name="退出登录").click()
    page.wait_for_selector('input[type="password"]', timeout=60_000)
    wait_for_app(page)
    page.reload(wait_until="domcontentloaded")  # signed out stays signed out, even with an old cookie
    wait_for_app(page, timeout_s=90)
    page.wait_for_selector('input[type="password"]', timeout=60_000)
    assert _session_cookie(page) is None
    save_screenshot(page, "signed_out_after_reload")
