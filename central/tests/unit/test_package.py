"""Packages written from the layouts round-trip through the validating reader; each package rule
is refused at its limit and one past it, with workbook, sheet, row, column and rule."""

from __future__ import annotations

import hashlib
import io
import json
import tracemalloc
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from portfolio_central import layouts, package, reader, samples
from portfolio_central.manifest import MANIFEST_NAME
from portfolio_central.package import PackageFile, PackageSpec

L = layouts.load()
OUTCOMES = L.workbook("course_outcomes")
CADRE = L.workbook("cadre_records")


def spec(kind: str, semester: int | None = None, key: str = "key-0123456789") -> PackageSpec:
    wb = L.workbook(kind)
    return PackageSpec(
        "999001", kind, 114, semester if semester is not None else (0 if wb.term == "year" else 1), "batch-1", key
    )


def write(tmp: Path, s: PackageSpec, rows: dict[str, Any], files: list[PackageFile] = ()) -> Path:  # type: ignore[assignment]
    target = tmp / "package.zip"
    with target.open("wb") as fh:
        package.write(fh, s, rows, files)
    return target


def located(report: reader.PackageReport) -> list[tuple[Any, ...]]:
    return [(v.sheet, v.row, v.column, v.rule) for v in report.violations]


@pytest.mark.parametrize("kind", L.kinds)
def test_sample_packages_round_trip(kind: str, tmp_path: Path) -> None:
    wb = L.workbook(kind)
    rows, files = samples.package_content(wb, L, students=3, per_sheet=2)
    path = write(tmp_path, spec(kind), rows, files)
    report = reader.read(path)
    assert report.ok, report.violations
    assert report.manifest is not None and report.manifest.kind == kind and report.manifest.batch_id == "batch-1"
    assert len(report.items) == sum(len(r) for r in rows.values())
    first_sheet = wb.sheets[0]
    got = next(i for i in report.items if i.sheet == first_sheet.name and i.row == 2)
    expected = rows[first_sheet.name][0]
    for column in first_sheet.columns:
        value = expected.get(column.key)
        assert got.fields[column.key] == ("" if value is None else package.to_cell(value, column, L.date_format))
    with zipfile.ZipFile(path) as zf:
        names = zf.namelist()
        assert names[-1] == MANIFEST_NAME and wb.path in names
        for item in report.items:
            for f in item.files:
                assert f.path.startswith(wb.folder + "/")
                assert hashlib.sha256(zf.read(f.path)).hexdigest() == f.sha256
    assert {i.national_id for i in report.items} == {samples.national_id(s) for s in range(3)}


def test_header_sheet_holds_school_year_and_semester(tmp_path: Path) -> None:
    from python_calamine import CalamineWorkbook

    path = write(tmp_path, spec("performances"), {})
    with zipfile.ZipFile(path) as zf:
        book = tmp_path / "b.xlsx"
        book.write_bytes(zf.read(L.workbook("performances").path))
    wb = CalamineWorkbook.from_path(str(book))
    assert wb.sheet_names[0] == "學校資料"
    assert wb.get_sheet_by_name("學校資料").to_python() == [["學校代碼", "學年度", "學期"], ["999001", "114", "0"]]


def test_a_yearly_workbook_refuses_a_semester(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="year workbook"):
        list(package.build(spec("course_outcomes", semester=1), {}))


def _outcome(n: int = 1, **changes: Any) -> dict[str, Any]:
    return {**samples.row(OUTCOMES, "學期", n, L), **changes}


def _pdf(name: str, data: bytes = samples.PDF) -> PackageFile:
    return PackageFile(name, lambda: samples.chunks(data))


def test_max_length_at_and_past_the_limit_r_file_2(tmp_path: Path) -> None:
    rows = {
        "學期": [
            _outcome(1, description="述" * 100, document_file="a.pdf"),
            _outcome(2, description="述" * 101, document_file="b.pdf"),
        ]
    }
    report = reader.read(write(tmp_path, spec("course_outcomes"), rows, [_pdf("a.pdf"), _pdf("b.pdf")]))
    assert located(report) == [("學期", 3, "成果簡述", "max-length")]
    assert report.violations[0].domain_rule == "R-FILE-2" and report.violations[0].workbook == OUTCOMES.file_name
    assert [i.row for i in report.items] == [2]  # the good row is still a receipt item


