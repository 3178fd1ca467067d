"""Issue 14: one least-privilege database role per service, on the real PostgreSQL.

deploy/postgres/roles.sql (portfolio_shared.dbroles) creates a migration role owning the database and
a runtime role; the migration grants the runtime role row access. The runtime role reads and writes
rows (a whole service runs on it) but cannot CREATE, ALTER or DROP; the migration can be re-applied;
two migrations at once (pods starting together) serialise on the advisory lock."""

from __future__ import annotations

import asyncio
import secrets
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import pytest
import pytest_asyncio

from portfolio_identity.app import create as create_identity
from portfolio_identity.bootstrap import SERVICE_DIR as IDENTITY_DIR
from portfolio_identity.bootstrap import bootstrap as bootstrap_identity
from portfolio_identity.config import Settings as IdentitySettings
from portfolio_shared import dbroles
from portfolio_shared.messaging import Topology
from portfolio_shared.migrations import upgrade
from portfolio_shared.testing.fixtures import delete_topology
from portfolio_shared.testing.harness import running

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "role-test-" + secrets.token_hex(8)


@dataclass
class Roles:
    database: str
    migrator: str
    runtime: str
    admin_dsn: str

    def url(self, role: str) -> str:
        """asyncpg URL of this database as ``role`` (password set, so trust or scram both work)."""
        base = self.admin_dsn.replace("postgresql://", "")
        host = base.split("@", 1)[-1].rsplit("/", 1)[0]
        return f"postgresql+asyncpg://{role}:{PASSWORD}@{host}/{self.database}"

    async def connect(self, role: str) -> asyncpg.Connection:
        return await asyncpg.connect(self.url(role).replace("postgresql+asyncpg://", "postgresql://"))


@pytest_asyncio.fixture
async def roles(postgres_admin_url: str) -> AsyncIterator[Roles]:
    """The generated bootstrap for a fresh service name (roles are cluster-wide: unique per test)."""
    name = f"t{secrets.token_hex(4)}"
    admin_dsn = postgres_admin_url.replace("+asyncpg", "")
    made = Roles(name, dbroles.migration_role(name), dbroles.runtime_role(name), admin_dsn)
    admin = await asyncpg.connect(made.admin_dsn)
    try:
        for statement in dbroles.cluster_statements(made.database, made.migrator, made.runtime):
            await admin.execute(statement)
        for role in (made.migrator, made.runtime):
            await admin.execute(f"ALTER ROLE {role} PASSWORD '{PASSWORD}'")
        yield made
    finally:
        await admin.execute(f"DROP DATABASE IF EXISTS {made.database} WITH (FORCE)")
        await admin.execute(f"DROP ROLE IF EXISTS {made.runtime}")
        await admin.execute(f"DROP ROLE IF EXISTS {made.migrator}")
        await admin.close()


async def _migrate(roles: Roles) -> None:
    await asyncio.to_thread(upgrade, IDENTITY_DIR, roles.url(roles.migrator), runtime_role=roles.runtime)


async def _migrate_in_a_process(roles: Roles) -> int:
    """What one pod's init container does (alembic keeps process-wide state: one process per run)."""
    code = (
        "import sys; from pathlib import Path; from portfolio_shared.migrations import upgrade; "
        "upgrade(Path(sys.argv[1]), sys.argv[2], runtime_role=sys.argv[3])"
    )
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", code, str(IDENTITY_DIR), roles.url(roles.migrator), roles.runtime
    )
    return await asyncio.wait_for(proc.wait(), 120)


