"""The records app in the standalone shape: SQLite and the in-process bus, no server at all."""

from __future__ import annotations

import base64
import json
from pathlib import Path

from sqlalchemy import text

from portfolio_records.app import create
from portfolio_records.bootstrap import bootstrap
from portfolio_records.config import Settings
from portfolio_records.domain.crypto import generate_key
from portfolio_records.domain.national_id import check_digit
from portfolio_shared.messaging import IncomingMessage
from portfolio_shared.permissions import Permission as P
from portfolio_shared.testing.fixtures import eventually
from portfolio_shared.testing.harness import running
from portfolio_shared.testing.jobs import job_outcome
from portfolio_shared.testing.tokens import TokenMinter

SCHOOL = "sch-A"
HEADER = "student_number,academic_year,semester,course_code,subject_name,credits,score,passed\n"


def _nid(n: int) -> str:
    first = f"B2{n:07d}"
    return first + check_digit(first)


async def test_whole_flow_on_sqlite_with_the_in_process_bus(tmp_path: Path) -> None:
    minter = TokenMinter()
    settings = Settings(
        environment="test",
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'records.db'}",
        broker_url=f"sqlite+aiosqlite:///{tmp_path / 'bus.db'}",
        field_keys=f"k1:{base64.b64encode(generate_key()).decode()}",
        field_current_kid="k1",
        blind_index_key=base64.b64encode(generate_key()).decode(),
        log_json=False,
    )
    runtime = bootstrap(settings, verifier=minter.verifier())
    seen: list[IncomingMessage] = []

    async def spy(message: IncomingMessage) -> None:
        seen.append(message)

    await runtime.bus.subscribe("spy", ("records.#",), spy)
    staff = minter.headers("registry-1", schools={SCHOOL: [str(p) for p in P]})
    async with running(runtime, create) as client:
        # Windows are closed unless opened (R-REC-1): the school opens 114-1's data entry first.
        window = {
            "phase": "data_entry",
            "starts_at": "2025-08-01T00:00:00+08:00",
            "ends_at": "2199-01-01T00:00:00+08:00",
            "self_check_at": "2198-12-01T00:00:00+08:00",
        }
        r = await client.put(f"/api/v1/schools/{SCHOOL}/calendar/114/1", json={"windows": [window]}, headers=staff)
        assert r.status_code == 200, r.text
        ids = []
        for n in range(3):
            body = {
                "name": f"生{n}",
                "national_id": _nid(n),
                "birth_date": "2009-01-02",
                "student_number": f"N{n}",
                "class_name": "201",
                "grade": 2,
                "effective_on": "2025-08-01",
            }
            r = await client.post(f"/api/v1/schools/{SCHOOL}/students", json=body, headers=staff)
            assert r.status_code == 201, r.text
            ids.append(r.json()["id"])
        bad = await client.post(
            f"/api/v1/schools/{SCHOOL}/students", json={**body, "national_id": "b200000001"}, headers=staff
        )
        assert bad.status_code == 422 and bad.json()["field"] == "national_id"

        csv = HEADER + "".join(f"N{n},114,1,C{c},科目,2,{70 + c},Y\n" for n in range(3) for c in range(4))
        csv += "N9,114,1,C1,科目,2,70,Y\n"  # unknown student number
        first = await job_outcome(
            client,
            await client.post(
                f"/api/v1/schools/{SCHOOL}/grade-imports",
                files={"file": ("g.csv", csv.encode(), "text/csv")},
                headers=staff,
            ),
            staff,
        )
        assert first.status_code == 200, first.text  # the job succeeded (SQLite: in-process runner)
        assert first.json()["inserted"] == 12 and [x["line_number"] for x in first.json()["rejected"]] == [14]
        again = await job_outcome(
            client,
            await client.post(
                f"/api/v1/schools/{SCHOOL}/grade-imports",
                files={"file": ("g.csv", csv.encode(), "text/csv")},
                headers=staff,
            ),
            staff,
        )
        assert again.json()["inserted"] == 0 and again.json()["updated"] == 0 and again.json()["unchanged"] == 12
        changed = csv.replace("N1,114,1,C2,科目,2,72", "N1,114,1,C2,科目,2,99")
        third = await job_outcome(
            client,
            await client.post(
                f"/api/v1/schools/{SCHOOL}/grade-imports",
                files={"file": ("g.csv", changed.encode(), "text/csv")},
                headers=staff,
            ),
            staff,
        )
        assert third.json()["updated"] == 1 and third.json()["student_semesters_changed"] == 1

        r = await client.post(
            f"/api/v1/schools/{SCHOOL}/students/{ids[0]}/counselling-records",
            json={"held_at": "2025-10-01T09:00:00+08:00", "place": "諮詢室", "content": "秘密內容", "opinions": "意見"},
            headers=staff,
        )
        assert r.status_code == 201 and r.json()["content"] == "秘密內容"
        assert r.json()["held_at"] == "2025-10-01T01:00:00Z"  # zone kept although SQLite drops it

        async def delivered() -> bool:
            return sum(m.routing_key == "records.grade.semester_recorded.v1" for m in seen) == 4 and any(
                m.routing_key == "records.counselling.recorded.v1" for m in seen
            )

        await eventually(delivered, timeout=15)
        async with runtime.engine.connect() as conn:
            raw = (await conn.execute(text("SELECT content_encrypted FROM counselling_records"))).scalar_one()
            grade_count = (await conn.execute(text("SELECT count(*) FROM grades"))).scalar_one()
        assert "秘密" not in raw and grade_count == 12
    wire = " ".join(m.body.decode() for m in seen)
    assert "秘密內容" not in wire and _nid(0) not in wire
    assert json.loads(seen[0].body)["type"].startswith("records.")
