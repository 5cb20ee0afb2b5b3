"""Basemaps and the coordinate shift each one needs.

"none" is the default: closed government networks reach no tile server, and
an outline map still answers where problems are. AMap (Gaode) tiles are in
GCJ-02, so every vector layer drawn on them is shifted first
(:func:`for_basemap`); 天地图 is CGCS2000, close enough to WGS-84 to need none.
"""
from __future__ import annotations

from dataclasses import dataclass

import folium
import geopandas as gpd

from geo.crs import transform_geometry, wgs84_to_gcj02


@dataclass(frozen=True)
class Basemap:
    key: str
    label: str
    datum: str  # "wgs84" or "gcj02": what vector layers must be shifted to


BASEMAPS = {
    "none": Basemap("none", "无底图（内网）", "wgs84"),
    "tianditu": Basemap("tianditu", "天地图", "wgs84"),
    "amap": Basemap("amap", "高德地图", "gcj02"),
    "osm": Basemap("osm", "OpenStreetMap", "wgs84"),
    "custom": Basemap("custom", "自建瓦片服务", "wgs84"),
}

_TIANDITU = ("https://t{s}.tianditu.gov.cn/%s_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0"
             "&LAYER=%s&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles"
             "&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk=%s")


def add_basemap(m: folium.Map, key: str, *, tianditu_key: str = "", custom_url: str = "") -> None:
    """Add the tile layers of basemap ``key`` to ``m`` (nothing for "none")."""
    if key not in BASEMAPS:
        raise ValueError(f"未知底图：{key}")
    if key == "tianditu":
        if not tianditu_key:
            raise ValueError("使用天地图需要在设置中填写密钥 tk")
        for layer, name in (("vec", "天地图矢量"), ("cva", "天地图注记")):
            folium.TileLayer(
                tiles=_TIANDITU % (layer, layer, tianditu_key), name=name,
                attr="&copy; 天地图 国家地理信息公共服务平台", subdomains="01234567",
                max_zoom=18, overlay=layer == "cva", control=False,
            ).add_to(m)
    elif key == "amap":
        folium.TileLayer(
            tiles="https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8&x={x}&y={y}&z={z}",
            attr="&copy; 高德地图", subdomains="1234", max_zoom=18, name="高德地图", control=False,
        ).add_to(m)
    elif key == "osm":
        folium.TileLayer(
            tiles="https://tile.openstreetmap.org/{z}/{x}/{y}.png",
            attr="&copy; OpenStreetMap contributors", max_zoom=19, name="OpenStreetMap",
            control=False,
        ).add_to(m)
    elif key == "custom":
        if not custom_url:
            raise ValueError("使用自建瓦片服务需要在设置中填写瓦片地址")
        folium.TileLayer(tiles=custom_url, attr="自建瓦片服务", name="自建瓦片服务",
                         control=False).add_to(m)


def for_basemap(gdf: gpd.GeoDataFrame, key: str) -> gpd.GeoDataFrame:
    """Shift WGS-84 geometries to the datum of basemap ``key`` (a copy when shifted).

    The result keeps ``crs`` EPSG:4326 as a label for degrees; on "amap" the
    numbers are GCJ-02, and must never be written back to storage.
    """
    if BASEMAPS[key].datum == "wgs84":
        return gdf
    shifted = gdf.copy()
    shifted["geometry"] = [None if g is None else transform_geometry(g, wgs84_to_gcj02)
                           for g in gdf.geometry.values]
    return shifted
