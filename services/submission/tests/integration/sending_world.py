"""A world for sending's integration tests: the submission service on real PostgreSQL, RabbitMQ and
moto S3, the central-database emulator as its own process, and a school whose read copies hold
students (national IDs sealed by records' key), certified and selected outcomes with their files in
object storage, and the IT section's acting person. A batch is put straight into ``ready`` (what
the core's submit does after a clean pre-check) so these tests exercise sending alone."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx
from sqlalchemy import insert, select

from portfolio_central.testing import EmulatorProcess
from portfolio_shared.permissions import Permission
from portfolio_shared.sealing import DEV_SUBMISSION_PUBLIC_KEY, seal
from portfolio_shared.service import ServiceRuntime
from portfolio_shared.testing.tokens import TokenMinter
from portfolio_submission.adapters.central_tables import batch_sendings
from portfolio_submission.adapters.orm import batches, outbox, rc_courses, rc_duties, rc_items, rc_schools, rc_students
from portfolio_submission.service_layer.sending import SendingDeps

SCHOOL, SCHOOL_CODE, YEAR = "sch-A", "999001", 114
TAIPEI = dt.timezone(dt.timedelta(hours=8))
OFFICE = "it1"  # the IT section's acting person: submits course outcomes (R-SUB-4)


def national_id(n: int) -> str:
    from portfolio_central.samples import national_id as sample

    return sample(n)


def pdf(n: int, size: int = 3000) -> bytes:
    return b"%PDF-1.4\n" + (f"outcome {n} ".encode() * size)[: size - 9]


@dataclass
class SendWorld:
    runtime: ServiceRuntime
    client: httpx.AsyncClient
    minter: TokenMinter
    emulator: EmulatorProcess
    sending: SendingDeps
    objects: dict[str, bytes] = field(default_factory=dict)

    def headers(self, user: str = OFFICE, school: str = SCHOOL, perms: list[str] | None = None) -> dict[str, str]:
        granted = perms if perms is not None else [Permission.SUBMISSION_READ, Permission.SUBMISSION_SUBMIT]
        return self.minter.headers(user, schools={school: granted}, roles={school: ["staff"]}, kind="staff")

    def open_window(self, kind: str = "course_outcomes", semester: int = 0) -> None:
        now = dt.datetime.now(TAIPEI)
        body = {
            "kind": kind,
            "academic_year": YEAR,
            "semester": semester,
            "opens_at": (now - dt.timedelta(days=1)).isoformat(),
            "closes_at": (now + dt.timedelta(days=1)).isoformat(),
        }
        assert self.emulator.admin("POST", "/windows", json=body).status_code == 201

    def accepted_count(self) -> int:
        return int(httpx.get(self.emulator.url + "/healthz", timeout=5).json()["accepted"])

    def submissions(self, kind: str = "course_outcomes") -> list[dict[str, Any]]:
        r = httpx.get(f"{self.emulator.url}/api/v1/packages/{SCHOOL_CODE}/{kind}/{YEAR}/0", timeout=5)
        return r.json()["submissions"]  # type: ignore[no-any-return]

    async def seed_school(
        self, students: int = 3, outcomes: int = 2, *, bad_id: int | None = None, file_size: int = 3000
    ) -> list[str]:
        """Read copies as the consumers would keep them; returns the outcome ids."""
        now = dt.datetime.now(dt.UTC)
        assert self.runtime.storage is not None
        item_ids: list[str] = []
        async with self.runtime.uow() as uow:
            s = uow.session
            await s.execute(
                insert(rc_schools).values(school_id=SCHOOL, school_code=SCHOOL_CODE, name="示範高中", event_at=now)
            )
            await s.execute(
                insert(rc_duties).values(
                    school_id=SCHOOL, duty_code="outcome_submission", responsible_user_ids=[OFFICE],
                    delegate_user_ids=["it2"], acting_user_id=OFFICE, acting_is_delegate=False,
                    acting_event_at=now, order_event_at=now,
                )
            )  # fmt: skip
            await s.execute(
                insert(rc_courses).values(
                    course_id="c-phys", school_id=SCHOOL, academic_year=YEAR, semester=1, course_code="114999001PHY01",
                    subject_name="物理", credits=2, event_at=now,
                )
            )  # fmt: skip
            for n in range(students):
                sid = f"stu-{n}"
                nid = "A123456788" if n == bad_id else national_id(n)
                sealed = seal(
                    DEV_SUBMISSION_PUBLIC_KEY,
                    {"national_id": nid, "birth_date": f"2008-05-0{n % 9 + 1}", "name": f"學生{n}"},
                    context=f"{SCHOOL}/{sid}",
                )
                await s.execute(
                    insert(rc_students).values(
                        school_id=SCHOOL, student_id=sid, user_id=f"user-{n}", grade=2, class_name="201",
                        seat_number=n + 1, status="enrolled", enrolled_on=dt.date(2024, 8, 1),
                        sealed_personal_data=sealed, event_at=now,
                    )
                )  # fmt: skip
                for k in range(outcomes):
                    item = str(uuid.uuid4())
                    data = pdf(n * 10 + k, file_size)
                    key = f"artifacts/{SCHOOL}/user-{n}/{item}/document-1.pdf"
                    await self.runtime.storage.put(key, data, content_type="application/pdf")
                    self.objects[key] = data
                    files = [{
                        "file_id": str(uuid.uuid4()), "slot": "document", "object_key": key, "filename": "成果.pdf",
                        "size": len(data), "sha256": hashlib.sha256(data).hexdigest(), "mime": "application/pdf",
                    }]  # fmt: skip
                    await s.execute(
                        insert(rc_items).values(
                            item_id=item, item_kind="outcome", school_id=SCHOOL, student_user_id=f"user-{n}",
                            course_id="c-phys", academic_year=YEAR, semester=1, description=f"實驗報告{k}",
                            files=files, version=1, status="certified", selected=True, selected_year=YEAR,
                            content_event_at=now, status_event_at=now, selection_event_at=now,
                        )
                    )  # fmt: skip
                    item_ids.append(item)
            await uow.commit()
        return item_ids

    async def ready_batch(self, kind: str = "course_outcomes", semester: int = 0) -> str:
        """A batch as the core leaves it after a clean pre-check and a submit (status ``ready``)."""
        batch_id = str(uuid.uuid4())
        now = dt.datetime.now(dt.UTC)
        async with self.runtime.uow() as uow:
            await uow.session.execute(
                insert(batches).values(
                    id=batch_id, school_id=SCHOOL, kind=kind, academic_year=YEAR, semester=semester, status="ready",
                    version=1, label="test", created_by=OFFICE, created_at=now, updated_at=now, checked_at=now,
                    checked_by=OFFICE, error_count=0, submitted_by=OFFICE, submitted_at=now,
                    idempotency_key=f"batch-{batch_id}",
                )
            )  # fmt: skip
            await uow.commit()
        return batch_id

    async def batch(self, batch_id: str) -> dict[str, Any]:
        async with self.runtime.uow() as uow:
            row = (await uow.session.execute(select(batches).where(batches.c.id == batch_id))).mappings().one()
        return dict(row)

    async def sending_row(self, batch_id: str) -> dict[str, Any]:
        async with self.runtime.uow() as uow:
            stmt = select(batch_sendings).where(batch_sendings.c.batch_id == batch_id)
            row = (await uow.session.execute(stmt)).mappings().one()
        return dict(row)

    async def events(self, routing_prefix: str) -> list[dict[str, Any]]:
        async with self.runtime.uow() as uow:
            stmt = select(outbox.c.routing_key, outbox.c.body).order_by(outbox.c.id)
            rows = (await uow.session.execute(stmt)).all()
        return [json.loads(r.body)["payload"] for r in rows if r.routing_key.startswith(routing_prefix)]

    async def set_batch_status(self, batch_id: str, status: str) -> None:
        """What the core's retry does: a failed batch back to ``ready``."""
        from sqlalchemy import update

        async with self.runtime.uow() as uow:
            await uow.session.execute(update(batches).where(batches.c.id == batch_id).values(status=status))
            await uow.commit()
