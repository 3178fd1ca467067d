"""R-DUTY-3: nightly account sync from the SIS export — idempotent, rejects bad lines whole."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import httpx
import pytest
from identity_support import build_world, settings_for
from sqlalchemy import func, select

from portfolio_identity.adapters.orm import memberships, outbox, school_roles, users
from portfolio_identity.cli import main as cli_main
from portfolio_shared.events import Envelope
from portfolio_shared.service import ServiceRuntime
from portfolio_shared.testing.jobs import job_outcome

pytestmark = pytest.mark.integration

HEADER = "login_name,display_name,kind,roles,status,end_date,email,student_number,school_code\n"
ZEROS = {"created": 0, "updated": 0, "deactivated": 0, "rejected": 0}


def export(code: str, *lines: str) -> bytes:
    return (HEADER + "".join(line.replace("{code}", code) + "\n" for line in lines)).encode()


CLEAN = (
    "s110001,王小明,student,,active,,,110001,{code}",
    "s110002,林美華,學生,學生,在學,,,110002,{code}",
    "t-chen,陳老師,teacher,course_teacher;course_counsellor,active,,chen@school.example.org,,{code}",
    "staff-lee,李幹事,staff,registry_clerk,active,,,,{code}",
)


async def _sync(
    client: httpx.AsyncClient, school_id: str, headers: dict[str, str], data: bytes, name: str = "export.csv"
) -> dict:  # type: ignore[type-arg]
    started = await client.post(
        f"/api/v1/schools/{school_id}/sis-sync", files={"file": (name, data, "text/csv")}, headers=headers
    )
    r = await job_outcome(client, started, headers)  # 202 with a job; its end holds the report
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def _counts(report: dict) -> dict:  # type: ignore[type-arg]
    return {k: v for k, v in report["counts"].items() if k != "unchanged"}


async def test_same_file_twice_changes_nothing_the_second_time(
    client: httpx.AsyncClient, runtime: ServiceRuntime
) -> None:
    world = await build_world(client)
    a = world.school("A")
    data = export("330301", *CLEAN)
    first = await _sync(client, a, world.headers["a-it"], data)
    assert _counts(first) == {"created": 4, "updated": 0, "deactivated": 0, "rejected": 0}
    second = await _sync(client, a, world.headers["a-it"], data)
    assert _counts(second) == ZEROS
    assert second["counts"]["unchanged"] == 4

    # The SIS changes a role and drops a student: update and deactivate, then nothing again.
    changed = export(
        "330301", CLEAN[0], CLEAN[2].replace("course_teacher;course_counsellor", "course_teacher"), CLEAN[3]
    )
    third = await _sync(client, a, world.headers["a-it"], changed)
    assert _counts(third) == {"created": 0, "updated": 1, "deactivated": 1, "rejected": 0}
    assert third["deactivated"] == ["s110002"]
    async with runtime.uow() as uow:
        bodies = (await uow.session.execute(select(outbox.c.body).order_by(outbox.c.id))).scalars().all()
    events = [Envelope.model_validate_json(b) for b in bodies]
    gone = [e for e in events if e.type == "identity.user.deactivated"]
    assert len(gone) == 1 and gone[0].payload["status"] == "left" and gone[0].school_id == a
    updates = [e.payload for e in events if e.type == "identity.user.updated"]
    assert updates[-1]["status"] == "left"  # read copies never see a deactivated account as active
    assert _counts(await _sync(client, a, world.headers["a-it"], changed)) == ZEROS

    # Big5 and UTF-8 with BOM give the same accounts.
    assert _counts(await _sync(client, a, world.headers["a-it"], changed.decode().encode("big5"))) == ZEROS
    assert _counts(await _sync(client, a, world.headers["a-it"], b"\xef\xbb\xbf" + changed)) == ZEROS
    runs = (await client.get(f"/api/v1/schools/{a}/sis-sync/runs", headers=world.headers["a-it"])).json()
    assert len(runs) == 6 and runs[0]["report"]["counts"]["created"] == 0


async def test_malformed_line_is_reported_and_leaves_no_partial_user(
    client: httpx.AsyncClient, runtime: ServiceRuntime
) -> None:
    world = await build_world(client)
    a = world.school("A")
    data = export(
        "330301",
        CLEAN[0],
        "s110009,壞資料,student,course_teacher,active,,,110009,{code}",  # line 3: a student cannot teach
        "s110010,離校生,student,,left,,,110010,{code}",  # line 4: left without an end date
        "b-it,他校帳號,staff,it,active,,,,{code}",  # line 5: belongs to school B
        CLEAN[3],
    )
    report = await _sync(client, a, world.headers["a-it"], data)
    assert report["counts"]["created"] == 2 and report["counts"]["rejected"] == 3
    assert [(r["line"], r["field"]) for r in report["rejected"]] == [(3, "roles"), (4, "end_date"), (5, "login_name")]
    async with runtime.uow() as uow:
        for login in ("s110009", "s110010"):
            assert (await uow.session.execute(select(users.c.id).where(users.c.login_name == login))).first() is None
        b_it = world.users["b-it"]
        assert (
            await uow.session.execute(
                select(func.count()).select_from(memberships).where(memberships.c.user_id == b_it)
            )
        ).scalar_one() == 1  # still only at school B
        roles = (
            await uow.session.execute(
                select(school_roles.c.role).where(school_roles.c.user_id == b_it, school_roles.c.school_id == a)
            )
        ).all()
        assert roles == []


async def test_sync_needs_permission_and_refuses_other_schools(client: httpx.AsyncClient) -> None:
    world = await build_world(client)
    data = export("330301", *CLEAN)
    r = await client.post(
        f"/api/v1/schools/{world.school('A')}/sis-sync",
        files={"file": ("x.csv", data)},
        headers=world.headers["a-teacher"],
    )
    assert r.status_code == 403
    r = await client.post(
        f"/api/v1/schools/{world.school('A')}/sis-sync", files={"file": ("x.csv", data)}, headers=world.headers["b-it"]
    )
    assert r.status_code == 404
    started = await client.post(
        f"/api/v1/schools/{world.school('A')}/sis-sync",
        files={"file": ("x.csv", b"a,b\n1,2\n")},
        headers=world.headers["a-it"],
    )
    r = await job_outcome(client, started, world.headers["a-it"])  # an unreadable file fails the job
    assert r.status_code == 422 and r.json()["rule"] == "R-DUTY-3"


async def test_cli_sync_is_idempotent(
    client: httpx.AsyncClient, runtime: ServiceRuntime, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import asyncio
    import json

    world = await build_world(client)
    path = tmp_path / "nightly.csv"
    path.write_bytes(export("330302", *CLEAN))
    settings = settings_for(runtime.settings.database_url, "sqlite+aiosqlite:///" + str(tmp_path / "bus.db"))
    argv = ["sync", "--school", "330302", str(path)]
    assert await asyncio.to_thread(cli_main, argv, settings) == 0
    first = json.loads(capsys.readouterr().out)
    assert first["counts"]["created"] == 4
    assert await asyncio.to_thread(cli_main, argv, settings) == 0
    second = json.loads(capsys.readouterr().out)
    assert _counts(second) == ZEROS
    r = await client.get(
        f"/api/v1/schools/{world.school('B')}/users", params={"q": "s1100"}, headers=world.headers["b-it"]
    )
    assert r.json()["total"] == 2


async def test_a_truncated_export_does_not_deactivate_the_school(client: httpx.AsyncClient) -> None:
    world = await build_world(client)
    a = world.school("A")
    assert _counts(await _sync(client, a, world.headers["a-it"], export("330301", *CLEAN)))["created"] == 4
    r = await job_outcome(
        client,
        await client.post(
            f"/api/v1/schools/{a}/sis-sync",
            files={"file": ("x.csv", export("330301", CLEAN[0]))},
            headers=world.headers["a-it"],
        ),
        world.headers["a-it"],
    )
    assert r.status_code == 409 and r.json()["code"] == "mass-deactivation-refused"
    dry = await job_outcome(
        client,
        await client.post(
            f"/api/v1/schools/{a}/sis-sync",
            files={"file": ("x.csv", export("330301", *CLEAN[:3]))},
            data={"dry_run": "true"},
            headers=world.headers["a-it"],
        ),
        world.headers["a-it"],
    )
    assert dry.status_code == 200 and dry.json()["dry_run"] is True and dry.json()["deactivated"] == ["staff-lee"]
    users_now = (
        await client.get(f"/api/v1/schools/{a}/users", params={"q": "staff-lee"}, headers=world.headers["a-it"])
    ).json()
    assert users_now["items"][0]["deactivated"] is False  # the dry run changed nothing


async def test_formula_like_cells_are_kept_flagged_and_neutralised_in_the_report_download(
    client: httpx.AsyncClient, runtime: ServiceRuntime
) -> None:
    """Spreadsheet formulas: an SIS cell starting with = + - @ is data (kept), flagged by line and
    column, and written with a leading ' in the CSV report; other schools cannot read the report."""
    world = await build_world(client)
    a = world.school("A")
    data = export(
        "330301",
        '"=HYPERLINK(""http://evil.example/"")",學生,student,,active,,,110001,{code}',  # line 2: rejected
        "s2,=1+2,student,,active,,,-110002,{code}",  # line 3: name and student number
        "t3,@SUM(A1),teacher,,active,,+t3@school.example.org,,{code}",  # line 4: name and e-mail
        CLEAN[0],  # line 5: clean
    )
    report = await _sync(client, a, world.headers["a-it"], data)
    assert report["counts"]["created"] == 3 and report["counts"]["rejected"] == 1
    assert [(w["line"], w["login_name"], w["field"], w["reason"]) for w in report["warnings"]] == [
        (3, "s2", "display_name", "formula_like"),
        (3, "s2", "student_number", "formula_like"),
        (4, "t3", "display_name", "formula_like"),
        (4, "t3", "email", "formula_like"),
    ]
    async with runtime.uow() as uow:
        names = dict((await uow.session.execute(select(users.c.login_name, users.c.display_name))).all())
    assert names["s2"] == "=1+2" and names["t3"] == "@SUM(A1)"  # kept as sent

    [run] = (await client.get(f"/api/v1/schools/{a}/sis-sync/runs", headers=world.headers["a-it"])).json()
    url = f"/api/v1/schools/{a}/sis-sync/runs/{run['id']}/report.csv"
    r = await client.get(url, headers=world.headers["a-it"])
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/csv") and r.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(r.content[3:].decode("utf-8"))))
    assert [(x["line"], x["kind"], x["field"]) for x in rows] == [
        ("2", "rejected", "login_name"),
        ("3", "warning", "display_name"),
        ("3", "warning", "student_number"),
        ("4", "warning", "display_name"),
        ("4", "warning", "email"),
    ]
    assert rows[0]["login_name"].startswith("'=hyperlink(")  # the rejected login as typed, neutralised
    assert (await client.get(url, headers=world.headers["b-it"])).status_code in (403, 404)
    missing = f"/api/v1/schools/{a}/sis-sync/runs/nope/report.csv"
    assert (await client.get(missing, headers=world.headers["a-it"])).status_code == 404


