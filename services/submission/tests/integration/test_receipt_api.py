"""Receipts over HTTP on real PostgreSQL (R-SUB-5..9): import from the central database or a file,
reconciled items per student, the window, answers, mailed answers, objections routed to the acting
person and settled, completion and the school's report."""

from __future__ import annotations

import json
import sys
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
import pytest_asyncio
from sqlalchemy import select

from portfolio_shared.permissions import Permission as P
from portfolio_shared.service import ServiceRuntime, create_app
from portfolio_shared.testing.tokens import TokenMinter
from portfolio_submission.adapters.orm import outbox
from portfolio_submission.api import objections as objections_api
from portfolio_submission.api import receipts as receipts_api
from portfolio_submission.bootstrap import bootstrap
from portfolio_submission.config import Settings
from portfolio_submission.domain.objections import Acting
from portfolio_submission.domain.receipts import SubmittedItem
from portfolio_submission.domain.receipts_file import COLUMNS
from portfolio_submission.service_layer import confirmation
from portfolio_submission.service_layer.receipts_facts import BatchFacts, ReceiptServices

sys.path.insert(0, str(Path(__file__).parent))

from receipts_world import Central, Facts, central_receipt, nid, outcome_batch

pytestmark = pytest.mark.integration

STAFF = [P.RECEIPT_IMPORT, P.SUBMISSION_READ, P.RECEIPT_COMPLETE]
TAIPEI = ZoneInfo("Asia/Taipei")


class World:
    def __init__(
        self, runtime: ServiceRuntime, client: httpx.AsyncClient, minter: TokenMinter, facts: Facts, central: Central
    ) -> None:
        self.runtime, self.client, self.minter, self.facts, self.central = runtime, client, minter, facts, central

    def staff(self, user: str = "it-1", school: str = "sch-A", perms: Sequence[str] | None = None) -> dict[str, str]:
        return self.minter.headers(user, schools={school: perms if perms is not None else STAFF})

    def student(self, user: str, school: str = "sch-A") -> dict[str, str]:
        return self.minter.headers(
            user, schools={school: [P.RECEIPT_CONFIRM, P.OBJECTION_RAISE]}, roles={school: ["student"]}, kind="student"
        )

    async def events(self, routing_key: str) -> list[dict[str, Any]]:
        async with self.runtime.uow() as uow:
            rows = await uow.session.execute(select(outbox.c.body).where(outbox.c.routing_key == routing_key))
            return [json.loads(b)["payload"] for (b,) in rows]


