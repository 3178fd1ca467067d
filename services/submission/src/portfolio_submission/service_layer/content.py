"""The ONE place that turns a batch into its workbook content (名冊內容).

``batch_content(uow, deps, batch_id)`` is what the package writer calls: for the batch's school, kind
and term it returns the workbook rows per sheet (keyed by the layout's column keys, national ID and
birth date included) and the files the rows name, with the students the batch excludes left out.
The pre-check (``gather``, through ``service_layer.batches.run_check``) reads exactly the same rows,
so what was checked is what is sent.

This is also the one place where a student's items are joined with their national ID (design 1 of
"Personal data in submission packages", docs/ARCHITECTURE.md): records seals the personal fields for
this service (``portfolio_shared.sealing``), the read copy keeps the ciphertext, and it is opened
here, in memory, only while the rows are built. Nothing here logs a cell.

Which rows a batch holds (its term is the data's term):
- ``basic_data`` (semester): every student enrolled at the school during the semester (R-DATA-6);
- ``grades`` (semester): each student's semester grades, as records last published them;
- ``cadre_records`` (semester): the semester's cadre records;
- ``course_outcomes`` (year, semester 0): outcomes selected for that academic year (R-ART-4); a
  selected outcome that is not certified is named by the check (R-ART-3);
- ``performances`` (year): performances selected for that year (R-PERF-2), one sheet per category.
Counselling records never are (R-DATA-5): the service does not receive them at all.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncSession

from portfolio_shared.academic import term_bounds
from portfolio_shared.db import UnitOfWork
from portfolio_shared.errors import not_found
from portfolio_shared.sealing import SealError, open_sealed
from portfolio_submission.adapters import repositories as repo
from portfolio_submission.domain.kinds import (
    CADRE_LEVEL_CODES,
    ENROLMENT_STATUS_CODES,
    FILE_COLUMNS,
    PERFORMANCE_SHEETS,
)
from portfolio_submission.domain.precheck import CandidateRow, Issue, StudentRef

from .context import Deps

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FileRef:
    """A file a workbook row names: ``name`` as it appears in the cell (and in the package's folder),
    where it lies in object storage, and what the integrity check last verified."""

    name: str
    object_key: str
    size: int
    sha256: str


@dataclass(frozen=True)
class BatchContent:
    spec_kind: str  # portfolio_central's layout kind
    academic_year: int
    semester: int  # 0 for yearly kinds
    school_code: str
    rows: Mapping[str, Sequence[Mapping[str, Any]]]  # sheet name → rows keyed by layout column key
    files: Sequence[FileRef]
    student_ids: Sequence[str] = ()  # platform ids of the students the rows hold, in order
    excluded_student_ids: Sequence[str] = ()


@dataclass
class Gathered:
    rows: list[CandidateRow] = field(default_factory=list)
    files: list[FileRef] = field(default_factory=list)
    school_code: str = ""


async def batch_content(uow: UnitOfWork, deps: Deps, batch_id: str) -> BatchContent:
    """What a batch submits: its rows per sheet (after the pre-check's exclusions) and its files."""
    batch = await repo.batch(uow.session, None, batch_id)
    if batch is None:
        raise not_found(f"batch {batch_id}")
    excluded = [e["student_id"] for e in await repo.exclusions(uow.session, batch_id)]
    gathered = await gather(uow.session, deps, batch, excluded)
    sheets: dict[str, list[Mapping[str, Any]]] = {}
    order: dict[str, None] = {}
    for row in gathered.rows:
        sheets.setdefault(row.sheet, []).append(dict(row.cells))
        order.setdefault(row.student.student_id, None)
    return BatchContent(
        spec_kind=batch["kind"],
        academic_year=batch["academic_year"],
        semester=batch["semester"],
        school_code=gathered.school_code,
        rows=sheets,
        files=gathered.files,
        student_ids=list(order),
        excluded_student_ids=excluded,
    )


# -- gathering ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Person:
    """A student as the rows need them: the reference a report shows and the sealed fields opened."""

    ref: StudentRef
    national_id: str | None
    birth_date: date | None
    enrolled_on: date | None
    left_on: date | None
    grade: int
    status: str
    issues: tuple[Issue, ...] = ()


def _open(deps: Deps, school_id: str, student: RowMapping) -> tuple[dict[str, Any], tuple[Issue, ...]]:
    token = student["sealed_personal_data"]
    if token is None:
        return {}, (Issue("身分證號", "personal-data-missing", "records has not sent this student's personal data"),)
    try:
        return open_sealed(deps.settings.private_key, token, context=f"{school_id}/{student['student_id']}"), ()
    except SealError:
        # Never the token or a value in the log: only which student's data did not open.
        log.warning("sealed personal data of student %s does not open with this key", student["student_id"])
        return {}, (Issue("身分證號", "personal-data-unreadable", "the student's sealed personal data does not open"),)


def _person(deps: Deps, school_id: str, student: RowMapping, grade: int) -> Person:
    data, issues = _open(deps, school_id, student)
    birth = data.get("birth_date")
    return Person(
        ref=StudentRef(student["student_id"], data.get("name"), student["class_name"], student["seat_number"]),
        national_id=data.get("national_id"),
        birth_date=date.fromisoformat(birth) if isinstance(birth, str) else None,
        enrolled_on=student["enrolled_on"],
        left_on=student["left_on"],
        grade=grade,
        status=student["status"],
        issues=issues,
    )


def _unknown(student_id: str) -> Person:
    """A student whose enrolment here submission has no copy of: their rows are kept and named by the
    check (nothing is dropped silently), never sent (R-DATA-6)."""
    issue = Issue("學生", "R-DATA-6", "the student is not enrolled at this school (no enrolment known)")
    return Person(StudentRef(student_id), None, None, None, None, 0, "unknown", (issue,))


def _keyed(person: Person, **cells: Any) -> dict[str, Any]:
    return {"national_id": person.national_id, "birth_date": person.birth_date, **cells}


def _outside_enrolment(person: Person, academic_year: int, semester: int) -> Issue | None:
    """R-DATA-6: only data from the student's period of enrolment at the school."""
    first, last = term_bounds(academic_year, semester)
    if (person.enrolled_on is not None and person.enrolled_on > last) or (
        person.left_on is not None and person.left_on < first
    ):
        return Issue("學年度/學期", "R-DATA-6", f"{academic_year}-{semester} lies outside the student's enrolment here")
    return None


async def _people(
    session: AsyncSession, deps: Deps, school_id: str, students: Sequence[RowMapping], academic_year: int
) -> dict[str, Person]:
    grades = await repo.grade_years(session, school_id, [s["student_id"] for s in students])
    return {
        s["student_id"]: _person(deps, school_id, s, grades.get((s["student_id"], academic_year), s["grade"]))
        for s in students
    }


async def gather(session: AsyncSession, deps: Deps, batch: RowMapping, excluded: Sequence[str]) -> Gathered:
    """The candidate rows of a batch (the check's input and the package's content), excluded students
    left out, in a stable order (students by class and seat, then their items)."""
    school_id, kind = batch["school_id"], batch["kind"]
    year, semester = batch["academic_year"], batch["semester"]
    school = await repo.school(session, school_id)
    out = Gathered(school_code=school["school_code"] if school else "")
    skip = set(excluded)
    builders = {
        "basic_data": _basic_data,
        "grades": _grades,
        "cadre_records": _cadres,
        "course_outcomes": _outcomes,
        "performances": _performances,
    }
    await builders[kind](session, deps, school_id, year, semester, skip, out)
    return out


async def _basic_data(
    session: AsyncSession, deps: Deps, school_id: str, year: int, semester: int, skip: set[str], out: Gathered
) -> None:
    first, last = term_bounds(year, semester)
    students = [s for s in await repo.students_during(session, school_id, first, last) if s["student_id"] not in skip]
    people = await _people(session, deps, school_id, students, year)
    for s in students:
        person = people[s["student_id"]]
        cells = _keyed(
            person,
            grade=str(person.grade),
            class_name=s["class_name"],
            seat_number=s["seat_number"],
            enrolment_status=ENROLMENT_STATUS_CODES.get(s["status"]),
            status_changed_on=s["status_since"],
            # Not kept by records today (sex, division, class type, indigenous status …): the
            # pre-check names each one missing rather than the package inventing it.
        )
        out.rows.append(CandidateRow(person.ref, "學生基本資料", cells, s["student_id"], person.issues))


async def _grades(
    session: AsyncSession, deps: Deps, school_id: str, year: int, semester: int, skip: set[str], out: Gathered
) -> None:
    terms = [t for t in await repo.term_grades(session, school_id, year, semester) if t["student_id"] not in skip]
    students = await repo.students_by_id(session, school_id, [t["student_id"] for t in terms])
    people = await _people(session, deps, school_id, list(students.values()), year)
    for term in sorted(terms, key=lambda t: _order(students.get(t["student_id"]))):
        person = people.get(term["student_id"]) or _unknown(term["student_id"])
        outside = _outside_enrolment(person, year, semester)
        for grade in term["grades"]:
            score = Decimal(str(grade["score"]))
            makeup = None if grade.get("makeup_score") is None else Decimal(str(grade["makeup_score"]))
            passed = bool(grade["passed"])
            cells = _keyed(
                person,
                course_code=grade["course_code"],
                subject_name=grade["subject_name"],
                grade_offered=str(person.grade),
                credits=grade["credits"],
                semester_score=score,
                passed="1" if passed else "0",
                makeup_score=makeup,
                makeup_passed=None if makeup is None else ("1" if makeup >= 60 else "0"),
                credits_counted="1" if passed or (makeup is not None and makeup >= 60) else "0",
                qualitative_description=grade.get("qualitative"),
            )
            issues = person.issues + ((outside,) if outside else ())
            out.rows.append(
                CandidateRow(person.ref, "學期成績", cells, f"{term['student_id']}:{grade['course_code']}", issues)
            )


async def _cadres(
    session: AsyncSession, deps: Deps, school_id: str, year: int, semester: int, skip: set[str], out: Gathered
) -> None:
    records = [r for r in await repo.cadres(session, school_id, year, semester) if r["student_id"] not in skip]
    students = await repo.students_by_id(session, school_id, {r["student_id"] for r in records})
    people = await _people(session, deps, school_id, list(students.values()), year)
    for record in sorted(records, key=lambda r: _order(students.get(r["student_id"]))):
        person = people.get(record["student_id"]) or _unknown(record["student_id"])
        outside = _outside_enrolment(person, year, semester)
        cells = _keyed(
            person,
            unit=record["unit"],
            starts_on=record["starts_on"],
            ends_on=record["ends_on"],
            position=record["title"],
            cadre_level=CADRE_LEVEL_CODES.get(record["level"]),
        )
        issues = person.issues + ((outside,) if outside else ())
        out.rows.append(CandidateRow(person.ref, "校內幹部經歷", cells, record["record_id"], issues))


def _order(student: RowMapping | None) -> tuple[str, int, str]:
    if student is None:
        return ("\uffff", 0, "")
    return (student["class_name"], student["seat_number"] or 0, student["student_id"])


def _file_cells(item: RowMapping, out: Gathered) -> dict[str, str]:
    cells: dict[str, str] = {}
    for f in item["files"] or []:
        column = FILE_COLUMNS.get(str(f.get("slot")))
        if column is None or "object_key" not in f:
            continue
        original = str(f.get("filename") or "")
        extension = original.rsplit(".", 1)[-1].lower() if "." in original else "bin"
        # Named by the item, not by the student's name or ID: unique in the folder, nothing personal.
        name = f"{item['item_id']}-{f['slot']}.{extension}"
        cells[column] = name
        out.files.append(FileRef(name, str(f["object_key"]), int(f.get("size") or 0), str(f.get("sha256") or "")))
    return cells


def _item_issues(item: RowMapping, problems: Sequence[RowMapping]) -> list[Issue]:
    issues = []
    for problem in problems:
        issues.append(Issue("證明文件/影音檔案", "R-FILE-1", f"a file of this item is {problem['problem']} in storage"))
    for f in item["files"] or []:
        if "object_key" not in f:
            issues.append(Issue("證明文件/影音檔案", "R-FILE-1", "a file of this item has no stored object on record"))
    return issues


async def _items(
    session: AsyncSession, deps: Deps, school_id: str, item_kind: str, year: int, skip: set[str]
) -> tuple[list[RowMapping], dict[str, RowMapping], dict[str, Person], dict[str, list[RowMapping]]]:
    items = list(await repo.selected_items(session, school_id, item_kind, year))
    students = await repo.students_by_user(session, school_id, {i["student_user_id"] for i in items})
    items = [
        i
        for i in items
        if i["student_user_id"] not in students or students[i["student_user_id"]]["student_id"] not in skip
    ]
    people = await _people(session, deps, school_id, list(students.values()), year)
    problems = await repo.file_problems(session, [i["item_id"] for i in items])
    items.sort(key=lambda i: (_order(students.get(i["student_user_id"])), i["academic_year"] or 0, i["semester"] or 0))
    return items, students, people, problems


def _unknown_student(user_id: str) -> StudentRef:
    return StudentRef(f"user:{user_id}")


async def _outcomes(
    session: AsyncSession, deps: Deps, school_id: str, year: int, semester: int, skip: set[str], out: Gathered
) -> None:
    items, students, people, problems = await _items(session, deps, school_id, "outcome", year, skip)
    courses = await repo.courses(session, {i["course_id"] for i in items if i["course_id"]})
    for item in items:
        student = students.get(item["student_user_id"])
        person = people.get(student["student_id"]) if student else None
        issues = _item_issues(item, problems.get(item["item_id"], []))
        if item["status"] != "certified":  # R-ART-3: only certified outcomes are submitted
            issues.append(
                Issue("認證", "R-ART-3", f"selected but not certified by the course teacher (status {item['status']})")
            )
        if person is None:
            issues.append(Issue("學生", "R-DATA-6", "the student is not enrolled at this school"))
        elif item["academic_year"] and item["semester"]:
            outside = _outside_enrolment(person, item["academic_year"], item["semester"])
            if outside:
                issues.append(outside)
        course = courses.get(item["course_id"] or "")
        grade = person.grade if person else None
        cells: dict[str, Any] = {
            "national_id": person.national_id if person else None,
            "birth_date": person.birth_date if person else None,
            "year_taken": item["academic_year"],
            "semester_taken": None if item["semester"] is None else str(item["semester"]),
            "course_code": course["course_code"] if course else None,
            "subject_name": course["subject_name"] if course else None,
            "grade_offered": None if grade is None else str(grade),
            "credits": None if course is None else int(course["credits"]),
            "description": item["description"],
            **_file_cells(item, out),
        }
        ref = person.ref if person else _unknown_student(item["student_user_id"])
        out.rows.append(
            CandidateRow(ref, "學期", cells, item["item_id"], tuple(person.issues if person else ()) + tuple(issues))
        )


async def _performances(
    session: AsyncSession, deps: Deps, school_id: str, year: int, semester: int, skip: set[str], out: Gathered
) -> None:
    items, students, people, problems = await _items(session, deps, school_id, "performance", year, skip)
    for item in items:
        student = students.get(item["student_user_id"])
        person = people.get(student["student_id"]) if student else None
        issues = _item_issues(item, problems.get(item["item_id"], []))
        if person is None:
            issues.append(Issue("學生", "R-DATA-6", "the student is not enrolled at this school"))
        elif item["academic_year"]:
            outside = _outside_enrolment(person, item["academic_year"], 0)
            if outside:
                issues.append(outside)
        sheet = PERFORMANCE_SHEETS.get(item["category"] or "", item["category"] or "?")
        cells: dict[str, Any] = {
            **dict(item["fields"] or {}),
            "national_id": person.national_id if person else None,
            "birth_date": person.birth_date if person else None,
            "description": item["description"],
            **_file_cells(item, out),
        }
        ref = person.ref if person else _unknown_student(item["student_user_id"])
        out.rows.append(
            CandidateRow(ref, sheet, cells, item["item_id"], tuple(person.issues if person else ()) + tuple(issues))
        )
