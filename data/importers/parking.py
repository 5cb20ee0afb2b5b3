"""Parking resources import (错时停车资源): Excel/CSV with coordinates or WKT, GeoJSON/shapefile/GeoPackage.

Columns (Chinese or English headers, found among the first rows like every
import): 名称 / 单位名称 (required), 单位类型 (机关 / 企业 / 事业单位 / 商业配建 /
道路夜间临时泊位, required), 可共享车位 (blank: 未填报, stored as NULL, and no plan
counts it), 开放时段 as offices write it (``工作日18:00-次日7:30，节假日全天``,
``周一至周五19:00至次日7:00``, ``18:00-7:30`` for every day, ``全天``, ``夜间``: see
:func:`parse_hours`; kept as written in ``hours_text``) or 工作日开放时段 /
节假日开放时段 or 工作日开始/工作日结束 and the same for 节假日, 联系人, 联系电话,
状态 (可用 / 待审批 / 暂停), 所属镇街 (办事处 / 人民政府 suffixes ignored); the
location as 经度/纬度, X/Y, WKT or the file's own geometry — a point, a car-park
polygon or a road line.

Rows are keyed by name: an existing resource of that name is updated. The
township comes from 所属镇街, else from where the resource lies. Everything is
validated first (with the Excel row number) and nothing is written when any
row is wrong; an importer with a township scope may only import its own.

:func:`read_road_network` reads a line file (GeoJSON, shapefile, …) for
walking along roads, with the same encoding and CRS detection.
"""
from __future__ import annotations

import re
from datetime import datetime, time
from functools import partial

import geopandas as gpd
import shapely
from shapely.geometry.base import BaseGeometry
from sqlalchemy import select
from sqlalchemy.orm import Session

from data import permissions, vocab
from data.importers import columns as C
from data.importers import geometry as G
from data.importers import values as V
from data.importers.pipeline import Job, Row
from data.importers.readers import SourceError, read_source
from data.importers.report import ImportReport
from data.schema import ParkingResource
from data.queries import township_in_scope
from data.scope import COUNTY, Scope

__all__ = ["import_parking", "parse_window", "parse_time", "parse_hours", "read_road_network", "LEVEL"]

LEVEL = "parking"
STATUSES = ("可用", "待审批", "暂停")
ALL_DAY = ("00:00", "23:59")
_TIME = re.compile(r"^\s*(\d{1,2})\s*(?:[:：点时]\s*(\d{1,2})?\s*分?)?\s*$")
_SPLIT = re.compile(r"\s*(?:-|—|–|－|~|～|至|到)+\s*")
_ALL_DAY_WORDS = ("全天", "24小时", "全日", "00:00-24:00", "0:00-24:00")


_PM_WORDS = ("晚上", "晚间", "傍晚", "下午", "晚", "夜间", "夜里", "夜")
_AM_WORDS = ("次日", "翌日", "第二天", "隔日", "凌晨", "早上", "早晨", "上午", "清晨", "早")


def parse_time(value) -> str:
    """``7:30`` / ``07：30`` / ``19点`` / ``晚6点`` / ``次日早7点半`` / an Excel time → ``HH:MM``
    (``24:00`` allowed as a closing time)."""
    if isinstance(value, (time, datetime)):
        return f"{value.hour:02d}:{value.minute:02d}"
    if isinstance(value, float) and 0 <= value < 1:  # Excel stores a time as a fraction of a day
        total = round(value * 24 * 60)
        return f"{total // 60:02d}:{total % 60:02d}"
    s = V.nfkc(str(value)).replace(" ", "").replace("半", ":30")
    pm = any(w in s for w in _PM_WORDS) and not any(w in s for w in ("凌晨", "早"))
    for word in (*_AM_WORDS, *_PM_WORDS):
        s = s.replace(word, "")
    s = s.replace("点:", ":").replace("时:", ":")
    m = _TIME.match(s)
    if not m:
        raise V.Bad("不是时间（应为 HH:MM，如 18:00）")
    h, mi = int(m.group(1)), int(m.group(2) or 0)
    if pm and 1 <= h < 12:
        h += 12
    if not (0 <= h <= 24 and 0 <= mi <= 59) or (h == 24 and mi):
        raise V.Bad("不是有效的时间")
    return f"{h:02d}:{mi:02d}"


