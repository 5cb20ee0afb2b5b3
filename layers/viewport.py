"""What of a large layer reaches the browser: the features in and around the view.

A county's compounds go to the browser whole (a few hundred KB, and panning needs
no server). A city or a province has tens of thousands: the map then gets only the
compounds of a window around what the user looks at, and none while zoomed out
(the places' choropleth stands for them there). The window is the view grown by
half its size on each side and snapped outward to a grid of half the view's
power-of-two size, so small pans keep the same window (the same layer, no redraw),
and the payload depends on the zoom, not on the deployment's size.
"""
from __future__ import annotations

import math

import geopandas as gpd
from shapely.geometry import box

EARTH_M = 40_075_016.686  # the equator, metres
TILE_PX = 256

Bounds = tuple[float, float, float, float]  # minx, miny, maxx, maxy in degrees (WGS-84)


def view_bounds(lat: float, lon: float, zoom: float, *, width_px: int = 1400, height_px: int = 620) -> Bounds:
    """The bounds a Web Mercator map of ``width_px`` × ``height_px`` shows around (lat, lon) at ``zoom``."""
    deg_per_px = 360.0 / (TILE_PX * 2.0 ** zoom)
    half_w = width_px / 2 * deg_per_px
    half_h = height_px / 2 * deg_per_px * math.cos(math.radians(lat))  # Mercator: degrees of latitude shrink
    return (lon - half_w, max(-85.0, lat - half_h), lon + half_w, min(85.0, lat + half_h))


def window(bounds: Bounds, *, margin: float = 0.5) -> Bounds:
    """``bounds`` grown by ``margin`` of its size on each side, snapped outward to a stable grid."""
    minx, miny, maxx, maxy = (float(v) for v in bounds)
    size = max(maxx - minx, maxy - miny, 1e-9)
    grid = 2.0 ** math.ceil(math.log2(size)) / 2
    w, h = (maxx - minx) * margin, (maxy - miny) * margin
    return (math.floor((minx - w) / grid) * grid, math.floor((miny - h) / grid) * grid,
            math.ceil((maxx + w) / grid) * grid, math.ceil((maxy + h) / grid) * grid)


def in_window(frame: gpd.GeoDataFrame, bounds: Bounds) -> gpd.GeoDataFrame:
    """The rows of ``frame`` whose geometry meets ``bounds`` (spatial index), in their original order."""
    if frame.empty:
        return frame
    hits = frame.sindex.query(box(*bounds), predicate="intersects")
    return frame.iloc[sorted(hits)]
