"""Packed features: what a GeoJSON FeatureCollection says, in a third of the bytes.

A compound in GeoJSON costs about 240 bytes, of which the coordinates are 95
and the rest is the same envelope repeated (``{"type":"Feature","properties":
{"id":…,"name":…,"_fill":"#fecc5c"},"geometry":{"type":"Polygon",…}``). With
5,000 compounds that is 1.2 MB per page load, sent again whenever the map is
redrawn. Packed, the browser gets:

- property values as one array per feature (the keys once), repeated values of a
  ``lookup`` property (fill colours) as an index into a list sent once;
- coordinates as integers of 10^-precision degrees, each ring's first vertex
  relative to a common origin and every later one relative to the vertex before
  (three or four digits instead of nine), the closing vertex of rings left out;
- the geometry type as one letter per feature.

:data:`DECODER_JS` turns that back into an ordinary FeatureCollection in the
browser, so Leaflet, the styles, tooltips and click events (``feature.properties``)
see exactly what plain GeoJSON would give. Text properties are escaped here, as
``layers.geojson.to_geojson`` does; the JSON is made safe inside a script tag by
the layer that embeds it.
"""
from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.projection import simplify_m
from layers.escape import escape_text

__all__ = ["pack_features", "pack_geometries", "PackedGeometry", "is_packed", "unpack", "DECODER_JS", "PACKED_MARK"]

PACKED_MARK = '{"packed":1,'
_TYPES = {"Polygon": "P", "MultiPolygon": "M", "LineString": "L", "MultiLineString": "N", "Point": "O"}

# ES5, no dependencies: d → {type: "FeatureCollection", features: [...]}
DECODER_JS = """function (d) {
  var s = d.scale, ox = d.origin[0], oy = d.origin[1];
  function line(a, close) {
    var out = [], x = ox, y = oy;
    for (var i = 0; i < a.length; i += 2) { x += a[i]; y += a[i + 1]; out.push([x / s, y / s]); }
    if (close && out.length) { out.push(out[0]); }
    return out;
  }
  function rings(r) { return r.map(function (a) { return line(a, true); }); }
  function geometry(t, g) {
    if (t === "P") { return {type: "Polygon", coordinates: rings(g)}; }
    if (t === "M") { return {type: "MultiPolygon", coordinates: g.map(rings)}; }
    if (t === "L") { return {type: "LineString", coordinates: line(g, false)}; }
    if (t === "N") { return {type: "MultiLineString", coordinates: g.map(function (a) { return line(a, false); })}; }
    return {type: "Point", coordinates: [(ox + g[0]) / s, (oy + g[1]) / s]};
  }
  var features = [];
  for (var i = 0; i < d.props.length; i++) {
    var p = {}, row = d.props[i];
    for (var k = 0; k < d.keys.length; k++) {
      var lut = d.lookup[d.keys[k]], v = row[k];
      p[d.keys[k]] = (lut && v !== null) ? lut[v] : v;
    }
    features.push({type: "Feature", properties: p, geometry: geometry(d.types.charAt(i), d.geoms[i])});
  }
  return {type: "FeatureCollection", features: features};
}"""


def is_packed(text: str) -> bool:
    return text.lstrip().startswith(PACKED_MARK)


def _ring(xy: np.ndarray, origin: np.ndarray, scale: float, *, closed: bool) -> list[int]:
    ints = np.round(np.asarray(xy)[:, :2] * scale).astype(np.int64)
    if closed and len(ints) > 1 and (ints[0] == ints[-1]).all():
        ints = ints[:-1]
    deltas = np.diff(ints, axis=0, prepend=origin[None, :])
    return deltas.ravel().tolist()


def _geometry(geom, origin: np.ndarray, scale: float):
    kind = geom.geom_type
    if kind == "Polygon":
        return [_ring(r.coords, origin, scale, closed=True) for r in (geom.exterior, *geom.interiors)]
    if kind == "MultiPolygon":
        return [_geometry(p, origin, scale) for p in geom.geoms]
    if kind == "LineString":
        return _ring(geom.coords, origin, scale, closed=False)
    if kind == "MultiLineString":
        return [_ring(g.coords, origin, scale, closed=False) for g in geom.geoms]
    if kind == "Point":
        x, y = np.round(np.array(geom.coords[0][:2]) * scale).astype(np.int64) - origin
        return [int(x), int(y)]
    raise ValueError(f"cannot pack a {kind}")


class PackedGeometry(dict):
    """The geometry half of :func:`pack_features`: which rows have a geometry (``keep``), the
    ``origin``, ``scale``, ``types`` and the coordinates already as JSON (``geoms_json``).

    It depends on the geometries only, so a caller that redraws the same features with other
    properties (a colour mode, a period) computes it once and passes it as ``geometry=``.
    """