NIGHT = ("19:00", "07:30")  # what '夜间' means when a cell says only that (setting parking_night_window's default)
_NIGHT_WORDS = ("夜间", "晚间", "夜晚", "晚上", "夜里", "每晚", "夜间开放")
_CLOSED_WORDS = ("不开放", "关闭", "不共享", "不对外开放", "暂停", "无", "否")


def parse_window(value) -> tuple[str, str]:
    """``18:00-07:30`` / ``18:00至次日7:30`` / ``全天`` / ``24小时开放`` → ``("18:00", "07:30")``."""
    s = V.nfkc(str(value)).replace(" ", "")
    s = re.sub(r"(开放|共享|可停放|可停车|停放)$", "", s)
    if s in _ALL_DAY_WORDS or s in ("全天候", "24h", "全时段", "不限时"):
        return ALL_DAY
    parts = [p for p in _SPLIT.split(s) if p]
    if len(parts) != 2:
        raise V.Bad("不是开放时段（应为 18:00-07:30、18:00至次日7:30 或 全天）")
    opens, closes = parse_time(parts[0]), parse_time(parts[1])
    if closes == "24:00":
        closes = "23:59"
    return opens, closes


_WEEKDAY_WORDS = ("星期一至星期五", "星期一到星期五", "周一至周五", "周一到周五", "周一~周五", "周一-周五",
                  "周一至五", "工作日期间", "工作日", "平日", "平时", "上班日")
_WEEKEND_WORDS = ("法定节假日", "节假日", "节日", "假日", "双休日", "休息日", "公休日", "周末", "星期六、星期日",
                  "星期六至星期日", "星期六、日", "周六至周日", "周六、周日", "周六、日", "周六日", "周六周日",
                  "周六和周日", "周六", "周日")
_DAILY_WORDS = ("每天", "每日", "全周", "全年", "天天", "全天候")
_DAY_WORDS = sorted((*_WEEKDAY_WORDS, *_WEEKEND_WORDS, *_DAILY_WORDS), key=len, reverse=True)
_DAY_RE = re.compile("|".join(re.escape(w) for w in _DAY_WORDS))


def _side(words: list[str]) -> str | None:
    if any(w in _WEEKEND_WORDS for w in words):
        return "weekend" if not any(w in _WEEKDAY_WORDS for w in words) else "both"
    if any(w in _WEEKDAY_WORDS for w in words):
        return "weekday"
    if any(w in _DAILY_WORDS for w in words):
        return "both"
    return None


def parse_hours(value, *, night: tuple[str, str] = NIGHT, default: str = "both") -> dict:
    """Free-text opening hours → weekday and weekend/holiday windows.

    ``"工作日18:00-次日7:30，节假日全天"`` → weekday ``("18:00", "07:30")``, weekend ``("00:00", "23:59")``;
    ``"周一至周五19:00至次日7:00"`` → weekday only; ``"18:00-7:30"`` / ``"全天"`` → the same every day
    (``default="weekday"`` for a column that is the weekday's); ``"夜间"`` → ``night``;
    ``"节假日不开放"`` → weekend closed.

    Returns
    -------
    dict
        ``{"weekday": (opens, closes) | None, "weekend": (opens, closes) | None,
        "notes": [str]}``; a side the text does not speak of is absent from the dict.
    """
    s = re.sub(r"[()\[\]【】\n]", "，", V.nfkc(str(value)).replace(" ", ""))
    # Split before each day word too: "工作日18:00-7:30节假日全天" has no comma.
    s = _DAY_RE.sub(lambda m: "；" + m.group(0), s)
    segments = [p for p in re.split(r"[，,；;。/]|及|和|、(?=[^\d])", s) if p]
    out: dict = {"notes": []}
    pending: list[str] = []  # day words waiting for a window ("周六、周日全天": words then window)
    unspecified = []
    for seg in segments:
        words = _DAY_RE.findall(seg)
        rest = _DAY_RE.sub("", seg).strip("：:")
        if not rest:
            pending.extend(words)
            continue
        words = pending + words
        pending = []
        if rest in _NIGHT_WORDS:
            window = night
            out["notes"].append(f"“{rest}”按夜间 {night[0]}–{night[1]} 理解")
        elif rest in _CLOSED_WORDS:
            window = None
        else:
            window = parse_window(rest)
        side = _side(words)
        if side is None:
            unspecified.append(window)
            continue
        for key in (("weekday", "weekend") if side == "both" else (side,)):
            out[key] = window
    if unspecified:
        free = [k for k in ("weekday", "weekend") if k not in out]
        if default in ("weekday", "weekend") and len(free) == 2:
            free = [default]
        if len(free) == 2:
            out["notes"].append("未区分工作日和节假日，按每天相同处理")
        for key in free:
            out[key] = unspecified[0]
    if "weekday" not in out and "weekend" not in out:
        raise V.Bad("不是开放时段（如 工作日18:00-次日7:30，节假日全天；周一至周五19:00至次日7:00；全天）")
    return out