@pytest_asyncio.fixture
async def world(
    make_database: Callable[[str], object], request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[World]:
    name = "subrcapi_" + "".join(ch for ch in request.node.name if ch.isalnum())[:40]
    url: str = await make_database(name)  # type: ignore[misc]
    minter = TokenMinter()
    runtime = bootstrap(
        Settings(
            environment="test",
            database_url=url,
            broker_url=f"sqlite+aiosqlite:///{tmp_path}/bus.db",  # events are read from the outbox
            storage_url=f"file://{tmp_path}",
        ),
        verifier=minter.verifier(),
    )
    await runtime.migrate()
    facts, central = Facts(), Central()
    app = create_app(runtime, title="receipts", description="", routers=[receipts_api.router, objections_api.router])
    app.state.receipts = ReceiptServices(facts=facts, source=central, storage=None)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client:
        yield World(runtime, client, minter, facts, central)
    await runtime.engine.dispose()


def today() -> date:
    return datetime.now(UTC).astimezone(TAIPEI).date()


async def _imported(world: World, students: int = 5, altered: dict[int, str] | None = None) -> dict[str, Any]:
    outcome_batch(world.facts, "b-1", students)
    world.central.answers["central-b-1"] = central_receipt(world.facts, "b-1", altered=altered)
    r = await world.client.post("/api/v1/batches/b-1/receipt/fetch", headers=world.staff())
    assert r.status_code == 201, r.text
    return r.json()


async def test_a_received_file_whose_sha256_differs_is_flagged_for_that_student(world: World) -> None:
    receipt = await _imported(world, altered={3: "e" * 64})
    assert receipt["counts"] == {"received_identical": 4, "received_different": 1, "missing": 0, "not_ours": 0}
    assert receipt["status"] == "imported" and receipt["student_count"] == 5 and receipt["source"] == "central"
    mine = (await world.client.get(f"/api/v1/me/receipts/{receipt['id']}", headers=world.student("stu-003"))).json()
    (item,) = mine["items"]
    assert mine["flagged"] == 1 and item["status"] == "received_different"
    assert item["files"] == [
        {
            "column": "document_file",
            "name": "o003.pdf",
            "expected_sha256": f"{3:064x}",
            "received_sha256": "e" * 64,
            "identical": False,
        }
    ]
    other = (await world.client.get(f"/api/v1/me/receipts/{receipt['id']}", headers=world.student("stu-001"))).json()
    assert other["flagged"] == 0 and other["items"][0]["status"] == "received_identical"
    # a student sees only their items; a stranger or another school's staff sees nothing
    assert (
        await world.client.get(f"/api/v1/me/receipts/{receipt['id']}", headers=world.student("stu-999"))
    ).status_code == 404
    assert (
        await world.client.get(f"/api/v1/receipts/{receipt['id']}", headers=world.staff(school="sch-B"))
    ).status_code == 404
    (available,) = await world.events("submission.receipt.available.v1")
    assert available["flagged_student_user_ids"] == ["stu-003"] and len(available["student_user_ids"]) == 5
    assert nid(3) not in json.dumps(available)
    # importing twice is refused
    again = await world.client.post("/api/v1/batches/b-1/receipt/fetch", headers=world.staff())
    assert again.status_code == 409 and again.json()["code"] == "receipt-already-imported"


async def test_import_refusals(world: World) -> None:
    outcome_batch(world.facts, "b-1", 2)
    world.facts.batches["b-2"] = BatchFacts("b-2", "sch-A", "123456", "grades", 114, 1, False, None)
    r = await world.client.post("/api/v1/batches/b-2/receipt/fetch", headers=world.staff())
    assert r.status_code == 409 and r.json()["rule"] == "R-SUB-5"
    r = await world.client.post("/api/v1/batches/b-1/receipt/fetch", headers=world.staff(school="sch-B"))
    assert r.status_code == 404  # another school's batch: its existence does not leak
    r = await world.client.post("/api/v1/batches/b-1/receipt/fetch", headers=world.staff(perms=[P.SUBMISSION_READ]))
    assert r.status_code == 403
    world.central.answers["central-b-1"] = {**central_receipt(world.facts, "b-1"), "academic_year": 113}
    r = await world.client.post("/api/v1/batches/b-1/receipt/fetch", headers=world.staff())
    assert r.status_code == 422 and r.json()["code"] == "receipt-does-not-match-batch" and r.json()["field"] == "學年度"
    assert (await world.client.get("/api/v1/receipts", headers=world.staff())).json()["items"] == []


def _csv(rows: list[list[str]]) -> bytes:
    return ("\ufeff" + "\r\n".join(",".join(r) for r in [list(COLUMNS), *rows])).encode()


def _line(n: int, sha: str | None = None) -> list[str]:
    return [
        "123456",
        "114",
        "0",
        "學生課程學習成果名冊",
        nid(n),
        "學期",
        str(n + 2),
        "國文 / C1 / 報告",
        "document_file",
        f"o{n:03d}.pdf",
        "100",
        sha or f"{n:064x}",
    ]


async def test_a_receipt_file_with_a_bad_line_imports_nothing_then_a_good_one_imports(world: World) -> None:
    outcome_batch(world.facts, "b-1", 3)
    bad = _csv([_line(0), _line(1), [*_line(2)[:11], "xyz"]])
    r = await world.client.post(
        "/api/v1/batches/b-1/receipt/file", headers=world.staff(), files={"file": ("r.csv", bad, "text/csv")}
    )
    body = r.json()
    assert r.status_code == 422 and body["code"] == "receipt-file-unreadable"
    assert body["line_number"] == 4 and body["field"] == "SHA-256" and body["rule"] == "R-SUB-5"
    assert nid(2) not in r.text
    assert (await world.client.get("/api/v1/receipts", headers=world.staff())).json()["items"] == []
    assert await world.events("submission.receipt.available.v1") == []
    good = _csv([_line(0), _line(1, "d" * 64)])
    r = await world.client.post(
        "/api/v1/batches/b-1/receipt/file", headers=world.staff(), files={"file": ("r.csv", good, "text/csv")}
    )
    assert r.status_code == 201, r.text
    counts = r.json()["counts"]
    # the file's summary differs from what was sent ("國文 / C1 / 報告 0"), so rows compare different too
    assert counts["missing"] == 1 and counts["received_identical"] + counts["received_different"] == 2
    assert r.json()["source"] == "file" and r.json()["file_name"] == "r.csv"


async def test_two_day_window_refused_three_day_window_accepted(world: World) -> None:
    receipt = await _imported(world)
    url = f"/api/v1/receipts/{receipt['id']}/window"
    first = today()
    r = await world.client.post(
        url, json={"first_day": str(first), "last_day": str(first + timedelta(days=1))}, headers=world.staff("g-1")
    )
    assert (
        r.status_code == 422 and r.json()["rule"] == "R-SUB-6" and r.json()["code"] == "confirmation-window-too-short"
    )
    r = await world.client.post(
        url, json={"first_day": str(first), "last_day": str(first + timedelta(days=2))}, headers=world.staff("g-1")
    )
    assert r.status_code == 200, r.text
    window = r.json()["window"]
    assert window["first_day"] == str(first) and window["time_zone"] == "Asia/Taipei"
    assert (
        window["opens_at"] == f"{first}T00:00:00+08:00"
        and window["closes_at"] == f"{first + timedelta(days=3)}T00:00:00+08:00"
    )
    again = await world.client.post(
        url, json={"first_day": str(first), "last_day": str(first + timedelta(days=5))}, headers=world.staff("g-1")
    )
    assert again.status_code == 409
    (opened,) = await world.events("submission.confirmation.window_opened.v1")
    assert opened["first_day"] == str(first) and opened["last_day"] == str(first + timedelta(days=2))


async def _open_window(world: World, receipt: dict[str, Any]) -> None:
    first = today()
    r = await world.client.post(
        f"/api/v1/receipts/{receipt['id']}/window",
        json={"first_day": str(first), "last_day": str(first + timedelta(days=2))},
        headers=world.staff("g-1"),
    )
    assert r.status_code == 200, r.text


async def test_a_student_who_left_gets_a_letter_request_and_staff_record_the_mailed_answer(world: World) -> None:
    world.facts.left.add("stu-002")
    receipt = await _imported(world)
    await _open_window(world, receipt)
    (letter,) = await world.events("submission.receipt.letter_requested.v1")
    assert letter["student_user_id"] == "stu-002" and letter["receipt_id"] == receipt["id"]
    assert letter["items"] == [
        {"sheet": "學期", "summary": "國文 / C1 / 報告 2", "status": "received_identical", "file_names": ["o002.pdf"]}
    ]
    assert "視為確認" in letter["how_to_answer_zh"] and letter["first_day"] == str(today())
    assert nid(2) not in json.dumps(letter)
    # the student who left cannot answer on the platform (R-SUB-9)
    r = await world.client.post(f"/api/v1/me/receipts/{receipt['id']}/confirmation", headers=world.student("stu-002"))
    assert r.status_code == 409 and r.json()["rule"] == "R-SUB-9"
    # a mailed answer for a student who did NOT leave is refused
    url = f"/api/v1/receipts/{receipt['id']}/students/stu-001/mailed-answer"
    r = await world.client.post(
        url, json={"answer": "confirmed", "letter_dated": str(today())}, headers=world.staff("g-1")
    )
    assert r.status_code == 422 and r.json()["rule"] == "R-SUB-9"
    url = f"/api/v1/receipts/{receipt['id']}/students/stu-002/mailed-answer"
    r = await world.client.post(
        url, json={"answer": "confirmed", "letter_dated": str(today() + timedelta(days=1))}, headers=world.staff("g-1")
    )
    assert r.status_code == 422 and r.json()["field"] == "letter_dated"
    r = await world.client.post(
        url, json={"answer": "confirmed", "letter_dated": str(today())}, headers=world.staff("g-1")
    )
    assert r.status_code == 200, r.text
    got = r.json()
    assert (got["answer"], got["channel"], got["recorded_by"], got["letter_dated"]) == (
        "confirmed",
        "post",
        "g-1",
        str(today()),
    )
    assert got["answered_at"].endswith("Z")
    r = await world.client.post(
        url, json={"answer": "confirmed", "letter_dated": str(today())}, headers=world.staff("g-1")
    )
    assert r.status_code == 409 and r.json()["code"] == "receipt-already-answered"
    # the enrolled student confirms on the platform, once
    r = await world.client.post(f"/api/v1/me/receipts/{receipt['id']}/confirmation", headers=world.student("stu-001"))
    assert r.status_code == 200 and r.json()["answer"] == "confirmed" and r.json()["channel"] == "platform"
    r = await world.client.post(f"/api/v1/me/receipts/{receipt['id']}/confirmation", headers=world.student("stu-001"))
    assert r.status_code == 409


def _grades_batch(world: World) -> None:
    world.facts.batches["g-1"] = BatchFacts("g-1", "sch-A", "123456", "grades", 114, 1, True, "central-g-1")
    world.facts.sent["g-1"] = [
        SubmittedItem(
            f"stu-{n:03d}",
            nid(n),
            "學期成績",
            None,
            {"course_code": code, "subject_name": "數學", "semester_score": "80"},
            item_ref=f"grade-{n}-{code}",
        )
        for n in range(3)
        for code in ("M1", "M2")
    ]
    body = {"school_code": "123456", "kind": "grades", "academic_year": 114, "semester": 1, "students": []}
    for n in range(3):
        rows = []
        for row, code in enumerate(("M1", "M2"), start=2):
            score = "60" if (n, code) == (1, "M2") else "80"
            rows.append(
                {
                    "sheet": "學期成績",
                    "row": row + 2 * n,
                    "fields": {"course_code": code, "subject_name": "數學", "semester_score": score},
                    "files": [],
                }
            )
        body["students"].append({"national_id": nid(n), "items": rows})  # type: ignore[attr-defined]
    world.central.answers["central-g-1"] = body


async def test_an_objection_on_grades_reaches_the_registrys_delegate_and_its_correction_holds_only_that_students_rows(
    world: World,
) -> None:
    _grades_batch(world)
    # the registry's responsible person reg-1 is absent: identity announced delegate reg-2 as acting
    world.facts.acting[("sch-A", "grades")] = Acting("reg-2", True, "reg-1")
    r = await world.client.post("/api/v1/batches/g-1/receipt/fetch", headers=world.staff("reg-2"))
    assert r.status_code == 201, r.text
    receipt = r.json()
    assert receipt["counts"] == {"received_identical": 5, "received_different": 1, "missing": 0, "not_ours": 0}
    await _open_window(world, receipt)
    mine = (await world.client.get(f"/api/v1/me/receipts/{receipt['id']}", headers=world.student("stu-001"))).json()
    wrong = next(i for i in mine["items"] if i["status"] == "received_different")
    assert wrong["differing_fields"] == ["semester_score"]
    # bad objections first: no reason, another student's item
    url = f"/api/v1/me/receipts/{receipt['id']}/objections"
    theirs = (await world.client.get(f"/api/v1/me/receipts/{receipt['id']}", headers=world.student("stu-000"))).json()[
        "items"
    ][0]["id"]
    r = await world.client.post(url, json={"item_ids": [theirs], "reason": "wrong"}, headers=world.student("stu-001"))
    assert r.status_code == 422 and r.json()["field"] == "item_ids" and r.json()["rule"] == "R-SUB-7"
    r = await world.client.post(
        url, json={"item_ids": [wrong["id"]], "reason": "   "}, headers=world.student("stu-001")
    )
    assert r.status_code == 422 and r.json()["field"] == "reason"
    r = await world.client.post(
        url, json={"item_ids": [wrong["id"]], "reason": "我的成績是 80 分"}, headers=world.student("stu-001")
    )
    assert r.status_code == 201, r.text
    objection = r.json()
    assert (
        objection["duty_code"],
        objection["routed_to"],
        objection["routed_is_delegate"],
        objection["on_behalf_of"],
    ) == ("grades", "reg-2", True, "reg-1")
    (raised,) = await world.events("submission.objection.raised.v1")
    assert raised["acting_user_id"] == "reg-2" and raised["acting_is_delegate"] and raised["duty_code"] == "grades"
    # the absent responsible person cannot resolve it; the acting delegate corrects
    office = [P.OBJECTION_RESOLVE, P.SUBMISSION_READ]
    listed = (
        await world.client.get("/api/v1/objections?status=open", headers=world.staff("reg-2", perms=office))
    ).json()["items"]
    assert [o["id"] for o in listed] == [objection["id"]]
    r = await world.client.post(
        f"/api/v1/objections/{objection['id']}/correction", json={}, headers=world.staff("reg-1", perms=office)
    )
    assert r.status_code == 409 and r.json()["rule"] == "R-DUTY-2"
    r = await world.client.post(
        f"/api/v1/objections/{objection['id']}/correction",
        json={"note": "re-sent"},
        headers=world.staff("reg-2", perms=office),
    )
    assert r.status_code == 200, r.text
    settled = r.json()
    assert (
        settled["status"],
        settled["resolved_by"],
        settled["resolved_on_behalf_of"],
        settled["correction_batch_id"],
    ) == ("corrected", "reg-2", "reg-1", "corr-1")
    (correction,) = world.facts.corrections
    assert correction["student_user_ids"] == ["stu-001"] and correction["item_refs"] == ["grade-1-M2"]
    assert (
        correction["of_batch_id"] == "g-1"
        and correction["created_by"] == "reg-2"
        and correction["on_behalf_of"] == "reg-1"
    )
    r = await world.client.post(
        f"/api/v1/objections/{objection['id']}/rejection",
        json={"reason": "no"},
        headers=world.staff("reg-2", perms=office),
    )
    assert r.status_code == 409 and r.json()["code"] == "objection-already-settled"
    (resolved,) = await world.events("submission.objection.resolved.v1")
    assert resolved["outcome"] == "corrected" and resolved["student_user_id"] == "stu-001"


async def test_completion_waits_for_the_close_and_every_objection(world: World) -> None:
    _grades_batch(world)
    world.facts.acting[("sch-A", "grades")] = Acting("reg-1", False, None)
    receipt = (await world.client.post("/api/v1/batches/g-1/receipt/fetch", headers=world.staff())).json()
    await _open_window(world, receipt)
    rid = receipt["id"]
    await world.client.post(f"/api/v1/me/receipts/{rid}/confirmation", headers=world.student("stu-000"))
    item = (await world.client.get(f"/api/v1/me/receipts/{rid}", headers=world.student("stu-001"))).json()["items"][0][
        "id"
    ]
    objection = (
        await world.client.post(
            f"/api/v1/me/receipts/{rid}/objections",
            json={"item_ids": [item], "reason": "wrong"},
            headers=world.student("stu-001"),
        )
    ).json()
    r = await world.client.post(f"/api/v1/receipts/{rid}/complete", headers=world.staff("g-1"))
    assert r.status_code == 409 and r.json()["code"] == "confirmation-window-still-open"
    async with world.runtime.uow() as uow:
        assert await confirmation.close_window(uow, rid, now=datetime.now(UTC) + timedelta(days=4)) == 1
    r = await world.client.post(f"/api/v1/receipts/{rid}/complete", headers=world.staff("g-1"))
    assert r.status_code == 409 and r.json()["rule"] == "R-SUB-8" and r.json()["open_objections"] == 1
    office = [P.OBJECTION_RESOLVE]
    r = await world.client.post(
        f"/api/v1/objections/{objection['id']}/rejection",
        json={"reason": " "},
        headers=world.staff("reg-1", perms=office),
    )
    assert r.status_code == 422 and r.json()["rule"] == "R-SUB-8"
    r = await world.client.post(
        f"/api/v1/objections/{objection['id']}/rejection",
        json={"reason": "成績無誤，請再確認"},
        headers=world.staff("reg-1", perms=office),
    )
    assert r.status_code == 200 and r.json()["status"] == "rejected" and r.json()["resolution"] == "成績無誤，請再確認"
    report = (await world.client.get("/api/v1/schools/sch-A/receipt-report", headers=world.staff("g-1"))).json()
    (row,) = report["receipts"]
    assert (row["confirmed"], row["deemed"], row["objected"], row["objections_open"], row["objections_resolved"]) == (
        1,
        1,
        1,
        0,
        1,
    )
    r = await world.client.post(f"/api/v1/receipts/{rid}/complete", headers=world.staff("g-1"))
    assert r.status_code == 200 and r.json()["status"] == "completed" and r.json()["completed_by"] == "g-1"
    (done,) = await world.events("submission.receipt.confirmation_completed.v1")
    assert (done["confirmed_count"], done["deemed_count"], done["objected_count"], done["resolved_count"]) == (
        1,
        1,
        1,
        1,
    )
    r = await world.client.post(f"/api/v1/receipts/{rid}/complete", headers=world.staff("g-1"))
    assert r.status_code == 409 and r.json()["code"] == "receipt-confirmation-completed"
    assert (
        await world.client.get(
            "/api/v1/schools/sch-A/receipt-report", headers=world.staff("x", perms=[P.RECEIPT_CONFIRM])
        )
    ).status_code == 403
