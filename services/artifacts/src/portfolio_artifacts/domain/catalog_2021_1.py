"""Multiple-performance category catalog "2021.1" as plain JSON-compatible data (R-FILE-3).

Built from the DOMAIN.md table of the central database's student-filled workbook. Categories whose
fields were not seen there (service learning, group activity, works, advanced placement) are modelled
the same way as their neighbours. Code fields are lists (cadre level, semester). The code lists that
are not public here (competition level, team entry, certificate codes, flexible-learning /
group-activity / workplace categories) are NOT guessed: in this version those fields are text in
the code format (ASCII letters and digits, at most 10) as printed on the central database's list;
a deployment that has the official lists loads a new catalog version as a data file
(``catalog_files`` setting) in which they are ``code`` fields with ``codes`` lists, without a
release (R-FILE-3).
"""

from __future__ import annotations

from typing import Any

_URL = r"https?://\S+"

_UNIT = {"name": "unit", "type": "str", "name_zh": "單位名稱", "required": True, "max_length": 50}
_START = {"name": "start_date", "type": "date", "name_zh": "開始日期", "required": True}
_END = {"name": "end_date", "type": "date", "name_zh": "結束日期"}
_HOURS = {"name": "hours", "type": "decimal", "name_zh": "時數", "min": 0, "max": 9999, "decimal_places": 1}
_YEAR = {
    "name": "academic_year",
    "type": "int",
    "name_zh": "學年度",
    "required": True,
    "min": 100,
    "max": 200,
}
_SEMESTER = {
    "name": "semester",
    "type": "code",
    "name_zh": "學期",
    "required": True,
    "codes": {"1": "第一學期", "2": "第二學期"},
}
_LINK = {"name": "evidence_link", "type": "str", "name_zh": "佐證連結", "max_length": 500, "pattern": _URL}
_RANGE = [["start_date", "end_date"]]


# The format of a central-database code (ASCII letters and digits), for codes whose list is not public.
_CODE_FORMAT = r"[0-9A-Za-z]{1,10}"


def _listed_code(name: str, name_zh: str, *, required: bool = True) -> dict[str, Any]:
    """A code from a central-database list not public here: text in the code format (ASCII only,
    R-DATA-1 care) until a catalogue version lists the codes; then it is a ``code`` field."""
    return {"name": name, "type": "str", "name_zh": name_zh, "required": required, "pattern": _CODE_FORMAT}


def _category_code(name_zh: str) -> dict[str, Any]:
    return _listed_code("category_code", name_zh)


