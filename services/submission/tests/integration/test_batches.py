"""Batches on the real PostgreSQL: the pre-check names what is wrong, a batch with errors is refused
until fixed or the student is excluded (recorded), and a delegate submits for an absent registry head.

Must show (issue 11): the pre-check names an uncertified selected outcome and a student with a missing
required field; the batch is refused until fixed or the student is excluded; a delegate submits while
the registry's responsible person is absent and the batch shows both.
"""

from __future__ import annotations

import io
import tempfile
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from python_calamine import CalamineWorkbook
from sqlalchemy import select
from submission_world import SCHOOL, SCHOOL_CODE, YEAR, World

from portfolio_shared.events.artifacts import OutcomeCertified
from portfolio_shared.events.identity import AbsenceMarked
from portfolio_shared.events.records import CadreRecorded, SemesterGrade, SemesterGradesRecorded
from portfolio_shared.permissions import Permission as P
from portfolio_submission.adapters.orm import audit_log
from portfolio_submission.bootstrap import make_deps
from portfolio_submission.service_layer.content import batch_content

pytestmark = pytest.mark.integration


async def _outcomes_world(world: World) -> dict[str, Any]:
    await world.school_exists()
    await world.person("it-head", "資訊組長")
    await world.duty("outcome_submission", ["it-head"], ["it-deputy"], "it-head")
    await world.course()
    nid_a = await world.enrol("stu-a", 1, user_id="u-a", seat=1, name="王小明")
    nid_b = await world.enrol("stu-b", 2, user_id="u-b", seat=2, name="李小華")
    good = await world.outcome("u-a", certified=True)
    pending = await world.outcome("u-b", certified=False)
    return {"nids": [nid_a, nid_b], "good": good, "pending": pending}


async def test_the_pre_check_names_an_uncertified_selected_outcome_and_the_batch_waits_until_fixed(
    world: World,
) -> None:
    facts = await _outcomes_world(world)
    it = world.staff("it-head")
    r = await world.create_batch(it, "course_outcomes")
    assert r.status_code == 201, r.text
    batch = r.json()
    assert (batch["status"], batch["office"], batch["created_by"]["display_name"]) == ("draft", "it", "資訊組長")

    # Not checked yet: refused.
    r = await world.act(batch["id"], "submit", it)
    assert r.status_code == 409 and r.json()["code"] == "batch-not-checked"

    r = await world.act(batch["id"], "check", it)
    assert r.status_code == 200, r.text
    checked = r.json()
    assert (checked["status"], checked["error_count"], checked["student_count"], checked["row_count"]) == (
        "failed_check",
        1,
        2,
        2,
    )
    report = await world.report(batch["id"], it)
    (finding,) = report["findings"]
    assert finding["student_id"] == "stu-b" and finding["student_name"] == "李小華" and finding["seat_number"] == 2
    assert (finding["sheet"], finding["row"], finding["field"], finding["rule"]) == ("學期", 3, "認證", "R-ART-3")
    assert finding["source_id"] == facts["pending"]
    body = str(report)
    assert all(nid not in body for nid in facts["nids"]), "a report never shows a national ID"

    r = await world.act(batch["id"], "submit", it)
    problem = r.json()
    assert r.status_code == 409 and problem["code"] == "batch-has-errors" and problem["rule"] == "R-SUB-1"
    assert r.headers["content-type"].startswith("application/problem+json") and problem["title_zh"]

    # The teacher certifies; the check runs again and passes; the batch is submitted.
    await world.feed(
        OutcomeCertified(
            outcome_id=facts["pending"],
            student_user_id="u-b",
            school_id=SCHOOL,
            course_id="course-1",
            certified_by="teacher-1",
            on_behalf_of=None,
            basis="teacher",
        )
    )
    r = await world.act(batch["id"], "check", it)
    assert (r.json()["status"], r.json()["error_count"]) == ("checked", 0)
    r = await world.act(batch["id"], "submit", it)
    assert r.status_code == 200, r.text
    done = r.json()
    assert done["status"] == "ready" and done["submitted_by"]["user_id"] == "it-head" and done["on_behalf_of"] is None
    # Submitting again (a client retry) changes nothing.
    again = await world.act(batch["id"], "submit", it)
    assert again.status_code == 200 and again.json()["version"] == done["version"]

    # What sending gets: the rows keyed by national ID, the files named in them.
    deps = make_deps(world.runtime)
    async with world.runtime.uow() as uow:
        content = await batch_content(uow, deps, batch["id"])
    assert (content.spec_kind, content.academic_year, content.semester, content.school_code) == (
        "course_outcomes",
        YEAR,
        0,
        SCHOOL_CODE,
    )
    rows = content.rows["學期"]
    assert [r["national_id"] for r in rows] == facts["nids"]
    assert rows[0]["course_code"] == "114123456301M0000000001" and rows[0]["credits"] == 4
    assert rows[0]["document_file"] == f"{facts['good']}-document.pdf"
    assert {f.name for f in content.files} == {f"{facts['good']}-document.pdf", f"{facts['pending']}-document.pdf"}
    assert content.files[0].object_key.startswith("outcomes/")


