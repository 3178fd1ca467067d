"""Attributable history (R-RET-3, R-ART-5): a return keeps who certified; every certification, return,
selection, deselection and withdrawal is listed with who, on whose behalf, when and what."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from artifacts_world import World, declaration, pdf
from sqlalchemy import select, text

from portfolio_shared.events.identity import DelegationOrderChanged, UserDeactivated
from portfolio_shared.permissions import Permission as P

pytestmark = pytest.mark.integration


def _who(entries: list[dict[str, Any]]) -> list[tuple[str, str, str | None]]:
    return [(e["action"], e["actor_user_id"], e["on_behalf_of"]) for e in entries]


async def test_return_after_certification_shows_both_with_both_people(world: World) -> None:
    await world.open_windows()
    await world.course("phys", ["t1"], ["s1"])
    await world.feed(
        DelegationOrderChanged(
            school_id=world.school, duty_code="outcome_certification", responsible_user_ids=[], delegate_user_ids=["d1"]
        )
    )
    s1 = world.student("s1")
    outcome = await world.upload_outcome(s1, "phys")
    url = f"/api/v1/outcomes/{outcome['id']}"
    assert (await world.client.post(f"{url}/certify", headers=world.teacher("t1"))).status_code == 200
    # The teacher leaves; the delegate finds the certification wrong and returns it for the teacher.
    today = datetime.now(UTC).astimezone(ZoneInfo("Asia/Taipei")).date()
    await world.feed(UserDeactivated(user_id="t1", status="left", end_date=today, reason="transferred"))
    delegate = world.staff("d1", perms=[P.OUTCOME_CERTIFY, P.OUTCOME_CERTIFY_ON_BEHALF])
    r = await world.client.post(f"{url}/return", json={"reason": "認證錯誤"}, headers=delegate)
    assert r.status_code == 200, r.text

    after = (await world.client.get(url, headers=s1)).json()
    assert after["status"] == "returned" and after["certification"] is None
    assert after["last_certification"]["certified_by"] == "t1"  # not erased by the return (R-RET-3)
    assert after["returned_by"] == "d1"

    history = (await world.client.get(f"{url}/history", headers=s1)).json()
    assert _who(history) == [("uploaded", "s1", None), ("certified", "t1", None), ("returned", "d1", "t1")]
    assert history[1]["basis"] == "teacher" and history[2]["basis"] == "delegate"
    assert history[2]["detail"]["reason"] == "認證錯誤" and history[2]["detail"]["from"] == "certified"
    assert all(e["at"] for e in history) and [e["id"] for e in history] == sorted(e["id"] for e in history)
    reviewer = world.staff("it1", perms=[P.OUTCOME_READ_ALL])

    # A new version, certified and selected, then deselected and withdrawn: all there, in order.
    data = pdf(3000)
    started = await world.client.post(f"{url}/files", json={"files": [declaration(data)]}, headers=s1)
    assert (await world.put(started.json()["uploads"][0], data)).status_code == 200
    assert (await world.client.post(f"{url}/complete", headers=s1)).status_code == 200
    assert (await world.client.post(f"{url}/certify", headers=delegate)).status_code == 200
    assert (await world.client.put(f"{url}/selection", headers=s1)).status_code == 200
    assert (await world.client.delete(f"{url}/selection", headers=s1)).status_code == 200
    assert (await world.client.post(f"{url}/withdraw", headers=s1)).status_code == 200
    history = (await world.client.get(f"{url}/history", headers=reviewer)).json()
    assert [e["action"] for e in history] == [
        "uploaded",
        "certified",
        "returned",
        "uploaded",
        "certified",
        "selected",
        "deselected",
        "withdrawn",
    ]
    assert history[3]["detail"] == {"version": 2} and history[4]["detail"] == {"version": 2}
    # Paginated, oldest first.
    page = (await world.client.get(f"{url}/history", params={"limit": 2, "offset": 2}, headers=s1)).json()
    assert [e["action"] for e in page] == ["returned", "uploaded"]
    bad = await world.client.get(f"{url}/history", params={"limit": 501}, headers=s1)
    assert bad.status_code == 422 and bad.json()["field"]


async def test_history_is_scoped_to_the_student_and_the_school(world: World) -> None:
    await world.open_windows()
    await world.open_windows(school="sch-B")
    await world.course("phys", ["t1"], ["s1", "s2"])
    await world.course("bio", ["tb"], ["sb"], school="sch-B")
    mine = await world.upload_outcome(world.student("s1"), "phys")
    theirs = await world.upload_outcome(world.student("s2"), "phys")
    other_school = await world.upload_outcome(world.student("sb", "sch-B"), "bio")
    for o in (mine, theirs):
        assert (
            await world.client.post(f"/api/v1/outcomes/{o['id']}/certify", headers=world.teacher("t1"))
        ).status_code == 200

    own = (await world.client.get("/api/v1/history", headers=world.student("s1"))).json()
    assert {e["artifact_id"] for e in own} == {mine["id"]}
    assert (
        await world.client.get(f"/api/v1/outcomes/{theirs['id']}/history", headers=world.student("s1"))
    ).status_code == 404

    staff_a = world.staff("it-a")
    listed = (await world.client.get("/api/v1/history", params={"action": "certified"}, headers=staff_a)).json()
    assert {e["artifact_id"] for e in listed} == {mine["id"], theirs["id"]}
    assert all(e["school_id"] == world.school for e in listed)
    # Another school's entries: never listed, and its item's history is 'not found'.
    asked = (await world.client.get("/api/v1/history", params={"school_id": "sch-B"}, headers=staff_a)).json()
    assert asked == []
    assert (
        await world.client.get(f"/api/v1/outcomes/{other_school['id']}/history", headers=staff_a)
    ).status_code == 404
    # Filters and pages.
    one = (await world.client.get("/api/v1/history", params={"limit": 1, "kind": "outcome"}, headers=staff_a)).json()
    assert len(one) == 1 and one[0]["action"] == "uploaded"
    assert (await world.client.get("/api/v1/history", params={"action": "erased"}, headers=staff_a)).status_code == 422
    # A teacher without read-all sees the history of outcomes of the courses they certify.
    assert (
        await world.client.get(f"/api/v1/outcomes/{mine['id']}/history", headers=world.teacher("t1"))
    ).status_code == 200


async def test_performance_selection_and_withdrawal_are_in_the_history(world: World) -> None:
    await world.open_windows()
    await world.enrol("s1")  # records published the enrolment (R-DATA-6)
    body = {
        "school_id": world.school,
        "academic_year": 114,
        "category": "other",
        "description": "淨灘活動",
        "fields": {"name": "淨灘", "organiser": "本校", "start_date": "2025-10-01"},
    }
    r = await world.client.post("/api/v1/performances/uploads", json=body, headers=world.student("s1"))
    assert r.status_code == 201, r.text
    pid = r.json()["performance_id"]
    s1 = world.student("s1")
    assert (await world.client.put(f"/api/v1/performances/{pid}/selection", headers=s1)).status_code == 200
    assert (await world.client.delete(f"/api/v1/performances/{pid}/selection", headers=s1)).status_code == 200
    assert (await world.client.post(f"/api/v1/performances/{pid}/withdraw", headers=s1)).status_code == 200
    history = (await world.client.get(f"/api/v1/performances/{pid}/history", headers=s1)).json()
    assert _who(history) == [
        ("uploaded", "s1", None),
        ("selected", "s1", None),
        ("deselected", "s1", None),
        ("withdrawn", "s1", None),
    ]
    staff = (await world.client.get("/api/v1/history", params={"kind": "performance"}, headers=world.staff("x"))).json()
    assert [e["action"] for e in staff] == ["uploaded", "selected", "deselected", "withdrawn"]
    assert (
        await world.client.get(f"/api/v1/performances/{pid}/history", headers=world.student("s2"))
    ).status_code == 404


async def test_the_database_refuses_to_change_or_delete_a_history_entry(world: World) -> None:
    """R-RET-3 holds whatever the code does: the table is append-only in the database itself."""
    from sqlalchemy import delete, update
    from sqlalchemy.exc import DBAPIError

    from portfolio_artifacts.adapters.orm import artifact_history

    await world.open_windows()
    await world.course("phys", ["t1"], ["s1"])
    await world.upload_outcome(world.student("s1"), "phys")
    for statement in (
        update(artifact_history).values(actor_user_id="someone-else"),
        delete(artifact_history),
    ):
        async with world.runtime.uow() as uow:
            with pytest.raises(DBAPIError, match="append-only"):
                await uow.session.execute(statement)
    async with world.runtime.uow() as uow:
        rows = (await uow.session.execute(select(artifact_history.c.actor_user_id))).scalars().all()
    assert rows == ["s1"]
    # A retention job (R-RET-1) may delete, explicitly, in its own transaction.
    async with world.runtime.uow() as uow:
        await uow.session.execute(text("SET LOCAL portfolio.retention = 'on'"))
        await uow.session.execute(delete(artifact_history))
        await uow.commit()
    async with world.runtime.uow() as uow:
        assert (await uow.session.execute(select(artifact_history))).first() is None