async def test_the_runtime_role_writes_rows_but_cannot_change_the_schema(roles: Roles) -> None:
    await _migrate(roles)
    conn = await roles.connect(roles.runtime)
    try:
        # DML on a service table and the outbox
        await conn.execute(
            "INSERT INTO outbox (event_id, routing_key, body, headers)"
            " VALUES (gen_random_uuid(), 'x.y.z.v1', '{}', '{}')"
        )
        assert await conn.fetchval("SELECT count(*) FROM outbox") == 1
        await conn.execute("UPDATE outbox SET routing_key = 'x.y.w.v1'")
        await conn.execute("DELETE FROM outbox")
        assert await conn.fetchval("SELECT count(*) FROM outbox") == 0
        assert await conn.fetchval("SELECT version_num FROM alembic_version")
        refused = [
            "CREATE TABLE intruder (id int)",
            "ALTER TABLE outbox ADD COLUMN intruder int",
            "DROP TABLE outbox",
            "CREATE INDEX intruder ON outbox (routing_key)",
            "TRUNCATE outbox",
            "UPDATE alembic_version SET version_num = 'x'",
            "DELETE FROM alembic_version",
        ]
        for statement in refused:
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await conn.execute(statement)
    finally:
        await conn.close()
    # The migration role did the DDL and owns every table.
    admin = await roles.connect(roles.migrator)
    try:
        tables = await admin.fetch("SELECT tableowner FROM pg_tables WHERE schemaname = 'public'")
        owners = {r["tableowner"] for r in tables}
        assert owners == {roles.migrator}
    finally:
        await admin.close()


async def test_no_other_role_may_connect(roles: Roles, postgres_admin_url: str) -> None:
    """REVOKE ALL ON DATABASE … FROM PUBLIC: another service's runtime role cannot even connect."""
    other = f"t{secrets.token_hex(4)}_app"
    admin = await asyncpg.connect(roles.admin_dsn)
    try:
        await admin.execute(f"CREATE ROLE {other} LOGIN PASSWORD '{PASSWORD}'")
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await (await roles.connect(other)).close()
    finally:
        await admin.execute(f"DROP ROLE {other}")
        await admin.close()


async def test_two_pods_migrating_at_once_and_a_reapply_both_succeed(roles: Roles) -> None:
    """Init containers of several new pods run the migration together: the advisory lock lets one
    migrate and the others find the head; running it again later (a new image) changes nothing."""
    results = await asyncio.gather(*(_migrate_in_a_process(roles) for _ in range(3)))
    assert results == [0, 0, 0]
    await _migrate(roles)
    conn = await roles.connect(roles.migrator)
    try:
        heads = await conn.fetch("SELECT version_num FROM alembic_version")
        assert len(heads) == 1
    finally:
        await conn.close()


async def test_a_whole_service_runs_on_its_runtime_role(roles: Roles, rabbitmq_url: str, topology: Topology) -> None:
    """Identity migrated by its migration role, then started, signing keys created and an administrator
    signed in with the runtime role only (its startup and sign-in write rows in several tables)."""
    await _migrate(roles)
    settings = IdentitySettings(
        environment="test",
        database_url=roles.url(roles.runtime),
        broker_url=rabbitmq_url,
        topology_prefix=topology.prefix,
        key_encryption_secret="roles-test-key-encryption-secret",
        bootstrap_admin_login="root-admin",
        bootstrap_admin_password="correct horse battery staple",
        key_activation_delay_seconds=0,
        log_json=False,
    )
    try:
        async with running(bootstrap_identity(settings), create_identity) as client:
            r = await client.post(
                "/api/v1/auth/login", json={"login_name": "root-admin", "password": "correct horse battery staple"}
            )
            assert r.status_code == 200, r.text
            assert (await client.get("/.well-known/jwks.json")).json()["keys"]
    finally:
        await delete_topology(rabbitmq_url, topology)  # identity declared every queue of the platform


def test_the_operators_sql_is_the_generated_one() -> None:
    """deploy/postgres/roles.sql names every service with a database (python -m portfolio_shared.dbroles --write)."""
    services = dbroles.services_in(ROOT)
    assert {"identity", "records", "artifacts"} <= set(services)
    assert (ROOT / dbroles.SQL_FILE).read_text(encoding="utf-8") == dbroles.render(services)


def test_role_names_are_plain_identifiers() -> None:
    assert dbroles.checked("records_app") == "records_app"
    for bad in ("Records", "a;drop", "x y", "", "1abc", "a" * 64):
        with pytest.raises(ValueError):
            dbroles.checked(bad)
