"""The administrator's pages under AppTest: 系统管理 (users, settings) and 审计日志."""
from __future__ import annotations

import pytest

from data import auth, db, settings
from data.demo import build_demo
from tests import apptest


@pytest.fixture(scope="module")
def demo_url(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('admin') / 'demo.sqlite'}"
    engine = db.make_engine(url)
    db.migrate(engine)
    build_demo(engine, seed=9, compounds=60, complaints=500)
    engine.dispose()
    return url


@pytest.fixture
def engine(demo_url, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", demo_url)
    e = db.make_engine(demo_url)
    yield e
    e.dispose()


def _button(at, label: str):
    return next(b for b in at.button if b.label == label)


def test_only_the_administrator_gets_these_pages(engine):
    for user in ("leader", "housing", "jinxiang_jd"):
        at = apptest.open_page(user=user)
        for page in ("pages/admin.py", "pages/audit.py"):
            with pytest.raises(ValueError, match="Could not find a navigation page"):
                at.switch_page(page)
    apptest.open_page("pages/admin.py", user="admin")
    apptest.open_page("pages/audit.py", user="admin")


def test_the_administrator_creates_a_township_user_who_can_then_sign_in(engine):
    at = apptest.open_page("pages/admin.py", user="admin")
    town_id = at.selectbox(key="adm_town").options[1]  # the first township after "—"
    at.selectbox(key="adm_role").set_value("township").run()
    at.selectbox(key="adm_town").select(town_id).run()
    at.text_input(key="adm_username").input("wangli")
    at.text_input(key="adm_name").input("王丽")
    at.text_input(key="adm_password").input("short")
    _button(at, "创建").click().run()
    assert any("密码至少" in e.value for e in at.error), [e.value for e in at.error]
    assert "wangli" not in {u["username"] for u in auth.users(engine)}
    at.text_input(key="adm_username").input("wangli")
    at.text_input(key="adm_name").input("王丽")
    at.text_input(key="adm_password").input("Jinxiang-2026")
    _button(at, "创建").click().run()
    assert not at.error, [e.value for e in at.error]
    account = auth.authenticate(engine, "wangli", "Jinxiang-2026")
    assert account.role == "township" and account.scope.township_id is not None
    assert any("已创建用户 wangli" in s.value for s in at.success)


def test_settings_are_checked_before_anything_is_saved(engine):
    at = apptest.open_page("pages/admin.py", user="admin")
    assert settings.get(engine, "ranking_top_n") == 50
    # the data editor is edited through its session state, as the browser would send it
    keys = [d.key for d in settings.DEFINITIONS]
    top, share = keys.index("ranking_top_n"), keys.index("company_black_share")
    at.session_state["adm_settings"] = {"edited_rows": {top: {"value": "30"}, share: {"value": "三分之一"}},
                                        "added_rows": [], "deleted_rows": []}
    at.run()
    _button(at, "保存设置").click().run()
    assert any("格式不对" in e.value for e in at.error), [e.value for e in at.error]
    assert settings.get(engine, "ranking_top_n") == 50  # one bad value: nothing saved
    at.session_state["adm_settings"] = {"edited_rows": {top: {"value": "30"}}, "added_rows": [], "deleted_rows": []}
    at.run()
    _button(at, "保存设置").click().run()
    assert settings.get(engine, "ranking_top_n") == 30
    settings.set_value(engine, "ranking_top_n", 50)


def test_the_audit_page_lists_sign_ins_and_changes(engine):
    auth.authenticate(engine, "leader", "jinxiang2024")
    at = apptest.open_page("pages/audit.py", user="admin")
    (frame,) = [df.value for df in at.dataframe]
    assert {"时间", "用户", "操作", "对象"} <= set(frame.columns)
    assert "登录" in set(frame["操作"]) and "leader" in set(frame["用户"])
    at.multiselect(key="audit_actions").select("login_failed").run()
    (frame,) = [df.value for df in at.dataframe]
    assert set(frame["操作"]) <= {"登录失败"}
    assert any(b.label == "下载 Excel" for b in at.get("download_button"))