def test_code_list_and_required_and_id_and_date(tmp_path: Path) -> None:
    good = samples.row(CADRE, "校內幹部經歷", 1, L, files=False)
    rows = {
        "校內幹部經歷": [
            {**good, "cadre_level": "3"},
            {**good, "cadre_level": "4"},
            {**good, "unit": ""},
            {**good, "national_id": "A123456788"},
            {**good, "starts_on": "20070229"},
            {**good, "starts_on": "20080229"},
        ]
    }
    report = reader.read(write(tmp_path, spec("cadre_records"), rows))
    assert located(report) == [
        ("校內幹部經歷", 3, "幹部等級", "code-list"),
        ("校內幹部經歷", 4, "單位名稱", "required"),
        ("校內幹部經歷", 5, "身分證號", "national-id"),
        ("校內幹部經歷", 6, "開始日期", "date"),
    ]
    assert [i.row for i in report.items] == [2, 7]


def test_an_outcome_needs_a_document_or_a_video_r_file_2(tmp_path: Path) -> None:
    rows = {"學期": [_outcome(1, document_file=None), _outcome(2, document_file=None, video_file="v.mp4")]}
    files = [PackageFile("v.mp4", lambda: [samples.MP4])]
    report = reader.read(write(tmp_path, spec("course_outcomes"), rows, files))
    assert located(report) == [("學期", 2, "證明文件", "one-of")]
    assert report.violations[0].domain_rule == "R-FILE-2"


def test_missing_file(tmp_path: Path) -> None:
    rows = {"學期": [_outcome(1, document_file="there.pdf"), _outcome(2, document_file="not-there.pdf")]}
    report = reader.read(write(tmp_path, spec("course_outcomes"), rows, [_pdf("there.pdf")]))
    assert located(report) == [("學期", 3, "證明文件", "file-missing")]


def test_file_size_at_and_past_the_limit_r_file_1(tmp_path: Path) -> None:
    limit = L.files["document"].max_bytes
    rows = {"學期": [_outcome(1, document_file="at.pdf"), _outcome(2, document_file="past.pdf")]}
    files = [_pdf("at.pdf", b"%PDF" + b"0" * (limit - 4)), _pdf("past.pdf", b"%PDF" + b"0" * (limit - 3))]
    report = reader.read(write(tmp_path, spec("course_outcomes"), rows, files))
    assert located(report) == [("學期", 3, "證明文件", "file-size")]
    assert report.violations[0].domain_rule == "R-FILE-1"


def test_file_type_by_extension_and_by_content_r_file_1(tmp_path: Path) -> None:
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16
    rows = {
        "學期": [
            _outcome(1, document_file="a.docx"),
            _outcome(2, document_file="b.PNG"),
            _outcome(3, document_file="c.pdf"),  # a PNG renamed to .pdf
            _outcome(4, document_file=None, video_file="d.mp4"),
            _outcome(5, document_file=None, video_file="e.mp3"),  # an MP4 renamed to .mp3
        ]
    }
    files = [
        _pdf("a.docx"),
        _pdf("b.PNG", png),
        _pdf("c.pdf", png),
        _pdf("d.mp4", samples.MP4),
        _pdf("e.mp3", samples.MP4),
    ]
    report = reader.read(write(tmp_path, spec("course_outcomes"), rows, files))
    assert located(report) == [
        ("學期", 2, "證明文件", "file-type"),
        ("學期", 4, "證明文件", "file-type"),
        ("學期", 6, "影音檔案", "file-type"),
    ]
    assert {v.domain_rule for v in report.violations} == {"R-FILE-1"}


