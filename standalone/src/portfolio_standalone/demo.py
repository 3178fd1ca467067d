"""Demo school data a newcomer can use at once: upload → certify → select in minutes.

Identity creates the demo district, school 999001 and its accounts (``PORTFOLIO_DEMO_DATA``). This
module fills in the rest of the demo school through the services' own HTTP APIs, signed in as the
demo staff — exactly what a school's staff would do, so every rule and event applies:

1. the guidance director opens every phase of the current term (R-SCHED-1; windows are closed
   unless a school opens them), in phase order;
2. the registry admits the demo student (R-REC-2), linked to the ``demo-student`` account;
3. the instruction section offers a current-term course taught by ``demo-teacher`` and puts the
   demo student in it (R-DATA-2, R-REC-2);
4. the demo student uploads one sample outcome and the demo teacher certifies it (R-ART-1, R-ART-3),
   so the student can select it straight away (R-ART-4).

Each step looks first and does only what is missing, so a restart (or a half-finished earlier run)
never duplicates anything. Steps 4 waits for artifacts to hear records' events (course, enrolment,
windows) through the bus, retrying until a deadline.

    python -m portfolio_standalone.demo --identity http://127.0.0.1:8001 --records … --artifacts …
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import json
import logging
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from typing import Any, get_args

import httpx

from portfolio_identity.service_layer.admin import DEMO_PASSWORD
from portfolio_records.domain.calendar import TAIPEI, term_of
from portfolio_shared.events.records import Phase
from portfolio_shared.testing.sample_files import sample_pdf

log = logging.getLogger("portfolio_standalone.demo")

COURSE_CODE = "DEMO-ENG-101"
COURSE_NAME = "英語文 English (demo)"
STUDENT_NUMBER = "D11401"
STUDENT_NATIONAL_ID = "A123456789"  # a well-formed demo number (checksum valid), nobody's real one
SAMPLE_TITLE = "示範成果 Sample outcome"
# A real one-page PDF: completed uploads are parsed as their type (R-FILE-1). The builder is the
# shared sample-file one (standard library only), used here for development demo data.
SAMPLE_PDF = sample_pdf(1200)


class DemoSetupError(RuntimeError):
    pass


@dataclass
class Session:
    login: str
    user_id: str
    school_id: str
    headers: dict[str, str]


@dataclass
class DemoSummary:
    school_id: str
    academic_year: int
    semester: int
    course_id: str = ""
    student_id: str = ""
    sample_outcome_id: str = ""
    done: list[str] = field(default_factory=list)


def _claims(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    return dict(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))))


def _ok(response: httpx.Response, what: str) -> Any:
    if response.status_code >= 400:
        raise DemoSetupError(f"{what}: HTTP {response.status_code} {response.text[:500]}")
    return response.json() if response.content else None


async def sign_in(client: httpx.AsyncClient, identity: str, login: str) -> Session:
    r = await client.post(f"{identity}/api/v1/auth/login", json={"login_name": login, "password": DEMO_PASSWORD})
    token = _ok(r, f"sign in as {login}")["access_token"]
    claims = _claims(token)
    return Session(login, claims["sub"], next(iter(claims["schools"])), {"Authorization": f"Bearer {token}"})


def term_windows(today: date, now: datetime) -> list[dict[str, str]]:
    """Every phase open from the term's first day (Taipei) to its last, one minute apart in phase
    order on both ends so upload opens and closes before certification, and so on (R-SCHED-1)."""
    term = term_of(today)
    first, last = term.first_day(), term.last_day()
    opens = datetime.combine(first, dtime(0, 0), TAIPEI)
    closes = datetime.combine(last + timedelta(days=1), dtime(0, 0), TAIPEI)
    if closes - now < timedelta(days=7):  # the last days of a term: keep the demo usable for a week
        closes = now.astimezone(TAIPEI).replace(microsecond=0) + timedelta(days=7)
    phases: list[str] = list(get_args(Phase))  # in phase order: upload before certification …
    windows = []
    for i, phase in enumerate(phases):
        starts = opens + timedelta(minutes=i)
        ends = closes - timedelta(minutes=len(phases) - 1 - i)
        windows.append(
            {
                "phase": phase,
                "starts_at": starts.isoformat(),
                "ends_at": ends.isoformat(),
                "self_check_at": (ends - timedelta(days=1)).isoformat(),
            }
        )
    return windows


async def _open_windows(client: httpx.AsyncClient, records: str, guidance: Session, summary: DemoSummary) -> None:
    url = f"{records}/api/v1/schools/{guidance.school_id}/calendar/{summary.academic_year}/{summary.semester}"
    schedule = _ok(await client.get(url, headers=guidance.headers), "read the calendar")
    existing = {w["phase"] for w in schedule["windows"]}
    now = datetime.now(UTC)
    missing = [w for w in term_windows(now.astimezone(TAIPEI).date(), now) if w["phase"] not in existing]
    if missing:  # a window the school set itself is never overwritten
        _ok(await client.put(url, json={"windows": missing}, headers=guidance.headers), "open the term's windows")
        summary.done.append(f"opened {len(missing)} phase windows of {summary.academic_year}-{summary.semester}")


async def _admit_student(
    client: httpx.AsyncClient, records: str, registry: Session, student: Session, summary: DemoSummary
) -> None:
    base = f"{records}/api/v1/schools/{registry.school_id}/students"
    found = await client.post(f"{base}/lookup", json={"national_id": STUDENT_NATIONAL_ID}, headers=registry.headers)
    if found.status_code == 200:
        summary.student_id = found.json()["id"]
        return
    if found.status_code != 404:
        _ok(found, "look up the demo student")
    body = {
        "change": "admission",
        "name": "黃小芳",
        "national_id": STUDENT_NATIONAL_ID,
        "birth_date": "2010-05-20",
        "student_number": STUDENT_NUMBER,
        "grade": 1,
        "class_name": "101",
        "seat_number": 1,
        "user_id": student.user_id,
        "effective_on": date(summary.academic_year + 1911, 8, 1).isoformat(),
    }
    summary.student_id = _ok(await client.post(base, json=body, headers=registry.headers), "admit the demo student")[
        "id"
    ]
    summary.done.append("admitted the demo student (class 101)")


async def _offer_course(
    client: httpx.AsyncClient, records: str, instruction: Session, teacher: Session, summary: DemoSummary
) -> None:
    base = f"{records}/api/v1/schools/{instruction.school_id}/courses"
    term = {"academic_year": summary.academic_year, "semester": summary.semester}
    listed = _ok(await client.get(base, params=term, headers=instruction.headers), "list the course plan")
    course = next((c for c in listed if c["course_code"] == COURSE_CODE), None)
    if course is None:
        body = {**term, "course_code": COURSE_CODE, "subject_name": COURSE_NAME, "credits": "2"}
        course = _ok(await client.post(base, json=body, headers=instruction.headers), "offer the demo course")
        summary.done.append(f"offered {COURSE_CODE} in {summary.academic_year}-{summary.semester}")
    summary.course_id = course["id"]
    if teacher.user_id not in course["teacher_user_ids"]:
        _ok(
            await client.put(
                f"{base}/{course['id']}/teachers",
                json={"teacher_user_ids": [teacher.user_id]},
                headers=instruction.headers,
            ),
            "assign the demo teacher",
        )
        summary.done.append("assigned demo-teacher to the course")
    if summary.student_id not in course["student_ids"]:
        students = sorted({*course["student_ids"], summary.student_id})
        _ok(
            await client.put(
                f"{base}/{course['id']}/students", json={"student_ids": students}, headers=instruction.headers
            ),
            "put the demo student in the course",
        )
        summary.done.append("put the demo student in the course")


async def _retrying(what: str, deadline: float, attempt: Any) -> Any:
    """Artifacts learns of courses, enrolments and windows from records' events: wait for them."""
    delay = 0.1
    while True:
        response: httpx.Response = await attempt()
        if response.status_code < 400:
            return response.json() if response.content else None
        if response.status_code not in (403, 404, 409) or time.monotonic() > deadline:
            raise DemoSetupError(f"{what}: HTTP {response.status_code} {response.text[:500]}")
        await asyncio.sleep(delay)
        delay = min(delay * 2, 1.0)


