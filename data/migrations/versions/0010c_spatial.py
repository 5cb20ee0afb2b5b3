"""spatial work in PostGIS: a GiST index on every geometry column

Revision ID: 0010c_spatial
Revises: 0008

PostgreSQL only (SQLite keeps WKB blobs, which no index can search spatially: nothing to do).

The columns are GeoAlchemy2 ``geometry(GEOMETRY,4326)`` (``data.types``), the same column type
PostGIS had before, so no data moves. Import matching and heat binning now run as SQL
(``data.spatial``: ``ST_Intersects`` of work orders against compound, community and township
polygons, nearest point compound within ``match_nearest_m``, ``ST_HexagonGrid``), and every such
join must find its candidates through a GiST index. 0001 made one for the six geometry tables it
created; this migration makes sure **every** geometry column PostGIS lists
(``geometry_columns``) has its ``ix_<table>_<column>`` GiST index — also those added by later
migrations — which ``data.schema`` declares for PostgreSQL, and refreshes the planner's
statistics of those tables so the spatial joins use the indexes at once.
"""
from alembic import op
import sqlalchemy as sa

revision = "0010c_spatial"
down_revision = "0008"
branch_labels = None
depends_on = None


def _geometry_columns(bind) -> list[tuple[str, str]]:
    return [tuple(r) for r in bind.execute(sa.text(
        "SELECT f_table_name, f_geometry_column FROM geometry_columns "
        "WHERE f_table_schema = current_schema() ORDER BY 1, 2"))]


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    columns = _geometry_columns(bind)
    for table, column in columns:
        op.execute(f'CREATE INDEX IF NOT EXISTS "ix_{table}_{column}" ON "{table}" USING GIST ("{column}")')
    for table in sorted({t for t, _ in columns}):
        op.execute(f'ANALYZE "{table}"')


def downgrade() -> None:
    # the indexes 0001 made stay with 0001; an index this revision added is an index worth keeping,
    # and dropping one the schema declares would only make the models and the database differ
    pass
