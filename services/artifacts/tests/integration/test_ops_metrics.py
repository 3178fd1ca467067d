"""Issue 17: the upload steps are timed by outcome, the integrity check leaves its picture and time,
and the per-school gauges show the deadline-day progress (upload → certification backlog)."""

from __future__ import annotations

import pytest
from artifacts_world import World, pdf
from prometheus_client import REGISTRY

from portfolio_artifacts.bootstrap import make_deps
from portfolio_artifacts.service_layer.integrity import verify_stored_files
from portfolio_artifacts.service_layer.progress import observe_progress

pytestmark = pytest.mark.integration


def _count(step: str, outcome: str) -> float:
    labels = {"step": step, "outcome": outcome}
    return REGISTRY.get_sample_value("portfolio_upload_duration_seconds_count", labels) or 0.0


async def test_upload_steps_integrity_and_progress_are_measured(world: World) -> None:
    await world.open_windows()
    await world.course("phys", ["t1"], ["s1"])
    before = {(s, o): _count(s, o) for s in ("init", "complete") for o in ("accepted", "refused")}

    await world.upload_outcome(world.student("s1"), "phys", pdf(3000))
    too_big = pdf(2048)
    r = await world.start_outcome(
        world.student("s1"), "phys", too_big, size=world.runtime.settings.document_max_bytes + 1
    )  # type: ignore[attr-defined]
    assert r.status_code == 422, r.text  # R-FILE-2: one byte over the limit is refused

    assert _count("init", "accepted") == before[("init", "accepted")] + 1
    assert _count("complete", "accepted") == before[("complete", "accepted")] + 1
    assert _count("init", "refused") == before[("init", "refused")] + 1
    assert _count("complete", "refused") == before[("complete", "refused")]

    report = await verify_stored_files(make_deps(world.runtime))
    assert REGISTRY.get_sample_value("portfolio_integrity_files", {"result": "verified"}) == report.ok == 1
    assert REGISTRY.get_sample_value("portfolio_integrity_files", {"result": "missing"}) == 0
    assert report.finished_at is not None
    assert (
        REGISTRY.get_sample_value("portfolio_integrity_last_complete_timestamp_seconds")
        == report.finished_at.timestamp()
    )
    assert (
        REGISTRY.get_sample_value(
            "portfolio_job_last_success_timestamp_seconds", {"service": "artifacts", "job": "integrity-check"}
        )
        == report.finished_at.timestamp()
    )

    await observe_progress(make_deps(world.runtime))
    waiting = {"school": "sch-A", "kind": "outcome", "status": "submitted", "selected": "false"}
    assert REGISTRY.get_sample_value("portfolio_artifacts_items", waiting) == 1  # waiting for certification
