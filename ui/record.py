"""The compound record panel beside a map (a summary; the full record is its own page)."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from data import vocab
from policy import ratings
from ui.text import md_escape, tf


def _unknown(value) -> bool:
    return value is None or (not isinstance(value, str) and pd.isna(value))


def _yes(value) -> str:
    from ui.text import t

    if _unknown(value):
        return t("not_reported")
    return t("cmp_has") if bool(value) else t("cmp_has_not")


def _n(value):
    """A count, or 未填报 when unknown (never 0)."""
    from ui.text import t

    return t("not_reported") if _unknown(value) else int(value)


def _day(value) -> str:
    return "—" if _unknown(value) else pd.Timestamp(value).strftime("%Y-%m-%d")


def fact_rows(facts) -> dict[str, str]:
    """Rating, fee status, credit, last inspection and open items (``data.queries.record.RecordFacts``)."""
    from ui.text import t, tv

    ev, credit, check = facts.evaluation, facts.credit, facts.last_check
    rating = t("cmp_f_none") if ev is None else t("cmp_f_rating_v").format(
        q=ev["quarter"], s="—" if ev["score"] is None else f"{float(ev['score']):.1f}",
        l=t("cmp_f_not_listed") if ev["list"] == "—" else tv(ev["list"]))
    fee = tv(facts.fee_status) + ("" if facts.fee_changed_at is None else f"（{_day(facts.fee_changed_at)}）")
    if check is None:
        last = t("cmp_f_none")
    elif _unknown(check["checked_at"]):
        last = t("cmp_f_check_pending").format(d=_day(check["drawn_at"]))
    else:
        last = t("cmp_f_check_done").format(d=_day(check["checked_at"]),
                                            v="" if _unknown(check["verdict"]) else tv(check["verdict"]))
        if not _unknown(check["rectified_at"]):
            last += t("cmp_f_check_rectified")
        elif not _unknown(check["rectification_due"]):
            last += t("cmp_f_check_due").format(d=_day(check["rectification_due"]))
    return {
        "cmp_f_rating": rating,
        "cmp_f_fee_status": fee,
        "cmp_f_credit": t("cmp_f_none") if credit is None else t("cmp_f_credit_v").format(
            g=credit["grade"], q=credit["quarter"]),
        "cmp_f_last_check": last,
        "cmp_f_open": t("cmp_f_open_v").format(n=facts.open_items, o=facts.overdue_items, c=facts.open_cases),
    }


def _facts(compound_id: int):
    """The signed-in reader's :class:`data.queries.record.RecordFacts` of one compound (cached), or None."""
    from datetime import date

    from data import db
    from data.scope import ScopeError
    from ui import cache, state
    from ui.cache_inspection import viewer_key

    try:
        return cache.load_record_facts(db.default_url(), cache.scope_key(state.scope()), int(compound_id),
                                       date.today().isoformat(), viewer_key(state.current_user()))
    except ScopeError:
        return None


def show_record_summary(compounds: pd.DataFrame, compound_id: int) -> None:
    """Show the key facts of one compound from the (already scoped) frame.

    Besides the profile: rating, fee status, credit, the last inspection and open items
    (one small cached read, :func:`data.queries.record.record_facts`).
    """
    from ui.text import t

    rows = compounds[compounds["id"] == compound_id]
    if rows.empty:
        st.warning(t("cmp_out_of_scope"))
        return
    r = rows.iloc[0]
    facts = _facts(compound_id)
    st.markdown(f"#### {md_escape(r['name'])}")
    st.caption(" · ".join(md_escape(r[k]) for k in ("township", "community", "code")))
    level = vocab.FEE_LEVELS.get(int(r["fee_level"])) if pd.notna(r["fee_level"]) else "—"
    price = t("cmp_f_price").format(p=r["fee_price"]) if pd.notna(r["fee_price"]) else "—"
    from ui.text import tv

    shown = {
        "cmp_f_class": t("not_reported") if _unknown(r["compound_class"]) else tv(r["compound_class"]),
        "cmp_f_mode": tv(r["management_mode"]),
        "cmp_f_company": r["company"] or "—",
        "cmp_f_manager": r["manager"] or "—",
        "cmp_f_complaints": t("cmp_f_complaints_v").format(n=int(r["complaints"])),
        **(fact_rows(facts) if facts is not None else {}),  # what a leader asks first, before the profile
        "cmp_f_size": t("cmp_f_size_v").format(h=_n(r["households"]), b=_n(r["buildings"])),
        "cmp_f_year": "—" if pd.isna(r["year_built"]) else int(r["year_built"]),
        "cmp_f_fee": f"{level} / {price}",
        "cmp_f_owners": t("not_reported") if _unknown(r["owners_body"]) else tv(r["owners_body"]),
        "cmp_f_party": _yes(r["party_branch"]) + (t("cmp_f_full_time") if not _unknown(
            r["party_secretary_full_time"]) and r["party_secretary_full_time"] else ""),
        "cmp_f_board": _yes(r["notice_board"]),
        "cmp_f_smart": _yes(r["smart_property"]),
        "cmp_f_parking": t("cmp_f_parking_v").format(p=_n(r["parking_spaces"]), e=_n(r["elevators"])),
    }
    st.table(pd.DataFrame({t("cmp_f_item"): [t(k) for k in shown],
                           t("cmp_f_value"): [md_escape(v) for v in shown.values()]})  # st.table renders Markdown
             .set_index(t("cmp_f_item")))


