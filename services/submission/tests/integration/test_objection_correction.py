"""Must show (R-SUB-8, R-DUTY-2), through the service as it runs (its app, its own tables, real
PostgreSQL): an objection on grades reaches the registry's acting delegate while the registry's
responsible person is absent; the delegate's correction batch holds only that student's corrected
rows — in the same content the pre-check and the package read (``content.batch_content``)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterator, Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
import pytest_asyncio
from sqlalchemy import insert, select

from portfolio_shared.permissions import Permission as P
from portfolio_shared.sealing import DEV_SUBMISSION_PUBLIC_KEY, seal
from portfolio_shared.service import ServiceRuntime
from portfolio_shared.testing.harness import running
from portfolio_shared.testing.tokens import TokenMinter
from portfolio_submission.adapters.orm import (
    audit_log,
    batches,
    outbox,
    rc_absences,
    rc_duties,
    rc_schools,
    rc_students,
    rc_term_grades,
)
from portfolio_submission.app import create
from portfolio_submission.bootstrap import bootstrap, make_deps
from portfolio_submission.config import Settings
from portfolio_submission.domain.receipts_file import COLUMNS
from portfolio_submission.service_layer.content import batch_content

pytestmark = pytest.mark.integration

TAIPEI = ZoneInfo("Asia/Taipei")
SCHOOL = "sch-A"
STUDENTS = [("st-0", "u-0", "A100000000"), ("st-1", "u-1", "A100000011"), ("st-2", "u-2", "A100000022")]


@pytest_asyncio.fixture
async def app(
    make_database: Callable[[str], object],
    rabbitmq_url: str,
    s3_url: str,
    tmp_path_factory: pytest.TempPathFactory,
    request: pytest.FixtureRequest,
) -> AsyncIterator[tuple[ServiceRuntime, httpx.AsyncClient, TokenMinter]]:
    name = "subrc_obj_" + "".join(ch for ch in request.node.name if ch.isalnum())[:40]
    url: str = await make_database(name)  # type: ignore[misc]
    minter = TokenMinter()
    settings = Settings(
        environment="test",
        database_url=url,
        broker_url=rabbitmq_url,
        storage_url=s3_url,
        central_adapter="manual",  # receipts come as files here
        sending_worker=False,
        package_key_file=str(tmp_path_factory.mktemp("keys") / "package.key"),
        receipt_close_poll_seconds=0,
    )
    runtime = bootstrap(settings, verifier=minter.verifier())
    async with running(runtime, create) as client:
        yield runtime, client, minter


async def _seed(runtime: ServiceRuntime, *, left: str | None = None) -> None:
    now = datetime.now(UTC)
    today = now.astimezone(TAIPEI).date()
    async with runtime.uow() as uow:
        s = uow.session
        await s.execute(
            insert(rc_schools).values(school_id=SCHOOL, school_code="123456", name="示範高中", event_at=now)
        )
        for seat, (sid, uid, nid) in enumerate(STUDENTS, start=1):
            sealed = seal(
                DEV_SUBMISSION_PUBLIC_KEY,
                {"national_id": nid, "name": f"學生{seat}", "birth_date": "2009-01-0" + str(seat)},
                context=f"{SCHOOL}/{sid}",
            )
            await s.execute(
                insert(rc_students).values(
                    school_id=SCHOOL, student_id=sid, user_id=uid, grade=2, class_name="201", seat_number=seat,
                    status="left" if sid == left else "enrolled", status_since=date(2024, 8, 1),
                    enrolled_on=date(2024, 8, 1), left_on=date(2026, 1, 31) if sid == left else None,
                    sealed_personal_data=sealed, event_at=now,
                )
            )  # fmt: skip
            grades = [
                {"course_code": code, "subject_name": name, "credits": 2, "score": "80", "passed": True}
                for code, name in (("M1", "數學"), ("E1", "英文"))
            ]
            await s.execute(
                insert(rc_term_grades).values(
                    school_id=SCHOOL, student_id=sid, academic_year=114, semester=1, grades=grades, event_at=now
                )
            )
        # the registry's grades duty: reg-1 responsible (absent today), reg-2 its delegate, acting now
        await s.execute(
            insert(rc_duties).values(
                school_id=SCHOOL, duty_code="grades", responsible_user_ids=["reg-1"], delegate_user_ids=["reg-2"],
                order_event_at=now, acting_user_id="reg-2", acting_is_delegate=True, acting_event_at=now,
            )
        )  # fmt: skip
        await s.execute(
            insert(rc_absences).values(
                absence_key="abs-1", school_id=SCHOOL, user_id="reg-1", starts_on=today - timedelta(days=1),
                ends_on=today + timedelta(days=10), cleared=False, event_at=now,
            )
        )  # fmt: skip
        await s.execute(
            insert(batches).values(
                id="00000000-0000-0000-0000-0000000000b1", school_id=SCHOOL, kind="grades", academic_year=114,
                semester=1, status="accepted", version=5, label="114-1 成績", created_by="reg-1", created_at=now,
                updated_at=now, submitted_by="reg-1", submitted_at=now, idempotency_key="batch-b1",
            )
        )  # fmt: skip
        await uow.commit()


def _receipt_csv(wrong: tuple[str, str]) -> bytes:
    """The central database's receipt as the emulator's workbook lists it (rows 2.. in package order)."""
    lines = [",".join(COLUMNS)]
    row = 2
    for sid, _, nid in STUDENTS:
        for code, name in (("M1", "數學"), ("E1", "英文")):
            summary = f"{name} / {'M9' if (sid, code) == wrong else code}"
            lines.append(
                ",".join(["123456", "114", "1", "學生成績名冊", nid, "學期成績", str(row), summary, "", "", "", ""])
            )
            row += 1
    return ("\ufeff" + "\r\n".join(lines)).encode()


async def test_objection_on_grades_reaches_the_delegate_and_the_correction_batch_holds_only_that_students_row(
    app: tuple[ServiceRuntime, httpx.AsyncClient, TokenMinter],
) -> None:
    runtime, client, minter = app
    await _seed(runtime)
    batch_id = "00000000-0000-0000-0000-0000000000b1"
    registry = minter.headers("reg-2", schools={SCHOOL: [P.RECEIPT_IMPORT, P.SUBMISSION_READ, P.OBJECTION_RESOLVE]})
    r = await client.post(
        f"/api/v1/batches/{batch_id}/receipt/file",
        headers=registry,
        files={"file": ("收訖明細.csv", _receipt_csv(("st-1", "E1")), "text/csv")},
    )
    assert r.status_code == 201, r.text
    receipt = r.json()
    assert receipt["counts"] == {"received_identical": 5, "received_different": 1, "missing": 0, "not_ours": 0}
    guidance = minter.headers("g-1", schools={SCHOOL: [P.RECEIPT_COMPLETE, P.SUBMISSION_READ]})
    today = datetime.now(UTC).astimezone(TAIPEI).date()
    r = await client.post(
        f"/api/v1/receipts/{receipt['id']}/window",
        json={"first_day": str(today), "last_day": str(today + timedelta(days=2))},
        headers=guidance,
    )
    assert r.status_code == 200, r.text
    student = minter.headers("u-1", schools={SCHOOL: [P.RECEIPT_CONFIRM, P.OBJECTION_RAISE]}, kind="student")
    mine = (await client.get(f"/api/v1/me/receipts/{receipt['id']}", headers=student)).json()
    assert [(i["summary"], i["status"]) for i in mine["items"]] == [
        ("數學 / M1", "received_identical"),
        ("英文 / E1", "received_different"),
    ]
    wrong = mine["items"][1]
    r = await client.post(
        f"/api/v1/me/receipts/{receipt['id']}/objections",
        json={"item_ids": [wrong["id"]], "reason": "英文成績科目代碼錯誤"},
        headers=student,
    )
    assert r.status_code == 201, r.text
    objection = r.json()
    assert (objection["routed_to"], objection["routed_is_delegate"], objection["on_behalf_of"]) == (
        "reg-2",
        True,
        "reg-1",
    )
    async with runtime.uow() as uow:
        (body,) = (
            await uow.session.execute(
                select(outbox.c.body).where(outbox.c.routing_key == "submission.objection.raised.v1")
            )
        ).scalars()
    raised = json.loads(body)["payload"]
    assert raised["acting_user_id"] == "reg-2" and raised["kind"] == "grades" and raised["on_behalf_of"] == "reg-1"
    assert "A100000011" not in body
    # the absent responsible person may not resolve; the acting delegate corrects
    absent = minter.headers("reg-1", schools={SCHOOL: [P.OBJECTION_RESOLVE]})
    r = await client.post(f"/api/v1/objections/{objection['id']}/correction", json={}, headers=absent)
    assert r.status_code == 409 and r.json()["rule"] == "R-DUTY-2"
    r = await client.post(
        f"/api/v1/objections/{objection['id']}/correction", json={"note": "科目代碼已更正"}, headers=registry
    )
    assert r.status_code == 200, r.text
    corrected = r.json()
    correction_id = corrected["correction_batch_id"]
    assert corrected["status"] == "corrected" and corrected["resolved_on_behalf_of"] == "reg-1" and correction_id
    async with runtime.uow() as uow:
        batch = (await uow.session.execute(select(batches).where(batches.c.id == correction_id))).mappings().one()
        assert (batch["kind"], batch["academic_year"], batch["semester"], batch["status"]) == (
            "grades",
            114,
            1,
            "draft",
        )
        content = await batch_content(uow, make_deps(runtime), correction_id)
        original = await batch_content(uow, make_deps(runtime), batch_id)
        audit = (
            (await uow.session.execute(select(audit_log.c.action).where(audit_log.c.entity_id == correction_id)))
            .scalars()
            .all()
        )
    assert sum(len(r) for r in original.rows.values()) == 6
    (only,) = content.rows["學期成績"]
    assert only["national_id"] == "A100000011" and only["course_code"] == "E1"
    assert list(content.rows) == ["學期成績"] and content.student_ids == ["st-1"]
    assert audit == ["batch.correction_created"]
    async with runtime.uow() as uow:
        trail = (
            await uow.session.execute(select(audit_log.c.action, audit_log.c.actor).order_by(audit_log.c.seq))
        ).all()
    assert [tuple(t) for t in trail] == [
        ("receipt.imported", "reg-2"),
        ("receipt.window_announced", "g-1"),
        ("batch.correction_created", "reg-2"),
        ("objection.corrected", "reg-2"),
    ]


async def _receipt_with_window(client: httpx.AsyncClient, minter: TokenMinter) -> dict[str, Any]:
    registry = minter.headers("reg-2", schools={SCHOOL: [P.RECEIPT_IMPORT]})
    r = await client.post(
        "/api/v1/batches/00000000-0000-0000-0000-0000000000b1/receipt/file",
        headers=registry,
        files={"file": ("r.csv", _receipt_csv(("none", "")), "text/csv")},
    )
    assert r.status_code == 201, r.text
    today = datetime.now(UTC).astimezone(TAIPEI).date()
    r = await client.post(
        f"/api/v1/receipts/{r.json()['id']}/window",
        json={"first_day": str(today), "last_day": str(today + timedelta(days=3))},
        headers=minter.headers("g-1", schools={SCHOOL: [P.RECEIPT_COMPLETE]}),
    )
    assert r.status_code == 200, r.text
    receipt: dict[str, Any] = r.json()
    return receipt


async def test_a_student_whose_enrolment_ended_is_written_to_and_answers_by_post(
    app: tuple[ServiceRuntime, httpx.AsyncClient, TokenMinter],
) -> None:
    runtime, client, minter = app
    await _seed(runtime, left="st-2")  # records said: st-2 left the school (EnrolmentChanged "leaving")
    receipt = await _receipt_with_window(client, minter)
    async with runtime.uow() as uow:
        rows = (
            (
                await uow.session.execute(
                    select(outbox.c.body).where(outbox.c.routing_key == "submission.receipt.letter_requested.v1")
                )
            )
            .scalars()
            .all()
        )
    (letter,) = [json.loads(b)["payload"] for b in rows]
    assert letter["student_user_id"] == "u-2" and [i["summary"] for i in letter["items"]] == ["數學 / M1", "英文 / E1"]
    assert "A100000022" not in rows[0]
    gone = minter.headers("u-2", schools={SCHOOL: [P.RECEIPT_CONFIRM]}, kind="student")
    r = await client.post(f"/api/v1/me/receipts/{receipt['id']}/confirmation", headers=gone)
    assert r.status_code == 409 and r.json()["rule"] == "R-SUB-9"
    today = datetime.now(UTC).astimezone(TAIPEI).date()
    r = await client.post(
        f"/api/v1/receipts/{receipt['id']}/students/u-2/mailed-answer",
        json={"answer": "confirmed", "letter_dated": str(today)},
        headers=minter.headers("g-1", schools={SCHOOL: [P.RECEIPT_COMPLETE]}),
    )
    assert r.status_code == 200 and (r.json()["channel"], r.json()["recorded_by"]) == ("post", "g-1")
    async with runtime.uow() as uow:
        (entry,) = (
            (await uow.session.execute(select(audit_log).where(audit_log.c.action == "receipt.mailed_answer_recorded")))
            .mappings()
            .all()
        )
    assert entry["actor"] == "g-1" and entry["details"] == {
        "student_user_id": "u-2",
        "answer": "confirmed",
        "letter_dated": str(today),
    }


async def test_an_objection_carries_a_file_uploaded_straight_to_storage(
    app: tuple[ServiceRuntime, httpx.AsyncClient, TokenMinter],
) -> None:
    runtime, client, minter = app
    await _seed(runtime)
    receipt = await _receipt_with_window(client, minter)
    student = minter.headers("u-0", schools={SCHOOL: [P.RECEIPT_CONFIRM, P.OBJECTION_RAISE]}, kind="student")
    url = f"/api/v1/me/receipts/{receipt['id']}/objection-attachments"
    r = await client.post(url, json={"content_type": "application/zip", "size": 10}, headers=student)
    assert r.status_code == 422
    r = await client.post(url, json={"content_type": "application/pdf", "size": 4 * 1024 * 1024 + 1}, headers=student)
    assert r.status_code == 422
    body = b"%PDF-1.4 my certificate"
    r = await client.post(url, json={"content_type": "application/pdf", "size": len(body)}, headers=student)
    assert r.status_code == 201, r.text
    upload = r.json()
    assert upload["attachment_key"].startswith(f"objections/{receipt['id']}/u-0/")
    items = (await client.get(f"/api/v1/me/receipts/{receipt['id']}", headers=student)).json()["items"]
    objection_url = f"/api/v1/me/receipts/{receipt['id']}/objections"
    # not uploaded yet: refused, nothing recorded
    r = await client.post(
        objection_url,
        json={"item_ids": [items[0]["id"]], "reason": "證書未收到", "attachment_key": upload["attachment_key"]},
        headers=student,
    )
    assert r.status_code == 422 and r.json()["field"] == "attachment_key"
    async with httpx.AsyncClient() as s3:
        put = await s3.request(upload["method"], upload["url"], content=body, headers=upload["headers"])
    assert put.status_code in (200, 204), put.text
    # another student's key is refused
    other = minter.headers("u-1", schools={SCHOOL: [P.RECEIPT_CONFIRM, P.OBJECTION_RAISE]}, kind="student")
    theirs = (await client.get(f"/api/v1/me/receipts/{receipt['id']}", headers=other)).json()["items"][0]["id"]
    r = await client.post(
        objection_url,
        json={"item_ids": [theirs], "reason": "x", "attachment_key": upload["attachment_key"]},
        headers=other,
    )
    assert r.status_code == 422 and r.json()["field"] == "attachment_key"
    r = await client.post(
        objection_url,
        json={"item_ids": [items[0]["id"]], "reason": "證書未收到", "attachment_key": upload["attachment_key"]},
        headers=student,
    )
    assert r.status_code == 201, r.text
    assert r.json()["attachment_sha256"] == hashlib.sha256(body).hexdigest()
