"""Receipts over the real network path (R-SUB-5): a batch of course outcomes packaged, sent and
accepted by the central-database emulator (its own process), its receipt fetched through the
CentralPort and reconciled with what students uploaded — a student whose upload's SHA-256 is not
the one the central database received is flagged, the others see every item received identical."""

from __future__ import annotations

import asyncio
import hashlib
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
from sqlalchemy import select, update

from portfolio_central.testing import EmulatorProcess
from portfolio_shared.messaging import Topology
from portfolio_shared.permissions import Permission
from portfolio_shared.testing.fixtures import delete_topology
from portfolio_shared.testing.harness import running
from portfolio_shared.testing.tokens import TokenMinter
from portfolio_submission.adapters.orm import rc_items
from portfolio_submission.app import create
from portfolio_submission.bootstrap import bootstrap
from portfolio_submission.config import Settings
from portfolio_submission.consumers import SUBSCRIPTIONS
from portfolio_submission.packaging.crypto import PackageKeyring
from portfolio_submission.service_layer.sending import SendingDeps, run_once

sys.path.insert(0, str(Path(__file__).parent))

from sending_world import OFFICE, SCHOOL, SendWorld, national_id

pytestmark = pytest.mark.integration


@pytest_asyncio.fixture
async def world(
    make_database: Callable[[str], object],
    rabbitmq_url: str,
    topology: Topology,
    s3_url: str,
    central_emulator: EmulatorProcess,
) -> AsyncIterator[SendWorld]:
    url = await make_database("subrc_receipt_emulator")  # type: ignore[misc]
    settings = Settings(
        environment="test",
        database_url=url,
        broker_url=rabbitmq_url,
        topology_prefix=topology.prefix,
        storage_url=s3_url,
        package_key=PackageKeyring.generate("rc"),
        central_url=central_emulator.url,
        central_timeout_seconds=5,
        sending_worker=False,
        receipt_close_poll_seconds=0,
    )
    minter = TokenMinter()
    runtime = bootstrap(settings, verifier=minter.verifier())
    async with running(runtime, create) as client:
        sending: SendingDeps = client.app.state.sending  # type: ignore[attr-defined]
        yield SendWorld(runtime=runtime, client=client, minter=minter, emulator=central_emulator, sending=sending)
    await delete_topology(rabbitmq_url, topology, tuple(s.consumer for s in SUBSCRIPTIONS))


async def _accepted(world: SendWorld, batch_id: str) -> None:
    for _ in range(40):
        await run_once(world.sending)
        if (await world.sending_row(batch_id))["state"] == "accepted":
            return
        await asyncio.sleep(0.25)
    raise AssertionError("the batch was not accepted")


async def test_the_emulators_receipt_is_reconciled_and_a_changed_file_flagged(world: SendWorld) -> None:
    items = await world.seed_school(students=3, outcomes=2)
    world.open_window()
    batch_id = await world.ready_batch()
    staff = world.headers(perms=[Permission.RECEIPT_IMPORT, Permission.SUBMISSION_READ])
    # not accepted yet: no receipt
    r = await world.client.post(f"/api/v1/batches/{batch_id}/receipt/fetch", headers=staff)
    assert r.status_code == 409 and r.json()["code"] == "batch-not-accepted"
    await _accepted(world, batch_id)
    # user-1 uploaded a new version of one outcome after the package was sent: what the central
    # database holds is no longer what the student has
    changed = b"%PDF-1.4\n a newer version"
    async with world.runtime.uow() as uow:
        row = (await uow.session.execute(select(rc_items).where(rc_items.c.item_id == items[2]))).mappings().one()
        assert row["student_user_id"] == "user-1"
        files = [{**row["files"][0], "sha256": hashlib.sha256(changed).hexdigest(), "size": len(changed)}]
        await uow.session.execute(update(rc_items).where(rc_items.c.item_id == items[2]).values(files=files))
        await uow.commit()
    r = await world.client.post(f"/api/v1/batches/{batch_id}/receipt/fetch", headers=staff)
    assert r.status_code == 201, r.text
    receipt = r.json()
    assert receipt["source"] == "central" and receipt["student_count"] == 3 and receipt["item_count"] == 6
    assert receipt["counts"] == {"received_identical": 5, "received_different": 1, "missing": 0, "not_ours": 0}

    def student(user: str) -> dict[str, str]:
        return world.minter.headers(user, schools={SCHOOL: [Permission.RECEIPT_CONFIRM]}, kind="student")

    flagged = (await world.client.get(f"/api/v1/me/receipts/{receipt['id']}", headers=student("user-1"))).json()
    assert flagged["flagged"] == 1
    (different,) = [i for i in flagged["items"] if i["status"] == "received_different"]
    assert different["item_ref"] == items[2] and not different["files"][0]["identical"]
    assert different["files"][0]["expected_sha256"] == hashlib.sha256(changed).hexdigest()
    fine = (await world.client.get(f"/api/v1/me/receipts/{receipt['id']}", headers=student("user-0"))).json()
    assert fine["flagged"] == 0 and [i["status"] for i in fine["items"]] == ["received_identical"] * 2
    assert national_id(1) not in str(flagged) and OFFICE == receipt["imported_by"]


async def test_the_emulators_receipt_workbook_imported_by_hand_reconciles_the_same(world: SendWorld) -> None:
    await world.seed_school(students=2, outcomes=2)
    world.open_window()
    batch_id = await world.ready_batch()
    await _accepted(world, batch_id)
    submission_id = (await world.sending_row(batch_id))["central_submission_id"]
    async with httpx.AsyncClient(timeout=10) as central:
        workbook = await central.get(f"{world.emulator.url}/api/v1/submissions/{submission_id}/receipt.xlsx")
    assert workbook.status_code == 200
    staff = world.headers(perms=[Permission.RECEIPT_IMPORT, Permission.SUBMISSION_READ])
    r = await world.client.post(
        f"/api/v1/batches/{batch_id}/receipt/file",
        headers=staff,
        files={
            "file": (
                "收訖明細.xlsx",
                workbook.content,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            )
        },
    )
    assert r.status_code == 201, r.text
    assert r.json()["counts"] == {"received_identical": 4, "received_different": 0, "missing": 0, "not_ours": 0}
    assert r.json()["source"] == "file"
