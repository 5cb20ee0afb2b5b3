"""One layer for every document an office files: GB/T 9704-2012 (党政机关公文格式) with python-docx.

What it lays out, after the standard:

- A4 always (210 × 297 mm), margins 37 / 35 / 28 / 26 mm (top, bottom, left, right; §5.2.1);
- 版头: 发文机关标志 in red 小标宋, 发文字号 under it, and the red separator line (§7.2);
- 标题 in 方正小标宋 二号 centred, 主送机关 under it, 正文 in 仿宋_GB2312 三号 with 28.95-point
  lines (22 lines a page) and two-character indents; headings 一、 黑体, （一） 楷体 (§7.3);
- 附件说明 after the body, then 发文机关署名 and 成文日期 (Arabic numerals, four characters
  from the right) with the place of the seal (§7.3.5);
- 附件 each on a new page, “附件1” 黑体 top left, its own title; long tables go there, not in the body;
- 版记 (抄送, 印发机关 and 印发日期 between rules) at the end (§7.4);
- page numbers “— 1 —” in 四号 as a PAGE field, odd pages right and even pages left, one
  character in from the edge (§7.5).

Styles come from a template per kind in ``data/documents/templates/<kind>.docx``, so an
office can restyle the fonts in Word without touching code; a missing template is built
with :func:`build_template` (``python -m data.documents.official`` writes them all).
Text is written with style names only, never hard fonts, so the template decides.

The result is deterministic: core properties carry the document's own date, and the
.docx (a zip) is written with fixed entry times, so the same inputs give the same bytes.
"""
from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pandas as pd
from docx import Document
from docx.enum.section import WD_ORIENT, WD_SECTION
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Mm, Pt, RGBColor

from data.documents.numbers import cn_ordinal, date_cn, num

TEMPLATES = Path(__file__).resolve().parent / "templates"
KINDS = ("briefing", "parking", "case_form")
A4_W, A4_H = Mm(210), Mm(297)
MARGINS = {"top": Mm(37), "bottom": Mm(35), "left": Mm(28), "right": Mm(26)}
TEXT_WIDTH_CM = 15.6  # 210 − 28 − 26 mm
LANDSCAPE_WIDTH_CM = 24.3  # 297 − 28 − 26 mm
LINE = Pt(28.95)      # 22 lines in the 225 mm text block
RED = RGBColor(0xFF, 0x00, 0x00)

# style name → (East Asian font, size pt, bold, alignment, first-line indent in characters)
STYLES = {
    "公文-发文机关标志": ("方正小标宋简体", 26, False, WD_ALIGN_PARAGRAPH.CENTER, 0),
    "公文-发文字号": ("仿宋_GB2312", 16, False, WD_ALIGN_PARAGRAPH.CENTER, 0),
    "公文-标题": ("方正小标宋简体", 22, False, WD_ALIGN_PARAGRAPH.CENTER, 0),
    "公文-主送机关": ("仿宋_GB2312", 16, False, WD_ALIGN_PARAGRAPH.LEFT, 0),
    "公文-正文": ("仿宋_GB2312", 16, False, WD_ALIGN_PARAGRAPH.JUSTIFY, 2),
    "公文-一级标题": ("黑体", 16, False, WD_ALIGN_PARAGRAPH.LEFT, 2),
    "公文-二级标题": ("楷体_GB2312", 16, False, WD_ALIGN_PARAGRAPH.LEFT, 2),
    "公文-附件说明": ("仿宋_GB2312", 16, False, WD_ALIGN_PARAGRAPH.LEFT, 2),
    "公文-署名": ("仿宋_GB2312", 16, False, WD_ALIGN_PARAGRAPH.RIGHT, 0),
    "公文-附件标识": ("黑体", 16, False, WD_ALIGN_PARAGRAPH.LEFT, 0),
    "公文-表格": ("仿宋_GB2312", 10.5, False, WD_ALIGN_PARAGRAPH.LEFT, 0),
    "公文-表头": ("黑体", 10.5, False, WD_ALIGN_PARAGRAPH.CENTER, 0),
    "公文-图题": ("仿宋_GB2312", 12, False, WD_ALIGN_PARAGRAPH.CENTER, 0),
    "公文-说明": ("仿宋_GB2312", 12, False, WD_ALIGN_PARAGRAPH.LEFT, 0),
    "公文-版记": ("仿宋_GB2312", 14, False, WD_ALIGN_PARAGRAPH.LEFT, 0),
    "公文-页码": ("宋体", 14, False, WD_ALIGN_PARAGRAPH.RIGHT, 0),
}
FIXED_LINE = {"公文-正文", "公文-一级标题", "公文-二级标题", "公文-附件说明", "公文-署名", "公文-主送机关",
              "公文-发文字号", "公文-附件标识"}


