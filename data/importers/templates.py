"""Excel templates for every import (``python -m data template KIND``, the 数据管理 download buttons).

A template is built from the importer's own column specs (``columns.FIELDS``
as each importer registers them), so a synonym added to a spec shows up
here: sheet 1 has the Chinese headers, one example row and drop-down
validation for every column with a fixed list of values; sheet 说明 lists
every column with its accepted synonyms, whether it is required, its unit
and its allowed values. ``boundaries`` (geometry files, not a table) gets a
说明 sheet only, describing the formats and the attribute columns per level.
"""
from __future__ import annotations

import importlib
import io
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from data import vocab
from data.importers import columns as C
from data.importers import values as V

__all__ = ["KINDS", "template_bytes", "write_template", "column_rows", "KIND_LABELS"]

# kind → (module that registers the fields, level key in columns.FIELDS)
_SOURCES = {
    "boundaries": ("data.importers.boundaries", None),
    "compounds": ("data.importers.compounds", "compounds"),
    "complaints": ("data.importers.complaints", "complaints"),
    "evaluations": ("data.importers.evaluations", "evaluations"),
    "credit": ("data.importers.credit", "credit"),
    "fees": ("data.importers.fees", "fees"),
    "parking": ("data.importers.parking", "parking"),
    "inspectors": ("data.importers.inspectors", "inspectors"),
    "companies": ("data.importers.companies", "companies"),
    "township-scores": ("data.importers.township_scores", "township_scores"),
}
KINDS = tuple(_SOURCES)
KIND_LABELS = {"boundaries": "行政边界", "compounds": "小区名册", "complaints": "12345 诉求",
               "evaluations": "季度考评", "credit": "企业信用评价", "fees": "物业收费记录",
               "parking": "错时停车资源", "inspectors": "执法检查人员名录", "companies": "物业企业名录",
               "township-scores": "镇街和部门考核成绩"}

# What the importers require (their ``job.read(required=…)`` and row checks), by kind.
_REQUIRED = {
    "compounds": {"name": "必填", "compound_class": "新建小区时必填", "management_mode": "新建小区时必填"},
    "complaints": {"order_no": "必填", "received_at": "必填", "category": "必填"},
    "evaluations": {"name": "与小区编码二选一", "code": "与小区名称二选一", "quarter": "必填（或写在标题行/文件名中）",
                    "score": "必填"},
    "credit": {"name": "必填", "grade": "必填", "period": "必填（或写在标题行/文件名中）"},
    "fees": {"name": "与小区编码二选一", "code": "与小区名称二选一", "fee_price": "必填", "date": "必填"},
    "parking": {"name": "必填", "owner_kind": "必填", "capacity": "必填"},
    "inspectors": {"name": "必填", "unit": "必填", "cert_no": "必填（唯一）"},
    "companies": {"name": "必填"},
}
_UNITS = {"fee_price": "元/㎡·月", "floor_area_m2": "㎡（表头写“万㎡”时按万计）", "maintenance_fund": "元（可写“万元”）",
          "households": "户", "buildings": "栋", "elevators": "台", "parking_spaces": "个", "cars": "辆",
          "capacity": "个", "score": "分（0–100）", "satisfaction": "%（0–100）", "lon": "度", "lat": "度"}
