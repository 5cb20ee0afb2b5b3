"""12345 complaint import (12345 诉求工单): one row per work order, upserted by 工单编号.

Formats: Excel .xlsx, CSV (UTF-8, UTF-8 with BOM, GBK/GB18030, detected on the
whole file by the shared readers) and Open311 GeoReport v2 JSON or XML
(:mod:`data.importers.open311`). Headers as hotline exports word them
(工单编号, 来电时间/受理时间, 诉求类型/诉求分类, 诉求内容, 诉求详细地址/事件发生地,
经度, 纬度, 所属区域, 承办单位, 办理状态, 办结时间, 满意度/回访结果, 来电人,
联系电话) or their Open311 names; ``columns=`` maps any other header.

Every row is validated before anything is written; a file with any invalid
row writes nothing and returns the row-by-row report. Otherwise, in one
transaction:

* coordinates go to WGS-84 (declared ``crs`` or detected, as for compounds);
* the compound (物业项目): every order goes through three stages until one
  matches (``data.importers.matching``): the polygon covering its point (坐标; on
  a shared edge the smaller id wins), the nearest compound stored as a point
  within ``match_nearest_m`` (邻近), the name, alias (stored or learned) or
  address in 小区名称, 事发地址 or 诉求内容 (地址; normalised, fuzzy at or above
  ``match_name_threshold``; a tie is left unmatched). Method and confidence are
  stored; an exact 小区名称 naming another compound than the point outweighs the
  point (with a note). Otherwise 未匹配 — kept and shown in the unmatched queue
  with its best candidates, never dropped. On PostgreSQL the point stages (and the
  community and township covering each point) run in PostGIS, one statement for the
  whole file (``data.spatial.match_points``); on SQLite in Python; same answers;
* 12345 category names map to the product's categories (table ``category_map``);
  an unknown one is kept as written and listed in the report;
* the department is the file's 承办单位 when given (several units → the
  township joint meeting), else routed from the category by the duty matrix
  (``policy.duties.route``, ``data.queries.duties.duty_matrix``), with
  "no property company" taken from the compound's management mode;
* work orders already stored are updated field by field (a blank cell never
  changes a stored value, a masked name or phone such as 张* / 138****1234
  from an export is ignored), new ones inserted.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import date, datetime, timedelta, timezone
from functools import partial
from pathlib import Path

import geopandas as gpd
import pandas as pd
from sqlalchemy import null, select
from sqlalchemy.orm import Session

from data import permissions, settings, spatial, vocab
from data.importers import columns as C
from data.importers import matching as M
from data.importers import values as V
from data.importers.pipeline import Job, Row
from data.importers import places as places_mod
from data.importers.places import apply_values
from data.importers.readers import SourceError
from data.importers.report import ImportReport
from data.queries.duties import category_map, duty_matrix
from data.aggregates import month_of, refresh_months
from data.bulk import insert_rows
from data.schema import Community, Complaint, Compound, CompoundAlias, Township
from data.scope import Scope
from geo.assign import assign_points
from policy import duties as D

__all__ = ["import_complaints", "LEVEL", "parse_datetime", "parse_status", "CHINA_TZ"]

LEVEL = "complaints"
CHINA_TZ = timezone(timedelta(hours=8))
Progress = Callable[[int, int, str], None]

_DT = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]+(\d{1,2}):(\d{1,2})(?::(\d{1,2})(?:\.(\d{1,6})\d*)?)?)?"
                 r"\s*(Z|[+-]\d{2}:?\d{2})?$")


def parse_datetime(value) -> datetime:
    """A time as Beijing local time without tzinfo: Excel datetimes, ``2026-03-05 14:22``,
    ``2026/3/5 14:22:10``, ``2026年3月5日 14时22分``, ISO 8601 with an offset (converted to +08:00)."""
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    if isinstance(value, datetime):
        out = value
    elif isinstance(value, date):
        out = datetime(value.year, value.month, value.day)
    elif isinstance(value, str):
        s = value.strip().replace("/", "-").replace(".", "-", 2) if "年" not in value else value.strip()
        s = (s.replace("年", "-").replace("月", "-").replace("日", " ").replace("时", ":")
             .replace("分", ":").replace("秒", "").replace("点", ":"))
        s = re.sub(r"\s+", " ", s).strip().rstrip(":")
        m = _DT.match(s)
        if not m:
            raise V.Bad("不是日期时间（如 2026-03-05 14:22）")
        y, mo, d, h, mi, sec, frac, tz = m.groups()
        try:
            out = datetime(int(y), int(mo), int(d), int(h or 0), int(mi or 0), int(sec or 0),
                           int((frac or "0").ljust(6, "0")))
        except ValueError:
            raise V.Bad("不是有效的日期时间") from None
        if tz:
            offset = timezone.utc if tz == "Z" else timezone(
                (1 if tz[0] == "+" else -1) * timedelta(hours=int(tz[1:3]), minutes=int(tz[-2:])))
            out = out.replace(tzinfo=offset)
    else:
        raise V.Bad("不是日期时间（如 2026-03-05 14:22）")
    if out.tzinfo is not None:
        out = out.astimezone(CHINA_TZ).replace(tzinfo=None)
    if not 2000 <= out.year <= datetime.now().year + 1:
        raise V.Bad("年份不在有效范围内")
    return out.replace(microsecond=0)


_STATUS = {"办理中": "办理中", "处理中": "办理中", "待办理": "办理中", "待处理": "办理中", "已受理": "办理中",
           "受理": "办理中", "已派单": "办理中", "在办": "办理中", "未办结": "办理中", "open": "办理中",
           "已办结": "已办结", "办结": "已办结", "已完成": "已办结", "完成": "已办结", "已处理": "已办结",
           "已回访": "已办结", "已归档": "已办结", "closed": "已办结",
           "退回": "退回", "已退回": "退回", "退单": "退回", "驳回": "退回"}
_SATISFACTION = {"非常满意": "满意", "很满意": "满意", "一般": "基本满意", "比较满意": "基本满意",
                 "很不满意": "不满意", "非常不满意": "不满意"}


def parse_status(value) -> str:
    """办理状态 → one of ``vocab.COMPLAINT_STATUSES`` (Open311 open/closed accepted)."""
    s = re.sub(r"\s", "", V.text(value)).lower()
    if s in _STATUS:
        return _STATUS[s]
    raise V.Bad(f"不是允许的办理状态（可选：{'、'.join(vocab.COMPLAINT_STATUSES)}）")


def _category(value) -> str:
    """诉求类型; a path such as 城乡建设-物业管理-停车管理 keeps its last known part."""
    s = V.text(value, max_len=100)
    parts = [p for p in re.split(r"[-－—>＞/／|｜\\]+", s) if p.strip()]
    known = D.DEFAULT_DUTIES
    for part in reversed(parts):
        if part.strip() in known:
            return part.strip()
    last = parts[-1].strip() if parts else s
    if len(last) > 30:
        raise V.Bad("超过 30 个字符")
    return last


def _order_no(value) -> str:
    """工单编号 as text; a long number Excel stored as a float has lost digits and is refused."""
    if isinstance(value, float) and abs(value) >= 1e15:
        raise V.Bad("以数值形式保存且超过 15 位，Excel 已丢失末位数字：请将该列设为文本后重新导出")
    return V.code(value, max_len=40)


def _person(value, *, parse) -> str:
    s = V.text(value)
    if "*" in s or "＊" in s:
        raise _Masked()
    return parse(s)


_MASKED_MESSAGE = "脱敏值"


class _Masked(V.Bad):
    """A value that was masked by an export: ignored, never stored over the real one."""

    def __init__(self):
        super().__init__(_MASKED_MESSAGE)


def _register_fields() -> None:
    """Teach the shared readers this import's headers (header-row search and column mapping)."""
    if LEVEL in C.FIELDS:
        return

    def f(key, label, *aliases, parse):
        return C.Field(key, label, (label, *aliases), parse)

    text = partial(V.text, max_len=200)
    C.LEVEL_LABELS[LEVEL] = "12345 诉求"
    C.FIELDS[LEVEL] = (
        f("order_no", "工单编号", "工单号", "工单流水号", "受理编号", "诉求编号", "工单编码", "编号",
          "service_request_id", "order_no", parse=_order_no),
        f("received_at", "受理时间", "来电时间", "登记时间", "诉求时间", "创建时间", "工单创建时间", "提交时间",
          "requested_datetime", "received_at", parse=parse_datetime),
        f("category", "诉求类型", "诉求分类", "诉求类别", "问题分类", "问题类型", "事项分类", "分类", "类别",
          "service_name", "category", parse=_category),
        f("content", "诉求内容", "问题描述", "来电内容", "工单内容", "诉求描述", "内容", "description",
          "content", parse=partial(V.text, max_len=5000)),
        f("address", "诉求详细地址", "事件发生地", "事发地址", "事发地点", "发生地址", "详细地址", "地址",
          "address", parse=text),
        f("compound", "小区名称", "所属小区", "小区", "物业项目", "项目名称", parse=partial(V.text, max_len=100)),
        f("township", "所属区域", "所属镇街", "区域", "镇街", "乡镇", "街道", "township",
          parse=partial(V.text, max_len=50)),
        f("department", "承办单位", "办理单位", "责任单位", "处置单位", "承办部门", "agency_responsible",
          "department", parse=partial(V.text, max_len=200)),
        f("status", "办理状态", "工单状态", "处理状态", "状态", "status", parse=parse_status),
        f("status_notes", "办理说明", "办理情况", "处理意见", "办理意见", "答复内容", "status_notes",
          parse=partial(V.text, max_len=2000)),
        f("closed_at", "办结时间", "完成时间", "办理完成时间", "结案时间", "closed_datetime", "closed_at",
          parse=parse_datetime),
        f("satisfaction", "满意度", "回访结果", "回访满意度", "评价结果", "satisfaction",
          parse=partial(V.choice, allowed=vocab.SATISFACTION, aliases=_SATISFACTION, what="满意度")),
        f("complainant_name", "来电人", "来电人姓名", "诉求人", "反映人", "联系人", "姓名", "complainant_name",
          parse=partial(_person, parse=partial(V.text, max_len=30))),
        f("complainant_phone", "联系电话", "来电号码", "来电电话", "电话", "手机", "手机号", "联系方式",
          "complainant_phone", parse=partial(_person, parse=V.phone)),
    )