# --------------------------------------------------------------------------- templates
def _east_asian(style_or_run, font: str) -> None:
    rpr = style_or_run.element.get_or_add_rPr() if hasattr(style_or_run, "element") else None
    fonts = rpr.get_or_add_rFonts()
    fonts.set(qn("w:eastAsia"), font)
    fonts.set(qn("w:ascii"), "Times New Roman" if "宋" in font or "仿宋" in font or "楷" in font else font)
    fonts.set(qn("w:hAnsi"), fonts.get(qn("w:ascii")))


def setup_page(section) -> None:
    """A4 portrait with the standard's margins (§5.2.1); page numbers sit in the bottom margin."""
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = A4_W, A4_H
    for side, value in MARGINS.items():
        setattr(section, f"{side}_margin", value)
    section.footer_distance = Mm(28)  # page number 7 mm below the text block (§7.5)
    section.header_distance = Mm(15)


def build_template(kind: str = "briefing") -> Document:
    """A blank document with the page set up and the 公文-* styles (what the template files hold)."""
    doc = Document()
    setup_page(doc.sections[0])
    normal = doc.styles["Normal"]
    normal.font.name = "仿宋_GB2312"
    normal.font.size = Pt(16)
    _east_asian(normal, "仿宋_GB2312")
    for name, (font, size, bold, align, indent) in STYLES.items():
        style = doc.styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
        style.base_style = normal
        style.font.name = font
        style.font.size = Pt(size)
        style.font.bold = bold
        _east_asian(style, font)
        fmt = style.paragraph_format
        fmt.alignment = align
        fmt.space_before = fmt.space_after = Pt(0)
        fmt.first_line_indent = Pt(size * indent) if indent else Pt(0)
        if name in ("公文-一级标题", "公文-二级标题", "公文-附件标识", "公文-标题"):
            fmt.keep_with_next = True  # a heading never ends a page alone
        if name in FIXED_LINE:
            fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
            fmt.line_spacing = LINE
        elif name == "公文-标题":
            fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
            fmt.line_spacing = Pt(36)
    doc.styles["公文-发文机关标志"].font.color.rgb = RED
    doc.core_properties.title = {"briefing": "月度通报", "parking": "错时停车方案", "case_form": "案件呈报表"}.get(kind, kind)
    return doc


def write_templates(folder: Path = TEMPLATES) -> list[Path]:
    """Write a template per kind (an office may then restyle them in Word)."""
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for kind in KINDS:
        path = folder / f"{kind}.docx"
        buffer = io.BytesIO()
        build_template(kind).save(buffer)
        path.write_bytes(_fixed_zip(buffer.getvalue()))
        out.append(path)
    return out


def load_template(kind: str) -> Document:
    """The kind's template file; built in memory when it is missing or lacks the styles."""
    path = TEMPLATES / f"{kind}.docx"
    if path.exists():
        doc = Document(str(path))
        names = {s.name for s in doc.styles}
        if all(name in names for name in STYLES):
            for section in doc.sections:  # A4 always, whatever the template says
                section.page_width, section.page_height = A4_W, A4_H
            return doc
    return build_template(kind)


