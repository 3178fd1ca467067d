"""Event contracts: snapshots, routing keys, and what may never travel in an event."""

from __future__ import annotations

import json
import re
import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest
from pydantic import ValidationError

from portfolio_shared.events import REGISTRY, Envelope, EventPayload, envelope_for, event
from portfolio_shared.events import schemas as snapshots
from portfolio_shared.events.artifacts import OutcomeCertified
from portfolio_shared.events.records import CounsellingRecorded


def test_every_contract_has_an_up_to_date_snapshot() -> None:
    problems = snapshots.diff()
    assert problems == [], (
        "contracts changed without their JSON Schema snapshot; review the change and run "
        "`python -m portfolio_shared.events.schemas --write`: " + "; ".join(problems)
    )


def test_snapshot_check_notices_a_changed_contract(tmp_path) -> None:  # type: ignore[no-untyped-def]
    snapshots.write(tmp_path)
    name = OutcomeCertified.routing_key()
    schema = json.loads((tmp_path / f"{name}.json").read_text())
    schema["required"].remove("on_behalf_of")
    (tmp_path / f"{name}.json").write_text(json.dumps(schema))
    assert snapshots.diff(tmp_path) == [f"contract changed without its snapshot: {name}"]


def test_routing_keys_are_service_aggregate_event_version() -> None:
    pattern = re.compile(r"^(identity|records|artifacts|submission|notification)\.[a-z_]+\.[a-z_]+\.v\d+$")
    for cls in REGISTRY.values():
        if cls.__module__.startswith("portfolio_shared.events."):
            assert pattern.match(cls.routing_key()), cls.routing_key()


def test_no_contract_can_carry_a_national_id_or_counselling_content() -> None:
    """R-DATA-1 (ID never in events) and R-DATA-5 / R-REC-3 (counselling content stays in the school)."""
    forbidden = re.compile(r"national|id_number|identity_number|content|opinion|place", re.IGNORECASE)
    for cls in REGISTRY.values():
        if cls.__module__.startswith("portfolio_shared.events."):
            for field in cls.model_fields:
                assert not forbidden.search(field), f"{cls.routing_key()} has field {field}"
    assert set(CounsellingRecorded.model_fields) == {"record_id", "student_id", "school_id", "counsellor_user_id"}


def test_the_one_field_that_carries_a_national_id_is_sealed_for_submission() -> None:
    """Design 1 of "Personal data in submission packages": records seals the national ID (with name and
    birth date) to the submission service's public key; the bus sees ciphertext only. Exactly these
    fields may hold one, and their pattern admits nothing but a sealed token (portfolio_shared.sealing)."""
    from portfolio_shared.sealing import SEALED_PATTERN

    sealed = {
        (cls.routing_key(), name)
        for cls in REGISTRY.values()
        for name, info in cls.model_fields.items()
        if "sealed" in name or any(getattr(m, "pattern", None) == SEALED_PATTERN for m in info.metadata)
    }
    assert sealed == {
        ("records.student.enrolled.v1", "sealed_personal_data"),
        ("records.student.basic_data_changed.v1", "sealed_personal_data"),
    }
    for key, name in sealed:
        schema = next(c for c in REGISTRY.values() if c.routing_key() == key).model_json_schema()
        variants = schema["properties"][name]["anyOf"]
        assert {"type": "string", "pattern": SEALED_PATTERN, "maxLength": 2000} in variants


def test_envelope_round_trip_and_decode() -> None:
    payload = OutcomeCertified(
        outcome_id="o1",
        student_user_id="s1",
        school_id="sc1",
        course_id="c1",
        certified_by="t2",
        on_behalf_of="t1",
        basis="delegate",
    )
    cause = uuid.uuid4()
    env = envelope_for(payload, school_id="sc1", actor="t2", causation_id=cause)
    again = Envelope.from_bytes(env.to_bytes())
    assert again == env
    assert again.routing_key == "artifacts.outcome.certified.v1"
    assert again.decode() == payload
    assert again.causation_id == cause
    assert again.occurred_at.tzinfo is not None


def test_occurred_at_is_normalised_to_utc_and_must_be_aware() -> None:
    taipei = timezone(timedelta(hours=8))
    env = Envelope(type="x.y.z", version=1, occurred_at=datetime(2026, 1, 1, 8, tzinfo=taipei), payload={})
    assert env.occurred_at == datetime(2026, 1, 1, 0, tzinfo=UTC)
    with pytest.raises(ValidationError):
        Envelope(type="x.y.z", version=1, occurred_at=datetime(2026, 1, 1), payload={})


def test_payloads_are_strict() -> None:
    with pytest.raises(ValidationError):
        OutcomeCertified(
            outcome_id="o1",
            student_user_id="s1",
            school_id="sc1",
            course_id="c1",
            certified_by="t",
            on_behalf_of=None,
            basis="because I said so",
        )  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        OutcomeCertified.model_validate({"outcome_id": "o1", "surprise": 1})


def test_event_type_must_be_three_lower_case_parts_and_unique() -> None:
    with pytest.raises(ValueError):
        event("NoDots")
    with pytest.raises(ValueError):

        @event("artifacts.outcome.certified")
        class Impostor(EventPayload):
            pass
