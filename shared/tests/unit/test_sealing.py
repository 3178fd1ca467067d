"""Personal data sealed for the submission service alone (portfolio_shared.sealing)."""

from __future__ import annotations

import re

import pytest
from pydantic import ValidationError

from portfolio_shared import sealing
from portfolio_shared.events.records import StudentEnrolled

PAYLOAD = {"national_id": "A123456789", "name": "王小明", "birth_date": "2008-05-01"}


def test_a_sealed_payload_opens_with_the_private_key_in_its_context_only() -> None:
    private, public = sealing.generate_keypair()
    token = sealing.seal(public, PAYLOAD, context="sch-A/stu-1")
    assert "A123456789" not in token and re.fullmatch(sealing.SEALED_PATTERN, token)
    assert sealing.open_sealed(private, token, context="sch-A/stu-1") == PAYLOAD
    with pytest.raises(sealing.SealError):
        sealing.open_sealed(private, token, context="sch-A/stu-2")  # moved to another student
    other, _ = sealing.generate_keypair()
    with pytest.raises(sealing.SealError):
        sealing.open_sealed(other, token, context="sch-A/stu-1")


def test_each_seal_is_fresh() -> None:
    _, public = sealing.generate_keypair()
    assert sealing.seal(public, PAYLOAD, context="c") != sealing.seal(public, PAYLOAD, context="c")


@pytest.mark.parametrize("bad", ["", "x25519.v1.abc", "x25519.v2.a.b", "x25519.v1.AAAA.AAAA", "A123456789"])
def test_malformed_tokens_are_refused_without_repeating_them(bad: str) -> None:
    with pytest.raises(sealing.SealError) as error:
        sealing.open_sealed(sealing.DEV_SUBMISSION_PRIVATE_KEY, bad, context="c")
    assert bad not in str(error.value) or bad == ""


def test_a_tampered_token_does_not_open() -> None:
    token = sealing.seal(sealing.DEV_SUBMISSION_PUBLIC_KEY, PAYLOAD, context="c")
    head, tail = token.rsplit(".", 1)
    flipped = tail[:-2] + ("A" if tail[-2] != "A" else "B") + tail[-1]
    with pytest.raises(sealing.SealError):
        sealing.open_sealed(sealing.DEV_SUBMISSION_PRIVATE_KEY, f"{head}.{flipped}", context="c")


def test_the_development_pair_belongs_together_and_keys_are_checked() -> None:
    assert sealing.public_key_of(sealing.DEV_SUBMISSION_PRIVATE_KEY) == sealing.DEV_SUBMISSION_PUBLIC_KEY
    with pytest.raises(sealing.SealError):
        sealing.check_public_key("not-a-key")
    with pytest.raises(sealing.SealError):
        sealing.check_private_key("AAAA")


def test_the_contract_field_accepts_only_a_sealed_token_never_a_plain_national_id() -> None:
    base = {
        "student_id": "s",
        "user_id": None,
        "school_id": "sch",
        "grade": 1,
        "class_name": "101",
        "admitted_on": "2025-08-01",
    }
    with pytest.raises(ValidationError):
        StudentEnrolled.model_validate({**base, "sealed_personal_data": "A123456789"})
    with pytest.raises(ValidationError):
        StudentEnrolled.model_validate({**base, "sealed_personal_data": '{"national_id": "A123456789"}'})
    token = sealing.seal(sealing.DEV_SUBMISSION_PUBLIC_KEY, PAYLOAD, context="sch/s")
    assert StudentEnrolled.model_validate({**base, "sealed_personal_data": token}).sealed_personal_data == token
