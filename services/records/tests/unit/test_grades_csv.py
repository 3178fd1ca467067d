"""SIS grade export parser (R-DATA-2 course records, R-DUTY-3 nightly sync)."""

import time
from decimal import Decimal

import pytest

from portfolio_records.domain.errors import GradesFileError
from portfolio_records.domain.grades_csv import REJECTION_REASONS, RejectedLine, parse_grades_csv
from portfolio_shared.testing.unicode_digits import OTHER_ZEROS, in_script, script_name

EN_HEADER = (
    "student_number,academic_year,semester,course_code,subject_name,credits,score,passed,makeup_score,qualitative"
)
ZH_HEADER = "學號,學年度,學期,課程代碼,科目名稱,學分,成績,及格,補考成績,文字描述"


def line(i: int, **overrides: str) -> str:
    values = {
        "student_number": f"{110000 + i // 10}",
        "academic_year": "114",
        "semester": "1",
        "course_code": f"108011301H111{i % 10:02d}A1",
        "subject_name": "國語文",
        "credits": "4",
        "score": "78.5",
        "passed": "Y",
        "makeup_score": "",
        "qualitative": "",
    }
    values.update(overrides)
    return ",".join(values.values())


def test_english_header_utf8() -> None:
    data = f"{EN_HEADER}\n{line(0)}\n".encode()
    parsed = parse_grades_csv(data)
    assert parsed.rejected == []
    (row,) = parsed.rows
    assert row.line_number == 2
    assert row.student_number == "110000"
    assert row.academic_year == 114
    assert row.semester == 1
    assert row.course_code == "108011301H11100A1"
    assert row.subject_name == "國語文"
    assert row.credits == 4
    assert row.score == Decimal("78.5")
    assert row.passed is True
    assert row.makeup_score is None
    assert row.qualitative is None
    assert row.key == ("110000", 114, 1, "108011301H11100A1")
    assert parsed.encoding == "utf-8"


def test_utf8_with_bom_and_chinese_header() -> None:
    data = ("\ufeff" + ZH_HEADER + "\r\n" + line(0, qualitative="表現優異") + "\r\n").encode("utf-8")
    parsed = parse_grades_csv(data)
    assert parsed.encoding == "utf-8-sig"
    assert parsed.rows[0].qualitative == "表現優異"


def test_big5_file() -> None:
    text = (
        ZH_HEADER
        + "\r\n"
        + line(0, subject_name="數學", passed="N", score="45", makeup_score="60", qualitative="補考通過")
        + "\r\n"
    )
    data = text.encode("big5")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    parsed = parse_grades_csv(data)
    assert parsed.encoding == "cp950"
    row = parsed.rows[0]
    assert (row.subject_name, row.passed, row.score, row.makeup_score, row.qualitative) == (
        "數學",
        False,
        Decimal("45"),
        Decimal("60"),
        "補考通過",
    )


def test_column_order_is_free_optional_columns_may_be_absent_unknown_ignored() -> None:
    header = "成績,學號,學年度,學期,課程代碼,科目名稱,學分,及格,班級"
    parsed = parse_grades_csv(f"{header}\n100,110001,113,2,ABC-1,英文,2,1,301\n".encode())
    (row,) = parsed.rows
    assert (row.score, row.student_number, row.academic_year, row.semester, row.passed) == (
        Decimal("100"),
        "110001",
        113,
        2,
        True,
    )
    assert parsed.ignored_columns == ("班級",)


def test_missing_required_column_rejects_the_file() -> None:
    with pytest.raises(GradesFileError) as info:
        parse_grades_csv("學號,學年度,學期,課程代碼,科目名稱,學分,及格\n".encode())
    assert info.value.extra["missing_columns"] == ["score"]
    assert info.value.rule == "R-DATA-2"


def test_duplicate_header_column_rejects_the_file() -> None:
    with pytest.raises(GradesFileError):
        parse_grades_csv(f"{EN_HEADER},成績\n".encode())


def test_empty_and_undecodable_files() -> None:
    with pytest.raises(GradesFileError):
        parse_grades_csv(b"")
    with pytest.raises(GradesFileError):
        parse_grades_csv(b"\xff\xff\xff\xfe\x80")