_EXAMPLES = {
    "compounds": {"name": "阳光花园", "code": "", "address": "卧龙山街道建设路 18 号", "township": "卧龙山街道",
                  "community": "建设路社区", "households": 320, "buildings": 8, "floor_area_m2": 36500,
                  "year_built": 2008, "compound_class": "商品房", "management_mode": "专业化物业",
                  "company": "嘉祥县鸿运物业服务有限公司", "manager": "王强", "manager_phone": "13800000000",
                  "fee_level": "二级", "fee_price": 0.9, "owners_body": "业主委员会", "party_branch": "是",
                  "lon": 116.341, "lat": 35.408},
    "complaints": {"order_no": "SD12345-20250101-0001", "received_at": "2025-01-01 09:30", "category": "物业服务",
                   "content": "小区楼道垃圾多日未清运", "address": "阳光花园 3 号楼", "compound": "阳光花园",
                   "status": "已办结", "closed_at": "2025-01-03 16:00", "satisfaction": "满意"},
    "evaluations": {"name": "阳光花园", "township": "卧龙山街道", "quarter": "2025-Q4", "score": 86.5,
                    "satisfaction": 90, "evaluator": "县住建局物业科"},
    "credit": {"name": "嘉祥县鸿运物业服务有限公司", "credit_code": "", "score": 88, "grade": "AA",
               "period": "2025年第四季度"},
    "fees": {"name": "阳光花园", "township": "卧龙山街道", "fee_price": 0.9, "fee_level": "二级",
             "date": "2023-07-01", "kind": "上调", "note": "嘉价发〔2023〕5号"},
    "parking": {"name": "县第一实验小学", "owner_kind": "事业单位", "capacity": 60,
                "township": "卧龙山街道", "lon": 116.343, "lat": 35.409},
    "inspectors": {"name": "张明", "unit": "县住建局", "cert_no": "鲁JX2024001", "township": "县直",
                   "recusal": "鸿运物业、嘉祥县安居物业管理有限公司", "phone": "13900000000", "active": "在岗"},
    "companies": {"name": "嘉祥县鸿运物业服务有限公司", "credit_code": "", "legal_rep": "李华", "contact": "赵敏",
                  "phone": "0537-6851234", "qualification": "二级", "state_owned": "民营", "aliases": "鸿运物业"},
}
_POINT_KINDS = ("compounds", "parking", "complaints")
_NOTES = {
    "compounds": ["位置：经度/纬度两列，或一列“经纬度”，或 X/Y（投影坐标）、WKT；也可导入 GeoJSON、Shapefile。",
                  "所属社区为空时按坐标确定；编码为空时自动生成。空白单元格不会改动已有数据。"],
    "complaints": ["坐标可选（经度/纬度）；也可导入 Open311 GeoReport v2 的 JSON / XML。工单编号重复导入时更新。"],
    "credit": ["评价期间可为季度（2025-Q4、2025年第四季度）、半年（2025年上半年）或年度（2025年度，按四个季度记录）。",
               "企业名称按规范化名称匹配：“鸿运物业”与“嘉祥县鸿运物业服务有限公司”视为同一企业。"],
    "fees": ["历史记录按执行日期先后导入；小区当前收费标准取今天及以前最近的一条。",
             "调整类型为“上调”时同时记录调价状态“已通过”，“下调/降费”记录“已降费”。"],
    "inspectors": ["回避企业可填多个，用 、 ， ； / 或换行分隔；须为企业名录中已有的企业（可写简称）。",
                   "所属镇街：检查人员不抽查本镇街的小区；县直单位留空或填“县直”。联系电话仅掩码显示。"],
    "companies": ["统一社会信用代码须为 18 位且校验位正确；已登记的代码优先用于匹配。"],
    "parking": ["开放时段可写“18:00-07:30”“全天”等；位置可为点（经度/纬度）、停车场范围或道路线（GeoJSON/Shapefile）。"],
    "evaluations": ["季度缺失时取标题行（如“2025年第四季度考评结果”）或文件名中的季度。"],
}


@dataclass(frozen=True)
class ColumnInfo:
    key: str
    label: str
    synonyms: tuple[str, ...]
    required: str
    unit: str
    allowed: tuple[str, ...]


def _fields(kind: str) -> tuple[C.Field, ...]:
    module, level = _SOURCES[kind]
    importlib.import_module(module)  # registers its columns
    fields = tuple(C.FIELDS[level])
    if kind in _POINT_KINDS:
        fields += tuple(f for f in C.GEOMETRY_FIELDS if f.key in ("lon", "lat"))
    return fields


def _allowed(f: C.Field) -> tuple[str, ...]:
    """The fixed list of values a column takes, read from its parser (choice, fee level, yes/no)."""
    parse = f.parse
    if isinstance(parse, partial):
        if parse.func is V.choice:
            return tuple(parse.keywords.get("allowed", ()))
        if parse.func is V.fee_level:
            return tuple(parse.keywords.get("labels", vocab.FEE_LEVELS).values())
    if parse is V.boolean:
        return ("是", "否")
    allowed = getattr(parse, "allowed", None)  # a parser may name its values (parse.allowed = (...))
    return tuple(allowed) if allowed else ()


def column_rows(kind: str) -> list[ColumnInfo]:
    """Every column of ``kind`` as the template describes it."""
    if kind not in _SOURCES:
        raise ValueError(f"未知的模板类型：{kind}（可用：{'、'.join(KINDS)}）")
    if kind == "boundaries":
        return []
    out = []
    seen = set()
    for f in _fields(kind):
        if f.key in seen:
            continue
        seen.add(f.key)
        synonyms = tuple(dict.fromkeys(a for a in f.aliases if a != f.label))
        allowed = _allowed(f)
        out.append(ColumnInfo(f.key, f.label, synonyms, _REQUIRED.get(kind, {}).get(f.key, "选填"),
                              _UNITS.get(f.key, ""), allowed))
    return out


