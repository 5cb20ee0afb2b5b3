"""Geometry and coordinates for the governance map.

Modules
-------
crs
    WGS-84 / GCJ-02 / BD-09 conversions (exact iterative inverse), reprojection
    of geometries and GeoDataFrames to WGS-84 (EPSG:4326).
projection
    Metric CRS choice (CGCS2000 3-degree Gauss–Krüger), distances and areas in
    metres.
detect
    Guessing the CRS of imported coordinates from their numeric ranges.
assign
    Vectorised point-in-polygon assignment (complaint → compound).

Everything stored is WGS-84 longitude/latitude in degrees; metric work is done
in a projected CRS chosen per area. This package imports no other project
package and never streamlit.
"""