_register_fields()

# --------------------------------------------------------------------------- the job


class _ComplaintJob(Job):
    """A :class:`Job` that also reads Open311 JSON and maps extra headers the caller names."""

    def __init__(self, source, *, columns: Mapping[str, str] | None = None, filename=None, **kw):
        if hasattr(source, "read"):  # read an upload once: both readers may look at it
            filename = filename or Path(str(getattr(source, "name", "") or "upload")).name
            source = source.read()
        super().__init__(source, LEVEL, filename=filename, **kw)
        self.extra_columns = dict(columns or {})
        self.masked: dict[str, int] = {}

    def read(self, *, required=("order_no", "received_at", "category")) -> bool:
        from data.importers import open311

        name = self.filename or str(getattr(self.source, "name", "") or self.source)
        try:
            table = open311.read_if_open311(self.source, filename=self.filename)
        except SourceError as exc:
            self.report.error(None, "", None, str(exc))
            return False
        if table is None:
            ok = super().read(required=())
            if not ok:
                return False
        else:
            self.table = table
            self.report.rows, self.report.encoding = len(table.records), table.encoding
            self.report.source = self.report.source or name
            self.cmap = C.map_columns(table.headers, LEVEL)
        self._apply_extra_columns()
        fields = {f.key: f for f in C.FIELDS[LEVEL]}
        for key in required:
            if key not in self.cmap.columns:
                aliases = "、".join(fields[key].aliases[:6])
                self.report.error(None, fields[key].label, None, f"缺少必需的列（可用列名：{aliases}）")
        return not self.report.errors

    def _apply_extra_columns(self) -> None:
        keys = {f.key for f in C.FIELDS[LEVEL]} | {f.key for f in C.GEOMETRY_FIELDS}
        for header, key in self.extra_columns.items():
            if key not in keys:
                self.report.error(None, header, None, f"列映射的目标字段“{key}”不存在")
            elif header not in self.table.headers:
                self.report.error(None, header, None, "列映射中的列在文件中不存在")
            else:
                if header in self.cmap.unused:
                    self.cmap.unused.remove(header)
                self.cmap.columns[key] = header

    def error(self, row, key, message, value=...):  # masked values are notes, not errors
        if message == _MASKED_MESSAGE and row is not None:
            self.masked[self.label(key)] = self.masked.get(self.label(key), 0) + 1
            return
        if value is ...:
            return super().error(row, key, message)
        return super().error(row, key, message, value=value)