_kind = partial(V.choice, allowed=vocab.PARKING_OWNER_KINDS, what="单位类型",
                aliases={"机关单位": "机关", "党政机关": "机关", "行政机关": "机关", "事业": "事业单位",
                         "学校": "事业单位", "医院": "事业单位", "企业单位": "企业", "国有企业": "企业",
                         "商业": "商业配建", "商场": "商业配建", "商业停车场": "商业配建", "商业配建停车场": "商业配建",
                         "道路": "道路夜间临时泊位", "道路泊位": "道路夜间临时泊位", "夜间临时泊位": "道路夜间临时泊位",
                         "道路夜间泊位": "道路夜间临时泊位", "路侧泊位": "道路夜间临时泊位"})
_status = partial(V.choice, allowed=STATUSES, what="状态",
                  aliases={"正常": "可用", "开放": "可用", "启用": "可用", "审批中": "待审批", "报批中": "待审批",
                           "停用": "暂停", "关闭": "暂停"})


def _register_fields() -> None:
    if LEVEL in C.FIELDS:
        return

    def f(key, label, *aliases, parse=None):
        return C.Field(key, label, (label, *aliases), parse)

    C.LEVEL_LABELS[LEVEL] = "错时停车资源"
    C.FIELDS[LEVEL] = (
        f("name", "名称", "资源名称", "停车资源名称", "停车场名称", "停车场", "泊位名称", "单位名称", "共享单位",
          "共享单位名称", "资源单位", "提供单位", "单位", "停车点名称", "停车点", "路段名称", "name",
          parse=partial(V.text, max_len=100)),
        f("owner_kind", "单位类型", "产权单位类型", "资源类型", "权属类型", "类型", "类别", "kind",
          parse=_kind),
        f("capacity", "可共享车位", "可共享车位数", "共享车位", "共享车位数", "泊位数", "车位数", "车位",
          "可共享车位数量", "共享泊位数", "开放车位数", "可提供车位", "可提供车位数", "提供车位数", "错时共享车位",
          "错时停车位", "可共享泊位", "共享停车位", "停车位数", "capacity", parse=partial(V.integer, minimum=0)),
        f("hours", "开放时段", "共享时段", "开放时间", "错时开放时段", "错时开放时间", "开放时间段", "共享时间",
          "错时时段", "停车时段", "错时共享时段", "可停放时段", "使用时段", "共享开放时段", "hours",
          parse=partial(V.text, max_len=100)),
        f("weekday", "工作日开放时段", "工作日时段", "工作日开放时间", "工作日共享时段", "周一至周五开放时段",
          parse=partial(V.text, max_len=100)),
        f("weekday_opens", "工作日开始", "工作日开放", "开始时间", "驶入时间", "opens", parse=parse_time),
        f("weekday_closes", "工作日结束", "工作日截止", "结束时间", "驶离时间", "closes", parse=parse_time),
        f("weekend", "节假日开放时段", "节假日时段", "周末开放时段", "节假日开放时间", "周末时段",
          "双休日开放时段", "周末及节假日开放时段", "节假日及周末开放时段", parse=partial(V.text, max_len=100)),
        f("weekend_opens", "节假日开始", "周末开始", parse=parse_time),
        f("weekend_closes", "节假日结束", "周末结束", parse=parse_time),
        f("contact_person", "联系人", "负责人", "联系人姓名", parse=partial(V.text, max_len=20)),
        f("contact_phone", "联系电话", "电话", "手机", "手机号", "phone", parse=V.phone),
        f("contact", "联系方式", "contact", parse=partial(V.text, max_len=50)),
        f("status", "状态", "资源状态", "使用状态", "status", parse=_status),
        f("township", "所属镇街", "所属乡镇", "所属街道", "镇街", "乡镇", "街道", "township",
          parse=partial(V.text, max_len=50)),
    )


