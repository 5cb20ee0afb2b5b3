"""Oversight: inspectors, past spot-check draws (双随机) with results, joint
enforcement cases (执法联动) with their six steps, and one demo user per role.
"""
from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np

from data.demo import names
from data.demo.complaints import ComplaintStats
from data.demo.places import STREETS, Places
from data.demo.records import BLACK_BELOW, Records
from data.demo.registers import Companies, Compounds
from data.bulk import insert_bulk
from data.demo.util import insert_ids, month_start, rngs, xy_to_lonlat
from data.schema import CaseStep, EnforcementCase, Inspector, SpotCheckDraw, SpotCheckResult, User
from data.vocab import CASE_STEPS, CASE_TRANSFER, ROLES

COUNTY_UNITS = ("县住建局", "县住建局", "县住建局", "县住建局", "县综合行政执法局", "县综合行政执法局",
                "县市场监管局", "县消防救援大队")
FINDINGS = ("消防通道堵塞", "楼道堆放杂物", "三会三公开公示栏未及时更新", "绿化养护不到位", "垃圾清运不及时",
            "电梯维保记录不全", "监控设施部分损坏", "门岗值守不规范", "收费标准未公示", "公共收益未公开",
            "项目经理接待日未落实", "飞线充电未制止", "路灯损坏未维修", "化粪池清掏不及时")
CASES = (("违法建设", "综合行政执法局", "一楼住户在公共绿地私自搭建彩钢棚约{a}平方米"),
         ("占用绿地", "综合行政执法局", "住户毁坏公共绿地约{a}平方米改种蔬菜"),
         ("擅自改变房屋用途", "综合行政执法局", "住宅改为经营性餐饮，油烟噪音扰民"),
         ("擅自改变外立面", "综合行政执法局", "住户擅自拆改外立面加装防盗窗外扩"),
         ("破坏承重结构", "住房和城乡建设局", "装修中拆除承重墙体约{a}平方米"),
         ("堵塞消防通道", "消防救援大队", "车辆及杂物长期堵塞消防车通道"),
         ("飞线充电", "消防救援大队", "住户从楼上私拉电线为电动车充电"),
         ("占用人防工程", "人防办", "地下人防工程被改作仓库出租"),
         ("规划外加建", "自然资源和规划局", "顶层住户在屋面加建阁楼约{a}平方米"))
STEP_GAP_H = {"拍照": (0.2, 1), "制止": (0.5, 24), "呈报": (24, 72), "处理": (24, 168), "结案": (120, 720)}


