import numpy as np
import pytest
import shapely

from geo.binning import hex_bins
from geo.projection import area_m2


def test_every_point_falls_in_its_hexagon():
    rng = np.random.default_rng(1)
    lon = rng.uniform(116.2, 116.4, 5000)
    lat = rng.uniform(35.0, 35.1, 5000)
    polys, counts = hex_bins(lon, lat, radius_m=300)
    assert counts.sum() == 5000
    pts = shapely.points(lon, lat)
    # each point lies in exactly one hexagon (tiny tolerance for points on an edge)
    tree = shapely.STRtree(polys)
    hits = tree.query(pts, predicate="intersects")
    per_point = np.bincount(hits[0], minlength=len(pts))
    assert (per_point >= 1).all()
    inside = np.bincount(hits[1], minlength=len(polys))
    assert np.abs(inside - counts).max() <= 3  # edge points may touch two cells


def test_hexagon_area_matches_radius():
    polys, _ = hex_bins([116.3], [35.05], radius_m=500)
    expected = 3 * np.sqrt(3) / 2 * 500**2
    assert area_m2(polys[0]) == pytest.approx(expected, rel=0.01)


def test_weights_and_non_finite_points():
    polys, counts = hex_bins([116.3, 116.3, np.nan], [35.05, 35.05, 35.0], radius_m=200,
                             weights=[2, 3, 7])
    assert len(polys) == 1 and counts.tolist() == [5.0]


def test_empty_and_bad_radius():
    polys, counts = hex_bins([], [], radius_m=100)
    assert len(polys) == 0 and len(counts) == 0
    with pytest.raises(ValueError):
        hex_bins([116.3], [35.0], radius_m=0)


def test_output_size_does_not_grow_with_points():
    rng = np.random.default_rng(2)
    small = hex_bins(rng.uniform(116.2, 116.4, 1_000), rng.uniform(35, 35.1, 1_000), radius_m=400)[0]
    big = hex_bins(rng.uniform(116.2, 116.4, 200_000), rng.uniform(35, 35.1, 200_000), radius_m=400)[0]
    assert len(big) < 2 * len(small) + 200
