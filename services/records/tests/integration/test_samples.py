"""The README's sample SIS grade export (docs/samples/sis-grades.csv) imports cleanly (R-DATA-2, R-DUTY-3)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from portfolio_shared.testing.jobs import job_outcome

pytestmark = pytest.mark.integration

SAMPLE = Path(__file__).resolve().parents[4] / "docs" / "samples" / "sis-grades.csv"


async def test_the_sample_grade_export_imports_cleanly(records: Any) -> None:
    await records.open_data_entry("sch-A", 114, 1)  # windows are closed unless opened (R-REC-1)
    for n in (1, 2, 3):
        await records.admit("sch-A", n, number=f"114000{n}")
    started = await records.client.post(
        "/api/v1/schools/sch-A/grade-imports",
        files={"file": ("sis-grades.csv", SAMPLE.read_bytes(), "text/csv")},
        headers=records.staff("sch-A"),
    )
    r = await job_outcome(records.client, started, records.staff("sch-A"))
    assert r.status_code == 200, r.text
    assert r.json()["rejected"] == [] and r.json()["stored"] == 6 and r.json()["inserted"] == 6
