"""Nightly SIS account export: parsing and sync planning (R-DUTY-3)."""

from dataclasses import replace
from datetime import date

import pytest

from portfolio_identity.domain.errors import MassDeactivationRefused, SisFileUnreadable, SisHeaderInvalid
from portfolio_identity.domain.roles import Role
from portfolio_identity.domain.sis_sync import (
    AccountKind,
    AccountStatus,
    ExistingAccount,
    SyncRow,
    account_from_row,
    apply_plan,
    parse_sis_export,
    plan_sync,
)
from portfolio_shared.testing.unicode_digits import OTHER_ZEROS, in_script, script_name

SCHOOL = "313302"
HEADER_EN = "login_name,display_name,kind,roles,status,end_date,email,student_number,school_code"
HEADER_ZH = "帳號,姓名,身分別,角色,狀態,離職日期,電子郵件,學號,學校代碼"
LINES = [
    "s1100001,陳小明,student,student,active,,ming@example.edu.tw,1100001,313302",
    "t.wang,王大同,teacher,course_teacher;course_counsellor,active,,wang@example.edu.tw,,313302",
    "reg01,林註冊,staff,registry,active,,,,313302",
    "t.lee,李老師,teacher,course_teacher,left,2025-07-31,,,313302",
]


def _csv(header: str = HEADER_EN, lines: list[str] = LINES) -> str:
    return "\r\n".join([header, *lines]) + "\r\n"


def test_r_duty_3_parses_utf8_export() -> None:
    parsed = parse_sis_export(_csv().encode("utf-8"))
    assert parsed.rejected == []
    assert parsed.encoding == "utf-8-sig"
    assert [r.login_name for r in parsed.rows] == ["s1100001", "t.wang", "reg01", "t.lee"]
    ming, wang, reg, lee = parsed.rows
    assert ming.kind is AccountKind.STUDENT and ming.roles == {Role.STUDENT}
    assert ming.student_number == "1100001" and ming.email == "ming@example.edu.tw"
    assert wang.roles == {Role.COURSE_TEACHER, Role.COURSE_COUNSELLOR}
    assert reg.email is None and reg.roles == {Role.REGISTRY}
    assert lee.status is AccountStatus.LEFT and lee.end_date == date(2025, 7, 31)
    assert [r.line_number for r in parsed.rows] == [2, 3, 4, 5]


def test_r_duty_3_parses_utf8_with_bom() -> None:
    parsed = parse_sis_export(b"\xef\xbb\xbf" + _csv().encode("utf-8"))
    assert parsed.rejected == []
    assert len(parsed.rows) == 4
    assert parsed.rows[0].login_name == "s1100001"


def test_r_duty_3_parses_big5_export_with_chinese_headers() -> None:
    data = _csv(HEADER_ZH).encode("big5")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    parsed = parse_sis_export(data)
    assert parsed.encoding == "big5"
    assert parsed.rejected == []
    assert parsed.rows[0].display_name == "陳小明"
    assert parsed.rows[1].display_name == "王大同"


def test_r_duty_3_cp950_only_characters_fall_back_to_cp950() -> None:
    # 碁 (0xF9D6) is in CP950's ETEN extension but not in strict Big5.
    lines = ["t.chen,陳碁,teacher,course_teacher,active,,,,313302"]
    parsed = parse_sis_export(_csv(HEADER_ZH, lines).encode("cp950"))
    assert parsed.encoding == "cp950"
    assert parsed.rows[0].display_name == "陳碁"


def test_r_duty_3_chinese_header_and_values_in_any_column_order() -> None:
    text = "學校代碼,帳號,姓名,身分別,角色,狀態,備註\n313302,T.Chen,陳老師,教師,任課教師;生教組,在職,導師\n"
    parsed = parse_sis_export(text.encode("utf-8"))
    assert parsed.rejected == []
    (row,) = parsed.rows
    assert row.login_name == "t.chen"
    assert row.kind is AccountKind.TEACHER
    assert row.roles == {Role.COURSE_TEACHER, Role.DISCIPLINE}
    assert row.status is AccountStatus.ACTIVE
    assert parsed.ignored_columns == ("備註",)


