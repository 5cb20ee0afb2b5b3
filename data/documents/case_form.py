"""住宅小区违法违规案件呈报表: the case report form of 嘉祥县 (004, 附件2) as a .docx.

The table keeps the original's fields and order: reporting unit with contact
and phone; receiving unit with receiver and phone; location; details; the
reporting unit's and the receiving unit's opinions, each with a signature
line (负责人（签章）) and date; remarks with the photos attached. The county
name in the title comes from the settings (``county_name``).
"""
from __future__ import annotations

import io
from datetime import date, datetime

from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Cm, Pt
from PIL import Image

FONT = "宋体"
TITLE_SUFFIX = "住宅小区违法违规案件呈报表"
FOOTNOTE = "本表一式叁份，县物业管理领导小组办公室、呈报单位、接收单位各一份。"
SIGNATURE = "负责人（签章）："


def _font(run, *, size: float = 11, bold: bool = False) -> None:
    run.font.name = FONT
    run.font.size = Pt(size)
    run.font.bold = bold
    run._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), FONT)


def _write(cell, text: str, *, bold: bool = False, align=None) -> None:
    cell.text = ""
    lines = str(text or "").split("\n")
    para = cell.paragraphs[0]
    for k, line in enumerate(lines):
        if k:
            para = cell.add_paragraph()
        if align is not None:
            para.alignment = align
        _font(para.add_run(line), bold=bold)


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


def case_form_docx(fields: dict, *, exported_by: str | None = None, when: datetime | None = None) -> bytes:
    """The form as .docx bytes from :func:`data.queries.cases.case_form_fields`.

    ``exported_by`` goes in the page footer with the time (the form itself stays as the county prints it).
    """
    doc = Document()
    normal = doc.styles["Normal"]
    normal.font.name = FONT
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), FONT)
    section = doc.sections[0]
    section.left_margin = section.right_margin = Cm(2.2)

    title = doc.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _font(title.add_run(f"{fields.get('county_name') or ''}{TITLE_SUFFIX}"), size=16, bold=True)
    ref = doc.add_paragraph()
    ref.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    _font(ref.add_run(f"案件编号：{fields.get('case_no') or ''}　　类别：{fields.get('category') or ''}"), size=10)

    table = doc.add_table(rows=7, cols=4)
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    widths = (Cm(3.0), Cm(6.0), Cm(4.0), Cm(4.0))
    for row in table.rows:
        for cell, width in zip(row.cells, widths):
            cell.width = width
    center = WD_ALIGN_PARAGRAPH.CENTER
    r = table.rows
    _write(r[0].cells[0], "呈报单位", bold=True, align=center)
    _write(r[0].cells[1], fields.get("reporting_unit") or "")
    _write(r[0].cells[2], f"联系人：{fields.get('reporter') or ''}")
    _write(r[0].cells[3], f"电话：{fields.get('reporter_phone') or ''}")
    _write(r[1].cells[0], "接收单位", bold=True, align=center)
    _write(r[1].cells[1], fields.get("receiving_unit") or "")
    _write(r[1].cells[2], f"接收人：{fields.get('receiver') or ''}")
    _write(r[1].cells[3], f"电话：{fields.get('receiver_phone') or ''}")
    location = fields.get("location") or ""
    if fields.get("compound") and fields["compound"] not in location:
        location = f"{fields['compound']}　{location}".strip()
    rows = (("违法违规位置", location),
            ("违法违规详细情况", fields.get("details") or ""),
            ("呈报单位意见", _opinion(fields.get("reporting_opinion"), fields.get("reported_at"))),
            ("接收单位意见", _opinion(fields.get("receiving_opinion"), fields.get("handled_at"))))
    for k, (label, text) in enumerate(rows, start=2):
        merged = r[k].cells[1].merge(r[k].cells[3])
        _write(r[k].cells[0], label, bold=True, align=center)
        _write(merged, text)
    photos = [p for p in fields.get("photos") or [] if p.get("data")]
    remark = f"附违法违规照片 {len(photos)} 张" if photos else "附违法违规照片"
    if fields.get("remarks"):
        remark += f"\n{fields['remarks']}"
    merged = r[6].cells[1].merge(r[6].cells[3])
    _write(r[6].cells[0], "备注", bold=True, align=center)
    _write(merged, remark)

    note = doc.add_paragraph()
    _font(note.add_run(FOOTNOTE), size=10)

    if photos:
        heading = doc.add_paragraph()
        _font(heading.add_run("附：违法违规照片"), size=12, bold=True)
        for k, p in enumerate(photos, start=1):
            stream = _picture(p["data"])
            if stream is None:
                continue
            doc.add_picture(stream, width=Cm(12))
            caption = [f"照片 {k}：{p.get('filename') or ''}"]
            if p.get("taken_at"):
                caption.append(f"拍摄时间 {p['taken_at']:%Y-%m-%d %H:%M}")
            if p.get("lon") is not None and p.get("lat") is not None:
                caption.append(f"位置 {p['lat']:.6f}°N, {p['lon']:.6f}°E")
            para = doc.add_paragraph()
            _font(para.add_run("；".join(caption)), size=9)
    if exported_by:
        footer = section.footer.paragraphs[0]
        footer.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        _font(footer.add_run(f"导出：{exported_by}　{(when or datetime.now()):%Y-%m-%d %H:%M}"), size=8)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()