async def test_a_student_with_a_missing_required_field_is_named_and_can_be_excluded_explicitly(world: World) -> None:
    await world.school_exists()
    await world.duty("cadre", ["act-head"], [], "act-head")
    await world.enrol("stu-a", 1, seat=1)
    await world.enrol("stu-b", 2, seat=2, name="李小華")
    for n, student, starts in ((1, "stu-a", date(2025, 9, 1)), (2, "stu-b", None)):
        await world.feed(
            CadreRecorded(
                record_id=f"cadre-{n}",
                student_id=student,
                school_id=SCHOOL,
                academic_year=YEAR,
                semester=1,
                level="class",
                title="班長",
                unit="301班",
                starts_on=starts,
            )
        )
    act = world.staff("act-head")
    batch = (await world.create_batch(act, "cadre_records", semester=1)).json()
    assert (await world.act(batch["id"], "check", act)).json()["status"] == "failed_check"
    (finding,) = (await world.report(batch["id"], act))["findings"]
    assert (finding["student_id"], finding["field"], finding["rule"], finding["row"]) == (
        "stu-b",
        "開始日期",
        "required",
        3,
    )

    # Excluding someone who is not in the batch is refused, naming them.
    r = await world.act(batch["id"], "exclusions", act, json={"student_ids": ["stu-zz"], "reason": "x"})
    assert r.status_code == 422, r.text
    assert (r.json()["code"], r.json()["field"], r.json()["student_ids"]) == (
        "unknown-students",
        "student_ids",
        ["stu-zz"],
    )
    r = await world.act(batch["id"], "exclusions", act, json={"student_ids": ["stu-b"], "reason": "轉學中，資料待補"})
    assert r.status_code == 200 and (r.json()["status"], r.json()["excluded_count"]) == ("draft", 1)
    # Excluded but not checked again: still refused.
    assert (await world.act(batch["id"], "submit", act)).status_code == 409
    checked = (await world.act(batch["id"], "check", act)).json()
    assert (checked["status"], checked["student_count"], checked["error_count"]) == ("checked", 1, 0)
    assert (await world.act(batch["id"], "submit", act)).json()["status"] == "ready"

    report = await world.report(batch["id"], act)
    (excluded,) = report["exclusions"]
    assert (excluded["student_id"], excluded["excluded_by"], excluded["reason"]) == (
        "stu-b",
        "act-head",
        "轉學中，資料待補",
    )
    async with world.runtime.uow() as uow:
        actions = (await uow.session.execute(select(audit_log.c.action).order_by(audit_log.c.seq))).scalars().all()
    assert actions == [
        "batch.created",
        "batch.checked",
        "batch.students_excluded",
        "batch.checked",
        "batch.submitted",
    ]


async def test_a_delegate_submits_grades_while_the_registry_head_is_absent_and_the_batch_shows_both(
    world: World,
) -> None:
    await world.school_exists()
    await world.person("reg-head", "註冊組長")
    await world.person("reg-deputy", "註冊組代理人")
    await world.feed(
        AbsenceMarked(user_id="reg-head", school_id=SCHOOL, starts_on=date(2026, 3, 1), ends_on=date(2026, 3, 31))
    )
    # Identity re-resolves the duty: the delegate acts (R-DUTY-2).
    await world.duty("grades", ["reg-head"], ["reg-deputy"], "reg-deputy", delegate=True)
    await world.enrol("stu-a", 1)
    await world.feed(
        SemesterGradesRecorded(
            student_id="stu-a",
            school_id=SCHOOL,
            academic_year=YEAR,
            semester=1,
            course_codes=["114123456301M0000000001"],
            grade_count=1,
            grades=[
                SemesterGrade(
                    course_code="114123456301M0000000001",
                    subject_name="國語文",
                    credits=4,
                    score=Decimal("88.5"),
                    passed=True,
                )
            ],
        )
    )
    head, deputy = world.staff("reg-head"), world.staff("reg-deputy")
    r = await world.create_batch(head, "grades", semester=1)
    assert r.status_code == 403 and r.json()["code"] == "not-acting-for-office" and r.json()["rule"] == "R-SUB-4"
    r = await world.create_batch(deputy, "grades", semester=1)
    assert r.status_code == 201, r.text
    batch = r.json()
    assert (await world.act(batch["id"], "check", deputy)).json()["status"] == "checked"
    # The head, absent, cannot submit it either; the IT section's person neither (not their office).
    assert (await world.act(batch["id"], "submit", head)).status_code == 403
    r = await world.act(batch["id"], "submit", deputy)
    assert r.status_code == 200, r.text
    done = r.json()
    assert done["submitted_by"] == {"user_id": "reg-deputy", "display_name": "註冊組代理人"}
    assert done["on_behalf_of"] == {"user_id": "reg-head", "display_name": "註冊組長"}
    listed = await world.client.get("/api/v1/batches", params={"school_id": SCHOOL}, headers=head)
    assert [b["on_behalf_of"]["user_id"] for b in listed.json()["items"]] == ["reg-head"]


