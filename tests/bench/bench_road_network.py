"""Benchmark: splitting an uploaded road network at its crossings, all pairs (old) vs STRtree (new).

The parking page cuts every road line where it meets another so the walking
graph can turn there. ``shapely.node`` on one MultiLineString (the old way)
compares all pairs; ``geo.lines.split_at_crossings`` asks an STRtree which lines
can meet. This builds a street grid of N lines (default 800, ~4 vertices each,
around the demo county seat), runs both in this process, checks they give the
same total length, and prints seconds, peak memory of Python allocations and the ratio.

Not a test: no thresholds asserted. Run ``python tests/bench/bench_road_network.py [--lines 800]``.
"""
from __future__ import annotations

import argparse
import random
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import shapely  # noqa: E402
from shapely.geometry import LineString, MultiLineString  # noqa: E402

from geo.lines import split_at_crossings  # noqa: E402


def street_grid(n: int, seed: int = 13) -> list[LineString]:
    """``n`` slightly wavy streets, half east-west and half north-south, over ~6 km × 6 km."""
    rng = random.Random(seed)
    lon0, lat0, span = 116.28, 35.05, 0.06
    out = []
    for k in range(n):
        a = rng.uniform(0, span)
        start, length = rng.uniform(0, span * 0.7), rng.uniform(span * 0.1, span * 0.3)
        pts = []
        for s in range(4):
            t = start + length * s / 3
            wobble = rng.uniform(-0.0003, 0.0003)
            pts.append((lon0 + t, lat0 + a + wobble) if k % 2 else (lon0 + a + wobble, lat0 + t))
        out.append(LineString(pts))
    return out


def long_streets(n: int, seed: int = 1) -> list[LineString]:
    """``n`` straight streets each crossing the whole area: every east-west one meets every north-south one."""
    rng = random.Random(seed)
    lon0, lat0, span = 116.28, 35.05, 0.06
    out = []
    for k in range(n):
        a, b = rng.uniform(0, span), rng.uniform(0, span)
        out.append(LineString([(lon0, lat0 + a), (lon0 + span, lat0 + b)]) if k % 2 else
                   LineString([(lon0 + a, lat0), (lon0 + b, lat0 + span)]))
    return out


def measure(fn, *args, **kwargs):
    """(result or the ValueError it raised, seconds, peak MB of Python allocations in a second run)."""
    def run():
        try:
            return fn(*args, **kwargs)
        except ValueError as exc:  # refused by the segment limit
            return exc

    t0 = time.perf_counter()
    result = run()
    seconds = time.perf_counter() - t0
    tracemalloc.start()
    run()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return result, seconds, peak / 2**20


def old(lines):
    return list(shapely.node(MultiLineString(lines)).geoms)


def compare(title: str, lines: list[LineString], limit: int) -> None:
    size = len(shapely.to_geojson(shapely.GeometryCollection(lines)))
    print(f"\n{title}: {len(lines)} lines, {size / 1024:.0f} KB as GeoJSON")
    old_parts, old_s, old_mb = measure(old, lines)
    new_parts, new_s, new_mb = measure(split_at_crossings, lines)
    same = abs(sum(p.length for p in new_parts) - sum(p.length for p in old_parts)) < 1e-9
    print(f"  old  shapely.node (all pairs):      {old_s:7.2f} s  peak {old_mb:7.1f} MB  {len(old_parts)} pieces")
    print(f"  new  STRtree split (no limit):      {new_s:7.2f} s  peak {new_mb:7.1f} MB  {len(new_parts)} pieces"
          f"  (same total length: {same})")
    refused, lim_s, lim_mb = measure(split_at_crossings, lines, max_segments=limit)
    what = f"refused: {refused}" if isinstance(refused, Exception) else f"{len(refused)} pieces"
    print(f"  new  with road_max_segments={limit}: {lim_s:7.2f} s  peak {lim_mb:7.1f} MB  {what}")
    print(f"  ratio old/new: {old_s / new_s:.1f}× without a limit, {old_s / lim_s:.0f}× with it")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=800)
    parser.add_argument("--limit", type=int, default=20_000, help="road_max_segments (setting default)")
    args = parser.parse_args()
    compare("street grid (short streets, a real town)", street_grid(args.lines), args.limit)
    compare("long streets (each crosses half the others: the upload of issue 13)", long_streets(args.lines),
            args.limit)


if __name__ == "__main__":
    main()
