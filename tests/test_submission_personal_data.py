"""Records → submission over the real RabbitMQ: national IDs travel sealed for submission alone, and
counselling records never reach it (issue 11, design 1 of "Personal data in submission packages").

Must show: a counselling record's marker text appears in no bus message (a spy bound to ``#``) and in
no submission table, while the workbook rows carry national IDs; no national ID appears in plain text
on the bus or in any log line (R-DATA-1, R-DATA-5).
"""

from __future__ import annotations

import base64
import logging
from typing import Any

import pytest
from sqlalchemy import select, text

from portfolio_shared.events.base import envelope_for
from portfolio_shared.events.identity import ActingPersonChanged, DelegationOrderChanged, SchoolCreated
from portfolio_shared.messaging import EventConsumer, IncomingMessage
from portfolio_shared.messaging.rabbit import RabbitBus
from portfolio_shared.messaging.topology import Topology
from portfolio_shared.permissions import Permission as P
from portfolio_shared.sealing import generate_keypair
from portfolio_shared.testing.fixtures import delete_topology, eventually
from portfolio_shared.testing.harness import running
from portfolio_shared.testing.tokens import TokenMinter

pytestmark = pytest.mark.integration

SCHOOL = "sch-pd"
MARKER = "諮詢標記-ZX81-勿外流"  # counselling content that must stay in the school (R-DATA-5)
RECORDS_STAFF = [
    P.ENROLMENT_WRITE,
    P.RECORDS_READ,
    P.CADRE_WRITE,
    P.COUNSELLING_WRITE,
    P.COUNSELLING_READ,
    P.SCHEDULE_WRITE,
    P.SCHEDULE_READ,
]


def _safe_repr(value: object) -> str:
    try:
        return repr(value)
    except Exception:  # a library object whose repr fails once closed (aio-pika's OneShotCallback)
        return object.__repr__(value)


def _log_line(record: logging.LogRecord) -> str:
    """The record as it would be written, robust to arguments whose formatting raises: the message
    template and every argument are still searched for national IDs."""
    try:
        message = record.getMessage()
    except Exception:
        message = str(record.msg)
    args = record.args if isinstance(record.args, tuple) else (record.args,)
    return message + " ".join(_safe_repr(a) for a in args)