def test_r_duty_3_malformed_lines_are_rejected_with_line_numbers() -> None:
    lines = [
        "s1100001,陳小明,student,student,active,,,1100001,313302",  # line 2: fine
        "",  # line 3: blank, skipped
        "s1100002,,student,student,active,,,,313302",  # line 4: no name
        "s1100003,張三,alien,student,active,,,,313302",  # line 5: bad kind
        "t.x,某老師,teacher,wizard,active,,,,313302",  # line 6: unknown role
        "t.y,某老師,teacher,course_teacher,left,,,,313302",  # line 7: left without end date
        "t.z,某老師,teacher,course_teacher,left,2025-02-30,,,313302",  # line 8: not a day
        "s1100004,李四,student,student,active,,not-an-email,,313302",  # line 9: bad email
        "s1100005,王五,student,student,active,,,,31330",  # line 10: bad school code
        "s1100006,趙六,student",  # line 11: too few fields
        "bad name!,錢七,staff,registry,active,,,,313302",  # line 12: bad login
        "t.q,某老師,teacher,system_admin,active,,,,313302",  # line 13: platform role
        "s1100007,孫八,student,registry,active,,,,313302",  # line 14: student with staff role
        "t.r,某老師,teacher,course_teacher,active,,,1234,313302",  # line 15: student number on teacher
        "s1100009,周九,student,,active,,,,313302",  # line 16: fine, default role
    ]
    parsed = parse_sis_export(_csv(HEADER_EN, lines).encode("utf-8"))
    assert [r.login_name for r in parsed.rows] == ["s1100001", "s1100009"]
    assert parsed.rows[1].roles == {Role.STUDENT}
    got = {(r.line_number, r.field) for r in parsed.rejected}
    assert got == {
        (4, "display_name"),
        (5, "kind"),
        (6, "roles"),
        (7, "end_date"),
        (8, "end_date"),
        (9, "email"),
        (10, "school_code"),
        (11, None),
        (12, "login_name"),
        (13, "roles"),
        (14, "roles"),
        (15, "student_number"),
    }
    assert [r.line_number for r in parsed.rejected] == sorted(r.line_number for r in parsed.rejected)
    for rejected in parsed.rejected:
        assert rejected.reason and rejected.reason_zh
    by_line = {r.line_number: r for r in parsed.rejected}
    assert "wizard" in by_line[6].reason
    assert "required when status is left" in by_line[7].reason
    assert by_line[9].login_name == "s1100004"


def test_r_duty_3_line_numbers_count_physical_lines_of_quoted_fields() -> None:
    text = HEADER_EN + '\n"t.a","多行\n姓名",teacher,course_teacher,active,,,,313302\nt.b,,teacher,,active,,,,313302\n'
    parsed = parse_sis_export(text)
    assert parsed.rows[0].line_number == 2
    assert [(r.line_number, r.field) for r in parsed.rejected] == [(4, "display_name")]


def test_r_duty_3_conflicting_duplicate_login_names_are_all_rejected() -> None:
    lines = [
        "t.wang,王大同,teacher,course_teacher,active,,,,313302",
        "reg01,林註冊,staff,registry,active,,,,313302",
        "T.WANG,王大明,teacher,course_teacher,active,,,,313302",
    ]
    parsed = parse_sis_export(_csv(HEADER_EN, lines))
    assert [r.login_name for r in parsed.rows] == ["reg01"]
    assert [(r.line_number, r.field) for r in parsed.rejected] == [(2, "login_name"), (4, "login_name")]
    assert "2, 4" in parsed.rejected[0].reason
    assert parsed.rejected_login_names == {"t.wang"}


def test_r_duty_3_identical_duplicate_lines_keep_the_first() -> None:
    line = "reg01,林註冊,staff,registry,active,,,,313302"
    parsed = parse_sis_export(_csv(HEADER_EN, [line, line]))
    assert [r.line_number for r in parsed.rows] == [2]
    assert [(r.line_number, r.reason) for r in parsed.rejected] == [(3, "duplicate of line 2")]


def test_r_duty_3_duplicate_of_a_rejected_line_is_rejected_too() -> None:
    lines = [
        "reg01,林註冊,staff,registry,active,,,,313302",
        "reg01,林註冊,staff,registry,active,,bad,,313302",
    ]
    parsed = parse_sis_export(_csv(HEADER_EN, lines))
    assert parsed.rows == []
    assert {(r.line_number, r.field) for r in parsed.rejected} == {(2, "login_name"), (3, "email")}


def test_r_duty_3_other_school_lines_rejected_when_school_expected() -> None:
    lines = [*LINES, "x1,外校,staff,,active,,,,123456"]
    parsed = parse_sis_export(_csv(HEADER_EN, lines), expected_school_code=SCHOOL)
    assert [(r.line_number, r.field) for r in parsed.rejected] == [(6, "school_code")]


