"""township names unique per county; row-level security for county and city users (PostgreSQL)

Revision ID: 0011b_township_county
Revises: every head before it (0005, 0006, 0009a–f, 0010a–c)

Issue 17, two changes in one file (both are about the county as a wall):

1. ``township.name`` was unique in the whole deployment; a city or a province has a
   城关街道 in several counties. It is now unique per ``(county_adcode, name)``.
   ``township.code`` stays unique per deployment: township codes are the national
   9-digit 统计用区划代码 (the county's 6-digit adcode + 3 digits) and generated codes
   carry the county's adcode as prefix, so they never repeat across counties.

2. PostgreSQL only: the connections of a county user carry ``app.county_adcode``, those
   of a city user ``app.city_adcode`` (``db.make_engine(url, county_adcode=…/city_adcode=…)``).
   Every table with the township policy of 0005/0007/0010a gets a second, RESTRICTIVE
   policy ``place_scope``: it is ANDed with ``township_scope``, so a row is visible when
   every fence that is set admits it (with none set — migrations, imports, admins, a
   one-county deployment — everything is visible, as before).

   Cheap: the fenced township ids are computed once per statement by the STABLE function
   ``app_fenced_townships()`` (NULL when no county/city is set), called in a scalar
   sub-select so the planner runs it as an InitPlan rather than per row; the rows then
   meet it through the existing ``township_id`` indexes. ``township`` and ``county``
   lookups it makes use ``ix_township_county_adcode`` and ``ix_county_city_adcode``.
"""
from alembic import op
import sqlalchemy as sa

revision = "0011b_township_county"
down_revision = ("0005", "0006", "0009a_files", "0009b_registers", "0009c_matching", "0009d_security",
                 "0009e_register", "0009f_documents", "0010a_aggregates", "0010b_places", "0010c_spatial")
branch_labels = None
depends_on = None

COUNTY = "NULLIF(current_setting('app.county_adcode', true), '')"
CITY = "NULLIF(current_setting('app.city_adcode', true), '')"
FENCED = "(SELECT app_fenced_townships())"
OPEN = f"{FENCED} IS NULL"
# (…)::integer[] makes ANY take the array, not a sub-select of arrays
OWN = f"township_id = ANY ({FENCED}::integer[])"


def _via(table: str, key: str) -> str:
    return f"EXISTS (SELECT 1 FROM {table} x WHERE x.id = {key} AND x.township_id = ANY ({FENCED}::integer[]))"


# table → the condition that ties a row to the fenced townships (the tables of township_scope)
POLICIES = {
    # the township table itself must not call the function (it reads township): its own test
    "township": (f"({COUNTY} IS NULL OR county_adcode = {COUNTY}) AND ({CITY} IS NULL OR county_adcode IN "
                 f"(SELECT c.adcode FROM county c WHERE c.city_adcode = {CITY}))"),
    "community": f"{OPEN} OR {OWN}",
    "grid": f"{OPEN} OR {OWN}",
    "compound": f"{OPEN} OR {OWN}",
    "complaint": f"{OPEN} OR {OWN}",
    "complaint_month": f"{OPEN} OR {OWN}",
    "parking_resource": f"{OPEN} OR {OWN}",
    "enforcement_case": f"{OPEN} OR {OWN}",
    "parking_proposal": f"{OPEN} OR {OWN}",
    "evaluation": f"{OPEN} OR {_via('compound', 'compound_id')}",
    "fee_record": f"{OPEN} OR {_via('compound', 'compound_id')}",
    "fee_adjustment": f"{OPEN} OR {_via('compound', 'compound_id')}",
    "spot_check_result": f"{OPEN} OR {_via('compound', 'compound_id')}",
    "case_step": f"{OPEN} OR {_via('enforcement_case', 'case_id')}",
    "parking_proposal_step": f"{OPEN} OR {_via('parking_proposal', 'proposal_id')}",
}

FUNCTION = f"""
CREATE OR REPLACE FUNCTION app_fenced_townships() RETURNS integer[] LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN {COUNTY} IS NULL AND {CITY} IS NULL THEN NULL
                ELSE ARRAY(SELECT t.id FROM township t
                           WHERE ({COUNTY} IS NULL OR t.county_adcode = {COUNTY})
                             AND ({CITY} IS NULL OR t.county_adcode IN
                                  (SELECT c.adcode FROM county c WHERE c.city_adcode = {CITY})))
           END
$$"""


def upgrade() -> None:
    with op.batch_alter_table("township") as batch:
        batch.drop_constraint("uq_township_name", type_="unique")
        batch.create_unique_constraint(batch.f("uq_township_county_adcode"), ["county_adcode", "name"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute(FUNCTION)
        for table, own in POLICIES.items():
            op.execute(f"CREATE POLICY place_scope ON {table} AS RESTRICTIVE USING ({own}) WITH CHECK ({own})")
        _sync_complaint_partitions()


def _sync_complaint_partitions() -> None:
    """0011a (a sibling head) partitions complaint by month; when it ran first, its partitions take
    complaint's changed policies from this (PostgreSQL checks a partition's own policies when it is
    named directly)."""
    op.execute("DO $$ BEGIN IF to_regproc('complaint_sync_policies') IS NOT NULL THEN "
               "PERFORM complaint_sync_policies(); END IF; END $$")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in POLICIES:
            op.execute(f"DROP POLICY IF EXISTS place_scope ON {table}")
        _sync_complaint_partitions()
        op.execute("DROP FUNCTION IF EXISTS app_fenced_townships()")
    with op.batch_alter_table("township") as batch:
        batch.drop_constraint(batch.f("uq_township_county_adcode"), type_="unique")
        batch.create_unique_constraint("uq_township_name", ["name"])