_register_fields()


class _ResourceJob(Job):
    """The shared import job with one change: road lines are valid resource geometries."""

    def validate_geometry(self, geom, *, polygonal: bool):
        """Points and polygons as for compounds; road lines kept as lines (length > 0)."""
        if geom is not None and not geom.is_empty and geom.geom_type in ("LineString", "MultiLineString"):
            geom = shapely.force_2d(geom)
            if not geom.is_valid or geom.length <= 0:
                return None, "线长度为零或无效", None
            return geom, None, None
        return G.validate(geom, polygonal=False)


def import_parking(engine, path, *, crs=None, encoding: str | None = None, dry_run: bool = False,
                   layer: str | None = None, filename: str | None = None, scope: Scope = COUNTY,
                   actor=None) -> ImportReport:
    """Import parking resources; validate everything, write all or nothing.

    Parameters
    ----------
    engine : sqlalchemy.Engine
    path : str, Path, bytes or file object
        .xlsx/.csv (with 经度/纬度, X/Y or WKT) or GeoJSON/shapefile/GeoPackage.
    crs, encoding, dry_run, layer, filename
        As for :func:`data.importers.import_compounds`.
    scope
        The importer's jurisdiction: a resource in another township is an error.
    actor
        Who imports: a signed-in Account needs ``edit_parking`` or ``import``; audited with the write.
    """
    permissions.authorize(actor, (permissions.EDIT_PARKING, permissions.IMPORT), scope)
    job = _ResourceJob(path, LEVEL, crs=crs, encoding=encoding, layer=layer, filename=filename, dry_run=dry_run,
                       actor=actor, scope=scope)
    if not job.read(required=("name", "owner_kind")):
        return job.report
    with Session(engine, autoflush=False) as session:
        job.load_extent(session)
        job.infer_columns(session, keys=("township", "lonlat"))
        rows = job.rows()
        if not job.geometries(rows, polygonal=False):
            session.rollback()
            return job.report
        _import(job, session, rows, scope)
        return job.finish(session)


def _night(session: Session) -> tuple[str, str]:
    """What '夜间' means: the setting parking_night_window (default 19:00–07:30)."""
    from data.schema import Setting

    row = session.get(Setting, "parking_night_window")
    value = row.value if row is not None else None
    return tuple(value) if isinstance(value, (list, tuple)) and len(value) == 2 else NIGHT


def _windows(job: Job, row: Row, night: tuple[str, str]) -> dict | None:
    """``{"weekday": (opens, closes) | None, "weekend": …, "text": …}`` from the row's hour columns:
    a free-text 开放时段 (both windows), 工作日/节假日 columns (text or a window), or start/end
    columns. A side absent from the dict is not given; None is closed. None on error."""
    v = row.values
    out: dict = {}
    texts = []
    if "hours" in v:
        try:
            parsed = parse_hours(v["hours"], night=night)
        except V.Bad as exc:
            job.error(row, "hours", str(exc))
            return None
        out.update({k: parsed[k] for k in ("weekday", "weekend") if k in parsed})
        for n in parsed["notes"]:
            job.note(row, "hours", n, value=v["hours"])
        texts.append(v["hours"])
    for side in ("weekday", "weekend"):
        other = "weekend" if side == "weekday" else "weekday"
        if side in v:
            try:
                parsed = parse_hours(v[side], night=night, default=side)
            except V.Bad as exc:
                job.error(row, side, str(exc))
                return None
            if side in parsed:
                out[side] = parsed[side]
            if other in parsed and other not in v and f"{other}_opens" not in v:
                out[other] = parsed[other]  # "工作日18:00-7:30，节假日全天" written in the weekday column
            for n in parsed["notes"]:
                job.note(row, side, n, value=v[side])
            texts.append(v[side] if _DAY_RE.search(str(v[side])) else
                         f"{'工作日' if side == 'weekday' else '节假日'}{v[side]}")
            continue
        opens, closes = v.get(f"{side}_opens"), v.get(f"{side}_closes")
        if (opens is None) != (closes is None):
            job.error(row, f"{side}_opens" if opens is None else f"{side}_closes", "开始和结束时间须同时填写",
                      value=None)
            return None
        if opens is not None:
            out[side] = (opens, "23:59" if closes == "24:00" else closes)
    if texts:
        out["text"] = "；".join(dict.fromkeys(str(x) for x in texts))[:100]
    return out


