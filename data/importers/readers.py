"""Files → one table of raw records (+ geometries and the CRS the file states).

Formats: GeoJSON, GeoPackage, shapefiles (a .shp beside its .dbf/.shx/.prj/.cpg,
or a .zip holding them), Excel .xlsx and CSV/TXT. Uploads (bytes or a file
object) are accepted with ``filename=`` for the format.

Tables are read the way county offices keep them: title rows and 填报单位/制表
rows above the header are skipped (their text kept in ``titles``, e.g. for the
quarter); the header row is the one among the first fifteen that names the most
known columns; a merged two-row header (``基本情况`` over ``户数``) becomes one row,
each column named by its most specific known part; Excel merged cells are copied
into every cell they cover; a '栏次' row under the header, 合计/小计 rows and
注：/填表人： lines are dropped. Row numbers stay the ones Excel shows.
"""
from __future__ import annotations

import csv
import io
import os
import re
import tempfile
import unicodedata
import zipfile
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyproj

from data.importers import columns as C
from data.importers.encoding import (
    EncodingProblem, decode_text, find_mojibake, normalise_codec, repair_field_names, shapefile_encoding,
    truncated_field_names,
)
from data.importers.values import is_blank

__all__ = ["SourceError", "SourceTable", "UploadLimits", "read_source", "upload_limits"]

_HEADER_SEARCH_ROWS = 15
# Hostile input (issue 8): limits on what a file may make us read or unpack.
MAX_BYTES = 50 * 2**20            # one file, or everything unpacked from one zip
MAX_ZIP_MEMBERS = 200
MAX_COMPRESSION_RATIO = 100       # shapefiles/xlsx compress ~3–20×; bombs 1000×+
_SHP_MAGIC = b"\x00\x00\x27\x0a"  # file code 9994, big-endian
_EXECUTABLE_MAGIC = {b"MZ": "Windows 可执行程序", b"\x7fELF": "Linux 可执行程序",
                     b"\xcf\xfa\xed\xfe": "macOS 可执行程序", b"#!": "脚本"}
_REMOTE_MARKERS = ("://", "/vsi", "\\vsi")
_TOTAL = re.compile(r"^(合计|总计|小计|共计|全县合计|全镇合计|汇总)[:：]?(\(.*\))?$")
# Lines under the table: "注：…", "填表人：张三  审核人：李四".
_FOOTER = re.compile(r"^(注|备注|说明|填表人|填报人|审核人|制表人|制表|负责人|单位负责人|统计人|填表说明)\s*[:：]")
_XLSX_FULL_READ_BYTES = 5 * 2**20  # merged cells need openpyxl's full (not read-only) mode: registers are small
_SHAPE_PARTS = (".shp", ".shx", ".dbf", ".prj", ".cpg", ".qix", ".sbn", ".sbx")


class SourceError(ValueError):
    """The file cannot be read at all; the message is for the user (Chinese)."""


# --------------------------------------------------------------------------- limits (issue 13)
@dataclass(frozen=True)
class UploadLimits:
    """What one file may make us read; each is a setting (``data.settings``, 导入限制)."""

    max_bytes: int = MAX_BYTES
    max_rows: int = 1_000_000
    max_features: int = 200_000
    max_vertices: int = 5_000_000
    max_field_chars: int = 32_767

    @classmethod
    def from_settings(cls, engine=None) -> "UploadLimits":
        from data import settings

        get = (lambda k: settings.get(engine, k)) if engine is not None else (lambda k: settings.BY_KEY[k].default)
        return cls(max_bytes=int(float(get("upload_max_mb")) * 2**20), max_rows=int(get("upload_max_rows")),
                   max_features=int(get("upload_max_features")), max_vertices=int(get("upload_max_vertices")),
                   max_field_chars=int(get("upload_max_field_chars")))


_LIMITS: ContextVar[UploadLimits | None] = ContextVar("upload_limits", default=None)


@contextmanager
def upload_limits(limits: "UploadLimits | object"):
    """Within the block, :func:`read_source` applies ``limits`` (an :class:`UploadLimits` or an engine
    whose settings give them): pages and the CLI wrap every import in it."""
    value = limits if isinstance(limits, UploadLimits) else UploadLimits.from_settings(limits)
    token = _LIMITS.set(value)
    try:
        yield value
    finally:
        _LIMITS.reset(token)


