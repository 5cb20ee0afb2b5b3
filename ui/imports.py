"""An import's result as every page shows it: summary, counts, the row-by-row errors, notes, the report as Excel."""
from __future__ import annotations

import streamlit as st

from data.errors import user_message
from data.importers.readers import upload_limits
from data.importers.report import ImportReport
from ui.text import md_escape, t


def run_guarded(engine, importer, *args, action: str = "导入", **kwargs) -> ImportReport | None:
    """Run ``importer(engine, *args, **kwargs)`` within the upload limits of ``engine``'s settings.

    Any exception becomes a Chinese message with an error id (logged with its
    traceback, no server path) and ``None`` is returned: no traceback reaches a user.
    """
    try:
        with upload_limits(engine):
            return importer(engine, *args, **kwargs)
    except Exception as exc:  # noqa: BLE001 - see docstring
        st.error(user_message(exc, action=action))
        return None


def show_report(report: ImportReport, name: str, *, key: str = "dl_import_errors") -> None:
    """Show ``report``; nothing was written when it has errors, and the table says so."""
    (st.success if report.ok else st.error)(md_escape(report.summary()))
    c = st.columns(4)
    for col, label, value in zip(c, ("dp_rows", "dp_created", "dp_updated", "dp_unchanged"),
                                 (report.rows, report.created, report.updated, report.unchanged)):
        col.metric(t(label), value)
    if report.related:
        st.caption(md_escape("、".join(f"{k} {v}" for k, v in report.related.items())))
    for line in report.column_lines():  # columns guessed and not used, the CRS test: always in view
        st.caption(md_escape(line))
    if not report.ok:
        st.subheader(t("dp_errors"))
        st.dataframe(report.errors_frame(), hide_index=True, width="stretch")
    if report.notes:
        with st.expander(f"{t('dp_notes')}（{len(report.notes)}）"):
            st.dataframe(report.notes_frame(), hide_index=True, width="stretch")
    st.download_button(t("dp_error_xlsx") if not report.ok else t("download_xlsx"), report.to_excel_bytes(),
                       file_name=f"导入报告_{name}.xlsx", key=key)
