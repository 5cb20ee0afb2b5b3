"""folium layers built from GeoDataFrames, and the offline map assets they need.

Every builder takes WGS-84 data (already shifted by :func:`layers.basemaps.for_basemap`
when the basemap is GCJ-02) and escapes every text that comes from data.
"""
