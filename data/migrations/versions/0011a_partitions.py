"""complaints partitioned by month on PostgreSQL (诉求按月分区)

Revision ID: 0011a_partitions
Revises: every head before it (0005, 0006 and the 0009*/0010* branches of 0008); it must come after
0009c/0010a/0010c, which change or read complaint

PostgreSQL only; SQLite keeps the one unpartitioned table (nothing to do there).

``complaint`` becomes ``PARTITION BY RANGE (received_at)``: one partition per calendar month
(``complaint_pYYYYMM``) and a DEFAULT partition (``complaint_pdefault``) that takes any row whose
month has no partition yet, so no write can ever fail or lose a row for want of a partition.
Partitions are made **on demand** by the function ``complaint_add_month(timestamp)`` (idempotent,
serialised by an advisory lock): it creates the month's table, moves that month's rows out of the
default partition into it, and attaches it. ``data.partitions.ensure_months`` calls it; every
complaint write path reaches it — the importers, Open311 and manual matches through
``data.aggregates.refresh_months`` (after the write: rows that landed in the default partition move
into their month's new table), the demo's COPY loader before it copies.

The conversion keeps every row: the old table is renamed, the partitioned one is made with the
same columns, defaults and sequence, the months present get their partitions, all rows are copied
across, the counts are compared (the migration fails, and rolls back, if they differ) and only then
is the old table dropped.

Uniqueness of ``order_no`` (a re-import updates, never duplicates): a unique index of a
partitioned table must contain the partition key, so the table keeps a unique index on
``(order_no, received_at)`` (also the importer's lookup index) and the *global* rule is kept by a
key table, ``complaint_order_no (order_no PRIMARY KEY)``, maintained by statement-level triggers
with transition tables on ``complaint`` (insert, update of order_no, delete, truncate). A second
row with a stored ``order_no`` — in whatever month — fails with a unique violation, as before; a
row whose 受理时间 moves to another month is an UPDATE (PostgreSQL moves it between partitions)
and keeps its key. The primary key becomes ``(id, received_at)``; ``id`` still comes from the same
sequence, so it stays unique.

The function and the key triggers run as the owner of ``complaint`` (``SECURITY DEFINER``, fixed
``search_path``), so the app's ordinary role needs no DDL right to get a new month, nor any right on
the key table (row-level security without a policy hides its rows from every role but the owner); ``complaint_add_month`` runs unscoped (``SET app.township_id = ''`` for the call
only), so a township user's write moves every row of the month out of the default partition.

Row-level security (0007): the policies ``complaint`` has when this runs are copied, as they are,
onto the partitioned table (they bind every query through ``complaint``) and, by
``complaint_add_month`` (``complaint_copy_policies``), onto every partition when it is made, so a
township-scoped connection that names a partition directly sees only its own rows as well. A later
migration that changes complaint's policies should end with ``SELECT complaint_sync_policies()``,
which copies them onto the partitions that already exist.
"""
from alembic import op
import sqlalchemy as sa

revision = "0011a_partitions"
down_revision = ("0005", "0006", "0009a_files", "0009b_registers", "0009c_matching", "0009d_security", "0009e_register",
                 "0009f_documents", "0010a_aggregates", "0010b_places", "0010c_spatial")
branch_labels = None
depends_on = None

INDEXES = {  # name → columns, as data.schema declares them
    "ix_complaint_received": "received_at",
    "ix_complaint_compound_received": "compound_id, received_at",
    "ix_complaint_township_received": "township_id, received_at",
    "ix_complaint_community_id": "community_id",
}
FOREIGN_KEYS = {
    "fk_complaint_community_id_community": ("community_id", "community"),
    "fk_complaint_compound_id_compound": ("compound_id", "compound"),
    "fk_complaint_township_id_township": ("township_id", "township"),
}

