"""Multiple-performance categories as versioned data (R-FILE-3, R-PERF-1)."""

import copy
import json
from datetime import date
from decimal import Decimal

import pytest

from portfolio_artifacts.domain.catalog_2021_1 import CATALOG_2021_1
from portfolio_artifacts.domain.errors import CatalogInvalid, PerformanceFieldInvalid, UnknownCategory
from portfolio_artifacts.domain.performances import (
    DEFAULT_CATALOG,
    CatalogRegistry,
    FieldType,
    catalog_from_dict,
    catalog_to_dict,
    validate_fields,
)
from portfolio_shared.testing.unicode_digits import OTHER_ZEROS, in_script, script_name

CADRE = {
    "unit": "學生自治會",
    "start_date": "2025-09-01",
    "end_date": "114/12/31",
    "position": "會長",
    "cadre_level": 1,
}


def test_default_catalog_has_the_ten_sheets_of_the_workbook() -> None:
    assert DEFAULT_CATALOG.version == "2021.1"
    assert DEFAULT_CATALOG.codes == (
        "cadre",
        "competition",
        "certificate",
        "service_learning",
        "flexible_learning",
        "group_activity",
        "workplace_learning",
        "works",
        "advanced_placement",
        "other",
    )
    assert DEFAULT_CATALOG.category("cadre").name_zh == "幹部經歷暨事蹟紀錄"
    assert DEFAULT_CATALOG.category("advanced_placement").name_zh == "大學及技專校院先修課程紀錄"
    level = DEFAULT_CATALOG.category("cadre").field_def("cadre_level")
    assert level is not None and level.type is FieldType.CODE
    assert level.codes is not None and set(level.codes) == {"1", "2", "3"}


def test_valid_cadre_record_is_normalised() -> None:
    result = validate_fields(DEFAULT_CATALOG, "cadre", CADRE)
    assert result == {
        "unit": "學生自治會",
        "start_date": date(2025, 9, 1),
        "end_date": date(2025, 12, 31),  # ROC 114/12/31
        "position": "會長",
        "cadre_level": "1",
    }


def test_optional_blank_fields_are_left_out() -> None:
    result = validate_fields(DEFAULT_CATALOG, "cadre", {**CADRE, "end_date": "  "})
    assert "end_date" not in result


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"cadre_level": "4"}, "cadre_level"),  # only 1–3
        ({"position": None}, "position"),  # required
        ({"unit": ""}, "unit"),  # required, blank
        ({"start_date": "2025-02-30"}, "start_date"),  # not a real date
        ({"start_date": 20250901}, "start_date"),  # wrong type
        ({"position": "x" * 51}, "position"),  # max_length 50
        ({"position": "會長\n副會長"}, "position"),  # line break
        ({"end_date": "2025-08-31"}, "end_date"),  # before start
        ({"nickname": "x"}, "nickname"),  # unknown field
    ],
)
def test_bad_cadre_fields_are_refused_naming_the_field(change: dict[str, object], field: str) -> None:
    with pytest.raises(PerformanceFieldInvalid) as exc:
        validate_fields(DEFAULT_CATALOG, "cadre", {**CADRE, **change})
    assert exc.value.field == field
    assert exc.value.rule == "R-FILE-3"
    assert exc.value.status == 422


def test_unknown_category_is_refused() -> None:
    with pytest.raises(UnknownCategory) as exc:
        validate_fields(DEFAULT_CATALOG, "volunteer", {})
    assert exc.value.field == "category"


def test_flexible_learning_ints_and_semester_codes() -> None:
    fields = {
        "category_code": "1",
        "name": "自主學習：專題研究",
        "offering_unit": "教務處",
        "academic_year": "114",
        "semester": "2",
        "periods_per_week": 2,
        "weeks": 18,
    }
    result = validate_fields(DEFAULT_CATALOG, "flexible_learning", fields)
    assert result["academic_year"] == 114
    assert result["semester"] == "2"
    for bad, field in (
        ({"semester": "3"}, "semester"),
        ({"weeks": 0}, "weeks"),
        ({"weeks": 2.5}, "weeks"),
        ({"periods_per_week": True}, "periods_per_week"),
        ({"category_code": "自主"}, "category_code"),  # no official list in 2021.1: the code format
        ({"category_code": "A" * 11}, "category_code"),  # at most 10, one past the limit
    ):
        with pytest.raises(PerformanceFieldInvalid) as exc:
            validate_fields(DEFAULT_CATALOG, "flexible_learning", {**fields, **bad})
        assert exc.value.field == field


