"""Alembic glue shared by every service's ``migrations/env.py``, and a programmatic upgrade.

Start-up order of a service: wait for the database, ``alembic upgrade head``, then serve.

On PostgreSQL a migration run holds a transaction-level advisory lock (issue 14): every new pod runs
the migration in an init container, so of many starting at once one migrates and the others wait and
then find the schema at head. Given a runtime role (``PORTFOLIO_RUNTIME_ROLE``, or ``upgrade(...,
runtime_role=)``) the run ends by granting it row access to every table (``dbroles.runtime_grants``)
in the same transaction.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from alembic import command, context
from alembic.config import Config
from sqlalchemy import MetaData, pool
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import async_engine_from_config

from .dbroles import runtime_grants

# pg_advisory_xact_lock key of the migration (advisory locks are per database): "portfolio-migrate".
MIGRATION_LOCK_KEY = 0x706F7274666F6C69


def run_env(target_metadata: MetaData) -> None:
    """Body of a service's ``migrations/env.py``."""
    config = context.config
    url = config.get_main_option("sqlalchemy.url") or os.environ.get("PORTFOLIO_DATABASE_URL", "")
    if not url:
        raise RuntimeError("set sqlalchemy.url or PORTFOLIO_DATABASE_URL")
    batch = url.startswith("sqlite")
    runtime_role = config.attributes.get("runtime_role") or os.environ.get("PORTFOLIO_RUNTIME_ROLE", "")
    if context.is_offline_mode():
        context.configure(url=url, target_metadata=target_metadata, literal_binds=True, render_as_batch=batch)
        with context.begin_transaction():
            context.run_migrations()
        return

    def do_run(connection: Connection) -> None:
        context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=batch)
        postgres = connection.dialect.name == "postgresql"
        with context.begin_transaction():
            if postgres:  # one migrating pod at a time; the others then find nothing to do
                connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK_KEY})")
            context.run_migrations()
            if postgres and runtime_role:
                for statement in runtime_grants(runtime_role):
                    connection.exec_driver_sql(statement)

    async def run_async() -> None:
        engine = async_engine_from_config({"sqlalchemy.url": url}, prefix="sqlalchemy.", poolclass=pool.NullPool)
        async with engine.connect() as connection:
            await connection.run_sync(do_run)
        await engine.dispose()

    asyncio.run(run_async())


def alembic_config(service_dir: Path, database_url: str) -> Config:
    cfg = Config(str(service_dir / "alembic.ini"))
    cfg.set_main_option("script_location", str(service_dir / "migrations"))
    cfg.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return cfg


def upgrade(service_dir: Path, database_url: str, revision: str = "head", *, runtime_role: str = "") -> None:
    """Blocking; from async code call it with ``asyncio.to_thread``. ``runtime_role``: see the module doc."""
    if database_url.startswith("sqlite"):
        db_path = database_url.split(":///", 1)[-1]
        if db_path and db_path != ":memory:":
            Path(db_path).parent.mkdir(parents=True, exist_ok=True)
    config = alembic_config(service_dir, database_url)
    if runtime_role:
        config.attributes["runtime_role"] = runtime_role
    command.upgrade(config, revision)


def create_messaging_tables() -> None:
    """For a service's first migration: the outbox and inbox, version 1.

    Frozen history, written out rather than built from :mod:`.messaging.tables`: a later change to
    those tables is a new revision in every service (tests/test_migrations.py catches drift).
    Constraint names follow the services' naming convention.
    """
    import sqlalchemy as sa
    from alembic import op

    big_id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
    now = sa.text("CURRENT_TIMESTAMP")
    op.create_table(
        "outbox",
        sa.Column("id", big_id, primary_key=True, autoincrement=True),
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("routing_key", sa.String(200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("headers", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=now),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default=sa.text("0")),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_outbox"),
        sa.UniqueConstraint("event_id", name="uq_outbox_event_id"),
    )
    pending = sa.text("published_at IS NULL")
    op.create_index("ix_outbox_pending", "outbox", ["id"], postgresql_where=pending, sqlite_where=pending)
    op.create_table(
        "inbox",
        sa.Column("consumer", sa.String(200), nullable=False),
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("routing_key", sa.String(200), nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=False, server_default=now),
        sa.PrimaryKeyConstraint("consumer", "event_id", name="pk_inbox"),
    )


def drop_messaging_tables() -> None:
    from alembic import op

    op.drop_table("inbox")
    op.drop_table("outbox")


def create_revocation_table() -> None:
    """For each service's revision that adds ``token_revocations`` (ASVS V7), version 1.

    Frozen history like :func:`create_messaging_tables`: written out, not built from
    :mod:`.revocation`, so that a later change is a new revision.
    """
    import sqlalchemy as sa
    from alembic import op

    op.create_table(
        "token_revocations",
        sa.Column("subject", sa.String(200), nullable=False),
        sa.Column("not_before", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.String(50), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("subject", name="pk_token_revocations"),
    )
    op.create_index("ix_token_revocations_recorded_at", "token_revocations", ["recorded_at"])


def drop_revocation_table() -> None:
    from alembic import op

    op.drop_index("ix_token_revocations_recorded_at", table_name="token_revocations")
    op.drop_table("token_revocations")