# --------------------------------------------------------------------------- fields and borders
def _field(paragraph, instruction: str, shown: str = "1") -> None:
    """A Word field (``PAGE``): begin, instruction, separate, cached text, end."""
    def fld(kind):
        el = OxmlElement("w:fldChar")
        el.set(qn("w:fldCharType"), kind)
        return el
    run = paragraph.add_run()
    run._r.append(fld("begin"))
    run = paragraph.add_run()
    instr = OxmlElement("w:instrText")
    instr.set(qn("xml:space"), "preserve")
    instr.text = f" {instruction} "
    run._r.append(instr)
    paragraph.add_run()._r.append(fld("separate"))
    paragraph.add_run(shown)
    paragraph.add_run()._r.append(fld("end"))


def _border(paragraph, side: str, *, colour: str = "FF0000", size_eighths: int = 12, space_pt: int = 1) -> None:
    ppr = paragraph._p.get_or_add_pPr()
    borders = ppr.find(qn("w:pBdr"))
    if borders is None:
        borders = OxmlElement("w:pBdr")
        ppr.append(borders)
    el = OxmlElement(f"w:{side}")
    el.set(qn("w:val"), "single")
    el.set(qn("w:sz"), str(size_eighths))
    el.set(qn("w:space"), str(space_pt))
    el.set(qn("w:color"), colour)
    borders.append(el)


def page_numbers(doc) -> None:
    """``— 1 —`` as a PAGE field: odd pages right, even pages left, one character in (§7.5)."""
    doc.settings.odd_and_even_pages_header_footer = True
    for section in doc.sections:
        for footer, align, indent in ((section.footer, WD_ALIGN_PARAGRAPH.RIGHT, "right_indent"),
                                      (section.even_page_footer, WD_ALIGN_PARAGRAPH.LEFT, "left_indent")):
            footer.is_linked_to_previous = False
            p = footer.paragraphs[0]
            p.text = ""
            p.style = doc.styles["公文-页码"]
            p.alignment = align
            setattr(p.paragraph_format, indent, Pt(14))
            p.add_run("— ")
            _field(p, "PAGE")
            p.add_run(" —")


# --------------------------------------------------------------------------- the document
@dataclass
class Attachment:
    title: str
    table: pd.DataFrame | None = None
    note: str | None = None
    widths_cm: list[float] | None = None
    landscape: bool = False