def show_ranking_state(record) -> None:
    """Its place in the month's county complaint ranking, the ladder state and the latest list, in words."""
    from ui.text import action_text, t

    r, lists = record.ranking, record.lists
    c1, c2, c3 = st.columns(3)
    c1.metric(t("cmp_rank").format(month=r["month"]),
              t("cmp_rank_none") if r["rank"] is None else t("cmp_rank_value").format(rank=r["rank"]),
              t("cmp_rank_of").format(n=r["complaints"], top=r["top_n"]), delta_color="off",
              delta_arrow="off")
    c2.metric(t("cmp_consecutive"), t("cmp_consecutive_v").format(n=r["consecutive_months"])
              if r["listed"] else t("cmp_consecutive_none"))
    latest = record.evaluations.iloc[0] if len(record.evaluations) else None
    c3.metric(t("cmp_latest_list"), "—" if latest is None else (
        latest["list"] if latest["list"] != "—" else t("cmp_not_listed_q")),
        None if latest is None else latest["quarter"], delta_color="off", delta_arrow="off")
    if r["listed"]:
        box = {"notify": st.info, "replace_manager": st.warning,
               "township_supervise": st.warning}.get(r["action"], st.error)
        owed = r.get("actions") or (r["action"],)  # every consequence, heaviest first
        box(t("cmp_ladder_listed").format(top=r["top_n"], rank=r["rank"], n=r["consecutive_months"],
                                          action=t("act_sep").join(action_text(a) for a in owed)),
            icon=":material/trending_up:")
    else:
        st.caption(t("cmp_ladder_not_listed").format(top=r["top_n"]))
    now = lists[lists["quarter"] == latest["quarter"]] if latest is not None and len(lists) else lists.iloc[0:0]
    if len(now) and now.iloc[0]["list"] == "黑榜":
        words = {v: t(f"cmp_cons_{k}") for k, v in ratings.ACTIONS.items()}
        st.error(tf("cmp_black_now", quarter=now.iloc[0]["quarter"], n=int(now.iloc[0]["black_count"]),
                    action=t("alert_sep").join(words.get(c, c) for c in now.iloc[0]["consequence"].split(
                        ratings.CONSEQUENCE_SEP))),
                 icon=":material/gavel:")
    elif len(now):
        st.success(t("cmp_red_now").format(quarter=now.iloc[0]["quarter"]), icon=":material/thumb_up:")


def _table(frame: pd.DataFrame, name: str, key: str) -> None:
    """A record table with Chinese headers, or a 'no records' line."""
    from ui.text import headers, t

    if frame.empty:
        st.caption(t("cmp_none"))
        return
    st.dataframe(frame.rename(columns=headers(frame.columns)), hide_index=True, width="stretch",
                 key=f"tbl_{key}")


