"""places up to the province: region (省/市), county.city_adcode, township.county_adcode, user county/city

Revision ID: 0010b_places
Revises: 0008

Issue 17. A deployment holds one county (as before) or a city's or a province's
counties. ``region`` keeps the provinces and cities above them; each county may
name its city; each township its county. Existing townships are given the
deployment's single county, so a one-county database keeps working unchanged.
Users of a county or city role carry that county's or city's adcode.
"""
from alembic import op
import sqlalchemy as sa

import data.types

revision = "0010b_places"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    is_pg = op.get_bind().dialect.name == "postgresql"
    op.create_table(
        "region",
        sa.Column("adcode", sa.String(length=6), nullable=False),
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("level", sa.String(length=10), nullable=False),
        sa.Column("parent_adcode", sa.String(length=6), nullable=True),
        sa.Column("geometry", data.types.Geometry(), nullable=True),
        sa.Column("source", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(["parent_adcode"], ["region.adcode"],
                                name=op.f("fk_region_parent_adcode_region")),
        sa.PrimaryKeyConstraint("adcode", name=op.f("pk_region")),
    )
    with op.batch_alter_table("region") as batch:
        batch.create_index(batch.f("ix_region_parent_adcode"), ["parent_adcode"], unique=False)
    if is_pg:
        op.execute("CREATE INDEX ix_region_geometry ON region USING GIST (geometry)")
    with op.batch_alter_table("county") as batch:
        batch.add_column(sa.Column("city_adcode", sa.String(length=6), nullable=True))
        batch.create_index(batch.f("ix_county_city_adcode"), ["city_adcode"], unique=False)
        batch.create_foreign_key(batch.f("fk_county_city_adcode_region"), "region", ["city_adcode"], ["adcode"])
    with op.batch_alter_table("township") as batch:
        batch.add_column(sa.Column("county_adcode", sa.String(length=6), nullable=True))
        batch.create_index(batch.f("ix_township_county_adcode"), ["county_adcode"], unique=False)
        batch.create_foreign_key(batch.f("fk_township_county_adcode_county"), "county",
                                 ["county_adcode"], ["adcode"])
    with op.batch_alter_table("app_user") as batch:
        batch.add_column(sa.Column("county_adcode", sa.String(length=6), nullable=True))
        batch.add_column(sa.Column("city_adcode", sa.String(length=6), nullable=True))
        batch.create_foreign_key(batch.f("fk_app_user_county_adcode_county"), "county",
                                 ["county_adcode"], ["adcode"])
        batch.create_foreign_key(batch.f("fk_app_user_city_adcode_region"), "region",
                                 ["city_adcode"], ["adcode"])
    # a deployment of one county: its townships are that county's
    op.execute("UPDATE township SET county_adcode = (SELECT min(adcode) FROM county) "
               "WHERE (SELECT count(*) FROM county) = 1")


def downgrade() -> None:
    with op.batch_alter_table("app_user") as batch:
        batch.drop_constraint(batch.f("fk_app_user_city_adcode_region"), type_="foreignkey")
        batch.drop_constraint(batch.f("fk_app_user_county_adcode_county"), type_="foreignkey")
        batch.drop_column("city_adcode")
        batch.drop_column("county_adcode")
    with op.batch_alter_table("township") as batch:
        batch.drop_constraint(batch.f("fk_township_county_adcode_county"), type_="foreignkey")
        batch.drop_index(batch.f("ix_township_county_adcode"))
        batch.drop_column("county_adcode")
    with op.batch_alter_table("county") as batch:
        batch.drop_constraint(batch.f("fk_county_city_adcode_region"), type_="foreignkey")
        batch.drop_index(batch.f("ix_county_city_adcode"))
        batch.drop_column("city_adcode")
    op.drop_table("region")
