"""The map workspace in real Chromium: colour modes, shareable record URLs, hostile names."""
from __future__ import annotations

import sqlite3
import subprocess
import sys

import pytest
from helpers import (FILLS_JS, ROOT, StreamlitServer, db_path, open_as, save_screenshot, wait_for_app,
                     wait_for_map, wait_for_text)


def _choose(page, label: str, option: str) -> None:
    """Pick ``option`` in the Streamlit selectbox labelled ``label``."""
    page.get_by_role("combobox", name=label).click()
    page.get_by_role("option").filter(has_text=option).first.click()
    wait_for_app(page)


def test_colour_mode_changes_fills_and_legend(page, open_app):
    open_app()  # the entry page first, as a user arriving at the dashboard
    open_app("compounds")
    before = wait_for_map(page, min_paths=300, timeout_s=90).frame.evaluate(FILLS_JS)
    assert "投诉密度" in before["legend"] and len(before["fills"]) >= 300
    _choose(page, "着色方式", "小区类型")
    for _ in range(60):
        after = wait_for_map(page, min_paths=300, timeout_s=60).frame.evaluate(FILLS_JS)
        if "小区类型" in after["legend"]:
            break
        page.wait_for_timeout(500)
    assert "小区类型" in after["legend"] and "老旧小区" in after["legend"]
    assert sorted(set(after["fills"])) != sorted(set(before["fills"]))
    assert len(set(after["fills"])) <= 5  # four classes (+ unregistered)
    save_screenshot(page, "compounds_by_class")


def test_a_shared_url_reopens_the_same_compound(page, open_app, demo_db_url):
    with sqlite3.connect(db_path(demo_db_url)) as con:
        cid, name = con.execute("select id, name from compound order by id limit 1 offset 41").fetchone()
    open_app()
    open_app(f"compounds?compound={cid}&mode=governance")
    wait_for_map(page, min_paths=10, timeout_s=90)
    wait_for_text(page, name, "小区类型", "近 12 个月诉求", timeout_s=30)
    assert "治理短板" in page.get_by_role("combobox", name="着色方式").input_value()
    assert f"compound={cid}" in page.url and "mode=governance" in page.url
    save_screenshot(page, "compounds_shared_url")


HOSTILE = [
    "<img src=x onerror=window.__xss=1>",
    "${window.__xss=2}",
    "`+(window.__xss=3)+`",
    "</script><script>window.__xss=4</script>",
    "\\u003cb\\u003e'\"&amp;",
]


@pytest.fixture(scope="module")
def hostile_app(tmp_path_factory):
    """A small demo whose compound, township and company names are attacks."""
    path = tmp_path_factory.mktemp("hostile") / "hostile.sqlite"
    url = f"sqlite:///{path}"
    subprocess.run([sys.executable, "-m", "data", "demo", "--compounds", "60", "--complaints", "2000"],
                   cwd=ROOT, env={"DATABASE_URL": url, "PATH": "/usr/bin:/bin"}, check=True,
                   capture_output=True, timeout=300)
    with sqlite3.connect(path) as con:
        ids = [r[0] for r in con.execute("select id from compound order by id limit ?", (len(HOSTILE),))]
        for cid, name in zip(ids, HOSTILE):
            con.execute("update compound set name = ?, address = ? where id = ?", (name, name, cid))
        con.execute("update township set name = ? where id = (select min(id) from township)", (HOSTILE[0],))
        con.execute("update property_company set name = ? where id = (select min(id) from property_company)",
                    (HOSTILE[3],))
    server = StreamlitServer(ROOT / "dashboard.py", env={"DATABASE_URL": url},
                             log_file=tmp_path_factory.mktemp("hostile_log") / "streamlit.log")
    yield server.start(timeout_s=90), ids
    server.stop()


def test_no_script_in_any_name_runs_and_the_map_still_draws(page, hostile_app):
    base, ids = hostile_app
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    for path in ("", f"compounds?compound={ids[0]}", f"compounds?compound={ids[3]}"):
        open_as(page, base, path, user="leader", timeout_s=90)
        state = wait_for_map(page, min_paths=60, timeout_s=90)
        flags = [page.evaluate("() => window.__xss"), state.frame.evaluate("() => window.__xss")]
        assert flags == [None, None], f"script from data ran on /{path}: {flags}"
    assert not dialogs
    # the names are shown as text, not swallowed
    page.wait_for_function("() => document.body.innerText.includes('</script><script>window.__xss=4')",
                           timeout=30_000)
    save_screenshot(page, "compounds_hostile_names")
