"""Settings refuse the public development keys in production; the crypto holder seals and opens."""

from __future__ import annotations

import base64
import uuid
from typing import Any

import pytest
from pydantic import ValidationError

from portfolio_records.config import DEV_BLIND_INDEX_KEY, DEV_FIELD_KEYS, Settings
from portfolio_records.domain.crypto import generate_key
from portfolio_records.domain.errors import DecryptionFailed, InvalidNationalId
from portfolio_records.service_layer.security import RecordsCrypto
from portfolio_shared.sealing import generate_keypair

PG = "postgresql+asyncpg://u@h/db"


def _key() -> str:
    return base64.b64encode(generate_key()).decode()


def test_production_refuses_the_development_keys() -> None:
    with pytest.raises(ValidationError, match="field_keys"):
        Settings(environment="production", database_url=PG, signing_secret="s3cret", blind_index_key=_key())
    with pytest.raises(ValidationError, match="blind_index_key"):
        Settings(environment="production", database_url=PG, signing_secret="s3cret", field_keys=f"p1:{_key()}")
    with pytest.raises(ValidationError, match="field_keys"):
        Settings(
            environment="production", database_url=PG, signing_secret="s3cret", field_keys="", blind_index_key=_key()
        )
    own: dict[str, Any] = {"field_keys": f"p1:{_key()}", "field_current_kid": "p1", "blind_index_key": _key()}
    # The submission service's public key (sealed personal data, issue 11): the development one is refused.
    with pytest.raises(ValidationError, match="submission_public_key"):
        Settings(environment="production", database_url=PG, signing_secret="s3cret", **own)
    with pytest.raises(ValidationError, match="X25519 public key"):
        Settings(submission_public_key="not-a-key")
    ok = Settings(
        environment="production",
        database_url=PG,
        signing_secret="s3cret",
        submission_public_key=generate_keypair()[1],
        **own,
    )
    assert ok.field_keys != DEV_FIELD_KEYS and ok.blind_index_key != DEV_BLIND_INDEX_KEY


def test_development_defaults_work_and_are_valid_keys() -> None:
    crypto = RecordsCrypto.from_settings(Settings())
    sid = uuid.uuid4()
    sealed = crypto.seal_national_id(sid, "A123456789")
    assert sealed.masked == "A12****789" and sealed.kid == "dev"
    assert crypto.open_national_id(sid, sealed.token) == "A123456789"


def test_a_token_is_bound_to_its_row_and_rotation_keeps_old_tokens_readable() -> None:
    old = f"k1:{_key()}"
    before = RecordsCrypto.from_settings(Settings(field_keys=old, field_current_kid="k1"))
    sid = uuid.uuid4()
    token = before.seal(sid, "content", "諮詢內容")
    with pytest.raises(DecryptionFailed):
        before.open(uuid.uuid4(), "content", token)
    rotated = RecordsCrypto.from_settings(Settings(field_keys=f"{old},k2:{_key()}", field_current_kid="k2"))
    assert rotated.open(sid, "content", token) == "諮詢內容"
    assert rotated.seal(sid, "content", "x").startswith("v1.k2.")


def test_bad_national_id_is_refused_before_anything_is_sealed() -> None:
    with pytest.raises(InvalidNationalId) as err:
        RecordsCrypto.from_settings(Settings()).seal_national_id(uuid.uuid4(), "a123456789")
    assert err.value.reason_code == "lower_case"