def test_thousand_rows_three_bad() -> None:
    lines = [EN_HEADER]
    for i in range(1000):
        if i == 99:
            lines.append(line(i, score="101"))  # file line 101
        elif i == 499:
            lines.append(line(i, semester="3"))  # file line 501
        elif i == 998:
            lines.append(line(i, student_number=""))  # file line 1000
        else:
            lines.append(line(i))
    parsed = parse_grades_csv(("\n".join(lines) + "\n").encode("utf-8"))
    assert len(parsed.rows) == 997
    assert parsed.rejected == [
        RejectedLine(101, "score", "out_of_range"),
        RejectedLine(501, "semester", "out_of_range"),
        RejectedLine(1000, "student_number", "required"),
    ]
    assert parsed.line_count == 1000
    assert [r.line_number for r in parsed.rows][:3] == [2, 3, 4]


def test_duplicates_keep_first_and_report_later_line() -> None:
    data = "\n".join([EN_HEADER, line(0), line(1), line(0, score="90"), line(0)]) + "\n"
    parsed = parse_grades_csv(data.encode())
    assert [r.line_number for r in parsed.rows] == [2, 3]
    assert parsed.rows[0].score == Decimal("78.5")
    assert parsed.rejected == [
        RejectedLine(4, "course_code", "duplicate"),
        RejectedLine(5, "course_code", "duplicate"),
    ]


@pytest.mark.parametrize(
    ("overrides", "field", "reason"),
    [
        ({"student_number": "11 0001"}, "student_number", "invalid_format"),
        ({"academic_year": "2025"}, "academic_year", "out_of_range"),
        ({"academic_year": "一一四"}, "academic_year", "invalid_format"),
        ({"academic_year": ""}, "academic_year", "required"),
        ({"semester": "0"}, "semester", "out_of_range"),
        ({"course_code": ""}, "course_code", "required"),
        ({"course_code": "課程"}, "course_code", "invalid_format"),
        ({"subject_name": " "}, "subject_name", "required"),
        ({"subject_name": "長" * 101}, "subject_name", "too_long"),
        ({"credits": "2.5"}, "credits", "invalid_format"),
        ({"credits": "31"}, "credits", "out_of_range"),
        ({"score": ""}, "score", "required"),
        ({"score": "-1"}, "score", "out_of_range"),
        ({"score": "100.01"}, "score", "out_of_range"),
        ({"score": "78.555"}, "score", "invalid_format"),
        ({"score": "abc"}, "score", "invalid_format"),
        ({"score": "1e2"}, "score", "invalid_format"),
        ({"score": "NaN"}, "score", "invalid_format"),
        ({"passed": "maybe"}, "passed", "invalid_format"),
        ({"passed": ""}, "passed", "required"),
        ({"makeup_score": "200"}, "makeup_score", "out_of_range"),
        ({"qualitative": "字" * 501}, "qualitative", "too_long"),
    ],
)
def test_field_rejections(overrides: dict[str, str], field: str, reason: str) -> None:
    parsed = parse_grades_csv(f"{EN_HEADER}\n{line(0, **overrides)}\n".encode())
    assert parsed.rows == []
    assert parsed.rejected == [RejectedLine(2, field, reason)]
    assert parsed.rejected[0].message_en == REJECTION_REASONS[reason][0]


@pytest.mark.parametrize(("score", "expected"), [("0", "0"), ("59.99", "59.99"), ("100.00", "100.00"), (" 60 ", "60")])
def test_score_boundaries(score: str, expected: str) -> None:
    parsed = parse_grades_csv(f"{EN_HEADER}\n{line(0, score=score)}\n".encode())
    assert parsed.rows[0].score == Decimal(expected)


@pytest.mark.parametrize(
    ("text", "value"), [("Y", True), ("y", True), ("1", True), ("是", True), ("N", False), ("0", False)]
)
def test_passed_values(text: str, value: bool) -> None:
    parsed = parse_grades_csv(f"{EN_HEADER}\n{line(0, passed=text)}\n".encode())
    assert parsed.rows[0].passed is value


