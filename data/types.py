"""Column types shared by SQLite and PostgreSQL/PostGIS.

Geometries are shapely objects in WGS-84 (EPSG:4326) on the Python side, on
both backends.

* PostgreSQL: the column is GeoAlchemy2's ``Geometry("GEOMETRY", 4326)``, a
  PostGIS ``geometry(GEOMETRY,4326)``. GeoAlchemy2 wraps values in
  ``ST_GeomFromEWKT`` on the way in and ``ST_AsEWKB`` on the way out (binary,
  not hex text); every geometry column has a GiST index (migrations 0001 and
  0010c_spatial, declared in ``data.schema``), which the spatial SQL of
  ``data.spatial`` uses.
* SQLite: WKB blobs. GeoAlchemy2 would use SpatiaLite there, but Python's
  ``sqlite3`` on these machines is built without ``enable_load_extension``
  and ``mod_spatialite`` is not installed, so the embedded default keeps plain
  WKB and does its spatial work in Python (shapely STRtree).
"""
from __future__ import annotations

import shapely
from geoalchemy2 import Geometry as PostGISGeometry
from geoalchemy2.elements import WKBElement, WKTElement
from sqlalchemy.types import LargeBinary, TypeDecorator

SRID = 4326


class Geometry(TypeDecorator):
    """A shapely geometry in WGS-84: GeoAlchemy2 ``Geometry`` on PostGIS, WKB on SQLite."""

    impl = LargeBinary
    cache_ok = True
    # read by GeoAlchemy2's table-creation hooks (which see this decorator as a PostGIS column):
    # no index of its own, the migrations make the GiST indexes data.schema declares
    spatial_index = False
    use_N_D_index = False

    def load_dialect_impl(self, dialect):
        # GeoAlchemy2's DDL hooks also ask with dialect=None ("is this a raster?"): not PostGIS then
        if dialect is not None and dialect.name == "postgresql":
            # the GiST indexes are declared in data.schema and made by the migrations: GeoAlchemy2's
            # own index creation only runs with metadata.create_all, which nothing here calls
            return dialect.type_descriptor(PostGISGeometry("GEOMETRY", srid=SRID, spatial_index=False))
        return dialect.type_descriptor(LargeBinary()) if dialect is not None else LargeBinary()

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        value = _shape(value)
        if dialect.name == "postgresql":
            # hex EWKB: GeoAlchemy2 hands it to ST_GeomFromEWKT, which reads EWKB hex as well as EWKT
            return WKBElement(shapely.to_wkb(shapely.set_srid(value, SRID), include_srid=True),
                              srid=SRID, extended=True)
        return shapely.to_wkb(value)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return _shape(value)


def _shape(value) -> shapely.Geometry:
    """A shapely geometry from shapely, GeoAlchemy2 elements, WKB bytes or hex (E)WKB text."""
    if isinstance(value, shapely.Geometry):
        return value
    if isinstance(value, WKTElement):
        return shapely.from_wkt(value.data.split(";", 1)[-1])
    if isinstance(value, WKBElement):
        value = value.data
    if isinstance(value, memoryview):
        value = bytes(value)
    return shapely.from_wkb(value)