def import_complaints(engine, path, *, crs: str | None = None, encoding: str | None = None,
                      dry_run: bool = False, filename: str | None = None,
                      columns: Mapping[str, str] | None = None, tolerance_m: float = 1000.0,
                      progress: Progress | None = None, actor=None, spatial_sql: bool | None = None,
                      county: str | None = None) -> ImportReport:
    """Import 12345 work orders from a file; validate everything, write all or nothing.

    Parameters
    ----------
    engine : sqlalchemy.Engine
    path : str, Path, bytes or file object
        .xlsx, .csv/.txt or Open311 GeoReport v2 .json.
    crs : str, optional
        Source CRS of 经度/纬度 ('wgs84', 'cgcs2000', 'gcj02', 'bd09'); detected when None.
    encoding : str, optional
        CSV text encoding; detected on the whole file when None.
    dry_run : bool
        Validate and report only.
    filename : str, optional
        The upload's name (for the format and the report).
    columns : mapping, optional
        Extra header → field key mapping for headers the aliases do not know,
        e.g. ``{"反映时间": "received_at"}``.
    progress : callable, optional
        ``progress(done, total, message)`` between phases.
    actor : Account or str, optional
        Who imports: a signed-in Account needs ``import``; the import is audited with its write.
    spatial_sql : bool, optional
        Where points meet polygons (stages 坐标 and 邻近, community and township): None (default)
        in PostGIS on PostgreSQL (``data.spatial.match_points``, one statement for the file) and in
        Python on SQLite; False forces Python (comparisons, benchmarks). Same answers either way.
    county : str, optional
        6-digit adcode: 所属镇街 names mean that county's townships (a deployment of several
        counties; a county user's own county is the default).

    Returns
    -------
    ImportReport
        ``related`` counts 按坐标匹配, 按邻近点位匹配, 按名称或地址匹配, 未匹配, 未知诉求类别,
        诉求类别按对照表转换 and 按职责分工确定承办单位.
    """
    steps = ("读取文件", "校验", "匹配小区与承办单位", "写入")

    def step(k: int) -> None:
        if progress is not None:
            progress(k, len(steps), steps[k] if k < len(steps) else "完成")

    permissions.authorize(actor, permissions.IMPORT)
    step(0)
    job = _ComplaintJob(path, columns=columns, crs=crs, encoding=encoding, filename=filename,
                        dry_run=dry_run, tolerance_m=tolerance_m, actor=actor,
                        scope=places_mod.import_scope(actor, county) if county else None)
    if not job.read():
        return job.report
    with Session(engine, autoflush=False) as session:
        step(1)
        job.load_extent(session)
        rows = job.rows()
        for label, n in job.masked.items():
            job.report.note(f"{label}：{n} 个为脱敏值（含 *），已忽略，不覆盖已存信息")
        job.geometries(rows, polygonal=False)
        _validate(job, rows)
        if not job.report.errors:
            step(2)
            plans = _plan(job, session, rows, spatial_sql=spatial_sql)
            if not job.report.errors:
                step(3)
                _write(job, session, plans)
        report = job.finish(session)
    step(len(steps))
    return report


