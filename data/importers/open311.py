"""Open311 GeoReport v2 (service requests) as JSON or XML: export and read back for import.

A complaint becomes one GeoReport v2 service request::

    service_request_id  ← 工单编号            status        ← open / closed
    status_notes        ← 办理说明 (free text), else 办理状态
    service_code, service_name ← 诉求类型     description   ← 诉求内容
    agency_responsible  ← 承办单位            address       ← 诉求地址
    requested_datetime  ← 受理时间 (ISO 8601, +08:00)
    updated_datetime    ← 办结时间, else 受理时间
    lat, long           ← WGS-84 degrees

Fields GeoReport v2 has no name for go in ``extended_attributes``
(``closed_datetime``, ``satisfaction``, ``township``, ``compound`` (matched),
``compound_name`` (小区名称 as written), ``match_method``, ``state`` = 办理状态, which
open/closed cannot tell apart).

Reading follows the servers: ``status`` (open / closed) decides the state (办理中 /
已办结; ``extended_attributes.state`` or a ``status_notes`` that is one of our own
status words refines an open request to 退回), ``status_notes`` is kept as free
text (办理说明), times with any offset (the spec's −08:00) are converted to Beijing
time, and the XML the spec gives as its default format
(``<service_requests><request>…</request></service_requests>``) is read as well
as JSON. Complainants never leave in this format: GeoReport v2
responses carry no requester fields, and a re-import of the file therefore
never touches the stored (unmasked) names and phones. Export → import →
export gives the same JSON.
"""
from __future__ import annotations

import json
import os
from datetime import datetime
from pathlib import Path

import pandas as pd

from data.importers.readers import SourceError, SourceTable

__all__ = ["to_open311", "dumps_open311", "read_if_open311", "looks_like_open311"]

OPEN, CLOSED = "open", "closed"


def _iso(value) -> str | None:
    if value is None or (isinstance(value, float) and pd.isna(value)) or value is pd.NaT:
        return None
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    if isinstance(value, datetime):
        return value.replace(microsecond=0).isoformat() + "+08:00"
    return str(value)


def _clean(value):
    if value is None:
        return None
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    if hasattr(value, "item"):
        return value.item()
    return value


def to_open311(frame: pd.DataFrame) -> list[dict]:
    """GeoReport v2 service requests from a complaints frame (``data.queries.complaint_stats.complaint_records``).

    Columns used: order_no, received_at, category, content, address, lon, lat,
    department, status, closed_at, satisfaction, township, compound, match_method.
    """
    out = []
    for r in frame.itertuples(index=False):
        closed = _iso(getattr(r, "closed_at", None))
        out.append({
            "service_request_id": str(r.order_no),
            "status": CLOSED if r.status == "已办结" else OPEN,
            "status_notes": _clean(getattr(r, "status_notes", None)) or _clean(r.status),
            "service_name": _clean(r.category),
            "service_code": _clean(r.category),
            "description": _clean(r.content),
            "agency_responsible": _clean(r.department),
            "service_notice": None,
            "requested_datetime": _iso(r.received_at),
            "updated_datetime": closed or _iso(r.received_at),
            "expected_datetime": None,
            "address": _clean(r.address),
            "address_id": None,
            "zipcode": None,
            "lat": _clean(r.lat),
            "long": _clean(r.lon),
            "media_url": None,
            "extended_attributes": {
                "closed_datetime": closed,
                "satisfaction": _clean(getattr(r, "satisfaction", None)),
                "township": _clean(getattr(r, "township", None)),
                "compound": _clean(getattr(r, "compound", None)),
                "match_method": _clean(getattr(r, "match_method", None)),
                "state": _clean(r.status),
                "compound_name": _clean(getattr(r, "compound_name", None)),
            },
        })
    return out


def dumps_open311(frame: pd.DataFrame) -> bytes:
    """The service requests as UTF-8 JSON bytes (a list, as GET requests.json returns)."""
    return json.dumps(to_open311(frame), ensure_ascii=False, indent=1).encode("utf-8")


def looks_like_open311(data: bytes) -> bool:
    head = data[:4096].lstrip(b"\xef\xbb\xbf \r\n\t")
    return head[:1] in (b"[", b"{", b"<") and b"service_request_id" in data[:200_000]


# The record keys are the Chinese headers the complaint import maps anyway.
_MAP = (("service_request_id", "工单编号"), ("requested_datetime", "受理时间"), ("service_name", "诉求类型"),
        ("description", "诉求内容"), ("address", "诉求详细地址"), ("agency_responsible", "承办单位"),
        ("long", "经度"), ("lat", "纬度"))