def _import(job: Job, session: Session, rows: list[Row], scope: Scope) -> None:
    from data.importers.places import township_names

    night = _night(session)
    # 所属镇街 within the importer's county or city: names are unique per county only (the
    # township fence comes below, with its own message)
    names = township_names(session, Scope(county=scope.county, city=scope.city))
    towns = names.pool()
    existing = {r.name: r for r in session.scalars(select(ParkingResource))}
    seen: dict[str, int] = {}
    plans = []
    for row in rows:
        if row.bad:
            continue
        for key in ("name", "owner_kind"):
            if key not in row.values:
                job.error(row, key, "为空", value=None)
        if row.bad:
            continue
        name = row.values["name"]
        if name in seen:
            job.error(row, "name", f"与第 {seen[name]} 行重复（名称用于识别停车资源）")
            continue
        seen[name] = row.number
        if row.geometry is None and name not in existing:
            job.error(row, job.geometry_key(), "新的停车资源须有位置（经纬度、坐标或几何图形）", value=None)
            continue
        township_id = None
        if "township" in row.values:
            found, why = names.resolve(row.values["township"])  # 卧龙山街道办事处 = 卧龙山街道
            township_id = None if found is None else found.id
            if township_id is None:
                job.error(row, "township", "数据库中没有该镇街" if why.startswith("不存在") else why)
                continue
        elif row.geometry is not None:
            township_id = next((t.id for t in towns if t.geometry is not None and t.geometry.intersects(row.geometry)),
                               None)
            if township_id is None:
                job.note(row, "township", "未能按位置确定所属镇街", value=name)
        elif name in existing:
            township_id = existing[name].township_id
        if scope != Scope() and not township_in_scope(session, scope, township_id, scope.community_id):
            job.error(row, "township" if "township" in row.values else "name", "该停车资源不在您的管辖范围内",
                      value=row.values.get("township", name))
            continue
        windows = _windows(job, row, night)
        if windows is None or row.bad:
            continue
        contact = row.values.get("contact") or " ".join(
            v for v in (row.values.get("contact_person"), row.values.get("contact_phone")) if v)
        plans.append((row, township_id, windows, contact or None))
    if job.report.errors:
        return
    unknown = 0
    for row, township_id, windows, contact in plans:
        v = row.values
        fields = {"owner_kind": v["owner_kind"], "township_id": township_id}
        if "capacity" in v:
            fields["capacity"] = v["capacity"]
        elif v["name"] not in existing:
            unknown += 1  # a new resource with a blank capacity: stored as 未填报, never 0
        if row.geometry is not None:
            fields["geometry"] = row.geometry
        for side in ("weekday", "weekend"):
            if side in windows:
                window = windows[side] or (None, None)  # None: closed that day
                fields.update({f"{side}_opens": window[0], f"{side}_closes": window[1]})
        if windows.get("text"):
            fields["hours_text"] = windows["text"]
        if contact:
            fields["contact"] = contact[:50]
        if "status" in v:
            fields["status"] = v["status"]
        obj = existing.get(v["name"])
        if obj is None:
            fields.setdefault("status", "可用")
            session.add(ParkingResource(name=v["name"], **fields))
            job.report.created += 1
            continue
        changed = {k: val for k, val in fields.items() if not _same(getattr(obj, k), val)}
        if not changed:
            job.report.unchanged += 1
            continue
        for k, val in changed.items():
            setattr(obj, k, val)
        job.report.updated += 1
    if unknown:
        job.report.note(f"{unknown} 处停车资源的可共享车位未填报：已按未填报存储，补填前不能纳入错时停车方案")


