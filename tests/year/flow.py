"""HTTP-only steps of a school year, shared by the year test and its fault variant."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, get_args

import httpx

from portfolio_records.domain.calendar import TAIPEI, term_of
from portfolio_shared.events.records import Phase
from portfolio_shared.testing.jobs import job_outcome
from portfolio_shared.testing.sample_files import sample_pdf

from .processes import ADMIN_LOGIN, ADMIN_PASSWORD, Platform

PASSWORD = "a-long-year-test-password"
STUDENTS_PER_SCHOOL = 6
GRADUATE = 5  # student s5 of each school is in grade 3
SCHOOL_CODES = {"A": "330301", "B": "330302"}
SIS_HEADER = "login_name,display_name,kind,roles,status,end_date,email,student_number,school_code\n"
STAFF = {  # login suffix -> (kind, roles)
    "it": ("staff", "it;principal"),
    "registry": ("staff", "registry"),
    "instruction": ("staff", "instruction"),
    "guidance": ("staff", "guidance_data;guidance_director"),
    "library": ("staff", "library_services"),
    "t1": ("teacher", "course_teacher"),
    "t2": ("teacher", "course_teacher"),
}


async def poll(what: str, check: Callable[[], Awaitable[Any]], timeout: float = 60.0) -> Any:
    """Eventual consistency across processes: poll until ``check`` returns a truthy value."""
    deadline = time.monotonic() + timeout
    delay = 0.05
    while True:
        value = await check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        await asyncio.sleep(delay)
        delay = min(delay * 1.5, 0.5)


def ok(response: httpx.Response, *codes: int) -> Any:
    assert response.status_code in (codes or (200, 201)), (
        f"{response.request.method} {response.request.url}: {response.status_code} {response.text[:800]}"
    )
    return response.json() if response.content else None


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def claims(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    return dict(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))))


@dataclass
class School:
    key: str
    id: str = ""
    users: dict[str, str] = field(default_factory=dict)  # login -> user id
    headers: dict[str, dict[str, str]] = field(default_factory=dict)  # login -> bearer
    students: dict[str, str] = field(default_factory=dict)  # login -> records student id
    course_id: str = ""
    receipt_id: str = ""

    def login(self, suffix: str) -> str:
        return f"{self.key.lower()}-{suffix}"

    def h(self, suffix: str) -> dict[str, str]:
        return self.headers[self.login(suffix)]


@dataclass
class Year:
    platform: Platform
    client: httpx.AsyncClient
    admin: dict[str, str] = field(default_factory=dict)
    district_id: str = ""
    schools: dict[str, School] = field(default_factory=dict)
    academic_year: int = 0
    semester: int = 0

    def url(self, service: str, path: str) -> str:
        return f"{self.platform.url(service)}{path}"

    async def sign_in(self, login: str, password: str = PASSWORD) -> dict[str, str]:
        r = await self.client.post(
            self.url("identity", "/api/v1/auth/login"), json={"login_name": login, "password": password}
        )
        return bearer(ok(r, 200)["access_token"])

    # -- identity: the district, two schools, SIS account sync ----------------------------------
    async def district_and_schools(self) -> None:
        self.admin = await self.sign_in(ADMIN_LOGIN, ADMIN_PASSWORD)
        r = await self.client.post(
            self.url("identity", "/api/v1/districts"),
            json={"code": "TPE", "name": "臺北市政府教育局"},
            headers=self.admin,
        )
        self.district_id = ok(r, 201)["id"]
        for key, code in SCHOOL_CODES.items():
            r = await self.client.post(
                self.url("identity", "/api/v1/schools"),
                json={"code": code, "name": f"年度測試高中 {key}", "district_id": self.district_id},
                headers=self.admin,
            )
            school = School(key, id=ok(r, 201)["id"])
            self.schools[key] = school
            # The school's IT account is made by the district; the rest comes from the SIS export.
            body = {
                "login_name": school.login("it0"),
                "display_name": f"{key} IT",
                "kind": "staff",
                "roles": ["it", "principal"],
                "password": PASSWORD,
            }
            ok(
                await self.client.post(
                    self.url("identity", f"/api/v1/schools/{school.id}/users"), json=body, headers=self.admin
                ),
                201,
            )
            school.headers[school.login("it0")] = await self.sign_in(school.login("it0"))

    def sis_export(self, school: School) -> bytes:
        code = SCHOOL_CODES[school.key]
        lines = [
            f"{school.login(s)},{school.key} {s},{kind},{roles},active,,,,{code}" for s, (kind, roles) in STAFF.items()
        ]
        lines += [
            f"{school.login(f's{i}')},{school.key} 學生{i},student,student,active,,"
            f"{school.login(f's{i}')}@students.example.org,{code[-3:]}{i:03d},{code}"
            for i in range(1, STUDENTS_PER_SCHOOL + 1)
        ]
        return (SIS_HEADER + "".join(line + "\n" for line in lines)).encode()

    async def sis_sync(self, school: School) -> dict[str, Any]:
        it = school.h("it0")
        started = await self.client.post(
            self.url("identity", f"/api/v1/schools/{school.id}/sis-sync"),
            files={"file": ("accounts.csv", self.sis_export(school), "text/csv")},
            headers=it,
        )
        outcome = await job_outcome(_Rebased(self.client, self.platform.url("identity")), started, it)  # type: ignore[arg-type]
        report: dict[str, Any] = outcome.json()
        users = ok(
            await self.client.get(
                self.url("identity", f"/api/v1/schools/{school.id}/users"), params={"limit": 100}, headers=it
            ),
            200,
        )
        for user in users["items"]:
            school.users[user["login_name"]] = user["id"]
        for login, user_id in school.users.items():
            if login == school.login("it0"):
                continue
            r = await self.client.put(
                self.url("identity", f"/api/v1/schools/{school.id}/users/{user_id}/password"),
                json={"password": PASSWORD},
                headers=it,
            )
            ok(r, 204)
            school.headers[login] = await self.sign_in(login)
        return report

    # -- records: the semester schedule, enrolment, the course plan ------------------------------
    def term(self) -> None:
        term = term_of(datetime.now(UTC).astimezone(TAIPEI).date())
        self.academic_year, self.semester = term.academic_year, term.semester

    async def open_windows(self, school: School) -> dict[str, Any]:
        now = datetime.now(UTC)
        phases: list[str] = list(get_args(Phase))
        windows = [
            {
                "phase": phase,
                "starts_at": (now - timedelta(days=2) + timedelta(minutes=i)).isoformat(),
                "ends_at": (now + timedelta(days=20) + timedelta(minutes=i)).isoformat(),
                "self_check_at": (now + timedelta(days=19)).isoformat(),
            }
            for i, phase in enumerate(phases)
        ]
        url = self.url("records", f"/api/v1/schools/{school.id}/calendar/{self.academic_year}/{self.semester}")
        return dict(ok(await self.client.put(url, json={"windows": windows}, headers=school.h("guidance")), 200))

    async def admit(self, school: School) -> None:
        base = self.url("records", f"/api/v1/schools/{school.id}/students")
        for i in range(1, STUDENTS_PER_SCHOOL + 1):
            login = school.login(f"s{i}")
            body = {
                "change": "admission",
                "name": f"{school.key} 學生{i}",
                "national_id": national_id(school.key, i),
                "birth_date": "2010-05-20",
                "student_number": f"{SCHOOL_CODES[school.key][-3:]}{i:03d}",
                "grade": 3 if i == GRADUATE else 1,  # one grade-3 student graduates this year
                "class_name": "301" if i == GRADUATE else "101",
                "seat_number": i,
                "user_id": school.users[login],
                "effective_on": date(self.academic_year + 1911, 8, 1).isoformat(),
            }
            school.students[login] = ok(await self.client.post(base, json=body, headers=school.h("registry")), 201)[
                "id"
            ]

    async def course(self, school: School) -> dict[str, Any]:
        base = self.url("records", f"/api/v1/schools/{school.id}/courses")
        body = {
            "academic_year": self.academic_year,
            "semester": self.semester,
            "course_code": f"PHY-{school.key}",
            "subject_name": "物理",
            "credits": "2",
        }
        course = ok(await self.client.post(base, json=body, headers=school.h("instruction")), 201)
        school.course_id = course["id"]
        teachers = [school.users[school.login("t1")]]
        ok(
            await self.client.put(
                f"{base}/{course['id']}/teachers", json={"teacher_user_ids": teachers}, headers=school.h("instruction")
            ),
            200,
        )
        students = sorted(school.students.values())
        return dict(
            ok(
                await self.client.put(
                    f"{base}/{course['id']}/students", json={"student_ids": students}, headers=school.h("instruction")
                ),
                200,
            )
        )

    # -- artifacts: uploads straight to S3, certification, selection -----------------------------
    async def start_upload(self, school: School, login: str, data: bytes) -> dict[str, Any]:
        body = {
            "course_id": school.course_id,
            "title": "期末報告",
            "description": "物理實驗報告：單擺週期與擺長的關係",
            "files": [
                {
                    "slot": "document",
                    "filename": "report.pdf",
                    "content_type": "application/pdf",
                    "size": len(data),
                    "sha256": hashlib.sha256(data).hexdigest(),
                }
            ],
        }

        async def attempt() -> Any:  # artifacts learns of the course and windows from records' events
            r = await self.client.post(
                self.url("artifacts", "/api/v1/outcomes/uploads"), json=body, headers=school.headers[login]
            )
            return r.json() if r.status_code == 201 else None

        return dict(await poll(f"{login} may upload to the course", attempt))

    async def put_file(self, ticket: dict[str, Any], data: bytes) -> None:
        r = await self.client.request(ticket["method"], ticket["url"], content=data, headers=ticket["headers"])
        assert r.status_code == 200, r.text
        assert ticket["url"].startswith("http://127.0.0.1") and "X-Amz-Signature" in ticket["url"]  # presigned, moto

    async def complete(self, school: School, login: str, outcome_id: str) -> dict[str, Any]:
        r = await self.client.post(
            self.url("artifacts", f"/api/v1/outcomes/{outcome_id}/complete"), headers=school.headers[login]
        )
        return dict(ok(r, 200))

    async def upload(self, school: School, login: str) -> dict[str, Any]:
        data = sample_pdf(1500)
        started = await self.start_upload(school, login, data)
        await self.put_file(started["uploads"][0], data)
        return await self.complete(school, login, started["outcome_id"])

    async def outcomes(self, school: School, login: str) -> list[dict[str, Any]]:
        r = await self.client.get(
            self.url("artifacts", "/api/v1/outcomes"),
            params={"course_id": school.course_id},
            headers=school.headers[login],
        )
        return list(ok(r, 200))


def national_id(key: str, i: int) -> str:
    """A well-formed Taiwanese national ID (checksum valid), nobody's real one."""
    letters = "ABCDEFGHJKLMNPQRSTUVXYWZIO"
    first = "A" if key == "A" else "B"
    code = letters.index(first) + 10
    body = f"1{2 if key == 'A' else 3}34567{i:01d}"
    digits = [code // 10, code % 10, *map(int, body)]
    weights = [1, 9, 8, 7, 6, 5, 4, 3, 2, 1]
    check = (10 - sum(d * w for d, w in zip(digits, weights, strict=True)) % 10) % 10
    return f"{first}{body}{check}"


class _Rebased:
    """job_outcome polls a relative ``Location``: resolve it against the service's URL."""

    def __init__(self, client: httpx.AsyncClient, base: str) -> None:
        self.client, self.base = client, base

    async def get(self, path: str, **kw: Any) -> httpx.Response:
        return await self.client.get(self.base + path, **kw)


class Steps(Year):
    """The later steps of the year: certification, selection, submission, receipt."""

    async def certify(self, school: School, outcome_id: str, login: str) -> dict[str, Any]:
        url = self.url("artifacts", f"/api/v1/outcomes/{outcome_id}/certify")

        async def attempt() -> Any:  # a delegate's standing reaches artifacts through identity's events
            r = await self.client.post(url, headers=school.headers[login])
            return r.json() if r.status_code == 200 else None

        return dict(await poll(f"{login} may certify {outcome_id}", attempt))

    async def name_delegate_and_let_teacher_leave(self, school: School) -> None:
        """R-ART-5, R-DUTY-2: the school names the library as the certification delegate once; the
        course teacher leaves (not extended)."""
        r = await self.client.put(
            self.url("identity", f"/api/v1/schools/{school.id}/duties/outcome_certification/order"),
            json={"responsible_user_ids": [], "delegate_user_ids": [school.users[school.login("library")]]},
            headers=school.h("guidance"),
        )
        ok(r, 200)
        yesterday = date.today() - timedelta(days=1)
        r = await self.client.patch(
            self.url("identity", f"/api/v1/schools/{school.id}/users/{school.users[school.login('t1')]}"),
            json={"status": "left", "end_date": str(yesterday)},
            headers=school.h("it0"),
        )
        ok(r, 200)

    async def select(self, school: School, login: str, outcome_id: str) -> dict[str, Any]:
        url = self.url("artifacts", f"/api/v1/outcomes/{outcome_id}/selection")
        return dict(ok(await self.client.put(url, headers=school.headers[login]), 200))

    def central_window(self, central: Any, kind: str = "course_outcomes", semester: int = 0) -> None:
        now = datetime.now(TAIPEI)
        body = {
            "kind": kind,
            "academic_year": self.academic_year,
            "semester": semester,
            "opens_at": (now - timedelta(days=1)).isoformat(),
            "closes_at": (now + timedelta(days=5)).isoformat(),
        }
        assert central.admin("POST", "/windows", json=body).status_code == 201

    async def submission_window(self, school: School, kind: str = "course_outcomes", semester: int = 0) -> None:
        now = datetime.now(TAIPEI)
        body = {
            "school_id": school.id,
            "kind": kind,
            "academic_year": self.academic_year,
            "semester": semester,
            "opens_at": (now - timedelta(days=1)).isoformat(),
            "closes_at": (now + timedelta(days=5)).isoformat(),
        }
        ok(await self.client.post(self.url("submission", "/api/v1/windows"), json=body, headers=school.h("it0")), 201)

    async def batch(self, school: School, login: str, kind: str = "course_outcomes", semester: int = 0) -> str:
        body = {"school_id": school.id, "kind": kind, "academic_year": self.academic_year, "semester": semester}

        async def attempt() -> Any:  # the duty order reaches submission through identity's events
            r = await self.client.post(self.url("submission", "/api/v1/batches"), json=body, headers=school.h(login))
            assert r.status_code in (201, 403), r.text
            return r.json() if r.status_code == 201 else None

        return str((await poll(f"{login} may create a {kind} batch", attempt))["id"])

    async def duty(self, school: School, code: str, responsible: str) -> None:
        """R-SUB-4, R-DUTY-2: the office that submits a kind names who acts for it."""
        r = await self.client.put(
            self.url("identity", f"/api/v1/schools/{school.id}/duties/{code}/order"),
            json={"responsible_user_ids": [school.users[school.login(responsible)]], "delegate_user_ids": []},
            headers=school.h("guidance"),
        )
        ok(r, 200)

    async def act(self, school: School, login: str, batch_id: str, action: str, **kw: Any) -> httpx.Response:
        return await self.client.post(
            self.url("submission", f"/api/v1/batches/{batch_id}/{action}"),
            params={"school_id": school.id},
            headers=school.h(login),
            **kw,
        )

    async def sending_state(self, school: School, login: str, batch_id: str) -> dict[str, Any] | None:
        """Where sending stands; None until the batch is handed to sending (404)."""
        r = await self.client.get(
            self.url("submission", f"/api/v1/batches/{batch_id}/sending"),
            params={"school_id": school.id},
            headers=school.h(login),
        )
        return None if r.status_code == 404 else dict(ok(r, 200))

    # -- receipts: the confirmation window, answers, an objection and its correction -------------
    async def announce(self, school: School) -> dict[str, Any]:
        today = datetime.now(TAIPEI).date()
        body = {"first_day": str(today), "last_day": str(today + timedelta(days=2))}  # 3 days (R-SUB-6)
        r = await self.client.post(
            self.url("submission", f"/api/v1/receipts/{school.receipt_id}/window"),
            json=body,
            headers=school.h("guidance"),
        )
        return dict(ok(r, 200))

    async def my_receipt(self, school: School, suffix: str) -> dict[str, Any]:
        r = await self.client.get(
            self.url("submission", f"/api/v1/me/receipts/{school.receipt_id}"), headers=school.h(suffix)
        )
        return dict(ok(r, 200))

    async def confirm(self, school: School, suffix: str) -> dict[str, Any]:
        r = await self.client.post(
            self.url("submission", f"/api/v1/me/receipts/{school.receipt_id}/confirmation"), headers=school.h(suffix)
        )
        return dict(ok(r, 200))

    async def object(self, school: School, suffix: str, item_ids: list[str]) -> dict[str, Any]:
        r = await self.client.post(
            self.url("submission", f"/api/v1/me/receipts/{school.receipt_id}/objections"),
            json={"item_ids": item_ids, "reason": "收到的成果不是我最後上傳的版本"},
            headers=school.h(suffix),
        )
        return dict(ok(r, 201))

    async def correct(self, school: School, objection_id: str) -> dict[str, Any]:
        r = await self.client.post(
            self.url("submission", f"/api/v1/objections/{objection_id}/correction"),
            json={"note": "重新提交更正後的資料"},
            headers=school.h("it0"),
        )
        return dict(ok(r, 200))

    async def mailed_answer(self, school: School, suffix: str) -> dict[str, Any]:
        """R-SUB-9: a student's answer that came back by post, recorded by the office."""
        user_id = school.users[school.login(suffix)]
        r = await self.client.post(
            self.url("submission", f"/api/v1/receipts/{school.receipt_id}/students/{user_id}/mailed-answer"),
            json={"answer": "confirmed", "letter_dated": str(datetime.now(TAIPEI).date())},
            headers=school.h("guidance"),
        )
        return dict(ok(r, 200, 201))

    async def receipt(self, school: School) -> dict[str, Any]:
        r = await self.client.get(
            self.url("submission", f"/api/v1/receipts/{school.receipt_id}"), headers=school.h("guidance")
        )
        return dict(ok(r, 200))

    # -- records: a transfer between the schools, graduation, sealing -----------------------------
    async def transfer(self, origin: School, target: School, suffix: str) -> dict[str, Any]:
        login = origin.login(suffix)
        student_id = origin.students[login]
        today = datetime.now(TAIPEI).date()
        base = self.url("records", f"/api/v1/schools/{origin.id}/students/{student_id}")
        r = await self.client.post(
            f"{base}/enrolment-changes",
            json={"change": "transfer_out", "effective_on": str(today), "to_school_id": target.id},
            headers=origin.h("registry"),
        )
        assert ok(r, 201)["status"] == "transferred_out"
        number = 900 + int(suffix[1:])
        body = {
            "change": "transfer_in",
            "name": f"{origin.key} 學生{suffix[1:]}",
            "national_id": national_id(origin.key, int(suffix[1:])),
            "birth_date": "2010-05-20",
            "student_number": f"{SCHOOL_CODES[target.key][-3:]}{number}",
            "grade": 1,
            "class_name": "102",
            "seat_number": number % 100,
            "effective_on": str(today),
        }
        r = await self.client.post(
            self.url("records", f"/api/v1/schools/{target.id}/students"), json=body, headers=target.h("registry")
        )
        return dict(ok(r, 201))

    async def graduate(self, school: School, suffix: str) -> dict[str, Any]:
        student_id = school.students[school.login(suffix)]
        r = await self.client.post(
            self.url("records", f"/api/v1/schools/{school.id}/students/{student_id}/enrolment-changes"),
            json={"change": "graduation", "effective_on": str(datetime.now(TAIPEI).date())},
            headers=school.h("registry"),
        )
        return dict(ok(r, 201))

    async def seal_state(self, school: School, student_id: str) -> dict[str, Any]:
        r = await self.client.get(
            self.url("records", f"/api/v1/schools/{school.id}/retention/students/{student_id}"),
            headers=school.h("registry"),
        )
        return dict(ok(r, 200))

    async def import_grades(self, school: School) -> dict[str, Any]:
        """The SIS grade export of the semester, one row per student of the course (R-SUB-4 office)."""
        lines = ["student_number,academic_year,semester,course_code,subject_name,credits,score,passed"]
        for i in range(1, STUDENTS_PER_SCHOOL + 1):
            number = f"{SCHOOL_CODES[school.key][-3:]}{i:03d}"
            lines.append(f"{number},{self.academic_year},{self.semester},PHY-{school.key},物理,2,{60 + 5 * i},Y")
        started = await self.client.post(
            self.url("records", f"/api/v1/schools/{school.id}/grade-imports"),
            files={"file": ("grades.csv", ("\n".join(lines) + "\n").encode(), "text/csv")},
            headers=school.h("registry"),
        )
        outcome = await job_outcome(
            _Rebased(self.client, self.platform.url("records")),  # type: ignore[arg-type]
            started,
            school.h("registry"),
        )
        assert outcome.status_code == 200, outcome.text
        return dict(outcome.json())