async def _certified_sample(
    client: httpx.AsyncClient,
    artifacts: str,
    student: Session,
    teacher: Session,
    summary: DemoSummary,
    *,
    wait_seconds: float,
) -> None:
    listed = await client.get(
        f"{artifacts}/api/v1/outcomes", params={"course_id": summary.course_id}, headers=student.headers
    )
    mine = _ok(listed, "list the demo student's outcomes")
    sample = next((o for o in mine if o["title"] == SAMPLE_TITLE and o["status"] != "withdrawn"), None)
    deadline = time.monotonic() + wait_seconds
    if sample is None or sample["status"] == "draft":
        declared = {
            "slot": "document",
            "filename": "sample-outcome.pdf",
            "content_type": "application/pdf",
            "size": len(SAMPLE_PDF),
            "sha256": hashlib.sha256(SAMPLE_PDF).hexdigest(),
        }
        body = {
            "course_id": summary.course_id,
            "title": SAMPLE_TITLE,
            "description": "平臺示範資料：已認證的課程學習成果 (demo data: a certified outcome)",
            "files": [declared],
        }
        started = await _retrying(
            "start the sample upload",
            deadline,
            lambda: client.post(f"{artifacts}/api/v1/outcomes/uploads", json=body, headers=student.headers),
        )
        ticket = started["uploads"][0]
        put = await client.request(ticket["method"], ticket["url"], content=SAMPLE_PDF, headers=ticket["headers"])
        _ok(put, "send the sample file")
        sample = _ok(
            await client.post(f"{artifacts}/api/v1/outcomes/{started['outcome_id']}/complete", headers=student.headers),
            "complete the sample upload",
        )
        summary.done.append("the demo student uploaded a sample outcome")
    summary.sample_outcome_id = sample["id"]
    if sample["status"] == "submitted":
        await _retrying(
            "certify the sample outcome",
            deadline,
            lambda: client.post(f"{artifacts}/api/v1/outcomes/{sample['id']}/certify", headers=teacher.headers),
        )
        summary.done.append("demo-teacher certified it")


