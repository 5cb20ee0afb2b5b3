"""Column types shared by SQLite and PostgreSQL/PostGIS.

Geometries are shapely objects in WGS-84 (EPSG:4326) on the Python side.
On PostgreSQL they live in a PostGIS ``geometry(Geometry, 4326)`` column so
spatial SQL and GiST indexes work; on SQLite they are stored as WKB blobs.
"""
from __future__ import annotations

import shapely
from sqlalchemy.types import LargeBinary, TypeDecorator, UserDefinedType

SRID = 4326


class _PostGISGeometry(UserDefinedType):
    cache_ok = True

    def get_col_spec(self, **kw) -> str:
        return f"geometry(Geometry,{SRID})"


class Geometry(TypeDecorator):
    """A shapely geometry in WGS-84, stored natively on PostGIS, as WKB on SQLite."""

    impl = LargeBinary
    cache_ok = True

    def load_dialect_impl(self, dialect):
        if dialect.name == "postgresql":
            return dialect.type_descriptor(_PostGISGeometry())
        return dialect.type_descriptor(LargeBinary())

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if isinstance(value, (bytes, str)):
            value = shapely.from_wkb(value)
        if dialect.name == "postgresql":
            # Hex EWKB is accepted by PostGIS' geometry input function; the
            # driver sends str as 'unknown', so the server casts it.
            return shapely.to_wkb(shapely.set_srid(value, SRID), hex=True, include_srid=True)
        return shapely.to_wkb(value)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if isinstance(value, memoryview):
            value = bytes(value)
        return shapely.from_wkb(value)
