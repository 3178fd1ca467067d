"""Parser of the SIS grade export (學期成績), the nightly source of course records.

R-DATA-2: the platform holds the grade of every subject of the approved course plan.
R-DUTY-3: grades are synced from the school administration system (校務行政系統) every night,
so the parser must be fast (a whole district's file of a million lines parses in seconds) and
must never drop a line silently: every line is either a ``GradeRow`` or a ``RejectedLine``.

File format
-----------
CSV, comma separated, double-quote quoting; encoded as UTF-8, UTF-8 with BOM, or Big5 (read as
cp950, its Microsoft superset, which Excel on zh-TW Windows writes). A line that is not valid text
in the file's encoding is rejected by its line number (reason ``encoding``), not the whole file.
Line 1 is the header; the column order is free and each column may be named in English or Chinese:

=====================  ===========  ==========================================================
column                 中文          value
=====================  ===========  ==========================================================
student_number         學號          the school's student number, 1-20 of ``0-9 A-Z a-z -``
academic_year          學年度        ROC academic year, e.g. ``114`` (Aug 2025 – Jul 2026)
semester               學期          ``1`` or ``2``
course_code            課程代碼      course code of the course plan, 1-40 of ``0-9 A-Z a-z _ . -``
subject_name           科目名稱      subject name, at most 100 characters
credits                學分          whole credits, 0-30
score                  成績          semester score 0-100, at most 2 decimals
passed                 及格          ``Y``/``N`` or ``1``/``0`` (also 是/否)
makeup_score           補考成績      optional make-up exam score, same format as ``score``
qualitative            文字描述      optional qualitative description, at most 500 characters
=====================  ===========  ==========================================================

Unknown columns are ignored (and listed in ``ParsedGrades.ignored_columns``); a missing required
column or an undecodable file rejects the whole file with ``GradesFileError``. Blank lines are
skipped. Each bad line is reported once, with the first field that failed. A repeated key
(student_number, academic_year, semester, course_code) keeps the first line and rejects the later
ones as ``duplicate``.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import NamedTuple, Protocol

from portfolio_records.domain.errors import GradesFileError
from portfolio_shared.sis_text import DecodedExport, UndecodableExport, decode_export

REQUIRED_COLUMNS: tuple[str, ...] = (
    "student_number",
    "academic_year",
    "semester",
    "course_code",
    "subject_name",
    "credits",
    "score",
    "passed",
)
OPTIONAL_COLUMNS: tuple[str, ...] = ("makeup_score", "qualitative")

# Header spellings (compared after strip, lower-case, spaces/hyphens → underscores).
COLUMN_ALIASES: dict[str, str] = {
    "student_number": "student_number", "student_no": "student_number", "studentnumber": "student_number",
    "學號": "student_number",
    "academic_year": "academic_year", "school_year": "academic_year", "學年度": "academic_year",
    "學年": "academic_year",
    "semester": "semester", "term": "semester", "學期": "semester",
    "course_code": "course_code", "課程代碼": "course_code", "課程代號": "course_code",
    "subject_name": "subject_name", "subject": "subject_name", "科目名稱": "subject_name",
    "科目": "subject_name",
    "credits": "credits", "credit": "credits", "學分": "credits", "學分數": "credits",
    "score": "score", "成績": "score", "學期成績": "score",
    "passed": "passed", "pass": "passed", "及格": "passed", "是否及格": "passed",
    "makeup_score": "makeup_score", "make_up_score": "makeup_score", "補考成績": "makeup_score",
    "qualitative": "qualitative", "qualitative_description": "qualitative", "文字描述": "qualitative",
    "質性描述": "qualitative",
}  # fmt: skip

MIN_ACADEMIC_YEAR = 100
MAX_ACADEMIC_YEAR = 299
MAX_CREDITS = 30
MAX_SUBJECT_NAME = 100
MAX_QUALITATIVE = 500

# Stable rejection reasons with their messages; the API and the import report translate by code.
REJECTION_REASONS: dict[str, tuple[str, str]] = {
    "column_count": ("The line has more fields than the header", "欄位數多於標題列"),
    "required": ("The field is required", "此欄位必填"),
    "invalid_format": ("The value has the wrong format", "格式錯誤"),
    "out_of_range": ("The value is out of range", "數值超出範圍"),
    "too_long": ("The value is too long", "內容過長"),
    "duplicate": (
        "The same student, year, semester and course already appear on an earlier line",
        "同一學生、學年度、學期與課程已出現在前面的列",
    ),
    # Set by the importer, not the parser: the number matches no student enrolled at the school.
    "unknown_student": ("No student with this number is enrolled at the school", "本校查無此學號的在籍學生"),
    # Set by the importer: the line's semester has no open data-entry window (R-REC-1).
    "window_closed": (
        "The data-entry window of this line's semester is not open",
        "此列學期的資料登錄期間未開放",
    ),
    # Set by the decoder: the line's bytes are not text in the file's encoding (R-DUTY-3).
    "encoding": (
        "The line is not valid text in the file's encoding (UTF-8 or Big5)",
        "此列不是有效的 UTF-8 或 Big5 文字",
    ),
}

# ASCII only, spelled out: ``\d`` and ``int()``/``Decimal()`` also take Arabic-Indic, Devanagari
# or mathematical digits, which would store a second spelling of the same key (R-DATA-1).
_STUDENT_NUMBER = re.compile(r"[0-9A-Za-z-]{1,20}", re.ASCII)
_COURSE_CODE = re.compile(r"[0-9A-Za-z_.-]{1,40}", re.ASCII)
_SCORE = re.compile(r"(?:100(?:\.0{1,2})?|[0-9]{1,2}(?:\.[0-9]{1,2})?)", re.ASCII)
_INTEGER = re.compile(r"[+-]?[0-9]+", re.ASCII)
_NUMBER = re.compile(r"[+-]?[0-9]+(?:\.[0-9]+)?", re.ASCII)

_SEMESTERS = {"1": 1, "2": 2}
_PASSED = {"Y": True, "y": True, "1": True, "是": True, "N": False, "n": False, "0": False, "否": False}
_CREDITS = {str(n): n for n in range(MAX_CREDITS + 1)}
_YEARS = {str(y): y for y in range(MIN_ACADEMIC_YEAR, MAX_ACADEMIC_YEAR + 1)}


class GradeRow(NamedTuple):
    """One accepted semester grade (學期成績) of one student in one course.

    A tuple, not a dataclass: a tuple of atomic values (str, int, Decimal, bool, None) is untracked
    by the cyclic garbage collector once it survives a collection, so the collections that a
    million-row import triggers stop re-scanning every row already parsed. This is what the old
    ``gc.disable()`` bought, without pausing the collector of every other service in the process.
    """

    line_number: int
    student_number: str
    academic_year: int
    semester: int
    course_code: str
    subject_name: str
    credits: int
    score: Decimal
    passed: bool
    makeup_score: Decimal | None
    qualitative: str | None

    @property
    def key(self) -> tuple[str, int, int, str]:
        return (self.student_number, self.academic_year, self.semester, self.course_code)


@dataclass(frozen=True, slots=True)
class RejectedLine:
    """A line that was not imported: where, which field (``None`` for the whole line), why."""

    line_number: int
    field: str | None
    reason: str

    @property
    def message_en(self) -> str:
        return REJECTION_REASONS[self.reason][0]

    @property
    def message_zh(self) -> str:
        return REJECTION_REASONS[self.reason][1]


@dataclass(slots=True)
class ParsedGrades:
    rows: list[GradeRow]
    rejected: list[RejectedLine]
    encoding: str = "utf-8"
    ignored_columns: tuple[str, ...] = field(default=())

    @property
    def line_count(self) -> int:
        """Data lines accounted for (accepted + rejected)."""
        return len(self.rows) + len(self.rejected)


def decode_grades_file(data: bytes) -> tuple[str, str]:
    """Decode the export: UTF-8 (BOM optional) first, then Big5/cp950. Returns (text, encoding).

    Refuses only a file that cannot be read at all; see ``decode_grades_lines`` for line-level errors.
    """
    decoded = decode_grades_lines(data)
    return decoded.text, decoded.encoding


def decode_grades_lines(data: bytes) -> DecodedExport:
    """Decode the export; lines that are not valid text are blanked and reported by number (R-DUTY-3)."""
    try:
        return decode_export(data, ("utf-8", "cp950"))
    except UndecodableExport as exc:
        raise GradesFileError(
            "The grade file is neither UTF-8 nor Big5 text",
            "成績檔案的編碼不是 UTF-8 也不是 Big5",
            extra={"byte_offset": exc.byte_offset, "line_number": exc.line_number},
        ) from exc


def _canonical_header(name: str) -> str:
    return re.sub(r"[\s\-]+", "_", name.strip().lstrip("\ufeff").strip()).lower()


def _map_header(header: list[str]) -> tuple[dict[str, int], tuple[str, ...]]:
    positions: dict[str, int] = {}
    ignored: list[str] = []
    for index, raw in enumerate(header):
        column = COLUMN_ALIASES.get(_canonical_header(raw))
        if column is None:
            if raw.strip():
                ignored.append(raw.strip())
            continue
        if column in positions:
            raise GradesFileError(
                f"The header names the column {column!r} twice",
                f"標題列重複出現欄位「{column}」",
                extra={"column": column},
            )
        positions[column] = index
    missing = [c for c in REQUIRED_COLUMNS if c not in positions]
    if missing:
        raise GradesFileError(
            "The header lacks required columns: " + ", ".join(missing),
            "標題列缺少必要欄位：" + "、".join(missing),
            extra={"missing_columns": missing},
        )
    return positions, tuple(ignored)


def parse_grades_csv(data: bytes | str) -> ParsedGrades:
    """Parse a grade export; see the module docstring for the format (R-DATA-2, R-DUTY-3)."""
    bad_lines: tuple[int, ...] = ()
    if isinstance(data, bytes):
        decoded = decode_grades_lines(data)
        text, encoding, bad_lines = decoded.text, decoded.encoding, decoded.bad_lines
    else:
        text, encoding = data.removeprefix("\ufeff"), "str"

    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
        if header is None:
            raise GradesFileError("The grade file is empty", "成績檔案是空的")
        positions, ignored = _map_header(header)
        # No gc.disable() here: the collector is process-wide, and in standalone (all services in
        # one process) pausing it for an import paused it for every service's requests too.
        rows, rejected = _parse_body(reader, positions, len(header))
    except csv.Error as exc:
        raise GradesFileError(
            f"The grade file is not valid CSV near line {reader.line_num}: {exc}",
            f"成績檔案第 {reader.line_num} 行附近不是有效的 CSV：{exc}",
            extra={"line_number": reader.line_num},
        ) from exc
    if bad_lines:
        # A line that is not valid text was blanked by the decoder: report it, import the rest.
        rejected = sorted([*rejected, *(RejectedLine(n, None, "encoding") for n in bad_lines)], key=_line_of)
    return ParsedGrades(rows=rows, rejected=rejected, encoding=encoding, ignored_columns=ignored)


def _line_of(line: RejectedLine) -> int:
    return line.line_number


class _Reader(Protocol):
    """The part of a ``csv.reader`` object used here."""

    @property
    def line_num(self) -> int: ...

    def __iter__(self) -> Iterator[list[str]]: ...


# One flat loop, kept inline on purpose: it runs once per line of a million-line file.
def _parse_body(reader: _Reader, positions: dict[str, int], width: int) -> tuple[list[GradeRow], list[RejectedLine]]:
    i_student = positions["student_number"]
    i_year = positions["academic_year"]
    i_semester = positions["semester"]
    i_course = positions["course_code"]
    i_subject = positions["subject_name"]
    i_credits = positions["credits"]
    i_score = positions["score"]
    i_passed = positions["passed"]
    i_makeup = positions.get("makeup_score")
    i_qualitative = positions.get("qualitative")

    student_ok = _STUDENT_NUMBER.fullmatch
    course_ok = _COURSE_CODE.fullmatch
    years, semesters, credits_map, passed_map = _YEARS, _SEMESTERS, _CREDITS, _PASSED
    score_cache: dict[str, Decimal] = {}

    rows: list[GradeRow] = []
    rejected: list[RejectedLine] = []
    append_row = rows.append
    seen: set[tuple[str, int, int, str]] = set()
    padding = [""] * width
    last_line = 1  # the header

    def score_of(text: str) -> Decimal | None:
        # At most 10,001 distinct valid scores: cache their Decimals instead of re-parsing.
        value = score_cache.get(text)
        if value is None and _SCORE.fullmatch(text):
            value = score_cache[text] = Decimal(text)
        return value

    for record in reader:
        line = last_line + 1
        last_line = reader.line_num
        if not record or (len(record) == 1 and not record[0].strip()):
            continue  # blank line
        if len(record) != width:
            if len(record) > width:
                if any(f.strip() for f in record[width:]):
                    rejected.append(RejectedLine(line, None, "column_count"))
                    continue
            else:
                record = record + padding[len(record) :]

        student = record[i_student].strip()
        if not student:
            rejected.append(RejectedLine(line, "student_number", "required"))
            continue
        if student_ok(student) is None:
            rejected.append(RejectedLine(line, "student_number", "invalid_format"))
            continue

        # Clean files hit the lookup tables with the raw text; strip only on a miss.
        text = record[i_year]
        year = years.get(text)
        if year is None:
            text = text.strip()
            year = years.get(text)
        if year is None:
            rejected.append(_bad_integer(line, "academic_year", text))
            continue

        text = record[i_semester]
        semester = semesters.get(text)
        if semester is None:
            text = text.strip()
            semester = semesters.get(text)
        if semester is None:
            rejected.append(_bad_integer(line, "semester", text))
            continue

        course = record[i_course].strip()
        if not course:
            rejected.append(RejectedLine(line, "course_code", "required"))
            continue
        if course_ok(course) is None:
            rejected.append(RejectedLine(line, "course_code", "invalid_format"))
            continue

        subject = record[i_subject].strip()
        if not subject:
            rejected.append(RejectedLine(line, "subject_name", "required"))
            continue
        if len(subject) > MAX_SUBJECT_NAME:
            rejected.append(RejectedLine(line, "subject_name", "too_long"))
            continue

        text = record[i_credits]
        credits = credits_map.get(text)
        if credits is None:
            text = text.strip()
            credits = credits_map.get(text)
        if credits is None:
            rejected.append(_bad_integer(line, "credits", text))
            continue

        text = record[i_score]
        score = score_cache.get(text)
        if score is None:
            text = text.strip()
            score = score_of(text)
        if score is None:
            rejected.append(_bad_score(line, "score", text))
            continue

        text = record[i_passed]
        passed = passed_map.get(text)
        if passed is None:
            text = text.strip()
            passed = passed_map.get(text)
        if passed is None:
            reason = "required" if not text else "invalid_format"
            rejected.append(RejectedLine(line, "passed", reason))
            continue

        makeup: Decimal | None = None
        if i_makeup is not None:
            text = record[i_makeup].strip()
            if text:
                makeup = score_of(text)
                if makeup is None:
                    rejected.append(_bad_score(line, "makeup_score", text))
                    continue

        qualitative: str | None = None
        if i_qualitative is not None:
            qualitative = record[i_qualitative].strip() or None
            if qualitative is not None and len(qualitative) > MAX_QUALITATIVE:
                rejected.append(RejectedLine(line, "qualitative", "too_long"))
                continue

        key = (student, year, semester, course)
        if key in seen:
            rejected.append(RejectedLine(line, "course_code", "duplicate"))
            continue
        seen.add(key)
        append_row(
            GradeRow(line, student, year, semester, course, subject, credits, score, passed, makeup, qualitative)
        )
    return rows, rejected


def _bad_integer(line: int, column: str, text: str) -> RejectedLine:
    if not text:
        return RejectedLine(line, column, "required")
    if _INTEGER.fullmatch(text):
        return RejectedLine(line, column, "out_of_range")
    return RejectedLine(line, column, "invalid_format")


def _bad_score(line: int, column: str, text: str) -> RejectedLine:
    if not text:
        return RejectedLine(line, column, "required")
    try:
        value = Decimal(text)
    except ArithmeticError:
        return RejectedLine(line, column, "invalid_format")
    if not value.is_finite() or not _NUMBER.fullmatch(text):
        return RejectedLine(line, column, "invalid_format")
    if value < 0 or value > 100:
        return RejectedLine(line, column, "out_of_range")
    return RejectedLine(line, column, "invalid_format")  # a sign, leading zeros or over two decimals
