"""Tables as people read them, with their Excel download: one way for every page.

Headers in the current language (a page's own ``<prefix><column>`` key first,
then the shared one), times as ``YYYY-MM-DD HH:MM``, 是/否 for yes-no columns,
blanks rather than ``None``; the download names who exported it and is audited
(``ui.state.download_xlsx``).

Every download goes through the app (issue 13): the data grid's own toolbar
download ("Download as CSV") would bypass the audit and the formula
neutralising of ``data.exporters``, so it is switched off with
``client.disableDataExport`` (``.streamlit/config.toml``; re-asserted here for
a server started with another config).
"""
from __future__ import annotations

from datetime import date, datetime

import pandas as pd
import streamlit as st

from ui.text import COLUMNS, lang, t

if not st.get_option("client.disableDataExport"):  # no table download that skips the audit
    st.set_option("client.disableDataExport", True)


def labelled(frame: pd.DataFrame, columns: list[str] | None = None, *, prefix: str = "",
             keep_types: bool = False) -> pd.DataFrame:
    """``frame[columns]`` (all columns by default) ready to show, or with ``keep_types`` to export:
    Excel then gets real dates and numbers, not their text."""
    i = 1 if lang() == "en" else 0
    columns = list(frame.columns) if columns is None else columns
    out = frame[columns].copy()
    for c in columns:
        if pd.api.types.is_bool_dtype(out[c]):
            out[c] = out[c].map({True: t("yes"), False: t("no")})
        elif pd.api.types.is_datetime64_any_dtype(out[c]) and not keep_types:
            out[c] = out[c].dt.strftime("%Y-%m-%d %H:%M").astype(object).where(out[c].notna(), "")
        elif pd.api.types.is_object_dtype(out[c]) or pd.api.types.is_string_dtype(out[c]):
            out[c] = out[c].astype(object).where(out[c].notna(), "")
    return out.rename(columns={c: COLUMNS.get(f"{prefix}{c}", COLUMNS.get(c, (c, c)))[i] for c in columns})


def _shown(value) -> str:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return value if isinstance(value, str) else f"{value}"


def for_display(shown: pd.DataFrame) -> pd.DataFrame:
    """``shown`` with its mixed text columns (dates or numbers beside blanks) as text, for ``st.dataframe``.

    Arrow cannot put a date or a Decimal and "" in one column; Streamlit would try,
    log a traceback and convert it anyway. The Excel export keeps the real values.
    """
    mixed = [c for c in shown.columns if shown[c].dtype == object
             and not shown[c].map(lambda v: isinstance(v, str)).all()]
    return shown.assign(**{c: shown[c].map(_shown) for c in mixed}) if mixed else shown


def table(frame: pd.DataFrame, columns: list[str] | None = None, *, name: str, key: str, prefix: str = "",
          empty: str | None = None, height: int | None = None, title: str | None = None,
          notes: dict | None = None, dated: bool = True, select: dict | None = None) -> pd.DataFrame:
    """Show ``frame`` with :func:`labelled` and an Excel download (``dl_<key>``); returns what was shown.

    The workbook has the title, scope, period (``dated``), time of export and ``notes`` above
    the header, and real dates and numbers in the cells.
    """
    from ui.state import download_xlsx

    shown = labelled(frame, columns, prefix=prefix)
    if shown.empty and empty:
        st.caption(empty)
    st.dataframe(for_display(shown), hide_index=True, width="stretch", **({"height": height} if height else {}),
                 **(select or {}))
    download_xlsx(t("download_xlsx"), labelled(frame, columns, prefix=prefix, keep_types=True),
                  file_name=f"{name}.xlsx", key=f"dl_{key}", sheet_name=name[:31], title=title, notes=notes,
                  dated=dated)
    return shown