def test_header_without_required_column_raises() -> None:
    with pytest.raises(SisHeaderInvalid) as caught:
        parse_sis_export(b"login_name,display_name,kind,status\n")
    assert "school_code" in caught.value.detail
    with pytest.raises(SisHeaderInvalid):
        parse_sis_export(b"")
    with pytest.raises(SisHeaderInvalid):
        parse_sis_export(f"{HEADER_EN},帳號\n".encode())


def test_r_duty_3_field_count_errors() -> None:
    lines = [
        "t.a,王,大同,teacher,course_teacher,active,,,,313302",  # line 2: unquoted comma shifts columns
        "t.b,李老師,teacher,course_teacher,active,,,,313302,,",  # line 3: trailing empty fields are fine
        "t.c,趙老師,teacher",  # line 4: too few
    ]
    parsed = parse_sis_export(_csv(HEADER_EN, lines))
    assert [r.login_name for r in parsed.rows] == ["t.b"]
    assert [(r.line_number, r.field) for r in parsed.rejected] == [(2, None), (4, None)]
    assert "unquoted comma" in parsed.rejected[0].reason


def test_r_duty_3_optional_trailing_columns_may_be_omitted() -> None:
    header = "school_code,login_name,display_name,kind,roles,status,email"
    text = f"{header}\n313302,reg01,林註冊,staff,registry,active\n"
    parsed = parse_sis_export(text)
    assert parsed.rejected == []
    assert parsed.rows[0].email is None


def test_r_duty_3_unterminated_quote_makes_the_file_unreadable() -> None:
    """An open quote swallows every later line: refuse the file instead of deactivating those accounts."""
    text = _csv(HEADER_EN, ['t.a,"王大同,teacher,course_teacher,active,,,,313302', *LINES])
    with pytest.raises(SisFileUnreadable) as caught:
        parse_sis_export(text)
    assert "line 2" in caught.value.detail


def test_undecodable_bytes_raise() -> None:
    with pytest.raises(SisFileUnreadable):
        parse_sis_export(b"login_name\xff\xff\xff\x80\x80")


def test_tab_separated_export() -> None:
    text = "\n".join(line.replace(",", "\t") for line in [HEADER_EN, *LINES])
    parsed = parse_sis_export(text.encode("utf-8"))
    assert parsed.rejected == []
    assert len(parsed.rows) == 4


# ---------------------------------------------------------------- plan_sync


def _rows() -> list[SyncRow]:
    return parse_sis_export(_csv().encode("utf-8")).rows


def test_r_duty_3_first_sync_creates_every_row() -> None:
    plan = plan_sync({}, _rows(), SCHOOL)
    assert [r.login_name for r in plan.create] == ["s1100001", "t.wang", "reg01", "t.lee"]
    assert plan.update == plan.deactivate == plan.unchanged == ()


def test_r_duty_3_same_file_twice_gives_an_empty_plan() -> None:
    rows = _rows()
    first = plan_sync({}, rows, SCHOOL)
    after = apply_plan({}, first)
    second = plan_sync(after, rows, SCHOOL)
    assert second.counts() == {"create": 0, "update": 0, "deactivate": 0, "unchanged": 4, "conflicts": 0}
    assert not second.has_changes


def test_r_duty_3_changed_fields_are_updates_with_the_changes() -> None:
    rows = _rows()
    existing = {r.login_name: account_from_row(r) for r in rows}
    existing["t.wang"] = replace(existing["t.wang"], display_name="王舊名", roles=frozenset({Role.COURSE_TEACHER}))
    plan = plan_sync(existing, rows, SCHOOL)
    (update,) = plan.update
    assert update.login_name == "t.wang"
    assert {c.field for c in update.changes} == {"display_name", "roles"}
    assert plan.create == () and plan.deactivate == ()
    assert not plan_sync(apply_plan(existing, plan), rows, SCHOOL).has_changes


def test_r_duty_3_missing_sis_accounts_are_deactivated_once() -> None:
    rows = _rows()
    existing = {r.login_name: account_from_row(r) for r in rows}
    gone = ExistingAccount(
        "t.gone",
        "離開的老師",
        AccountKind.TEACHER,
        frozenset({Role.COURSE_TEACHER}),
        AccountStatus.ACTIVE,
        SCHOOL,
    )
    local = replace(gone, login_name="admin.local", from_sis=False)
    other_school = replace(gone, login_name="t.other", school_code="123456")
    already = replace(gone, login_name="t.already", deactivated=True)
    existing |= {a.login_name: a for a in (gone, local, other_school, already)}
    plan = plan_sync(existing, rows, SCHOOL)
    assert plan.deactivate == ("t.gone",)
    after = apply_plan(existing, plan)
    assert after["t.gone"].deactivated
    assert not plan_sync(after, rows, SCHOOL).has_changes