def test_blank_lines_skipped_extra_fields_and_short_lines() -> None:
    data = "\n".join(
        [
            EN_HEADER,
            line(0),
            "",
            line(1) + ",extra",  # line 4: more fields than the header
            line(2) + ",",  # an empty trailing field is tolerated
            "110009,114,1,X1,國語文,4,70,Y",  # short line: the optional columns may be missing
        ]
    )
    parsed = parse_grades_csv(data.encode())
    assert [r.line_number for r in parsed.rows] == [2, 5, 6]
    assert parsed.rejected == [RejectedLine(4, None, "column_count")]


def test_quoted_field_with_newline_keeps_line_numbers() -> None:
    multi_line = '"第一行\n第二行"'
    data = f"{EN_HEADER}\n{line(0, qualitative=multi_line)}\n{line(1, score='x')}\n"
    parsed = parse_grades_csv(data.encode())
    assert parsed.rows[0].qualitative == "第一行\n第二行"
    assert parsed.rejected == [RejectedLine(4, "score", "invalid_format")]


def test_str_input() -> None:
    assert len(parse_grades_csv(f"\ufeff{EN_HEADER}\n{line(0)}\n").rows) == 1


@pytest.mark.slow
def test_a_million_rows_parse_in_seconds() -> None:
    # R-DUTY-3: the nightly sync of a district's grades must not take minutes.
    rows = [ZH_HEADER]
    for i in range(1_000_000):
        student, year, semester, course = 100000 + i // 40, 112 + i % 3, 1 + i % 2, f"C{i % 40:04d}"
        rows.append(f"{student},{year},{semester},{course},國語文,{i % 5},{i % 10001 / 100:.2f},Y,,")
    data = ("\n".join(rows) + "\n").encode("utf-8")
    started = time.perf_counter()
    parsed = parse_grades_csv(data)
    elapsed = time.perf_counter() - started
    assert len(parsed.rows) == 1_000_000
    assert parsed.rejected == []
    assert elapsed < 20, f"took {elapsed:.1f}s"


# -- ASCII identifiers and numbers (R-DATA-1 care, R-DATA-2) ----------------------------------------
@pytest.mark.parametrize("zero", OTHER_ZEROS, ids=script_name)
def test_every_other_scripts_digits_are_refused_in_each_column(zero: str) -> None:
    # Before: \d in the score pattern and Decimal() read ٧٨ as 78; student numbers and course
    # codes were already explicit [0-9A-Za-z] and must stay so.
    columns = ("student_number", "academic_year", "semester", "course_code", "credits", "score", "makeup_score")
    clean = line(0)
    lines = [line(n, **{column: in_script(clean.split(",")[i], zero) or in_script("60", zero)})
             for n, (i, column) in enumerate((EN_HEADER.split(",").index(c), c) for c in columns)]  # fmt: skip
    parsed = parse_grades_csv(("\n".join([EN_HEADER, *lines]) + "\n").encode())
    assert parsed.rows == []
    assert [(r.line_number, r.field, r.reason) for r in parsed.rejected] == [
        (n + 2, column, "invalid_format") for n, column in enumerate(columns)
    ]


def test_ascii_digits_next_to_the_refused_ones_still_parse() -> None:
    parsed = parse_grades_csv(f"{EN_HEADER}\n{line(0, score='100', makeup_score='60.5')}\n".encode())
    assert parsed.rejected == []
    assert parsed.rows[0].makeup_score == Decimal("60.5")


def test_a_line_that_is_neither_utf8_nor_big5_is_rejected_by_number_not_the_file() -> None:
    """R-DUTY-3: the nightly file still imports; the bad line is named."""
    good = "\n".join([ZH_HEADER, line(1), line(2)]).encode() + b"\n"
    data = good + b"S00003,114,1,C\xff\xfe,x,2,80,Y,,\n" + (line(4) + "\n").encode()
    parsed = parse_grades_csv(data)
    assert [r.line_number for r in parsed.rows] == [2, 3, 5]
    assert [(r.line_number, r.field, r.reason) for r in parsed.rejected] == [(4, None, "encoding")]
    assert parsed.encoding == "utf-8"