def build_oversight(conn, seed: int, pl: Places, co: Companies, cs: Compounds,
                    stats: ComplaintStats, rec: Records, end_month: str) -> dict:
    r, rng = rngs(seed, 6)
    end = datetime.combine(month_start(end_month, 1), datetime.min.time())
    counts = {}

    # Inspectors: county units (no township) and township staff (recused from their own).
    ins_rows = [{"name": names.person(r), "unit": u, "township_id": None, "linked_company_ids": []}
                for u in COUNTY_UNITS]
    towns = list(range(len(STREETS))) + sorted(r.sample(range(len(STREETS), len(pl.township_ids)), 8))
    for t in towns:
        ins_rows.append({"name": names.person(r), "unit": f"{pl.township_names[t]}物业办",
                         "township_id": pl.township_ids[t], "linked_company_ids": []})
    for j in r.sample(range(len(ins_rows)), 4):  # e.g. a former employer: recusal
        ins_rows[j]["linked_company_ids"] = sorted(r.sample(co.ids, r.randint(1, 2)))
    for k, row in enumerate(ins_rows, start=1):  # 执法证号, the register's natural key (no draw from the RNG)
        row["cert_no"] = f"鲁JX{k:04d}"
    ins_ids = insert_ids(conn, Inspector, ins_rows)
    ins_town = [row["township_id"] for row in ins_rows]
    counts["检查人员"] = len(ins_ids)

    # Four quarterly draws, the last one still being worked on.
    served = np.flatnonzero(cs.company >= 0)
    per_team = 2
    res_rows, n_draws = [], 4
    for d in range(n_draws):
        month = month_start(end_month, -11 + 3 * d)
        drawn = datetime(month.year, month.month, 10, 9, 30)
        m = int(np.clip(round(0.03 * len(cs.ids)), 12, 60))
        mi = (month.year * 12 + month.month) - (stats.months[0].year * 12 + stats.months[0].month)
        recent = stats.per_compound_month[served, max(0, mi - 3):max(1, mi)].sum(axis=1)
        black = np.nan_to_num(rec.scores[served, -1] < BLACK_BELOW)
        wgt = (1.0 + recent) * (1.0 + black)
        pick = served[rng.choice(len(served), size=min(m, len(served)), replace=False, p=wgt / wgt.sum())]
        draw_seed = int(rng.integers(1, 2**31 - 1))
        draw_id = insert_ids(conn, SpotCheckDraw, [{
            "drawn_at": drawn, "actor": "县物业管理工作专班", "seed": draw_seed, "scope": "全县",
            "params": {"count": len(pick), "inspectors_per_team": per_team, "exclude_own_township": True,
                       "weights": {"complaints": 1.0, "black_list": 1.0}},
            "published": d < n_draws - 1}])[0]
        for c in sorted(pick.tolist()):
            tid, cid = pl.township_ids[cs.lay.township[c]], co.ids[cs.company[c]]
            ok = [k for k in range(len(ins_ids))
                  if ins_town[k] != tid and cid not in ins_rows[k]["linked_company_ids"]]
            team = sorted(ins_ids[k] for k in r.sample(ok, per_team))
            checked = drawn + timedelta(days=r.randint(3, 20))
            row = {"draw_id": draw_id, "compound_id": cs.ids[c], "inspector_ids": team, "checked_at": None,
                   "score": None, "findings": None, "rectification_due": None, "rectified_at": None}
            if checked < end:
                q = co.quality[cs.company[c]]
                score = float(np.clip(round((55 + 40 * q + rng.normal(0, 6)) * 2) / 2, 40, 100))
                k = 0 if score >= 90 else 1 if score >= 80 else r.randint(2, 4)
                row.update(checked_at=checked.date(), score=score,
                           findings="；".join(r.sample(FINDINGS, k)) if k else "未发现明显问题")
                if score < 80:
                    due = checked.date() + timedelta(days=r.choice((15, 30)))
                    row["rectification_due"] = due
                    done = due + timedelta(days=r.randint(-12, 10))
                    if r.random() < 0.8 and done < end.date() and done > checked.date():
                        row["rectified_at"] = done
            res_rows.append(row)
    insert_bulk(conn, SpotCheckResult, res_rows)
    counts["抽查批次"], counts["抽查结果"] = n_draws, len(res_rows)
    counts.update(_cases(conn, r, rng, pl, co, cs, end))
    counts["用户"] = _users(conn, r, pl)
    return counts


