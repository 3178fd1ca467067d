"""The standalone shape: the identity service on a SQLite file with the in-process bus (no servers)."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from identity_support import ADMIN_LOGIN, ADMIN_PASSWORD, bearer, build_world, login, settings_for

from portfolio_identity.app import create
from portfolio_identity.bootstrap import bootstrap
from portfolio_shared.events import Envelope
from portfolio_shared.events.identity import ActingPersonChanged
from portfolio_shared.messaging import IncomingMessage
from portfolio_shared.testing.fixtures import eventually
from portfolio_shared.testing.harness import running
from portfolio_shared.testing.jobs import job_outcome


async def test_identity_runs_on_sqlite_with_the_in_process_bus(tmp_path: Path) -> None:
    settings = settings_for(
        f"sqlite+aiosqlite:///{tmp_path / 'identity.db'}", f"sqlite+aiosqlite:///{tmp_path / 'bus.db'}"
    )
    runtime = bootstrap(settings)
    seen: list[ActingPersonChanged] = []

    async def handler(message: IncomingMessage) -> None:
        payload = Envelope.from_bytes(message.body).decode()
        assert isinstance(payload, ActingPersonChanged)
        seen.append(payload)

    async with running(runtime, create) as client:
        await runtime.bus.subscribe("identity.sqlite_test", (ActingPersonChanged.routing_key(),), handler)
        world = await build_world(client)
        a = world.school("A")
        registry = world.users["a-registry"]
        r = await client.post(
            f"/api/v1/schools/{a}/users/{registry}/absences",
            json={"starts_on": str(date.today()), "ends_on": str(date.today() + timedelta(days=1))},
            headers=world.headers["a-director"],
        )
        assert r.status_code == 201, r.text

        async def delegate_acts() -> bool:
            return any(e.duty_code == "grades" and e.acting_user_id == world.users["a-clerk"] for e in seen)

        await eventually(delegate_acts, timeout=15)

        csv = ("帳號,姓名,身分別,角色,狀態,學校代碼\ns1,學生一,學生,,在學,330301\n").encode("big5")
        r = await job_outcome(  # 202 with a job, run by the in-process runner on SQLite
            client,
            await client.post(
                f"/api/v1/schools/{a}/sis-sync", files={"file": ("x.csv", csv)}, headers=world.headers["a-it"]
            ),
            world.headers["a-it"],
        )
        assert r.status_code == 200 and r.json()["counts"]["created"] == 1 and r.json()["encoding"] == "big5"

        old = (await login(client, "a-it"))["access_token"]
        admin = bearer((await login(client, ADMIN_LOGIN, ADMIN_PASSWORD))["access_token"])
        assert (await client.post("/api/v1/keys/rotate", headers=admin)).status_code == 200
        assert (await client.get("/api/v1/auth/me", headers=bearer(old))).status_code == 200
        assert len((await client.get("/.well-known/jwks.json")).json()["keys"]) == 2
