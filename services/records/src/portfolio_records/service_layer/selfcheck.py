"""Self-check reports (自我檢核) on the records' own data for one semester: R-SCHED-2, R-REC-1.

Staff see what is still missing before the data-entry window closes: enrolled students without
grades, classes without cadre records, courses without teachers, co-taught courses without a
reviewing teacher, courses without students, and phases without a window.
"""

from __future__ import annotations

from typing import Any

from portfolio_records.adapters.selfcheck import semester_gaps
from portfolio_records.domain.calendar import Phase
from portfolio_records.domain.enrolment import EnrolmentStatus
from portfolio_shared.db import UnitOfWork


async def self_check(uow: UnitOfWork, school_id: str, academic_year: int, semester: int) -> dict[str, Any]:
    gaps = await semester_gaps(uow.session, school_id, academic_year, semester, EnrolmentStatus.ENROLLED.value)
    return {
        "school_id": school_id,
        "academic_year": academic_year,
        "semester": semester,
        "students_without_grades": [dict(r) for r in gaps.students_without_grades],
        "classes_without_cadre": sorted(gaps.classes - gaps.classes_with_cadre),
        "courses_without_teachers": [dict(r) for r in gaps.courses_without_teachers],
        "co_taught_courses_without_reviewer": [dict(r) for r in gaps.co_taught_without_reviewer],
        "courses_without_students": [dict(r) for r in gaps.courses_without_students],
        "phases_without_window": [p.value for p in Phase if p.value not in gaps.phases_with_window],
    }
