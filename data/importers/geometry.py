"""Geometries of imported rows: build, choose the source CRS, convert to WGS-84, validate.

CRS rules, in order:

1. A declared CRS (``crs=``) wins: 'wgs84', 'cgcs2000', 'gcj02', 'bd09' or an
   EPSG code. GCJ-02 and BD-09 go through ``geo.crs`` (exact inverse).
   'cgcs2000' over projected metres means the file's Gauss–Krüger projection
   (its .prj, or the zone read from the eastings).
2. Else the CRS the file states (.prj, GeoPackage, GeoJSON) when the numbers
   agree with it (a GeoJSON without ``crs`` is reported as EPSG:4326 whatever
   its numbers are).
3. Else ``geo.detect.guess_crs`` on the coordinate ranges: projected metres as
   CGCS2000 Gauss–Krüger (zone from the easting prefix, or from the county's
   longitude); degrees look alike in WGS-84, GCJ-02 and BD-09, so the import job
   (``pipeline.Job``) then tests all three with ``geo.detect.score_datums``
   against the compound, community or township each row names (else the county)
   and takes the one that clearly wins, or refuses with the figures.
"""
from __future__ import annotations

import math
import re

import geopandas as gpd
import numpy as np
import pyproj
import shapely
from shapely.geometry.base import BaseGeometry

from geo.crs import CHINA_BBOX, to_wgs84
from geo.detect import guess_crs

__all__ = ["GeometryProblem", "parse_declared", "choose_crs", "convert", "validate", "Extent", "crs_label"]

NAMED = {"wgs84": "WGS-84", "cgcs2000": "CGCS2000", "gcj02": "GCJ-02", "bd09": "BD-09"}
_ALIASES = {
    "wgs84": "wgs84", "wgs-84": "wgs84", "epsg:4326": "wgs84", "4326": "wgs84",
    "cgcs2000": "cgcs2000", "cgcs-2000": "cgcs2000", "epsg:4490": "cgcs2000", "4490": "cgcs2000",
    "gcj02": "gcj02", "gcj-02": "gcj02", "gcj": "gcj02", "amap": "gcj02", "gaode": "gcj02", "高德": "gcj02",
    "bd09": "bd09", "bd-09": "bd09", "bd09ll": "bd09", "baidu": "bd09", "百度": "bd09",
}
_TYPE_NAMES = {"Point": "点", "MultiPoint": "多点", "LineString": "线", "MultiLineString": "多线",
               "Polygon": "面", "MultiPolygon": "多面", "GeometryCollection": "几何集合", "LinearRing": "环"}
_REASONS = (("Ring Self-intersection", "环自相交"), ("Self-intersection", "自相交"),
            ("Too few points", "顶点太少"), ("Hole lies outside shell", "内环在外环之外"),
            ("Nested shells", "外环嵌套"), ("Interior is disconnected", "内部不连通"),
            ("Nested holes", "内环嵌套"), ("Duplicate Rings", "重复的环"),
            ("Invalid Coordinate", "坐标无效"), ("Ring is not closed", "环未闭合"))


class GeometryProblem(ValueError):
    """A file-level CRS problem; the message is for the user (Chinese)."""


def parse_declared(declared) -> str | pyproj.CRS | None:
    """'wgs84'|'cgcs2000'|'gcj02'|'bd09', a pyproj CRS, or None when nothing was declared."""
    if declared is None or (isinstance(declared, str) and not declared.strip()):
        return None
    if isinstance(declared, str):
        key = declared.strip().lower().replace(" ", "")
        if key in _ALIASES:
            return _ALIASES[key]
        if key.isdigit():
            declared = f"EPSG:{key}"
    try:
        crs = pyproj.CRS.from_user_input(declared)
    except (pyproj.exceptions.CRSError, TypeError) as exc:
        raise GeometryProblem(f"无法识别的坐标系 '{declared}'（可用 wgs84、cgcs2000、gcj02、bd09 或 EPSG:代码）") from exc
    return _named_equivalent(crs) or crs


def _named_equivalent(crs: pyproj.CRS) -> str | None:
    code = crs.to_epsg()
    return {4326: "wgs84", 4490: "cgcs2000"}.get(code) if code else None


