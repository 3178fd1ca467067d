"""Kinds of data submitted to the central database (提交資料類別), named as its workbooks are.

The names are ``portfolio_central``'s layout kinds, and the contracts hold the one mapping of kind to
the submitting office (R-SUB-4): nothing here renames them.
"""

from __future__ import annotations

from typing import Literal, get_args

from portfolio_shared.events.submission import DATA_KINDS, SUBMITTING_DUTY, DataKind

__all__ = ["DATA_KINDS", "SEMESTER_KINDS", "SUBMITTING_DUTY", "YEAR_KINDS", "DataKind", "is_yearly", "office_duty"]

# Basic data and course records are submitted per semester (R-SUB-1); cadre records are basic data
# (R-DATA-1). Course outcomes and multiple performances are yearly items (semester 0, R-SUB-2).
SEMESTER_KINDS: frozenset[str] = frozenset({"basic_data", "grades", "cadre_records"})
YEAR_KINDS: frozenset[str] = frozenset({"course_outcomes", "performances"})
Office = Literal["registry", "activities", "it", "guidance_data"]
OFFICE_OF: dict[str, Office] = {
    "basic_data": "registry",
    "grades": "registry",
    "cadre_records": "activities",
    "course_outcomes": "it",
    "performances": "guidance_data",
}

assert SEMESTER_KINDS | YEAR_KINDS == set(get_args(DataKind)) == set(DATA_KINDS) == set(SUBMITTING_DUTY)


def is_yearly(kind: str) -> bool:
    return kind in YEAR_KINDS


def office_duty(kind: str) -> str:
    """Identity's Annex-1 duty code of the office that submits ``kind`` (R-SUB-4)."""
    return SUBMITTING_DUTY[kind]


# -- how read-copy values become workbook codes (modelled like the layouts; data to correct when the
# central database's real code lists are known, see central/README.md) --------------------------------
CADRE_LEVEL_CODES: dict[str, str] = {"school": "1", "class": "2", "club": "3"}  # 幹部等級 1–3
ENROLMENT_STATUS_CODES: dict[str, str] = {
    "enrolled": "01",
    "suspended": "02",
    "transferred_out": "03",
    "graduated": "04",
    "left": "05",
    "visiting": "06",
}
# Artifacts' performance categories (R-FILE-3) → the sheets of the student-filled workbook.
PERFORMANCE_SHEETS: dict[str, str] = {
    "cadre": "幹部經歷暨事蹟紀錄",
    "competition": "競賽參與紀錄",
    "certificate": "檢定證照紀錄",
    "service_learning": "服務學習紀錄",
    "flexible_learning": "彈性學習時間紀錄",
    "group_activity": "團體活動時間紀錄",
    "workplace_learning": "職場學習紀錄",
    "works": "作品成果紀錄",
    "advanced_placement": "大學及技專校院先修課程紀錄",
    "other": "其他多元表現紀錄",
}
# Artifacts' file slots → the workbook's file columns (R-FILE-1, R-FILE-2).
FILE_COLUMNS: dict[str, str] = {"document": "document_file", "media": "video_file"}
