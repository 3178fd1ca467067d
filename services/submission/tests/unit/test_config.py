"""Settings of the submission service: the sealed-data key refuses its development value in production."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from portfolio_shared.sealing import DEV_SUBMISSION_PRIVATE_KEY, generate_keypair
from portfolio_submission.config import Settings

PG = "postgresql+asyncpg://u:p@db/submission"
PACKAGE_KEY = "k1:" + "A" * 43 + "="  # 32 zero bytes: production needs a package key too (sending)


def test_production_refuses_the_development_private_key() -> None:
    with pytest.raises(ValidationError, match="private_key"):
        Settings(environment="production", database_url=PG, signing_secret="s3cret", package_key=PACKAGE_KEY)
    ok = Settings(
        environment="production",
        database_url=PG,
        signing_secret="s3cret",
        package_key=PACKAGE_KEY,
        private_key=generate_keypair()[0],
    )
    assert ok.private_key != DEV_SUBMISSION_PRIVATE_KEY


def test_a_malformed_key_or_time_zone_is_refused_at_start() -> None:
    with pytest.raises(ValidationError, match="X25519 private key"):
        Settings(private_key="short")
    with pytest.raises(ValidationError, match="unknown time zone"):
        Settings(school_timezone="Mars/Olympus")
    assert str(Settings().zone) == "Asia/Taipei"
