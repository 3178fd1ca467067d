"""The layouts are data: every workbook of DOMAIN.md is there, shaped as the central database's
workbooks are, and a new column is a data change the generic code picks up (no release)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from pydantic import ValidationError

from portfolio_central import layouts, package, reader, samples
from portfolio_central.layouts import Workbook

L = layouts.load()


def test_every_kind_of_domain_md_is_a_workbook() -> None:
    assert set(L.kinds) == {"basic_data", "cadre_records", "grades", "course_outcomes", "performances"}
    assert layouts.versions() == ["2021.1"]
    assert L.workbook("cadre_records").path == "02_非學業表現上傳資料/1_校內幹部經歷名冊.xlsx"
    assert L.workbook("performances").path == "02_非學業表現上傳資料/2_學生自填多元表現名冊.xlsx"


def test_each_data_sheet_starts_with_id_and_birth_date_and_ends_with_files_and_link() -> None:
    for kind in L.kinds:
        wb = L.workbook(kind)
        assert [c.name for c in wb.header_sheet.columns] == ["學校代碼", "學年度", "學期"]
        for sheet in wb.sheets:
            assert sheet.headers[:2] == ["身分證號", "出生日期"]
            if sheet.file_columns:
                assert [c.type for c in sheet.columns[-3:]] == ["file", "file", "url"]


def test_cadre_records_columns_as_seen() -> None:
    sheet = L.workbook("cadre_records").sheets[0]
    assert sheet.headers[:7] == ["身分證號", "出生日期", "單位名稱", "開始日期", "結束日期", "擔任職務", "幹部等級"]
    level = next(c for c in sheet.columns if c.name == "幹部等級")
    assert level.codes == ("1", "2", "3")


def test_course_outcomes_sheets_and_r_file_2() -> None:
    wb = L.workbook("course_outcomes")
    assert wb.term == "year"
    assert [s.name for s in wb.sheets] == ["學期", "補修", "重修", "重讀"]
    for sheet in wb.sheets:
        description = next(c for c in sheet.columns if c.key == "description")
        assert description.required and description.max_length == 100 and description.rule == "R-FILE-2"
        assert sheet.require_one_of[0].columns == ("document_file", "video_file")


def test_performances_have_the_ten_sheets_of_r_file_3() -> None:
    names = [s.name for s in L.workbook("performances").sheets]
    assert names == [
        "幹部經歷暨事蹟紀錄",
        "競賽參與紀錄",
        "檢定證照紀錄",
        "服務學習紀錄",
        "彈性學習時間紀錄",
        "團體活動時間紀錄",
        "職場學習紀錄",
        "作品成果紀錄",
        "大學及技專校院先修課程紀錄",
        "其他多元表現紀錄",
    ]


def test_grades_sheets() -> None:
    assert [s.name for s in L.workbook("grades").sheets] == ["學期成績", "轉學轉科成績", "重修成績", "補考成績"]


def test_file_rules_are_data_r_file_1() -> None:
    assert L.files["document"].max_bytes == 4 * 1024 * 1024
    assert set(L.files["document"].extensions) >= {"pdf", "jpg", "png"}
    assert L.files["audio_video"].max_bytes == 10 * 1024 * 1024
    assert set(L.files["audio_video"].extensions) == {"mp3", "mp4"}


def test_yearly_workbooks_take_semester_0_only() -> None:
    assert L.workbook("performances").semester_ok(0) and not L.workbook("performances").semester_ok(1)
    assert L.workbook("grades").semester_ok(2) and not L.workbook("grades").semester_ok(0)


def test_unknown_version_and_kind_are_refused() -> None:
    with pytest.raises(LookupError):
        layouts.load("1999.9")
    with pytest.raises(layouts.UnknownKind):
        L.workbook("counselling_records")  # R-DATA-5: never a workbook


def test_a_bad_layout_file_is_refused_when_loaded() -> None:
    raw = json.loads((Path(layouts.__file__).parent / "layouts/2021.1/cadre_records.json").read_text())
    raw["sheets"][0]["columns"][6]["codes"] = None  # a code column without its code list
    with pytest.raises(ValidationError):
        Workbook.model_validate(raw)
    raw = json.loads((Path(layouts.__file__).parent / "layouts/2021.1/cadre_records.json").read_text())
    raw["sheets"][0]["columns"] = raw["sheets"][0]["columns"][1:]  # 身分證號 no longer first
    with pytest.raises(ValidationError):
        Workbook.model_validate(raw)


def test_a_new_column_is_a_data_change(tmp_path: Path) -> None:
    """Copy the layouts, add a column to the cadre sheet in the JSON only: writer and reader use it."""
    folder = tmp_path / "2022.1"
    shutil.copytree(Path(layouts.__file__).parent / "layouts/2021.1", folder)
    index = json.loads((folder / "layout.json").read_text())
    index["version"] = "2022.1"
    (folder / "layout.json").write_text(json.dumps(index, ensure_ascii=False))
    raw = json.loads((folder / "cadre_records.json").read_text())
    new = {"name": "職務類別", "key": "position_category", "type": "code", "required": True, "codes": ["A", "B"]}
    raw["sheets"][0]["columns"].insert(7, new)
    (folder / "cadre_records.json").write_text(json.dumps(raw, ensure_ascii=False))
    newer = layouts.load_from(folder)
    wb = newer.workbook("cadre_records")
    good = samples.row(wb, "校內幹部經歷", 1, newer, files=False)
    assert good["position_category"] == "B"
    bad = {**good, "national_id": samples.national_id(2), "position_category": "C"}
    spec = package.PackageSpec("999001", "cadre_records", 114, 1, "b", "key-new-column")
    target = tmp_path / "p.zip"
    with target.open("wb") as fh:
        package.write(fh, spec, {"校內幹部經歷": [good, bad]}, layouts=newer)
    report = reader.read(target, layouts=newer)
    assert [(v.row, v.column, v.rule) for v in report.violations] == [(3, "職務類別", "code-list")]
    assert report.items[0].fields["position_category"] == "B"