def _validate(job: _ComplaintJob, rows: list[Row]) -> None:
    seen: dict[str, int] = {}
    for row in rows:
        for key in ("order_no", "received_at", "category"):
            if key not in row.values and V.is_blank(row.raw.get(key)):
                job.error(row, key, "为空", value=None)
        no = row.values.get("order_no")
        if no is not None:
            if no in seen:
                job.error(row, "order_no", f"与第 {seen[no]} 行重复")
            else:
                seen[no] = row.number
        got, closed = row.values.get("received_at"), row.values.get("closed_at")
        if got is not None and closed is not None and closed < got:
            job.error(row, "closed_at", "办结时间早于受理时间", value=closed.strftime("%Y-%m-%d %H:%M"))


# --------------------------------------------------------------------------- matching


class _Places:
    """Compounds, communities and townships of the database, for matching rows."""

    def __init__(self, session: Session, *, spatial_sql: bool | None = None, scope: Scope | None = None):
        engine = session.get_bind()
        self.session = session
        self.names = places_mod.township_names(session, scope)  # 所属镇街 as written: names are per county
        # in PostGIS the points meet the polygons in SQL: no geometry needs to come to Python
        self.sql = spatial.in_database(engine, spatial_sql)
        geometry = null().label("geometry") if self.sql else Compound.geometry
        cols = (Compound.id, Compound.name, Compound.aliases, Compound.address, Compound.township_id,
                Compound.community_id, Compound.management_mode, Compound.company_id, geometry)
        rows = session.execute(select(*cols).order_by(Compound.id)).all()
        self.compounds = {r.id: r for r in rows}
        comm_geometry = null().label("geometry") if self.sql else Community.geometry
        comms = session.execute(select(Community.id, Community.township_id, comm_geometry)
                                .where(Community.geometry.is_not(None)).order_by(Community.id)).all()
        self.community_township = {c.id: c.township_id for c in comms}
        town_geometry = null().label("geometry") if self.sql else Township.geometry
        towns = session.execute(select(Township.id, Township.name, town_geometry).order_by(Township.id)).all()
        self.township_names = {t.id: t.name for t in towns}
        if not self.sql:
            self.community_polys = gpd.GeoDataFrame({"id": [c.id for c in comms]},
                                                    geometry=[c.geometry for c in comms], crs="EPSG:4326")
            tpolys = [t for t in towns if t.geometry is not None]
            self.township_polys = gpd.GeoDataFrame({"id": [t.id for t in tpolys]},
                                                   geometry=[t.geometry for t in tpolys], crs="EPSG:4326")
        aliases = [(r.id, a) for r in rows for a in re.split(r"[、,，;；/\s]+", r.aliases or "") if a.strip()]
        aliases += [tuple(a) for a in session.execute(select(CompoundAlias.compound_id, CompoundAlias.alias))]
        county = settings.get(engine, "county_name")
        self.nearest_m = float(settings.get(engine, "match_nearest_m"))
        self.matcher = M.CompoundMatcher(
            rows, aliases=aliases, prefixes=[county, *self.township_names.values()],
            nearest_m=self.nearest_m,
            threshold=float(settings.get(engine, "match_name_threshold")))

    def by_point(self, lon: list[float], lat: list[float]) -> tuple[list, list, list]:
        """(stage 1–2 Match, community id, township id) per point."""
        if self.sql:
            got = spatial.match_points(self.session, lon, lat, nearest_m=self.nearest_m)
            return ([M.Match(g.compound_id, g.method, g.confidence, note=g.note) if g.compound_id is not None
                     else M.Match() for g in got],
                    [g.community_id for g in got], [g.township_id for g in got])

        def ids(frame):
            if frame.empty or not lon:
                return [None] * len(lon)
            return [None if pd.isna(v) else int(v) for v in assign_points(lon, lat, frame, "id")]
        return self.matcher.by_points(lon, lat), ids(self.community_polys), ids(self.township_polys)

    def township_named(self, text: str) -> tuple[int | None, str | None]:
        """``(township id, None)`` for the 所属镇街 a row names (within the import's scope), else
        ``(None, why)``: why is the counties sharing the name, or None when nothing fits."""
        found = self.names.find(text)
        if not found:  # '金乡县金乡街道办事处' and the like: a stored name inside the text
            key = re.sub(r"\s", "", text)
            found = [t for t in self.names.pool() if t.name in key]
        if len(found) == 1:
            return found[0].id, None
        if len({t.county_adcode for t in found}) > 1:
            return None, self.names.ambiguous(text, found)
        return None, None