def _cases(conn, r, rng, pl, co, cs, end: datetime) -> dict:
    n = max(30, min(60, len(cs.ids) // 30))
    old = np.isin(cs.lay.klass, (1, 2, 3)) + 0.5
    picks = rng.choice(len(cs.ids), size=n, replace=False, p=old / old.sum())
    cases, steps_per = [], []
    for k, c in enumerate(sorted(picks.tolist())):
        cat, dept, tpl = r.choice(CASES)
        opened = end - timedelta(days=r.randint(3, 360), hours=r.randint(0, 10))
        company = co.names[cs.company[c]] if cs.company[c] >= 0 else None
        finder = company or f"{pl.community_names[cs.lay.community[c]]}居委会"
        reporter, receiver = names.person(r), names.person(r)
        target = r.choices(range(len(CASE_STEPS)), (5, 5, 15, 15, 20, 40))[0]
        desc = tpl.format(a=r.randint(8, 60))
        t, steps = opened, [("发现", opened, f"{finder} {reporter}", "巡查发现：" + desc)]
        if r.random() < 0.15:
            t += timedelta(hours=r.uniform(1, 4))
            steps.append((CASE_TRANSFER, t, f"{pl.township_names[cs.lay.township[c]]}物业办",
                          f"非本单位职责，已即时通知{dept}"))
        for s in CASE_STEPS[1: target + 1]:
            lo, hi = STEP_GAP_H[s]
            nt = t + timedelta(hours=r.uniform(lo, hi))
            if nt >= end:
                break
            t = nt
            actor = {"拍照": f"{finder} {reporter}", "制止": f"{finder} {reporter}", "呈报": finder,
                     "处理": f"{dept} {receiver}", "结案": dept}[s]
            note = {"拍照": f"现场拍照取证{r.randint(2, 6)}张", "制止": "现场劝阻，当事人拒不改正",
                    "呈报": f"填写案件呈报表，报送{dept}", "处理": "已立案调查，下达责令限期改正通知书",
                    "结案": r.choice(("当事人已自行拆除，恢复原状", "已按要求整改到位", "依法处罚并整改完毕"))}[s]
            steps.append((s, t, actor, note))
        reached = [s for s, *_ in steps if s in CASE_STEPS][-1]
        x, y = cs.lay.quads[c].mean(axis=0)
        lon, lat = xy_to_lonlat([x], [y])
        filed = CASE_STEPS.index(reached) >= CASE_STEPS.index("呈报")
        handled = CASE_STEPS.index(reached) >= CASE_STEPS.index("处理")
        when = {s: at for s, at, *_ in steps}
        cases.append({
            "case_no": f"JXLD-{opened.year}-{k + 1:03d}", "compound_id": cs.ids[c],
            "township_id": pl.township_ids[cs.lay.township[c]], "category": cat, "department": dept,
            "step": reached, "opened_at": opened, "closed_at": when.get("结案"),
            "location": f"{cs.addresses[c]}{cs.names[c]}{r.randint(1, max(1, int(cs.buildings[c])))}号楼",
            "lon": round(float(lon[0]), 7), "lat": round(float(lat[0]), 7),
            "details": desc,
            "reporting_unit": finder if filed else None, "reporter": reporter if filed else None,
            "reporter_phone": names.phone(r) if filed else None,
            "receiving_unit": f"金乡县{dept}" if filed else None, "receiver": receiver if filed else None,
            "receiver_phone": names.landline(r) if filed else None,
            "reporting_opinion": (f"经现场劝阻，当事人拒不改正，请依法查处。（签字：{reporter}，"
                                  f"{when['呈报']:%Y-%m-%d}）") if filed else None,
            "receiving_opinion": (f"已受理，依法立案调查处理。（签字：{receiver}，{when['处理']:%Y-%m-%d}）"
                                  if handled else None),
            "remarks": f"附现场照片{r.randint(2, 6)}张" if filed else None,
        })
        steps_per.append(steps)
    ids = insert_ids(conn, EnforcementCase, cases)
    rows = [{"case_id": cid, "step": s, "at": at, "actor": actor, "note": note}
            for cid, steps in zip(ids, steps_per) for s, at, actor, note in steps]
    insert_bulk(conn, CaseStep, rows)
    return {"执法案件": len(ids), "案件环节": len(rows)}


def _users(conn, r, pl: Places) -> int:
    rows = [
        {"username": "leader", "display_name": "县物业管理工作专班", "role": "leader"},
        {"username": "housing", "display_name": "县住建局物业科", "role": "housing"},
        {"username": "admin", "display_name": "系统管理员", "role": "admin"},
        {"username": "inspector1", "display_name": f"检查员{names.person(r)}", "role": "inspector"},
        {"username": "inspector2", "display_name": f"检查员{names.person(r)}", "role": "inspector"},
    ]
    for k in list(range(len(STREETS))) + [pl.township_names.index("化雨镇")]:
        suffix = "jd" if k < len(STREETS) else "zhen"
        rows.append({"username": f"{pl.township_pinyin[k]}_{suffix}", "display_name": f"{pl.township_names[k]}物业办",
                     "role": "township", "township_id": pl.township_ids[k]})
    c = pl.community_township.index(0)
    rows.append({"username": "jinxiang_sq1", "display_name": f"{pl.community_names[c]}居委会",
                 "role": "community", "township_id": pl.township_ids[0], "community_id": pl.community_ids[c]})
    for row in rows:
        row.setdefault("township_id", None)
        row.setdefault("community_id", None)
        row.update(password_hash=None, active=True, failed_logins=0)
    assert {row["role"] for row in rows} >= set(ROLES)
    return len(insert_ids(conn, User, rows))