async def test_national_ids_reach_the_workbook_sealed_and_counselling_never_reaches_submission(
    make_database: Any, rabbitmq_url: str, topology: Topology, caplog: pytest.LogCaptureFixture
) -> None:
    from portfolio_records.app import create as records_app
    from portfolio_records.bootstrap import bootstrap as records_bootstrap
    from portfolio_records.config import Settings as RecordsSettings
    from portfolio_records.domain.crypto import generate_key
    from portfolio_records.domain.national_id import check_digit
    from portfolio_submission.adapters.orm import metadata as submission_tables
    from portfolio_submission.adapters.orm import rc_students
    from portfolio_submission.app import create as submission_app
    from portfolio_submission.bootstrap import bootstrap as submission_bootstrap
    from portfolio_submission.bootstrap import make_deps
    from portfolio_submission.config import Settings as SubmissionSettings
    from portfolio_submission.consumers import SUBSCRIPTIONS
    from portfolio_submission.service_layer.content import batch_content

    caplog.set_level(logging.DEBUG)
    nids = [f"A1{n:07d}" + check_digit(f"A1{n:07d}") for n in (4242, 4343)]
    private, public = generate_keypair()  # not the development pair: the configured keys are used
    minter = TokenMinter()
    common: dict[str, Any] = {
        "environment": "test",
        "broker_url": rabbitmq_url,
        "topology_prefix": topology.prefix,
        "log_json": False,
    }
    records_rt = records_bootstrap(
        RecordsSettings(
            database_url=await make_database("pd_records"),
            field_keys=f"k1:{base64.b64encode(generate_key()).decode()}",
            field_current_kid="k1",
            blind_index_key=base64.b64encode(generate_key()).decode(),
            submission_public_key=public,
            **common,
        ),
        verifier=minter.verifier(),
    )
    submission_rt = submission_bootstrap(
        SubmissionSettings(database_url=await make_database("pd_submission"), private_key=private, **common),
        verifier=minter.verifier(),
    )
    seen: list[IncomingMessage] = []
    spy = RabbitBus(rabbitmq_url, topology)

    async def keep(message: IncomingMessage) -> None:
        seen.append(message)

    await spy.subscribe("spy.pd-everything", ("#",), keep)
    staff = minter.headers("registry-1", schools={SCHOOL: [str(p) for p in RECORDS_STAFF]})
    office = minter.headers("act-head", schools={SCHOOL: [str(P.SUBMISSION_SUBMIT), str(P.SUBMISSION_READ)]})
    try:
        async with running(records_rt, records_app) as records, running(submission_rt, submission_app) as submission:
            # What identity would have told submission (identity is not part of this flow).
            for payload in (
                SchoolCreated(school_id=SCHOOL, school_code="654321", name="測試高中", district_id="d"),
                DelegationOrderChanged(school_id=SCHOOL, duty_code="cadre", responsible_user_ids=["act-head"],
                                       delegate_user_ids=[]),
                ActingPersonChanged(school_id=SCHOOL, duty_code="cadre", acting_user_id="act-head",
                                    previous_acting_user_id=None, is_delegate=False, reason="test"),
            ):  # fmt: skip
                env = envelope_for(payload, school_id=SCHOOL, actor="test")
                subs = next(s for s in SUBSCRIPTIONS if env.routing_key in s.handlers)
                consumer = EventConsumer(subs, submission_rt.uow, submission_rt.inbox)
                await consumer.handle(IncomingMessage(env.routing_key, env.to_bytes(), str(env.event_id), {}, 1))

            window = {"phase": "data_entry", "starts_at": "2000-01-01T00:00:00+08:00",
                      "ends_at": "2199-12-31T00:00:00+08:00", "self_check_at": "2199-12-30T00:00:00+08:00"}  # fmt: skip
            r = await records.put(f"/api/v1/schools/{SCHOOL}/calendar/114/1", json={"windows": [window]}, headers=staff)
            assert r.status_code == 200, r.text
            ids = []
            for n, nid in enumerate(nids, start=1):
                body = {"name": f"學生{n}", "national_id": nid, "birth_date": "2008-05-01",
                        "student_number": f"P{n:04d}", "class_name": "301", "seat_number": n,
                        "effective_on": "2025-08-01"}  # fmt: skip
                r = await records.post(f"/api/v1/schools/{SCHOOL}/students", json=body, headers=staff)
                assert r.status_code == 201, r.text
                ids.append(r.json()["id"])
                cadre = {"academic_year": 114, "semester": 1, "level": "class", "unit": "301班", "title": "班長",
                         "starts_on": "2025-09-01"}  # fmt: skip
                url = f"/api/v1/schools/{SCHOOL}/students/{ids[-1]}/cadre-records"
                assert (await records.post(url, json=cadre, headers=staff)).status_code == 201
            counselling = {"held_at": "2025-10-02T10:30:00+08:00", "place": "輔導室", "content": MARKER,
                           "opinions": MARKER}  # fmt: skip
            url = f"/api/v1/schools/{SCHOOL}/students/{ids[0]}/counselling-records"
            assert (await records.post(url, json=counselling, headers=staff)).status_code == 201

            async def sealed_copies_arrived() -> bool:
                async with submission_rt.uow() as uow:
                    rows = (await uow.session.execute(select(rc_students.c.sealed_personal_data))).scalars().all()
                return len(rows) == 2 and all(rows)

            await eventually(sealed_copies_arrived, timeout=30)

            async def counselling_published() -> bool:
                return any(m.routing_key == "records.counselling.recorded.v1" for m in seen)

            await eventually(counselling_published, timeout=30)

            async def cadres_arrived() -> bool:
                async with submission_rt.uow() as uow:
                    n = (await uow.session.execute(text("SELECT count(*) FROM rc_cadres"))).scalar_one()
                return n == 2

            await eventually(cadres_arrived, timeout=30)

            # The batch is built and checked by the activities section; the workbook rows carry the IDs.
            body = {"school_id": SCHOOL, "kind": "cadre_records", "academic_year": 114, "semester": 1}
            batch = (await submission.post("/api/v1/batches", json=body, headers=office)).json()
            r = await submission.post(
                f"/api/v1/batches/{batch['id']}/check", params={"school_id": SCHOOL}, headers=office
            )
            assert r.status_code == 200 and r.json()["status"] == "checked", r.text
            async with submission_rt.uow() as uow:
                content = await batch_content(uow, make_deps(submission_rt), batch["id"])
                dump = []
                for table in submission_tables.sorted_tables:
                    for row in (await uow.session.execute(select(table))).all():
                        dump.append(repr(tuple(row)))
            assert sorted(r["national_id"] for r in content.rows["校內幹部經歷"]) == sorted(nids)
            assert content.school_code == "654321"
    finally:
        await spy.close()
        await delete_topology(
            rabbitmq_url,
            topology,
            (
                "spy.pd-everything",
                "records.identity",
                "submission.records",
                "submission.artifacts",
                "submission.identity",
            ),
        )

    stored = "\n".join(dump)
    assert MARKER not in stored, "a counselling marker reached a submission table (R-DATA-5)"
    assert not [nid for nid in nids if nid in stored], "submission stores national IDs sealed only"
    assert seen
    for message in seen:
        wire = message.body.decode() + repr(dict(message.headers))
        assert MARKER not in wire, f"{message.routing_key} carries counselling content"
        assert not [nid for nid in nids if nid in wire], f"{message.routing_key} carries a national ID in plain text"
    assert any(m.routing_key == "records.student.enrolled.v1" and b"x25519.v1." in m.body for m in seen)
    lines = [_log_line(record) for record in caplog.records]
    assert lines and not [line for line in lines for nid in nids if nid in line], "a national ID reached a log line"