def current_limits() -> UploadLimits:
    """The limits in force; the size never above ``MAX_BYTES`` (the server's own upload cap)."""
    limits = _LIMITS.get() or UploadLimits.from_settings()
    if limits.max_bytes > MAX_BYTES:
        from dataclasses import replace

        limits = replace(limits, max_bytes=MAX_BYTES)
    return limits


@dataclass
class SourceTable:
    """Raw records of one file, in file order."""

    name: str
    fmt: str  # "shapefile" | "geojson" | "gpkg" | "xlsx" | "csv"
    headers: list[str]
    records: list[dict[str, Any]]
    rows: list[int]  # row number a person sees, per record
    geometries: list | None = None  # shapely geometries (None where missing); vector formats only
    crs: pyproj.CRS | None = None  # what the file states
    crs_origin: str | None = None
    encoding: str | None = None
    notes: list[str] = field(default_factory=list)
    titles: list[str] = field(default_factory=list)  # text of the title rows above the header

    @property
    def vector(self) -> bool:
        return self.geometries is not None


def _zip_name(info: zipfile.ZipInfo) -> str:
    """Member name as the user wrote it (zips from Chinese Windows store GBK names)."""
    if info.flag_bits & 0x800:
        return info.filename
    try:
        return info.filename.encode("cp437").decode("gb18030")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return info.filename


def _check_zip_members(zf: zipfile.ZipFile, what: str = "压缩包") -> None:
    """Refuse zip bombs, unsafe paths and links before anything is unpacked."""
    infos = zf.infolist()
    if len(infos) > MAX_ZIP_MEMBERS:
        raise SourceError(f"{what}内文件过多（{len(infos)} 个，上限 {MAX_ZIP_MEMBERS} 个）")
    total = 0
    for m in infos:
        name = m.filename.replace("\\", "/")
        if name.startswith("/") or re.match(r"^[A-Za-z]:", name) or ".." in name.split("/"):
            raise SourceError(f"{what}包含不安全的路径（{_zip_name(m)}）：拒绝导入")
        if (m.external_attr >> 16) & 0o170000 == 0o120000:
            raise SourceError(f"{what}包含符号链接（{_zip_name(m)}）：拒绝导入")
        total += m.file_size
        if m.file_size > 1_000_000 and m.compress_size and m.file_size / m.compress_size > MAX_COMPRESSION_RATIO:
            raise SourceError(f"{what}压缩比异常（{_zip_name(m)} 解压后 {m.file_size / 2**20:.0f} MB），疑似压缩炸弹：拒绝导入")
    limit = current_limits().max_bytes
    if total > limit:
        raise SourceError(f"{what}解压后过大（{total / 2**20:.0f} MB，上限 {limit / 2**20:g} MB）")


def _unzip(path: Path, tmp: Path, layer: str | None) -> Path:
    try:
        zf = zipfile.ZipFile(path)
    except zipfile.BadZipFile as exc:
        raise SourceError("压缩包已损坏或不是 zip 文件") from exc
    with zf:
        _check_zip_members(zf)
        members = [m for m in zf.infolist() if not m.is_dir() and "__MACOSX" not in m.filename]
        shps = [m for m in members if m.filename.lower().endswith(".shp")]
        if layer:
            shps = [m for m in shps if Path(_zip_name(m)).stem == layer] or shps
        if len(shps) > 1:
            names = "、".join(Path(_zip_name(m)).name for m in shps)
            raise SourceError(f"压缩包内有多个 shapefile（{names}）：请每次只导入一个")
        if shps:
            stem = shps[0].filename[:-4].lower()
            found = {}
            for m in members:
                base, ext = os.path.splitext(m.filename)
                if base.lower() == stem and ext.lower() in _SHAPE_PARTS:
                    target = tmp / f"layer{ext.lower()}"
                    target.write_bytes(zf.read(m))
                    found[ext.lower()] = _zip_name(m)
            if ".dbf" not in found:
                raise SourceError(f"压缩包中缺少 {Path(_zip_name(shps[0])).stem}.dbf 属性表")
            return tmp / "layer.shp"
        others = [m for m in members if Path(m.filename).suffix.lower() in
                  (".geojson", ".json", ".gpkg", ".xlsx", ".xlsm", ".csv", ".txt")]
        if len(others) == 1:
            target = tmp / f"inner{Path(others[0].filename).suffix.lower()}"
            target.write_bytes(zf.read(others[0]))
            return target
        raise SourceError("压缩包中没有可导入的文件（应包含 .shp/.dbf/.shx/.prj，或一个 GeoJSON/GeoPackage/Excel/CSV）")


