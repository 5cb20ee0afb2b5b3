"""Shared pieces of the 问责台账 page and the overview's register figures.

``sync`` keeps the register in step with the month the user looks at (cheap:
``data.queries.register.sync_register`` skips when nothing changed).
"""
from __future__ import annotations

import pandas as pd
import streamlit as st

from data import db
from data.queries import register as reg
from policy import register as R
from ui import state
from ui import tables as _tables
from ui.text import t

ITEM_SHOWN = ["id", "period", "township", "subject", "rule_label", "action_label", "figures", "responsible_unit",
              "due_date", "state", "reason", "evidence_note", "evidence_file", "updated_by", "updated_at"]


def month_of(period) -> str | None:
    return None if period is None else period.last_month().label()


def periods_of(month: str) -> list[str]:
    """The periods a month's page covers (``data.queries.register.periods_of``)."""
    return reg.periods_of(month)


def sync(month: str | None) -> None:
    """Bring the register up to date for ``month``; a failure never breaks the page, it is said.

    Runs on the county engine, not the user's: on PostgreSQL a township user's connections
    see only their township (row-level security), and a ladder computed from that would
    withdraw every other township's items. The sync writes only what the rules decide.
    """
    if month is None:
        return
    try:
        reg.sync_register(db.shared_engine(db.default_url()), month)
    except Exception as exc:  # noqa: BLE001 - the page still shows what is stored
        st.warning(f"问责台账同步未完成：{exc}")


def table(frame: pd.DataFrame, columns: list[str], *, name: str, key: str) -> pd.DataFrame:
    return _tables.table(frame, columns, name=name, key=key, prefix="ar_", empty=t("ar_none"))


def figures(summary: pd.DataFrame) -> dict[str, int]:
    return {k: int(summary[k].sum()) for k in ("owed", "done", "overdue", "pending")}


def show_figures(summary: pd.DataFrame) -> None:
    """应落实 / 已落实 / 逾期 / 待落实 as four tiles."""
    f = figures(summary)
    cols = st.columns(4)
    for col, k in zip(cols, ("owed", "done", "overdue", "pending")):
        col.metric(t(f"ar_{k}"), f"{f[k]:,}", border=True)


def state_options(current: str) -> list[str]:
    """The states an item in ``current`` may move to (policy.register.CHANGES)."""
    return [new for (old, new) in R.CHANGES if old == current]
