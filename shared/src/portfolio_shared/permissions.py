"""The permission vocabulary carried in access tokens (part of the token contract).

Identity maps each role to a set of these (``schools.<id>.perms`` in the token); every other
service checks them with ``principal.require(Permission.X, school_id)``. Values are stable
``resource:action`` strings: renaming one is a breaking change of the contract.
"""

from __future__ import annotations

from enum import StrEnum


class Permission(StrEnum):
    """An action a role may take (權限). Values are stable strings `resource:action`."""

    # Accounts, duties and tenants (R-DUTY-1, R-DUTY-3)
    USERS_READ = "users:read"
    USERS_MANAGE = "users:manage"
    SIS_SYNC_RUN = "sis_sync:run"
    DUTIES_MANAGE = "duties:manage"
    SCHOOLS_MANAGE = "schools:manage"
    AUDIT_READ = "audit:read"
    RETENTION_MANAGE = "retention:manage"
    KEYS_MANAGE = "keys:manage"
    # Basic data (R-DATA-1, R-REC-2)
    RECORDS_READ = "records:read"
    RECORDS_READ_OWN = "records:read_own"
    ENROLMENT_WRITE = "enrolment:write"
    CADRE_WRITE = "cadre:write"
    SERVICE_LEARNING_WRITE = "service_learning:write"
    REWARDS_WRITE = "rewards:write"
    PSYCH_TESTS_WRITE = "psych_tests:write"
    # Course records (R-DATA-2, R-REC-3)
    GRADES_WRITE = "grades:write"
    COUNSELLING_READ = "counselling:read"
    COUNSELLING_READ_OWN = "counselling:read_own"
    COUNSELLING_WRITE = "counselling:write"
    COUNSELLOR_ASSIGNMENT_WRITE = "counsellor_assignment:write"
    COURSE_PLAN_WRITE = "course_plan:write"
    TEACHER_ASSIGNMENT_WRITE = "teacher_assignment:write"
    # Schedule and self-check (R-SCHED-1, R-SCHED-2)
    SCHEDULE_READ = "schedule:read"
    SCHEDULE_WRITE = "schedule:write"
    SELFCHECK_READ = "selfcheck:read"
    # Course learning outcomes (R-ART-*)
    OUTCOME_SETTINGS_WRITE = "outcome_settings:write"
    OUTCOME_UPLOAD = "outcome:upload"
    OUTCOME_CERTIFY = "outcome:certify"
    OUTCOME_CERTIFY_ON_BEHALF = "outcome:certify_on_behalf"
    OUTCOME_READ_ALL = "outcome:read_all"
    # Multiple performances (R-PERF-*)
    PERFORMANCE_UPLOAD = "performance:upload"
    PERFORMANCE_WRITE = "performance:write"
    PERFORMANCE_READ_ALL = "performance:read_all"
    SELECTION_WRITE = "selection:write"
    # Submission and receipt (R-SUB-*)
    SUBMISSION_READ = "submission:read"
    SUBMISSION_SUBMIT = "submission:submit"
    RECEIPT_IMPORT = "receipt:import"
    RECEIPT_CONFIRM = "receipt:confirm"
    RECEIPT_COMPLETE = "receipt:complete"
    OBJECTION_RAISE = "objection:raise"
    OBJECTION_RESOLVE = "objection:resolve"