async def test_the_upload_answers_202_with_a_job_only_its_school_may_read(client: httpx.AsyncClient) -> None:
    """Issue 10: the sync by upload is a long job (portfolio_shared.jobs); object-level authz on it."""
    world = await build_world(client)
    a = world.school("A")
    started = await client.post(
        f"/api/v1/schools/{a}/sis-sync",
        files={"file": ("x.csv", export("330301", *CLEAN))},
        data={"dry_run": "true"},
        headers=world.headers["a-it"],
    )
    assert started.status_code == 202, started.text
    job = started.json()
    assert started.headers["location"] == job["href"] == f"/api/v1/jobs/{job['id']}"
    assert (job["kind"], job["school_id"], job["owner_id"]) == ("sis_account_sync", a, world.users["a-it"])
    outcome = await job_outcome(client, started, world.headers["a-it"])
    assert outcome.job["progress"] == {"stage": "finished", "done": 4, "total": 4}
    assert outcome.json()["dry_run"] is True and sorted(outcome.json()["created"]) == sorted(
        line.split(",")[0] for line in CLEAN
    )
    # Another school's IT, and a teacher of the same school (no sis:sync), do not see it (404).
    for who in ("b-it", "a-teacher"):
        r = await client.get(started.headers["location"], headers=world.headers[who])
        assert r.status_code == 404 and r.json()["code"] == "not-found", (who, r.text)
    # Refusals known at once are answered at once, nothing is queued: no permission, unknown school.
    assert (await client.post(f"/api/v1/schools/{a}/sis-sync", files={"file": ("x.csv", b"")},
                              headers=world.headers["a-teacher"])).status_code == 403  # fmt: skip
    assert (await client.post("/api/v1/schools/nowhere/sis-sync", files={"file": ("x.csv", b"")},
                              headers=world.headers["a-it"])).status_code == 404  # fmt: skip
