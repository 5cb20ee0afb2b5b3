"""数据管理: imports (every register: boundaries, compounds, complaints, evaluations, credit, fees, parking,
inspectors, companies; validated, all-or-nothing, with progress and a row-by-row error report) and their
templates, the compound register, the companies (and merging), and the queue of complaints matched to no
compound, with manual matching."""
from __future__ import annotations

import tempfile
from pathlib import Path

import streamlit as st

from data import db, importers
from data.importers.complaints import import_complaints
from data.importers.kinds import REGISTERS, register_importer
from data.importers.parking import import_parking
from ui import cache as cache
from ui import cache_complaints as cc
from ui import matching as matching
from ui import state as state
from data.queries.register import sync_latest
from ui.imports import run_guarded, show_report
from ui.registers import company_panel, template_buttons
from ui import cache_version
from ui import setup as setup
from ui.text import headers, md_escape, t

KINDS = ("compounds", "boundaries", "complaints", "parking", *REGISTERS)
TABLE_ONLY = tuple(REGISTERS)  # no geometry, no 坐标系
LEVELS = {"township": "镇街", "community": "社区", "grid": "网格", "county": "县界"}
CRS = {None: "自动识别", "wgs84": "WGS-84（GPS）", "cgcs2000": "CGCS2000（国家 2000）",
       "gcj02": "GCJ-02（高德/腾讯）", "bd09": "BD-09（百度）"}
ENCODINGS = {None: "自动识别", "utf-8": "UTF-8", "gb18030": "GBK / GB18030"}
TYPES = {"complaints": ["xlsx", "csv", "txt", "json", "xml"]} | {k: ["xlsx", "csv", "txt"] for k in TABLE_ONLY}
GEO_TYPES = ["geojson", "json", "gpkg", "zip", "xlsx", "csv"]


def run_import(kind: str, path: Path, options: dict, level: str) -> importers.ImportReport | None:
    """One import with its progress shown, as the signed-in user (checked and audited by the importer).

    Within the upload limits; any failure is a Chinese message with an error id (``run_guarded``), then None.
    """
    engine, account = state.engine(), state.current_user()
    if kind == "complaints":
        bar = st.progress(0.0)
        # 12345 orders are matched across the deployment and an order the matching cannot place has no
        # township, which no county's row-level fence admits: the deployment engine (the importer checks
        # the right to import; a county user's 所属镇街 names still mean its county's townships)
        return run_guarded(db.shared_engine(db.default_url()), import_complaints, path, **options, actor=account,
                           progress=lambda done, total, msg: bar.progress(done / total, text=msg))
    st.write("读取文件、校验每一行…")
    if kind == "boundaries":
        report = run_guarded(engine, importers.import_boundaries, path, level=level, **options, actor=account)
    elif kind == "parking":
        report = run_guarded(engine, import_parking, path, **options, scope=state.user_scope(), actor=account)
    elif kind in TABLE_ONLY:
        report = run_guarded(engine, register_importer(kind), path, encoding=options["encoding"],
                             dry_run=options["dry_run"], actor=account)
    else:
        report = run_guarded(engine, importers.import_compounds, path, **options, actor=account)
    if report is not None:
        st.write("校验完成" if report.ok else "校验未通过")
    return report


def may_write() -> bool:
    """Import and match by hand: the ``import`` right (the importers check it again)."""
    return state.can("import")


st.title(t("nav_data"))
setup.guard("pages/data.py")  # an empty county: what to import next
url = db.default_url()
imp_tab, reg_tab, co_tab, queue_tab = st.tabs([t("dp_tab_import"), t("dp_tab_register"), t("rg_tab_companies"),
                                               t("dp_tab_unmatched")])

with imp_tab:
    kind = st.radio(t("dp_kind"), list(KINDS), horizontal=True, key="import_kind",
                    format_func=lambda k: t(f"rg_kind_{k}"))
    cols = st.columns(3)
    level = cols[0].selectbox("边界层级", list(LEVELS), format_func=LEVELS.get, key="import_level",
                      disabled=kind != "boundaries")
    crs = cols[1].selectbox("源坐标系", list(CRS), format_func=CRS.get, key="import_crs", disabled=kind in TABLE_ONLY)
    encoding = cols[2].selectbox("文本编码", list(ENCODINGS), format_func=ENCODINGS.get, key="import_encoding")
    hint = ("Excel、CSV（UTF-8 / GBK）、Open311 JSON / XML" if kind == "complaints"
            else t("rg_table_hint") if kind in TABLE_ONLY else "GeoJSON、GeoPackage、压缩 Shapefile、Excel、CSV")
    upload = st.file_uploader(f"选择文件（{hint}）", type=TYPES.get(kind, GEO_TYPES), key="import_file")
    dry_run = st.checkbox("只校验，不写入", value=True, key="import_dry_run")
    if not may_write():
        st.warning(t("dp_import_denied"))
    elif upload is not None and st.button("开始", type="primary", key="import_go"):
        with st.status(t("dp_steps"), expanded=True) as status, tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / Path(upload.name).name
            path.write_bytes(upload.getvalue())
            st.write(f"已接收 {md_escape(upload.name)}（{upload.size / 1024:.0f} KB）")
            report = run_import(kind, path, dict(crs=crs, encoding=encoding, dry_run=dry_run), level)
            ok = report is not None and report.ok
            status.update(label=t("dp_status_ok") if ok else t("dp_status_bad"),
                          state="complete" if ok else "error", expanded=False)
        if ok and not dry_run:
            sync_latest(db.shared_engine(db.default_url()))  # 问责台账, on the county engine: what the new data triggers (or no longer triggers)
            cache_version.clear_all()  # every app process (ui/cache_version.py)
        if report is not None:
            show_report(report, upload.name)
    template_buttons()

with reg_tab:
    frame = cache.load_compounds(url, cache.scope_key(state.scope()))
    columns = ["code", "name", "township", "community", "address", "compound_class",
               "management_mode", "company", "manager", "households", "buildings", "year_built",
               "fee_level", "fee_price", "owners_body", "party_branch", "smart_property",
               "parking_spaces", "elevators"]
    table = frame[columns].rename(columns=headers(columns))
    query = st.text_input("按名称搜索", key="register_search", placeholder="输入小区名称的一部分")
    if query:
        table = table[table[headers(["name"])["name"]].str.contains(query, regex=False, na=False)]
    st.caption(f"共 {len(table)} 个小区")
    st.dataframe(table, hide_index=True, width="stretch", height=480)
    state.download_xlsx(t("download_xlsx"), table, file_name="小区名册.xlsx", key="dl_register",
                        sheet_name="小区名册")

with co_tab:
    company_panel(state.engine())

with queue_tab:
    scope = state.scope()
    queue = cc.load_unmatched(url, cache.scope_key(scope))
    if "assign_done" in st.session_state:
        st.success(st.session_state.pop("assign_done"))
    if queue.empty:
        st.info(t("dp_unmatched_none"))
    else:
        st.caption(t("dp_unmatched_n").format(n=len(queue)))
        cc.table(queue, ["order_no", "received_at", "category", "compound_name", "content", "address", "township",
                         "department",
                         "status", "complainant_name", "complainant_phone"], name="未匹配诉求",
                 key="unmatched", height=360)
        st.subheader(t("dp_assign"))
        if not may_write():
            st.caption(t("dp_assign_denied"))
        else:
            matching.show_assign(url, queue)
    matching.show_learned_aliases(url)
