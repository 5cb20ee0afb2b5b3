"""Compact GeoJSON for the browser: simplified, rounded, escaped, serialised once.

NOTES.md: passing a ready string to ``folium.GeoJson`` avoids converting the
frame twice, and simplifying (~20 m) plus rounding to 1e-5° (~1 m) more than
halves the payload. Callers cache the result (ui/cache.py).
"""
from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.projection import simplify_m
from layers.escape import escape_text

DEFAULT_PRECISION = 5  # decimal places of a degree: ~1 m


def rounded(geoms, precision: int = DEFAULT_PRECISION):
    """Round coordinates of a geometry array so their JSON text is short."""
    return shapely.transform(geoms, lambda xy: np.round(xy, precision))


def to_geojson(
    gdf: gpd.GeoDataFrame,
    *,
    properties: list[str],
    text: tuple[str, ...] = (),
    simplify_tolerance_m: float | None = None,
    precision: int = DEFAULT_PRECISION,
) -> str:
    """Serialise ``gdf`` (WGS-84) to a FeatureCollection string for folium.

    Parameters
    ----------
    properties : list of str
        Columns to keep as feature properties (everything else is dropped).
    text : tuple of str, keyword-only
        Of those, the columns that come from data and may reach HTML or JS:
        they are escaped with :func:`layers.escape.escape_text`.
    simplify_tolerance_m : float, optional
        Douglas–Peucker tolerance in metres (projected), ``None`` to keep all vertices.
    precision : int
        Decimal places kept of each coordinate (degrees).
    """
    if gdf.crs is None or gdf.crs.to_epsg() != 4326:
        raise ValueError("to_geojson expects WGS-84 (EPSG:4326) data")
    frame = gdf[[*properties, "geometry"]].copy()
    frame = frame[~frame.geometry.isna() & ~frame.geometry.is_empty]
    if simplify_tolerance_m:
        frame = simplify_m(frame, simplify_tolerance_m)
    frame["geometry"] = rounded(frame.geometry.values, precision)
    for column in text:
        frame[column] = frame[column].map(escape_text)
    features = []
    geometries = shapely.to_geojson(frame.geometry.values)
    records = frame[properties].astype(object).where(pd.notna(frame[properties]), None)
    for props, geom in zip(records.to_dict("records"), geometries):
        features.append(
            '{"type":"Feature","properties":%s,"geometry":%s}'
            % (json.dumps(props, ensure_ascii=False, default=str, separators=(",", ":")), geom)
        )
    return '{"type":"FeatureCollection","features":[%s]}' % ",".join(features)