async def seed_demo(
    identity: str, records: str, artifacts: str, *, wait_seconds: float = 30.0, timeout: float = 15.0
) -> DemoSummary:
    """Bring the demo school to "ready to try": windows, student, course, a certified sample."""
    async with httpx.AsyncClient(timeout=timeout) as client:
        guidance, registry, instruction, teacher, student = [
            await sign_in(client, identity, login)
            for login in ("demo-guidance", "demo-registry", "demo-instruction", "demo-teacher", "demo-student")
        ]
        term = term_of(datetime.now(UTC).astimezone(TAIPEI).date())
        summary = DemoSummary(guidance.school_id, term.academic_year, term.semester)
        await _open_windows(client, records, guidance, summary)
        await _admit_student(client, records, registry, student, summary)
        await _offer_course(client, records, instruction, teacher, summary)
        await _certified_sample(client, artifacts, student, teacher, summary, wait_seconds=wait_seconds)
        return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m portfolio_standalone.demo", description=__doc__)
    parser.add_argument("--identity", default="http://127.0.0.1:8001")
    parser.add_argument("--records", default="http://127.0.0.1:8002")
    parser.add_argument("--artifacts", default="http://127.0.0.1:8003")
    args = parser.parse_args(argv)
    try:
        summary = asyncio.run(seed_demo(args.identity, args.records, args.artifacts))
    except (DemoSetupError, httpx.HTTPError) as exc:
        print(f"demo set-up failed: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(summary.__dict__, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
