"""The map's payload at city and province scale: only the compounds around the view (layers/viewport.py)."""
from __future__ import annotations

import geopandas as gpd
import pytest
from shapely.geometry import box

from layers.packed import pack_features
from layers.viewport import in_window, view_bounds, window


def _province(n_side: int = 150) -> gpd.GeoDataFrame:
    """n_side² compounds of 80 m on a 3 km grid over about 4.5° × 4.5° (Shandong's size)."""
    step, size = 0.03, 0.0008
    cells = [box(115 + i * step, 34.5 + j * step, 115 + i * step + size, 34.5 + j * step + size)
             for i in range(n_side) for j in range(n_side)]
    return gpd.GeoDataFrame({"id": range(len(cells)), "name": [f"小区{i}" for i in range(len(cells))],
                             "_fill": "#31a354"}, geometry=cells, crs=4326)


@pytest.mark.parametrize("zoom", [13, 14, 15, 16, 17])
def test_the_payload_at_street_zoom_does_not_depend_on_the_deployment_size(zoom):
    frame = _province()  # 22,500 compounds
    whole = len(pack_features(frame, properties=["id", "name", "_fill"], text=("name",), lookup=("_fill",)))
    near = in_window(frame, window(view_bounds(36.7, 117.0, zoom)))
    sent = len(pack_features(near, properties=["id", "name", "_fill"], text=("name",), lookup=("_fill",)))
    assert 0 < len(near) < len(frame) / 20
    assert sent < 1_500_000 / 5 and sent < whole / 20  # well inside the 1.5 MB at every zoom


def test_view_bounds_match_web_mercator_at_the_equator_and_north():
    minx, miny, maxx, maxy = view_bounds(0, 0, 0, width_px=256, height_px=256)
    assert (minx, maxx) == (-180, 180)
    a = view_bounds(35.0, 117.0, 15)
    assert a[2] - a[0] == pytest.approx(1400 * 360 / 256 / 2 ** 15)
    assert (a[3] - a[1]) < (a[2] - a[0]) * 620 / 1400  # latitude degrees shrink away from the equator


def test_a_small_pan_keeps_the_window_and_the_window_covers_the_view():
    view = view_bounds(35.0, 117.0, 15)
    w = window(view)
    assert w[0] <= view[0] and w[1] <= view[1] and w[2] >= view[2] and w[3] >= view[3]
    nudged = view_bounds(35.0005, 117.0005, 15)  # about 50 m
    assert window(nudged) == w  # the same layer: nothing to send, nothing redrawn
    far = view_bounds(35.5, 117.5, 15)
    assert window(far) != w


def test_in_window_keeps_order_and_meets_the_edge():
    frame = _province(10)
    w = (115.0, 34.5, 115.0305, 34.5305)  # touches the second row and column of cells
    got = in_window(frame, w)
    assert list(got["id"]) == sorted(got["id"])
    assert len(got) == 4
    assert in_window(frame.iloc[0:0], w).empty
