"""Sealing and deletion across the services (R-RET-1, issue 12), over the real RabbitMQ and
PostgreSQL, with the stored files in the S3 test server (moto).

A student with a real identity account, enrolled at records, uploads a course outcome (its file in
S3); notification holds their postal address and an inbox message. The registry records the
graduation: every service seals the student (artifacts refuses uploads, selection, certification,
withdrawal citing R-RET-1; identity closes the account). A graduate of 4 years ago cannot be deleted;
one of 5 years ago is: records, artifacts (rows AND the stored object), notification (messages,
contact data) and identity (account anonymised) each delete and confirm, and records' proof of
deletion lists what went (counts and SHA-256 digests, never the data). Redelivering the request
changes nothing; the audit chains still verify.

Submission is not running here (it joins later through the same portfolio_shared.retention piece),
so records is configured to expect the four services that are.
"""

from __future__ import annotations

import asyncio
import base64
import sys
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select, text

from portfolio_artifacts.adapters.orm import files, outcomes, rc_enrolments
from portfolio_artifacts.adapters.orm import sealed_students as artifacts_sealed
from portfolio_artifacts.app import create as create_artifacts
from portfolio_artifacts.bootstrap import bootstrap as bootstrap_artifacts
from portfolio_artifacts.config import Settings as ArtifactsSettings
from portfolio_identity.adapters.orm import sealed_students as identity_sealed
from portfolio_identity.adapters.orm import users
from portfolio_identity.app import create as create_identity
from portfolio_identity.bootstrap import bootstrap as bootstrap_identity
from portfolio_notification.adapters.orm import contacts, deliveries
from portfolio_notification.adapters.orm import sealed_students as notification_sealed
from portfolio_notification.app import create as create_notification
from portfolio_notification.bootstrap import bootstrap as bootstrap_notification
from portfolio_notification.bootstrap import deps_of
from portfolio_notification.config import Settings as NotificationSettings
from portfolio_notification.domain.commands import Notify
from portfolio_notification.domain.model import Recipient, Trigger, trigger_key
from portfolio_notification.service_layer.handlers import handle
from portfolio_records.app import create as create_records
from portfolio_records.bootstrap import bootstrap as bootstrap_records
from portfolio_records.config import Settings as RecordsSettings
from portfolio_records.domain.calendar import term_of
from portfolio_records.domain.crypto import generate_key
from portfolio_records.domain.national_id import check_digit
from portfolio_records.domain.retention import add_years
from portfolio_shared.audit import verify
from portfolio_shared.messaging import OutgoingMessage, Topology
from portfolio_shared.permissions import Permission as P
from portfolio_shared.retention import digest
from portfolio_shared.service import ServiceRuntime
from portfolio_shared.testing.fixtures import delete_topology, eventually
from portfolio_shared.testing.harness import running
from portfolio_shared.testing.tokens import TokenMinter

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [
    str(ROOT / "services/identity/tests"),
    str(ROOT / "services/artifacts/tests/integration"),
]

from artifacts_world import World  # noqa: E402
from identity_support import ADMIN_LOGIN, ADMIN_PASSWORD, PASSWORD, bearer, login, settings_for  # noqa: E402

pytestmark = pytest.mark.integration

TAIPEI = ZoneInfo("Asia/Taipei")
EXPECTED = ["records", "artifacts", "notification", "identity"]
CONSUMERS = (
    "records.identity",
    "records.retention",
    "identity.records",
    "artifacts.records",
    "artifacts.identity",
    "notification.identity",
    "notification.records",
    "notification.artifacts",
    "notification.submission",
)


def _has(runtime: ServiceRuntime, query: Any) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        async with runtime.uow() as uow:
            return (await uow.session.execute(query)).first() is not None

    return check


async def _count(runtime: ServiceRuntime, query: Any) -> int:
    async with runtime.uow() as uow:
        return int((await uow.session.execute(query)).scalar_one())


