"""住宅小区违法违规案件呈报表: the case report form of 嘉祥县 (004, 附件2) as a .docx.

The table keeps the original's fields and order: reporting unit with contact
and phone; receiving unit with receiver and phone; location; details; the
reporting unit's and the receiving unit's opinions, each with a signature
line (负责人（签章）) and date; remarks with the photos attached. The county
name in the title comes from the settings (``county_name``).

Page and fonts come from the document layer (``data.documents.official``):
A4 always, the standard's margins, 方正小标宋 title, 仿宋 text, page numbers
“— 1 —”. After the form: the location map (``mapdata.case_map``) and the
photos themselves, two to a row, each with its caption, time and place.
Contacts arrive already full or masked by role (``queries.cases.case_form_fields``).
"""
from __future__ import annotations

import io
from datetime import date, datetime

from docx.enum.table import WD_ROW_HEIGHT_RULE, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Cm
from PIL import Image

from data.documents.official import _fixed_zip, load_template, page_numbers, set_widths, setup_page

TITLE_SUFFIX = "住宅小区违法违规案件呈报表"
FOOTNOTE = "本表一式叁份，县物业管理领导小组办公室、呈报单位、接收单位各一份。"
SIGNATURE = "负责人（签章）："
CELL = "公文-说明"  # 仿宋 小四 in the form's cells
WIDTHS = [3.0, 5.2, 3.7, 3.7]  # the 15.6 cm text block
ROW_HEIGHTS_CM = (1.4, 1.4, 1.6, 4.0, 4.0, 4.0, 2.0)


def _write(doc, cell, text: str, *, bold: bool = False, align=None) -> None:
    cell.text = ""
    lines = str(text or "").split("\n")
    para = cell.paragraphs[0]
    for k, line in enumerate(lines):
        if k:
            para = cell.add_paragraph()
        para.style = doc.styles[CELL]
        if align is not None:
            para.alignment = align
        run = para.add_run(line)
        run.bold = bold or None


def date_line(when: date | datetime | None) -> str:
    """``2026 年 3 月 5 日``, or blanks to fill in by hand."""
    if when is None:
        return "年　　月　　日"
    return f"{when.year} 年 {when.month} 月 {when.day} 日"


def _opinion(text: str | None, when) -> str:
    return f"{text or ''}\n\n{SIGNATURE}\n{date_line(when)}"


def _picture(data: bytes) -> io.BytesIO | None:
    """JPEG/PNG as they are; other formats (WebP, …) converted to PNG for Word."""
    try:
        with Image.open(io.BytesIO(data)) as img:
            if img.format in ("JPEG", "PNG"):
                return io.BytesIO(data)
            out = io.BytesIO()
            img.convert("RGB").save(out, format="PNG")
            out.seek(0)
            return out
    except OSError:
        return None


def _caption(k: int, p: dict) -> str:
    parts = [f"照片{k}　{p.get('filename') or ''}"]
    parts.append(f"拍摄时间 {p['taken_at']:%Y-%m-%d %H:%M}" if p.get("taken_at") else "拍摄时间 未记录")
    if p.get("lon") is not None and p.get("lat") is not None:
        parts.append(f"位置 {p['lat']:.6f}°N, {p['lon']:.6f}°E")
    return "；".join(parts)


