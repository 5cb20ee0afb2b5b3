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
    _click_button(page, "抽取")
    wait_for_text(page, "已抽取批次", "随机种子", "校验码", "本批抽查名单")
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
