"""Backoff between attempts to reach an unavailable central database: exponential from
``send_backoff_seconds``, capped at ``send_backoff_max_seconds``, never sooner than Retry-After
(itself capped), and the idempotency keys the worker makes."""

from __future__ import annotations

import pytest

from portfolio_submission.config import Settings
from portfolio_submission.service_layer.sending import backoff, new_idempotency_key

S = Settings(environment="test", send_backoff_seconds=30, send_backoff_max_seconds=600)


@pytest.mark.parametrize(
    ("attempts", "seconds"),
    [(0, 30), (1, 30), (2, 60), (3, 120), (4, 240), (5, 480), (6, 600), (7, 600), (40, 600)],
)
def test_exponential_and_capped(attempts: int, seconds: float) -> None:
    assert backoff(S, attempts) == seconds


def test_retry_after_is_a_floor_but_capped_too() -> None:
    assert backoff(S, 1, retry_after=10) == 30  # sooner than our own backoff: ours
    assert backoff(S, 1, retry_after=90) == 90  # later: the server's
    assert backoff(S, 1, retry_after=86_400) == 600  # never past the cap
    assert backoff(S, 6, retry_after=0) == 600


def test_keys_are_unique_and_fit_the_central_databases_bounds() -> None:
    keys = {new_idempotency_key() for _ in range(1000)}
    assert len(keys) == 1000
    assert all(8 <= len(k) <= 200 for k in keys)  # the emulator's Idempotency-Key bounds


@pytest.mark.parametrize(
    ("field", "value"),
    [("send_max_attempts", 0), ("send_max_attempts", 101), ("sending_lease_seconds", 0.5), ("package_keep_days", 0)],
)
def test_sending_settings_bounds(field: str, value: float) -> None:
    with pytest.raises(ValueError, match=field):
        Settings(environment="test", **{field: value})
