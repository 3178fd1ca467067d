"""Sending batches to the central database, safely (issue 11).

A batch handed to sending (status ``ready``) gets ONE sending row with ONE idempotency key, generated
and committed before anything is built or sent. A background worker (every replica runs one) claims
due rows with a lease (``FOR UPDATE SKIP LOCKED`` on PostgreSQL), and moves each through::

    queued ─build─▶ built ─send─▶ accepted                       (BatchSubmitted [+ SelectionsFrozen])
                       │    ╲──▶ refused   (422: the central database's line-level reasons kept)
                       │     ╲─▶ built again after a backoff    (unavailable: BatchFailed will_retry=True)
                       │      ╲▶ failed    (attempts used up, or a permanent answer: will_retry=False)
                       ╰──────▶ handed_over (manual adapter: the office uploads it by hand)

- The package is built once (the part builder, in a worker thread, streamed from object storage,
  encrypted at rest) and committed as ``built`` before the first attempt; every attempt sends the
  SAME bytes with the SAME key, so a retry after a crash, a timeout or a lost answer is replayed by
  the central database, never recorded twice.
- ``sending`` is committed before the request leaves: a worker killed mid-request leaves the row
  ``sending`` under an expiring lease; the next claim (this replica after a restart, or another)
  sends again with the same key.
- A batch is marked accepted only on the central database's acceptance (201, or its replay).
- Retrying a failed batch (``failed`` → ``ready``, sub-core's API): after a refusal or a permanent
  answer, the content must change, so a new key and a new package; after the attempts ran out on an
  unavailable central database the outcome is unknown (it may have accepted the lost answer), so
  the same key and the same package.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import socket
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from portfolio_central.package import PackageSpec
from portfolio_shared.auth import Principal
from portfolio_shared.clock import utcnow
from portfolio_shared.db import UnitOfWork
from portfolio_shared.errors import Conflict, InvalidInput, not_found
from portfolio_shared.events.submission import BatchFailed, BatchSubmitted, FrozenSelection, SelectionsFrozen
from portfolio_shared.permissions import Permission
from portfolio_shared.waiting import wait_event

from ..adapters import central_sendings as store
from ..adapters import repositories as repo
from ..domain.central import (
    Accepted,
    CentralPort,
    CentralRejected,
    CentralUnavailable,
    HandedOver,
    PackageRequest,
    Refused,
)
from ..domain.offices import Submitter
from ..packaging.builder import BuiltPackage, ChunkStore, PackageFileChanged, PackageFileMissing, build_package
from ..packaging.builder import open_package as _open_package
from ..packaging.crypto import PackageKeyring, PackageTampered
from ..sending_config import SendingSettings
from . import sending_batches as batches
from .access import require
from .batches import acting_submitter
from .context import Deps

log = logging.getLogger(__name__)
ACTOR = "system:submission-sending"
FREEZING_KINDS = ("course_outcomes", "performances")
UNAVAILABLE = "central-unavailable"


@dataclass
class SendingDeps:
    """What sending needs: the database, object storage, the package key, the central port."""

    uow: Callable[[], UnitOfWork]
    store: ChunkStore
    keyring: PackageKeyring
    central: CentralPort
    settings: SendingSettings
    core: Deps  # the core's dependencies (content needs its private key and layouts)
    now: Callable[[], datetime] = utcnow
    owner: str = field(default_factory=lambda: f"{socket.gethostname()}:{uuid.uuid4().hex[:12]}")

    def lease_until(self) -> datetime:
        return self.now() + timedelta(seconds=self.settings.sending_lease_seconds)


def new_idempotency_key() -> str:
    return f"pfsub-{secrets.token_urlsafe(24)}"


def backoff(settings: SendingSettings, attempts: int, retry_after: float | None = None) -> float:
    """Seconds before attempt ``attempts + 1``: exponential, capped, never sooner than Retry-After."""
    delay = min(settings.send_backoff_seconds * 2 ** max(0, attempts - 1), settings.send_backoff_max_seconds)
    if retry_after is not None:
        delay = max(delay, min(retry_after, settings.send_backoff_max_seconds))
    return delay


# -- adoption: batches handed to sending get their row (and key) ---------------------------------
async def adopt_ready(deps: SendingDeps) -> int:
    """Give every ``ready`` batch its sending row — or, for a batch retried after a failure, reset
    its row (see the module's notes on keys). Safe on several replicas: the insert is keyed by batch."""
    adopted = 0
    async with deps.uow() as uow:
        ready = await batches.ready_batches(uow.session)
        now = deps.now()
        for b in ready:
            row = await store.get_for_update(uow.session, b.batch_id)
            if row is None:
                await store.insert_row(
                    uow.session,
                    {
                        "batch_id": b.batch_id,
                        "school_id": b.school_id,
                        "kind": b.kind,
                        "state": "queued",
                        # The batch's own key (created with it): one key per batch and package.
                        "idempotency_key": b.idempotency_key or new_idempotency_key(),
                        "central_adapter": deps.central.name,
                        "attempts": 0,
                        "next_attempt_at": now,
                        "created_at": now,
                        "updated_at": now,
                    },
                )
            elif row["state"] in ("failed", "refused"):
                same_outcome_unknown = row["state"] == "failed" and row["last_error_code"] == UNAVAILABLE
                values: dict[str, Any] = {
                    "attempts": 0,
                    "next_attempt_at": now,
                    "lease_owner": None,
                    "lease_until": None,
                    "updated_at": now,
                    "central_adapter": deps.central.name,
                }
                if same_outcome_unknown and row["package_key"] and row["package_purged_at"] is None:
                    values.update(state="built")
                else:
                    values.update(
                        state="queued",
                        idempotency_key=new_idempotency_key(),
                        refusal=None,
                        package_purge_after=now,  # the old package goes with the next purge
                    )
                await store.update_owned(uow.session, b.batch_id, None, **values)
            else:
                continue  # already in the worker's hands
            await batches.set_status(uow.session, deps.core, b.batch_id, "building", actor=ACTOR)
            adopted += 1
        await uow.commit()
    return adopted


# -- the worker ----------------------------------------------------------------------------------
async def claim(deps: SendingDeps) -> dict[str, Any] | None:
    async with deps.uow() as uow:
        row = await store.claim_next(uow.session, owner=deps.owner, now=deps.now(), until=deps.lease_until())
        await uow.commit()
    return dict(row) if row is not None else None


class LeaseLost(RuntimeError):
    """Another worker took the row over (this one was too slow to renew): stop, change nothing."""


async def _renew_while(deps: SendingDeps, batch_id: str, stop: asyncio.Event) -> None:
    interval = max(0.2, deps.settings.sending_lease_seconds / 3)
    while not stop.is_set():
        if not await wait_event(stop, interval):
            async with deps.uow() as uow:
                await store.renew(uow.session, batch_id, owner=deps.owner, now=deps.now(), until=deps.lease_until())
                await uow.commit()


async def process(deps: SendingDeps, row: dict[str, Any]) -> str:
    """Carry one claimed row as far as it goes now; returns the state it was left in."""
    batch_id = row["batch_id"]
    stop = asyncio.Event()
    renewer = asyncio.create_task(_renew_while(deps, batch_id, stop))
    try:
        if row["state"] in ("queued", "building"):
            row = await _build(deps, row)
            if row["state"] != "built":
                return str(row["state"])
        return await _send(deps, row)
    except LeaseLost:
        log.warning("sending: the lease on batch %s was taken over; leaving it", batch_id)
        return "lease-lost"
    finally:
        stop.set()
        await renewer


async def _build(deps: SendingDeps, row: dict[str, Any]) -> dict[str, Any]:
    batch_id = row["batch_id"]
    async with deps.uow() as uow:
        if not await store.update_owned(uow.session, batch_id, deps.owner, state="building", updated_at=deps.now()):
            raise LeaseLost(batch_id)
        await uow.commit()
    async with deps.uow() as uow:
        content = await batches.content(uow, deps.core, batch_id)
        selections = batches.serialise(await batches.frozen_selections(uow, deps.core, batch_id))
    spec = PackageSpec(
        school_code=content.school_code,
        kind=content.spec_kind,
        academic_year=content.academic_year,
        semester=content.semester,
        batch_id=batch_id,
        idempotency_key=row["idempotency_key"],
    )
    object_key = f"{deps.settings.package_prefix}{row['school_id']}/{batch_id}/{uuid.uuid4().hex}.pfpk"
    try:
        built: BuiltPackage = await asyncio.to_thread(
            build_package,
            deps.store,
            deps.keyring,
            spec=spec,
            rows=content.rows,
            files=content.files,
            object_key=object_key,
        )
    except (PackageFileChanged, PackageFileMissing) as exc:
        code = "file-changed" if isinstance(exc, PackageFileChanged) else "file-missing"
        return await _fail(deps, row, code=code, reason=str(exc), will_retry=False)
    except ValueError as exc:  # the writer refuses content that does not fit the layout
        return await _fail(deps, row, code="package-unwritable", reason=str(exc), will_retry=False)
    except Exception as exc:  # object storage unreachable: try again later
        log.warning("sending: building batch %s failed (%s); will retry", batch_id, type(exc).__name__)
        return await _retry_later(deps, row, code="storage-unavailable", reason=type(exc).__name__, retry_after=None)
    now = deps.now()
    async with deps.uow() as uow:
        ok = await store.update_owned(
            uow.session,
            batch_id,
            deps.owner,
            state="built",
            package_key=built.object_key,
            package_size=built.size,
            package_sha256=built.sha256,
            package_stored_size=built.stored_size,
            package_key_id=built.key_id,
            package_built_at=now,
            package_purge_after=None,
            package_purged_at=None,
            selections=selections,
            updated_at=now,
        )
        if not ok:
            raise LeaseLost(batch_id)
        await uow.commit()
    log.info("sending: batch %s packaged (%d bytes)", batch_id, built.size)
    return {
        **row,
        "state": "built",
        "package_key": built.object_key,
        "package_size": built.size,
        "package_sha256": built.sha256,
        "selections": selections,
    }


async def _send(deps: SendingDeps, row: dict[str, Any]) -> str:
    batch_id = row["batch_id"]
    attempts = int(row["attempts"]) + 1
    async with deps.uow() as uow:
        ok = await store.update_owned(
            uow.session, batch_id, deps.owner, state="sending", attempts=attempts, updated_at=deps.now()
        )
        if not ok:
            raise LeaseLost(batch_id)
        await batches.set_status(uow.session, deps.core, batch_id, "sending", actor=ACTOR)
        await uow.commit()
    async with deps.uow() as uow:
        info = await batches.info(uow.session, batch_id)
    request = PackageRequest(
        school_code=info.school_code,
        kind=info.kind,
        academic_year=info.academic_year,
        semester=info.semester,
        idempotency_key=row["idempotency_key"],
        size=int(row["package_size"]),
        sha256=str(row["package_sha256"]),
    )
    key = str(row["package_key"])
    row = {**row, "attempts": attempts}
    try:
        answer = await deps.central.submit(request, lambda: _open_package(deps.store, deps.keyring, key))
    except CentralUnavailable as exc:
        return await _unavailable(deps, row, attempts, exc.reason, exc.retry_after)
    except PackageTampered as exc:  # the stored package does not decrypt: never send it; rebuild
        log.error("sending: the stored package of batch %s does not decrypt (%s)", batch_id, exc)
        return str((await _fail(deps, row, code="package-unreadable", reason=str(exc), will_retry=False))["state"])
    except CentralRejected as exc:
        return str((await _fail(deps, row, code=exc.code, reason=exc.detail, will_retry=False))["state"])
    except Exception as exc:  # object storage failed while the package streamed: part of it may be sent
        log.warning("sending: batch %s: the package did not stream (%s)", batch_id, type(exc).__name__)
        return await _unavailable(deps, row, attempts, f"the package did not stream ({type(exc).__name__})", None)
    if isinstance(answer, Accepted):
        return await _accepted(deps, row, info, answer)
    if isinstance(answer, Refused):
        return str(
            (
                await _fail(
                    deps,
                    row,
                    code="package-refused",
                    reason=f"the central database refused the package: {len(answer.errors)} problem(s)",
                    will_retry=False,
                    refusal=answer.errors,
                    state="refused",
                    submission_id=answer.submission_id,
                )
            )["state"]
        )
    assert isinstance(answer, HandedOver)
    async with deps.uow() as uow:
        ok = await store.update_owned(
            uow.session,
            batch_id,
            deps.owner,
            state="handed_over",
            lease_owner=None,
            lease_until=None,
            updated_at=deps.now(),
        )
        if not ok:
            raise LeaseLost(batch_id)
        await uow.commit()
    return "handed_over"


async def _unavailable(
    deps: SendingDeps, row: dict[str, Any], attempts: int, reason: str, retry_after: float | None
) -> str:
    """Another attempt after a backoff, or — the attempts used up — failed for good (the outcome is
    unknown: a retry of the batch will send the same package with the same key)."""
    if attempts >= deps.settings.send_max_attempts:
        failed = await _fail(deps, row, code=UNAVAILABLE, reason=f"{reason}; {attempts} attempts", will_retry=False)
        return str(failed["state"])
    later = await _retry_later(deps, row, code=UNAVAILABLE, reason=reason, retry_after=retry_after)
    return str(later["state"])


async def _accepted(deps: SendingDeps, row: dict[str, Any], info: batches.BatchInfo, answer: Accepted) -> str:
    batch_id = row["batch_id"]
    now = deps.now()
    async with deps.uow() as uow:
        ok = await store.update_owned(
            uow.session,
            batch_id,
            deps.owner,
            state="accepted",
            central_submission_id=answer.submission_id,
            central_received_at=answer.received_at,
            accepted_at=now,
            student_count=answer.student_count,
            item_count=answer.item_count,
            last_error=None,
            last_error_code=None,
            lease_owner=None,
            lease_until=None,
            package_purge_after=now + timedelta(days=deps.settings.package_keep_days),
            updated_at=now,
        )
        if not ok:
            raise LeaseLost(batch_id)
        await _publish_acceptance(uow, info, answer.item_count, row.get("selections"), actor=ACTOR)
        await batches.set_status(uow.session, deps.core, batch_id, "accepted", actor=ACTOR)
        await uow.commit()
    log.info(
        "sending: batch %s accepted as %s%s", batch_id, answer.submission_id, " (replayed)" if answer.replayed else ""
    )
    return "accepted"


async def _publish_acceptance(
    uow: UnitOfWork, info: batches.BatchInfo, item_count: int, selections: Any, *, actor: str
) -> None:
    uow.publish(
        BatchSubmitted(
            batch_id=info.batch_id,
            school_id=info.school_id,
            kind=info.kind,  # type: ignore[arg-type]
            academic_year=info.academic_year,
            semester=info.semester,
            item_count=item_count,
        ),
        school_id=info.school_id,
        actor=actor,
    )
    if info.kind in FREEZING_KINDS and selections:
        uow.publish(
            SelectionsFrozen(
                batch_id=info.batch_id,
                school_id=info.school_id,
                kind=info.kind,  # type: ignore[arg-type]
                academic_year=info.academic_year,
                selections=[FrozenSelection.model_validate(s) for s in selections],
            ),
            school_id=info.school_id,
            actor=actor,
        )


async def _retry_later(
    deps: SendingDeps, row: dict[str, Any], *, code: str, reason: str, retry_after: float | None
) -> dict[str, Any]:
    batch_id = row["batch_id"]
    attempts = int(row["attempts"])
    delay = backoff(deps.settings, max(1, attempts), retry_after)
    now = deps.now()
    state = "built" if row.get("package_key") else "queued"
    async with deps.uow() as uow:
        ok = await store.update_owned(
            uow.session,
            batch_id,
            deps.owner,
            state=state,
            next_attempt_at=now + timedelta(seconds=delay),
            last_error=reason[:2000],
            last_error_code=code,
            lease_owner=None,
            lease_until=None,
            updated_at=now,
        )
        if not ok:
            raise LeaseLost(batch_id)
        uow.publish(
            BatchFailed(
                batch_id=batch_id,
                school_id=row["school_id"],
                kind=row["kind"],
                reason=f"{code}: {reason}"[:500],
                will_retry=True,
            ),
            school_id=row["school_id"],
            actor=ACTOR,
        )
        await uow.commit()
    log.warning("sending: batch %s: %s; next attempt in %.0f s", batch_id, code, delay)
    return {**row, "state": state}


async def _fail(
    deps: SendingDeps,
    row: dict[str, Any],
    *,
    code: str,
    reason: str,
    will_retry: bool,
    refusal: list[dict[str, Any]] | None = None,
    state: str = "failed",
    submission_id: str | None = None,
) -> dict[str, Any]:
    batch_id = row["batch_id"]
    now = deps.now()
    async with deps.uow() as uow:
        ok = await store.update_owned(
            uow.session,
            batch_id,
            deps.owner,
            state=state,
            last_error=reason[:2000],
            last_error_code=code,
            refusal=refusal,
            central_submission_id=submission_id,
            lease_owner=None,
            lease_until=None,
            package_purge_after=(now + timedelta(days=deps.settings.package_keep_days))
            if row.get("package_key")
            else None,
            updated_at=now,
        )
        if not ok:
            raise LeaseLost(batch_id)
        await batches.set_status(uow.session, deps.core, batch_id, "failed", actor=ACTOR, reason=f"{code}: {reason}")
        uow.publish(
            BatchFailed(
                batch_id=batch_id,
                school_id=row["school_id"],
                kind=row["kind"],
                reason=f"{code}: {reason}"[:500],
                will_retry=will_retry,
            ),
            school_id=row["school_id"],
            actor=ACTOR,
        )
        await uow.commit()
    log.warning("sending: batch %s failed: %s", batch_id, code)
    return {**row, "state": state}


async def run_once(deps: SendingDeps) -> int:
    """Adopt ready batches, then work every due row; returns how many rows were worked."""
    await adopt_ready(deps)
    worked = 0
    while (row := await claim(deps)) is not None:
        await process(deps, row)
        worked += 1
    await purge_packages(deps)
    return worked


async def run_worker(deps: SendingDeps) -> None:
    """The background worker of one replica: runs until cancelled; survives database outages."""
    while True:
        try:
            await run_once(deps)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("sending: the worker's round failed; trying again")
        await asyncio.sleep(deps.settings.sending_poll_seconds)


# -- keeping packages no longer than needed ------------------------------------------------------
async def purge_packages(deps: SendingDeps) -> int:
    """Delete packages past their horizon (accepted + ``package_keep_days``; a replaced one at once)."""
    async with deps.uow() as uow:
        due = await store.due_purges(uow.session, deps.now())
    purged = 0
    for item in due:
        delete = getattr(deps.store, "delete", None)
        if delete is not None:
            await delete(item["package_key"])
        async with deps.uow() as uow:
            await store.update_owned(
                uow.session, item["batch_id"], None, package_purged_at=deps.now(), updated_at=deps.now()
            )
            await uow.commit()
        purged += 1
    return purged


# -- people's actions ----------------------------------------------------------------------------
@dataclass(frozen=True)
class PackageDownload:
    filename: str
    size: int
    sha256: str
    chunks: Iterator[bytes]


class PackageGone(Conflict):
    code = "package-not-available"
    title_en = "The package is not available"
    title_zh = "資料包無法下載"


async def _batch_of_school(deps: SendingDeps, uow: UnitOfWork, actor: Principal, school_id: str, batch_id: str) -> Any:
    require(actor, Permission.SUBMISSION_READ, school_id)
    batch = await repo.batch(uow.session, school_id, batch_id)
    if batch is None:  # another school's batch: not found, so its existence does not leak
        raise not_found(f"batch {batch_id}")
    return batch


async def _as_office(deps: SendingDeps, uow: UnitOfWork, actor: Principal, batch: Any) -> Submitter:
    """Only the office that submits the kind — its responsible person, or the acting delegate —
    handles its package (it holds every national ID of the workbook; R-SUB-4, R-DUTY-2)."""
    return await acting_submitter(uow.session, deps.core, actor, batch["school_id"], batch["kind"])


async def sending_status(deps: SendingDeps, actor: Principal, school_id: str, batch_id: str) -> dict[str, Any]:
    """Where sending stands: state, attempts, the next attempt, the last error and the central
    database's line-level reasons of a refusal (never a cell's value)."""
    async with deps.uow() as uow:
        await _batch_of_school(deps, uow, actor, school_id, batch_id)
        row = await store.get(uow.session, batch_id)
    if row is None:
        raise not_found(f"sending of batch {batch_id} (not handed to sending yet)")
    return dict(row)


async def download_package(deps: SendingDeps, actor: Principal, school_id: str, batch_id: str) -> PackageDownload:
    """The package, decrypted on the fly as it is streamed; the download is audited (who, when,
    which batch — never the content) and committed before the first byte leaves."""
    async with deps.uow() as uow:
        batch = await _batch_of_school(deps, uow, actor, school_id, batch_id)
        submitter = await _as_office(deps, uow, actor, batch)
        row = await store.get(uow.session, batch_id)
        if row is None or row["package_key"] is None or row["state"] in ("queued", "building"):
            raise PackageGone("the package of this batch has not been built yet", "此批次的資料包尚未產生")
        if row["package_purged_at"] is not None:
            raise PackageGone(
                "the package was deleted after its keeping period", "資料包已逾保存期限並已刪除", rule="R-RET-1"
            )
        info = await batches.info(uow.session, batch_id)
        await repo.write_audit(
            uow.session,
            entry_id=str(uuid.uuid4()),
            entity="batch",
            school_id=school_id,
            actor=actor.user_id,
            action="package.downloaded",
            entity_id=batch_id,
            at=deps.now(),
            details={
                "kind": row["kind"],
                "package_sha256": row["package_sha256"],
                "size": row["package_size"],
                "on_behalf_of": submitter.on_behalf_of,
            },
        )
        await uow.commit()
    filename = f"{info.school_code}_{info.kind}_{info.academic_year}-{info.semester}_{batch_id[:8]}.zip"
    return PackageDownload(
        filename=filename,
        size=int(row["package_size"]),
        sha256=str(row["package_sha256"]),
        chunks=_open_package(deps.store, deps.keyring, str(row["package_key"])),
    )


async def record_manual_answer(
    deps: SendingDeps,
    actor: Principal,
    school_id: str,
    batch_id: str,
    *,
    accepted: bool,
    central_submission_id: str,
    reason: str | None = None,
) -> dict[str, Any]:
    """Manual adapter: the office uploaded the package by hand and records the central database's
    answer (accepted with its reference, or refused with its reason). Only a batch handed over for a
    manual upload takes an answer; who recorded it is audited."""
    async with deps.uow() as uow:
        batch = await _batch_of_school(deps, uow, actor, school_id, batch_id)
        submitter = await _as_office(deps, uow, actor, batch)
        row = await store.get_for_update(uow.session, batch_id)
        if row is None or row["state"] != "handed_over":
            raise Conflict(
                "only a batch handed over for a manual upload takes the central database's answer",
                "只有待人工上傳的批次可登錄中央資料庫的回覆",
                code="not-handed-over",
                extra={"state": None if row is None else row["state"]},
            )
        reference = central_submission_id.strip()
        if not reference:
            raise InvalidInput(
                "the central database's reference is required",
                "請填寫中央資料庫的收件編號",
                field="central_submission_id",
            )
        if not accepted and not (reason or "").strip():
            raise InvalidInput(
                "a refusal needs the central database's reason", "退件須填寫中央資料庫的理由", field="reason"
            )
        now = deps.now()
        info = await batches.info(uow.session, batch_id)
        keep = now + timedelta(days=deps.settings.package_keep_days)
        if accepted:
            await store.update_owned(
                uow.session,
                batch_id,
                None,
                state="accepted",
                central_submission_id=reference,
                accepted_at=now,
                package_purge_after=keep,
                updated_at=now,
            )
            await _publish_acceptance(uow, info, 0, row["selections"], actor=actor.user_id)
            await batches.set_status(uow.session, deps.core, batch_id, "accepted", actor=actor.user_id)
        else:
            why = (reason or "").strip()[:2000]
            await store.update_owned(
                uow.session,
                batch_id,
                None,
                state="refused",
                central_submission_id=reference,
                last_error=why,
                last_error_code="package-refused",
                package_purge_after=keep,
                updated_at=now,
            )
            await batches.set_status(
                uow.session, deps.core, batch_id, "failed", actor=actor.user_id, reason=f"package-refused: {why}"
            )
            uow.publish(
                BatchFailed(
                    batch_id=batch_id,
                    school_id=school_id,
                    kind=row["kind"],
                    reason=f"package-refused: {why}"[:500],
                    will_retry=False,
                ),
                school_id=school_id,
                actor=actor.user_id,
            )
        await repo.write_audit(
            uow.session,
            entry_id=str(uuid.uuid4()),
            entity="batch",
            school_id=school_id,
            actor=actor.user_id,
            action="central.answer.recorded",
            entity_id=batch_id,
            at=now,
            details={"accepted": accepted, "central_submission_id": reference, "on_behalf_of": submitter.on_behalf_of},
        )
        await uow.commit()
        fresh = await store.get(uow.session, batch_id)
    assert fresh is not None
    return dict(fresh)


async def resend(deps: SendingDeps, actor: Principal, school_id: str, batch_id: str) -> dict[str, Any]:
    """The office sends a failed batch again (``failed`` → ``ready``; the worker takes it from there).
    After a refusal or a permanent answer the package is rebuilt under a new key; after the attempts
    ran out on an unavailable central database, the same package goes with the same key."""
    async with deps.uow() as uow:
        batch = await _batch_of_school(deps, uow, actor, school_id, batch_id)
        await _as_office(deps, uow, actor, batch)
        if batch["status"] != "failed":
            raise Conflict(
                f"only a failed batch is sent again; this one is {batch['status']}",
                f"僅失敗的批次可重新送出；此批次狀態為 {batch['status']}",
                code="batch-not-failed",
                extra={"status": batch["status"]},
            )
        await batches.set_status(uow.session, deps.core, batch_id, "ready", actor=actor.user_id)
        await uow.commit()
        row = await store.get(uow.session, batch_id)
    if row is None:
        raise not_found(f"sending of batch {batch_id}")
    return dict(row)
