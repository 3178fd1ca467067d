"""Post-migration check: stored identifiers that today's rules refuse (R-DATA-1).

Before the ASCII-only rule, national ID validation used ``\\d`` and ``int()``, which accept
Arabic-Indic, Devanagari, mathematical bold and every other Unicode digit; such a number is a
second student for one person and would be submitted as typed. Run after ``alembic upgrade head``
(it needs the field keys, which the migration itself does not have)::

    python -m portfolio_records.service_layer.identifier_check [--fail-on-findings]

It decrypts every national ID and validates it again, recomputes its blind index, and checks the
plain identifiers (student numbers, class names, course codes of courses and of grades). The JSON
report names rows by student id, course id and school; it never prints an identifier's value,
and the national ID not even masked. Nothing is changed: the registry corrects the rows through
the API (``PATCH students/{id}``), which validates as every new entry is validated.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import Row

from portfolio_records.adapters import identifier_scan as scan
from portfolio_records.domain.errors import DomainError, InvalidNationalId
from portfolio_records.domain.national_id import validate_national_id
from portfolio_shared.identifiers import fold_full_width, non_ascii_digits
from portfolio_shared.service import ServiceRuntime

from .security import RecordsCrypto

# The same classes the API and the grade import enforce (commands.StudentNumber, CourseCode).
_STUDENT_NUMBER = re.compile(r"[0-9A-Za-z-]{1,20}", re.ASCII)
_COURSE_CODE = re.compile(r"[0-9A-Za-z_.-]{1,40}", re.ASCII)


@dataclass(frozen=True, slots=True)
class Finding:
    """One stored value that fails today's rule; identifies the row, never shows the value."""

    table: str
    field: str
    reason: str
    student_id: str | None = None
    school_id: str | None = None
    course_id: str | None = None


@dataclass(slots=True)
class CheckReport:
    checked: dict[str, int] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "rule": "R-DATA-1",
            "checked": self.checked,
            "finding_count": len(self.findings),
            "findings": [{k: v for k, v in asdict(f).items() if v is not None} for f in self.findings],
        }


def _code_reason(value: str, pattern: re.Pattern[str]) -> str | None:
    if pattern.fullmatch(value):
        return None
    return "format" if value.isascii() else "non_ascii"


def _class_name_reason(value: str) -> str | None:
    if fold_full_width(value) != value:
        return "full_width"
    if non_ascii_digits(value):
        return "non_ascii_digits"
    return None


async def _check_national_ids(runtime: ServiceRuntime, crypto: RecordsCrypto, report: CheckReport, batch: int) -> None:
    last: uuid.UUID | None = None
    count = 0
    while True:
        async with runtime.uow() as uow:
            rows = await scan.national_ids_after(uow.session, last, batch)
        if not rows:
            break
        for row in rows:
            count += 1
            student_id = str(row.id)
            try:
                value = validate_national_id(crypto.open_national_id(row.id, row.national_id_encrypted))
            except InvalidNationalId as error:
                report.findings.append(Finding("students", "national_id", error.reason_code, student_id))
                continue
            except DomainError:  # wrong key, tampered token: cannot be checked, say so
                report.findings.append(Finding("students", "national_id", "undecryptable", student_id))
                continue
            if not crypto.national_id_index.matches(value, row.national_id_index):
                # The lookup would not find this student (an index built by an older normaliser).
                report.findings.append(Finding("students", "national_id_index", "index_mismatch", student_id))
        last = rows[-1].id
    report.checked["students"] = count


async def _check_enrolments(runtime: ServiceRuntime, report: CheckReport, batch: int) -> None:
    last: uuid.UUID | None = None
    count = 0
    while True:
        async with runtime.uow() as uow:
            rows = await scan.enrolments_after(uow.session, last, batch)
        if not rows:
            break
        for row in rows:
            count += 1
            where = {"student_id": str(row.student_id), "school_id": row.school_id}
            if reason := _code_reason(row.student_number, _STUDENT_NUMBER):
                report.findings.append(Finding("enrolments", "student_number", reason, **where))
            if reason := _class_name_reason(row.class_name):
                report.findings.append(Finding("enrolments", "class_name", reason, **where))
        last = rows[-1].id
    report.checked["enrolments"] = count


async def _check_courses(runtime: ServiceRuntime, report: CheckReport) -> None:
    async with runtime.uow() as uow:
        rows = await scan.course_codes(uow.session)
    for row in rows:
        if reason := _code_reason(row.course_code, _COURSE_CODE):
            report.findings.append(
                Finding("courses", "course_code", reason, school_id=row.school_id, course_id=str(row.id))
            )
    report.checked["courses"] = len(rows)


async def _check_grade_codes(runtime: ServiceRuntime, report: CheckReport) -> None:
    # A district holds millions of grades but few distinct codes: check the codes, then fetch
    # only the rows of the bad ones.
    async with runtime.uow() as uow:
        codes = await scan.grade_course_codes(uow.session)
        bad = {c: r for c in codes if (r := _code_reason(c, _COURSE_CODE))}
        rows: Sequence[Row[Any]] = await scan.grades_with_codes(uow.session, bad) if bad else ()
    for row in sorted(rows, key=lambda r: (str(r.student_id), r.school_id)):
        report.findings.append(
            Finding("grades", "course_code", bad[row.course_code], str(row.student_id), row.school_id)
        )
    report.checked["grade_course_codes"] = len(codes)


async def check_identifiers(runtime: ServiceRuntime, crypto: RecordsCrypto, *, batch: int = 500) -> CheckReport:
    """Every stored identifier that the current rules would refuse (R-DATA-1); changes nothing."""
    report = CheckReport()
    await _check_national_ids(runtime, crypto, report, batch)
    await _check_enrolments(runtime, report, batch)
    await _check_courses(runtime, report)
    await _check_grade_codes(runtime, report)
    return report


__all__ = ["CheckReport", "Finding", "check_identifiers"]