def case_form_docx(fields: dict, *, exported_by: str | None = None, when: datetime | None = None,
                   location_map: bytes | None = None) -> bytes:
    """The form as .docx bytes from :func:`data.queries.cases.case_form_fields`.

    ``location_map``: PNG of :func:`data.documents.mapdata.case_map`, placed after the form.
    ``exported_by`` goes in the page header with the time (the form itself stays as the county prints it).
    """
    doc = load_template("case_form")
    body = doc.element.body
    for child in list(body):
        if not child.tag.endswith("sectPr"):
            body.remove(child)
    section = doc.sections[0]
    setup_page(section)

    doc.add_paragraph(f"{fields.get('county_name') or ''}{TITLE_SUFFIX}", style=doc.styles["公文-标题"])
    ref = doc.add_paragraph(f"案件编号：{fields.get('case_no') or ''}　　类别：{fields.get('category') or ''}",
                            style=doc.styles[CELL])
    ref.alignment = WD_ALIGN_PARAGRAPH.RIGHT

    table = doc.add_table(rows=7, cols=4)
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    set_widths(table, WIDTHS)  # before the merges, so every cell of a row gets its width
    for row, height in zip(table.rows, ROW_HEIGHTS_CM):  # room to write by hand, as the printed form has
        row.height, row.height_rule = Cm(height), WD_ROW_HEIGHT_RULE.AT_LEAST
    center = WD_ALIGN_PARAGRAPH.CENTER
    r = table.rows
    _write(doc, r[0].cells[0], "呈报单位", bold=True, align=center)
    _write(doc, r[0].cells[1], fields.get("reporting_unit") or "")
    _write(doc, r[0].cells[2], f"联系人：{fields.get('reporter') or ''}")
    _write(doc, r[0].cells[3], f"电话：{fields.get('reporter_phone') or ''}")
    _write(doc, r[1].cells[0], "接收单位", bold=True, align=center)
    _write(doc, r[1].cells[1], fields.get("receiving_unit") or "")
    _write(doc, r[1].cells[2], f"接收人：{fields.get('receiver') or ''}")
    _write(doc, r[1].cells[3], f"电话：{fields.get('receiver_phone') or ''}")
    location = fields.get("location") or ""
    if fields.get("compound") and fields["compound"] not in location:
        location = f"{fields['compound']}　{location}".strip()
    rows = (("违法违规位置", location + ("\n（位置图见附图）" if location_map else "")),
            ("违法违规详细情况", fields.get("details") or ""),
            ("呈报单位意见", _opinion(fields.get("reporting_opinion"), fields.get("reported_at"))),
            ("接收单位意见", _opinion(fields.get("receiving_opinion"), fields.get("handled_at"))))
    for k, (label, text) in enumerate(rows, start=2):
        merged = r[k].cells[1].merge(r[k].cells[3])
        _write(doc, r[k].cells[0], label, bold=True, align=center)
        _write(doc, merged, text)
    photos = [(p, _picture(p["data"])) for p in fields.get("photos") or [] if p.get("data")]
    photos = [(p, s) for p, s in photos if s is not None]
    remark = f"附违法违规照片 {len(photos)} 张" if photos else "附违法违规照片"
    if fields.get("remarks"):
        remark += f"\n{fields['remarks']}"
    merged = r[6].cells[1].merge(r[6].cells[3])
    _write(doc, r[6].cells[0], "备注", bold=True, align=center)
    _write(doc, merged, remark)

    doc.add_paragraph(FOOTNOTE, style=doc.styles[CELL])
    if not fields.get("contacts_full", True):
        doc.add_paragraph("注：电话已按您的角色隐去部分数字；完整联系方式由有权查看的单位导出。",
                          style=doc.styles[CELL])

    if location_map:
        doc.add_page_break()
        doc.add_paragraph("附图：违法违规位置图", style=doc.styles["公文-附件标识"])
        pic = doc.add_paragraph(style=doc.styles["公文-图题"])
        pic.add_run().add_picture(io.BytesIO(location_map), width=Cm(15.5))
        doc.add_paragraph(f"{fields.get('compound') or ''}　{fields.get('location') or ''}",
                          style=doc.styles["公文-图题"])
    if photos:
        doc.add_paragraph("附：违法违规照片", style=doc.styles["公文-附件标识"])
        grid = doc.add_table(rows=(len(photos) + 1) // 2, cols=2)
        grid.alignment = WD_TABLE_ALIGNMENT.CENTER
        for k, (p, stream) in enumerate(photos, start=1):
            cell = grid.rows[(k - 1) // 2].cells[(k - 1) % 2]
            cell.width = Cm(7.8)
            para = cell.paragraphs[0]
            para.alignment = WD_ALIGN_PARAGRAPH.CENTER
            para.add_run().add_picture(stream, width=Cm(7.4))
            cap = cell.add_paragraph(_caption(k, p), style=doc.styles[CELL])
            cap.alignment = WD_ALIGN_PARAGRAPH.CENTER
    page_numbers(doc)
    if exported_by:
        header = section.header.paragraphs[0]
        header.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        header.style = doc.styles[CELL]
        header.add_run(f"导出：{exported_by}　{(when or datetime.now()):%Y-%m-%d %H:%M}")
        even = section.even_page_header.paragraphs[0]
        even.style = doc.styles[CELL]
        even.add_run(header.text)
    props = doc.core_properties
    props.title = f"{fields.get('county_name') or ''}{TITLE_SUFFIX} {fields.get('case_no') or ''}"
    stamp = fields.get("reported_at") or fields.get("opened_at") or datetime(2000, 1, 1)
    props.created = props.modified = stamp
    props.author = props.last_modified_by = (exported_by or "")[:100]
    out = io.BytesIO()
    doc.save(out)
    return _fixed_zip(out.getvalue())


def case_form_document(engine, scope, case_id: int, *, account=None, exported_by: str | None = None,
                       when: datetime | None = None) -> bytes:
    """The form of one case as the user may see it: contacts by role (audited), map, photos."""
    from data.documents.maps import render
    from data.documents.mapdata import case_map
    from data.queries.cases import case_form_fields

    fields = case_form_fields(engine, scope, case_id, account=account)
    m = case_map(engine, fields)
    image = render(m, "png", dpi=200) if m.layers else None
    return case_form_docx(fields, exported_by=exported_by, when=when, location_map=image)