def test_decimals_hours_and_links() -> None:
    base = {"category_code": "2", "unit": "某科技公司", "start_date": "2025-07-01", "hours": "16.5"}
    result = validate_fields(DEFAULT_CATALOG, "workplace_learning", base)
    assert result["hours"] == Decimal("16.5")
    assert validate_fields(DEFAULT_CATALOG, "workplace_learning", {**base, "hours": 8.5})["hours"] == Decimal("8.5")
    for bad, field in (
        ({"hours": "-1"}, "hours"),
        ({"hours": "abc"}, "hours"),
        ({"hours": "NaN"}, "hours"),
        ({"hours": "1.25"}, "hours"),  # one decimal place
        ({"evidence_link": "javascript:alert(1)"}, "evidence_link"),
    ):
        with pytest.raises(PerformanceFieldInvalid) as exc:
            validate_fields(DEFAULT_CATALOG, "workplace_learning", {**base, **bad})
        assert exc.value.field == field
    ok = validate_fields(DEFAULT_CATALOG, "workplace_learning", {**base, "evidence_link": "https://example.org/x"})
    assert ok["evidence_link"] == "https://example.org/x"


def test_every_default_category_accepts_a_minimal_record() -> None:
    samples = {
        FieldType.STR: "測試",
        FieldType.DATE: "2025-10-01",
        FieldType.INT: 114,
        FieldType.DECIMAL: "2",
        FieldType.CODE: "1",
    }
    for category in DEFAULT_CATALOG.categories:
        fields = {
            f.name: f.min_value if f.type is FieldType.INT and f.min_value is not None else samples[f.type]
            for f in category.fields
            if f.required
        }
        # Codes whose list is not public are text in the code format (catalog_2021_1._listed_code).
        fields |= {f.name: "1" for f in category.fields if f.required and f.pattern is not None}
        result = validate_fields(DEFAULT_CATALOG, category.code, fields)
        assert set(result) == set(fields), category.code


def test_catalog_round_trips_through_json() -> None:
    data = json.loads(json.dumps(catalog_to_dict(DEFAULT_CATALOG)))
    again = catalog_from_dict(data)
    assert again == DEFAULT_CATALOG
    assert validate_fields(again, "cadre", CADRE) == validate_fields(DEFAULT_CATALOG, "cadre", CADRE)


def test_a_deployment_adds_a_new_catalog_version_as_data() -> None:
    data = copy.deepcopy(CATALOG_2021_1)
    data["version"] = "2025.1"
    competition = next(c for c in data["categories"] if c["code"] == "competition")
    level = next(f for f in competition["fields"] if f["name"] == "competition_level")
    level.pop("pattern")
    level.update(type="code", codes=[{"code": "1", "label": "校內"}, {"code": "2", "label": "全國"}])
    data["categories"].append(
        {
            "code": "exchange",
            "name_zh": "國際交流紀錄",
            "fields": [{"name": "country", "type": "str", "name_zh": "國家", "required": True, "max_length": 30}],
        }
    )
    registry = CatalogRegistry(DEFAULT_CATALOG)
    new = registry.register_dict(data)
    assert registry.versions == ("2021.1", "2025.1")
    assert registry.get("2025.1") is new
    assert validate_fields(new, "exchange", {"country": "日本"}) == {"country": "日本"}
    with pytest.raises(UnknownCategory):
        validate_fields(registry.get("2021.1"), "exchange", {"country": "日本"})
    fields = {
        "competition_name": "科展",
        "competition_level": "9",
        "results_date": "2025-05-01",
        "team_entry": "1",
    }
    validate_fields(DEFAULT_CATALOG, "competition", fields)  # 2021.1 has no official list: any code format
    with pytest.raises(PerformanceFieldInvalid):
        validate_fields(new, "competition", fields)
    with pytest.raises(CatalogInvalid):
        registry.register_dict(data)  # same version twice


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"version": "", "categories": [{"code": "x", "name_zh": "x", "fields": []}]},
        {"version": "1", "categories": []},
        {"version": "1", "categories": [{"code": "Bad Code", "name_zh": "x"}]},
        {
            "version": "1",
            "categories": [{"code": "x", "name_zh": "x", "fields": [{"name": "a", "type": "blob"}]}],
        },
        {
            "version": "1",
            "categories": [
                {
                    "code": "x",
                    "name_zh": "x",
                    "fields": [{"name": "a", "type": "str"}],
                    "date_ranges": [["a", "a"]],
                }
            ],
        },
        {"version": "1", "categories": [{"code": "x", "name_zh": "x"}, {"code": "x", "name_zh": "y"}]},
    ],
)
def test_invalid_catalog_data_is_refused(data: dict[str, object]) -> None:
    with pytest.raises(CatalogInvalid):
        catalog_from_dict(data)