def _boundary_rows() -> list[list[str]]:
    importlib.import_module("data.importers.boundaries")
    rows = [["格式", "GeoJSON（.geojson/.json）、GeoPackage（.gpkg）、Shapefile（.shp 及 .dbf/.shx/.prj，或打包为 .zip）、"
                   "带 WKT 列的 Excel/CSV", "", "", ""],
            ["坐标系", "WGS-84、CGCS2000（经纬度或 3 度带高斯–克吕格投影）、GCJ-02（高德）、BD-09（百度）；"
                    "文件未声明时自动识别，也可用 --crs 指定", "", "", ""],
            ["编码", "Shapefile 的 .dbf 可为 GBK 或 UTF-8（有 .cpg 时按其声明）；乱码时用 --encoding gbk", "", "", ""],
            ["命令", "python -m data import boundaries 文件 --level county|township|community|grid", "", "", ""],
            ["", "", "", "", ""]]
    for level in ("county", "township", "community", "grid"):
        for f in C.FIELDS.get(level, ()):
            rows.append([f"{C.LEVEL_LABELS.get(level, level)}：{f.label}",
                         "、".join(a for a in f.aliases if a != f.label),
                         "必填" if f.key == "name" and level != "county" else "选填", "", ""])
    return rows


def template_bytes(kind: str) -> bytes:
    """The .xlsx template of ``kind`` (see the module docstring)."""
    import openpyxl
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.worksheet.datavalidation import DataValidation

    cols = column_rows(kind)
    wb = openpyxl.Workbook()
    bold = Font(bold=True)
    if kind == "boundaries":
        ws = wb.active
        ws.title = "说明"
        ws.append(["项目", "说明 / 可用列名", "是否必填", "单位", "可选值"])
        for r in _boundary_rows():
            ws.append(r)
    else:
        ws = wb.active
        ws.title = KIND_LABELS[kind][:31]
        ws.append([c.label for c in cols])
        example = _EXAMPLES.get(kind, {})
        ws.append([example.get(c.key, "") if example.get(c.key, "") != "" else None for c in cols])
        fill = PatternFill("solid", fgColor="FFF2CC")
        for j, c in enumerate(cols, start=1):
            cell = ws.cell(row=1, column=j)
            cell.font = bold
            if c.required.startswith("必填"):
                cell.fill = fill
            ws.column_dimensions[cell.column_letter].width = max(10, min(30, 2 * len(c.label) + 4))
            if c.allowed:
                formula = '"' + ",".join(c.allowed) + '"'
                if len(formula) <= 255:  # Excel's limit for an inline list
                    dv = DataValidation(type="list", formula1=formula, allow_blank=True,
                                        error=f"请从下拉列表中选择：{'、'.join(c.allowed)}", errorTitle=c.label,
                                        showErrorMessage=True)
                    ws.add_data_validation(dv)
                    dv.add(f"{cell.column_letter}2:{cell.column_letter}1000")
        ws.freeze_panes = "A2"
        doc = wb.create_sheet("说明")
        doc.append(["列名", "可用的其他列名（同义词）", "是否必填", "单位", "可选值"])
        for c in cols:
            doc.append([c.label, "、".join(c.synonyms), c.required, c.unit, "、".join(c.allowed)])
        doc.append([])
        for line in ["第 1 行为表头，第 2 行为示例（导入前请删除或改为实际数据）；表头上方可以有标题行。",
                     "空白单元格表示未填报（不是 0），也不会改动已有数据。任何一行有误则整批不写入，并给出逐行错误报告。",
                     *_NOTES.get(kind, [])]:
            doc.append([line])
    sheet = wb["说明"]
    for cell in sheet[1]:
        cell.font = bold
    for letter, width in zip("ABCDE", (18, 60, 22, 16, 40)):
        sheet.column_dimensions[letter].width = width
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def write_template(kind: str, path: str | Path | None = None) -> Path:
    """Write the template of ``kind`` to ``path`` (default ``<中文名>模板.xlsx``); returns the path."""
    path = Path(path) if path else Path(f"{KIND_LABELS[kind]}模板.xlsx")
    path.write_bytes(template_bytes(kind))
    return path