CATALOG_2021_1: dict[str, Any] = {
    "version": "2021.1",
    "categories": [
        {
            "code": "cadre",
            "name_zh": "幹部經歷暨事蹟紀錄",
            "name_en": "cadre experience",
            "fields": [
                _UNIT,
                _START,
                _END,
                {
                    "name": "position",
                    "type": "str",
                    "name_zh": "擔任職務",
                    "required": True,
                    "max_length": 50,
                },
                {
                    "name": "cadre_level",
                    "type": "code",
                    "name_zh": "幹部等級",
                    "required": True,
                    "codes": {"1": "等級1", "2": "等級2", "3": "等級3"},
                },
            ],
            "date_ranges": _RANGE,
        },
        {
            "code": "competition",
            "name_zh": "競賽參與紀錄",
            "name_en": "competitions",
            "fields": [
                {
                    "name": "competition_name",
                    "type": "str",
                    "name_zh": "競賽名稱",
                    "required": True,
                    "max_length": 100,
                },
                {"name": "event", "type": "str", "name_zh": "項目", "max_length": 100},
                _listed_code("competition_level", "競賽等級"),
                {"name": "award", "type": "str", "name_zh": "獎項", "max_length": 50},
                {"name": "results_date", "type": "date", "name_zh": "結果公布日期", "required": True},
                _listed_code("team_entry", "參與類型"),
            ],
        },
        {
            "code": "certificate",
            "name_zh": "檢定證照紀錄",
            "name_en": "certificates",
            "fields": [
                _listed_code("certificate_code", "證照代碼"),
                {"name": "score", "type": "decimal", "name_zh": "分數", "min": 0, "decimal_places": 2},
                {"name": "sub_results", "type": "str", "name_zh": "分項結果", "max_length": 100},
                {"name": "date_obtained", "type": "date", "name_zh": "取得證照日期", "required": True},
                {"name": "certificate_number", "type": "str", "name_zh": "證照字號", "max_length": 50},
                {"name": "test_group", "type": "str", "name_zh": "檢定組別", "max_length": 50},
            ],
        },
        {
            "code": "service_learning",
            "name_zh": "服務學習紀錄",
            "name_en": "service learning",
            "fields": [_UNIT, _START, _END, {**_HOURS, "required": True}],
            "date_ranges": _RANGE,
        },
        {
            "code": "flexible_learning",
            "name_zh": "彈性學習時間紀錄",
            "name_en": "flexible learning time (incl. self-directed learning)",
            "fields": [
                _category_code("類別代碼"),
                {"name": "name", "type": "str", "name_zh": "名稱", "required": True, "max_length": 100},
                {
                    "name": "offering_unit",
                    "type": "str",
                    "name_zh": "開設單位",
                    "required": True,
                    "max_length": 50,
                },
                _YEAR,
                _SEMESTER,
                {
                    "name": "periods_per_week",
                    "type": "int",
                    "name_zh": "每週節數",
                    "required": True,
                    "min": 1,
                    "max": 40,
                },
                {"name": "weeks", "type": "int", "name_zh": "週數", "required": True, "min": 1, "max": 53},
            ],
        },
        {
            "code": "group_activity",
            "name_zh": "團體活動時間紀錄",
            "name_en": "group activity time",
            "fields": [
                _category_code("類別代碼"),
                {"name": "name", "type": "str", "name_zh": "名稱", "required": True, "max_length": 100},
                {"name": "unit", "type": "str", "name_zh": "辦理單位", "max_length": 50},
                _YEAR,
                _SEMESTER,
                {**_HOURS, "required": True},
            ],
        },
        {
            "code": "workplace_learning",
            "name_zh": "職場學習紀錄",
            "name_en": "workplace learning",
            "fields": [_category_code("類別代碼"), _UNIT, _START, _END, {**_HOURS, "required": True}, _LINK],
            "date_ranges": _RANGE,
        },
        {
            "code": "works",
            "name_zh": "作品成果紀錄",
            "name_en": "works",
            "fields": [
                {"name": "name", "type": "str", "name_zh": "作品名稱", "required": True, "max_length": 100},
                {"name": "work_type", "type": "str", "name_zh": "作品類型", "max_length": 50},
                {"name": "completion_date", "type": "date", "name_zh": "完成日期", "required": True},
                _LINK,
            ],
        },
        {
            "code": "advanced_placement",
            "name_zh": "大學及技專校院先修課程紀錄",
            "name_en": "university advanced-placement courses",
            "fields": [
                {
                    "name": "course_name",
                    "type": "str",
                    "name_zh": "課程名稱",
                    "required": True,
                    "max_length": 100,
                },
                {
                    "name": "university",
                    "type": "str",
                    "name_zh": "開課學校",
                    "required": True,
                    "max_length": 50,
                },
                {
                    "name": "credits",
                    "type": "decimal",
                    "name_zh": "學分數",
                    "required": True,
                    "min": 0,
                    "max": 20,
                    "decimal_places": 1,
                },
                _START,
                _END,
                _HOURS,
                {"name": "score", "type": "decimal", "name_zh": "成績", "min": 0, "decimal_places": 2},
            ],
            "date_ranges": _RANGE,
        },
        {
            "code": "other",
            "name_zh": "其他多元表現紀錄",
            "name_en": "other",
            "fields": [
                {"name": "name", "type": "str", "name_zh": "名稱", "required": True, "max_length": 100},
                {
                    "name": "organiser",
                    "type": "str",
                    "name_zh": "主辦單位",
                    "required": True,
                    "max_length": 50,
                },
                _START,
                _END,
                _HOURS,
            ],
            "date_ranges": _RANGE,
        },
    ],
}