def _same(a, b) -> bool:
    if isinstance(a, BaseGeometry) or isinstance(b, BaseGeometry):
        return a is not None and b is not None and a.equals_exact(b, 1e-9)
    return a == b


def read_road_network(path, *, crs=None, encoding: str | None = None, filename: str | None = None,
                      layer: str | None = None, engine=None, actor=None) -> gpd.GeoSeries:
    """Lines of a road/footway file as a WGS-84 GeoSeries (for ``policy.parking.plan(network=...)``).

    Issue 13: a signed-in ``actor`` must be allowed to draft parking proposals
    (``edit_parking``); with ``engine`` the upload limits, ``road_max_segments``
    and the county outline (plus ``road_county_margin_km``) come from its
    settings and registers. Lines are split at crossings with a spatial index
    (``geo.lines.split_at_crossings``), the work bounded before it is done.

    Raises
    ------
    ValueError
        Unreadable file, no line geometries, too many segments, or lines outside the county (Chinese message).
    PermissionError
        ``actor`` may not draft parking proposals.
    """
    from geo.lines import segment_count, split_at_crossings

    if actor is not None:
        permissions.authorize(actor, permissions.EDIT_PARKING)
    settings_of = _road_settings(engine)
    try:
        if engine is not None:
            from data.importers.readers import upload_limits

            with upload_limits(engine):
                table = read_source(path, level=LEVEL, encoding=encoding, layer=layer, filename=filename)
        else:
            table = read_source(path, level=LEVEL, encoding=encoding, layer=layer, filename=filename)
    except SourceError as exc:
        raise ValueError(str(exc)) from None
    if not table.vector:
        raise ValueError("路网文件须为 GeoJSON、Shapefile 或 GeoPackage 线图层")
    lines = [g for g in table.geometries if g is not None and not g.is_empty
             and g.geom_type in ("LineString", "MultiLineString")]
    if not lines:
        raise ValueError("路网文件中没有线要素")
    max_segments = settings_of["road_max_segments"]
    if segment_count(lines) > max_segments:
        raise ValueError(f"路网线段过多（{segment_count(lines)} 段，上限 {max_segments} 段）：请裁剪到本镇街范围后再上传")
    coords = shapely.get_coordinates(lines)
    try:
        source, _label, _notes = G.choose_crs(crs, table.crs, table.crs_origin, coords[:, 0], coords[:, 1])
    except G.GeometryProblem as exc:
        raise ValueError(str(exc)) from None
    wgs84 = G.convert(lines, source)
    _inside_county(wgs84, engine, settings_of["road_county_margin_km"])
    # survey and OSM extracts often cross without a shared vertex: split every line where it meets
    # another, so the walking graph can turn at each crossing
    return gpd.GeoSeries(split_at_crossings(wgs84, max_segments=max_segments), crs="EPSG:4326")


def _road_settings(engine) -> dict:
    from data import settings

    keys = ("road_max_segments", "road_county_margin_km")
    if engine is None:
        return {k: settings.BY_KEY[k].default for k in keys}
    return {k: settings.get(engine, k) for k in keys}


def _inside_county(lines, engine, margin_km) -> None:
    """Refuse a network with any line outside the county outline grown by ``margin_km`` (no outline: China)."""
    from geo.projection import metric_crs

    bounds = shapely.total_bounds(lines)
    if not (73 <= bounds[0] and bounds[2] <= 136 and 3 <= bounds[1] and bounds[3] <= 54):
        raise ValueError("路网坐标不在中国境内（如 0°, 0°）：请检查坐标系后再上传")
    if engine is None:
        return
    from data import queries

    outline = queries.county(engine)
    if outline.empty or outline.geometry.iloc[0] is None:
        return
    area = gpd.GeoSeries([outline.geometry.iloc[0]], crs="EPSG:4326")
    crs = metric_crs(float(area.iloc[0].centroid.x))
    allowed = area.to_crs(crs).buffer(float(margin_km) * 1000).iloc[0]
    outside = ~gpd.GeoSeries(list(lines), crs="EPSG:4326").to_crs(crs).within(allowed)
    if outside.any():
        raise ValueError(f"路网有 {int(outside.sum())} 条线超出县界（容差 {margin_km} 公里）：拒绝上传")
