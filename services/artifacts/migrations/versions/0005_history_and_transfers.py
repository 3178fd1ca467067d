"""Append-only history of every certification, return, selection, deselection and withdrawal (R-RET-3);
each item's school of origin, so it can follow a student who transfers inside the district (R-ENR-1);
the first day of each enrolment, so data from outside it is refused (R-DATA-6).

Revision ID: 0005
Revises: 0004

Spelled out here rather than built from ``adapters.orm`` so that this revision stays what it was
when later revisions change the tables. Plain ``sa`` types: runs on PostgreSQL and SQLite.
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "artifact_history",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("school_id", sa.String(64), nullable=False),
        sa.Column("student_user_id", sa.String(64), nullable=False),
        sa.Column("artifact_kind", sa.String(16), nullable=False),
        sa.Column("artifact_id", sa.Uuid(), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("actor_user_id", sa.String(64), nullable=False),
        sa.Column("on_behalf_of", sa.String(64), nullable=True),
        sa.Column("basis", sa.String(32), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_artifact_history"),
    )
    op.create_index("ix_artifact_history_item", "artifact_history", ["artifact_kind", "artifact_id"])
    op.create_index("ix_artifact_history_school", "artifact_history", ["school_id", "at"])
    op.create_index("ix_artifact_history_student", "artifact_history", ["student_user_id", "at"])
    _append_only()
    with op.batch_alter_table("outcomes") as batch:
        batch.add_column(sa.Column("origin_school_id", sa.String(64), nullable=True))
    with op.batch_alter_table("performances") as batch:
        batch.add_column(sa.Column("origin_school_id", sa.String(64), nullable=True))
    with op.batch_alter_table("rc_enrolments") as batch:
        batch.add_column(sa.Column("admitted_on", sa.Date(), nullable=True))
    op.create_index("ix_rc_enrolments_user", "rc_enrolments", ["user_id"])
    op.execute("UPDATE outcomes SET origin_school_id = school_id")
    op.execute("UPDATE performances SET origin_school_id = school_id")
    # The standing certifications become the first history entries (who, on whose behalf, when).
    op.execute(
        "INSERT INTO artifact_history (school_id, student_user_id, artifact_kind, artifact_id, action,"
        " actor_user_id, on_behalf_of, basis, at)"
        " SELECT school_id, student_user_id, 'outcome', id, 'certified', certified_by, on_behalf_of,"
        " certification_basis, certified_at FROM outcomes"
        " WHERE certified_by IS NOT NULL AND certified_at IS NOT NULL"
    )


def _append_only() -> None:
    """The database itself refuses to change or delete a history entry (R-RET-3), whatever the code.
    PostgreSQL lets a retention job delete (R-RET-1) inside a transaction that sets
    ``portfolio.retention = 'on'``; updates are never allowed."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION artifact_history_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
            " IF TG_OP = 'DELETE' AND current_setting('portfolio.retention', true) = 'on' THEN RETURN OLD; END IF;"
            " RAISE EXCEPTION 'artifact_history is append-only (R-RET-3)'; END $$"
        )
        op.execute(
            "CREATE TRIGGER artifact_history_append_only BEFORE UPDATE OR DELETE ON artifact_history"
            " FOR EACH ROW EXECUTE FUNCTION artifact_history_append_only()"
        )
    else:
        for what in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER artifact_history_no_{what.lower()} BEFORE {what} ON artifact_history"
                " BEGIN SELECT RAISE(ABORT, 'artifact_history is append-only (R-RET-3)'); END"
            )


def downgrade() -> None:
    op.drop_index("ix_rc_enrolments_user", table_name="rc_enrolments")
    with op.batch_alter_table("rc_enrolments") as batch:
        batch.drop_column("admitted_on")
    with op.batch_alter_table("performances") as batch:
        batch.drop_column("origin_school_id")
    with op.batch_alter_table("outcomes") as batch:
        batch.drop_column("origin_school_id")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER artifact_history_append_only ON artifact_history")
        op.execute("DROP FUNCTION artifact_history_append_only()")
    op.drop_index("ix_artifact_history_student", table_name="artifact_history")
    op.drop_index("ix_artifact_history_school", table_name="artifact_history")
    op.drop_index("ix_artifact_history_item", table_name="artifact_history")
    op.drop_table("artifact_history")
