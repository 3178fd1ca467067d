"""Parser of the nightly SIS account export (校務行政系統帳號匯出檔), R-DUTY-3.

The file format (columns, Chinese header names, encodings, line numbering) is documented in
`portfolio_identity.domain.sis_sync`, the module callers use.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from enum import StrEnum
from typing import Final

from portfolio_identity.domain.duties import EmploymentStatus
from portfolio_identity.domain.errors import (
    DomainError,
    SisFileUnreadable,
    SisHeaderInvalid,
)
from portfolio_identity.domain.roles import PLATFORM_ROLES, Role, parse_role
from portfolio_identity.domain.school import is_valid_school_code
from portfolio_shared.sis_text import DecodedExport, UndecodableExport
from portfolio_shared.sis_text import decode_export as decode_text

AccountStatus = EmploymentStatus
"""Account status in the SIS: active, suspended or left."""


class AccountKind(StrEnum):
    """Kind of person behind an account (身分別)."""

    STUDENT = "student"
    TEACHER = "teacher"
    STAFF = "staff"


COLUMNS: Final = (
    "login_name",
    "display_name",
    "kind",
    "roles",
    "status",
    "end_date",
    "email",
    "student_number",
    "school_code",
)
REQUIRED_COLUMNS: Final = frozenset({"login_name", "display_name", "kind", "roles", "status", "school_code"})
HEADER_ALIASES: Final[Mapping[str, str]] = {
    **{name: name for name in COLUMNS},
    "帳號": "login_name",
    "姓名": "display_name",
    "身分別": "kind",
    "身份別": "kind",
    "角色": "roles",
    "狀態": "status",
    "離職日期": "end_date",
    "離校日期": "end_date",
    "電子郵件": "email",
    "學號": "student_number",
    "學校代碼": "school_code",
}
ENCODINGS: Final = ("utf-8-sig", "big5", "cp950")

_KINDS: Final[Mapping[str, AccountKind]] = {
    **{kind.value: kind for kind in AccountKind},
    "學生": AccountKind.STUDENT,
    "教師": AccountKind.TEACHER,
    "老師": AccountKind.TEACHER,
    "職員": AccountKind.STAFF,
    "行政人員": AccountKind.STAFF,
}
_STATUSES: Final[Mapping[str, AccountStatus]] = {
    **{status.value: status for status in AccountStatus},
    "在職": AccountStatus.ACTIVE,
    "在學": AccountStatus.ACTIVE,
    "啟用": AccountStatus.ACTIVE,
    "停權": AccountStatus.SUSPENDED,
    "停用": AccountStatus.SUSPENDED,
    "停職": AccountStatus.SUSPENDED,
    "休學": AccountStatus.SUSPENDED,
    "離職": AccountStatus.LEFT,
    "離校": AccountStatus.LEFT,
    "畢業": AccountStatus.LEFT,
    "轉出": AccountStatus.LEFT,
    "退學": AccountStatus.LEFT,
}
_DEFAULT_ROLES: Final[Mapping[AccountKind, frozenset[Role]]] = {
    AccountKind.STUDENT: frozenset({Role.STUDENT}),
    AccountKind.TEACHER: frozenset({Role.COURSE_TEACHER}),
    AccountKind.STAFF: frozenset(),
}
_LOGIN: Final = re.compile(r"[a-z0-9][a-z0-9._@-]{0,63}")
_EMAIL: Final = re.compile(r"[^@\s]{1,64}@[^@\s.]+(\.[^@\s.]+)+")
_STUDENT_NUMBER: Final = re.compile(r"[A-Za-z0-9-]{1,20}")
_DATE: Final = re.compile(r"([0-9]{4})[-/]([0-9]{1,2})[-/]([0-9]{1,2})")
_ROLE_SEPARATORS: Final = re.compile(r"[;；]")
MAX_DISPLAY_NAME: Final = 100


@dataclass(frozen=True, slots=True)
class SyncRow:
    """One valid account line of the export."""

    login_name: str
    display_name: str
    kind: AccountKind
    roles: frozenset[Role]
    status: AccountStatus
    end_date: date | None
    email: str | None
    student_number: str | None
    school_code: str
    line_number: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class RejectedLine:
    """A data line that was not accepted, and why (`field` names the culprit column, if one)."""

    line_number: int
    reason: str
    field: str | None
    reason_zh: str = ""
    login_name: str | None = None


@dataclass(frozen=True, slots=True)
class ParsedSync:
    rows: list[SyncRow]
    rejected: list[RejectedLine]
    encoding: str = "utf-8-sig"
    ignored_columns: tuple[str, ...] = ()
    # Unreadable lines whose login name could not be seen: their accounts are unknown, so nobody
    # may be deactivated on this file (the account may be one of those "missing").
    unattributed_lines: tuple[int, ...] = ()

    @property
    def rejected_login_names(self) -> frozenset[str]:
        """Login names seen on rejected lines: pass them to `plan_sync(keep=...)` so that a typo
        in the SIS does not deactivate a real account."""
        return frozenset(r.login_name for r in self.rejected if r.login_name)


class _LineError(Exception):
    def __init__(self, field_name: str | None, reason: str, reason_zh: str) -> None:
        super().__init__(reason)
        self.field_name, self.reason, self.reason_zh = field_name, reason, reason_zh


def decode_export(data: bytes) -> tuple[str, str]:
    """Decode the export: UTF-8 (with or without BOM) first, then Big5, then CP950."""
    decoded = decode_lines(data)
    return decoded.text, decoded.encoding


def decode_lines(data: bytes) -> DecodedExport:
    """Decode the export; a line that is not valid text is blanked and reported by number (R-DUTY-3)."""
    try:
        decoded = decode_text(data, ("utf-8", "big5", "cp950"))
    except UndecodableExport as exc:
        raise SisFileUnreadable(f"the file is neither UTF-8 nor Big5/CP950 text ({exc.detail})", field="file") from None
    if decoded.encoding == "utf-8":  # reported as before: UTF-8 is read with or without a BOM
        return replace(decoded, encoding="utf-8-sig")
    return decoded


def _login_on_bad_line(raw: str, positions: Mapping[str, int], delimiter: str) -> str | None:
    """The login name of an undecodable line, when its ASCII part still shows one: so that the
    account is kept, not deactivated, while the line is reported (R-DUTY-3)."""
    try:
        cells = next(csv.reader([raw], delimiter=delimiter))
    except (csv.Error, StopIteration):
        return None
    index = positions["login_name"]
    login = cells[index].strip().lower() if index < len(cells) else ""
    return login if _LOGIN.fullmatch(login) else None


def _canonical_header(name: str) -> str:
    cleaned = name.strip().strip("\ufeff").strip()
    key = re.sub(r"[\s-]+", "_", cleaned.lower())
    return HEADER_ALIASES.get(key, HEADER_ALIASES.get(cleaned, ""))


def _parse_header(cells: Sequence[str]) -> tuple[dict[str, int], tuple[str, ...]]:
    positions: dict[str, int] = {}
    ignored: list[str] = []
    for index, cell in enumerate(cells):
        name = _canonical_header(cell)
        if not name:
            if cell.strip():
                ignored.append(cell.strip())
            continue
        if name in positions:
            raise SisHeaderInvalid(f"column {name!r} appears twice in the header", field=name)
        positions[name] = index
    missing = sorted(REQUIRED_COLUMNS - positions.keys())
    if missing:
        raise SisHeaderInvalid(f"the header lacks required columns: {', '.join(missing)}", field=missing[0])
    return positions, tuple(ignored)


def _parse_date(value: str) -> date:
    match = _DATE.fullmatch(value)
    if match is None:
        raise _LineError("end_date", f"end date {value!r} is not YYYY-MM-DD", f"離職日期 {value!r} 格式應為 YYYY-MM-DD")
    try:
        return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        raise _LineError("end_date", f"end date {value!r} is not a real day", f"離職日期 {value!r} 不存在") from None


def _parse_roles(value: str, kind: AccountKind) -> frozenset[Role]:
    roles: set[Role] = set()
    for part in _ROLE_SEPARATORS.split(value):
        if not part.strip():
            continue
        try:
            roles.add(parse_role(part))
        except DomainError:
            raise _LineError("roles", f"unknown role {part.strip()!r}", f"未知的角色 {part.strip()!r}") from None
    if roles & PLATFORM_ROLES:
        raise _LineError(
            "roles",
            "district and system roles cannot come from a school's SIS export",
            "主管機關及系統管理角色不可由學校校務系統匯入",
        )
    if not roles:
        return _DEFAULT_ROLES[kind]
    if kind is AccountKind.STUDENT and roles != {Role.STUDENT}:
        raise _LineError("roles", "a student account may only have the student role", "學生帳號只能具有學生角色")
    if kind is not AccountKind.STUDENT and Role.STUDENT in roles:
        raise _LineError("roles", f"a {kind} account cannot have the student role", "教職員帳號不可具有學生角色")
    return frozenset(roles)


def _parse_row(cells: Sequence[str], positions: Mapping[str, int], line_number: int) -> SyncRow:
    def cell(name: str) -> str:
        index = positions.get(name)
        return cells[index].strip() if index is not None and index < len(cells) else ""

    login_name = cell("login_name").lower()
    if not login_name:
        raise _LineError("login_name", "login name is empty", "帳號為空白")
    if _LOGIN.fullmatch(login_name) is None:
        raise _LineError(
            "login_name",
            f"login name {login_name!r} has characters other than letters, digits and . _ - @, or is longer than 64",
            f"帳號 {login_name!r} 含不允許的字元或過長",
        )
    display_name = cell("display_name")
    if not display_name:
        raise _LineError("display_name", "display name is empty", "姓名為空白")
    if len(display_name) > MAX_DISPLAY_NAME:
        raise _LineError("display_name", f"display name is longer than {MAX_DISPLAY_NAME} characters", "姓名過長")
    kind = _KINDS.get(cell("kind").lower())
    if kind is None:
        raise _LineError(
            "kind",
            f"kind {cell('kind')!r} is not student, teacher or staff",
            f"身分別 {cell('kind')!r} 應為學生、教師或職員",
        )
    roles = _parse_roles(cell("roles"), kind)
    status = _STATUSES.get(cell("status").lower())
    if status is None:
        raise _LineError(
            "status",
            f"status {cell('status')!r} is not active, suspended or left",
            f"狀態 {cell('status')!r} 應為在職、停權或離職",
        )
    end_date = _parse_date(cell("end_date")) if cell("end_date") else None
    if status is AccountStatus.LEFT and end_date is None:
        raise _LineError("end_date", "end date is required when status is left", "狀態為離職時必須填寫離職日期")
    email = cell("email") or None
    if email is not None:
        if len(email) > 254 or _EMAIL.fullmatch(email) is None:
            raise _LineError("email", f"e-mail {email!r} is not a valid address", f"電子郵件 {email!r} 格式錯誤")
        local, _, domain = email.rpartition("@")
        email = f"{local}@{domain.lower()}"
    student_number = cell("student_number") or None
    if student_number is not None:
        if kind is not AccountKind.STUDENT:
            raise _LineError("student_number", "only students have a student number", "只有學生有學號")
        if _STUDENT_NUMBER.fullmatch(student_number) is None:
            raise _LineError(
                "student_number",
                f"student number {student_number!r} is not valid",
                f"學號 {student_number!r} 格式錯誤",
            )
    school_code = cell("school_code")
    if not is_valid_school_code(school_code):
        raise _LineError(
            "school_code",
            f"school code {school_code!r} is not 6 digits",
            f"學校代碼 {school_code!r} 應為 6 位數字",
        )
    return SyncRow(
        login_name,
        display_name,
        kind,
        roles,
        status,
        end_date,
        email,
        student_number,
        school_code,
        line_number,
    )


def _delimiter(text: str) -> str:
    first_line = text.split("\n", 1)[0]
    return "\t" if "\t" in first_line and "," not in first_line else ","


def _records(text: str) -> Iterable[tuple[int, list[str]]]:
    """CSV records with the file line number each starts on; blank records are skipped."""
    delimiter = _delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    start = 1
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            raise SisFileUnreadable(f"line {start}: {error}", field="file") from None
        if any(c.strip() for c in cells):
            yield start, cells
        start = reader.line_num + 1


def _check_width(cells: Sequence[str], required_width: int, header_width: int) -> None:
    if len(cells) < required_width:
        raise _LineError(
            None,
            f"expected at least {required_width} fields, got {len(cells)}",
            f"欄位數不足：應至少 {required_width} 欄，實際 {len(cells)} 欄",
        )
    if any(cell.strip() for cell in cells[header_width:]):
        raise _LineError(
            None,
            f"expected {header_width} fields, got {len(cells)} (an unquoted comma in a value?)",
            f"欄位數過多：應為 {header_width} 欄，實際 {len(cells)} 欄（值中含未加引號的逗號？）",
        )


def parse_sis_export(data: bytes | str, *, expected_school_code: str | None = None) -> ParsedSync:
    """Parse the SIS account export; see the module docstring for the format.

    With `expected_school_code`, lines of any other school are rejected.
    """
    decoded = decode_lines(data) if isinstance(data, bytes) else DecodedExport(data, "str")
    text, encoding = decoded.text, decoded.encoding
    records = iter(_records(text))
    header = next(records, None)
    if header is None:
        raise SisHeaderInvalid("the file is empty", field="file")
    positions, ignored = _parse_header(header[1])
    # Trailing optional columns may be left out; extra non-empty fields mean a shifted line.
    required_width = max(positions[name] for name in REQUIRED_COLUMNS) + 1
    header_width = len(header[1])

    parsed: list[SyncRow] = []
    rejected: list[RejectedLine] = []
    for line_number, cells in records:
        login_cell = positions["login_name"]
        login = cells[login_cell].strip().lower() if login_cell < len(cells) else ""
        try:
            _check_width(cells, required_width, header_width)
            row = _parse_row(cells, positions, line_number)
            if expected_school_code is not None and row.school_code != expected_school_code:
                raise _LineError(
                    "school_code",
                    f"line belongs to school {row.school_code}, not {expected_school_code}",
                    f"學校代碼 {row.school_code} 與本校不符",
                )
        except _LineError as error:
            rejected.append(RejectedLine(line_number, error.reason, error.field_name, error.reason_zh, login or None))
            continue
        parsed.append(row)

    delimiter = _delimiter(text)
    unattributed: list[int] = []
    for line_number, raw in zip(decoded.bad_lines, decoded.raw_bad_lines, strict=True):
        seen_login = _login_on_bad_line(raw, positions, delimiter)
        if seen_login is None:
            unattributed.append(line_number)
        rejected.append(
            RejectedLine(
                line_number,
                "the line is not valid UTF-8 or Big5 text",
                None,
                "此行不是有效的 UTF-8 或 Big5 文字",
                seen_login,
            )
        )
    rows, duplicates = _reject_duplicates(parsed, rejected)
    rejected.extend(duplicates)
    rejected.sort(key=lambda r: r.line_number)
    return ParsedSync(rows, rejected, encoding, ignored, tuple(unattributed))


def _reject_duplicates(rows: list[SyncRow], rejected: list[RejectedLine]) -> tuple[list[SyncRow], list[RejectedLine]]:
    """Keep one of identical duplicate lines; reject every line of a login name whose lines differ."""
    lines: dict[str, list[int]] = {}
    groups: dict[str, list[SyncRow]] = {}
    for row in rows:
        lines.setdefault(row.login_name, []).append(row.line_number)
        groups.setdefault(row.login_name, []).append(row)
    for line in rejected:
        if line.login_name:
            lines.setdefault(line.login_name, []).append(line.line_number)
    kept: list[SyncRow] = []
    dropped: list[RejectedLine] = []
    for login, group in groups.items():
        seen_on = sorted(lines[login])
        if len(seen_on) == 1:
            kept.append(group[0])
            continue
        first, *others = group
        if len(group) == len(seen_on) and all(other == first for other in others):
            kept.append(first)
            dropped.extend(
                RejectedLine(
                    o.line_number,
                    f"duplicate of line {first.line_number}",
                    "login_name",
                    f"與第 {first.line_number} 行重複",
                    login,
                )
                for o in others
            )
            continue
        where = ", ".join(str(n) for n in seen_on)
        dropped.extend(
            RejectedLine(
                r.line_number,
                f"login name {login!r} appears on lines {where} with different data",
                "login_name",
                f"帳號重複出現於第 {where} 行且內容不同",
                login,
            )
            for r in group
        )
    kept.sort(key=lambda r: r.line_number)
    return kept, dropped