@pytest.mark.parametrize("zero", OTHER_ZEROS, ids=script_name)
def test_other_scripts_digits_are_refused_in_codes_numbers_and_dates(zero: str) -> None:
    # R-DATA-1 care: \d, int() and Decimal() read ١١٤ as 114; codes, numbers and dates that are
    # submitted must be written with ASCII digits.
    flexible = {
        "category_code": "1",
        "name": "自主學習",
        "offering_unit": "教務處",
        "academic_year": "114",
        "semester": "2",
        "periods_per_week": 2,
        "weeks": 18,
    }
    workplace = {"category_code": "2", "unit": "某科技公司", "start_date": "2025-07-01", "hours": "16.5"}
    cases = [
        ("flexible_learning", flexible, "category_code"),
        ("flexible_learning", flexible, "academic_year"),
        ("workplace_learning", workplace, "start_date"),
        ("workplace_learning", workplace, "hours"),
    ]
    for category, base, field in cases:
        with pytest.raises(PerformanceFieldInvalid) as exc:
            validate_fields(DEFAULT_CATALOG, category, {**base, field: in_script(str(base[field]), zero)})
        assert exc.value.field == field
    with pytest.raises(PerformanceFieldInvalid) as exc:
        validate_fields(DEFAULT_CATALOG, "cadre", {**CADRE, "end_date": in_script("1141231", zero)})
    assert exc.value.field == "end_date"


def test_a_catalog_pattern_with_backslash_d_still_means_ascii_digits() -> None:
    data = catalog_to_dict(DEFAULT_CATALOG)
    data = copy.deepcopy(data)
    data["version"] = "test-ascii"
    for category in data["categories"]:
        for f in category["fields"]:
            # Code lists are lists; the codes whose list is not public are text in a code format.
            if f["name"] == "category_code" and f.get("pattern"):
                f["pattern"] = r"\d{1,10}"
    catalog = catalog_from_dict(data)
    fields = {"category_code": "1", "name": "x", "offering_unit": "y", "academic_year": "114", "semester": "2",
              "periods_per_week": 2, "weeks": 18}  # fmt: skip
    assert validate_fields(catalog, "flexible_learning", fields)["category_code"] == "1"
    with pytest.raises(PerformanceFieldInvalid):
        validate_fields(catalog, "flexible_learning", {**fields, "category_code": "\u0661"})


def test_code_lists_are_lists_not_patterns_and_every_problem_is_named() -> None:
    """R-FILE-3: a code field lists its codes; a catalog with several problems names them all."""
    data = {
        "version": "2026.1",
        "categories": [
            {
                "code": "competition",
                "name_zh": "競賽參與紀錄",
                "fields": [
                    {"name": "level", "type": "code", "pattern": "[0-9]{1,2}"},
                    {"name": "entry", "type": "code"},
                    {"name": "award", "type": "str", "codes": ["1"]},
                ],
            },
            {"code": "Bad", "name_zh": ""},
        ],
    }
    with pytest.raises(CatalogInvalid) as caught:
        catalog_from_dict(data)
    problems = caught.value.problems  # type: ignore[attr-defined]
    assert "category 'competition': code field 'level' must list its codes (codes: [...])" in problems
    assert "category 'competition': code field 'level' lists codes; a pattern is not allowed" in problems
    assert "category 'competition': code field 'entry' must list its codes (codes: [...])" in problems
    assert "category 'competition': field 'award': only code fields may list codes" in problems
    assert "category 'Bad': code must be a unique lower-case identifier" in problems
    assert "category 'Bad': name_zh is required" in problems
    assert len(problems) == 6
    listed = catalog_from_dict(
        {
            "version": "2026.1",
            "categories": [
                {
                    "code": "competition",
                    "name_zh": "競賽參與紀錄",
                    "fields": [
                        {
                            "name": "level",
                            "type": "code",
                            "required": True,
                            "codes": ["1", {"code": "2", "label": "全國"}],
                        }
                    ],
                }
            ],
        }
    )
    assert validate_fields(listed, "competition", {"level": "2"}) == {"level": "2"}
    with pytest.raises(PerformanceFieldInvalid):
        validate_fields(listed, "competition", {"level": "3"})
    with pytest.raises(CatalogInvalid):
        catalog_from_dict(
            {
                "version": "x",
                "categories": [
                    {
                        "code": "c",
                        "name_zh": "c",
                        "fields": [{"name": "a", "type": "code", "codes": [{"label": "no code"}]}],
                    }
                ],
            }
        )