ADD_MONTH = f"""
CREATE FUNCTION complaint_add_month(at timestamp) RETURNS text LANGUAGE plpgsql
SECURITY DEFINER SET search_path FROM CURRENT SET app.township_id = '' AS $$
DECLARE
    lo timestamp := date_trunc('month', at);
    hi timestamp := date_trunc('month', at) + interval '1 month';
    part text := 'complaint_p' || to_char(at, 'YYYYMM');
BEGIN
    IF to_regclass(part) IS NOT NULL THEN
        RETURN part;
    END IF;
    PERFORM pg_advisory_xact_lock(hashtext('complaint_add_month'));
    IF to_regclass(part) IS NOT NULL THEN  -- made by another transaction while this one waited
        RETURN part;
    END IF;
    EXECUTE format('CREATE TABLE %I (LIKE complaint INCLUDING DEFAULTS)', part);
    EXECUTE format('ALTER TABLE %I ADD CONSTRAINT %I CHECK (received_at >= %L AND received_at < %L)',
                   part, part || '_month', lo, hi);  -- lets ATTACH skip its validation scan
    -- the month's rows that arrived before it had a partition
    EXECUTE format('WITH moved AS (DELETE FROM complaint_pdefault WHERE received_at >= %L AND received_at < %L '
                   'RETURNING *) INSERT INTO %I SELECT * FROM moved', lo, hi, part);
    EXECUTE format('ALTER TABLE complaint ATTACH PARTITION %I FOR VALUES FROM (%L) TO (%L)', part, lo, hi);
    EXECUTE format('ALTER TABLE %I DROP CONSTRAINT %I', part, part || '_month');
    PERFORM complaint_copy_policies('complaint'::regclass, part::regclass);
    RETURN part;
END $$"""

# the row-level security of one table copied onto another (dropped there first), whatever it is now:
# a later migration that changes complaint's policies reaches the partitions made after it, and
# complaint_sync_policies() brings the existing partitions in line
COPY_POLICIES = """
CREATE FUNCTION complaint_copy_policies(source regclass, target regclass) RETURNS void LANGUAGE plpgsql
SET search_path FROM CURRENT AS $$
DECLARE
    p record;
BEGIN
    FOR p IN SELECT pol.polname FROM pg_policy pol WHERE pol.polrelid = target LOOP
        EXECUTE format('DROP POLICY %I ON %s', p.polname, target);
    END LOOP;
    FOR p IN SELECT pol.polname, pol.polpermissive,
                    CASE pol.polcmd WHEN 'r' THEN 'SELECT' WHEN 'a' THEN 'INSERT' WHEN 'w' THEN 'UPDATE'
                                    WHEN 'd' THEN 'DELETE' ELSE 'ALL' END AS cmd,
                    CASE WHEN pol.polroles = '{0}' THEN 'PUBLIC'
                         ELSE (SELECT string_agg(quote_ident(rolname), ', ') FROM pg_roles
                               WHERE oid = ANY (pol.polroles)) END AS roles,
                    pg_get_expr(pol.polqual, pol.polrelid) AS qual,
                    pg_get_expr(pol.polwithcheck, pol.polrelid) AS with_check
               FROM pg_policy pol WHERE pol.polrelid = source LOOP
        EXECUTE format('CREATE POLICY %I ON %s AS %s FOR %s TO %s %s %s', p.polname, target,
                       CASE WHEN p.polpermissive THEN 'PERMISSIVE' ELSE 'RESTRICTIVE' END, p.cmd, p.roles,
                       CASE WHEN p.qual IS NULL THEN '' ELSE 'USING (' || p.qual || ')' END,
                       CASE WHEN p.with_check IS NULL THEN '' ELSE 'WITH CHECK (' || p.with_check || ')' END);
    END LOOP;
    EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', target);
    EXECUTE format('ALTER TABLE %s FORCE ROW LEVEL SECURITY', target);
END $$;
CREATE FUNCTION complaint_sync_policies() RETURNS integer LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
DECLARE
    part regclass;
    n integer := 0;
BEGIN
    FOR part IN SELECT inhrelid::regclass FROM pg_inherits WHERE inhparent = 'complaint'::regclass LOOP
        PERFORM complaint_copy_policies('complaint'::regclass, part);
        n := n + 1;
    END LOOP;
    RETURN n;
END $$"""

