"""The steps every import shares: read, map columns, parse cells, build geometries, finish.

An import is one :class:`Job`. All reads and writes happen in one session
(autoflush off) so the database is seen as it is at the start; the session
commits only when no error was found and this is not a dry run.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from sqlalchemy import select
from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.orm import Session

from data.importers import columns as C
from data.importers import geometry as G
from data.importers import values as V
from data.importers.readers import SourceError, SourceTable, read_source
from data.importers.report import ImportReport
from data.schema import County
from geo.detect import score_datums

__all__ = ["Row", "Job"]

_MISSING = object()


@dataclass
class Row:
    number: int  # as the user sees it
    raw: dict[str, Any]  # field key → cell value (mapped fields only)
    values: dict[str, Any] = field(default_factory=dict)  # parsed, blanks left out
    geometry: Any = None
    bad: bool = False


class Job:
    """One import of one file at one level; collects everything in ``report``."""

    def __init__(self, source, level: str, *, crs=None, encoding=None, layer=None, filename=None,
                 dry_run=False, tolerance_m: float = 1000.0, actor=None, scope=None):
        self.source, self.level = source, level
        self.actor, self.scope = actor, scope  # who imports: audited with the write, in its transaction
        # the places rows may name (issue 17): the given scope, else the importer's jurisdiction
        from data.importers.places import import_scope

        self.place_scope = scope if scope is not None else import_scope(actor)
        self.crs, self.encoding, self.layer, self.filename = crs, encoding, layer, filename
        self.tolerance_m = tolerance_m
        if isinstance(source, (str, os.PathLike)):
            name = filename or Path(source).name
        else:
            name = filename or Path(str(getattr(source, "name", "") or "")).name
        self.report = ImportReport(kind=C.LEVEL_LABELS[level], source=name, dry_run=dry_run)
        self.table: SourceTable | None = None
        self.cmap: C.ColumnMap | None = None
        self.extent: G.Extent | None = None

    # ----------------------------------------------------------------- messages
    def label(self, key: str) -> str:
        if key == "geometry":
            return "几何图形"
        return self.cmap.label(key, self.level) if self.cmap else key

    def error(self, row: Row | None, key: str, message: str, value=_MISSING) -> None:
        if row is not None:
            row.bad = True
            if value is _MISSING:
                value = row.raw.get(key)
        self.report.error(row.number if row else None, self.label(key) if key else "",
                          None if value is _MISSING else value, message)

    def note(self, row: Row | None, key: str, message: str, value=None) -> None:
        self.report.note(message, row=row.number if row else None, column=self.label(key) if key else "",
                         value=value)

    # ----------------------------------------------------------------- reading
    def read(self, *, required: tuple[str, ...] = ("name",)) -> bool:
        """Read and map the file; False (with errors) when it cannot be imported at all."""
        try:
            self.table = read_source(self.source, level=self.level, encoding=self.encoding, layer=self.layer,
                                     filename=self.filename)
        except SourceError as exc:
            self.report.error(None, "", None, str(exc))
            return False
        t = self.table
        self.report.source = self.report.source or t.name
        self.report.rows = len(t.records)
        self.report.encoding = t.encoding
        for n in t.notes:
            self.report.note(n)
        self.cmap = C.map_columns(t.headers, self.level, allow_prefix=t.fmt == "shapefile")
        for n in self.cmap.notes:
            self.report.note(n)
        self._columns_reported()
        if t.vector:
            self.report.note("行号按属性表计：表头为第 1 行，第 1 个要素为第 2 行")
        fields = {f.key: f for f in C.FIELDS[self.level]}
        for key in required:
            if key not in self.cmap.columns:
                aliases = "、".join(dict.fromkeys(fields[key].aliases[:6]))
                self.report.error(None, fields[key].label, None, f"缺少必需的列（可用列名：{aliases}）")
        if not t.records:
            self.report.error(None, "", None, "文件中没有数据行")
        return not self.report.errors

    def _columns_reported(self) -> None:
        self.report.unused_columns = list(self.cmap.unused)
        self.report.column_guesses = self.cmap.guesses(self.level)

    # ----------------------------------------------------------------- columns by content
    def infer_columns(self, session: Session, *, keys: tuple[str, ...] = ("community", "township", "lonlat")) -> None:
        """Give unused columns (a blank header '第5列', or a header nobody knows) a field by
        their content: names of stored communities or townships, or '经度,纬度' pairs.
        Only fields of this level that no column holds yet; each guess is reported."""
        from data.importers.places import Registry, match_place

        level_keys = {f.key for f in (*C.FIELDS[self.level], *C.GEOMETRY_FIELDS)}
        wanted = [k for k in keys if k in level_keys and k not in self.cmap.columns]
        if "lonlat" in wanted and ({"lon", "lat"} <= self.cmap.columns.keys() or "wkt" in self.cmap.columns
                                   or {"x", "y"} <= self.cmap.columns.keys() or self.table.vector):
            wanted.remove("lonlat")
        if not wanted or not self.cmap.unused:
            return
        reg = Registry(session, self.place_scope)
        pools = {"community": reg.communities, "township": reg.names.pool()}
        for header in list(self.cmap.unused):
            values = [r.get(header) for r in self.table.records]
            values = [v for v in values if not V.is_blank(v)][:200]
            if len(values) < 1:
                continue
            for key in wanted:
                if key == "lonlat":
                    ok = 0
                    for v in values:
                        try:
                            V.lonlat_pair(v)
                            ok += 1
                        except V.Bad:
                            pass
                else:
                    pool = pools[key]
                    if not pool:
                        continue
                    find = (reg.communities_named if key == "community"  # also '卧龙山街道北关社区'
                            else lambda text, pool=pool: match_place(text, pool))
                    ok = sum(1 for v in values if isinstance(v, str) and find(v.strip()))
                if ok >= max(1, 0.6 * len(values)):
                    self.cmap.columns[key] = header
                    self.cmap.how[key] = "按内容推断"
                    self.cmap.unused.remove(header)
                    wanted.remove(key)
                    break
        self._columns_reported()

    def rows(self) -> list[Row]:
        """Parse every mapped cell with its field's parser; bad cells become errors."""
        out = []
        parsers = {f.key: f for f in C.FIELDS[self.level] if f.key in self.cmap.columns}
        for number, record in zip(self.table.rows, self.table.records):
            row = Row(number, {k: record.get(h) for k, h in self.cmap.columns.items()})
            for key, f in parsers.items():
                value = row.raw.get(key)
                if V.is_unknown(value):  # blank, '/', '—', '不详': not reported, stays NULL
                    continue
                try:
                    if f.parse is None:
                        parsed = V.text(value, max_len=100)
                    elif key in self.cmap.scale:
                        parsed = f.parse(value, scale=self.cmap.scale[key])
                    else:
                        parsed = f.parse(value)
                except V.Bad as exc:
                    self.error(row, key, str(exc))
                    continue
                row.values[key] = parsed
            out.append(row)
        return out

    # ----------------------------------------------------------------- geometry
    def load_extent(self, session: Session) -> G.Extent:
        self.session = session
        # the counties the import may reach (issue 17): its county, its city's, else the deployment's
        scope = self.place_scope
        stmt = select(County).where(County.geometry.is_not(None)).order_by(County.adcode)
        if scope.county is not None:
            stmt = stmt.where(County.adcode == scope.county)
        elif scope.city is not None:
            stmt = stmt.where(County.city_adcode == scope.city)
        counties = list(session.scalars(stmt))
        if len(counties) == 1:
            county = counties[0]
            self.extent = G.Extent(county.geometry, tolerance_m=self.tolerance_m, name=county.name or "本县")
        elif counties:
            area = shapely.union_all([c.geometry for c in counties])
            self.extent = G.Extent(area, tolerance_m=self.tolerance_m, name="本系统各县（区、市）")
        else:
            self.extent = G.Extent(None)
            self.report.note("数据库中没有县域边界，只检查坐标是否在中国境内")
        return self.extent

    def _raw_geometries(self, rows: list[Row]) -> tuple[list, bool]:
        """Geometries as in the file (source CRS); ``(geoms, from x/y columns)``."""
        t, cols = self.table, self.cmap.columns
        if t.vector:
            return list(t.geometries), False
        geoms: list = [None] * len(rows)
        if "wkt" in cols:
            for i, row in enumerate(rows):
                value = row.raw.get("wkt")
                if V.is_blank(value):
                    continue
                text = str(value).strip()
                try:
                    geoms[i] = shapely.from_geojson(text) if text.startswith("{") else shapely.from_wkt(text)
                except shapely.errors.ShapelyError:
                    self.error(row, "wkt", "不是有效的 WKT 几何", value=text[:60])
            return geoms, False
        pair = next((p for p in (("lon", "lat"), ("x", "y")) if p[0] in cols and p[1] in cols), None)
        if pair is None and "lonlat" in cols:
            swapped = 0
            for i, row in enumerate(rows):
                value = row.raw.get("lonlat")
                if V.is_blank(value):
                    continue
                try:
                    lon, lat, flipped = V.lonlat_pair(value)
                except V.Bad as exc:
                    self.error(row, "lonlat", str(exc))
                    continue
                swapped += flipped
                geoms[i] = shapely.Point(lon, lat)
            if swapped:
                self.report.note(f"{self.label('lonlat')}列中 {swapped} 行为“纬度,经度”顺序，已按数值（经度 73–135，纬度 18–54）对调")
            return geoms, False
        if pair is None:
            return geoms, False
        for i, row in enumerate(rows):
            a, b = row.raw.get(pair[0]), row.raw.get(pair[1])
            if V.is_blank(a) and V.is_blank(b):
                continue
            if V.is_blank(a) or V.is_blank(b):
                missing = pair[0] if V.is_blank(a) else pair[1]
                self.error(row, missing, f"{self.label(pair[0])}和{self.label(pair[1])}须同时填写")
                continue
            try:
                xy = [V.coordinate(a), None]
                xy[1] = V.coordinate(b)
            except V.Bad as exc:
                self.error(row, pair[0] if xy[0] is None else pair[1], str(exc))
                continue
            geoms[i] = shapely.Point(*xy)
        return geoms, pair == ("x", "y")

    def geometry_key(self) -> str:
        """Field key to name in geometry messages: the WKT or coordinate column, else 几何图形."""
        cols = self.cmap.columns
        if self.table.vector:
            return "geometry"
        return next((k for k in ("wkt", "lon", "lonlat", "x") if k in cols), "geometry")

    def validate_geometry(self, geom, *, polygonal: bool):
        """``(fixed, problem, note)`` for one converted geometry; imports with other shapes override it."""
        return G.validate(geom, polygonal=polygonal)

    def geometries(self, rows: list[Row], *, polygonal: bool) -> bool:
        """Set ``row.geometry`` (WGS-84, validated, within the extent). False on a file-level CRS error."""
        raw, swappable = self._raw_geometries(rows)
        usable = [g for g in raw if g is not None and not g.is_empty]
        if not usable:
            return True
        coords = shapely.get_coordinates(usable)
        xs, ys = coords[:, 0], coords[:, 1]
        cm = None
        if self.extent is not None and self.extent.reference_lon is not None:
            from geo.projection import gk_central_meridian

            cm = gk_central_meridian(self.extent.reference_lon)
        try:
            try:
                source, label, notes = G.choose_crs(self.crs, self.table.crs, self.table.crs_origin, xs, ys,
                                                    central_meridian=cm)
            except G.GeometryProblem as exc:
                if not (swappable and "颠倒" in str(exc)):
                    raise
                source, label, notes = G.choose_crs(self.crs, None, None, ys, xs, central_meridian=cm)
                raw = [shapely.Point(g.y, g.x) if g is not None else None for g in raw]
                notes.insert(0, "X、Y 列按测量习惯（X 为北坐标、Y 为东坐标）对调")
            if (isinstance(source, str) and source == "wgs84" and G.parse_declared(self.crs) is None and self.table.crs is None):
                source, label, notes = self._offset_datum(rows, raw, notes)
        except G.GeometryProblem as exc:
            self.report.error(None, "坐标", None, str(exc))
            return False
        self.report.crs = label
        for n in notes:
            self.report.note(n)
        converted = G.convert(raw, source)
        key = self.geometry_key()
        for row, geom in zip(rows, converted):
            fixed, problem, note = self.validate_geometry(geom, polygonal=polygonal)
            if problem:
                self.error(row, key, problem, value=None)
                continue
            if note:
                self.note(row, key, note)
            if fixed is not None and self.extent is not None:
                where = self.extent.problem(fixed)
                if where:
                    shown = f"{fixed.x:.6f}, {fixed.y:.6f}" if fixed.geom_type == "Point" else None
                    self.error(row, key, where, value=shown)
                    continue
            row.geometry = fixed
        return True

    # ----------------------------------------------------------------- WGS-84, GCJ-02 or BD-09?
    def _header_hint(self) -> str | None:
        hints = {C.crs_hint(self.cmap.columns[k]) for k in ("lon", "lat", "lonlat") if k in self.cmap.columns}
        hints.discard(None)
        return hints.pop() if len(hints) == 1 else None

    def reference_areas(self, rows: list[Row]) -> tuple[list, str]:
        """Per row the WGS-84 polygon it says it lies in: its named community, else its named
        township, else the county outline; and which of these were used ('所属社区/镇街')."""
        from data.importers.places import Registry

        session = getattr(self, "session", None)
        areas: list = [None] * len(rows)
        used: list[str] = []
        if session is not None:
            reg = Registry(session, self.place_scope)
            compounds = self._named_compound_areas(session, rows)
            for i, row in enumerate(rows):
                if compounds.get(i) is not None:  # a work order naming its compound: the tightest test
                    areas[i] = compounds[i]
                    used.append("所属小区")
                    continue
                township = None
                text = row.values.get("township") if isinstance(row.values.get("township"), str) else None
                if text:
                    township = reg.township(text)
                ctext = row.values.get("community") if isinstance(row.values.get("community"), str) else None
                if ctext:
                    found = reg.communities_named(ctext, township)
                    if len(found) == 1 and found[0].geometry is not None and not found[0].geometry.is_empty:
                        areas[i] = found[0].geometry
                        used.append("所属社区")
                        continue
                    if len(found) == 1 and township is None:
                        township = reg.township_of(found[0])
                if township is not None and township.geometry is not None and not township.geometry.is_empty:
                    areas[i] = township.geometry
                    used.append("所属镇街")
        if self.extent is not None and self.extent.area is not None:
            for i in range(len(rows)):
                if areas[i] is None:
                    areas[i] = self.extent.area
                    used.append("县域边界")
        what = "/".join(k for k in ("所属小区", "所属社区", "所属镇街", "县域边界") if k in used)
        return areas, what

    def _named_compound_areas(self, session: Session, rows: list[Row]) -> dict:
        """Row index → area of the stored compound its 小区名称 names (rows that name one, e.g.
        work orders): the polygon grown by ~50 m, or ~150 m around a point."""
        if not any(isinstance(r.values.get("compound"), str) for r in rows):
            return {}
        from data.importers.places import place_key
        from data.schema import Compound

        by_name: dict[str, list] = {}
        for name, aliases, geom in session.execute(select(Compound.name, Compound.aliases, Compound.geometry)
                                                   .where(Compound.geometry.is_not(None))):
            for n in {name, *[a.strip() for a in (aliases or "").split("、") if a.strip()]}:
                by_name.setdefault(place_key(n), []).append(geom)
        out = {}
        for i, row in enumerate(rows):
            text = row.values.get("compound")
            found = by_name.get(place_key(text)) if isinstance(text, str) else None
            if found and len(found) == 1 and not found[0].is_empty:
                geom = found[0]
                out[i] = geom.buffer(0.0015 if geom.geom_type == "Point" else 0.0005)
        return out

    def _offset_datum(self, rows: list[Row], raw: list, notes: list[str]):
        """Undeclared degrees: WGS-84 (= CGCS2000), GCJ-02 or BD-09, whichever puts the most
        rows inside the place each row names (the county when none). Refuses when none wins clearly."""
        hint = self._header_hint()
        notes = [n for n in notes if "未指定坐标系" not in n]
        idx = [i for i, g in enumerate(raw) if g is not None and not g.is_empty]
        areas, what = self.reference_areas(rows)
        tested = [i for i in idx if areas[i] is not None]
        n = len(tested)
        if n == 0:
            if hint:
                return hint, f"{G.NAMED[hint]}（按列名推定）→ WGS-84", notes + [
                    f"未指定坐标系，按列名判断为 {G.NAMED[hint]}"]
            return "wgs84", "WGS-84（未指定，按经纬度推定）", notes + [
                "未指定坐标系，且没有可用于检验的社区、镇街或县域边界：按 WGS-84 处理"
                "（高德/腾讯坐标请指定 gcj02，百度坐标请指定 bd09）"]
        anchors = np.array([raw[i].coords[0][:2] if raw[i].geom_type == "Point"
                            else raw[i].representative_point().coords[0][:2] for i in tested], dtype=float)
        result = score_datums(anchors[:, 0], anchors[:, 1], [areas[i] for i in tested], hint=hint)
        figures = "，".join(f"{G.NAMED[k]} 命中 {result.hits[k]}/{n}" for k in result.order)
        self.report.crs_test = f"按{what}检验：{figures}"
        if result.chosen is None and result.undecided_all_inside:
            return "wgs84", "WGS-84（未指定，位置检验无法区分，按国家标准 CGCS2000/WGS-84）", notes + [
                f"未指定坐标系：按{what}检验，{figures}，各坐标系都落在所填范围内、无法区分；"
                "按 WGS-84（CGCS2000）处理。如为高德/腾讯坐标请指定 gcj02，百度坐标请指定 bd09"]
        if result.chosen is None:
            raise G.GeometryProblem(
                f"无法判断坐标是 WGS-84、GCJ-02（高德）还是 BD-09（百度）：按{what}检验，{figures}，"
                "差别不明显。请用 --crs 指定坐标系（wgs84、gcj02 或 bd09）")
        chosen = result.chosen
        how = "按列名，位置检验一致" if result.by_hint else "按位置检验推定"
        if hint and not result.by_hint:
            notes.append(f"列名提示坐标系为 {G.NAMED[hint]}，但位置检验 {G.NAMED[chosen]} 明显更符合，按 {G.NAMED[chosen]} 处理")
        notes.append(f"未指定坐标系：按{what}检验，{figures}；采用 {G.NAMED[chosen]}")
        return chosen, f"{G.NAMED[chosen]}（未指定，{how}）→ WGS-84", notes

    # ----------------------------------------------------------------- finishing
    def flush(self, session: Session) -> bool:
        """Flush pending writes (still inside the transaction); False with an error if the database refuses."""
        try:
            session.flush()
        except (IntegrityError, DataError) as exc:
            session.rollback()
            self.report.error(None, "", None, f"写入数据库失败：{getattr(exc, 'orig', exc)}")
            return False
        return True

    def finish(self, session: Session) -> ImportReport:
        """Commit when clean and not a dry run; otherwise roll everything back."""
        report = self.report
        if report.errors:
            session.rollback()
            # File-level problems first, then by row; a row's errors keep the order they were found in.
            report.errors.sort(key=lambda i: -1 if i.row is None else i.row)
            return report
        if not self.flush(session):
            return report
        if report.dry_run:
            session.rollback()
        else:
            if self.actor is not None:
                from data import audit

                audit.record(session, self.actor, "import", report.source or report.kind, self.scope,
                             kind=report.kind, rows=report.rows, created=report.created, updated=report.updated)
            session.commit()
            report.written = True
        return report

