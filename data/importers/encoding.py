"""Text encodings of imported files: CSV text and shapefile attribute tables.

Chinese government exports are UTF-8, UTF-8 with BOM, or GBK/GB18030, and a
wrong guess turns every name into mojibake without any error. The rules here
are deliberately narrow (see NOTES "Data quirks"):

* CSV: BOM → that encoding; the whole file decodes as strict UTF-8 → UTF-8;
  otherwise GB18030 (a superset of GBK and GB2312). charset-normalizer is only
  asked, limited to Chinese-relevant candidates, when GB18030 fails too: left
  to itself it reads short GBK text as cp949.
* Shapefile: ``.cpg`` first, then the DBF language driver id (LDID) when it
  names a CJK code page; with neither, strict UTF-8 over every text cell and
  field name, else GB18030. A declared encoding the bytes contradict is
  overridden with a note, never trusted into mojibake.
"""
from __future__ import annotations

import codecs
import re
import struct
from pathlib import Path

__all__ = [
    "EncodingProblem", "detect_text_encoding", "decode_text", "shapefile_encoding",
    "normalise_codec", "find_mojibake", "truncated_field_names", "repair_field_names",
]

GB = "gb18030"

_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)

# DBF byte 29 (language driver id) → codec, for the CJK code pages only. Western
# ids (0x01 437, 0x03 1252, 0x57 "system ANSI") are what Chinese tools write
# for GBK too, so they are treated as "not declared".
_LDID_CODECS = {0x4D: GB, 0x7A: GB, 0x4F: "big5", 0x78: "big5", 0x4E: "cp949", 0x79: "cp949",
                0x13: "cp932", 0x7B: "cp932"}

# What .cpg files say → Python codec. GBK-family names map to GB18030 (superset).
_CPG_ALIASES = {
    "936": GB, "cp936": GB, "gbk": GB, "gb2312": GB, "gb18030": GB, "ansi936": GB,
    "65001": "utf-8", "utf8": "utf-8", "utf-8": "utf-8",
    "950": "big5", "big5": "big5",
}


class EncodingProblem(ValueError):
    """The text cannot be decoded reliably; the message is for the user (Chinese)."""


def normalise_codec(name: str) -> str:
    """Python codec name for an encoding label a user or a .cpg file gives.

    Raises
    ------
    EncodingProblem
        Unknown label.
    """
    key = re.sub(r"[\s_]", "", name.strip().lower())
    if key in _CPG_ALIASES:
        return _CPG_ALIASES[key]
    try:
        return codecs.lookup(name.strip()).name
    except LookupError as exc:
        raise EncodingProblem(f"无法识别的编码 '{name}'（可用 utf-8、gbk、gb18030）") from exc


def _strict_ok(chunks, codec: str) -> bool:
    """True when every chunk decodes strictly; a chunk may end mid-character.

    DBF cells and field names are cut at a byte count, which can split the last
    multi-byte character: that is truncation, not evidence of another encoding.
    """
    for chunk in chunks:
        try:
            codecs.getincrementaldecoder(codec)("strict").decode(chunk, final=False)
        except UnicodeDecodeError:
            return False
    return True


def detect_text_encoding(raw: bytes) -> str:
    """Encoding of a whole CSV/text file (BOM, strict UTF-8, GB18030, then limited guess)."""
    for bom, codec in _BOMS:
        if raw.startswith(bom):
            return codec
    try:
        raw.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        raw.decode(GB)
        return GB
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(raw, cp_isolation=["utf_8", "gb18030", "big5", "utf_16"]).best()
    if best is None:
        raise EncodingProblem("无法识别文件的文本编码：请另存为 UTF-8 或用 encoding 参数指定（如 gbk）")
    return best.encoding


def decode_text(raw: bytes, encoding: str | None = None) -> tuple[str, str]:
    """Decode file bytes; return ``(text, codec used)``.

    A declared ``encoding`` is used strictly: bytes it cannot decode raise
    :class:`EncodingProblem` instead of silently replacing characters.
    """
    codec = normalise_codec(encoding) if encoding else detect_text_encoding(raw)
    if codec == "utf-8" and raw.startswith(codecs.BOM_UTF8):
        codec = "utf-8-sig"
    try:
        return raw.decode(codec), codec
    except UnicodeDecodeError as exc:
        raise EncodingProblem(
            f"文件不是 {encoding or codec} 编码（第 {exc.start} 字节起无法解码）：请检查 encoding 参数"
        ) from exc


