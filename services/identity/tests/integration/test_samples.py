"""The README's sample SIS account export (docs/samples/sis-accounts.csv) imports cleanly (R-DUTY-3)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from identity_support import build_world

from portfolio_shared.testing.jobs import job_outcome

pytestmark = pytest.mark.integration

SAMPLE = Path(__file__).resolve().parents[4] / "docs" / "samples" / "sis-accounts.csv"


async def test_the_sample_account_export_imports_cleanly(client: httpx.AsyncClient) -> None:
    world = await build_world(client, {"A": "999001"})
    started = await client.post(
        f"/api/v1/schools/{world.school('A')}/sis-sync",
        files={"file": ("sis-accounts.csv", SAMPLE.read_bytes(), "text/csv")},
        headers=world.headers["a-it"],
    )
    r = await job_outcome(client, started, world.headers["a-it"])
    assert r.status_code == 200, r.text
    assert r.json()["counts"] == {"created": 7, "updated": 0, "deactivated": 0, "unchanged": 0, "rejected": 0}
