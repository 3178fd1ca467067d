"""One default for the upload caps (R-ART-2, R-PERF-1): what records publishes for a new school is
what artifacts enforces before the school's caps arrive."""

from __future__ import annotations

from portfolio_artifacts.config import Settings as ArtifactsSettings
from portfolio_artifacts.domain.policy import SchoolPolicy
from portfolio_records.service_layer.calendar import DEFAULT_CAPS
from portfolio_shared.events.records import (
    DEFAULT_OUTCOMES_PER_SEMESTER,
    DEFAULT_PERFORMANCES_PER_YEAR,
    ArtifactCapsSet,
)


def test_records_and_artifacts_share_one_default() -> None:
    published = ArtifactCapsSet(school_id="s", **DEFAULT_CAPS.model_dump())
    enforced = ArtifactsSettings(environment="test").default_policy()
    assert (published.outcomes_per_semester, published.performances_per_year) == (
        enforced.outcomes_per_semester,
        enforced.performances_per_year,
    )
    assert SchoolPolicy() == enforced
    assert (DEFAULT_OUTCOMES_PER_SEMESTER, DEFAULT_PERFORMANCES_PER_YEAR) == (6, 30)
