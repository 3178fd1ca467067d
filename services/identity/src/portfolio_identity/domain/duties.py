"""Duties of Annex 1 (工作職掌暨代理人名單) and delegation resolution.

Each duty has responsible offices and an ordered list of delegates (代理人 / 代理順位,
R-DUTY-1). `DUTY_TEMPLATES` is the example school's Annex 1 as data: a school copies it and then
names the persons in each order. When the responsible person cannot act, the next available
delegate in order acts (R-DUTY-2); for course-outcome certification the same holds for the course
teacher (R-ART-5), and a teacher who left but whose account was extended stays available.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from portfolio_identity.domain.errors import InvalidAvailability, UnknownDuty
from portfolio_identity.domain.roles import Permission, Role

P = Permission


class DutyArea(StrEnum):
    """Annex-1 block a duty belongs to."""

    BASIC_DATA = "basic_data"  # 基本資料
    COURSE_RECORDS = "course_records"  # 修課紀錄
    COURSE_OUTCOMES = "course_outcomes"  # 課程學習成果
    PERFORMANCES = "performances"  # 多元表現
    SUBMISSION = "submission"  # 提交及收訖明細


@dataclass(frozen=True, slots=True)
class DutyTemplate:
    """One Annex-1 row: who is responsible, who delegates by default, and what acting grants."""

    code: str
    name_en: str
    name_zh: str
    responsible_roles: tuple[Role, ...]
    default_delegate_roles: tuple[Role, ...]
    note: str = ""
    area: DutyArea = DutyArea.BASIC_DATA
    permissions: frozenset[Permission] = frozenset()
    """Permissions the acting person holds for this duty, whatever their standing roles."""

    def as_record(self) -> dict[str, object]:
        """The template's columns as a school's copy and the catalogue show them (plain values)."""
        return {
            "code": self.code,
            "name_en": self.name_en,
            "name_zh": self.name_zh,
            "area": self.area.value,
            "responsible_roles": [r.value for r in self.responsible_roles],
            "default_delegate_roles": [r.value for r in self.default_delegate_roles],
            "permissions": sorted(p.value for p in self.permissions),
            "note": self.note,
        }


_EACH_SECTION = (Role.GUIDANCE_DATA, Role.ACTIVITIES, Role.INSTRUCTION)
_EACH_SECTION_NOTE = (
    "Annex 1: 各組 (each section) enters the records of the activities it runs; the guidance data "
    "section follows up selections and submits performances (R-SUB-4)."
)

DUTY_TEMPLATES: tuple[DutyTemplate, ...] = (
    DutyTemplate(
        "accounts",
        "Accounts and permissions",
        "帳號、權限設定",
        (Role.IT,),
        (Role.LIBRARY_SERVICES,),
        "Synced from the school administration system every night (R-DUTY-3); 系統師 counts as IT.",
        DutyArea.BASIC_DATA,
        frozenset({P.USERS_READ, P.USERS_MANAGE, P.SIS_SYNC_RUN}),
    ),
    DutyTemplate(
        "enrolment",
        "Enrolment data",
        "學生學籍資料",
        (Role.REGISTRY,),
        (Role.REGISTRY_CLERK,),
        "Entered after admission (R-REC-2); submitted by the registry (R-SUB-4).",
        DutyArea.BASIC_DATA,
        frozenset({P.ENROLMENT_WRITE, P.SUBMISSION_SUBMIT, P.SUBMISSION_READ, P.OBJECTION_RESOLVE}),
    ),
    DutyTemplate(
        "cadre",
        "School, class and club cadre records",
        "校級、班級及社團幹部紀錄",
        (Role.ACTIVITIES,),
        (Role.DISCIPLINE,),
        "Entered each semester (R-REC-2); submitted by the activities section (R-SUB-4). Delegate: 生教組.",
        DutyArea.BASIC_DATA,
        frozenset({P.CADRE_WRITE, P.SUBMISSION_SUBMIT, P.SUBMISSION_READ, P.OBJECTION_RESOLVE}),
    ),
    DutyTemplate(
        "service_learning",
        "Service learning",
        "服務學習",
        (Role.ACTIVITIES,),
        (Role.DISCIPLINE,),
        "Delegate: 生教組.",
        DutyArea.BASIC_DATA,
        frozenset({P.SERVICE_LEARNING_WRITE}),
    ),
    DutyTemplate(
        "rewards",
        "Rewards and punishments",
        "獎懲紀錄",
        (Role.DISCIPLINE,),
        (Role.DISCIPLINE,),
        "Responsible: 生輔組; delegate: 生教組 (both hold the discipline role).",
        DutyArea.BASIC_DATA,
        frozenset({P.REWARDS_WRITE}),
    ),
    DutyTemplate(
        "psych_tests",
        "Psychological tests",
        "心理測驗",
        (Role.GUIDANCE_DATA,),
        (Role.GUIDANCE_COUNSELLING,),
        "",
        DutyArea.BASIC_DATA,
        frozenset({P.PSYCH_TESTS_WRITE}),
    ),
    DutyTemplate(
        "grades",
        "Grades",
        "學業成績",
        (Role.REGISTRY,),
        (Role.REGISTRY_CLERK,),
        "Synced from the school administration system every night (R-DUTY-3); submitted by the registry (R-SUB-4).",
        DutyArea.COURSE_RECORDS,
        frozenset({P.GRADES_WRITE, P.SUBMISSION_SUBMIT, P.SUBMISSION_READ, P.OBJECTION_RESOLVE}),
    ),
    DutyTemplate(
        "counselling",
        "Course counselling records",
        "課程諮詢紀錄",
        (Role.INSTRUCTION, Role.COURSE_COUNSELLOR),
        (Role.INSTRUCTION_CLERK,),
        "The instruction section designates counsellors and queries their records; counsellors "
        "write them (R-REC-3). Never sent to the central database (R-DATA-5).",
        DutyArea.COURSE_RECORDS,
        frozenset({P.COUNSELLOR_ASSIGNMENT_WRITE, P.COUNSELLING_READ}),
    ),
    DutyTemplate(
        "outcome_settings",
        "Outcome settings and windows",
        "課程學習成果功能參數及作業時間設定",
        (Role.GUIDANCE_DATA,),
        (Role.GUIDANCE_COUNSELLING,),
        "Sets the platform parameters and the students' outcome windows (R-ART-1, R-ART-2).",
        DutyArea.COURSE_OUTCOMES,
        frozenset({P.OUTCOME_SETTINGS_WRITE, P.SCHEDULE_WRITE}),
    ),
    DutyTemplate(
        "teacher_assignment",
        "Course teachers and reviewing teachers",
        "設定任課教師及合開課程審核教師",
        (Role.INSTRUCTION,),
        (Role.INSTRUCTION_CLERK,),
        "Sets each course's teacher and, for co-taught courses (合開課程), the reviewing teacher (R-REC-2).",
        DutyArea.COURSE_OUTCOMES,
        frozenset({P.TEACHER_ASSIGNMENT_WRITE, P.COURSE_PLAN_WRITE}),
    ),
    DutyTemplate(
        "certification_followup",
        "Certification follow-up and self-check",
        "未認證教師及學生勾選情形查詢",
        (Role.IT,),
        (Role.LIBRARY_SERVICES,),
        "Reports of teachers with uncertified outcomes and of students' selections (R-SCHED-2).",
        DutyArea.COURSE_OUTCOMES,
        frozenset({P.SELFCHECK_READ, P.OUTCOME_READ_ALL}),
    ),
    DutyTemplate(
        "outcome_submission",
        "Course outcome submission",
        "上傳課程學習成果至中央資料庫",
        (Role.IT,),
        (Role.LIBRARY_SERVICES,),
        "Submits the student-selected outcomes (R-ART-4, R-SUB-2, R-SUB-4).",
        DutyArea.SUBMISSION,
        frozenset({P.OUTCOME_READ_ALL, P.SUBMISSION_SUBMIT, P.SUBMISSION_READ, P.OBJECTION_RESOLVE}),
    ),
    DutyTemplate(
        "outcome_certification",
        "Course-teacher certification",
        "任課教師認證",
        (Role.COURSE_TEACHER, Role.IT),
        (Role.LIBRARY_SERVICES,),
        "If the course teacher left or cannot certify in time, the school contacts the teacher, who "
        "may authorise staff to certify on their behalf; otherwise the next delegate certifies "
        "(R-ART-5). Every certification records who certified and on whose behalf.",
        DutyArea.COURSE_OUTCOMES,
        frozenset({P.OUTCOME_CERTIFY, P.OUTCOME_CERTIFY_ON_BEHALF}),
    ),
    DutyTemplate(
        "competitions",
        "Competitions",
        "競賽參與",
        _EACH_SECTION,
        (),
        _EACH_SECTION_NOTE,
        DutyArea.PERFORMANCES,
        frozenset({P.PERFORMANCE_WRITE}),
    ),
    DutyTemplate(
        "certificates",
        "Certificates",
        "檢定證照",
        _EACH_SECTION,
        (),
        _EACH_SECTION_NOTE,
        DutyArea.PERFORMANCES,
        frozenset({P.PERFORMANCE_WRITE}),
    ),
    DutyTemplate(
        "volunteer_service",
        "Volunteer service",
        "志工服務",
        (Role.ACTIVITIES,),
        (Role.DISCIPLINE,),
        "Delegate: 生教組.",
        DutyArea.PERFORMANCES,
        frozenset({P.PERFORMANCE_WRITE}),
    ),
    DutyTemplate(
        "self_directed_learning",
        "Self-directed learning",
        "自主學習",
        (Role.LIBRARY_OUTREACH,),
        (Role.IT,),
        "Annex 1: 服推組, or by self-directed-learning group (依自主學習分群).",
        DutyArea.PERFORMANCES,
        frozenset({P.PERFORMANCE_WRITE}),
    ),
    DutyTemplate(
        "works",
        "Works",
        "作品成果",
        _EACH_SECTION,
        (),
        _EACH_SECTION_NOTE,
        DutyArea.PERFORMANCES,
        frozenset({P.PERFORMANCE_WRITE}),
    ),
    DutyTemplate(
        "other_performance",
        "Other performances",
        "其他多元表現",
        _EACH_SECTION,
        (),
        _EACH_SECTION_NOTE,
        DutyArea.PERFORMANCES,
        frozenset({P.PERFORMANCE_WRITE}),
    ),
    DutyTemplate(
        "performance_submission",
        "Performance selection follow-up and submission",
        "多元表現勾選情形查詢及上傳",
        (Role.GUIDANCE_DATA,),
        (Role.GUIDANCE_COUNSELLING,),
        "Annex 1 puts this on the performance block without a delegate; the guidance data section "
        "submits performances (R-SUB-4) and its usual delegate (輔導組) is assumed.",
        DutyArea.SUBMISSION,
        frozenset(
            {
                P.PERFORMANCE_READ_ALL,
                P.SELFCHECK_READ,
                P.SUBMISSION_SUBMIT,
                P.SUBMISSION_READ,
                P.OBJECTION_RESOLVE,
            }
        ),
    ),
    DutyTemplate(
        "receipt_confirmation",
        "Receipt confirmation",
        "收訖明細確認",
        (Role.GUIDANCE_DATA,),
        (Role.GUIDANCE_COUNSELLING,),
        "School rule 6(3): the guidance data section completes the receipt confirmation; objections "
        "go to the office that submitted the data (R-SUB-5..R-SUB-8).",
        DutyArea.SUBMISSION,
        frozenset({P.RECEIPT_IMPORT, P.RECEIPT_COMPLETE, P.SUBMISSION_READ}),
    ),
)
"""Annex 1 of the example school, one template per duty (R-DUTY-1)."""

DUTY_CODES: frozenset[str] = frozenset(t.code for t in DUTY_TEMPLATES)
PERFORMANCE_DUTY_CODES: tuple[str, ...] = tuple(t.code for t in DUTY_TEMPLATES if t.area is DutyArea.PERFORMANCES)
_BY_CODE: dict[str, DutyTemplate] = {t.code: t for t in DUTY_TEMPLATES}


def duty_template(code: str) -> DutyTemplate:
    """The template with `code`; raise `UnknownDuty` otherwise."""
    try:
        return _BY_CODE[code]
    except KeyError:
        raise UnknownDuty(f"unknown duty {code!r}", field="duty") from None


def duties_of_role(role: Role) -> tuple[DutyTemplate, ...]:
    """Duties for which `role` is responsible."""
    return tuple(t for t in DUTY_TEMPLATES if role in t.responsible_roles)


# ---------------------------------------------------------------- delegation (R-DUTY-2)


class EmploymentStatus(StrEnum):
    """Whether a person can work for the school at all."""

    ACTIVE = "active"
    SUSPENDED = "suspended"
    LEFT = "left"


class UnavailabilityReason(StrEnum):
    LEFT = "left"
    SUSPENDED = "suspended"
    ABSENT = "absent"
    UNKNOWN = "unknown"
    """No availability record: the person has no account the platform knows of."""


@dataclass(frozen=True, slots=True)
class PersonRef:
    """A person named in a duty's order, by account id."""

    person_id: str
    display_name: str = ""


