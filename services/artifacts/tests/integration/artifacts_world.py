"""Test world for the artifacts service: feeds other services' events exactly as the consumer runtime
does (inbox included), mints tokens, and runs a full upload (init → presigned PUT → complete)."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx

from portfolio_artifacts.consumers import SUBSCRIPTIONS
from portfolio_shared.events.base import EventPayload, envelope_for
from portfolio_shared.events.records import ArtifactCapsSet, PhaseWindowSet, StudentEnrolled, TeacherAssignmentChanged
from portfolio_shared.messaging import EventConsumer, IncomingMessage
from portfolio_shared.permissions import Permission as P
from portfolio_shared.service import ServiceRuntime
from portfolio_shared.testing.sample_files import sample_pdf
from portfolio_shared.testing.tokens import TokenMinter

YEAR, SEM = 114, 1
ADMITTED_ON = date(2025, 8, 1)  # first day of academic year 114
STUDENT_PERMS = [P.OUTCOME_UPLOAD, P.PERFORMANCE_UPLOAD, P.SELECTION_WRITE, P.SCHEDULE_READ]
TEACHER_PERMS = [P.OUTCOME_CERTIFY, P.SCHEDULE_READ]
STAFF_PERMS = [P.OUTCOME_READ_ALL, P.PERFORMANCE_READ_ALL, P.SELFCHECK_READ, P.OUTCOME_CERTIFY_ON_BEHALF]
PHASES = [
    "outcome_upload",
    "outcome_certification",
    "outcome_selection",
    "performance_upload",
    "performance_selection",
]


def pdf(size: int = 2048) -> bytes:
    # A real one-page PDF (R-FILE-1: uploads must parse as their type), random padding inside.
    return sample_pdf(size)


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def declaration(
    data: bytes, filename: str = "report.pdf", content_type: str = "application/pdf", **kw: Any
) -> dict[str, Any]:
    return {
        "slot": "document",
        "filename": filename,
        "content_type": content_type,
        "size": len(data),
        "sha256": sha(data),
    } | kw


@dataclass
class World:
    runtime: ServiceRuntime
    client: httpx.AsyncClient
    minter: TokenMinter
    school: str = "sch-A"
    enrolled: set[tuple[str, str]] = field(default_factory=set)

    async def feed(
        self, payload: EventPayload, *, occurred_at: datetime | None = None, school_id: str | None = None
    ) -> None:
        env = envelope_for(payload, school_id=school_id or self.school, actor="test", occurred_at=occurred_at)
        for subs in SUBSCRIPTIONS:
            if env.routing_key in subs.handlers:
                consumer = EventConsumer(subs, self.runtime.uow, self.runtime.inbox)
                msg = IncomingMessage(env.routing_key, env.to_bytes(), str(env.event_id), {}, 1)
                await consumer.handle(msg)
                return
        raise AssertionError(f"no consumer for {env.routing_key}")

    async def open_windows(
        self, school: str | None = None, phases: list[str] | None = None, *, open_: bool = True
    ) -> None:
        now = datetime.now(UTC)
        start, end = (
            (now - timedelta(days=1), now + timedelta(days=1))
            if open_
            else (now - timedelta(days=3), now - timedelta(days=2))
        )
        for phase in phases or PHASES:
            await self.feed(
                PhaseWindowSet(
                    school_id=school or self.school,
                    academic_year=YEAR,
                    semester=SEM,
                    phase=phase,  # type: ignore[arg-type]
                    starts_at=start,
                    ends_at=end,
                    self_check_at=end,
                )
            )

    async def enrol(self, uid: str, school: str | None = None, admitted_on: date = ADMITTED_ON) -> None:
        """Records' StudentEnrolled for a student user: nothing is collected before it (R-DATA-6)."""
        s = school or self.school
        await self.feed(
            StudentEnrolled(
                student_id=f"stu-{uid}", user_id=uid, school_id=s, grade=1, class_name="101", admitted_on=admitted_on
            ),
            school_id=s,
        )
        self.enrolled.add((s, uid))

    async def course(
        self,
        course_id: str,
        teachers: list[str],
        students: list[str],
        *,
        reviewer: str | None = None,
        school: str | None = None,
        enrol: bool = True,
    ) -> None:
        """Records' teacher assignment. A student takes courses once enrolled, so unless ``enrol`` is
        false each student not yet enrolled at the school is enrolled first, as records would have."""
        for uid in students if enrol else []:
            if (school or self.school, uid) not in self.enrolled:
                await self.enrol(uid, school)
        await self.feed(
            TeacherAssignmentChanged(
                course_id=course_id,
                school_id=school or self.school,
                academic_year=YEAR,
                semester=SEM,
                teacher_user_ids=teachers,
                reviewing_teacher_user_id=reviewer,
                student_user_ids=students,
            )
        )

    async def caps(self, outcomes: int, performances: int = 30, school: str | None = None) -> None:
        await self.feed(
            ArtifactCapsSet(
                school_id=school or self.school, outcomes_per_semester=outcomes, performances_per_year=performances
            )
        )

    def student(self, uid: str, school: str | None = None) -> dict[str, str]:
        s = school or self.school
        return self.minter.headers(uid, schools={s: STUDENT_PERMS}, roles={s: ["student"]}, kind="student")

    def teacher(self, uid: str, school: str | None = None, extra: list[str] = ()) -> dict[str, str]:  # type: ignore[assignment]
        s = school or self.school
        return self.minter.headers(
            uid, schools={s: [*TEACHER_PERMS, *extra]}, roles={s: ["course_teacher"]}, kind="teacher"
        )

    def staff(self, uid: str, school: str | None = None, perms: list[str] | None = None) -> dict[str, str]:
        s = school or self.school
        return self.minter.headers(uid, schools={s: perms or STAFF_PERMS}, roles={s: ["it"]}, kind="staff")

    async def start_outcome(self, headers: dict[str, str], course_id: str, data: bytes, **decl: Any) -> httpx.Response:
        body = {
            "course_id": course_id,
            "title": "期末報告",
            "description": "物理實驗報告：單擺週期與擺長的關係",
            "files": [declaration(data, **decl)],
        }
        return await self.client.post("/api/v1/outcomes/uploads", json=body, headers=headers)

    async def put(self, ticket: dict[str, Any], data: bytes) -> httpx.Response:
        url = ticket["url"]
        if url.startswith("http://testserver"):
            return await self.client.put(url, content=data, headers=ticket["headers"])
        async with httpx.AsyncClient() as raw:
            return await raw.put(url, content=data, headers=ticket["headers"])

    async def upload_outcome(
        self, headers: dict[str, str], course_id: str, data: bytes | None = None
    ) -> dict[str, Any]:
        """Full path: init → PUT → complete; returns the accepted outcome."""
        data = data or pdf()
        r = await self.start_outcome(headers, course_id, data)
        assert r.status_code == 201, r.text
        started = r.json()
        assert (await self.put(started["uploads"][0], data)).status_code == 200
        done = await self.client.post(f"/api/v1/outcomes/{started['outcome_id']}/complete", headers=headers)
        assert done.status_code == 200, done.text
        return dict(done.json())


def today() -> date:
    return datetime.now(UTC).date()


def new_id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"
