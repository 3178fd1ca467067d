"""Issue 17: ``portfolio_submission_batches{state}`` counts batches per state on real PostgreSQL (every
state is set, 0 included, so a state that empties does not linger at its old value)."""

from __future__ import annotations

import pytest
from submission_world import World

from portfolio_submission.domain.batches import BatchStatus
from portfolio_submission.service_layer.ops import BATCHES, observe_batches

pytestmark = pytest.mark.integration


def _gauge(state: str) -> float:
    return float(BATCHES.labels(state)._value.get())


async def test_batches_by_state_follow_the_batches(world: World) -> None:
    await world.school_exists()
    await world.person("it-head", "資訊組長")
    await world.duty("outcome_submission", ["it-head"], ["it-deputy"], "it-head")
    it = world.staff("it-head")
    BATCHES.labels("failed").set(7)  # a stale value from before: must be overwritten

    empty = await observe_batches(world.runtime)
    assert set(empty) == {s.value for s in BatchStatus} and set(empty.values()) == {0}
    assert _gauge("failed") == 0

    first = (await world.create_batch(it, "course_outcomes")).json()
    assert (await world.create_batch(it, "course_outcomes", year=113)).status_code == 201
    counts = await observe_batches(world.runtime)
    assert counts["draft"] == 2 and sum(counts.values()) == 2
    assert _gauge("draft") == 2 and _gauge("cancelled") == 0

    r = await world.act(first["id"], "cancel", it)
    assert r.status_code == 200, r.text
    counts = await observe_batches(world.runtime)
    assert (counts["draft"], counts["cancelled"]) == (1, 1)
    assert (_gauge("draft"), _gauge("cancelled")) == (1, 1)
