"""The administrator's pages under AppTest: 系统管理 (users, settings) and 审计日志."""
from __future__ import annotations

import pytest

from data import auth, db, settings
from data.demo import build_demo
from tests import apptest
from tests.places import small_city


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


# --------------------------------------------------------------------------- a city's deployment (issue 17)
JINING, JINXIANG, RENCHENG = "370800", "370828", "370811"


@pytest.fixture(scope="module")
def city_url(tmp_path_factory):
    return small_city(tmp_path_factory.mktemp("admin_city"))


@pytest.fixture
def city_engine(city_url, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", city_url)
    e = db.make_engine(city_url)
    yield e
    e.dispose()


def test_a_one_county_deployment_has_no_city_roles_and_no_place_pickers(engine):
    from data.vocab import ROLES

    at = apptest.open_page("pages/admin.py", user="admin")
    assert at.selectbox(key="adm_role").options == list(ROLES.values())
    keys = {s.key for s in at.selectbox}
    assert not keys & {"adm_city", "adm_county"}, keys
    assert "所属县（区、市）" not in at.dataframe[0].value.columns
    at.selectbox(key="adm_pick").set_value("leader").run()
    assert not any((s.key or "").startswith("adm_place_") for s in at.selectbox)


def test_the_administrator_creates_a_city_user_with_their_city(city_engine):
    at = apptest.open_page("pages/admin.py", user="admin")
    assert {"市专班", "市住建局"} <= set(at.selectbox(key="adm_role").options)
    at.selectbox(key="adm_role").set_value("city_housing").run()
    assert at.selectbox(key="adm_city").value == JINING
    assert at.selectbox(key="adm_city").format_func(JINING) == "济宁市"
    keys = {s.key for s in at.selectbox}
    assert not {"adm_county", "adm_town", "adm_comm"} & keys and "adm_place_admin" not in keys  # whole city
    at.text_input(key="adm_username").input("jn_zjj")
    at.text_input(key="adm_name").input("济宁市住建局物业科")
    at.text_input(key="adm_password").input("Jining-2026")
    _button(at, "创建").click().run()
    assert not at.error, [e.value for e in at.error]
    account = auth.authenticate(city_engine, "jn_zjj", "Jining-2026")
    assert account.role == "city_housing" and account.scope.city == JINING and account.scope.county is None


def test_a_county_role_gets_its_county_and_that_countys_townships(city_engine):
    from data import queries
    from data.scope import Scope

    at = apptest.open_page("pages/admin.py", user="admin")
    at.selectbox(key="adm_role").set_value("township").run()
    assert at.selectbox(key="adm_county").value is None
    every = at.selectbox(key="adm_town").options
    at.selectbox(key="adm_county").set_value(JINXIANG).run()
    own = queries.townships(city_engine, Scope(county=JINXIANG))
    assert len(at.selectbox(key="adm_town").options) == len(own) + 1 < len(every)  # "—" and the county's own
    at.selectbox(key="adm_town").select_index(1).run()
    at.text_input(key="adm_username").input("jx_town")
    at.text_input(key="adm_name").input("镇街物业办")
    at.text_input(key="adm_password").input("Jinxiang-2026")
    _button(at, "创建").click().run()
    assert not at.error, [e.value for e in at.error]
    account = auth.authenticate(city_engine, "jx_town", "Jinxiang-2026")
    assert account.scope.county == JINXIANG and account.scope.township_id in set(own["id"])
    # the list names each user's city and county
    table = at.dataframe[0].value.set_index("用户名")
    assert table.loc["jx_town", "所属县（区、市）"] == "金乡县"
    assert table.loc[f"c{JINING}_leader", "所属市"] == "济宁市"


def test_the_administrator_moves_a_county_bureau_to_another_county(city_engine):
    name = f"x{JINXIANG}_housing"
    at = apptest.open_page("pages/admin.py", user="admin")
    at.selectbox(key="adm_pick").set_value(name).run()
    place = at.selectbox(key=f"adm_place_{name}")
    assert place.value == JINXIANG
    place.set_value(RENCHENG).run()
    _button(at, "保存管辖范围").click().run()
    assert not at.error, [e.value for e in at.error]
    assert auth.get_account(city_engine, name).scope.county == RENCHENG
    auth.set_places(city_engine, name, county_adcode=JINXIANG)


@pytest.mark.parametrize("role, places, message", [
    ("city_leader", {"city_adcode": None}, "须指定所属市"),
    ("city_leader", {"city_adcode": JINING, "county_adcode": JINXIANG}, "不能指定县"),
    ("housing", {"city_adcode": JINING}, "只有市级角色"),
    ("housing", {"county_adcode": "370899"}, "不存在"),
    ("city_housing", {"city_adcode": "370900"}, "不存在"),
])
def test_a_users_places_are_checked_when_created(city_engine, role, places, message):
    with pytest.raises(ValueError, match=message):
        auth.create_user(city_engine, f"bad_{role}", "x", role, password="Jining-2026", **places)
    assert f"bad_{role}" not in {u["username"] for u in auth.users(city_engine)}


def test_set_places_checks_the_level_and_is_audited(city_engine):
    from sqlalchemy import text

    with pytest.raises(ValueError, match="不能指定县"):
        auth.set_places(city_engine, f"c{JINING}_leader", county_adcode=JINXIANG)
    with pytest.raises(PermissionError):
        auth.set_places(city_engine, f"x{JINXIANG}_leader", county_adcode=RENCHENG,
                        actor=auth.get_account(city_engine, f"x{JINXIANG}_leader"))
    def audited() -> int:
        with city_engine.connect() as c:
            return c.execute(text("SELECT count(*) FROM audit_log WHERE target = :t AND detail LIKE '%set_places%'"),
                             {"t": f"app_user:x{JINXIANG}_leader"}).scalar()

    before = audited()
    auth.set_places(city_engine, f"x{JINXIANG}_leader", county_adcode=RENCHENG,
                    actor=auth.get_account(city_engine, "admin"))
    assert auth.get_account(city_engine, f"x{JINXIANG}_leader").scope.county == RENCHENG
    assert audited() == before + 1
    auth.set_places(city_engine, f"x{JINXIANG}_leader", county_adcode=JINXIANG)