@dataclass
class OfficialDocument:
    """A government paper being written: header, body, attachments; :meth:`save` gives the bytes.

    Parameters
    ----------
    kind : str
        Template kind (``briefing``, ``parking``, ``case_form``).
    issuer : str
        发文机关 (the 标志 is ``issuer + 文件``; also the 署名 and 印发机关).
    title : str
        标题.
    number : str, optional
        发文字号 (``金物专办〔2026〕3号``); blank brackets to fill in by hand when None.
    addressees : list of str
        主送机关.
    dated : date
        成文日期 (also the document's core-property dates, for deterministic files).
    """

    kind: str
    issuer: str
    title: str
    dated: date
    number: str | None = None
    addressees: list[str] = field(default_factory=list)
    copies_to: list[str] = field(default_factory=list)
    masthead: bool = True
    subtitle: str | None = None    # under the title, e.g. （草稿）
    attachments: list[Attachment] = field(default_factory=list)
    figures: int = 0

    def __post_init__(self):
        self.doc = load_template(self.kind)
        body = self.doc.element.body
        for child in list(body):  # keep only the section properties of the template
            if child.tag != qn("w:sectPr"):
                body.remove(child)
        if self.masthead:
            self._masthead()
        self._title()

    # ------------------------------------------------------------------ blocks
    def para(self, text: str = "", style: str = "公文-正文"):
        p = self.doc.add_paragraph(style=self.doc.styles[style])
        if text:
            p.add_run(_XML_ILLEGAL.sub("", str(text)))  # a control character from data cannot break the file
        return p

    def _masthead(self) -> None:
        mark = f"{self.issuer}文件"
        p = self.para(mark, "公文-发文机关标志")
        size = min(42.0, 150 * 2.835 / max(len(mark), 1))  # fits the 156 mm text block
        for run in p.runs:
            run.font.size = Pt(round(size, 1))
        p.paragraph_format.space_before = Pt(20)
        self.para("", "公文-发文字号")
        p = self.para(self.number or "〔　　〕　号", "公文-发文字号")
        _border(p, "bottom", colour="FF0000", size_eighths=18, space_pt=11)  # red line 4 mm under the number
        self.para("", "公文-发文字号")

    def _title(self) -> None:
        self.para(self.title, "公文-标题")
        if self.subtitle:
            self.para(self.subtitle, "公文-发文字号")
        self.para("", "公文-正文")
        if self.addressees:
            self.para("、".join(self.addressees) + "：", "公文-主送机关")

    def heading(self, text: str, level: int = 1):
        return self.para(text, "公文-一级标题" if level == 1 else "公文-二级标题")

    def numbered(self, k: int, text: str, level: int = 1):
        """``一、text`` (level 1) or ``（一）text`` (level 2)."""
        prefix = f"{cn_ordinal(k)}、" if level == 1 else f"（{cn_ordinal(k)}）"
        return self.heading(prefix + text, level)

    def note(self, text: str):
        return self.para(text, "公文-说明")

    def figure(self, image: bytes, caption: str, *, width_cm: float = TEXT_WIDTH_CM):
        """A picture (a map, a photo) centred with ``图n caption`` under it."""
        self.figures += 1
        p = self.doc.add_paragraph(style=self.doc.styles["公文-图题"])
        p.paragraph_format.keep_with_next = True
        p.add_run().add_picture(io.BytesIO(image), width=Cm(width_cm))
        self.para(f"图{self.figures}　{caption}", "公文-图题")

    def table(self, frame: pd.DataFrame, *, widths_cm: list[float] | None = None, max_rows: int | None = None):
        """A small table in the body (a long one belongs in an attachment: :meth:`attach`)."""
        if max_rows is not None and len(frame) > max_rows:
            raise ValueError(f"正文表格不超过 {max_rows} 行，长表请作为附件")
        return _table(self.doc, frame, widths_cm)

    def attach(self, title: str, table: pd.DataFrame | None = None, *, note: str | None = None,
               widths_cm: list[float] | None = None, landscape: bool = False) -> int:
        """Register an attachment (written after the signature); its number (1, 2 …)."""
        self.attachments.append(Attachment(title, table, note, widths_cm, landscape))
        return len(self.attachments)

    # ------------------------------------------------------------------ ending
    def _attachment_note(self) -> None:
        if not self.attachments:
            return
        self.para("")
        if len(self.attachments) == 1:
            self.para(f"附件：{self.attachments[0].title}", "公文-附件说明")
            return
        for k, a in enumerate(self.attachments, start=1):
            p = self.para(f"附件：{k}. {a.title}" if k == 1 else f"{k}. {a.title}", "公文-附件说明")
            if k > 1:  # aligned under the first title, after “附件：”
                p.paragraph_format.first_line_indent = Pt(16 * 5)

    def _signature(self) -> None:
        """署名 centred over 成文日期; the date four characters in from the right, or, when the name
        is longer, the name two characters in and the date centred under it (§7.3.5.2)."""
        signed = date_cn(self.dated)
        width = lambda text: sum(0.5 if ch.isascii() else 1 for ch in text)  # noqa: E731 - digits are half width
        name_w, date_w = width(self.issuer), width(signed)
        if name_w >= date_w:
            name_in, date_in = 2.0, 2 + (name_w - date_w) / 2
        else:
            name_in, date_in = 4 + (date_w - name_w) / 2, 4.0
        self.para("")
        seal = self.para("（印章）", "公文-署名")  # where the seal goes, over name and date
        seal.paragraph_format.right_indent = Pt(16 * (name_in + max(name_w - 4, 0) / 2))
        for run in seal.runs:
            run.font.color.rgb = RGBColor(0xC0, 0xC0, 0xC0)
        self.para(self.issuer, "公文-署名").paragraph_format.right_indent = Pt(16 * name_in)
        self.para(signed, "公文-署名").paragraph_format.right_indent = Pt(16 * date_in)

    def _orient(self, landscape: bool) -> None:
        """A new section (new page) in portrait or landscape: wide attachment tables lie down."""
        section = self.doc.add_section(WD_SECTION.NEW_PAGE)
        setup_page(section)
        if landscape:
            section.orientation = WD_ORIENT.LANDSCAPE
            section.page_width, section.page_height = A4_H, A4_W
        self._landscape = landscape

    def _attachments(self) -> None:
        self._landscape = False
        for k, a in enumerate(self.attachments, start=1):
            wide = a.landscape or (a.table is not None and a.widths_cm is None and wants_landscape(a.table))
            new_section = wide != self._landscape
            if new_section:
                self._orient(wide)
            mark = self.para(f"附件{k}" if len(self.attachments) > 1 else "附件", "公文-附件标识")
            # each attachment on a page of its own (a section break already starts one)
            mark.paragraph_format.page_break_before = not new_section
            self.para("")
            self.para(a.title, "公文-标题")
            self.para("")
            if a.note:
                self.note(a.note)
            if a.table is not None:
                _table(self.doc, a.table, a.widths_cm, LANDSCAPE_WIDTH_CM if wide else TEXT_WIDTH_CM)
        if self._landscape:
            self._orient(False)  # the 版记 closes the document on an upright page

    def _record(self) -> None:
        """版记: 抄送 and 印发机关/印发日期 between rules (§7.4)."""
        self.para("")
        if self.copies_to:
            p = self.para(f"抄送：{'，'.join(self.copies_to)}。", "公文-版记")
            _border(p, "top", colour="000000", size_eighths=8)
        p = self.para(f"{self.issuer}\t{date_cn(self.dated)}印发", "公文-版记")
        p.paragraph_format.tab_stops.add_tab_stop(Cm(TEXT_WIDTH_CM - 0.5), alignment=2)  # right
        if not self.copies_to:
            _border(p, "top", colour="000000", size_eighths=8)
        _border(p, "bottom", colour="000000", size_eighths=8)

    def save(self) -> bytes:
        """Finish (附件说明, signature, attachments, 版记, page numbers) and return the .docx bytes."""
        self._attachment_note()
        self._signature()
        self._attachments()
        self._record()
        page_numbers(self.doc)
        props = self.doc.core_properties
        stamp = datetime(self.dated.year, self.dated.month, self.dated.day)
        props.title, props.author, props.last_modified_by = self.title, self.issuer, self.issuer
        props.created = props.modified = props.last_printed = stamp
        props.revision = 1
        props.identifier = self.number or ""
        buffer = io.BytesIO()
        self.doc.save(buffer)
        return _fixed_zip(buffer.getvalue())


