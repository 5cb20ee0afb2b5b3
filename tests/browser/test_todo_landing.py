"""A township officer's landing in real Chromium: the to-do panel open above the tiles, its most
urgent item one click from the page that handles it, and a row picked in the list opening its
compound on the home map."""
from __future__ import annotations

import re

from helpers import save_screenshot, wait_for_app, wait_for_map, wait_for_text

PANEL = ".st-key-todo_panel"


def test_township_officer_lands_on_the_to_do_panel_and_reaches_the_page(page, open_app):
    open_app(user="jinxiang_jd")
    body = wait_for_text(page, "待办事项", "去办理", "问责台账", "执法案件", timeout_s=90)
    assert "暂无待办" not in body
    panel = page.locator(PANEL)
    assert panel.count() == 1
    text = panel.inner_text()
    assert "最急的一项" in text and "逾期" in text
    # counts as tiles with the overdue ones beside them; at least one item
    values = [int(v.replace(",", "")) for v in panel.locator('[data-testid="stMetricValue"]').all_inner_texts()]
    assert len(values) == 4 and sum(values) >= 1
    # above the overview's own tiles
    tile = page.locator('[data-testid="stMetricLabel"]', has_text="住宅小区").first
    assert panel.bounding_box()["y"] < tile.bounding_box()["y"]
    wait_for_map(page, min_paths=1, timeout_s=90)
    save_screenshot(page, "home_township_todo", full_page=False)
    tile.scroll_into_view_if_needed()
    save_screenshot(page, "home_township_todo_below", full_page=False)
    link = panel.locator('[data-testid="stPageLink"] a').first
    label = link.inner_text()
    assert "去办理" in label
    page_title = label.split("·")[-1].strip()  # 执法联动 / 问责台账 / 双随机抽查 / 错时停车
    first = re.search(r"[A-Z]+-\d{4}-\d+", text.split("最急的一项", 1)[1]).group(0) if "执法案件 ·" in text else ""
    link.click()  # click 1 after signing in
    wait_for_app(page, timeout_s=60)
    page.wait_for_function("t => document.querySelector('h1') && document.querySelector('h1').innerText.includes(t)",
                           arg=page_title if page_title != "双随机抽查" else "抽查", timeout=60_000)
    if page_title == "执法联动":  # the demo's most urgent item is an overdue case: it arrives chosen
        wait_for_text(page, "已选中待办中的案件", timeout_s=30)
        page.get_by_role("tab", name="案件详情").click()  # click 2: the case, ready to handle
        wait_for_text(page, "选择案件", timeout_s=30)
        chosen = page.locator('[data-testid="stSelectbox"]', has_text="选择案件").first.evaluate(
            "e => e.innerText + ' ' + [...e.querySelectorAll('input')].map(i => i.value).join(' ')")
        assert first and first in chosen, chosen
        save_screenshot(page, "enforcement_from_todo", full_page=False)


def test_a_county_leader_sees_the_panel_folded_and_can_open_it(page, open_app):
    open_app(user="leader")
    wait_for_text(page, "待办事项 ·", "住宅小区", timeout_s=90)
    assert page.locator(PANEL).count() == 0
    assert "最急的一项" not in page.inner_text("body")
    page.get_by_text("待办事项 ·").first.click()
    wait_for_text(page, "最急的一项", "去办理", timeout_s=60)


def test_picking_a_row_opens_its_compound_on_the_map(page, open_app):
    open_app(user="jinxiang_jd")
    wait_for_text(page, "待办事项", "去办理", timeout_s=90)
    wait_for_map(page, min_paths=1, timeout_s=90)
    grid = page.locator(f'{PANEL} [data-testid="stDataFrame"]')
    grid.scroll_into_view_if_needed()
    box = grid.bounding_box()
    # the first row's selection box: left edge of the grid, below the 35 px header
    page.mouse.click(box["x"] + 18, box["y"] + 35 + 17)
    body = wait_for_text(page, "已选：", "已在下方地图定位到", timeout_s=60)
    compound = body.split("已在下方地图定位到 ", 1)[1].split("。", 1)[0]
    assert compound
    # the record beside the map names it, as a click on the map would
    page.wait_for_function("n => [...document.querySelectorAll('h3')].some(h => h.innerText.includes('小区档案'))"
                           " && document.body.innerText.split(n).length > 2", arg=compound, timeout=60_000)
    assert "compound=" in page.url
    save_screenshot(page, "home_township_todo_pick")


def _todo_rows(url: str, username: str):
    """The to-do rows as the panel lists them (the data layer's order), for the demo user."""
    from datetime import date

    from data import auth, db
    from data.queries import todo as td
    from data.queries.inspection import Viewer

    engine = db.make_engine(url)
    try:
        account = auth.get_account(engine, username)
        return td.todo(engine, account.scope, date.today(), viewer=Viewer.of(account)).reset_index(drop=True)
    finally:
        engine.dispose()


def test_a_rectification_row_links_to_its_check_on_the_inspection_page(page, open_app, demo_db_url):
    """Pick a 抽查整改 row, follow 去办理: 双随机抽查 opens on 结果登记 with that check chosen."""
    rows = _todo_rows(demo_db_url, "jinxiang_jd")
    due = rows.index[rows["kind"] == "抽查整改"]
    assert len(due), "the demo township has a rectification due"
    index = int(due[0])
    compound = rows.loc[index, "compound"]
    assert index < 6, "the row is in the list's first screen (248 px)"
    open_app(user="jinxiang_jd")
    wait_for_text(page, "待办事项", "去办理", timeout_s=90)
    grid = page.locator(f'{PANEL} [data-testid="stDataFrame"]')
    grid.scroll_into_view_if_needed()
    box = grid.bounding_box()
    page.mouse.click(box["x"] + 18, box["y"] + 35 + 35 * index + 17)  # the row's selection box
    wait_for_text(page, "已选：抽查整改", timeout_s=60)
    link = page.locator(PANEL).locator('[data-testid="stPageLink"] a').first
    assert "双随机抽查" in link.inner_text()
    link.click()
    body = wait_for_text(page, "已选中待办中的抽查整改", timeout_s=90)
    assert "不在您的查看范围内" not in body
    assert page.get_by_role("tab", name="结果登记").get_attribute("aria-selected") == "true"
    # the check chosen in 选择小区 (its value is drawn a moment after the label)
    page.wait_for_function("n => [...document.querySelectorAll('[data-testid=stSelectbox]')].some("
                           "e => e.innerText.includes('选择小区') && (e.innerText + ' ' + [...e.querySelectorAll('input')]"
                           ".map(i => i.value).join(' ')).includes(n))", arg=compound,
                           timeout=30_000)
    assert "result=" not in page.url  # read once: the user's next choice is their own
    save_screenshot(page, "inspection_from_todo", full_page=False)
