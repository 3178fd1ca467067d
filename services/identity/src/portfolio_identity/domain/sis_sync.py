"""Nightly account sync from the school administration system (校務行政系統, SIS), R-DUTY-3.

The SIS exports one CSV file per school each night. The first non-blank line is the header; it
names the columns in English or in Chinese, in any order:

| column           | Chinese  | required | content                                                    |
|------------------|----------|----------|------------------------------------------------------------|
| `login_name`     | 帳號     | yes      | login name: letters, digits and `. _ - @`, at most 64;     |
|                  |          |          | compared and stored in lower case                          |
| `display_name`   | 姓名     | yes      | name shown in the platform, at most 100 characters         |
| `kind`           | 身分別   | yes      | `student`, `teacher` or `staff` (學生 / 教師 / 職員)       |
| `roles`          | 角色     | yes      | `Role` values (or their zh-TW names) separated by `;`;     |
|                  |          |          | empty means `student` for students, `course_teacher` for   |
|                  |          |          | teachers and no role for staff                             |
| `status`         | 狀態     | yes      | `active`, `suspended` or `left` (在職/在學, 停權/休學, 離職/離校) |
| `end_date`       | 離職日期 | no       | `YYYY-MM-DD` (or `YYYY/MM/DD`); required when `left`       |
| `email`          | 電子郵件 | no       | e-mail address                                             |
| `student_number` | 學號     | no       | student number, students only                              |
| `school_code`    | 學校代碼 | yes      | six-digit national school code                             |

Fields are comma-separated (tab-separated when the header line has tabs and no comma) and may
be quoted; trailing optional columns may be left out. The bytes may be UTF-8, UTF-8 with a BOM,
or Big5 / CP950 (what many Taiwanese SIS exports produce). Columns the parser does not know are
ignored and reported. A header that lacks a required column raises `SisHeaderInvalid`, and an
unterminated quote raises `SisFileUnreadable` (it would swallow every later line); every other
bad data line is rejected on its own, with its 1-based line number in the file (the header is
line 1 when the file starts with it). A login name that appears on several lines is rejected on
all of them unless the lines are identical. The parser lives in `sis_export`, re-exported here.

`plan_sync` compares the parsed rows with the accounts the platform holds and returns what to
create, update and deactivate; applying the plan and planning again with the same file gives an
empty plan.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Final

from portfolio_identity.domain.errors import MassDeactivationRefused
from portfolio_identity.domain.roles import Role
from portfolio_identity.domain.sis_export import (
    COLUMNS,
    ENCODINGS,
    HEADER_ALIASES,
    REQUIRED_COLUMNS,
    AccountKind,
    AccountStatus,
    ParsedSync,
    RejectedLine,
    SyncRow,
    decode_export,
    parse_sis_export,
)

__all__ = [
    "COLUMNS",
    "ENCODINGS",
    "HEADER_ALIASES",
    "REQUIRED_COLUMNS",
    "AccountKind",
    "AccountStatus",
    "AccountUpdate",
    "ExistingAccount",
    "FieldChange",
    "ParsedSync",
    "RejectedLine",
    "SyncConflict",
    "SyncPlan",
    "SyncRow",
    "account_from_row",
    "apply_plan",
    "decode_export",
    "parse_sis_export",
    "plan_sync",
]


@dataclass(frozen=True, slots=True)
class ExistingAccount:
    """An account the platform already holds, as far as the sync is concerned."""

    login_name: str
    display_name: str
    kind: AccountKind
    roles: frozenset[Role]
    status: AccountStatus
    school_code: str
    end_date: date | None = None
    email: str | None = None
    student_number: str | None = None
    from_sis: bool = True
    """False for accounts created in the platform itself; the sync never touches those."""
    deactivated: bool = False
    """Disabled because the account vanished from the SIS export."""


_COMPARED: Final = ("display_name", "kind", "roles", "status", "end_date", "email", "student_number")


@dataclass(frozen=True, slots=True)
class FieldChange:
    field: str
    old: object
    new: object


@dataclass(frozen=True, slots=True)
class AccountUpdate:
    login_name: str
    row: SyncRow
    changes: tuple[FieldChange, ...]


@dataclass(frozen=True, slots=True)
class SyncConflict:
    """A row the sync will not apply: it would take over an account it does not own."""

    login_name: str
    line_number: int
    reason: str


@dataclass(frozen=True, slots=True)
class SyncPlan:
    create: tuple[SyncRow, ...] = ()
    update: tuple[AccountUpdate, ...] = ()
    deactivate: tuple[str, ...] = ()
    unchanged: tuple[str, ...] = ()
    conflicts: tuple[SyncConflict, ...] = ()

    @property
    def has_changes(self) -> bool:
        return bool(self.create or self.update or self.deactivate)

    def counts(self) -> dict[str, int]:
        return {
            "create": len(self.create),
            "update": len(self.update),
            "deactivate": len(self.deactivate),
            "unchanged": len(self.unchanged),
            "conflicts": len(self.conflicts),
        }


def _changes(account: ExistingAccount, row: SyncRow) -> tuple[FieldChange, ...]:
    changes = [
        FieldChange(name, getattr(account, name), getattr(row, name))
        for name in _COMPARED
        if getattr(account, name) != getattr(row, name)
    ]
    if account.deactivated:
        changes.append(FieldChange("deactivated", True, False))
    return tuple(changes)


def plan_sync(
    existing: Mapping[str, ExistingAccount],
    rows: Sequence[SyncRow],
    school_code: str,
    *,
    keep: Collection[str] = (),
    max_deactivation_share: float | None = 0.5,
) -> SyncPlan:
    """What the sync of `school_code` must do to make the platform match `rows` (R-DUTY-3).

    Creates rows without an account; updates accounts whose compared fields differ (or that were
    deactivated and are back); deactivates SIS accounts of the school that are missing from the
    rows, except the login names in `keep` (pass `ParsedSync.rejected_login_names`). Raises
    `MassDeactivationRefused` when more than `max_deactivation_share` of the school's active SIS
    accounts would be deactivated (a truncated export must not lock a school out); None disables
    the guard.
    """
    by_login = {login.lower(): account for login, account in existing.items()}
    create: list[SyncRow] = []
    update: list[AccountUpdate] = []
    unchanged: list[str] = []
    conflicts: list[SyncConflict] = []
    in_file: set[str] = set()
    for row in rows:
        in_file.add(row.login_name)
        if row.school_code != school_code:
            conflicts.append(
                SyncConflict(
                    row.login_name,
                    row.line_number,
                    f"row belongs to school {row.school_code}, not {school_code}",
                )
            )
            continue
        account = by_login.get(row.login_name)
        if account is None:
            create.append(row)
        elif account.school_code != school_code:
            conflicts.append(
                SyncConflict(
                    row.login_name,
                    row.line_number,
                    f"login name belongs to an account of school {account.school_code}",
                )
            )
        elif not account.from_sis:
            conflicts.append(
                SyncConflict(
                    row.login_name,
                    row.line_number,
                    "login name belongs to an account created in the platform",
                )
            )
        elif changes := _changes(account, row):
            update.append(AccountUpdate(row.login_name, row, changes))
        else:
            unchanged.append(row.login_name)

    kept = {login.lower() for login in keep}
    school_accounts = [
        a for a in by_login.values() if a.school_code == school_code and a.from_sis and not a.deactivated
    ]
    deactivate = sorted(
        a.login_name.lower()
        for a in school_accounts
        if a.login_name.lower() not in in_file and a.login_name.lower() not in kept
    )
    if (
        max_deactivation_share is not None
        and deactivate
        and len(deactivate) > max_deactivation_share * len(school_accounts)
    ):
        raise MassDeactivationRefused(
            f"the sync would deactivate {len(deactivate)} of {len(school_accounts)} accounts of school "
            f"{school_code}; check the export",
            field="file",
        )
    return SyncPlan(tuple(create), tuple(update), tuple(deactivate), tuple(unchanged), tuple(conflicts))


def account_from_row(row: SyncRow) -> ExistingAccount:
    """The account a row describes, as the sync leaves it."""
    return ExistingAccount(
        row.login_name,
        row.display_name,
        row.kind,
        row.roles,
        row.status,
        row.school_code,
        row.end_date,
        row.email,
        row.student_number,
        from_sis=True,
        deactivated=False,
    )


def apply_plan(existing: Mapping[str, ExistingAccount], plan: SyncPlan) -> dict[str, ExistingAccount]:
    """The accounts after `plan` (pure: `existing` is left as it was). For fakes and tests."""
    result = {login.lower(): account for login, account in existing.items()}
    for row in plan.create:
        result[row.login_name] = account_from_row(row)
    for change in plan.update:
        result[change.login_name] = account_from_row(change.row)
    for login in plan.deactivate:
        result[login] = replace(result[login], deactivated=True)
    return result