# --------------------------------------------------------------------------- tables
def _shown(value) -> tuple[str, bool]:
    """Cell text and whether it is a number (right-aligned)."""
    if value is None or value is pd.NA or (isinstance(value, float) and pd.isna(value)):
        return "", False
    if isinstance(value, bool):
        return ("是" if value else "否"), False
    if isinstance(value, (int, float, Decimal)) or hasattr(value, "item"):
        try:
            return num(value), True
        except (TypeError, ValueError):
            return str(value), False
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M"), False
    if isinstance(value, date):
        return value.isoformat(), False
    return str(value), False


def _repeat_header(row) -> None:
    trpr = row._tr.get_or_add_trPr()
    el = OxmlElement("w:tblHeader")
    el.set(qn("w:val"), "true")
    trpr.append(el)


_XML_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _el(tag: str, **attrs) -> OxmlElement:
    el = OxmlElement(tag)
    for key, value in attrs.items():
        el.set(qn(f"w:{key}"), str(value))
    return el


def _cell(text: str, style_id: str, width: int, right: bool) -> OxmlElement:
    """One ``w:tc`` written directly: python-docx's cell access is quadratic in the rows."""
    tc = _el("w:tc")
    props = _el("w:tcPr")
    props.append(_el("w:tcW", w=width, type="dxa"))
    tc.append(props)
    p = _el("w:p")
    ppr = _el("w:pPr")
    ppr.append(_el("w:pStyle", val=style_id))
    if right:
        ppr.append(_el("w:jc", val="right"))
    p.append(ppr)
    if text:
        r, t = _el("w:r"), OxmlElement("w:t")
        t.text = _XML_ILLEGAL.sub("", text)
        t.set(qn("xml:space"), "preserve")
        r.append(t)
        p.append(r)
    tc.append(p)
    return tc


