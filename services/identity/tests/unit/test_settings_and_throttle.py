"""Settings refuse insecure production values; the sign-in throttle grows exponentially."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from portfolio_identity.config import DEV_CONTACT_KEYS, Settings
from portfolio_identity.service_layer.common import diff
from portfolio_identity.service_layer.throttle import ThrottlePolicy
from portfolio_shared.config import DEV_SECRET

PROD = {
    "environment": "production",
    "database_url": "postgresql+asyncpg://db/identity",
    "signing_secret": "s" * 32,
    "contact_keys": "k1:" + "QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUE=",
}


def test_production_refuses_the_default_key_encryption_secret() -> None:
    with pytest.raises(ValidationError, match="key_encryption_secret"):
        Settings(**PROD)
    with pytest.raises(ValidationError, match="key_encryption_secret"):
        Settings(**PROD, key_encryption_secret=DEV_SECRET)
    assert Settings(**PROD, key_encryption_secret="k" * 32).key_encryption_secret == "k" * 32


def test_production_refuses_the_development_contact_keys() -> None:
    """E-mail addresses at rest (issue 13): the public development key is refused outside development."""
    with pytest.raises(ValidationError, match="contact_keys"):
        Settings(**{**PROD, "contact_keys": DEV_CONTACT_KEYS}, key_encryption_secret="k" * 32)
    with pytest.raises(ValidationError, match="field keys"):
        Settings(**{**PROD, "contact_keys": "k1:short"}, key_encryption_secret="k" * 32)


def test_access_tokens_live_at_most_15_minutes_and_demo_data_is_development_only() -> None:
    with pytest.raises(ValidationError):
        Settings(access_token_seconds=901)
    with pytest.raises(ValidationError, match="demo_data"):
        Settings(environment="test", demo_data=True)
    assert Settings(environment="development", demo_data=True).demo_data


def test_lock_grows_exponentially_after_the_free_failures_and_is_capped() -> None:
    policy = ThrottlePolicy(free_failures=3, base_seconds=1, max_seconds=60, memory_seconds=3600)
    assert [policy.lock_seconds(n) for n in range(1, 10)] == [0, 0, 1, 2, 4, 8, 16, 32, 60]
    assert policy.lock_seconds(10_000) == 60


def test_audit_diff_keeps_only_changed_fields() -> None:
    before, after = diff({"a": 1, "b": {2, 1}, "c": "x"}, {"a": 1, "b": [1, 2], "c": "y"})
    assert before == {"c": "x"} and after == {"c": "y"}
    assert diff(None, {"a": 1}) == (None, {"a": 1})