def _departments(text: str) -> list[str]:
    return list(dict.fromkeys(p.strip() for p in re.split(r"[、,，;；/／]+", text) if p.strip()))


_METHOD_LABELS = {M.POLYGON: "按坐标匹配", M.NEAREST: "按邻近点位匹配", M.NAME: "按名称或地址匹配"}


def _plan(job: _ComplaintJob, session: Session, rows: list[Row], *,
          spatial_sql: bool | None = None) -> list[tuple[Row, dict]]:
    """Per row the values to store (assignment and routing decided).

    Every order goes through all three matching stages (polygon, nearest point,
    name/alias/address) until one matches: coordinates that fall in no compound
    do not stop the name in 小区名称, 事发地址 or 诉求内容 from being read.
    """
    places = _Places(session, spatial_sql=spatial_sql, scope=job.place_scope)
    matrix = duty_matrix(session.get_bind())
    _map_categories(job, session, rows, matrix)
    pts = [r for r in rows if r.geometry is not None]
    pt_ids = dict(zip(map(id, pts), zip(*places.by_point([r.geometry.x for r in pts],
                                                            [r.geometry.y for r in pts])))) if pts else {}
    plans = []
    for row in rows:
        v = row.values
        values = {k: v[k] for k in ("order_no", "received_at", "category", "content", "address", "status",
                                    "status_notes", "closed_at", "satisfaction", "complainant_name",
                                    "complainant_phone")
                  if k in v}
        if "compound" in v:
            values["compound_name"] = v["compound"]
        given_town, why = places.township_named(v["township"]) if "township" in v else (None, None)
        if "township" in v and given_town is None:
            job.note(row, "township", (why + "；" if why else "不是本县镇街，") + "按坐标或小区确定")
        community = town = None
        match = M.Match()
        if row.geometry is not None:
            match, community, town = pt_ids[id(row)]
            values["lon"], values["lat"] = round(row.geometry.x, 7), round(row.geometry.y, 7)
        texts = [v.get("compound"), v.get("address"), v.get("content")]
        if match.compound_id is not None and v.get("compound"):
            match = _prefer_named(job, row, places, match, v["compound"], given_town)
        if match.compound_id is None and any(texts):
            match = places.matcher.by_text(texts, given_town if given_town is not None else town)
            if match.compound_id is None and match.candidates:
                best = "、".join(f"{c.name}（{c.score:.0f} 分）" for c in match.candidates)
                job.note(row, "compound", (match.note + "；" if match.note else "") + f"候选：{best}")
        compound = match.compound_id
        if compound is not None:
            c = places.compounds[compound]
            community, town = c.community_id, c.township_id
            if given_town is not None and given_town != town:
                job.note(row, "township", f"与所匹配小区“{c.name}”所在镇街不一致，以小区为准")
        elif community is not None:
            town = places.community_township.get(community, town)
        town = town if town is not None else given_town
        assigned = row.geometry is not None or compound is not None or any(texts)
        if assigned:
            values.update(compound_id=compound, community_id=community, township_id=town,
                          match_method=match.method, match_confidence=match.confidence)
        elif town is not None:
            values["township_id"] = town
        values["department"] = _department(job, row, places, matrix, compound, town)
        plans.append((row, values))
    return plans