def _check_content(path: Path, fmt: str) -> None:
    """The bytes must be what the name says: GDAL and openpyxl pick a reader by content.

    A VRT (which can read any local file) or other driver file renamed .geojson
    or .shp, or an executable renamed .xlsx, is refused here before any reader sees it.
    """
    head = path.read_bytes()[:4096]
    for magic, kind in _EXECUTABLE_MAGIC.items():
        if head.startswith(magic):
            raise SourceError(f"文件内容是{kind}，不是可导入的数据文件：拒绝导入")
    body = head.lstrip(b"\xef\xbb\xbf \r\n\t")
    if fmt == "geojson" and not body.startswith((b"{", b"[")):
        kind = "GDAL 虚拟数据源（VRT）" if b"OGRVRTDataSource" in head else "其他格式"
        raise SourceError(f"文件名为 GeoJSON，内容却是{kind}：拒绝导入")
    if fmt == "gpkg" and not head.startswith(b"SQLite format 3\x00"):
        raise SourceError("文件名为 GeoPackage，内容却不是 GeoPackage：拒绝导入")
    if fmt == "shapefile" and not head.startswith(_SHP_MAGIC):
        raise SourceError("文件名为 shapefile（.shp），内容却不是 shapefile：拒绝导入")
    if fmt == "xlsx":
        if not head.startswith(b"PK"):
            raise SourceError("文件名为 Excel（.xlsx），内容却不是 Excel 工作簿：拒绝导入（旧版 .xls 请另存为 .xlsx）")
        try:
            with zipfile.ZipFile(path) as zf:
                _check_zip_members(zf, "Excel 文件")
                if "[Content_Types].xml" not in zf.namelist():
                    raise SourceError("文件名为 Excel（.xlsx），内容却不是 Excel 工作簿：拒绝导入")
        except zipfile.BadZipFile as exc:
            raise SourceError("Excel 文件已损坏：拒绝导入") from exc
    if fmt == "csv" and b"\x00" in head:
        raise SourceError("文件名为 CSV/文本，内容却是二进制数据：拒绝导入")


def _sniff(path: Path) -> str:
    suffix = path.suffix.lower()
    known = {".zip": "zip", ".shp": "shapefile", ".geojson": "geojson", ".json": "geojson", ".gpkg": "gpkg",
             ".xlsx": "xlsx", ".xlsm": "xlsx", ".csv": "csv", ".txt": "csv", ".tsv": "csv"}
    if suffix == ".xls":
        raise SourceError("不支持旧版 .xls 文件：请在 Excel 中另存为 .xlsx 后导入")
    if suffix in known:
        return known[suffix]
    head = path.read_bytes()[:4096]
    if head.startswith(b"PK"):
        with zipfile.ZipFile(path) as zf:
            return "xlsx" if "[Content_Types].xml" in zf.namelist() else "zip"
    if head.startswith(b"SQLite format 3"):
        return "gpkg"
    if head.lstrip(b"\xef\xbb\xbf \r\n\t").startswith(b"{"):
        return "geojson"
    return "csv"


