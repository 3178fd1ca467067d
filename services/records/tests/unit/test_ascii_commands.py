"""Identifiers in API bodies accept ASCII only (R-DATA-1 care): every script's digits, checked fast."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from portfolio_records.service_layer.commands import CourseCreate, StudentArrival, StudentUpdate
from portfolio_shared.testing.unicode_digits import FULL_WIDTH_ZERO, OTHER_ZEROS, in_script, script_name

ARRIVAL: dict[str, Any] = {
    "name": "王小明",
    "national_id": "A123456789",  # checked by the domain, see test_national_id
    "birth_date": "2009-05-01",
    "student_number": "S110",
    "class_name": "301",
    "effective_on": "2025-08-01",
}
COURSE: dict[str, Any] = {
    "academic_year": 114,
    "semester": 1,
    "course_code": "C101",
    "subject_name": "國語文",
    "credits": 4,
}


def _refused(model: Any, body: dict[str, Any]) -> str:
    with pytest.raises(ValidationError) as info:
        model.model_validate(body)
    return str(info.value.errors()[0]["loc"][-1])


def test_ascii_values_are_accepted() -> None:
    assert StudentArrival.model_validate(ARRIVAL).student_number == "S110"
    assert CourseCreate.model_validate(COURSE).course_code == "C101"


@pytest.mark.parametrize("zero", OTHER_ZEROS, ids=script_name)
def test_other_scripts_digits_are_refused_in_student_numbers_course_codes_and_class_names(zero: str) -> None:
    assert _refused(StudentArrival, {**ARRIVAL, "student_number": in_script("S110", zero)}) == "student_number"
    assert _refused(CourseCreate, {**COURSE, "course_code": in_script("C101", zero)}) == "course_code"
    class_name = "高三" + in_script("301", zero)
    if zero == FULL_WIDTH_ZERO:  # the documented normalisation: full-width digits fold to ASCII
        assert StudentArrival.model_validate({**ARRIVAL, "class_name": class_name}).class_name == "高三301"
        assert StudentUpdate.model_validate({"class_name": class_name}).class_name == "高三301"
    else:
        assert _refused(StudentArrival, {**ARRIVAL, "class_name": class_name}) == "class_name"
        assert _refused(StudentUpdate, {"class_name": class_name}) == "class_name"


def test_class_names_keep_cjk_numerals() -> None:
    assert StudentArrival.model_validate({**ARRIVAL, "class_name": "三年一班"}).class_name == "三年一班"