def _prefer_named(job: _ComplaintJob, row: Row, places: _Places, match: M.Match, named: str,
                  township_id: int | None) -> M.Match:
    """The point found compound A, the 小区名称 column names B exactly: B wins, with a note.

    A dedicated 小区名称 typed by the operator is firmer evidence than a point that may carry an
    undeclared datum (GCJ-02 is ~500 m off) or the caller's own position."""
    by_name = places.matcher.by_text([named], township_id)
    if by_name.compound_id is None or by_name.compound_id == match.compound_id or (by_name.confidence or 0) < 0.95:
        return match
    a, b = places.compounds[match.compound_id].name, places.compounds[by_name.compound_id].name
    job.note(row, "compound", f"坐标位于“{a}”，小区名称为“{b}”：按小区名称匹配")
    job.report.count("坐标与小区名称不一致")
    return by_name


def _map_categories(job: _ComplaintJob, session: Session, rows: list[Row], matrix: Mapping[str, str]) -> None:
    """12345 category names → the product's categories (table ``category_map``, editable beside the duty
    matrix). A category neither known nor mapped is kept as written and reported, with its count."""
    table = category_map(session.get_bind())
    unknown: dict[str, int] = {}
    for row in rows:
        got = row.values.get("category")
        if got is None:
            continue
        raw = V.text(row.raw.get("category")) if not V.is_blank(row.raw.get("category")) else got
        parts = [p.strip() for p in re.split(r"[-－—>＞/／|｜\\]+", raw) if p.strip()] or [got]
        for part in [got, *reversed(parts)]:
            if part in matrix:
                row.values["category"] = part
                break
            if part in table:
                row.values["category"] = table[part]
                job.report.count("诉求类别按对照表转换")
                break
        else:
            unknown[got] = unknown.get(got, 0) + 1
    for name, n in sorted(unknown.items(), key=lambda kv: -kv[1]):
        job.report.note(f"未知诉求类别“{name}”（{n} 条）：不在职责分工和类别对照表中，按原文保存、"
                        "由属地镇街承办；请在“诉求分析 · 职责分工”的类别对照表中指定对应类别")
    if unknown:
        job.report.count("未知诉求类别", sum(unknown.values()))