def test_r_duty_3_deactivated_account_back_in_file_is_reactivated() -> None:
    rows = _rows()
    existing = {r.login_name: account_from_row(r) for r in rows}
    existing["reg01"] = replace(existing["reg01"], deactivated=True)
    plan = plan_sync(existing, rows, SCHOOL)
    (update,) = plan.update
    assert [c.field for c in update.changes] == ["deactivated"]
    assert not apply_plan(existing, plan)["reg01"].deactivated


def test_r_duty_3_rejected_lines_do_not_deactivate_their_accounts() -> None:
    rows = _rows()
    existing = {r.login_name: account_from_row(r) for r in rows}
    broken = [*LINES[:2], "reg01,林註冊,staff,registry,active,,bad-email,,313302", LINES[3]]
    parsed = parse_sis_export(_csv(HEADER_EN, broken))
    plan = plan_sync(existing, parsed.rows, SCHOOL, keep=parsed.rejected_login_names)
    assert plan.deactivate == ()
    assert plan_sync(existing, parsed.rows, SCHOOL).deactivate == ("reg01",)


def test_r_duty_3_rows_that_would_take_over_foreign_accounts_are_conflicts() -> None:
    rows = _rows()
    existing = {
        "t.wang": replace(account_from_row(rows[1]), school_code="123456"),
        "reg01": replace(account_from_row(rows[2]), from_sis=False),
    }
    foreign_row = replace(rows[0], login_name="x.foreign", school_code="654321")
    plan = plan_sync(existing, [*rows, foreign_row], SCHOOL)
    assert {c.login_name for c in plan.conflicts} == {"t.wang", "reg01", "x.foreign"}
    assert [r.login_name for r in plan.create] == ["s1100001", "t.lee"]
    assert plan.update == ()


def test_r_duty_3_truncated_export_does_not_deactivate_the_school() -> None:
    rows = _rows()
    existing = apply_plan({}, plan_sync({}, rows, SCHOOL))
    with pytest.raises(MassDeactivationRefused):
        plan_sync(existing, [], SCHOOL)
    forced = plan_sync(existing, [], SCHOOL, max_deactivation_share=None)
    assert len(forced.deactivate) == 4


@pytest.mark.parametrize("zero", OTHER_ZEROS, ids=script_name)
def test_r_duty_3_other_scripts_digits_are_rejected_lines(zero: str) -> None:
    # R-DATA-1 care: student numbers, school codes and dates are matched and submitted, so only
    # ASCII digits count; a line written in another script is rejected with its column.
    lines = [
        f"s1,陳一,student,student,active,,,{in_script('1100001', zero)},313302",
        f"s2,陳二,student,student,active,,,1100002,{in_script('313302', zero)}",
        f"t3,王三,teacher,course_teacher,left,{in_script('2025-07-31', zero)},,,313302",
        "s4,陳四,student,student,active,,,1100004,313302",
    ]
    parsed = parse_sis_export(_csv(lines=lines).encode("utf-8"))
    assert [(r.line_number, r.field) for r in parsed.rejected] == [
        (2, "student_number"),
        (3, "school_code"),
        (4, "end_date"),
    ]
    assert [r.login_name for r in parsed.rows] == ["s4"]


def test_r_duty_3_an_unreadable_line_is_rejected_by_number_and_its_account_kept() -> None:
    data = _csv(HEADER_EN, LINES[:2]).encode() + b"reg01,\xff\xfe,staff,registry,active,,,,313302\r\n"
    data += (LINES[3] + "\r\n").encode()
    parsed = parse_sis_export(data)
    assert [r.login_name for r in parsed.rows] == ["s1100001", "t.wang", "t.lee"]
    assert [(r.line_number, r.login_name, r.field) for r in parsed.rejected] == [(4, "reg01", None)]
    assert "UTF-8 or Big5" in parsed.rejected[0].reason
    assert parsed.rejected_login_names == {"reg01"} and parsed.unattributed_lines == ()


def test_r_duty_3_an_unreadable_line_without_a_visible_login_blocks_deactivation() -> None:
    data = _csv(HEADER_EN, LINES[:2]).encode() + b"\xff\xfe\xfd,x,staff,registry,active,,,,313302\r\n"
    parsed = parse_sis_export(data)
    assert parsed.unattributed_lines == (4,)
    assert [r.line_number for r in parsed.rejected] == [4]
