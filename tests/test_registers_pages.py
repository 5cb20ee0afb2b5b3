"""The registers on the pages (AppTest): inspector register editing, company merge, templates, login link."""
from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from data import db
from data.demo import build_demo
from data.schema import AuditLog, Inspector, PropertyCompany, User
from tests import apptest


@pytest.fixture(scope="module")
def demo_url(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('registers_pages') / 'demo.sqlite'}"
    engine = db.make_engine(url)
    db.migrate(engine)
    build_demo(engine, seed=11, compounds=120, complaints=600)
    engine.dispose()
    return url


@pytest.fixture
def open_page(demo_url, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", demo_url)
    return lambda path, user="leader", **state: apptest.open_page(path, user=user, timeout=120, **state)


def _errors(at):
    return [e.value for e in at.error]


def test_housing_adds_an_inspector_on_the_inspection_page(open_page, demo_url):
    at = open_page("pages/inspection.py", user="housing")
    at.text_input(key="rg_name_None").set_value("孙丽")
    at.text_input(key="rg_unit_None").set_value("县住建局物业科")
    at.text_input(key="rg_cert_None").set_value("鲁JX900")
    at.text_input(key="rg_phone_None").set_value("13812345678")
    at.button[[b.label for b in at.button].index("保存")].click().run()
    assert not at.exception and not _errors(at), _errors(at)
    assert any("孙丽" in s.value for s in at.success)
    engine = db.make_engine(demo_url)
    with Session(engine) as s:
        row = s.scalar(select(Inspector).where(Inspector.cert_no == "鲁JX900"))
        assert row is not None and row.unit == "县住建局物业科" and row.active
        assert s.scalar(select(AuditLog).where(AuditLog.action == "inspector",
                                               AuditLog.username == "housing")) is not None
    # the register as shown masks the phone
    shown = [df.value for df in at.dataframe if "执法证号" in df.value.columns]
    assert shown and "鲁JX900" in list(shown[0]["执法证号"]) and "13812345678" not in shown[0].to_string()
    engine.dispose()


def test_leader_reads_the_register_but_cannot_edit_it(open_page):
    at = open_page("pages/inspection.py", user="leader")
    assert any("只有住建局和管理员" in c.value for c in at.caption)
    assert "rg_name_None" not in [w.key for w in at.text_input]


def test_data_page_offers_every_kind_and_its_template(open_page):
    at = open_page("pages/data.py", user="housing")
    kinds = at.radio(key="import_kind").options
    for label in ("检查人员名录", "物业企业名录", "企业信用评价", "收费记录", "季度考评"):
        assert label in kinds
    downloads = at.get("download_button")
    labels = " ".join(getattr(d, "label", "") or d.proto.label for d in downloads)
    for name in ("执法检查人员名录模板", "物业企业名录模板", "企业信用评价模板", "行政边界模板"):
        assert name in labels


def test_housing_merges_two_records_of_one_company(open_page, demo_url):
    engine = db.make_engine(demo_url)
    with Session(engine) as s:
        keep = s.scalars(select(PropertyCompany).order_by(PropertyCompany.id)).first()
        dup = PropertyCompany(name=keep.name + "（重复）", state_owned=False)
        s.add(dup)
        s.commit()
        keep_id, dup_id = keep.id, dup.id
    at = open_page("pages/data.py", user="housing")
    at.selectbox(key="rg_keep").set_value(keep_id)
    at.selectbox(key="rg_gone").set_value(dup_id)
    at.checkbox(key="rg_sure").check()
    at.button[[b.label for b in at.button].index("合并")].click().run()
    assert not at.exception and not _errors(at), _errors(at)
    with Session(engine) as s:
        assert s.get(PropertyCompany, dup_id) is None
        assert "（重复）" in (s.get(PropertyCompany, keep_id).aliases or "")
    engine.dispose()


def test_admin_links_an_inspector_login(open_page, demo_url):
    engine = db.make_engine(demo_url)
    with Session(engine) as s:
        target = s.scalars(select(Inspector).order_by(Inspector.id.desc())).first().id
    at = open_page("pages/admin.py", user="admin")
    at.selectbox(key="adm_pick").set_value("inspector1").run()
    at.selectbox(key="adm_link_inspector1").set_value(target)
    at.button(key="adm_link_go").click().run()
    assert not at.exception and not _errors(at), _errors(at)
    with Session(engine) as s:
        assert s.scalar(select(User.inspector_id).where(User.username == "inspector1")) == target
    engine.dispose()
