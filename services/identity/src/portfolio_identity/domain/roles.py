"""Roles of school offices and the permissions they hold.

A role is the office or function a person holds in a school; Annex 1 of the school rules
(工作職掌暨代理人名單) assigns each duty to an office and names its delegates (R-DUTY-1).

`ROLE_PERMISSIONS` lists a role's *standing* permissions. A delegate role (for example the
registry clerk, 註冊組幹事) holds only read access by itself; it gains a duty's permissions
while its holder is the acting person for that duty (R-DUTY-2), see `duties.DutyTemplate`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import StrEnum
from types import MappingProxyType

from portfolio_identity.domain.errors import UnknownRole
from portfolio_shared.permissions import Permission


class Role(StrEnum):
    """A person's role in a school (角色). Values are stable: they are stored and appear in SIS files."""

    REGISTRY = "registry"
    """Registry section (註冊組): enrolment data and grades."""
    REGISTRY_CLERK = "registry_clerk"
    """Registry clerk (註冊組幹事): delegate of the registry section."""
    INSTRUCTION = "instruction"
    """Instruction section (教學組): course plan, course teachers, reviewing teachers."""
    INSTRUCTION_CLERK = "instruction_clerk"
    """Instruction clerk (教學組幹事): delegate of the instruction section."""
    ACTIVITIES = "activities"
    """Activities section (訓育組): cadre records, service learning, volunteer service."""
    DISCIPLINE = "discipline"
    """Discipline sections (生輔組 / 生教組): rewards and punishments; delegates of activities."""
    GUIDANCE_DATA = "guidance_data"
    """Guidance data section (資料組, 輔導室): psychological tests, outcome settings, performances."""
    GUIDANCE_COUNSELLING = "guidance_counselling"
    """Guidance counselling section (輔導組): delegate of the guidance data section."""
    GUIDANCE_DIRECTOR = "guidance_director"
    """Guidance director (輔導主任): plans each semester's schedule (R-SCHED-1)."""
    IT = "it"
    """IT section and system engineer (資訊組 / 系統師): accounts, permissions, outcome submission."""
    LIBRARY_SERVICES = "library_services"
    """Library reader-services section (讀服組): delegate of the IT section."""
    LIBRARY_OUTREACH = "library_outreach"
    """Library outreach section (服推組): self-directed learning records."""
    COURSE_COUNSELLOR = "course_counsellor"
    """Course counsellor (課程諮詢教師): writes course counselling records."""
    COURSE_TEACHER = "course_teacher"
    """Course teacher (任課教師): certifies course learning outcomes (R-ART-3)."""
    STUDENT = "student"
    """Student (學生): uploads, selects and confirms the receipt."""
    PRINCIPAL = "principal"
    """Principal (校長): convenes the working group; oversight."""
    DISTRICT_ADMIN = "district_admin"
    """District administrator (主管機關管理者): manages the schools of a district."""
    SYSTEM_ADMIN = "system_admin"
    """System administrator (系統管理者) of the whole platform."""


ROLE_NAMES_ZH: Mapping[Role, str] = MappingProxyType(
    {
        Role.REGISTRY: "註冊組",
        Role.REGISTRY_CLERK: "註冊組幹事",
        Role.INSTRUCTION: "教學組",
        Role.INSTRUCTION_CLERK: "教學組幹事",
        Role.ACTIVITIES: "訓育組",
        Role.DISCIPLINE: "生輔組",
        Role.GUIDANCE_DATA: "資料組",
        Role.GUIDANCE_COUNSELLING: "輔導組",
        Role.GUIDANCE_DIRECTOR: "輔導主任",
        Role.IT: "資訊組",
        Role.LIBRARY_SERVICES: "讀服組",
        Role.LIBRARY_OUTREACH: "服推組",
        Role.COURSE_COUNSELLOR: "課程諮詢教師",
        Role.COURSE_TEACHER: "任課教師",
        Role.STUDENT: "學生",
        Role.PRINCIPAL: "校長",
        Role.DISTRICT_ADMIN: "主管機關管理者",
        Role.SYSTEM_ADMIN: "系統管理者",
    }
)
"""Display name of each role in zh-TW."""

_ROLE_ALIASES_ZH: Mapping[str, Role] = MappingProxyType(
    {
        **{name: role for role, name in ROLE_NAMES_ZH.items()},
        "生教組": Role.DISCIPLINE,
        "系統師": Role.IT,
        "課程諮詢師": Role.COURSE_COUNSELLOR,
        "任課老師": Role.COURSE_TEACHER,
    }
)

PLATFORM_ROLES: frozenset[Role] = frozenset({Role.DISTRICT_ADMIN, Role.SYSTEM_ADMIN})
"""Roles above a single school: never assignable from a school's own SIS export."""

STAFF_ROLES: frozenset[Role] = frozenset(Role) - PLATFORM_ROLES - {Role.STUDENT}
"""Roles a school's teachers and staff may hold."""


def parse_role(value: str) -> Role:
    """Parse a role from its stable value (case-insensitive) or its zh-TW name; raise `UnknownRole`."""
    cleaned = value.strip()
    try:
        return Role(cleaned.lower())
    except ValueError:
        pass
    role = _ROLE_ALIASES_ZH.get(cleaned)
    if role is None:
        raise UnknownRole(f"unknown role {value!r}", field="roles")
    return role


# The permission vocabulary is part of the token contract: it lives in portfolio_shared.permissions
# so every service checks the same strings. Identity decides which role holds which.

P = Permission

_STAFF_BASE = frozenset({P.SCHEDULE_READ, P.RECORDS_READ})
_SUBMITTING_OFFICE = frozenset({P.SUBMISSION_READ, P.SUBMISSION_SUBMIT, P.OBJECTION_RESOLVE})