# --------------------------------------------------------------------------- DBF
def _dbf_text_chunks(dbf: Path) -> tuple[int, list[bytes]]:
    """(LDID, raw bytes of field names and of every character-field cell)."""
    data = dbf.read_bytes()
    if len(data) < 32:
        return 0, []
    n_records, header_len, record_len = struct.unpack("<IHH", data[4:12])
    ldid = data[29]
    chunks: list[bytes] = []
    fields: list[tuple[int, int]] = []  # (offset in record, length) of C fields
    offset = 1  # deletion flag
    pos = 32
    while pos + 32 <= min(header_len, len(data)) and data[pos] != 0x0D:
        desc = data[pos:pos + 32]
        chunks.append(desc[:11].split(b"\x00", 1)[0])
        ftype, flen = chr(desc[11]), desc[16]
        if ftype in "CM":
            fields.append((offset, flen))
        offset += flen
        pos += 32
    for i in range(n_records):
        start = header_len + i * record_len
        record = data[start:start + record_len]
        for off, length in fields:
            cell = record[off:off + length].rstrip(b" \x00")
            if cell and max(cell) >= 0x80:
                chunks.append(cell)
    return ldid, [c for c in chunks if c and max(c) >= 0x80]


def shapefile_encoding(shp: Path) -> tuple[str, str]:
    """Encoding of a shapefile's attributes: ``(codec, how it was decided)``.

    Order: ``.cpg`` → CJK LDID → strict UTF-8 → GB18030. A declaration the
    bytes contradict (a ``.cpg`` saying UTF-8 over GBK bytes, say) is replaced
    by the detected encoding and the reason says so.

    Raises
    ------
    EncodingProblem
        Neither UTF-8 nor GB18030 decodes the text.
    """
    dbf = next((p for p in (shp.with_suffix(".dbf"), shp.with_suffix(".DBF")) if p.exists()), None)
    if dbf is None:
        raise EncodingProblem("缺少 .dbf 属性表文件")
    ldid, chunks = _dbf_text_chunks(dbf)
    declared, how = None, ""
    cpg = next((p for p in (shp.with_suffix(".cpg"), shp.with_suffix(".CPG")) if p.exists()), None)
    if cpg is not None:
        label = cpg.read_bytes().decode("ascii", "ignore").strip()
        try:
            declared, how = normalise_codec(label), f".cpg 文件声明 {label}"
        except EncodingProblem:
            how = f".cpg 文件内容 '{label}' 无法识别"
    elif ldid in _LDID_CODECS:
        declared, how = _LDID_CODECS[ldid], f"DBF 语言标识 LDID={ldid}"
    if not chunks:  # ASCII only: any ASCII-compatible codec gives the same text
        return declared or "utf-8", how or "属性表只有 ASCII 字符"
    if declared and _strict_ok(chunks, declared):
        return declared, how
    for codec in ("utf-8", GB):
        if _strict_ok(chunks, codec):
            detected = "UTF-8" if codec == "utf-8" else "GB18030（GBK）"
            if declared:
                return codec, f"{how}，但内容不符，按 {detected} 读取"
            prefix = f"{how}；" if how else "无 .cpg 和编码标识，"
            return codec, f"{prefix}按内容识别为 {detected}"
    raise EncodingProblem("属性表文本既不是 UTF-8 也不是 GBK/GB18030：请用 encoding 参数指定编码")


def truncated_field_names(dbf: Path, codec: str) -> list[tuple[int, bytes, bytes]]:
    """Field names cut mid-character (GDAL cuts names at 10 bytes): ``(offset, old, repaired)``."""
    data = dbf.read_bytes()
    header_len = struct.unpack("<H", data[8:10])[0] if len(data) >= 32 else 0
    out = []
    pos = 32
    while pos + 32 <= min(header_len, len(data)) and data[pos] != 0x0D:
        name = data[pos:pos + 11].split(b"\x00", 1)[0]
        try:
            name.decode(codec)
        except UnicodeDecodeError:
            whole = codecs.getincrementaldecoder(codec)("strict").decode(name, final=False)
            out.append((pos, name, whole.encode(codec)))
        pos += 32
    return out


def repair_field_names(dbf: Path, codec: str) -> list[str]:
    """Drop the broken last character of truncated field names, in place; the repaired names."""
    fixes = truncated_field_names(dbf, codec)
    if fixes:
        data = bytearray(dbf.read_bytes())
        for pos, _old, new in fixes:
            data[pos:pos + 11] = new.ljust(11, b"\x00")
        dbf.write_bytes(bytes(data))
    return [new.decode(codec) for _pos, _old, new in fixes]


# --------------------------------------------------------------------------- checks
# Latin-1/cp1252 letters and box symbols that GBK or UTF-8 bytes become when
# read as a single-byte code page (e.g. '名称' → 'Ãû³Æ', '金乡' → 'é‡‘ä¹¡').
_MOJIBAKE = re.compile(
    r"[\u00c0-\u00ff\u0080-\u009f\u2018-\u201e\u2020-\u2030"
    r"\u0152\u0153\u0160\u0161\u017d\u017e\u0192\u02c6\u02dc]{2,}"
)
_CJK = re.compile(r"[\u4e00-\u9fff]")


def find_mojibake(values) -> str | None:
    """The first text that looks like Chinese decoded with the wrong code page, else None."""
    for value in values:
        if isinstance(value, str) and not _CJK.search(value) and _MOJIBAKE.search(value):
            return value
        if isinstance(value, str) and "\ufffd" in value:
            return value
    return None