async def test_permissions_and_school_scope(world: World) -> None:
    await _outcomes_world(world)
    it = world.staff("it-head")
    batch = (await world.create_batch(it, "course_outcomes")).json()
    # Without submission:submit at the school: 403 citing R-SUB-4.
    reader = world.staff("it-head", [P.SUBMISSION_READ])
    r = await world.create_batch(reader, "course_outcomes")
    assert r.status_code == 403 and r.json()["rule"] == "R-SUB-4"
    # Another school's staff never see the batch, even when they name their own school.
    other = world.staff("it-head", school="sch-B")
    r = await world.client.get(f"/api/v1/batches/{batch['id']}", params={"school_id": "sch-B"}, headers=other)
    assert r.status_code == 404
    r = await world.client.get(f"/api/v1/batches/{batch['id']}", params={"school_id": SCHOOL}, headers=other)
    assert r.status_code == 403
    # One open batch per school, kind and term.
    r = await world.create_batch(it, "course_outcomes")
    assert r.status_code == 409 and r.json()["code"] == "batch-exists"
    # The term must fit the kind (yearly: semester 0).
    r = await world.create_batch(it, "course_outcomes", semester=1)
    assert r.status_code == 422 and r.json()["field"] == "semester" and r.json()["rule"] == "R-SUB-2"


async def test_the_report_downloads_as_a_workbook(world: World) -> None:
    await _outcomes_world(world)
    it = world.staff("it-head")
    batch = (await world.create_batch(it, "course_outcomes")).json()
    await world.act(batch["id"], "check", it)
    r = await world.client.get(f"/api/v1/batches/{batch['id']}/report.xlsx", params={"school_id": SCHOOL}, headers=it)
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert "attachment" in r.headers["content-disposition"]
    book = CalamineWorkbook.from_filelike(io.BytesIO(r.content))
    rows = book.get_sheet_by_name("檢核結果").to_python()
    assert rows[0][:3] == ["序號", "學生 (platform id)", "姓名"]
    assert rows[1][1:3] == ["stu-b", "李小華"] and "R-ART-3" in rows[1]
    assert len(rows) == 2
    # The temporary workbook is removed once it was sent.
    assert not list(Path(tempfile.gettempdir()).glob(f"precheck-*{batch['id']}*"))


async def test_sending_moves_a_ready_batch_through_the_state_machine_only(world: World) -> None:
    from portfolio_submission.domain.batches import BatchStatus
    from portfolio_submission.domain.errors import IllegalTransition
    from portfolio_submission.service_layer.batches import advance

    await _outcomes_world(world)
    it = world.staff("it-head")
    batch = (await world.create_batch(it, "course_outcomes")).json()
    deps = make_deps(world.runtime)
    async with world.runtime.uow() as uow:
        with pytest.raises(IllegalTransition):
            await advance(uow.session, deps, batch["id"], BatchStatus.SENDING, actor="system:sender")
    async with world.runtime.uow() as uow:
        await advance(uow.session, deps, batch["id"], BatchStatus.CANCELLED, actor="it-head")
        await uow.commit()
    r = await world.client.get(f"/api/v1/batches/{batch['id']}", params={"school_id": SCHOOL}, headers=it)
    assert (r.json()["status"], r.json()["version"]) == ("cancelled", batch["version"] + 1)
    # A cancelled batch no longer blocks a new one for the same term.
    assert (await world.create_batch(it, "course_outcomes")).status_code == 201
