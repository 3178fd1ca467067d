"""The standalone shape: SQLite and the in-process bus run the same batch flow (no server needed)."""

from __future__ import annotations

from pathlib import Path

from submission_world import SCHOOL, World

from portfolio_shared.testing.harness import running
from portfolio_shared.testing.tokens import TokenMinter
from portfolio_submission.app import create
from portfolio_submission.bootstrap import bootstrap
from portfolio_submission.config import Settings


async def test_windows_due_list_and_a_batch_on_sqlite(tmp_path: Path) -> None:
    minter = TokenMinter()
    settings = Settings(
        environment="test",
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'submission.db'}",
        broker_url=f"sqlite+aiosqlite:///{tmp_path / 'bus.db'}",
        declare_topology=False,
    )
    runtime = bootstrap(settings, verifier=minter.verifier())
    async with running(runtime, create) as client:
        world = World(runtime=runtime, client=client, minter=minter)
        await world.school_exists()
        await world.duty("outcome_submission", ["it-head"], [], "it-head")
        await world.course()
        await world.enrol("stu-a", 1, user_id="u-a")
        await world.outcome("u-a", certified=True)
        it = world.staff("it-head")
        window = {"school_id": SCHOOL, "kind": "course_outcomes", "academic_year": 114, "semester": 0,
                  "opens_at": "2026-06-01T08:00:00", "closes_at": "2026-06-20T17:00:00"}  # fmt: skip
        r = await client.post("/api/v1/windows", json=window, headers=it)
        assert r.status_code == 201 and r.json()["closes_at"] == "2026-06-20T17:00:00+08:00"
        due = await client.get("/api/v1/due", params={"school_id": SCHOOL, "on": "2026-03-02"}, headers=it)
        assert due.status_code == 200, due.text
        (it_office,) = [o for o in due.json()["offices"] if o["office"] == "it"]
        g3 = next(i for i in it_office["items"] if (i["data_year"], i["due_year"]) == (114, 114))
        assert g3["deadline"]["closes_at"] == "2026-06-20T17:00:00+08:00" and g3["student_count"] == 1
        batch = (await world.create_batch(it, "course_outcomes")).json()
        assert (await world.act(batch["id"], "check", it)).json()["status"] == "checked"
        done = (await world.act(batch["id"], "submit", it)).json()
        assert (done["status"], done["submitted_by"]["user_id"]) == ("ready", "it-head")