# ``compound`` is the compound the order was matched to (information only); ``compound_name`` the
# 小区名称 the order wrote, which an import reads again (a round trip changes nothing)
_EXT = (("closed_datetime", "办结时间"), ("satisfaction", "满意度"), ("township", "所属区域"),
        ("compound_name", "小区名称"))
_OPEN_STATES = ("办理中", "退回")


def _own_status(value) -> str | None:
    """One of our status words (办理中/已办结/退回 and their synonyms), else None."""
    from data.importers.complaints import parse_status
    from data.importers.values import Bad

    if value is None or str(value).strip() == "":
        return None
    try:
        return parse_status(value)
    except Bad:
        return None


def _state(sr: dict, ext: dict) -> tuple[str | None, str | None]:
    """(办理状态, 办理说明) of one request: ``status`` decides, notes stay free text."""
    status = str(sr.get("status") or "").strip().lower()
    notes = sr.get("status_notes")
    notes = None if notes is None or str(notes).strip() == "" else str(notes).strip()
    own = _own_status(ext.get("state")) or _own_status(notes)
    if notes is not None and _own_status(notes) is not None:
        notes = None  # a status word (our own export writes one there) is not a note
    if status == CLOSED:
        return "已办结", notes
    if status == OPEN:
        return (own if own in _OPEN_STATES else "办理中"), notes
    if status:
        return sr.get("status"), notes  # neither: the complaint import reports the value
    return own, notes


def _records(requests: list) -> list[dict]:
    out = []
    for i, sr in enumerate(requests, start=1):
        if not isinstance(sr, dict):
            raise SourceError(f"第 {i} 条不是 Open311 工单对象")
        rec = {cn: sr.get(key) for key, cn in _MAP}
        ext = sr.get("extended_attributes") or {}
        if not isinstance(ext, dict):
            ext = {}
        rec.update({cn: ext.get(key) for key, cn in _EXT})
        rec["办理状态"], rec["办理说明"] = _state(sr, ext)
        if rec["办结时间"] is None and str(sr.get("status", "")).strip().lower() == CLOSED:
            rec["办结时间"] = sr.get("updated_datetime")
        if sr.get("service_name") in (None, ""):
            rec["诉求类型"] = sr.get("service_code")
        out.append({k: (None if v == "" else v) for k, v in rec.items()})
    return out


def _xml_value(el):
    children = list(el)
    if children:
        return {c.tag: _xml_value(c) for c in children}
    text = (el.text or "").strip()
    return text or None


def _parse_xml(data: bytes) -> list[dict]:
    """``<service_requests><request>…`` (GeoReport v2's default format) as request dicts.

    Entities are not resolved and nothing is fetched (a file from outside is untrusted)."""
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, recover=False)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise SourceError(f"无法解析 XML：{exc}") from exc
    if root.tag == "request":
        items = [root]
    else:
        items = [el for el in root if el.tag == "request"]
    return [{c.tag: _xml_value(c) for c in el if isinstance(c.tag, str)} for el in items]


def read_if_open311(source, *, filename: str | None = None) -> SourceTable | None:
    """A :class:`SourceTable` when ``source`` is Open311 JSON or XML, else None (another format)."""
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        if not path.exists():
            return None  # the shared reader gives the "file not found" message
        name = filename or path.name
        if path.suffix.lower() not in (".json", ".geojson", ".xml", "", ".txt"):
            return None
        data = path.read_bytes()
    elif isinstance(source, (bytes, bytearray)):
        data, name = bytes(source), filename or "upload"
    else:
        return None
    if not looks_like_open311(data):
        if Path(name).suffix.lower() in (".json", ".xml"):
            raise SourceError(f"{Path(name).suffix[1:].upper()} 文件不是 Open311 GeoReport v2 工单格式"
                              "（缺少 service_request_id）")
        return None
    if data.lstrip(b"\xef\xbb\xbf \r\n\t")[:1] == b"<":
        payload, fmt = _parse_xml(data), "XML"
    else:
        try:
            payload = json.loads(data.decode("utf-8-sig"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise SourceError(f"无法解析 JSON：{exc}") from exc
        fmt = "JSON"
    if isinstance(payload, dict):
        payload = payload.get("service_requests", payload.get("requests", [payload]))
    if not isinstance(payload, list):
        raise SourceError("Open311 文件应为工单列表")
    records = _records(payload)
    headers = list(records[0]) if records else [cn for _, cn in _MAP + _EXT] + ["办理状态", "办理说明"]
    return SourceTable(name=name, fmt="open311", headers=headers, records=records,
                       rows=list(range(1, len(records) + 1)), encoding="UTF-8",
                       notes=[f"Open311 GeoReport v2 {fmt}：行号为第几条工单"])
