"""Identifiers are ASCII at the API, in the grade import and in what is stored (R-DATA-1).

The security review created ``B1٢٣٤٥٦٧٨٠`` (Arabic-Indic digits) as a student with a 201: the same
real number then existed as several students. Every script's digits are now refused with the 422
the other bad forms get, and a check command finds such values already stored.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import update

from portfolio_records.adapters.orm import courses, enrolments, grades, students
from portfolio_records.cli import check_identifiers_command as run
from portfolio_records.service_layer.identifier_check import check_identifiers
from portfolio_records.service_layer.security import RecordsCrypto
from portfolio_shared.testing.jobs import job_outcome
from portfolio_shared.testing.unicode_digits import FULL_WIDTH_ZERO, OTHER_ZEROS, in_script, script_name

pytestmark = pytest.mark.integration

SCHOOL = "sch-A"


def _body(national_id: str, **overrides: Any) -> dict[str, Any]:
    return {
        "name": "王小明",
        "national_id": national_id,
        "birth_date": "2009-05-01",
        "student_number": "S1",
        "class_name": "101",
        "effective_on": "2025-08-01",
        **overrides,
    }


async def test_every_scripts_digits_in_a_national_id_are_a_422(records: Any, nid: Any) -> None:
    await records.open_data_entry(SCHOOL, 114, 1)  # windows are closed unless opened (R-REC-1)
    good = nid(2345678, letter="B")
    url = f"/api/v1/schools/{SCHOOL}/students"
    for zero in OTHER_ZEROS:
        value = good[:2] + in_script(good[2:], zero)
        r = await records.client.post(url, json=_body(value), headers=records.staff(SCHOOL))
        assert r.status_code == 422, (script_name(zero), r.text)
        problem = r.json()
        assert problem["field"] == "national_id", script_name(zero)
        assert problem["rule"] == "R-DATA-1"
        assert problem["reason"] == ("full_width" if zero == FULL_WIDTH_ZERO else "non_ascii")
        assert value not in r.text
        lookup = await records.client.post(f"{url}/lookup", json={"national_id": value}, headers=records.staff(SCHOOL))
        # A lookup folds full-width forms (valid then, but nobody has the number yet); nothing else.
        assert lookup.status_code == (404 if zero == FULL_WIDTH_ZERO else 422), script_name(zero)
    # Nothing was created; the ASCII number is still free and admits once.
    r = await records.client.post(url, json=_body(good), headers=records.staff(SCHOOL))
    assert r.status_code == 201, r.text
    listed = await records.client.get(url, headers=records.staff(SCHOOL))
    assert listed.json()["total"] == 1
    student_id = r.json()["id"]
    full_width = good[:2] + in_script(good[2:], FULL_WIDTH_ZERO)
    found = await records.client.post(f"{url}/lookup", json={"national_id": full_width}, headers=records.staff(SCHOOL))
    assert found.status_code == 200 and found.json()["id"] == student_id
    for zero in ("\u0660", "\U0001d7ce"):  # never folded into the same index
        other = good[:2] + in_script(good[2:], zero)
        r = await records.client.post(f"{url}/lookup", json={"national_id": other}, headers=records.staff(SCHOOL))
        assert r.status_code == 422 and r.json()["reason"] == "non_ascii"


@pytest.mark.parametrize("zero", ["\u0660", "\u0966", "\U0001d7ce", FULL_WIDTH_ZERO], ids=script_name)
async def test_student_numbers_course_codes_and_class_digits_must_be_ascii(records: Any, nid: Any, zero: str) -> None:
    await records.open_data_entry(SCHOOL, 114, 1)  # windows are closed unless opened (R-REC-1)
    url = f"/api/v1/schools/{SCHOOL}"
    staff = records.staff(SCHOOL)
    r = await records.client.post(
        f"{url}/students", json=_body(nid(11), student_number=in_script("S110", zero)), headers=staff
    )
    assert r.status_code == 422, r.text
    assert r.json()["field"].endswith("student_number")
    course = {"academic_year": 114, "semester": 1, "course_code": in_script("C01", zero), "subject_name": "國語文",
              "credits": 4}  # fmt: skip
    r = await records.client.post(f"{url}/courses", json=course, headers=staff)
    assert r.status_code == 422, r.text
    assert r.json()["field"].endswith("course_code")
    r = await records.client.post(
        f"{url}/students", json=_body(nid(12), class_name=in_script("301", zero)), headers=staff
    )
    if zero == FULL_WIDTH_ZERO:
        # The documented normalisation: full-width digits of a class name fold to ASCII.
        assert r.status_code == 201, r.text
        assert r.json()["class_name"] == "301"
        found = await records.client.get(f"{url}/students", params={"class_name": "３０１"}, headers=staff)
        assert found.json()["total"] == 1
    else:
        assert r.status_code == 422, r.text
        assert r.json()["field"].endswith("class_name")


async def test_grade_import_rejects_other_scripts_digits_line_by_line(records: Any) -> None:
    await records.open_data_entry(SCHOOL, 114, 1)  # windows are closed unless opened (R-REC-1)
    await records.admit(SCHOOL, 1, number="S00001")
    lines = ["student_number,academic_year,semester,course_code,subject_name,credits,score,passed"]
    expected = []
    for zero in ("\u0660", "\u0966", "\U0001d7ce", FULL_WIDTH_ZERO):
        for column, line in (
            ("student_number", f"{in_script('S00001', zero)},114,1,C01,國語文,4,80,Y"),
            ("course_code", f"S00001,114,1,{in_script('C01', zero)},國語文,4,80,Y"),
            ("score", f"S00001,114,1,C01,國語文,4,{in_script('80', zero)},Y"),
        ):
            lines.append(line)
            expected.append((len(lines), column, "invalid_format"))
    lines.append("S00001,114,1,C01,國語文,4,80,Y")
    started = await records.client.post(
        f"/api/v1/schools/{SCHOOL}/grade-imports",
        files={"file": ("grades.csv", ("\n".join(lines) + "\n").encode(), "text/csv")},
        headers=records.staff(SCHOOL),
    )
    r = await job_outcome(records.client, started, records.staff(SCHOOL))
    assert r.status_code == 200, r.text
    report = r.json()
    assert report["stored"] == 1
    assert [(x["line_number"], x["field"], x["reason"]) for x in report["rejected"]] == expected


async def test_check_command_finds_planted_rows_without_printing_them(
    records: Any, nid: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    await records.open_data_entry(SCHOOL, 114, 1)  # windows are closed unless opened (R-REC-1)
    clean = await records.admit(SCHOOL, 1)
    planted = await records.admit(SCHOOL, 2)
    bold = await records.admit(SCHOOL, 3)
    crypto = RecordsCrypto.from_settings(records.runtime.settings)
    report = await check_identifiers(records.runtime, crypto)
    assert report.findings == []
    assert report.checked["students"] == 3

    # Rows as the old validator (\d, int()) let them in: Arabic-Indic and mathematical bold digits.
    arabic = nid(2, letter="B")[:2] + in_script(nid(2, letter="B")[2:], "\u0660")
    math_bold = nid(3)[:2] + in_script(nid(3)[2:], "\U0001d7ce")
    course_id = uuid.uuid4()
    async with records.runtime.uow() as uow:
        for student, value in ((planted, arabic), (bold, math_bold)):
            sid = uuid.UUID(student["id"])
            await uow.session.execute(
                update(students)
                .where(students.c.id == sid)
                .values(national_id_encrypted=crypto.cipher.encrypt(value, f"records:{sid}:national_id".encode()))
            )
        await uow.session.execute(
            update(enrolments)
            .where(enrolments.c.student_id == uuid.UUID(planted["id"]))
            .values(student_number=in_script("S2", "\u0966"), class_name=in_script("301", "\u0660"))
        )
        await uow.session.execute(
            courses.insert().values(
                id=course_id, school_id=SCHOOL, academic_year=114, semester=1, course_code=in_script("C9", "\u0660"),
                subject_name="數學", credits=4, co_taught=False, created_at=datetime.now(UTC),
            )
        )  # fmt: skip
        await uow.session.execute(
            grades.insert().values(
                student_id=uuid.UUID(planted["id"]), academic_year=114, semester=1, course_code="C\u0661",
                school_id=SCHOOL, subject_name="數學", credits=4, score=80, passed=True,
                updated_at=datetime.now(UTC),
            )
        )  # fmt: skip
        await uow.commit()

    report = await check_identifiers(records.runtime, crypto, batch=2)  # batches of 2: keyset paging
    found = {(f.table, f.field, f.reason, f.student_id, f.course_id) for f in report.findings}
    assert found == {
        ("students", "national_id", "non_ascii", planted["id"], None),
        ("students", "national_id", "non_ascii", bold["id"], None),
        ("enrolments", "student_number", "non_ascii", planted["id"], None),
        ("enrolments", "class_name", "non_ascii_digits", planted["id"], None),
        ("courses", "course_code", "non_ascii", None, str(course_id)),
        ("grades", "course_code", "non_ascii", planted["id"], None),
    }
    assert clean["id"] not in {f.student_id for f in report.findings}

    # The command prints a JSON report by student id; no identifier value, not even masked.
    assert await run([], settings=records.runtime.settings, runtime=records.runtime) == 0
    assert await run(["--fail-on-findings"], settings=records.runtime.settings, runtime=records.runtime) == 1
    out = capsys.readouterr().out
    printed = json.loads(out[: out.index("\n}\n") + 2])
    assert printed["rule"] == "R-DATA-1"
    assert printed["finding_count"] == 6
    for secret in (arabic, math_bold, arabic[2:6], nid(2, letter="B"), in_script("S2", "\u0966"), "C\u0661"):
        assert secret not in out


async def test_check_command_reports_stale_indexes_and_undecryptable_tokens(records: Any) -> None:
    await records.open_data_entry(SCHOOL, 114, 1)  # windows are closed unless opened (R-REC-1)
    stale = await records.admit(SCHOOL, 4)
    broken = await records.admit(SCHOOL, 5)
    crypto = RecordsCrypto.from_settings(records.runtime.settings)
    async with records.runtime.uow() as uow:
        # An index built by another normaliser (NFKC folded 𝟏 to 1) no longer finds its student.
        await uow.session.execute(
            update(students).where(students.c.id == uuid.UUID(stale["id"])).values(national_id_index="0" * 64)
        )
        # A token of another row (associated data differs): cannot be checked, so it is reported.
        token = (
            await uow.session.execute(
                students.select()
                .with_only_columns(students.c.national_id_encrypted)
                .where(students.c.id == uuid.UUID(stale["id"]))
            )
        ).scalar_one()
        await uow.session.execute(
            update(students).where(students.c.id == uuid.UUID(broken["id"])).values(national_id_encrypted=token)
        )
        await uow.commit()
    report = await check_identifiers(records.runtime, crypto)
    assert {(f.field, f.reason, f.student_id) for f in report.findings} == {
        ("national_id_index", "index_mismatch", stale["id"]),
        ("national_id", "undecryptable", broken["id"]),
    }
