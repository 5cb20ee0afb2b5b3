"""Recorded spot-check draws on SQLite and PostgreSQL: record, verify, results, public list, CLI."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest
from shapely.geometry import box
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from data.queries import inspection as iq
from data.schema import (
    Community, Complaint, Compound, Evaluation, Inspector, PropertyCompany, SpotCheckDraw, SpotCheckResult,
    Township,
)
from data.scope import COUNTY, Scope
from policy.inspection import RecusalError

NOW = datetime(2026, 10, 20, 9, 0)


@pytest.fixture
def engine(engine):
    iq.ensure_check_items(engine)
    return engine


def small_register(engine, *, towns=3, per_town=8, inspectors=None) -> dict:
    """``towns`` townships with ``per_town`` compounds each, two companies, inspectors per spec."""
    ids = {"towns": [], "compounds": [], "companies": []}
    with Session(engine) as s, s.begin():
        for k in range(2):
            c = PropertyCompany(name=f"物业公司{k}")
            s.add(c)
            s.flush()
            ids["companies"].append(c.id)
        for t in range(towns):
            town = Township(code=f"T{t}", name=f"第{t}镇", kind="镇", geometry=box(t, 0, t + 1, 1))
            s.add(town)
            s.flush()
            comm = Community(code=f"C{t}", township_id=town.id, name=f"第{t}社区")
            s.add(comm)
            s.flush()
            ids["towns"].append(town.id)
            for k in range(per_town):
                cp = Compound(code=f"X{t}-{k}", name=f"{t}镇小区{k}", township_id=town.id, community_id=comm.id,
                              households=100, compound_class="商品房", management_mode="专业化物业",
                              company_id=ids["companies"][k % 2])
                s.add(cp)
                s.flush()
                ids["compounds"].append(cp.id)
        spec = inspectors if inspectors is not None else (
            [(None, []), (None, []), (None, [0])] + [(t, []) for t in range(towns)])
        for k, (t, links) in enumerate(spec):
            s.add(Inspector(name=f"检查员{k}", unit="县住建局" if t is None else f"第{t}镇物业办",
                            township_id=None if t is None else ids["towns"][t],
                            linked_company_ids=[ids["companies"][j] for j in links]))
    return ids


def test_draw_is_recorded_and_verifies(engine):
    small_register(engine)
    rec = iq.run_draw(engine, COUNTY, n=6, actor="专班", seed=2024, now=NOW)
    with Session(engine) as s:
        draw = s.get(SpotCheckDraw, rec.draw_id)
        assert (draw.seed, draw.actor, draw.drawn_at, draw.input_hash) == (2024, "专班", NOW, rec.input_hash)
        assert draw.params["strata"] == "township_id" and draw.params["team_size"] == 2
        assert len(draw.inputs["compounds"]) == 24 and len(draw.inputs["inspectors"]) == 6
        rows = list(s.scalars(select(SpotCheckResult).where(SpotCheckResult.draw_id == rec.draw_id)))
    assert len(rows) == 6 and all(len(r.inspector_ids) == 2 for r in rows)
    v = iq.verify_draw(engine, rec.draw_id)
    assert v.ok and "验证通过" in v.message()


def test_register_change_is_detected_but_the_record_still_reproduces(engine):
    ids = small_register(engine)
    rec = iq.run_draw(engine, COUNTY, n=6, actor="专班", seed=7, now=NOW)
    with Session(engine) as s, s.begin():
        s.add(Inspector(name="新检查员", unit="县市场监管局", township_id=None, linked_company_ids=[]))
    v = iq.verify_draw(engine, rec.draw_id)
    assert v.reproduced and v.record_intact and not v.registers_unchanged and not v.ok
    assert "名录自抽取以来已有变化" in v.message()
    with Session(engine) as s, s.begin():  # a compound moved township: also a register change
        s.execute(update(Compound).where(Compound.id == ids["compounds"][0]).values(township_id=ids["towns"][1]))
    assert iq.verify_draw(engine, rec.draw_id).current_hash != rec.input_hash


def test_tampered_record_or_results_fail_verification(engine):
    small_register(engine)
    rec = iq.run_draw(engine, COUNTY, n=4, actor="专班", seed=3, now=NOW)
    with Session(engine) as s, s.begin():
        first = s.scalar(select(SpotCheckResult).where(SpotCheckResult.draw_id == rec.draw_id)
                         .order_by(SpotCheckResult.id))
        first.inspector_ids = [first.inspector_ids[0], 999]
    v = iq.verify_draw(engine, rec.draw_id)
    assert v.record_intact and not v.reproduced and "结果与保存的抽查名单不一致" in v.message()
    with Session(engine) as s, s.begin():
        draw = s.get(SpotCheckDraw, rec.draw_id)
        draw.inputs = dict(draw.inputs, params=dict(draw.inputs["params"], n=5))
    assert not iq.verify_draw(engine, rec.draw_id).record_intact


def test_later_records_do_not_change_an_earlier_draws_inputs(engine):
    ids = small_register(engine)
    first = iq.run_draw(engine, COUNTY, n=4, actor="专班", seed=1, now=NOW)
    with Session(engine) as s, s.begin():  # complaints and evaluations after the draw time
        s.add(Complaint(order_no="A1", received_at=datetime(2026, 11, 2), category="物业服务",
                        compound_id=ids["compounds"][0], township_id=ids["towns"][0]))
        s.add(Evaluation(compound_id=ids["compounds"][1], quarter="2026-Q4", score=Decimal("40")))
    iq.run_draw(engine, COUNTY, n=4, actor="专班", seed=2, now=datetime(2026, 12, 1))
    assert iq.verify_draw(engine, first.draw_id).ok


def test_exclusion_window_and_township_scope(engine):
    ids = small_register(engine)
    first = iq.run_draw(engine, COUNTY, n=12, actor="专班", seed=5, now=datetime(2026, 5, 1), exclude_months=6)
    drawn = {p.compound_id for p in first.result.picks}
    second = iq.run_draw(engine, COUNTY, n=12, actor="专班", seed=6, now=datetime(2026, 10, 31), exclude_months=6)
    assert second.excluded == 12 and not drawn & {p.compound_id for p in second.result.picks}
    with pytest.raises(ValueError, match="超过可抽取的小区数"):  # everything drawn within 6 months
        iq.run_draw(engine, COUNTY, n=1, actor="专班", seed=6, now=datetime(2026, 11, 1), exclude_months=6)
    later = iq.run_draw(engine, COUNTY, n=2, actor="专班", seed=8, now=datetime(2026, 11, 2), exclude_months=0)
    assert later.excluded == 0
    town = Scope(ids["towns"][2])
    rec = iq.run_draw(engine, town, n=3, actor="第2镇", seed=9, now=datetime(2027, 6, 1), exclude_months=0)
    with Session(engine) as s:
        towns = {s.get(Compound, p.compound_id).township_id for p in rec.result.picks}
    assert towns == {ids["towns"][2]}
    assert set(iq.draws(engine, town)["draw_id"]) >= {rec.draw_id}
    assert rec.draw_id not in set(iq.draws(engine, Scope(ids["towns"][0]))["draw_id"])
    assert iq.verify_draw(engine, rec.draw_id).ok


def test_recusal_shortage_writes_nothing(engine):
    small_register(engine, towns=2, per_town=3, inspectors=[(0, []), (1, []), (None, [0, 1])])
    with pytest.raises(RecusalError, match="检查人员不足"):
        iq.run_draw(engine, COUNTY, n=2, actor="专班", seed=1, now=NOW)
    with Session(engine) as s:
        assert s.scalar(select(SpotCheckDraw)) is None


def test_results_items_follow_up_and_public_list_without_names(engine):
    small_register(engine)
    rec = iq.run_draw(engine, COUNTY, n=3, actor="专班", seed=11, now=NOW)
    results = iq.draw_results(engine, COUNTY, rec.draw_id, today=date(2026, 10, 25))
    assert list(results["compound_id"]) == [p.compound_id for p in rec.result.picks]
    assert results["team"].str.contains("检查员").all()
    rid = int(results["result_id"].iloc[0])
    items = iq.result_items(engine, COUNTY, rid)
    assert len(items) == 7 and items["passed"].isna().all()
    marks = {int(i): (True, None) for i in items["item_id"]}
    marks[int(items["item_id"].iloc[0])] = (False, "消防通道被占用")
    verdict = iq.record_result(engine, COUNTY, rid, items=marks, checked_at=date(2026, 10, 22), actor="检查员0")
    assert verdict == "不合格"
    again = iq.result_items(engine, COUNTY, rid)
    assert again["passed"].tolist().count(False) == 1
    row = iq.draw_results(engine, COUNTY, rec.draw_id, today=date(2026, 12, 1)).iloc[0]
    assert row["rectification_due"] == date(2026, 11, 21) and "消防通道被占用" in row["findings"]
    assert row["overdue"]
    assert len(iq.overdue_rectifications(engine, COUNTY, date(2026, 12, 1))) == 1
    with pytest.raises(ValueError, match="不能早于检查日期"):
        iq.record_follow_up(engine, COUNTY, rid, rectified_at=date(2026, 10, 1), note="", actor="x")
    iq.record_follow_up(engine, COUNTY, rid, rectified_at=date(2026, 11, 15), note="复查合格", actor="x")
    assert not iq.draw_results(engine, COUNTY, rec.draw_id, today=date(2026, 12, 1)).iloc[0]["overdue"]

    assert iq.published_list(engine, COUNTY).empty
    iq.set_published(engine, rec.draw_id, True, actor="专班")
    public = iq.published_list(engine, COUNTY)
    assert len(public) == 3 and "已整改" in set(public["rectification"])
    text = public.astype(str).to_string()
    assert "检查员" not in text and ("县住建局" in text or "镇物业办" in text)


def test_result_outside_the_scope_is_refused(engine):
    ids = small_register(engine)
    rec = iq.run_draw(engine, COUNTY, n=3, actor="专班", seed=4, now=NOW, stratify=False)
    pick = rec.result.picks[0]
    other = next(t for t in ids["towns"] if t != pick.township_id)
    rid = int(iq.draw_results(engine, COUNTY, rec.draw_id)["result_id"].iloc[0])
    with pytest.raises(PermissionError):
        iq.result_items(engine, Scope(other), rid)


def test_checklist_edit_validates_before_writing(engine):
    items = iq.check_items(engine)
    assert "消防通道与电动车充电" in set(items["name"])
    bad = items.copy()
    bad.loc[0, "name"] = ""
    bad.loc[1, "code"] = bad.loc[2, "code"]
    errors = iq.save_check_items(engine, bad)
    assert any("名称不能为空" in e for e in errors) and any("重复" in e for e in errors)
    assert iq.check_items(engine)["name"].iloc[0] == items["name"].iloc[0]
    good = items.copy()
    good.loc[len(good)] = {"code": "ZH", "name": "智慧物业平台使用", "guidance": None, "active": True}
    good.loc[0, "active"] = False
    assert iq.save_check_items(engine, good) == []
    now = iq.check_items(engine)
    assert "智慧物业平台使用" in set(now["name"]) and items["name"].iloc[0] not in set(now["name"])


def test_cli_verify_draw(engine, capsys):
    from data.__main__ import main

    small_register(engine)
    rec = iq.run_draw(engine, COUNTY, n=3, actor="专班", seed=21, now=NOW)
    url = engine.url.render_as_string(hide_password=False)
    assert main(["verify-draw", str(rec.draw_id), "--db", url]) == 0
    assert "验证通过" in capsys.readouterr().out
    assert main(["verify-draw", "9999", "--db", url]) == 2


def test_a_checklist_needs_every_item_checked_and_a_note_for_each_failure(engine):
    small_register(engine)
    rec = iq.run_draw(engine, COUNTY, n=2, actor="专班", seed=5, now=NOW)
    rid = int(iq.draw_results(engine, COUNTY, rec.draw_id)["result_id"].iloc[0])
    ids = [int(i) for i in iq.result_items(engine, COUNTY, rid)["item_id"]]
    marks = {i: ("合格", None) for i in ids}
    marks[ids[0]] = ("未检查", None)
    with pytest.raises(ValueError, match="尚有 1 项未检查"):
        iq.record_result(engine, COUNTY, rid, items=marks, checked_at=date(2026, 10, 22), actor="x")
    marks[ids[0]] = ("不合格", "  ")
    with pytest.raises(ValueError, match="不合格的事项须写明情况"):
        iq.record_result(engine, COUNTY, rid, items=marks, checked_at=date(2026, 10, 22), actor="x")
    assert iq.result_items(engine, COUNTY, rid)["passed"].isna().all()  # nothing written
    marks[ids[0]] = ("不合格", "楼道堆物")
    marks[ids[1]] = ("合格", "公示栏已更新，但字迹褪色")  # a remark on a passed item is kept
    assert iq.record_result(engine, COUNTY, rid, items=marks, checked_at=date(2026, 10, 22), actor="x",
                            rectification_due=date(2026, 11, 5)) == "不合格"
    items = iq.result_items(engine, COUNTY, rid).set_index("item_id")
    assert items.loc[ids[1], "note"] == "公示栏已更新，但字迹褪色" and bool(items.loc[ids[1], "passed"])
    row = iq.draw_results(engine, COUNTY, rec.draw_id, today=date(2026, 10, 25)).iloc[0]
    assert row["rectification_due"] == date(2026, 11, 5)
    assert "楼道堆物" in row["findings"] and "字迹褪色" in row["findings"]


def test_a_passed_checklist_with_remarks_does_not_claim_nothing_was_found(engine):
    small_register(engine)
    rec = iq.run_draw(engine, COUNTY, n=2, actor="专班", seed=6, now=NOW)
    rid = int(iq.draw_results(engine, COUNTY, rec.draw_id)["result_id"].iloc[0])
    ids = [int(i) for i in iq.result_items(engine, COUNTY, rid)["item_id"]]
    marks = {i: ("合格", None) for i in ids}
    marks[ids[2]] = ("合格", "电梯年检标志将到期")
    assert iq.record_result(engine, COUNTY, rid, items=marks, checked_at=date(2026, 10, 22), actor="x") == "合格"
    findings = iq.draw_results(engine, COUNTY, rec.draw_id).iloc[0]["findings"]
    assert "电梯年检标志将到期" in findings and "未发现明显问题" not in findings