def _rewrite(path: Path, change: Any, *, fix_manifest: bool = False) -> None:
    """Rewrite a package, letting ``change(name, data)`` alter entries (None drops one); with
    ``fix_manifest`` the manifest gets the new entries' sizes and SHA-256 (a consistent package)."""
    with zipfile.ZipFile(path) as zf:
        entries = [(i.filename, zf.read(i)) for i in zf.infolist()]
    changed = [(name, change(name, data)) for name, data in entries]
    if fix_manifest:
        files = [
            {"path": n, "size": len(d), "sha256": hashlib.sha256(d).hexdigest()}
            for n, d in changed
            if d is not None and n != MANIFEST_NAME
        ]
        changed = [
            (n, json.dumps({**json.loads(d), "files": files}).encode() if n == MANIFEST_NAME else d) for n, d in changed
        ]
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in changed:
            if data is not None:
                zf.writestr(name, data)


def test_sha256_mismatch_and_unlisted_and_listed_but_absent(tmp_path: Path) -> None:
    rows = {"學期": [_outcome(1, document_file="a.pdf"), _outcome(2, document_file="b.pdf")]}
    path = write(tmp_path, spec("course_outcomes"), rows, [_pdf("a.pdf"), _pdf("b.pdf")])
    folder = OUTCOMES.folder

    def tamper(name: str, data: bytes) -> bytes | None:
        if name == f"{folder}/a.pdf":
            return data[:-1] + b"X"  # same size, different bytes
        if name == f"{folder}/b.pdf":
            return None
        return data

    _rewrite(path, tamper)
    with zipfile.ZipFile(path, "a") as zf:
        zf.writestr(f"{folder}/extra.pdf", samples.PDF)
    report = reader.read(path)
    rules = {(v.rule, v.column) for v in report.violations}
    assert ("sha256-mismatch", f"{folder}/a.pdf") in rules
    assert ("file-missing", f"{folder}/b.pdf") in rules
    assert ("unlisted-file", f"{folder}/extra.pdf") in rules
    assert ("file-missing", "證明文件") in rules  # the row naming b.pdf


def test_manifest_missing_broken_or_disagreeing(tmp_path: Path) -> None:
    path = write(tmp_path, spec("cadre_records"), {})
    ok = reader.read(
        path, expect={"school_code": "999001", "kind": "cadre_records", "academic_year": 114, "semester": 1}
    )
    assert ok.ok
    other = reader.read(path, expect={"school_code": "999002", "semester": 2})
    assert [(v.rule, v.column) for v in other.violations] == [
        ("manifest-mismatch", "school_code"),
        ("manifest-mismatch", "semester"),
    ]
    _rewrite(path, lambda name, data: None if name == MANIFEST_NAME else data)
    assert [v.rule for v in reader.read(path).violations] == ["manifest-missing"]
    _rewrite(path, lambda name, data: data)
    with zipfile.ZipFile(path, "a") as zf:
        zf.writestr(MANIFEST_NAME, json.dumps({"format": "x"}))
    assert [v.rule for v in reader.read(path).violations] == ["manifest"]
    (tmp_path / "junk.zip").write_bytes(b"not a zip")
    assert [v.rule for v in reader.read(tmp_path / "junk.zip").violations] == ["not-a-zip"]


def test_header_sheet_must_agree_with_the_manifest(tmp_path: Path) -> None:
    path = write(tmp_path, spec("cadre_records"), {})
    folder = CADRE.folder

    def other_school(name: str, data: bytes) -> bytes:
        if name != CADRE.path:
            return data
        book = tmp_path / "other.xlsx"
        package.write_workbook(
            book, CADRE, PackageSpec("999002", "cadre_records", 114, 1, "b", "k" * 8), {}, date_format=L.date_format
        )
        return book.read_bytes()

    _rewrite(path, other_school, fix_manifest=True)
    report = reader.read(path)
    assert [(v.rule, v.sheet, v.row, v.column) for v in report.violations] == [
        ("header-mismatch", "學校資料", 2, "學校代碼")
    ]
    assert folder  # the workbook stays in its folder