def _department(job, row: Row, places: _Places, matrix, compound: int | None, town: int | None) -> str | None:
    v = row.values
    named = _departments(v["department"]) if "department" in v else []
    if len(named) == 1:
        if len(named[0]) > 50:
            job.error(row, "department", "超过 50 个字符")
        return named[0]
    c = places.compounds.get(compound) if compound is not None else None
    has_company = c is None or (c.company_id is not None and c.management_mode != vocab.NO_PROPERTY_SERVICE)
    routing = D.route(v.get("category", ""), duties=matrix, has_company=has_company, departments=named)
    if not named:
        job.report.count("按职责分工确定承办单位")
    department = routing.department
    if department == D.TOWNSHIP and town is not None:
        department = places.township_names.get(town, department)  # the township itself handles it
    return department


# --------------------------------------------------------------------------- writing


def _write(job: _ComplaintJob, session: Session, plans: list[tuple[Row, dict]]) -> None:
    numbers = [values["order_no"] for _, values in plans]
    stored: dict[str, Complaint] = {}
    for i in range(0, len(numbers), 500):
        chunk = numbers[i:i + 500]
        stored.update({c.order_no: c for c in session.scalars(select(Complaint).where(Complaint.order_no.in_(chunk)))})
    new = []
    labels = _METHOD_LABELS
    touched = set()  # months whose aggregates change: every order's month, and an old one it moved from
    for row, values in plans:
        obj = stored.get(values["order_no"])
        touched.add(month_of(values.get("received_at")))
        if obj is not None:
            touched.add(month_of(obj.received_at))
        if obj is None:
            values.setdefault("status", "办理中")
            values.setdefault("match_method", "未匹配")
            job.report.count(labels.get(values["match_method"], "未匹配"))
            new.append(values)
            continue
        job.report.count(labels.get(values.get("match_method", obj.match_method), "未匹配"))
        if obj.department is not None and "department" not in row.values:
            values.pop("department")  # keep a stored (possibly hand-edited) unit
        if apply_values(obj, values):
            job.report.updated += 1
        else:
            job.report.unchanged += 1
    keys = [c.key for c in Complaint.__table__.columns if c.key != "id"]
    # every column named (None where the order has no value), status and method always set
    insert_rows(session.connection(), Complaint, keys, ([values.get(k) for k in keys] for values in new))
    job.report.created += len(new)
    refresh_months(session, touched)  # same transaction: the figures change with the orders
    un = job.report.related.get("未匹配", 0)
    if un:
        job.report.note(f"{un} 条诉求未能匹配到小区，已保存并列入“未匹配”队列")