KEY_TRIGGERS = """
CREATE FUNCTION complaint_order_no_insert() RETURNS trigger LANGUAGE plpgsql
SECURITY DEFINER SET search_path FROM CURRENT AS $$
BEGIN
    INSERT INTO complaint_order_no (order_no) SELECT order_no FROM new_rows;
    RETURN NULL;
END $$;
CREATE FUNCTION complaint_order_no_update() RETURNS trigger LANGUAGE plpgsql
SECURITY DEFINER SET search_path FROM CURRENT AS $$
BEGIN
    DELETE FROM complaint_order_no k USING (SELECT order_no FROM old_rows EXCEPT ALL
                                            SELECT order_no FROM new_rows) gone
     WHERE k.order_no = gone.order_no;
    INSERT INTO complaint_order_no (order_no)
        SELECT order_no FROM new_rows EXCEPT ALL SELECT order_no FROM old_rows;
    RETURN NULL;
END $$;
CREATE FUNCTION complaint_order_no_delete() RETURNS trigger LANGUAGE plpgsql
SECURITY DEFINER SET search_path FROM CURRENT AS $$
BEGIN
    DELETE FROM complaint_order_no k USING old_rows o WHERE k.order_no = o.order_no;
    RETURN NULL;
END $$;
CREATE FUNCTION complaint_order_no_truncate() RETURNS trigger LANGUAGE plpgsql
SECURITY DEFINER SET search_path FROM CURRENT AS $$
BEGIN
    TRUNCATE complaint_order_no;
    RETURN NULL;
END $$;
CREATE TRIGGER complaint_order_no_insert AFTER INSERT ON complaint REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION complaint_order_no_insert();
CREATE TRIGGER complaint_order_no_update AFTER UPDATE ON complaint
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION complaint_order_no_update();
CREATE TRIGGER complaint_order_no_delete AFTER DELETE ON complaint REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION complaint_order_no_delete();
CREATE TRIGGER complaint_order_no_truncate AFTER TRUNCATE ON complaint
    FOR EACH STATEMENT EXECUTE FUNCTION complaint_order_no_truncate();
"""


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    seq = bind.execute(sa.text("SELECT pg_get_serial_sequence('complaint', 'id')")).scalar()
    before = bind.execute(sa.text("SELECT count(*) FROM complaint")).scalar()
    # 1. the old table steps aside; its names are freed for the new one
    op.execute("ALTER TABLE complaint RENAME TO complaint_unpartitioned")
    for name in INDEXES:
        op.execute(f"DROP INDEX IF EXISTS {name}")
    for name in (*FOREIGN_KEYS, "uq_complaint_order_no", "pk_complaint"):
        op.execute(f"ALTER TABLE complaint_unpartitioned DROP CONSTRAINT IF EXISTS {name}")
    if seq:
        op.execute(f"ALTER SEQUENCE {seq} OWNED BY NONE")
    # 2. the partitioned table: same columns, defaults (the id sequence) and NOT NULLs
    op.execute("CREATE TABLE complaint (LIKE complaint_unpartitioned INCLUDING DEFAULTS) "
               "PARTITION BY RANGE (received_at)")
    op.execute("ALTER TABLE complaint ADD CONSTRAINT pk_complaint PRIMARY KEY (id, received_at)")
    op.execute("CREATE UNIQUE INDEX uq_complaint_order_received ON complaint (order_no, received_at)")
    for name, columns in INDEXES.items():
        op.execute(f"CREATE INDEX {name} ON complaint ({columns})")
    for name, (column, target) in FOREIGN_KEYS.items():
        op.execute(f"ALTER TABLE complaint ADD CONSTRAINT {name} FOREIGN KEY ({column}) REFERENCES {target} (id)")
    op.execute("CREATE TABLE complaint_pdefault PARTITION OF complaint DEFAULT")
    op.execute("CREATE TABLE complaint_order_no (order_no varchar(40) NOT NULL, "
               "CONSTRAINT pk_complaint_order_no PRIMARY KEY (order_no))")
    # only the owner's triggers (SECURITY DEFINER) touch it: RLS without a policy hides it from the app role
    op.execute("ALTER TABLE complaint_order_no ENABLE ROW LEVEL SECURITY")
    op.execute(KEY_TRIGGERS)
    op.execute(COPY_POLICIES)
    op.execute(ADD_MONTH)
    # the policies the table has now (0007's township_scope, or whatever a migration before this one made)
    op.execute("SELECT complaint_copy_policies('complaint_unpartitioned', 'complaint')")
    op.execute("SELECT complaint_copy_policies('complaint', 'complaint_pdefault')")
    # 3. one partition per month present, then every row across, counted
    op.execute("SELECT complaint_add_month(m) FROM (SELECT DISTINCT date_trunc('month', received_at) AS m "
               "FROM complaint_unpartitioned) months ORDER BY m")
    op.execute("INSERT INTO complaint SELECT * FROM complaint_unpartitioned")
    after = bind.execute(sa.text("SELECT count(*) FROM complaint")).scalar()
    if after != before:
        raise RuntimeError(f"complaint partitioning: {before} rows before, {after} after")
    op.execute("DROP TABLE complaint_unpartitioned")
    if seq:
        op.execute(f"ALTER SEQUENCE {seq} OWNED BY complaint.id")
    op.execute("ANALYZE complaint")


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    seq = bind.execute(sa.text("SELECT pg_get_serial_sequence('complaint', 'id')")).scalar()
    if seq:
        op.execute(f"ALTER SEQUENCE {seq} OWNED BY NONE")
    op.execute("ALTER TABLE complaint RENAME TO complaint_partitioned")
    for name in INDEXES:
        op.execute(f"DROP INDEX IF EXISTS {name}")
    op.execute("DROP INDEX IF EXISTS uq_complaint_order_received")
    for name in (*FOREIGN_KEYS, "pk_complaint"):
        op.execute(f"ALTER TABLE complaint_partitioned DROP CONSTRAINT IF EXISTS {name}")
    op.execute("CREATE TABLE complaint (LIKE complaint_partitioned INCLUDING DEFAULTS)")
    op.execute("INSERT INTO complaint SELECT * FROM complaint_partitioned")
    op.execute("SELECT complaint_copy_policies('complaint_partitioned', 'complaint')")
    op.execute("DROP TABLE complaint_partitioned CASCADE")
    op.execute("DROP TABLE complaint_order_no")
    for fn in ("complaint_add_month(timestamp)", "complaint_sync_policies()",
               "complaint_copy_policies(regclass, regclass)", "complaint_order_no_insert()",
               "complaint_order_no_update()", "complaint_order_no_delete()", "complaint_order_no_truncate()"):
        op.execute(f"DROP FUNCTION IF EXISTS {fn}")
    op.execute("ALTER TABLE complaint ADD CONSTRAINT pk_complaint PRIMARY KEY (id)")
    op.execute("ALTER TABLE complaint ADD CONSTRAINT uq_complaint_order_no UNIQUE (order_no)")
    for name, columns in INDEXES.items():
        op.execute(f"CREATE INDEX {name} ON complaint ({columns})")
    for name, (column, target) in FOREIGN_KEYS.items():
        op.execute(f"ALTER TABLE complaint ADD CONSTRAINT {name} FOREIGN KEY ({column}) REFERENCES {target} (id)")
    if seq:
        op.execute(f"ALTER SEQUENCE {seq} OWNED BY complaint.id")
