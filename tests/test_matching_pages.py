"""The pages of matching: the unmatched queue offers the top 3 candidates with one-click confirm
(and learns the name as an alias); the 12345 category table is edited beside the duty matrix."""
from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from data import auth, db
from data.importers.complaints import import_complaints
from data.queries.duties import category_map
from data.schema import Complaint, CompoundAlias
from tests import apptest
from tests.test_complaints_matching import build_county, write_xlsx


@pytest.fixture
def county(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path}/m.sqlite"
    engine = db.make_engine(url)
    db.migrate(engine)
    ids = build_county(engine, points_only=False)
    for name, role in (("housing", "housing"), ("leader", "leader"), ("admin", "admin")):
        auth.create_user(engine, name, name, role)
    monkeypatch.setenv("DATABASE_URL", url)
    yield engine, {v["name"]: k for k, v in ids.items()}
    engine.dispose()


def test_queue_confirms_a_candidate_with_one_click_and_learns_the_alias(county, tmp_path):
    engine, ids = county
    path = tmp_path / "q.xlsx"
    write_xlsx(path, [["Q1", "2026-03-01 10:00", "物业管理", "物业不管事", "翡翠小区", None, None, None, None]])
    assert import_complaints(engine, path).ok
    at = apptest.open_page("pages/data.py", user="housing")
    buttons = [b for b in at.button if b.label.startswith("确认：")]
    assert 1 <= len(buttons) <= 3 and "翡翠华庭" in buttons[0].label and "分" in buttons[0].label
    buttons[0].click().run()
    assert not at.exception
    with Session(engine) as s:
        c = s.scalar(select(Complaint).where(Complaint.order_no == "Q1"))
        aliases = s.scalars(select(CompoundAlias.alias).where(CompoundAlias.compound_id == ids["翡翠华庭"])).all()
    assert (c.compound_id, c.match_method, c.match_confidence) == (ids["翡翠华庭"], "地址", 1.0)
    assert aliases == ["翡翠小区"]
    assert any("已匹配" in s.value for s in at.success)
    assert any("已学习的小区别名（1 个）" in e.label for e in at.expander)


def test_category_table_is_edited_beside_the_duty_matrix(county):
    import pandas as pd

    from ui.matching import category_changes

    engine, _ = county
    at = apptest.open_page("pages/complaints.py", user="housing")  # no work orders yet: editable all the same
    assert any(b.label == "保存类别对照" for b in at.button)
    assert any("尚未导入 12345 诉求工单" in i.value for i in at.info)
    stored = pd.DataFrame({"source_category": ["电梯安全", "违章搭建"], "product_category": ["电梯", "违法建设"]})
    edited = pd.DataFrame({"source_category": ["电梯安全", "楼道堆物", None],
                           "product_category": ["物业服务", "消防通道", None]})
    assert sorted(category_changes(stored, edited)) == [("楼道堆物", "消防通道"), ("电梯安全", "物业服务"),
                                                         ("违章搭建", None)]
    leader = apptest.open_page("pages/complaints.py", user="leader")
    assert not any(b.label == "保存类别对照" for b in leader.button)
    assert category_map(engine)["电梯安全"] == "电梯"
