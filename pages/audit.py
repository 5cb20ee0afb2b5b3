"""审计日志: who did what, when and in which scope — append-only, read by administrators."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta

import streamlit as st

from data import audit
from data import db
from ui import state as state
from ui.cache import load_communities, load_townships
from ui import setup as setup
from ui.text import headers, t

SIGN_IN_SOURCES = {"local": "本地账号", "oidc": "统一身份认证"}


def scope_label(key, names: dict[str, str]) -> str:
    """``county/3/12`` → 金乡街道 · 某社区; ``county/*/*`` → 全县 (audit scopes are stored as keys)."""
    if not isinstance(key, str) or not key.startswith("county/"):
        return key or ""
    _, town, comm = (key.split("/") + ["*", "*"])[:3]
    if town == "*":
        return t("whole_county")
    label = names.get(town, town)
    return label if comm == "*" else f"{label} · {names.get('c' + comm, comm)}"

if not state.can("read_audit"):  # the page matrix hides it from other roles; this refuses a forced visit
    st.error(t("acc_no_right"))
    st.stop()
engine = state.engine()
st.title(t("acc_audit_title"))
setup.guard("pages/audit.py")  # an empty county: what to import next
st.caption(t("acc_audit_caption"))

today = date.today()
c1, c2, c3 = st.columns(3)
since = c1.date_input(t("acc_audit_since"), today - timedelta(days=30), key="audit_since")
until = c2.date_input(t("acc_audit_until"), today, key="audit_until")
user = c3.text_input(t("acc_audit_user"), key="audit_user").strip()
c4, c5 = st.columns([2, 1])
actions = c4.multiselect(t("acc_audit_actions"), list(audit.ACTIONS), format_func=audit.ACTIONS.get,
                         key="audit_actions", placeholder=t("acc_audit_all_actions"))
text = c5.text_input(t("acc_audit_text"), key="audit_text").strip()

if since > until:
    st.error(t("acc_audit_bad_range"))
    st.stop()
frame = audit.entries(engine, since=datetime.combine(since, time.min),
                      until=datetime.combine(until + timedelta(days=1), time.min),
                      username=user or None, actions=actions or None, text=text or None)
st.caption(f"{len(frame):,} {t('acc_audit_count')}" + (t("acc_audit_capped") if len(frame) >= 5000 else ""))
towns = load_townships(db.default_url(), (None, None))
names = dict(zip(towns["id"].astype(str), towns["name"]))
comms = load_communities(db.default_url(), (None, None))
names |= {f"c{k}": v for k, v in zip(comms["id"].astype(str), comms["name"])}
frame["scope"] = frame["scope"].map(lambda key: scope_label(key, names))
frame["target"] = frame["target"].replace(SIGN_IN_SOURCES)
shown = frame.drop(columns=["id", "action"]).rename(columns=headers(["at", "username", "action_label", "target",
                                                                    "scope", "detail"]))
st.dataframe(shown, hide_index=True, width="stretch", height=min(560, 38 + 35 * max(len(shown), 1)))
state.download_xlsx(t("download_xlsx"), shown, file_name=f"审计日志_{since:%Y%m%d}-{until:%Y%m%d}.xlsx",
                    key="dl_audit", sheet_name="审计日志")