@dataclass(frozen=True, slots=True)
class DateRange:
    """Inclusive range of days, e.g. a leave of absence (請假)."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise InvalidAvailability(f"absence ends {self.end} before it starts {self.start}", field="absences")

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end


@dataclass(frozen=True, slots=True)
class PersonAvailability:
    """Availability of one person: employment status, end date and absences.

    A person with status LEFT is unavailable from `end_date` on (an extended account, R-ART-5,
    simply has a later end date); LEFT without an end date is unavailable at once.
    """

    status: EmploymentStatus = EmploymentStatus.ACTIVE
    end_date: date | None = None
    absences: tuple[DateRange, ...] = field(default=())

    def unavailability(self, on: date) -> UnavailabilityReason | None:
        """Why the person cannot act on `on`, or None when they can."""
        if self.status is EmploymentStatus.LEFT and (self.end_date is None or self.end_date <= on):
            return UnavailabilityReason.LEFT
        if self.status is EmploymentStatus.SUSPENDED:
            return UnavailabilityReason.SUSPENDED
        if any(absence.contains(on) for absence in self.absences):
            return UnavailabilityReason.ABSENT
        return None

    def is_available(self, on: date) -> bool:
        return self.unavailability(on) is None


Availability = PersonAvailability


@dataclass(frozen=True, slots=True)
class SkippedPerson:
    person: PersonRef
    reason: UnavailabilityReason


@dataclass(frozen=True, slots=True)
class ActingResolution:
    """Who acts for a duty on a day.

    `position` is the 1-based place of the acting person in the whole order (responsible persons
    first, then delegates); `delegate_rank` is the 1-based delegation rank (代理順位) when a delegate
    acts. `on_behalf_of` is the first responsible person when someone else acts, so that records
    can say who acted and for whom (R-ART-5, R-RET-3).
    """

    person: PersonRef
    is_delegate: bool
    position: int
    delegate_rank: int | None
    on_behalf_of: PersonRef | None
    skipped: tuple[SkippedPerson, ...] = ()


def resolve_acting(
    responsible: Sequence[PersonRef],
    delegates: Sequence[PersonRef],
    on: date,
    availability: Mapping[str, PersonAvailability],
) -> ActingResolution | None:
    """The first available person: responsible persons in order, then delegates in order (R-DUTY-2).

    A person missing from `availability` counts as unavailable. A person listed twice is
    considered once, at their first place. Returns None when nobody can act.
    """
    order = [(person, False) for person in responsible] + [(person, True) for person in delegates]
    first_responsible = responsible[0] if responsible else None
    skipped: list[SkippedPerson] = []
    seen: set[str] = set()
    delegate_rank = 0
    for position, (person, is_delegate) in enumerate(order, start=1):
        if is_delegate:
            delegate_rank += 1
        if person.person_id in seen:
            continue
        seen.add(person.person_id)
        record = availability.get(person.person_id)
        reason = UnavailabilityReason.UNKNOWN if record is None else record.unavailability(on)
        if reason is not None:
            skipped.append(SkippedPerson(person, reason))
            continue
        acting_for = None if position == 1 else first_responsible
        if acting_for is not None and acting_for.person_id == person.person_id:
            acting_for = None
        return ActingResolution(
            person=person,
            is_delegate=is_delegate,
            position=position,
            delegate_rank=delegate_rank if is_delegate else None,
            on_behalf_of=acting_for,
            skipped=tuple(skipped),
        )
    return None