def _table(doc, frame: pd.DataFrame, widths_cm: list[float] | None = None, total_cm: float = TEXT_WIDTH_CM):
    table = doc.add_table(rows=1, cols=max(len(frame.columns), 1))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    head, cell_style = doc.styles["公文-表头"], doc.styles["公文-表格"]
    _repeat_header(table.rows[0])  # a table over several pages repeats its header
    for cell, name in zip(table.rows[0].cells, frame.columns):
        cell.paragraphs[0].style = head
        cell.paragraphs[0].add_run(_XML_ILLEGAL.sub("", str(name)))
    widths = widths_cm or _auto_widths(frame, total_cm)
    set_widths(table, widths)
    twips = [int(Cm(w).twips) for w in widths] or [int(Cm(total_cm).twips)]
    tbl = table._tbl
    for values in frame.itertuples(index=False):
        tr = _el("w:tr")
        for value, width in zip(values, twips):
            text, number = _shown(value)
            tr.append(_cell(text, cell_style.style_id, width, number))
        tbl.append(tr)
    return table


CHAR_CM = 0.39  # one CJK character in 五号 (10.5 pt), with a little air
CELL_PAD_CM = 0.5  # LibreOffice and Word keep ~0.19 cm inside each cell edge


def _column_needs(frame: pd.DataFrame) -> tuple[list[float], list[float]]:
    """Natural and least widths (cm) per column: numbers and short codes never wrap."""
    def width(text) -> float:
        return sum(1 if ord(ch) > 0x2E80 else 0.55 for ch in str(text))

    natural, least = [], []
    for name in frame.columns:
        values = [_shown(v) for v in frame[name].head(300)]
        longest = max([width(t) for t, _ in values] + [0])
        numeric = bool(values) and all(is_num or not t for t, is_num in values)
        head = min(width(name), 2.5) if numeric or longest <= 4 else 2
        nat = max(longest, head, 1.5)
        natural.append(min(nat, 20) * CHAR_CM + CELL_PAD_CM)
        short = numeric or longest <= 6
        least.append((nat if short else max(head, min(longest, 6.5))) * CHAR_CM + CELL_PAD_CM)
    return natural, least


def wants_landscape(frame: pd.DataFrame) -> bool:
    """A table that cannot fit the portrait text block without squeezing is set landscape."""
    if not len(frame.columns):
        return False
    natural, least = _column_needs(frame)
    return sum(least) > TEXT_WIDTH_CM * 1.05 or sum(natural) > TEXT_WIDTH_CM * 1.2


def _auto_widths(frame: pd.DataFrame, total_cm: float = TEXT_WIDTH_CM) -> list[float]:
    """Column widths (cm) filling the text block; long text columns give up room first."""
    if not len(frame.columns):
        return []
    natural, least = _column_needs(frame)
    if sum(natural) <= total_cm:
        return [w * total_cm / sum(natural) for w in natural]
    spare = total_cm - sum(least)
    give = [n - m for n, m in zip(natural, least)]
    if spare <= 0 or not sum(give):
        return [m * total_cm / sum(least) for m in least]
    return [m + spare * g / sum(give) for m, g in zip(least, give)]


def set_widths(table, widths_cm: list[float]) -> None:
    """Fixed column widths Word and LibreOffice both honour (the grid and every cell)."""
    if not widths_cm:
        return
    table.autofit = False
    grid = table._tbl.tblGrid
    for col, w in zip(grid.findall(qn("w:gridCol")), widths_cm):
        col.set(qn("w:w"), str(int(Cm(w).twips)))
    for row in table.rows:
        for cell, w in zip(row.cells, widths_cm):
            cell.width = Cm(w)


# --------------------------------------------------------------------------- determinism
def _fixed_zip(data: bytes) -> bytes:
    """The .docx re-zipped with fixed entry times and order: same content, same bytes."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=(2000, 1, 1, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o644 << 16
            dst.writestr(fixed, src.read(info.filename))
    return out.getvalue()


if __name__ == "__main__":
    for path in write_templates():
        print(path)
