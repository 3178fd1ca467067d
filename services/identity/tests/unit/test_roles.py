"""Roles and permissions (R-DUTY-1, R-REC-3)."""

import pytest

from portfolio_identity.domain.errors import UnknownRole
from portfolio_identity.domain.roles import (
    PLATFORM_ROLES,
    ROLE_NAMES_ZH,
    ROLE_PERMISSIONS,
    Permission,
    Role,
    has_permission,
    parse_role,
    permissions_for,
)


def test_every_role_has_permissions_and_a_chinese_name() -> None:
    assert set(ROLE_PERMISSIONS) == set(Role)
    assert set(ROLE_NAMES_ZH) == set(Role)


def test_every_permission_is_granted_to_some_role() -> None:
    granted = set().union(*ROLE_PERMISSIONS.values())
    assert granted == set(Permission)


def test_permission_values_are_resource_colon_action() -> None:
    for permission in Permission:
        resource, _, action = permission.value.partition(":")
        assert resource and action, permission


def test_permissions_for_is_the_union_of_roles() -> None:
    granted = permissions_for([Role.REGISTRY, Role.COURSE_TEACHER])
    assert Permission.GRADES_WRITE in granted
    assert Permission.ENROLMENT_WRITE in granted
    assert Permission.OUTCOME_CERTIFY in granted
    assert Permission.USERS_MANAGE not in granted


def test_permissions_for_accepts_role_strings() -> None:
    assert permissions_for(["it"]) == ROLE_PERMISSIONS[Role.IT]
    assert permissions_for([]) == frozenset()


def test_unknown_role_string_raises() -> None:
    with pytest.raises(UnknownRole):
        permissions_for(["janitor"])


def test_r_rec_3_only_counsellors_and_instruction_read_counselling_records() -> None:
    readers = {role for role, perms in ROLE_PERMISSIONS.items() if Permission.COUNSELLING_READ in perms}
    assert readers == {Role.COURSE_COUNSELLOR, Role.INSTRUCTION}
    assert has_permission([Role.STUDENT], Permission.COUNSELLING_READ_OWN)
    assert not has_permission([Role.SYSTEM_ADMIN], Permission.COUNSELLING_READ)


def test_r_sub_4_each_submitting_office_may_submit() -> None:
    for role in (Role.REGISTRY, Role.IT, Role.ACTIVITIES, Role.GUIDANCE_DATA):
        assert has_permission([role], Permission.SUBMISSION_SUBMIT), role
    assert not has_permission([Role.STUDENT], Permission.SUBMISSION_SUBMIT)


def test_delegate_roles_hold_no_write_permission_by_themselves() -> None:
    """R-DUTY-2: a delegate gets a duty's permissions only while acting."""
    for role in (
        Role.REGISTRY_CLERK,
        Role.INSTRUCTION_CLERK,
        Role.LIBRARY_SERVICES,
        Role.GUIDANCE_COUNSELLING,
    ):
        assert all(p.value.endswith(":read") for p in ROLE_PERMISSIONS[role]), role


def test_student_permissions_are_own_data_only() -> None:
    student = ROLE_PERMISSIONS[Role.STUDENT]
    assert Permission.RECORDS_READ not in student
    assert {Permission.OUTCOME_UPLOAD, Permission.SELECTION_WRITE, Permission.RECEIPT_CONFIRM} <= student


def test_parse_role_accepts_values_case_insensitively_and_chinese_names() -> None:
    assert parse_role(" Registry ") is Role.REGISTRY
    assert parse_role("註冊組") is Role.REGISTRY
    assert parse_role("生教組") is Role.DISCIPLINE
    assert parse_role("系統師") is Role.IT
    assert PLATFORM_ROLES == {Role.DISTRICT_ADMIN, Role.SYSTEM_ADMIN}


def test_only_the_registry_and_the_system_administrator_manage_retention() -> None:
    """R-RET-1: the registry owns enrolment and graduation, so it deletes graduates' data after the
    archive period; no other school office, no clerk, no student."""
    holders = {role for role, perms in ROLE_PERMISSIONS.items() if Permission.RETENTION_MANAGE in perms}
    assert holders == {Role.REGISTRY, Role.SYSTEM_ADMIN}