def crs_label(source) -> str:
    if isinstance(source, str):
        return NAMED[source]
    code = source.to_epsg()
    return f"EPSG:{code} {source.name}" if code else source.name


def _looks_like_degrees(xs: np.ndarray, ys: np.ndarray) -> bool:
    return bool(xs.size == 0 or (np.all(np.abs(xs) <= 180) and np.all(np.abs(ys) <= 90)))


def _guess(xs, ys, central_meridian) -> str | pyproj.CRS:
    try:
        guess = guess_crs(xs, ys, central_meridian=central_meridian)
    except ValueError as exc:
        raise GeometryProblem(str(exc)) from exc
    return "wgs84" if guess == "wgs84" else pyproj.CRS.from_user_input(guess)


def choose_crs(declared, file_crs: pyproj.CRS | None, origin: str | None, xs, ys, *,
               central_meridian: float | None = None) -> tuple[str | pyproj.CRS, str, list[str]]:
    """Pick the source CRS: ``(source for geo.crs.to_wgs84, label, notes)``.

    Raises
    ------
    GeometryProblem
        Unknown declaration, declaration contradicting the numbers, or numbers
        that fit no known CRS.
    """
    xs, ys = np.asarray(xs, dtype=float), np.asarray(ys, dtype=float)
    degrees = _looks_like_degrees(xs, ys)
    dec = parse_declared(declared)
    notes: list[str] = []
    if isinstance(dec, str):
        if degrees:
            if file_crs is not None and dec in ("gcj02", "bd09"):
                notes.append(f"文件标注的坐标系为 {crs_label(_named_equivalent(file_crs) or file_crs)}，按指定的 {NAMED[dec]} 转换")
            return dec, f"{NAMED[dec]}（指定）→ WGS-84", notes
        if dec == "cgcs2000":
            if file_crs is not None and file_crs.is_projected:
                return file_crs, f"{crs_label(file_crs)}（{origin}）→ WGS-84", notes
            src = _guess(xs, ys, central_meridian)
            if isinstance(src, pyproj.CRS):
                return src, f"{crs_label(src)}（按坐标范围识别的高斯-克吕格投影）→ WGS-84", notes
        raise GeometryProblem(f"指定的坐标系 {NAMED[dec]} 是经纬度，但坐标值不是经纬度（如 {xs[0]:.2f}, {ys[0]:.2f}）")
    if isinstance(dec, pyproj.CRS):
        if dec.is_geographic and not degrees:
            raise GeometryProblem(f"指定的 {crs_label(dec)} 是经纬度，但坐标值不是经纬度（如 {xs[0]:.2f}, {ys[0]:.2f}）")
        if dec.is_projected and degrees:
            raise GeometryProblem(f"指定的 {crs_label(dec)} 是投影坐标，但坐标值像经纬度（如 {xs[0]:.5f}, {ys[0]:.5f}）")
        if file_crs is not None and not file_crs.equals(dec):
            notes.append(f"文件的 {origin} 为 {crs_label(file_crs)}，按指定的 {crs_label(dec)} 处理")
        return dec, f"{crs_label(dec)}（指定）→ WGS-84", notes
    if file_crs is not None:
        if file_crs.is_projected and degrees:
            raise GeometryProblem(f"文件的 {origin} 为投影坐标 {crs_label(file_crs)}，但坐标值像经纬度：请检查或指定坐标系")
        if not (file_crs.is_geographic and not degrees):
            src: str | pyproj.CRS = _named_equivalent(file_crs) or file_crs
            is_wgs84 = isinstance(src, str) and src == "wgs84"
            label = f"WGS-84（{origin}）" if is_wgs84 else f"{crs_label(src)}（{origin}）→ WGS-84"
            return src, label, notes
        notes.append(f"{origin} 标注为经纬度，但坐标值不是经纬度，按坐标范围识别坐标系")
    src = _guess(xs, ys, central_meridian)
    if isinstance(src, str) and src == "wgs84":
        notes.append("未指定坐标系，坐标为经纬度，按 WGS-84 处理（高德/腾讯坐标请指定 gcj02，百度坐标请指定 bd09）")
        return "wgs84", "WGS-84（未指定，按经纬度推定）", notes
    notes.append(f"未指定坐标系，按坐标范围识别为 {crs_label(src)}")
    return src, f"{crs_label(src)}（按坐标范围识别）→ WGS-84", notes


