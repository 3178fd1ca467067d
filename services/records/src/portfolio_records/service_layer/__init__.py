"""Handlers of the records service: plain async functions ``(uow, …, command)``.

Nothing here commits: the API (or a consumer) calls ``uow.commit()`` so the state change, its
audit row (R-RET-3) and its events (transactional outbox) are written together or not at all.

The registration table below is the one visible map of command → handler.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import basic_data, calendar, counselling, courses, grades, students
from .commands import (
    ArtifactCapsInput,
    CounsellingCreate,
    CourseCreate,
    CourseStudents,
    EnrolmentChangeRequest,
    ScheduleSet,
    StudentArrival,
    StudentUpdate,
    TeacherAssignment,
    TermCommand,
)

HANDLERS: dict[type[Any], Callable[..., Any]] = {
    StudentArrival: students.register_arrival,
    StudentUpdate: students.update_student,
    EnrolmentChangeRequest: students.change_enrolment,
    CourseCreate: courses.offer_course,
    TeacherAssignment: courses.assign_teachers,
    CourseStudents: courses.set_course_students,
    TermCommand: basic_data.record_basic_data,  # cadre, service learning, rewards, psych tests
    CounsellingCreate: counselling.record_counselling,
    ScheduleSet: calendar.set_windows,
    ArtifactCapsInput: calendar.set_caps,
    bytes: grades.import_grades,  # the SIS grade file
}
