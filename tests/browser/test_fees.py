"""The 物业费 and 考核评价 pages in real Chromium: compounds coloured by fee-adjustment status with
its legend, and the red/black list map."""
from __future__ import annotations

from helpers import FILLS_JS, save_screenshot


STATUS_COLOURS = {"无": "#e0e0e0", "成本已公开": "#9ecae1", "表决中": "#3182bd", "已通过": "#31a354",
                  "未通过": "#de2d26", "降费评估中": "#fd8d3c", "限期整改": "#e6550d", "已降费": "#756bb1",
                  "启动退出程序": "#7f2704"}


def test_fee_map_is_coloured_by_adjustment_status_with_a_legend(page, open_app, wait_for_map, console_errors):
    failed: list[str] = []  # Streamlit probes <page>/_stcore/health when a page URL is opened directly
    page.on("response", lambda r: failed.append(r.url) if r.status >= 400 and "/_stcore/" not in r.url
            and "favicon" not in r.url else None)
    open_app()
    open_app("fees")
    state = wait_for_map(page, min_paths=600, timeout_s=90)
    seen = state.frame.evaluate(FILLS_JS)
    legend = seen["legend"]
    assert "物业费调价状态" in legend
    for status in STATUS_COLOURS:
        assert status in legend, legend
    fills = {f.lower() for f in seen["fills"]}
    assert fills <= set(STATUS_COLOURS.values()), fills
    # most compounds have no procedure, but the demo has compounds at every stage of both paths
    assert {"#e0e0e0", "#9ecae1", "#3182bd", "#31a354", "#fd8d3c"} <= fills
    body = page.inner_text("body")
    assert "业主表决计算" in body and "降费管理候选" in body
    assert "表决通过" in body or "表决未通过" in body or "表决无效" in body
    save_screenshot(page, "fees")
    assert not failed, failed
    assert not [e for e in console_errors if "Failed to load resource" not in e], console_errors


def test_evaluation_page_shows_red_and_black_lists(page, open_app, wait_for_map):
    open_app()
    open_app("evaluation")
    state = wait_for_map(page, min_paths=600, timeout_s=90)
    seen = state.frame.evaluate(FILLS_JS)
    assert "红黑榜" in seen["legend"] and "红榜" in seen["legend"] and "黑榜" in seen["legend"]
    assert {"#e31a1c", "#252525"} <= {f.lower() for f in seen["fills"]}
    body = page.inner_text("body")
    assert "红黑榜分布" in body and "黑榜" in body and "物业企业" in body and "下载 Excel" in body
    save_screenshot(page, "evaluation")
