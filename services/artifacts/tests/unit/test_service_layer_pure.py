"""Pure parts of the service layer: object names, declarations, request fingerprints, visibility."""

from __future__ import annotations

import uuid
from types import SimpleNamespace

import pytest

from portfolio_artifacts.api.idempotency import fingerprint
from portfolio_artifacts.domain.errors import FileExtensionNotAllowed, FileTooLarge, InvalidDeclaration
from portfolio_artifacts.domain.file_rules import DEFAULT_FILE_RULES, MB
from portfolio_artifacts.service_layer.access import OutcomeScope
from portfolio_artifacts.service_layer.commands import FileDeclaration
from portfolio_artifacts.service_layer.files import check_declarations, object_key

SHA = "a" * 64


def test_object_keys_are_generated_never_from_user_input() -> None:
    key = object_key("sch-A", "s1")
    school, student, name = key.split("/")
    assert (school, student) == ("sch-A", "s1") and uuid.UUID(name)
    assert object_key("sch-A", "s1") != key  # a new version is a new object
    hostile = object_key("../../etc", "a/b\\c")
    assert ".." not in hostile and hostile.count("/") == 2


def test_declarations_one_file_per_slot_and_at_least_one_for_outcomes() -> None:
    """R-FILE-2: a document, an audio/video file, or both."""
    with pytest.raises(InvalidDeclaration) as exc:
        check_declarations([], DEFAULT_FILE_RULES, required=True)
    assert exc.value.rule == "R-FILE-2"
    doc = FileDeclaration("document", "a.pdf", "application/pdf", 10, SHA)
    with pytest.raises(InvalidDeclaration):
        check_declarations([doc, doc], DEFAULT_FILE_RULES, required=True)
    media = FileDeclaration("media", "talk.mp4", "video/mp4", 9 * MB, SHA.upper())
    checked = check_declarations([doc, media], DEFAULT_FILE_RULES, required=True)
    assert [c.slot.value for c in checked] == ["document", "media"] and checked[1].sha256 == SHA
    assert check_declarations([], DEFAULT_FILE_RULES, required=False) == []


def test_declarations_are_held_to_the_file_rules_with_a_field_path() -> None:
    """R-FILE-1: types and sizes of the central database."""
    with pytest.raises(FileTooLarge) as too_big:
        check_declarations(
            [FileDeclaration("document", "a.pdf", "application/pdf", 4 * MB + 1, SHA)],
            DEFAULT_FILE_RULES,
            required=True,
        )
    assert too_big.value.field == "files.0.size"
    with pytest.raises(FileExtensionNotAllowed):
        check_declarations(
            [FileDeclaration("document", "a.exe", "application/pdf", 10, SHA)], DEFAULT_FILE_RULES, required=True
        )
    with pytest.raises(InvalidDeclaration):
        check_declarations(
            [FileDeclaration("other", "a.pdf", "application/pdf", 10, SHA)], DEFAULT_FILE_RULES, required=True
        )


def test_fingerprint_ignores_key_order_but_not_content() -> None:
    a = fingerprint("POST", "/api/v1/outcomes/uploads", {"title": "x", "files": [1, 2]})
    assert a == fingerprint("POST", "/api/v1/outcomes/uploads", {"files": [1, 2], "title": "x"})
    assert a != fingerprint("POST", "/api/v1/outcomes/uploads", {"files": [2, 1], "title": "x"})
    assert a != fingerprint("POST", "/api/v1/performances/uploads", {"title": "x", "files": [1, 2]})


def test_outcome_visibility() -> None:
    scope = OutcomeScope(user_id="t1", read_all_schools=frozenset({"sch-B"}), courses=frozenset({"phys"}))
    row = SimpleNamespace(student_user_id="s1", school_id="sch-A", course_id="phys")
    assert scope.allows(row)
    assert not scope.allows(SimpleNamespace(student_user_id="s1", school_id="sch-A", course_id="chem"))
    assert scope.allows(SimpleNamespace(student_user_id="s1", school_id="sch-B", course_id="chem"))
    assert scope.allows(SimpleNamespace(student_user_id="t1", school_id="sch-A", course_id="chem"))
