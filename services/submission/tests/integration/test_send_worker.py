"""Sending batches safely (issue 11): one idempotency key per batch, the package built once and
encrypted at rest, retries with backoff and BatchFailed, the emulator's line-level reasons kept,
never a batch marked submitted that was not accepted, two workers never sending one batch twice,
the freeze of accepted selections, audited downloads, the manual adapter, and the purge."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import hashlib
import io
import sys
import zipfile
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
import pytest_asyncio
from sqlalchemy import select

from portfolio_central.testing import EmulatorProcess
from portfolio_shared.messaging import Topology
from portfolio_shared.testing.fixtures import delete_topology
from portfolio_shared.testing.harness import running
from portfolio_shared.testing.tokens import TokenMinter
from portfolio_submission.adapters.central_manual import ManualCentral
from portfolio_submission.adapters.orm import audit_log
from portfolio_submission.app import create
from portfolio_submission.bootstrap import bootstrap
from portfolio_submission.config import Settings
from portfolio_submission.consumers import SUBSCRIPTIONS
from portfolio_submission.packaging.crypto import PackageKeyring
from portfolio_submission.service_layer.sending import SendingDeps, run_once

sys.path.insert(0, str(Path(__file__).parent))

from sending_world import OFFICE, SCHOOL, SendWorld, national_id

pytestmark = pytest.mark.integration
KEY = PackageKeyring.generate("it")


@pytest_asyncio.fixture
async def world(
    make_database: Callable[[str], object],
    rabbitmq_url: str,
    topology: Topology,
    s3_url: str,
    central_emulator: EmulatorProcess,
    request: pytest.FixtureRequest,
) -> AsyncIterator[SendWorld]:
    name = "sub_send_" + "".join(ch for ch in request.node.name if ch.isalnum())[:40]
    url = await make_database(name)  # type: ignore[misc]
    settings = Settings(
        environment="test",
        database_url=url,
        broker_url=rabbitmq_url,
        topology_prefix=topology.prefix,
        storage_url=s3_url,
        package_key=KEY,
        central_url=central_emulator.url,
        central_timeout_seconds=3,
        sending_worker=False,  # the tests drive the worker's rounds themselves
        send_backoff_seconds=0.2,
        send_backoff_max_seconds=0.5,
        send_max_attempts=3,
        sending_lease_seconds=5,
    )
    minter = TokenMinter()
    runtime = bootstrap(settings, verifier=minter.verifier())
    async with running(runtime, create) as client:
        sending: SendingDeps = client.app.state.sending  # type: ignore[attr-defined]
        yield SendWorld(runtime=runtime, client=client, minter=minter, emulator=central_emulator, sending=sending)
    await delete_topology(rabbitmq_url, topology, tuple(s.consumer for s in SUBSCRIPTIONS))


async def _until_settled(world: SendWorld, batch_id: str, rounds: int = 20) -> dict[str, object]:
    for _ in range(rounds):
        await run_once(world.sending)
        row = await world.sending_row(batch_id)
        if row["state"] not in ("queued", "building", "built", "sending"):
            return row
        await asyncio.sleep(0.25)
    raise AssertionError(f"batch {batch_id} did not settle: {row['state']}")


async def test_a_ready_batch_is_packaged_encrypted_sent_once_and_accepted(world: SendWorld) -> None:
    items = await world.seed_school(students=3, outcomes=2)
    world.open_window()
    batch_id = await world.ready_batch()
    row = await _until_settled(world, batch_id)
    assert row["state"] == "accepted" and row["attempts"] == 1
    # The batch's own key went to the central database, once.
    [submission] = world.submissions()
    assert submission["submission_id"] == row["central_submission_id"]
    assert row["idempotency_key"] == f"batch-{batch_id}" and world.accepted_count() == 1
    assert (row["student_count"], row["item_count"]) == (3, 6)
    batch = await world.batch(batch_id)
    assert batch["status"] == "accepted"
    # Encrypted at rest: the stored object is neither a zip nor holds a national ID.
    assert world.runtime.storage is not None
    stored = b"".join(world.runtime.storage.read_chunks(str(row["package_key"])))  # type: ignore[attr-defined]
    assert not stored.startswith(b"PK") and national_id(0).encode() not in stored
    assert len(stored) == row["package_stored_size"]
    # BatchSubmitted and the freeze, through the outbox: platform ids only, no national ID.
    [submitted] = await world.events("submission.batch.submitted")
    assert submitted["batch_id"] == batch_id and submitted["item_count"] == 6
    [frozen] = await world.events("submission.selections.frozen")
    assert frozen["kind"] == "course_outcomes" and frozen["academic_year"] == 114
    assert sorted(i for s in frozen["selections"] for i in s["artifact_ids"]) == sorted(items)
    assert {s["student_user_id"] for s in frozen["selections"]} == {"user-0", "user-1", "user-2"}
    assert national_id(0) not in str(await world.events("submission."))
    # Another round changes nothing: accepted stays accepted, nothing sent again.
    await run_once(world.sending)
    assert world.accepted_count() == 1 and len(await world.events("submission.batch.submitted")) == 1


async def test_the_office_downloads_the_package_decrypted_and_audited(world: SendWorld) -> None:
    await world.seed_school(students=2, outcomes=1)
    world.open_window()
    batch_id = await world.ready_batch()
    row = await _until_settled(world, batch_id)
    url = f"/api/v1/batches/{batch_id}/package"
    r = await world.client.get(url, params={"school_id": SCHOOL}, headers=world.headers())
    assert r.status_code == 200, r.text
    assert hashlib.sha256(r.content).hexdigest() == row["package_sha256"] == r.headers["x-package-sha256"]
    assert int(r.headers["content-length"]) == row["package_size"] and "attachment" in r.headers["content-disposition"]
    with zipfile.ZipFile(io.BytesIO(r.content)) as zf:
        assert "manifest.json" in zf.namelist() and any(n.endswith(".xlsx") for n in zf.namelist())
    async with world.runtime.uow() as uow:
        entries = (
            (await uow.session.execute(select(audit_log).where(audit_log.c.entity_id == batch_id))).mappings().all()
        )
    downloads = [e for e in entries if e["action"] == "package.downloaded"]
    assert len(downloads) == 1 and downloads[0]["actor"] == OFFICE
    assert national_id(0) not in str(downloads[0]["details"])
    # Not the office: refused (R-SUB-4); another school: not found; no permission: refused.
    other = await world.client.get(url, params={"school_id": SCHOOL}, headers=world.headers("reg1"))
    assert other.status_code == 403 and "R-SUB-4" in other.json()["rule"]
    elsewhere = await world.client.get(url, params={"school_id": "sch-B"}, headers=world.headers(school="sch-B"))
    assert elsewhere.status_code == 404
    bare = await world.client.get(url, params={"school_id": SCHOOL}, headers=world.headers(perms=[]))
    assert bare.status_code == 403
    # Refused downloads leave no audit entry; the one download stays the only one.
    async with world.runtime.uow() as uow:
        count = len(
            (await uow.session.execute(select(audit_log.c.id).where(audit_log.c.action == "package.downloaded"))).all()
        )
    assert count == 1
    status = await world.client.get(
        f"/api/v1/batches/{batch_id}/sending", params={"school_id": SCHOOL}, headers=world.headers()
    )
    assert status.status_code == 200 and status.json()["state"] == "accepted" and status.json()["package_available"]


async def test_unavailable_central_retries_with_backoff_then_accepts_once(world: SendWorld) -> None:
    await world.seed_school(students=1, outcomes=1)
    world.open_window()
    assert world.emulator.admin("PUT", "/faults", json={"mode": "fail", "count": 2, "status": 503}).status_code == 200
    batch_id = await world.ready_batch()
    await run_once(world.sending)
    row = await world.sending_row(batch_id)
    assert row["state"] == "built" and row["attempts"] == 1 and row["last_error_code"] == "central-unavailable"
    assert row["next_attempt_at"] > dt.datetime.now(dt.UTC)  # backing off, not hammering
    assert (await world.batch(batch_id))["status"] == "sending"  # never accepted before the answer
    failed = await world.events("submission.batch.failed")
    assert [f["will_retry"] for f in failed] == [True]
    key, package = row["idempotency_key"], row["package_key"]
    row = await _until_settled(world, batch_id)
    assert row["state"] == "accepted" and row["attempts"] == 3
    assert (row["idempotency_key"], row["package_key"]) == (key, package)  # the same key, the same bytes
    assert [f["will_retry"] for f in await world.events("submission.batch.failed")] == [True, True]
    assert world.accepted_count() == 1


async def test_a_lost_answer_is_replayed_never_submitted_twice(world: SendWorld) -> None:
    await world.seed_school(students=1, outcomes=1)
    world.open_window()
    # The emulator keeps the package but the answer never comes (the client times out).
    assert world.emulator.admin("PUT", "/faults", json={"mode": "hang", "count": 1, "after": True}).status_code == 200
    batch_id = await world.ready_batch()
    await run_once(world.sending)
    assert (await world.sending_row(batch_id))["state"] == "built"
    assert world.accepted_count() == 1  # kept by the central database, unknown to us
    row = await _until_settled(world, batch_id)
    assert row["state"] == "accepted" and world.accepted_count() == 1 and len(world.submissions()) == 1


async def test_attempts_run_out_then_a_retry_reuses_the_key_and_the_package(world: SendWorld) -> None:
    await world.seed_school(students=1, outcomes=1)
    world.open_window()
    assert world.emulator.admin("PUT", "/faults", json={"mode": "fail", "status": 502}).status_code == 200
    batch_id = await world.ready_batch()
    row = await _until_settled(world, batch_id)
    assert row["state"] == "failed" and row["attempts"] == 3 and row["last_error_code"] == "central-unavailable"
    assert [f["will_retry"] for f in await world.events("submission.batch.failed")] == [True, True, False]
    batch = await world.batch(batch_id)
    assert batch["status"] == "failed" and "central-unavailable" in batch["failure_reason"]
    assert world.accepted_count() == 0
    assert world.emulator.admin("DELETE", "/faults").status_code in (200, 204)
    resend = f"/api/v1/batches/{batch_id}/resend"
    not_office = await world.client.post(resend, params={"school_id": SCHOOL}, headers=world.headers("reg1"))
    assert not_office.status_code == 403
    r = await world.client.post(resend, params={"school_id": SCHOOL}, headers=world.headers())
    assert r.status_code == 200, r.text
    assert (await world.batch(batch_id))["status"] == "ready"
    again = await world.client.post(resend, params={"school_id": SCHOOL}, headers=world.headers())
    assert again.status_code == 409 and again.json()["code"] == "batch-not-failed"  # ready: nothing to resend
    retried = await _until_settled(world, batch_id)
    assert retried["state"] == "accepted" and retried["attempts"] == 1
    # The outcome of the lost attempts was unknown: the same key and the same package went again.
    assert (retried["idempotency_key"], retried["package_key"]) == (row["idempotency_key"], row["package_key"])
    assert world.accepted_count() == 1


async def test_a_malformed_workbook_fails_the_batch_with_the_emulators_reasons(world: SendWorld) -> None:
    await world.seed_school(students=2, outcomes=1, bad_id=1)  # a national ID with a wrong check digit
    world.open_window()
    batch_id = await world.ready_batch()
    row = await _until_settled(world, batch_id)
    assert row["state"] == "refused" and row["last_error_code"] == "package-refused"
    assert [(e["sheet"], e["row"], e["column"], e["rule"]) for e in row["refusal"]] == [
        ("學期", 3, "身分證號", "national-id")
    ]
    assert world.accepted_count() == 0
    batch = await world.batch(batch_id)
    assert batch["status"] == "failed"
    [failed] = await world.events("submission.batch.failed")
    assert failed["will_retry"] is False and failed["reason"].startswith("package-refused")
    assert "A123456788" not in str(row["refusal"]) + failed["reason"]
    shown = await world.client.get(
        f"/api/v1/batches/{batch_id}/sending", params={"school_id": SCHOOL}, headers=world.headers()
    )
    body = shown.json()
    assert body["state"] == "refused" and body["refusal"][0]["rule"] == "national-id" and body["refusal"][0]["row"] == 3
    assert not await world.events("submission.selections.frozen")  # nothing frozen that was not accepted
    # A retry after a refusal is a new package: a new key (the refused one is spent).
    await world.set_batch_status(batch_id, "ready")
    await run_once(world.sending)
    again = await world.sending_row(batch_id)
    assert again["idempotency_key"] != row["idempotency_key"] and again["package_key"] != row["package_key"]


async def test_outside_the_window_fails_without_a_retry(world: SendWorld) -> None:
    await world.seed_school(students=1, outcomes=1)
    batch_id = await world.ready_batch()  # no window open at the central database
    row = await _until_settled(world, batch_id)
    assert row["state"] == "failed" and row["last_error_code"] == "outside-window" and row["attempts"] == 1
    assert [f["will_retry"] for f in await world.events("submission.batch.failed")] == [False]


async def test_a_file_changed_since_upload_fails_the_batch_before_sending(world: SendWorld) -> None:
    await world.seed_school(students=1, outcomes=1)
    world.open_window()
    [key] = list(world.objects)
    assert world.runtime.storage is not None
    await world.runtime.storage.delete(key)
    await world.runtime.storage.put(key, b"%PDF-1.4\nreplaced", content_type="application/pdf")
    batch_id = await world.ready_batch()
    row = await _until_settled(world, batch_id)
    assert row["state"] == "failed" and row["last_error_code"] == "file-changed" and row["attempts"] == 0
    assert world.accepted_count() == 0 and row["package_key"] is None


async def test_two_workers_send_a_batch_once(world: SendWorld) -> None:
    assert world.runtime.engine.dialect.name == "postgresql"
    await world.seed_school(students=2, outcomes=1)
    world.open_window()
    assert (
        world.emulator.admin("PUT", "/faults", json={"mode": "slow", "count": 1, "delay_seconds": 1}).status_code == 200
    )
    batch_ids = [await world.ready_batch(), await world.ready_batch(kind="performances")]
    other = dataclasses.replace(world.sending, owner="replica-2")
    await asyncio.gather(run_once(world.sending), run_once(other), run_once(world.sending), run_once(other))
    rows = [await world.sending_row(b) for b in batch_ids]
    assert rows[0]["state"] == "accepted" and world.accepted_count() == 1
    assert len(world.submissions()) == 1
    assert rows[1]["state"] in ("failed", "refused")  # performances: no window at the central database


async def test_the_manual_adapter_hands_over_and_the_office_records_the_answer(world: SendWorld) -> None:
    await world.seed_school(students=1, outcomes=1)
    manual = dataclasses.replace(world.sending, central=ManualCentral())
    world.client.app.state.sending = manual  # type: ignore[attr-defined]
    batch_id = await world.ready_batch()
    await run_once(manual)
    row = await world.sending_row(batch_id)
    assert row["state"] == "handed_over" and row["central_adapter"] == "manual"
    assert (await world.batch(batch_id))["status"] == "sending" and world.accepted_count() == 0
    params, headers = {"school_id": SCHOOL}, world.headers()
    package = await world.client.get(f"/api/v1/batches/{batch_id}/package", params=params, headers=headers)
    assert package.status_code == 200 and hashlib.sha256(package.content).hexdigest() == row["package_sha256"]
    answer = f"/api/v1/batches/{batch_id}/central-answer"
    no_reason = await world.client.post(
        answer, params=params, headers=headers, json={"accepted": False, "central_submission_id": "X1"}
    )
    assert no_reason.status_code == 422 and no_reason.json()["field"] == "reason"
    not_office = await world.client.post(
        answer, params=params, headers=world.headers("reg1"), json={"accepted": True, "central_submission_id": "C-1"}
    )
    assert not_office.status_code == 403
    ok = await world.client.post(
        answer, params=params, headers=headers, json={"accepted": True, "central_submission_id": "C-1"}
    )
    assert ok.status_code == 200 and ok.json()["state"] == "accepted" and ok.json()["central_submission_id"] == "C-1"
    assert (await world.batch(batch_id))["status"] == "accepted"
    assert len(await world.events("submission.batch.submitted")) == 1
    assert len(await world.events("submission.selections.frozen")) == 1
    twice = await world.client.post(
        answer, params=params, headers=headers, json={"accepted": True, "central_submission_id": "C-1"}
    )
    assert twice.status_code == 409 and twice.json()["code"] == "not-handed-over"
    async with world.runtime.uow() as uow:
        actions = [
            r.action
            for r in (
                await uow.session.execute(select(audit_log.c.action).where(audit_log.c.entity_id == batch_id))
            ).all()
        ]
    assert actions.count("central.answer.recorded") == 1 and actions.count("package.downloaded") == 1


async def test_packages_are_purged_after_their_keeping_period(world: SendWorld) -> None:
    await world.seed_school(students=1, outcomes=1)
    world.open_window()
    batch_id = await world.ready_batch()
    row = await _until_settled(world, batch_id)
    assert row["state"] == "accepted" and row["package_purge_after"] > dt.datetime.now(dt.UTC) + dt.timedelta(days=29)
    later = dataclasses.replace(world.sending, now=lambda: dt.datetime.now(dt.UTC) + dt.timedelta(days=31))
    await run_once(later)
    row = await world.sending_row(batch_id)
    assert row["package_purged_at"] is not None
    assert world.runtime.storage is not None and await world.runtime.storage.stat(str(row["package_key"])) is None
    r = await world.client.get(
        f"/api/v1/batches/{batch_id}/package", params={"school_id": SCHOOL}, headers=world.headers()
    )
    assert r.status_code == 409 and r.json()["code"] == "package-not-available"


async def test_the_standalone_shape_sends_on_sqlite_and_local_disk(
    tmp_path: Path, central_emulator: EmulatorProcess
) -> None:
    """SQLite (no SKIP LOCKED: the conditional lease update is the guard), the in-process bus and
    files on local disk: the same worker sends the batch once."""
    settings = Settings(
        environment="test",
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'submission.db'}",
        broker_url=f"sqlite+aiosqlite:///{tmp_path / 'bus.db'}",
        storage_url=f"file://{tmp_path / 'objects'}",
        package_key=KEY,
        central_url=central_emulator.url,
        sending_worker=True,  # the app's own background worker this time
        sending_poll_seconds=0.2,
    )
    minter = TokenMinter()
    runtime = bootstrap(settings, verifier=minter.verifier())
    async with running(runtime, create) as client:
        world = SendWorld(runtime, client, minter, central_emulator, client.app.state.sending)  # type: ignore[attr-defined]
        await world.seed_school(students=2, outcomes=1)
        world.open_window()
        batch_id = await world.ready_batch()
        for _ in range(100):
            if (await world.batch(batch_id))["status"] == "accepted":
                break
            await asyncio.sleep(0.1)
        assert (await world.batch(batch_id))["status"] == "accepted"
        assert world.accepted_count() == 1
        stored = (tmp_path / "objects" / str((await world.sending_row(batch_id))["package_key"])).read_bytes()
        assert not stored.startswith(b"PK") and national_id(0).encode() not in stored


async def test_a_worker_that_lost_its_lease_changes_nothing(world: SendWorld) -> None:
    from sqlalchemy import update

    from portfolio_submission.adapters.central_tables import batch_sendings
    from portfolio_submission.service_layer.sending import adopt_ready, claim, process

    await world.seed_school(students=1, outcomes=1)
    world.open_window()
    batch_id = await world.ready_batch()
    assert await adopt_ready(world.sending) == 1
    assert await adopt_ready(world.sending) == 0  # adopted once
    row = await claim(world.sending)
    assert row is not None and row["lease_owner"] == world.sending.owner
    assert await claim(dataclasses.replace(world.sending, owner="replica-2")) is None  # leased: not claimable
    async with world.runtime.uow() as uow:  # the lease ran out and another replica took the row over
        await uow.session.execute(
            update(batch_sendings).where(batch_sendings.c.batch_id == batch_id).values(lease_owner="replica-2")
        )
        await uow.commit()
    assert await process(world.sending, row) == "lease-lost"
    after = await world.sending_row(batch_id)
    assert (after["state"], after["lease_owner"], after["package_key"]) == ("queued", "replica-2", None)
    assert world.accepted_count() == 0


async def test_a_tampered_stored_package_is_never_sent(world: SendWorld) -> None:
    await world.seed_school(students=1, outcomes=1)
    world.open_window()
    assert world.emulator.admin("PUT", "/faults", json={"mode": "fail", "count": 1, "status": 503}).status_code == 200
    batch_id = await world.ready_batch()
    await run_once(world.sending)
    row = await world.sending_row(batch_id)
    assert row["state"] == "built"
    storage = world.runtime.storage
    assert storage is not None
    stored = bytearray(b"".join(storage.read_chunks(str(row["package_key"]))))  # type: ignore[attr-defined]
    stored[-40] ^= 0x01  # one bit in the last record
    await storage.put(str(row["package_key"]), bytes(stored), content_type="application/octet-stream")
    row = await _until_settled(world, batch_id)
    assert row["state"] == "failed" and row["last_error_code"] == "package-unreadable"
    assert world.accepted_count() == 0