ROLE_PERMISSIONS: Mapping[Role, frozenset[Permission]] = MappingProxyType(
    {
        # R-SUB-4: registry submits enrolment data and grades, resolves their objections (R-SUB-8).
        # R-RET-1: the registry owns enrolment and graduation, so it deletes graduates' data after the
        # archive period (and sets that period); no other school office may.
        Role.REGISTRY: _STAFF_BASE | _SUBMITTING_OFFICE | {P.ENROLMENT_WRITE, P.GRADES_WRITE, P.RETENTION_MANAGE},
        Role.REGISTRY_CLERK: _STAFF_BASE,
        # R-REC-2, R-REC-3: instruction sets course teachers and may read counselling records.
        Role.INSTRUCTION: _STAFF_BASE
        | {
            P.COURSE_PLAN_WRITE,
            P.TEACHER_ASSIGNMENT_WRITE,
            P.COUNSELLOR_ASSIGNMENT_WRITE,
            P.COUNSELLING_READ,
            P.SELFCHECK_READ,
        },
        Role.INSTRUCTION_CLERK: _STAFF_BASE,
        # R-SUB-4: activities submits cadre records.
        Role.ACTIVITIES: _STAFF_BASE
        | _SUBMITTING_OFFICE
        | {P.CADRE_WRITE, P.SERVICE_LEARNING_WRITE, P.PERFORMANCE_WRITE},
        Role.DISCIPLINE: _STAFF_BASE | {P.REWARDS_WRITE},
        # R-SUB-4, R-SUB-8: guidance data submits performances and completes receipt confirmation.
        Role.GUIDANCE_DATA: _STAFF_BASE
        | _SUBMITTING_OFFICE
        | {
            P.PSYCH_TESTS_WRITE,
            P.OUTCOME_SETTINGS_WRITE,
            P.SCHEDULE_WRITE,
            P.SELFCHECK_READ,
            P.OUTCOME_READ_ALL,
            P.PERFORMANCE_WRITE,
            P.PERFORMANCE_READ_ALL,
            P.RECEIPT_IMPORT,
            P.RECEIPT_COMPLETE,
        },
        Role.GUIDANCE_COUNSELLING: _STAFF_BASE,
        # R-SCHED-1: the guidance director plans the schedule; the working group sets delegates.
        Role.GUIDANCE_DIRECTOR: _STAFF_BASE | {P.SCHEDULE_WRITE, P.SELFCHECK_READ, P.DUTIES_MANAGE, P.SUBMISSION_READ},
        # Annex 1: IT keeps accounts and permissions, follows up certification, submits outcomes.
        Role.IT: _STAFF_BASE
        | _SUBMITTING_OFFICE
        | {
            P.USERS_READ,
            P.USERS_MANAGE,
            P.SIS_SYNC_RUN,
            P.DUTIES_MANAGE,
            P.SELFCHECK_READ,
            P.OUTCOME_READ_ALL,
            P.OUTCOME_CERTIFY_ON_BEHALF,
            P.RECEIPT_IMPORT,
        },
        Role.LIBRARY_SERVICES: _STAFF_BASE,
        Role.LIBRARY_OUTREACH: _STAFF_BASE | {P.PERFORMANCE_WRITE},
        # R-REC-3: counsellors write and read counselling records.
        Role.COURSE_COUNSELLOR: frozenset({P.SCHEDULE_READ, P.COUNSELLING_READ, P.COUNSELLING_WRITE}),
        # R-ART-3: the course teacher certifies outcomes of their own courses.
        Role.COURSE_TEACHER: frozenset({P.SCHEDULE_READ, P.OUTCOME_CERTIFY}),
        # Students act only on their own data; ownership is checked where the data lives.
        Role.STUDENT: frozenset(
            {
                P.SCHEDULE_READ,
                P.RECORDS_READ_OWN,
                P.COUNSELLING_READ_OWN,
                P.OUTCOME_UPLOAD,
                P.PERFORMANCE_UPLOAD,
                P.SELECTION_WRITE,
                P.RECEIPT_CONFIRM,
                P.OBJECTION_RAISE,
            }
        ),
        Role.PRINCIPAL: _STAFF_BASE
        | {
            P.SELFCHECK_READ,
            P.OUTCOME_READ_ALL,
            P.PERFORMANCE_READ_ALL,
            P.SUBMISSION_READ,
            P.DUTIES_MANAGE,
            P.USERS_READ,
            P.AUDIT_READ,
        },
        Role.DISTRICT_ADMIN: frozenset({P.SCHOOLS_MANAGE, P.SELFCHECK_READ, P.SUBMISSION_READ, P.USERS_READ}),
        # Deliberately no access to student records: platform operation is not school work.
        Role.SYSTEM_ADMIN: frozenset(
            {
                P.SCHOOLS_MANAGE,
                P.USERS_READ,
                P.USERS_MANAGE,
                P.SIS_SYNC_RUN,
                P.DUTIES_MANAGE,
                P.AUDIT_READ,
                P.RETENTION_MANAGE,
                P.KEYS_MANAGE,
            }
        ),
    }
)
"""Standing permissions of each role (R-DUTY-1)."""


def permissions_for(roles: Iterable[Role | str]) -> frozenset[Permission]:
    """Union of the standing permissions of `roles`; strings are parsed with `parse_role`."""
    granted: set[Permission] = set()
    for role in roles:
        resolved = role if isinstance(role, Role) else parse_role(role)
        granted |= ROLE_PERMISSIONS[resolved]
    return frozenset(granted)


def has_permission(roles: Iterable[Role | str], permission: Permission) -> bool:
    """True when any of `roles` holds `permission`."""
    return permission in permissions_for(roles)
