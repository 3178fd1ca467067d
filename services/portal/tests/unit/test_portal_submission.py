"""Submission pages against the submission service's API as its branch declares it (sub-core /
sub-receipts, operationIds snapshot): the fake answers have the shapes of its schemas. A student checks
a receipt, confirms it or objects with the items in question (R-SUB-7); staff see the due list per
office (R-SUB-1..4), a batch's pre-check findings by student, sheet, row, field and rule, run the check
and submit (a refusal shown with its zh-TW title), settle objections (R-SUB-8) and download the
postal letters (R-SUB-9) and the pre-check workbook as the services made them."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).parent))
from test_portal_pages import SCHOOL, FakeServices, fake_token, make_client, problem

STAFF_PERMS = ["submission:read", "submission:submit", "objection:resolve", "receipt:complete", "schedule:read"]
STUDENT_PERMS = ["receipt:confirm", "objection:raise", "outcome:upload"]
RECEIPT = "rcpt-1"
BATCH = "batch-1"


def person_token(perms: list[str]) -> httpx.Response:
    return httpx.Response(200, json={"access_token": fake_token(perms), "refresh_token": "r"})


def receipt(status: str = "window_open") -> dict[str, Any]:
    return {
        "id": RECEIPT,
        "school_id": SCHOOL,
        "batch_id": BATCH,
        "kind": "course_outcomes",
        "academic_year": 114,
        "semester": 0,
        "source": "central",
        "file_name": None,
        "imported_by": "staff-1",
        "imported_at": "2026-09-01T00:00:00Z",
        "student_count": 2,
        "item_count": 3,
        "counts": {"received_identical": 2, "received_different": 1, "missing": 0, "not_ours": 0},
        "status": status,
        "window": {
            "first_day": "2026-09-02",
            "last_day": "2026-09-05",
            "time_zone": "Asia/Taipei",
            "opens_at": "2026-09-02T00:00:00+08:00",
            "closes_at": "2026-09-06T00:00:00+08:00",
            "announced_by": "staff-1",
            "announced_at": "2026-09-01T01:00:00Z",
        },
        "closed_at": None,
        "deemed_count": None,
        "completed_by": None,
        "completed_at": None,
    }


def item(item_id: str, status: str, summary: str) -> dict[str, Any]:
    return {
        "id": item_id,
        "student_user_id": "user-1",
        "sheet": "學期",
        "row": 3,
        "item_ref": None,
        "summary": summary,
        "status": status,
        "files": [],
        "differing_fields": ["description"] if status == "received_different" else [],
    }


async def login(client: httpx.AsyncClient) -> str:
    import re

    page = await client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token
    r = await client.post("/login", data={"username": "u", "password": "p", "csrf_token": token.group(1)})
    assert r.status_code == 303
    home = await client.get("/")
    found = re.search(r'name="csrf_token" value="([^"]+)"', home.text)
    assert found
    return found.group(1)


async def test_a_student_checks_a_receipt_then_objects_to_the_items_in_question() -> None:
    fake = FakeServices()
    fake.routes[("POST", "identity", "/api/v1/auth/token")] = lambda r: person_token(STUDENT_PERMS)
    fake.routes[("GET", "submission", "/api/v1/me/receipts")] = lambda r: httpx.Response(
        200,
        json={
            "items": [
                {
                    "id": RECEIPT,
                    "kind": "course_outcomes",
                    "academic_year": 114,
                    "semester": 0,
                    "status": "window_open",
                    "answer": "pending",
                    "window": receipt()["window"],
                }
            ]
        },
    )
    mine = {
        "receipt": receipt(),
        "answer": {"answer": "pending", "channel": None, "answered_at": None, "left_school": False},
        "items": [
            item("i-1", "received_identical", "英語文 成果一"),
            item("i-2", "received_different", "英語文 成果二"),
        ],
        "flagged": 1,
    }
    fake.routes[("GET", "submission", f"/api/v1/me/receipts/{RECEIPT}")] = lambda r: httpx.Response(200, json=mine)
    fake.routes[("GET", "submission", f"/api/v1/me/receipts/{RECEIPT}/objections")] = lambda r: httpx.Response(
        200, json={"items": []}
    )
    fake.routes[("POST", "submission", f"/api/v1/me/receipts/{RECEIPT}/objections")] = lambda r: httpx.Response(
        201, json={}
    )
    async with make_client(fake) as client:
        csrf = await login(client)
        listed = await client.get("/receipts")
        assert "課程學習成果 114-0" in listed.text and "尚未回覆" in listed.text
        page = await client.get(f"/receipts/{RECEIPT}")
        assert page.status_code == 200
        assert "內容不同" in page.text and "內容相同" in page.text and "有 1 項內容不同或缺漏" in page.text
        assert "2026-09-02 00:00" in page.text  # the window in the school's zone
        assert 'value="i-2" checked' in page.text and 'value="i-1" checked' not in page.text
        r = await client.post(
            f"/receipts/{RECEIPT}/object",
            data={"csrf_token": csrf, "item_ids": ["i-2"], "reason": "第二件的簡述不是我寫的"},
        )
        assert r.status_code == 303 and r.headers["location"] == f"/receipts/{RECEIPT}"
        (sent,) = [r for r in fake.called("submission", f"/me/receipts/{RECEIPT}/objections") if r.method == "POST"]
        assert json.loads(sent.content) == {"item_ids": ["i-2"], "reason": "第二件的簡述不是我寫的"}


async def test_a_student_confirms_and_a_refusal_shows_its_zh_tw_title() -> None:
    fake = FakeServices()
    fake.routes[("POST", "identity", "/api/v1/auth/token")] = lambda r: person_token(STUDENT_PERMS)
    answers = iter(
        [
            httpx.Response(200, json={"receipt_id": RECEIPT, "student_user_id": "user-1", "answer": "confirmed"}),
            problem(409, "window-closed", "The confirmation window is closed", "確認期間已結束", rule="R-SUB-7"),
        ]
    )
    fake.routes[("POST", "submission", f"/api/v1/me/receipts/{RECEIPT}/confirmation")] = lambda r: next(answers)
    async with make_client(fake) as client:
        csrf = await login(client)
        r = await client.post(f"/receipts/{RECEIPT}/confirm", data={"csrf_token": csrf})
        assert r.status_code == 303
        r = await client.post(f"/receipts/{RECEIPT}/confirm", data={"csrf_token": csrf})
        assert r.status_code == 409 and "確認期間已結束" in r.text and "R-SUB-7" in r.text


async def test_staff_see_the_due_list_and_a_batchs_findings_then_check_and_submit() -> None:
    fake = FakeServices()
    fake.routes[("POST", "identity", "/api/v1/auth/token")] = lambda r: person_token(STAFF_PERMS)
    fake.routes[("GET", "submission", "/api/v1/due")] = lambda r: httpx.Response(
        200,
        json={
            "school_id": SCHOOL,
            "on": "2026-11-29",
            "offices": [
                {
                    "office": "it",
                    "duty_code": "outcome_submission",
                    "items": [
                        {
                            "kind": "course_outcomes",
                            "office": "it",
                            "duty_code": "outcome_submission",
                            "data_year": 114,
                            "data_semester": 0,
                            "due_year": 115,
                            "due_semester": 0,
                            "grades": [1, 2],
                            "student_count": 42,
                            "deadline": None,
                            "rule": "R-SUB-2",
                        }
                    ],
                }
            ],
        },
    )
    batch = {
        "id": BATCH,
        "school_id": SCHOOL,
        "kind": "course_outcomes",
        "office": "it",
        "academic_year": 114,
        "semester": 0,
        "status": "failed_check",
        "version": 1,
        "label": "",
        "created_by": {"user_id": "staff-1", "display_name": "資訊組長"},
        "created_at": "2026-11-29T00:00:00Z",
        "updated_at": "2026-11-29T00:00:00Z",
        "checked_at": "2026-11-29T00:00:00Z",
        "error_count": 1,
        "student_count": 42,
        "row_count": 80,
        "excluded_count": 0,
        "submitted_by": None,
        "on_behalf_of": None,
        "submitted_at": None,
        "idempotency_key": "k",
        "failure_reason": None,
    }
    fake.routes[("GET", "submission", "/api/v1/batches")] = lambda r: httpx.Response(
        200, json={"items": [batch], "limit": 200, "offset": 0}
    )
    finding = {
        "seq": 1,
        "student_id": "stu-9",
        "student_name": "陳小華",
        "class_name": "101",
        "seat_number": 9,
        "sheet": "學期",
        "row": 12,
        "field": "description",
        "rule": "required",
        "domain_rule": "R-FILE-2",
        "message": "內容簡述為必填",
        "source_id": None,
    }
    fake.routes[("GET", "submission", f"/api/v1/batches/{BATCH}/report")] = lambda r: httpx.Response(
        200, json={"batch": batch, "findings": [finding], "exclusions": []}
    )
    fake.routes[("POST", "submission", f"/api/v1/batches/{BATCH}/check")] = lambda r: httpx.Response(200, json=batch)
    fake.routes[("POST", "submission", f"/api/v1/batches/{BATCH}/submit")] = lambda r: problem(
        409, "batch-has-errors", "The pre-check found errors", "檢核仍有錯誤，不能送出", rule="R-SUB-1"
    )
    fake.routes[("GET", "submission", f"/api/v1/batches/{BATCH}/report.xlsx")] = lambda r: httpx.Response(
        200,
        content=b"PK\x03\x04workbook",
        headers={
            "content-type": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "content-disposition": 'attachment; filename="precheck.xlsx"',
        },
    )
    async with make_client(fake) as client:
        csrf = await login(client)
        page = await client.get("/submission")
        assert page.status_code == 200
        assert "資訊組" in page.text and "課程學習成果" in page.text and "42" in page.text
        assert "尚未登錄中央資料庫提交期程" in page.text and "R-SUB-2" in page.text
        assert "檢核有誤" in page.text
        assert fake.called("submission", "/api/v1/due")[0].url.params["school_id"] == SCHOOL
        report = await client.get(f"/submission/batches/{BATCH}")
        for shown in ("陳小華", "101-9", "學期", "12", "description", "R-FILE-2", "內容簡述為必填"):
            assert shown in report.text, shown
        r = await client.post(f"/submission/batches/{BATCH}/check", data={"csrf_token": csrf})
        assert r.status_code == 303
        assert fake.called("submission", f"/batches/{BATCH}/check")[0].url.params["school_id"] == SCHOOL
        r = await client.post(f"/submission/batches/{BATCH}/submit", data={"csrf_token": csrf})
        assert r.status_code == 409 and "檢核仍有錯誤，不能送出" in r.text and "R-SUB-1" in r.text
        r = await client.post(f"/submission/batches/{BATCH}/delete", data={"csrf_token": csrf})
        assert r.status_code == 404
        assert not fake.called("submission", f"/batches/{BATCH}/delete")
        workbook = await client.get(f"/submission/batches/{BATCH}/report.xlsx")
        assert workbook.content == b"PK\x03\x04workbook"
        assert workbook.headers["content-disposition"] == 'attachment; filename="precheck.xlsx"'


async def test_staff_settle_objections_and_download_the_postal_letters() -> None:
    fake = FakeServices()
    fake.routes[("POST", "identity", "/api/v1/auth/token")] = lambda r: person_token(STAFF_PERMS)
    fake.routes[("POST", "submission", "/api/v1/objections/obj-1/rejection")] = lambda r: httpx.Response(200, json={})
    fake.routes[("POST", "submission", "/api/v1/objections/obj-1/correction")] = lambda r: httpx.Response(200, json={})
    fake.routes[("GET", "notification", "/api/v1/letters/batch.pdf")] = lambda r: httpx.Response(
        200, content=b"%PDF-1.4 letters", headers={"content-type": "application/pdf"}
    )
    async with make_client(fake) as client:
        csrf = await login(client)
        r = await client.post(
            "/submission/objections/obj-1/rejection", data={"csrf_token": csrf, "text": "資料與上傳相符"}
        )
        assert r.status_code == 303
        r = await client.post("/submission/objections/obj-1/correction", data={"csrf_token": csrf, "text": ""})
        assert r.status_code == 303
        rejection, correction = [c for c in fake.calls if c[1] == "submission"]
        assert json.loads(rejection[3].content) == {"reason": "資料與上傳相符"}
        assert json.loads(correction[3].content) == {"note": None}
        r = await client.post("/submission/objections/obj-1/approval", data={"csrf_token": csrf})
        assert r.status_code == 404
        letters = await client.get(f"/submission/receipts/{RECEIPT}/letters.pdf")
        assert letters.content == b"%PDF-1.4 letters" and letters.headers["content-type"] == "application/pdf"
        (call,) = fake.called("notification", "/letters/batch.pdf")
        assert dict(call.url.params) == {"school_id": SCHOOL, "receipt_id": RECEIPT}