async def test_graduates_are_sealed_everywhere_and_deleted_everywhere_after_five_years(
    make_database: Callable[[str], Awaitable[str]],
    rabbitmq_url: str,
    topology: Topology,
    s3_url: str,
    tmp_path: Path,
) -> None:
    minter = TokenMinter()
    common = {"broker_url": rabbitmq_url, "topology_prefix": topology.prefix}
    identity_rt = bootstrap_identity(settings_for(await make_database("ret_identity"), rabbitmq_url, topology.prefix))
    records_rt = bootstrap_records(
        RecordsSettings(
            environment="test",
            database_url=await make_database("ret_records"),
            field_keys=f"k1:{base64.b64encode(generate_key()).decode()}",
            field_current_kid="k1",
            blind_index_key=base64.b64encode(generate_key()).decode(),
            retention_expected_services=EXPECTED,
            **common,
        ),
        verifier=minter.verifier(),
    )
    artifacts_rt = bootstrap_artifacts(
        ArtifactsSettings(
            environment="test",
            database_url=await make_database("ret_artifacts"),
            storage_url=s3_url,
            verify_interval_seconds=0,
            **common,
        ),
        verifier=minter.verifier(),
    )
    notification_rt = bootstrap_notification(
        NotificationSettings(
            environment="test",
            database_url=await make_database("ret_notification"),
            eml_folder=str(tmp_path / "mail"),
            run_scheduler=False,
            **common,
        ),
        verifier=minter.verifier(),
    )
    async with (
        running(identity_rt, create_identity) as idc,
        running(records_rt, create_records) as rec,
        running(artifacts_rt, create_artifacts) as arc,
        running(notification_rt, create_notification),
    ):
        # --- a school, two student accounts (identity) -------------------------------------------
        admin = bearer((await login(idc, ADMIN_LOGIN, ADMIN_PASSWORD))["access_token"])
        r = await idc.post("/api/v1/districts", json={"code": "TPE", "name": "臺北市政府教育局"}, headers=admin)
        r = await idc.post(
            "/api/v1/schools", json={"code": "330301", "name": "School A", "district_id": r.json()["id"]}, headers=admin
        )
        school = str(r.json()["id"])
        accounts = {}
        for name in ("grad5", "grad4"):
            body = {"login_name": name, "display_name": f"王{name}", "kind": "student", "roles": ["student"],
                    "password": PASSWORD}  # fmt: skip
            r = await idc.post(f"/api/v1/schools/{school}/users", json=body, headers=admin)
            assert r.status_code == 201, r.text
            accounts[name] = str(r.json()["id"])
        user5, user4 = accounts["grad5"], accounts["grad4"]
        registrar = minter.headers(
            "registrar",
            schools={school: [str(p) for p in (P.ENROLMENT_WRITE, P.RECORDS_READ, P.RETENTION_MANAGE, P.AUDIT_READ)]},
            roles={school: ["registry"]},
        )

        # --- records: both admitted in grade 3 ---------------------------------------------------
        today = datetime.now(UTC).astimezone(TAIPEI).date()
        completed = {user5: add_years(today, -5), user4: add_years(today, -4)}
        student_ids: dict[str, str] = {}
        for n, (user, done) in enumerate(completed.items(), start=1):
            for day in (done - timedelta(days=100), done):
                term = term_of(day)
                window = {
                    "phase": "data_entry",
                    "starts_at": "2000-01-01T00:00:00+08:00",
                    "ends_at": "2199-12-31T00:00:00+08:00",
                    "self_check_at": "2199-12-30T00:00:00+08:00",
                }
                r = await rec.put(
                    f"/api/v1/schools/{school}/calendar/{term.academic_year}/{term.semester}",
                    json={"windows": [window]},
                    headers=minter.headers("dean", schools={school: [str(P.SCHEDULE_WRITE)]}),
                )
                assert r.status_code == 200, r.text
            body = {
                "name": f"王{n}",
                "national_id": _national_id(n),
                "birth_date": "2004-05-01",
                "student_number": f"S{n:05d}",
                "class_name": "301",
                "seat_number": n,
                "grade": 3,
                "effective_on": (done - timedelta(days=100)).isoformat(),
                "user_id": user,
            }
            r = await rec.post(f"/api/v1/schools/{school}/students", json=body, headers=registrar)
            assert r.status_code == 201, r.text
            student_ids[user] = str(r.json()["id"])
            r = await rec.put(
                f"/api/v1/schools/{school}/students/{student_ids[user]}/contact",
                json={"recipient": f"王{n}", "postal_code": "100", "address": "臺北市中正區重慶南路一段122號"},
                headers=registrar,
            )
            assert r.status_code == 200, r.text

        # --- artifacts: the student uploads an outcome (file in S3) before graduating -------------
        world = World(runtime=artifacts_rt, client=arc, minter=minter, school=school)
        await world.open_windows()
        await world.course("phys", ["teacher-1"], [user5], enrol=False)
        await eventually(_has(artifacts_rt, select(rc_enrolments).where(rc_enrolments.c.user_id == user5)), timeout=20)
        outcome = await world.upload_outcome(world.student(user5), "phys")
        async with artifacts_rt.uow() as uow:
            [stored] = (await uow.session.execute(select(files).where(files.c.student_user_id == user5))).all()
        assert artifacts_rt.storage is not None
        assert (await artifacts_rt.storage.stat(stored.object_key)) is not None
        # An upload started and never completed: an object under the student's prefix, no accepted row.
        orphan = f"{stored.object_key.rsplit('/', 1)[0]}/orphan-draft"
        await artifacts_rt.storage.put(orphan, b"%PDF-1.4 draft", content_type="application/pdf")

        # --- notification: the postal address arrived from records; an inbox message ---------------
        await eventually(
            _has(
                notification_rt, select(contacts).where(contacts.c.user_id == user5, contacts.c.postal_enc.is_not(None))
            ),
            timeout=20,
        )
        async with notification_rt.uow() as uow:
            note = Notify(Trigger.OBJECTION_RESOLVED, trigger_key(Trigger.OBJECTION_RESOLVED, "obj-1"), school,
                          (Recipient(user5),), {"objection_id": "obj-1"})  # fmt: skip
            await handle(note, uow, deps_of(notification_rt))
            await uow.commit()
        assert await _count(notification_rt, select(func.count()).where(deliveries.c.recipient_user_id == user5)) >= 1

        # --- graduation seals the students everywhere ----------------------------------------------
        old_token = world.student(user5)  # a token issued before the graduation
        for user, done in completed.items():
            r = await rec.post(
                f"/api/v1/schools/{school}/students/{student_ids[user]}/enrolment-changes",
                json={"change": "graduation", "effective_on": done.isoformat()},
                headers=registrar,
            )
            assert r.status_code == 201, r.text
        for runtime, table in (
            (artifacts_rt, artifacts_sealed),
            (notification_rt, notification_sealed),
            (identity_rt, identity_sealed),
        ):
            await eventually(_has(runtime, select(table).where(table.c.user_id == user5)), timeout=20)
        await eventually(
            _has(identity_rt, select(users).where(users.c.id == user5, users.c.status == "left")), timeout=20
        )

        # The account closed: identity revoked the student's tokens, and artifacts refuses the old one.
        revoked = (
            select(text("subject")).select_from(text("token_revocations")).where(text(f"subject = 'user:{user5}'"))
        )
        await eventually(_has(artifacts_rt, revoked), timeout=20)
        assert (await arc.get(f"/api/v1/outcomes/{outcome['id']}", headers=old_token)).status_code == 401
        # A token issued later (the student's data is what is sealed, not the HTTP access) meets the seal.
        await asyncio.sleep(1.1)
        student = world.student(user5)
        refusals = {
            "upload": await world.start_outcome(student, "phys", b"%PDF-1.4 more"),
            "select": await arc.put(f"/api/v1/outcomes/{outcome['id']}/selection", headers=student),
            "withdraw": await arc.post(f"/api/v1/outcomes/{outcome['id']}/withdraw", headers=student),
            "certify": await arc.post(f"/api/v1/outcomes/{outcome['id']}/certify", headers=world.teacher("teacher-1")),
        }
        for action, r in refusals.items():
            assert r.status_code == 409, (action, r.text)
            assert (r.json()["code"], r.json()["rule"]) == ("student-sealed", "R-RET-1"), action
        # Reading stays possible: sealed is read-only, not gone.
        assert (await arc.get(f"/api/v1/outcomes/{outcome['id']}", headers=student)).status_code == 200

        # --- deletion: 4 years after completion refused, 5 years accepted -----------------------------
        url = f"/api/v1/schools/{school}/retention/deletions"
        r = await rec.post(url, json={"student_ids": [student_ids[user4]]}, headers=registrar)
        assert r.status_code == 409 and (r.json()["code"], r.json()["rule"]) == ("retention-period-running", "R-RET-1")
        r = await rec.post(url, json={"student_ids": [student_ids[user5]]}, headers=registrar)
        assert r.status_code == 202, r.text
        request_id = r.json()["request_id"]
        proof_url = f"{url}/{request_id}"

        async def complete() -> bool:
            return bool((await rec.get(proof_url, headers=registrar)).json()["complete"])

        await eventually(complete, timeout=30)
        proof = (await rec.get(proof_url, headers=registrar)).json()
        by_service = {c["service"]: c for c in proof["confirmations"]}
        assert sorted(by_service) == sorted(EXPECTED) and proof["awaiting"] == []
        assert proof["requested_by"] == "registrar"
        assert proof["students"] == [{"student_id": student_ids[user5], "user_id": user5}]

        art = by_service["artifacts"]
        assert art["counts"]["outcomes"] == 1 and art["counts"]["files"] == 1
        assert art["counts"]["stored_objects"] == 2  # the accepted file and the abandoned draft
        assert art["digests"]["stored_objects"] == digest([f"{stored.object_key}:{stored.sha256}", f"{orphan}:"])
        assert art["digests"]["outcomes"] == digest([outcome["id"]])
        ntf = by_service["notification"]
        assert ntf["counts"]["contacts"] == 1 and ntf["counts"]["messages"] >= 1
        assert by_service["identity"]["counts"]["accounts"] == 1
        assert by_service["records"]["counts"]["students"] == 1
        assert all(len(h) == 64 for c in proof["confirmations"] for h in c["digests"].values())

        # The data is gone: S3 objects, rows, contact data; the account is anonymised.
        assert [o.key async for o in artifacts_rt.storage.list(stored.object_key.rsplit("/", 1)[0])] == []
        assert await _count(artifacts_rt, select(func.count()).select_from(outcomes)) == 0
        assert await _count(notification_rt, select(func.count()).where(contacts.c.user_id == user5)) == 0
        assert await _count(notification_rt, select(func.count()).where(deliveries.c.recipient_user_id == user5)) == 0
        async with identity_rt.uow() as uow:
            account = (await uow.session.execute(select(users).where(users.c.id == user5))).one()
        assert (
            account.login_name.startswith("deleted-") and account.email is None and "grad5" not in account.display_name
        )
        r = await idc.post("/api/v1/auth/login", json={"login_name": "grad5", "password": PASSWORD})
        assert r.status_code in (400, 401)
        # The other graduate is untouched (sealed, not deleted).
        assert await _count(notification_rt, select(func.count()).where(contacts.c.user_id == user4)) == 1

        # --- redelivery: the same request again changes nothing ------------------------------------------
        async with records_rt.engine.connect() as conn:
            from portfolio_records.adapters.orm import outbox

            row = (
                await conn.execute(
                    select(outbox.c.routing_key, outbox.c.body, outbox.c.event_id).where(
                        outbox.c.routing_key == "records.retention.deletion_requested.v1"
                    )
                )
            ).one()
        body = str(row.body).encode()
        await records_rt.bus.publish(OutgoingMessage(row.routing_key, body, str(row.event_id)))
        # And a fresh request event for the same students (a retry under a new id): zero counts, the
        # first confirmation of each service stands.
        fresh = body.replace(str(row.event_id).encode(), str(uuid.uuid4()).encode())
        await records_rt.bus.publish(OutgoingMessage(row.routing_key, fresh, str(uuid.uuid4())))
        await eventually(lambda: _outbox_has(artifacts_rt, "artifacts.retention.deletion_confirmed.v1", 2), timeout=20)
        again = (await rec.get(proof_url, headers=registrar)).json()
        assert again["confirmations"] == proof["confirmations"] and again["completed_at"] == proof["completed_at"]

        # --- the audit chains still verify --------------------------------------------------------------
        for runtime in (records_rt, identity_rt):
            async with runtime.engine.connect() as conn:
                report = await verify(conn)
            assert report.ok, report.broken
    await delete_topology(rabbitmq_url, topology, CONSUMERS)


async def _outbox_has(runtime: ServiceRuntime, key: str, n: int) -> bool:
    async with runtime.engine.connect() as conn:
        count = (await conn.execute(text("SELECT count(*) FROM outbox WHERE routing_key = :k"), {"k": key})).scalar()
    return int(count or 0) >= n


def _national_id(n: int) -> str:
    first_nine = f"A1{n:07d}"
    return first_nine + check_digit(first_nine)
