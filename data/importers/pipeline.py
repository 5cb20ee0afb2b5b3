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
        if self.cmap.unused:
            self.report.note("未使用的列：" + "、".join(self.cmap.unused))
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

    def rows(self) -> list[Row]:
        """Parse every mapped cell with its field's parser; bad cells become errors."""
        out = []
        parsers = {f.key: f for f in C.FIELDS[self.level] if f.key in self.cmap.columns}
        for number, record in zip(self.table.rows, self.table.records):
            row = Row(number, {k: record.get(h) for k, h in self.cmap.columns.items()})
            for key, f in parsers.items():
                value = row.raw.get(key)
                if V.is_blank(value):
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
        county = session.scalars(select(County).where(County.geometry.is_not(None))).first()
        if county is not None:
            self.extent = G.Extent(county.geometry, tolerance_m=self.tolerance_m, name=county.name or "本县")
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
        return next((k for k in ("wkt", "lon", "x") if k in cols), "geometry")

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

