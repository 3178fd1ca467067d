"""Test world for the submission service: feeds other services' events exactly as the consumer runtime
does (inbox included), seals students' personal data as records does, and mints staff tokens."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx

from portfolio_central.samples import national_id
from portfolio_shared.events.artifacts import OutcomeCertified, OutcomeSelected, OutcomeUploaded
from portfolio_shared.events.base import EventPayload, envelope_for
from portfolio_shared.events.identity import ActingPersonChanged, DelegationOrderChanged, SchoolCreated, UserCreated
from portfolio_shared.events.records import CourseOffered, StudentEnrolled
from portfolio_shared.messaging import EventConsumer, IncomingMessage
from portfolio_shared.permissions import Permission as P
from portfolio_shared.sealing import DEV_SUBMISSION_PUBLIC_KEY, seal
from portfolio_shared.service import ServiceRuntime
from portfolio_shared.testing.tokens import TokenMinter
from portfolio_submission.consumers import SUBSCRIPTIONS

SCHOOL = "sch-A"
SCHOOL_CODE = "123456"
YEAR = 114
ADMITTED_ON = date(2025, 8, 1)
OFFICE_PERMS = [P.SUBMISSION_READ, P.SUBMISSION_SUBMIT]


@dataclass
class World:
    runtime: ServiceRuntime
    client: httpx.AsyncClient
    minter: TokenMinter
    school: str = SCHOOL
    clock: datetime = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

    async def feed(
        self, payload: EventPayload, *, occurred_at: datetime | None = None, school_id: str | None = None
    ) -> None:
        env = envelope_for(
            payload, school_id=school_id or self.school, actor="test", occurred_at=occurred_at or self.tick()
        )
        for subs in SUBSCRIPTIONS:
            if env.routing_key in subs.handlers:
                consumer = EventConsumer(subs, self.runtime.uow, self.runtime.inbox)
                await consumer.handle(IncomingMessage(env.routing_key, env.to_bytes(), str(env.event_id), {}, 1))
                return
        raise AssertionError(f"no consumer for {env.routing_key}")

    def tick(self) -> datetime:
        self.clock += timedelta(seconds=1)
        return self.clock

    def staff(self, user: str, perms: list[P] | None = None, school: str | None = None) -> dict[str, str]:
        return self.minter.headers(user, schools={school or self.school: [str(p) for p in (perms or OFFICE_PERMS)]})

    async def school_exists(self) -> None:
        await self.feed(
            SchoolCreated(school_id=self.school, school_code=SCHOOL_CODE, name="示範高中", district_id="d-1")
        )

    async def person(self, user_id: str, name: str) -> None:
        await self.feed(
            UserCreated(
                user_id=user_id,
                login_name=user_id,
                display_name=name,
                kind="staff",
                status="active",
                school_ids=[self.school],
            )
        )

    async def duty(
        self,
        duty_code: str,
        responsible: list[str],
        delegates: list[str],
        acting: str | None,
        *,
        delegate: bool = False,
    ) -> None:
        await self.feed(
            DelegationOrderChanged(
                school_id=self.school,
                duty_code=duty_code,
                responsible_user_ids=responsible,
                delegate_user_ids=delegates,
            )
        )
        await self.feed(
            ActingPersonChanged(
                school_id=self.school,
                duty_code=duty_code,
                acting_user_id=acting,
                previous_acting_user_id=None,
                is_delegate=delegate,
                reason="test",
            )
        )

    async def enrol(
        self, student_id: str, n: int, *, grade: int = 3, user_id: str | None = None, seat: int = 1, name: str = ""
    ) -> str:
        """A student enrolled at the school, with their personal fields sealed for submission."""
        nid = national_id(n)
        sealed = seal(
            DEV_SUBMISSION_PUBLIC_KEY,
            {"national_id": nid, "name": name or f"學生{n}", "birth_date": "2008-05-01"},
            context=f"{self.school}/{student_id}",
        )
        await self.feed(
            StudentEnrolled(
                student_id=student_id,
                user_id=user_id,
                school_id=self.school,
                grade=grade,
                class_name="301",
                seat_number=seat,
                admitted_on=ADMITTED_ON,
                sealed_personal_data=sealed,
            )
        )
        return nid

    async def course(self, course_id: str = "course-1") -> str:
        await self.feed(
            CourseOffered(
                course_id=course_id,
                school_id=self.school,
                academic_year=YEAR,
                semester=1,
                course_code="114123456301M0000000001",
                subject_name="國語文",
                credits=Decimal(4),
            )
        )
        return course_id

    async def outcome(
        self, user_id: str, *, certified: bool, selected: bool = True, course_id: str = "course-1"
    ) -> str:
        outcome_id = f"out-{uuid.uuid4().hex[:8]}"
        files: list[dict[str, str | int]] = [
            {
                "file_id": f"f-{outcome_id}",
                "slot": "document",
                "size": 2048,
                "sha256": "ab" * 32,
                "mime": "application/pdf",
                "object_key": f"outcomes/{outcome_id}/1/document",
                "filename": "報告.PDF",
            }
        ]
        await self.feed(
            OutcomeUploaded(
                outcome_id=outcome_id,
                student_user_id=user_id,
                school_id=self.school,
                course_id=course_id,
                academic_year=YEAR,
                semester=1,
                version=1,
                files=files,
                description="閱讀心得報告",
            )
        )
        if certified:
            await self.feed(
                OutcomeCertified(
                    outcome_id=outcome_id,
                    student_user_id=user_id,
                    school_id=self.school,
                    course_id=course_id,
                    certified_by="teacher-1",
                    on_behalf_of=None,
                    basis="teacher",
                )
            )
        if selected:
            await self.feed(
                OutcomeSelected(
                    outcome_id=outcome_id, student_user_id=user_id, school_id=self.school, academic_year=YEAR
                )
            )
        return outcome_id

    async def create_batch(
        self, headers: dict[str, str], kind: str, year: int = YEAR, semester: int = 0
    ) -> httpx.Response:
        body = {"school_id": self.school, "kind": kind, "academic_year": year, "semester": semester}
        return await self.client.post("/api/v1/batches", json=body, headers=headers)

    async def act(self, batch_id: str, action: str, headers: dict[str, str], **kw: Any) -> httpx.Response:
        return await self.client.post(
            f"/api/v1/batches/{batch_id}/{action}", params={"school_id": self.school}, headers=headers, **kw
        )

    async def report(self, batch_id: str, headers: dict[str, str]) -> dict[str, Any]:
        r = await self.client.get(
            f"/api/v1/batches/{batch_id}/report", params={"school_id": self.school}, headers=headers
        )
        assert r.status_code == 200, r.text
        result: dict[str, Any] = r.json()
        return result