def pack_geometries(gdf: gpd.GeoDataFrame, *, simplify_tolerance_m: float | None = None,
                    precision: int = 5) -> PackedGeometry:
    """Simplify, quantise and serialise ``gdf``'s geometries (WGS-84) for :func:`pack_features`."""
    if gdf.crs is None or gdf.crs.to_epsg() != 4326:
        raise ValueError("pack_features expects WGS-84 (EPSG:4326) data")
    keep = (~gdf.geometry.isna() & ~gdf.geometry.is_empty).to_numpy()
    frame = gdf.loc[keep, ["geometry"]]
    if simplify_tolerance_m and len(frame):
        frame = simplify_m(frame, simplify_tolerance_m)
    scale = 10.0 ** int(precision)
    if len(frame):
        minx, miny, _, _ = frame.total_bounds
        origin = np.array([int(np.floor(minx * scale)), int(np.floor(miny * scale))], dtype=np.int64)
    else:
        origin = np.array([0, 0], dtype=np.int64)
    geoms = [_geometry(g, origin, scale) for g in frame.geometry]
    return PackedGeometry(keep=keep, rows=len(gdf), scale=scale, origin=origin.tolist(),
                          types="".join(_TYPES[g.geom_type] for g in frame.geometry),
                          geoms_json=json.dumps(geoms, separators=(",", ":")))


def pack_features(gdf: gpd.GeoDataFrame, *, properties: list[str], text: tuple[str, ...] = (),
                  lookup: tuple[str, ...] = (), simplify_tolerance_m: float | None = None,
                  precision: int = 5, geometry: PackedGeometry | None = None) -> str:
    """Serialise ``gdf`` (WGS-84) for :data:`DECODER_JS`.

    Parameters
    ----------
    properties : list of str
        Columns kept as feature properties (everything else is dropped).
    text : tuple of str, keyword-only
        Of those, the columns from data that may reach HTML or JS: escaped with
        :func:`layers.escape.escape_text`.
    lookup : tuple of str, keyword-only
        Of those, columns with few distinct values (a fill colour): sent once, then by index.
    simplify_tolerance_m : float, optional
        Douglas–Peucker tolerance in metres (projected); ``None`` keeps every vertex.
    precision : int
        Decimal places of a degree kept (5: about 1 m).
    geometry : PackedGeometry, optional
        :func:`pack_geometries` of the same rows (same order), made earlier; then ``gdf``
        needs only the property columns and the tolerance and precision are the geometry's.
    """
    unknown = (set(text) | set(lookup)) - set(properties)
    if unknown:
        raise ValueError(f"text/lookup columns not among properties: {sorted(unknown)}")
    if geometry is None:
        geometry = pack_geometries(gdf, simplify_tolerance_m=simplify_tolerance_m, precision=precision)
    elif geometry["rows"] != len(gdf):
        raise ValueError(f"packed geometry of {geometry['rows']} rows for {len(gdf)} rows of properties")
    frame = gdf.loc[geometry["keep"], list(properties)].copy()
    for column in text:
        frame[column] = frame[column].map(escape_text)
    tables = {}
    for column in lookup:
        values = sorted({v for v in frame[column] if pd.notna(v)}, key=str)
        tables[column] = values
        index = {v: i for i, v in enumerate(values)}
        frame[column] = [index.get(v) if pd.notna(v) else None for v in frame[column]]
    records = frame[properties].astype(object).where(pd.notna(frame[properties]), None)
    payload = {
        "packed": 1, "scale": geometry["scale"], "origin": geometry["origin"], "keys": list(properties),
        "lookup": tables, "types": geometry["types"], "props": records.values.tolist(),
    }
    head = json.dumps(payload, ensure_ascii=False, default=str, separators=(",", ":"))
    text_out = f'{head[:-1]},"geoms":{geometry["geoms_json"]}}}'
    assert text_out.startswith(PACKED_MARK)
    return text_out


def unpack(text: str) -> dict:
    """The FeatureCollection :data:`DECODER_JS` makes of ``text`` (for tests and exports)."""
    d = json.loads(text)
    s, (ox, oy) = d["scale"], d["origin"]

    def line(a, close):
        xy = np.cumsum(np.array(a, dtype=np.int64).reshape(-1, 2), axis=0) + [ox, oy]
        out = (xy / s).tolist()
        return out + out[:1] if close and out else out

    def geometry(t, g):
        if t == "P":
            return {"type": "Polygon", "coordinates": [line(r, True) for r in g]}
        if t == "M":
            return {"type": "MultiPolygon", "coordinates": [[line(r, True) for r in p] for p in g]}
        if t == "L":
            return {"type": "LineString", "coordinates": line(g, False)}
        if t == "N":
            return {"type": "MultiLineString", "coordinates": [line(a, False) for a in g]}
        return {"type": "Point", "coordinates": [(ox + g[0]) / s, (oy + g[1]) / s]}

    features = []
    for t, row, g in zip(d["types"], d["props"], d["geoms"]):
        props = {k: (d["lookup"][k][v] if k in d["lookup"] and v is not None else v)
                 for k, v in zip(d["keys"], row)}
        features.append({"type": "Feature", "properties": props, "geometry": geometry(t, g)})
    return {"type": "FeatureCollection", "features": features}