def test_wrong_columns_are_refused_by_sheet(tmp_path: Path) -> None:
    import xlsxwriter

    book = tmp_path / "bad.xlsx"
    wb = xlsxwriter.Workbook(str(book))
    head = wb.add_worksheet("學校資料")
    head.write_row(0, 0, ["學校代碼", "學年度", "學期"])
    head.write_row(1, 0, ["999001", "114", "1"])
    wb.add_worksheet("校內幹部經歷").write_row(0, 0, ["身分證號", "出生日期", "單位"])
    wb.add_worksheet("多的").write_row(0, 0, ["x"])
    wb.close()
    path = write(tmp_path, spec("cadre_records"), {})
    _rewrite(path, lambda name, data: book.read_bytes() if name == CADRE.path else data, fix_manifest=True)
    rules = {(v.rule, v.sheet) for v in reader.read(path).violations}
    assert ("columns", "校內幹部經歷") in rules and ("sheet-unknown", "多的") in rules


def test_hand_made_numeric_and_date_cells_are_read_as_text(tmp_path: Path) -> None:
    """Excel users type 3 (a number) and real dates; the reader reads them as the text they mean."""
    import datetime as dt

    import xlsxwriter

    book = tmp_path / "hand.xlsx"
    wb = xlsxwriter.Workbook(str(book))
    head = wb.add_worksheet("學校資料")
    head.write_row(0, 0, ["學校代碼", "學年度", "學期"])
    head.write_row(1, 0, ["999001", 114, 1])
    ws = wb.add_worksheet("校內幹部經歷")
    ws.write_row(0, 0, [c.name for c in CADRE.sheets[0].columns])
    ws.write_row(1, 0, [samples.national_id(1), "20080101", "學生會", "", "", "會長", 1])
    ws.write_datetime(1, 3, dt.datetime(2025, 9, 1), wb.add_format({"num_format": "yyyy-mm-dd"}))
    wb.close()
    path = write(tmp_path, spec("cadre_records"), {})
    _rewrite(path, lambda name, data: book.read_bytes() if name == CADRE.path else data, fix_manifest=True)
    report = reader.read(path)
    assert report.ok, report.violations
    assert report.items[0].fields["starts_on"] == "20250901" and report.items[0].fields["cadre_level"] == "1"


def test_writing_is_streamed_not_held_in_memory(tmp_path: Path) -> None:
    """20 files of 2 MiB go through the zip stream while Python never holds more than a few chunks."""

    def big() -> Iterator[bytes]:
        for _ in range(32):
            yield b"\x00" * 65536

    rows = {"學期": [_outcome(n, document_file=f"{n}.pdf") for n in range(20)]}
    files = [PackageFile(f"{n}.pdf", big) for n in range(20)]
    sink = io.BytesIO()
    counted = 0

    class Counter(io.RawIOBase):
        def write(self, b: Any) -> int:
            nonlocal counted
            counted += len(b)
            return len(b)

    tracemalloc.start()
    package.write(Counter(), spec("course_outcomes"), rows, files)  # type: ignore[arg-type]
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert counted > 20 * 2 * 1024 * 1024
    assert peak < 8 * 1024 * 1024, peak
    assert sink.getvalue() == b""


def test_formula_like_text_is_a_text_cell_never_a_formula(tmp_path: Path) -> None:
    """A description starting with '=' reaches the central database exactly as typed and is a text
    cell in the workbook: no spreadsheet runs it (the team's formula-injection concern, without
    altering submitted data with a quote)."""
    text = '=HYPERLINK("http://x","y")'
    rows = {"學期": [_outcome(1, description=text, document_file="a.pdf")]}
    path = write(tmp_path, spec("course_outcomes"), rows, [_pdf("a.pdf")])
    report = reader.read(path)
    assert report.ok and report.items[0].fields["description"] == text
    with zipfile.ZipFile(path) as zf:
        book = zipfile.ZipFile(io.BytesIO(zf.read(OUTCOMES.path)))
        sheets = [n for n in book.namelist() if n.startswith("xl/worksheets/")]
        assert sheets and not any(b"<f>" in book.read(n) for n in sheets)
