"""双随机抽查 and 执法联动 in real Chromium on the demo county: a draw, its verification, the case map."""
from __future__ import annotations

from helpers import save_screenshot, wait_for_app, wait_for_text


def _click_button(page, label: str) -> None:
    page.get_by_role("button", name=label, exact=True).first.click()
    page.wait_for_timeout(300)
    wait_for_app(page, timeout_s=120)


def test_a_draw_on_the_demo_county_and_its_verification(page, open_app, console_errors):
    missing: list[str] = []
    page.on("response", lambda r: missing.append(r.url) if r.status == 404 else None)
    open_app("inspection", user="housing")  # the housing bureau runs the draws
    body = page.inner_text("body")
    assert "双随机抽查" in body and "可抽取小区" in body
    _click_button(page, "预览抽取")  # the parameters first, no picks …
    wait_for_text(page, "将从", "确认后才进行抽取")
    _click_button(page, "确认抽取并记录")  # … then the draw, recorded
    wait_for_text(page, "已抽取批次", "随机种子", "校验码", "抽查名单")
    save_screenshot(page, "inspection_draw")

    page.get_by_role("tab", name="验证").click()
    page.wait_for_timeout(300)
    _click_button(page, "验证")
    page.wait_for_function("() => document.body.innerText.includes('验证通过')", timeout=60_000)
    save_screenshot(page, "inspection_verify")
    # Streamlit itself probes <page>/_stcore/* when a page URL is opened directly: not ours
    assert not [u for u in missing if "favicon" not in u and "/_stcore/" not in u], missing


def test_open_cases_on_the_map(page, open_app, wait_for_map):
    open_app()
    open_app("enforcement")
    assert "执法联动" in page.inner_text("body")
    state = wait_for_map(page, min_paths=5, timeout_s=90)
    assert state.maps == 1
    save_screenshot(page, "enforcement_map")
    page.get_by_role("tab", name="案件详情").click()
    page.wait_for_function("() => document.body.innerText.includes('处置环节')", timeout=30_000)
    assert "导出案件呈报表（Word）" in page.inner_text("body")
    save_screenshot(page, "enforcement_case")


def _select_row(page, box, row: int) -> None:
    """Put the grid's cursor on ``row`` (1-based), column 编号 (read-only: a second click edits nothing).

    The first click after another control had the focus may only focus the grid, so it clicks
    twice, on two different cells (twice on one cell would open that cell), then steps left."""
    for x in (30, 150):  # 编号, then 检查事项
        page.mouse.click(box["x"] + x, box["y"] + 35 * row + 17)
        page.wait_for_timeout(400)
    page.keyboard.press("ArrowLeft")


def _edit_cell(page, text: str) -> None:
    """Edit the focused cell of a data editor as a person would with the keyboard: Enter, type, Enter."""
    page.keyboard.press("Enter")
    page.wait_for_timeout(250)
    page.keyboard.type(text)
    page.wait_for_timeout(250)
    page.keyboard.press("Enter")
    page.wait_for_timeout(250)


def test_the_checklist_refuses_a_failure_without_a_note_and_keeps_every_note(page, open_app, demo_db_url):
    open_app(user="inspector1")  # an inspector lands on its own checks
    wait_for_text(page, "结果登记", "选择小区", "整改期限")
    grid = page.locator("[data-testid=stForm] [data-testid=stDataFrame]").first
    grid.evaluate("e => e.scrollIntoView({block: 'center'})")  # the whole checklist in view
    page.wait_for_timeout(800)
    box = grid.bounding_box()
    rows = 7  # the demo checklist
    _select_row(page, box, 1)
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")  # row 1, 结果
    _edit_cell(page, "不合格")
    for _ in range(rows - 1):  # every other item passed
        _edit_cell(page, "合格")
    save_screenshot(page, "inspection_checklist_filled")
    _click_button(page, "保存检查结果")
    body = wait_for_text(page, "不合格的事项须写明情况")
    assert "已保存" not in body

    grid.evaluate("e => e.scrollIntoView({block: 'center'})")
    page.wait_for_timeout(500)
    box = grid.bounding_box()
    _select_row(page, box, 1)
    for _ in range(3):
        page.keyboard.press("ArrowRight")  # row 1, 情况说明
    _edit_cell(page, "楼道堆物堵塞消防通道")
    page.keyboard.press("Escape")
    _select_row(page, box, 2)
    for _ in range(3):
        page.keyboard.press("ArrowRight")
    _edit_cell(page, "公示栏字迹褪色")  # a remark on a passed item
    page.keyboard.press("Escape")
    _click_button(page, "保存检查结果")
    body = wait_for_text(page, "已保存：不合格", "整改期限")
    save_screenshot(page, "inspection_checklist_saved")
    # both notes are kept, the failure as the finding and the remark beside it
    from sqlalchemy import create_engine, text

    with create_engine(demo_db_url).connect() as c:
        notes = dict(c.execute(text("SELECT ci.name, r.note FROM spot_check_item_result r "
                                    "JOIN check_item ci ON ci.id = r.item_id WHERE r.note IS NOT NULL")).all())
        findings = c.execute(text("SELECT findings FROM spot_check_result WHERE findings LIKE '%楼道堆物%'")
                             ).scalars().all()
    assert "楼道堆物堵塞消防通道" in notes.values() and "公示栏字迹褪色" in notes.values()
    assert findings and "公示栏字迹褪色" in findings[0]