# --------------------------------------------------------------------------- vector
def _read_vector(path: Path, fmt: str, encoding: str | None, layer: str | None, tmp: Path) -> SourceTable:
    import pyogrio

    kwargs: dict[str, Any] = {}
    notes: list[str] = []
    used = "UTF-8"
    if fmt == "shapefile":
        if encoding:
            kwargs["encoding"], used = normalise_codec(encoding), f"{encoding}（指定）"
        else:
            codec, how = shapefile_encoding(path)
            kwargs["encoding"], used = codec, f"{codec.upper()}（{how}）"
        if not path.with_suffix(".prj").exists():
            notes.append("shapefile 没有 .prj 坐标系文件")
        dbf = path.with_suffix(".dbf")
        if truncated_field_names(dbf, kwargs["encoding"]):
            if path.parent != tmp:  # repair a copy, never the user's file
                for ext in _SHAPE_PARTS:
                    part = path.with_suffix(ext)
                    if part.exists():
                        (tmp / f"layer{ext}").write_bytes(part.read_bytes())
                path, dbf = tmp / "layer.shp", tmp / "layer.dbf"
            fixed = repair_field_names(dbf, kwargs["encoding"])
            notes.append(f"字段名在 10 字节处被截断，已去掉残缺的末字：{'、'.join(fixed)}")
    elif fmt == "geojson":
        raw = path.read_bytes()
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError:
            text, codec = decode_text(raw, encoding)
            path = tmp / "recoded.geojson"
            path.write_text(text, encoding="utf-8")
            used = f"{codec.upper()}（已转为 UTF-8）"
    try:
        layers = pyogrio.list_layers(path)
        if layer is None and len(layers) > 1:
            spatial = [str(n) for n, g in layers if g is not None]
            if len(spatial) != 1:
                raise SourceError(f"文件包含多个图层（{'、'.join(str(n) for n, _ in layers)}）：请指定 layer")
            layer = spatial[0]
        limit = current_limits().max_features
        count = pyogrio.read_info(path, layer=layer, **kwargs).get("features", 0)
        if count is not None and count > limit:  # refused before anything is read
            raise SourceError(f"文件要素过多（{count} 个，上限 {limit} 个）：拒绝导入")
        gdf = pyogrio.read_dataframe(path, layer=layer, **kwargs)
    except SourceError:
        raise
    except Exception as exc:  # noqa: BLE001 - GDAL raises many types; the user needs the message
        raise SourceError(f"无法读取文件：{exc}") from exc
    origin = {"shapefile": ".prj 文件", "geojson": "GeoJSON", "gpkg": "GeoPackage"}[fmt]
    crs = getattr(gdf, "crs", None)  # a layer without geometry comes back as a plain DataFrame
    geom_col = gdf.geometry.name if crs is not None or "geometry" in gdf else None
    geoms = list(gdf[geom_col].values) if geom_col else [None] * len(gdf)
    attrs = gdf.drop(columns=[geom_col]) if geom_col else gdf
    headers = [str(c) for c in attrs.columns]
    records = [{h: (None if is_blank(v) else v) for h, v in zip(headers, rec)}
               for rec in attrs.itertuples(index=False, name=None)]
    return SourceTable(
        name="", fmt=fmt, headers=headers, records=records, rows=[i + 2 for i in range(len(records))],
        geometries=geoms, crs=crs, crs_origin=origin if crs is not None else None, encoding=used, notes=notes,
    )