def convert(geoms: list, source) -> list:
    """Every geometry (None kept) converted from ``source`` to WGS-84 via ``geo.crs.to_wgs84``."""
    series = gpd.GeoSeries(geoms, crs=None)
    return list(to_wgs84(series, source).values)


# --------------------------------------------------------------------------- validity
def _reason(geom: BaseGeometry) -> str:
    text = shapely.is_valid_reason(geom)
    for en, zh in _REASONS:
        if text.startswith(en):
            loc = re.search(r"\[([-\d.e]+) ([-\d.e]+)", text)
            return zh + (f"，位置约 {float(loc.group(1)):.6f}, {float(loc.group(2)):.6f}" if loc else "")
    return text


def _polygonal_part(geom: BaseGeometry) -> BaseGeometry:
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom
    parts = [g for g in getattr(geom, "geoms", []) if g.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(parts) if parts else shapely.Polygon()


def validate(geom: BaseGeometry | None, *, polygonal: bool) -> tuple[BaseGeometry | None, str | None, str | None]:
    """``(geometry to store, error, note)`` for one row.

    ``polygonal``: boundaries must be (multi)polygons; otherwise (compounds) a
    point is accepted too and stored as a point. Invalid polygons are repaired
    with ``shapely.make_valid`` when that leaves a non-empty area (note), else
    it is an error. Z values are dropped.
    """
    if geom is None:
        return None, None, None
    if geom.is_empty:
        return None, "为空", None
    geom = shapely.force_2d(geom)
    if not np.isfinite(shapely.get_coordinates(geom)).all():
        return None, "坐标含无效数值", None
    kind = geom.geom_type
    if kind == "MultiPoint" and len(geom.geoms) == 1 and not polygonal:
        geom, kind = geom.geoms[0], "Point"
    allowed = ("Polygon", "MultiPolygon") if polygonal else ("Point", "Polygon", "MultiPolygon")
    if kind not in allowed:
        want = "面（多边形）" if polygonal else "点或面"
        return None, f"应为{want}，实际为{_TYPE_NAMES.get(kind, kind)}", None
    note = None
    if kind != "Point" and not geom.is_valid:
        reason = _reason(geom)
        fixed = _polygonal_part(shapely.make_valid(geom))
        if fixed.is_empty or fixed.area <= 0:
            return None, f"无效且无法修复（{reason}）", None
        geom, note = fixed, f"无效（{reason}），已自动修复"
    if kind != "Point" and geom.area <= 0:
        return None, "面积为零", None
    return geom, None, note


# --------------------------------------------------------------------------- extent
class Extent:
    """Where imported coordinates may lie: the county outline plus a tolerance, else China."""

    def __init__(self, county: BaseGeometry | None = None, *, tolerance_m: float = 1000.0, name: str = "本县"):
        self.name = name
        self.tolerance_m = tolerance_m
        self.area = None
        if county is not None and not county.is_empty:
            lat = county.centroid.y
            # Degrees per metre along a parallel (the larger of the two): lenient north–south.
            deg = tolerance_m / (111_320.0 * max(math.cos(math.radians(lat)), 0.1))
            self.area = county.buffer(deg)
            shapely.prepare(self.area)

    @property
    def reference_lon(self) -> float | None:
        return None if self.area is None else self.area.centroid.x

    def problem(self, geom: BaseGeometry) -> str | None:
        """Why ``geom`` (WGS-84) lies where it cannot, or None."""
        if self.area is not None:
            if self.area.covers(geom):
                return None
            where = "部分超出" if self.area.intersects(geom) else "位于"
            tail = "范围" if where == "部分超出" else "范围外"
            return f"{where}{self.name}{tail}（容差 {self.tolerance_m:g} 米）：请检查坐标或坐标系"
        minx, miny, maxx, maxy = geom.bounds
        lon0, lat0, lon1, lat1 = CHINA_BBOX
        if lon0 < minx and maxx < lon1 and lat0 < miny and maxy < lat1:
            return None
        return "坐标不在中国境内：请检查坐标系，或经纬度是否颠倒"