def record_sheets(record) -> dict[str, pd.DataFrame]:
    """The record as Excel sheets (Chinese headers), for the one-click download."""
    from ui.text import headers

    r = record.profile
    profile = pd.DataFrame({"项目": ["名称", "编码", "镇街", "社区", "地址", "小区类型", "管理模式",
                                   "物业企业", "项目经理", "户数", "楼栋数", "建成年份", "业主组织"],
                            "内容": [str(r[c]) if pd.notna(r[c]) else "" for c in
                                   ("name", "code", "township", "community", "address",
                                    "compound_class", "management_mode", "company", "manager",
                                    "households", "buildings", "year_built", "owners_body")]})
    rk = record.ranking
    ranking = pd.DataFrame({"项目": ["月份", "全县排名", "本月诉求", "上榜名额", "连续上榜月数", "问责措施"],
                            "内容": [rk.get("month"), "" if rk.get("rank") is None else rk["rank"],
                                   rk.get("complaints"), rk.get("top_n"), rk.get("consecutive_months"),
                                   rk.get("action_label")]})
    sheets = {"概况": profile, "投诉排名": ranking, "诉求趋势": record.trend, "诉求类别": record.categories,
              "红黑榜": record.lists, "考评": record.evaluations, "信用等级": record.credit, "收费标准": record.fees,
              "调价记录": record.fee_changes, "抽查": record.spot_checks, "执法案件": record.cases}
    return {name: df.rename(columns=headers(df.columns)) for name, df in sheets.items()}


def show_full_record(record) -> None:
    """The whole compound record in tabs: complaints, evaluation, fees, parking, checks."""
    from ui.text import t

    show_ranking_state(record)
    tabs = st.tabs([t("cmp_tab_complaints"), t("cmp_tab_evaluation"), t("cmp_tab_fees"),
                    t("cmp_tab_parking"), t("cmp_tab_inspection")])
    with tabs[0]:
        st.markdown(f"**{t('cmp_trend')}**")
        # the last 12 months against the same months a year earlier: over all 24 months the
        # second line would only repeat the first, shifted by a year
        chart = record.trend.tail(12).set_index("month")[["complaints", "last_year"]].rename(
            columns={"complaints": t("cmp_this_year"), "last_year": t("cmp_last_year")})
        st.line_chart(chart, height=240)
        st.markdown(f"**{t('cmp_category_mix')}**")
        if record.categories.empty:
            st.caption(t("cmp_none"))
        else:
            st.bar_chart(record.categories.set_index("category")["count"], height=220,
                         horizontal=True)
    with tabs[1]:
        st.metric(t("cmp_credit_grade"), record.credit_grade or "—")
        st.markdown(f"**{t('cmp_lists')}**")
        _table(record.lists, "lists", "ls")
        st.markdown(f"**{t('cmp_evaluations')}**")
        _table(record.evaluations, "evaluations", "ev")
        st.markdown(f"**{t('cmp_credit_history')}**")
        _table(record.credit, "credit", "cr")
    with tabs[2]:
        st.metric(t("cmp_fee_status"), record.fee_status)
        _table(record.fees, "fees", "fe")
        _table(record.fee_changes, "fee_changes", "fc")
    with tabs[3]:
        p = record.parking
        c1, c2, c3 = st.columns(3)
        c1.metric(t("cmp_parking_spaces"), _n(p["spaces"]))
        c2.metric(t("cmp_parking_cars"), _n(p["cars"]),
                  help=t("cmp_estimated") if p["cars_estimated"] else None)
        c3.metric(t("cmp_parking_shortage"), _n(p["shortage"]))
    with tabs[4]:
        _table(record.spot_checks, "spot_checks", "sc")
        _table(record.cases, "cases", "cs")
    show_register_items("compound", int(record.profile["id"]) if "id" in record.profile else None)


def show_register_items(subject_kind: str, subject_id: int | None) -> None:
    """The accountability-register items of one compound, company or township (问责台账)."""
    from data.queries import register as reg
    from ui import state
    from ui.tables import for_display, labelled
    from ui.text import t

    if subject_id is None:
        return
    frame = reg.items(state.engine(), state.scope())
    frame = frame[(frame["subject_kind"] == subject_kind) & (frame["subject_id"] == subject_id)]
    st.markdown(f"**{t('nav_register')}**")
    if frame.empty:
        st.caption(t("ar_none"))
        return
    st.dataframe(for_display(labelled(frame, ["period", "rule_label", "action_label", "figures", "responsible_unit",
                                              "due_date", "state"], prefix="ar_")),
                 hide_index=True, width="stretch", key=f"tbl_register_{subject_kind}_{subject_id}")