# --------------------------------------------------------------------------- tables
def _norm(cell) -> str:
    """Header/title text as compared: NFKC (full-width → half-width), no whitespace."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(cell)))


def _display(cell) -> str:
    """A header as shown to the user: NFKC, inner whitespace (line breaks) collapsed."""
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", str(cell))).strip()


def _is_total(cells: list) -> bool:
    firsts = [c for c in cells if not is_blank(c)][:2]
    return any(isinstance(c, str) and _TOTAL.match(_norm(c)) for c in firsts)


def _is_footer(cells: list) -> bool:
    filled = [c for c in cells if not is_blank(c)]
    return (bool(filled) and isinstance(filled[0], str) and bool(_FOOTER.match(_norm(filled[0])))
            and len({str(c) for c in filled}) <= 2)


def _is_column_numbers(cells: list) -> bool:
    """The '甲 乙 1 2 3 …' row statistical tables put under their header (栏次)."""
    filled = [c for c in cells if not is_blank(c)]
    if len(filled) < 3:
        return False
    nums = []
    for c in filled:
        text = _norm(c).removesuffix(".0")
        if text in ("甲", "乙", "丙", "丁", "栏次"):
            continue
        if not text.isdigit():
            return False
        nums.append(int(text))
    return len(nums) >= 2 and nums == list(range(nums[0], nums[0] + len(nums)))


_UNIT_CELL = re.compile(r"^(单位[:：]?)?\(?(户|栋|幢|个|台|部|辆|人|万元|元|万m2|m2|平方米|万平方米|元/m2·月|元/m2/月|"
                        r"元/平方米·月|%|年|套|座|处|位|个数|数量|名称)\)?$")


def _is_units_row(cells: list) -> bool:
    """A row of units under the header: '户', '（栋）', '万㎡', '元/㎡·月'."""
    filled = [c for c in cells if not is_blank(c)]
    return len(filled) >= 2 and all(isinstance(c, str) and _UNIT_CELL.match(_norm(c)) for c in filled)


def _has_numbers(cells: list) -> bool:
    return any(isinstance(c, (int, float)) and not isinstance(c, bool) for c in cells)


def _flatten(upper: list, lower: list, level: str, width: int) -> list:
    """One header row from a two-row (merged) header: per column the most specific part
    that names a known column (lower, then upper, then both joined), else 'upper/lower'."""
    out = []
    for j in range(width):
        u = upper[j] if j < len(upper) else None
        lo = lower[j] if j < len(lower) else None
        u = None if is_blank(u) else _display(u)
        lo = None if is_blank(lo) else _display(lo)
        if u is None or lo is None or u == lo:
            out.append(lo if u is None else u)
            continue
        known = next((p for p in (lo, u, u + lo) if C.header_score([p], level)), None)
        out.append(known or f"{u}/{lo}")
    return out


def _table(rows: list[list], level: str, fmt: str) -> SourceTable:
    """Find the header row (or two-row merged header), then turn the rows below it into records.

    Title rows, 填报单位/制表 rows and blank rows above the header are skipped (their text
    is kept in ``titles``); 合计/小计/总计 rows and 注：/填表人： lines below are dropped.
    """
    candidates = rows[:_HEADER_SEARCH_ROWS]
    if not rows or not any(not is_blank(c) for r in candidates for c in r):
        raise SourceError("文件中没有数据")
    width = max(len(r) for r in rows)
    scores = [C.header_score(r, level) for r in candidates]
    best = max(range(len(candidates)), key=lambda i: (scores[i], -i))
    if scores[best] == 0:
        best = next(i for i, r in enumerate(candidates) if any(not is_blank(c) for c in r))
    first, last = best, best
    raw_headers = list(rows[best])
    if scores[best]:
        pair = None
        for a, b in ((best - 1, best), (best, best + 1)):
            if a < 0 or b >= len(rows) or _has_numbers(rows[a]) or _has_numbers(rows[b]):
                continue
            if all(is_blank(c) for c in rows[a]) or all(is_blank(c) for c in rows[b]):
                continue
            merged = _flatten(rows[a], rows[b], level, width)
            score = C.header_score(merged, level)
            if score > scores[best] and (pair is None or score > pair[2]):
                pair = (a, b, score, merged)
        if pair is not None:
            first, last, _, raw_headers = pair
        elif best > 0 and any(not is_blank(c) and j < len(rows[best]) and c == rows[best][j]
                              for j, c in enumerate(rows[best - 1])) and C.header_score(rows[best - 1], level):
            first = best - 1  # merged cells already copied down into the header row: the row above is its group row
    notes = []
    titles = [" ".join(dict.fromkeys(_display(c) for c in r if not is_blank(c))) for r in rows[:first]]
    titles = [t for t in titles if t]
    if last > first:
        notes.append(f"表头为两行合并表头（第 {first + 1}–{last + 1} 行），已合并为一行")
    if first > 0:
        notes.append(f"表头在第 {first + 1} 行（其上为标题行）")
    headers, seen = [], {}
    for j in range(width):
        h = raw_headers[j] if j < len(raw_headers) else None
        h = f"第{j + 1}列" if is_blank(h) else _display(h)
        if h in seen:
            seen[h] += 1
            h = f"{h}.{seen[h]}"
        else:
            seen[h] = 1
        headers.append(h)
    records, numbers = [], []
    for i in range(last + 1, len(rows)):
        cells = list(rows[i]) + [None] * (width - len(rows[i]))
        if all(is_blank(c) for c in cells):
            continue
        if _is_total(cells):
            notes.append(f"第 {i + 1} 行为合计行，已跳过")
            continue
        if not records and _is_column_numbers(cells):
            notes.append(f"第 {i + 1} 行为栏目序号行，已跳过")
            continue
        if not records and _is_units_row(cells):
            notes.append(f"第 {i + 1} 行为计量单位行，已跳过")
            continue
        if _is_footer(cells):
            notes.append(f"第 {i + 1} 行为表尾说明（{_display(next(c for c in cells if not is_blank(c)))[:20]}），已跳过")
            continue
        records.append({h: (None if is_blank(v) else v) for h, v in zip(headers, cells)})
        numbers.append(i + 1)
    # Columns with neither a header nor a value are Excel formatting residue.
    headers = [h for j, h in enumerate(headers)
               if not (is_blank(raw_headers[j] if j < len(raw_headers) else None)
                       and all(r.get(h) is None for r in records))]
    return SourceTable(name="", fmt=fmt, headers=headers, records=[{h: r[h] for h in headers} for r in records],
                       rows=numbers, notes=notes, titles=titles)


def _read_csv(path: Path, level: str, encoding: str | None) -> SourceTable:
    text, codec = decode_text(path.read_bytes(), encoding)
    first = text.lstrip("\ufeff").split("\n", 1)[0]
    delimiter = max((",", "\t", ";", "|"), key=first.count)
    rows = [list(r) for r in csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=delimiter)]
    table = _table(rows, level, "csv")
    names = {"utf-8": "UTF-8", "utf-8-sig": "UTF-8（带 BOM）", "gb18030": "GB18030（GBK）"}
    table.encoding = names.get(codec, codec.upper()) + ("（指定）" if encoding else "")
    return table


def _has_merged_cells(path: Path) -> bool:
    """Whether any sheet declares merged cells (only then is the slower full read needed)."""
    try:
        with zipfile.ZipFile(path) as zf:
            return any(b"<mergeCell" in zf.read(n) or b":mergeCell" in zf.read(n) for n in zf.namelist()
                       if n.startswith("xl/worksheets/") and n.endswith(".xml"))
    except (zipfile.BadZipFile, KeyError, OSError):
        return False


def _sheet_rows(ws, full: bool) -> list[list]:
    """Cell values; a merged range's value is copied into every cell it covers
    (two-row headers, 所属镇街 merged down over its compounds)."""
    rows = [list(r) for r in ws.iter_rows(values_only=True)]
    if not full:
        return rows
    for rng in ws.merged_cells.ranges:
        value = rows[rng.min_row - 1][rng.min_col - 1] if rng.min_row - 1 < len(rows) else None
        if is_blank(value):
            continue
        for i in range(rng.min_row - 1, min(rng.max_row, len(rows))):
            row = rows[i]
            if len(row) < rng.max_col:
                row.extend([None] * (rng.max_col - len(row)))
            for j in range(rng.min_col - 1, rng.max_col):
                row[j] = value
    return rows


def _read_xlsx(path: Path, level: str) -> SourceTable:
    import openpyxl

    full = path.stat().st_size <= _XLSX_FULL_READ_BYTES and _has_merged_cells(path)
    try:
        wb = openpyxl.load_workbook(path, read_only=not full, data_only=True)
    except Exception as exc:  # noqa: BLE001
        raise SourceError(f"无法打开 Excel 文件：{exc}") from exc
    try:
        sheets = [(ws.title, _sheet_rows(ws, full)) for ws in wb.worksheets]
    finally:
        wb.close()
    scored = [(max((C.header_score(r, level) for r in rows[:_HEADER_SEARCH_ROWS]), default=0), -k, title, rows)
              for k, (title, rows) in enumerate(sheets) if rows]
    if not scored:
        raise SourceError("Excel 文件中没有数据")
    _, _, title, rows = max(scored)
    table = _table(rows, level, "xlsx")
    if len(sheets) > 1:
        table.notes.insert(0, f"读取工作表“{title}”")
    return table


def read_source(source, *, level: str, encoding: str | None = None, layer: str | None = None,
                filename: str | None = None) -> SourceTable:
    """Read ``source`` (path, bytes or file object) into a :class:`SourceTable`.

    The one entry point every importer reads through: it applies the upload
    limits (:func:`upload_limits`) and turns every failure into a
    :class:`SourceError` with a Chinese message and no server path; an
    unexpected one is logged with its traceback under an error id the message names.

    Raises
    ------
    SourceError
        Unknown or unreadable format, missing shapefile parts, undecodable or
        garbled text (mojibake is refused unless ``encoding`` was given), a limit exceeded.
    """
    from data.errors import error_id, log, scrub_paths

    try:
        table = _read_source(source, level=level, encoding=encoding, layer=layer, filename=filename)
    except SourceError as exc:
        raise SourceError(scrub_paths(str(exc))) from None
    except csv.Error as exc:  # e.g. "field larger than field limit": one field of 200,000 characters
        raise SourceError(f"CSV 文件格式有误或字段过长（单个字段上限 {current_limits().max_field_chars} 个字符）："
                          "拒绝导入") from exc
    except MemoryError:
        raise SourceError("文件内容过大，服务器无法读取：拒绝导入") from None
    except Exception as exc:  # noqa: BLE001 - a reader bug must not show a traceback to a user
        eid = error_id()
        log.error("%s read_source(%s) failed", eid, filename or "", exc_info=exc)
        raise SourceError(f"无法读取文件（错误编号 {eid}，详情已记入服务器日志）") from None
    _check_limits(table, current_limits())
    return table


def _check_limits(table: SourceTable, limits: UploadLimits) -> None:
    """Rows, features, vertices and field lengths of a file that was read (Chinese refusals)."""
    n = len(table.records)
    if table.vector and n > limits.max_features:
        raise SourceError(f"文件要素过多（{n} 个，上限 {limits.max_features} 个）：拒绝导入")
    if not table.vector and n > limits.max_rows:
        raise SourceError(f"文件行数过多（{n} 行，上限 {limits.max_rows} 行）：拒绝导入")
    if table.vector:
        import shapely

        geoms = [g for g in table.geometries if g is not None]
        vertices = int(shapely.get_num_coordinates(geoms).sum()) if geoms else 0
        if vertices > limits.max_vertices:
            raise SourceError(f"文件顶点过多（{vertices} 个，上限 {limits.max_vertices} 个）：拒绝导入")
    for row, record in zip(table.rows, table.records):
        for key, value in record.items():
            if isinstance(value, str) and len(value) > limits.max_field_chars:
                raise SourceError(f"第 {row} 行“{str(key)[:20]}”字段过长（{len(value)} 个字符，"
                                  f"上限 {limits.max_field_chars} 个）：拒绝导入")


def _read_source(source, *, level: str, encoding: str | None = None, layer: str | None = None,
                 filename: str | None = None) -> SourceTable:
    limits = current_limits()
    max_bytes = limits.max_bytes
    with tempfile.TemporaryDirectory(prefix="import_") as tmpdir:
        tmp = Path(tmpdir)
        if isinstance(source, (str, os.PathLike)):
            text = os.fspath(source)
            if any(marker in text.lower() for marker in _REMOTE_MARKERS):
                raise SourceError("只能导入本机文件：不接受网址或 GDAL 虚拟路径（如 /vsicurl/）")
            path = Path(text)
            if not path.is_file():
                raise SourceError(f"文件不存在：{path}")
            if path.stat().st_size > max_bytes:
                raise SourceError(f"文件过大（{path.stat().st_size / 2**20:.0f} MB，上限 {max_bytes / 2**20:g} MB）")
            name = filename or path.name
        else:
            data = bytes(source) if isinstance(source, (bytes, bytearray)) else source.read(max_bytes + 1)
            if len(data) > max_bytes:
                raise SourceError(f"文件过大（超过 {max_bytes / 2**20:g} MB 上限）")
            name = filename or Path(getattr(source, "name", "") or "upload").name
            path = tmp / ("upload" + "".join(Path(name).suffixes[-2:]).lower())
            path.write_bytes(data)
        try:
            fmt = _sniff(path)
            if fmt == "zip":
                path = _unzip(path, tmp, layer)
                fmt = _sniff(path)
            _check_content(path, fmt)
            if fmt in ("shapefile", "geojson", "gpkg"):
                table = _read_vector(path, fmt, encoding, layer, tmp)
            elif fmt == "xlsx":
                table = _read_xlsx(path, level)
                if encoding:
                    table.notes.append("Excel 文件自带编码，encoding 参数未使用")
            else:
                table = _read_csv(path, level, encoding)
        except EncodingProblem as exc:
            raise SourceError(str(exc)) from exc
    table.name = name
    texts = list(table.headers) + [v for r in table.records for v in r.values() if isinstance(v, str)]
    garbled = find_mojibake(texts)
    if garbled:
        message = f"文本疑似乱码（如 '{garbled[:30]}'）"
        if not encoding:
            raise SourceError(message + "：请用 encoding 参数指定编码（如 gbk 或 utf-8）")
        table.notes.append(message + "，请核对 encoding 参数")
    return table
