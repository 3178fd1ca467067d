"""Objections (疑義) to a receipt: raised by a student inside the window (or recorded by staff from a
mailed answer), routed to the acting person of the office that submitted that kind (R-SUB-8,
R-DUTY-2), settled by a correction batch with only the affected student and items, or rejected
with a reason; the student is told (``ObjectionResolved``)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

from portfolio_shared.clock import utcnow
from portfolio_shared.db import UnitOfWork
from portfolio_shared.errors import Unavailable, not_found
from portfolio_shared.events.submission import SUBMITTING_DUTY, ObjectionRaised, ObjectionResolved
from portfolio_shared.storage import ObjectStorage

from ..adapters import receipts_sql as sql
from ..domain.confirmation import Answer
from ..domain.objections import (
    ObjectionStatus,
    check_resolver,
    settle,
    validate_objection,
)
from ..domain.receipts_errors import ObjectionInvalid
from .confirmation import record_answer
from .receipts_facts import ReceiptFacts
from .retention import ensure_student_not_sealed

ATTACHMENT_TYPES = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}
ATTACHMENT_MAX_BYTES = 4 * 1024 * 1024  # a document file's limit (R-FILE-1)


def attachment_prefix(receipt_id: str, user_id: str) -> str:
    return f"objections/{receipt_id}/{user_id}/"


async def presign_attachment(
    storage: ObjectStorage | None, *, receipt_id: str, user_id: str, content_type: str, size: int
) -> tuple[str, Any]:
    """A presigned PUT for an objection's file (a PDF or an image, ≤ 4 MiB): the key and the request."""
    if storage is None:
        raise Unavailable("file storage is not configured for the submission service", "提交服務未設定檔案儲存")
    if content_type not in ATTACHMENT_TYPES:
        raise ObjectionInvalid(
            "an objection's file is a PDF, JPG or PNG",
            "附件須為 PDF、JPG 或 PNG",
            field="content_type",
            rule="R-FILE-1",
        )
    if not 0 < size <= ATTACHMENT_MAX_BYTES:
        raise ObjectionInvalid(
            f"an objection's file has 1 to {ATTACHMENT_MAX_BYTES} bytes",
            "附件大小不符規定",
            field="size",
            rule="R-FILE-1",
        )
    key = f"{attachment_prefix(receipt_id, user_id)}{uuid.uuid4()}.{ATTACHMENT_TYPES[content_type]}"
    request = await storage.presign_put(key, content_type=content_type, max_size=size, expires=timedelta(minutes=15))
    return key, request


async def _attachment(storage: ObjectStorage | None, key: str | None, receipt_id: str, user_id: str) -> str | None:
    """The attachment's SHA-256 after checking it is the student's and was uploaded."""
    if key is None:
        return None
    if storage is None:
        raise Unavailable("file storage is not configured for the submission service", "提交服務未設定檔案儲存")
    if not key.startswith(attachment_prefix(receipt_id, user_id)) or ".." in key:
        raise ObjectionInvalid(
            "the attachment was not uploaded for this objection", "附件不屬於此疑義", field="attachment_key"
        )
    info = await storage.stat(key)
    if info is None:
        raise ObjectionInvalid("the attachment was not uploaded yet", "附件尚未上傳", field="attachment_key")
    if info.size > ATTACHMENT_MAX_BYTES:
        raise ObjectionInvalid("the attachment is too large", "附件過大", field="attachment_key", rule="R-FILE-1")
    return (await storage.digest(key)).sha256


async def raise_objection(
    uow: UnitOfWork,
    facts: ReceiptFacts,
    storage: ObjectStorage | None,
    *,
    receipt_id: str,
    student_user_id: str,
    item_ids: Sequence[str],
    reason: str,
    attachment_key: str | None = None,
    recorded_by: str | None = None,
    letter_dated: date | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """The student's objection (R-SUB-7), or staff recording one that came by post (R-SUB-9)."""
    by_post = recorded_by is not None
    await ensure_student_not_sealed(uow, student_user_id, action="object to the receipt")  # R-RET-1
    mine = {i["id"] for i in await sql.items(uow.session, receipt_id, student_user_id)}
    text = validate_objection(reason, list(item_ids), mine)
    sha = await _attachment(storage, attachment_key, receipt_id, student_user_id)
    await record_answer(
        uow,
        facts,
        receipt_id=receipt_id,
        student_user_id=student_user_id,
        target=Answer.OBJECTED,
        recorded_by=recorded_by or student_user_id,
        by_post=by_post,
        letter_dated=letter_dated,
        now=now,
    )
    receipt = await sql.get_receipt(uow.session, receipt_id)
    assert receipt is not None
    duty = SUBMITTING_DUTY[receipt["kind"]]
    acting = await facts.acting_for(uow, receipt["school_id"], duty)
    objection_id = str(uuid.uuid4())
    values = {
        "id": objection_id,
        "receipt_id": receipt_id,
        "school_id": receipt["school_id"],
        "student_user_id": student_user_id,
        "kind": receipt["kind"],
        "duty_code": duty,
        "routed_to": acting.user_id if acting else None,
        "routed_is_delegate": bool(acting and acting.is_delegate),
        "on_behalf_of": acting.on_behalf_of if acting else None,
        "reason": text,
        "item_ids": list(item_ids),
        "attachment_key": attachment_key,
        "attachment_sha256": sha,
        "raised_by": recorded_by or student_user_id,
        "channel": "post" if by_post else "platform",
        "raised_at": now or utcnow(),
        "status": ObjectionStatus.OPEN.value,
    }
    await sql.add_objection(uow.session, values)
    uow.publish(
        ObjectionRaised(
            objection_id=objection_id,
            school_id=receipt["school_id"],
            student_user_id=student_user_id,
            kind=receipt["kind"],
            receipt_id=receipt_id,
            duty_code=duty,
            acting_user_id=values["routed_to"],
            acting_is_delegate=values["routed_is_delegate"],
            on_behalf_of=values["on_behalf_of"],
            item_count=len(item_ids),
            by_post=by_post,
        ),
        school_id=receipt["school_id"],
        actor=recorded_by or student_user_id,
    )
    got = await sql.get_objection(uow.session, objection_id)
    assert got is not None
    return got


async def objection_in(
    uow: UnitOfWork, objection_id: str, school_ids: Sequence[str], *, lock: bool = False
) -> dict[str, Any]:
    found = await sql.get_objection(uow.session, objection_id, lock=lock)
    if found is None or found["school_id"] not in school_ids:
        raise not_found("objection")
    return found


async def _resolver(uow: UnitOfWork, facts: ReceiptFacts, objection: dict[str, Any], actor: str) -> str | None:
    """Check the actor acts for the objection's duty NOW (R-DUTY-2); on whose behalf, if a delegate."""
    acting = await facts.acting_for(uow, objection["school_id"], objection["duty_code"])
    check_resolver(actor, acting, duty=objection["duty_code"])
    return acting.on_behalf_of if acting else None


async def reject(
    uow: UnitOfWork, facts: ReceiptFacts, *, objection_id: str, reason: str, actor: str, school_ids: Sequence[str]
) -> dict[str, Any]:
    """The office found the data was right: rejected with a reason the student reads (R-SUB-8)."""
    objection = await objection_in(uow, objection_id, school_ids, lock=True)
    behalf = await _resolver(uow, facts, objection, actor)
    settle(ObjectionStatus(objection["status"]), ObjectionStatus.REJECTED, reason=reason)
    return await _settle(uow, objection, ObjectionStatus.REJECTED, actor, behalf, resolution=reason.strip())


async def correct(
    uow: UnitOfWork, facts: ReceiptFacts, *, objection_id: str, note: str | None, actor: str, school_ids: Sequence[str]
) -> dict[str, Any]:
    """The office corrects: a correction batch with only this student and the named items, through
    the same pre-check and central port (R-SUB-8)."""
    objection = await objection_in(uow, objection_id, school_ids, lock=True)
    behalf = await _resolver(uow, facts, objection, actor)
    settle(ObjectionStatus(objection["status"]), ObjectionStatus.CORRECTED)
    receipt = await sql.get_receipt(uow.session, objection["receipt_id"])
    assert receipt is not None
    named = set(objection["item_ids"])
    refs = [
        i["item_ref"]
        for i in await sql.items(uow.session, objection["receipt_id"], objection["student_user_id"])
        if i["id"] in named and i["item_ref"]
    ]
    batch_id = await facts.create_correction_batch(
        uow,
        of_batch_id=receipt["batch_id"],
        student_user_ids=[objection["student_user_id"]],
        item_refs=refs,
        created_by=actor,
        on_behalf_of=behalf,
        label=f"更正 {objection_id[:8]}",
    )
    return await _settle(
        uow,
        objection,
        ObjectionStatus.CORRECTED,
        actor,
        behalf,
        resolution=(note or "").strip()[:500] or None,
        correction_batch_id=batch_id,
    )


async def _settle(
    uow: UnitOfWork,
    objection: dict[str, Any],
    to: ObjectionStatus,
    actor: str,
    behalf: str | None,
    *,
    resolution: str | None,
    correction_batch_id: str | None = None,
) -> dict[str, Any]:
    at = utcnow()
    changed = await sql.settle_objection(
        uow.session,
        objection["id"],
        status=to.value,
        resolution=resolution,
        resolved_by=actor,
        resolved_on_behalf_of=behalf,
        resolved_at=at,
        correction_batch_id=correction_batch_id,
    )
    if not changed:  # settled concurrently by another request
        settle(ObjectionStatus.CORRECTED, to, reason=resolution)
    await sql.audit(
        uow.session,
        school_id=objection["school_id"],
        actor=actor,
        action=f"objection.{to.value}",
        entity="objection",
        entity_id=objection["id"],
        on_behalf_of=behalf,
        correction_batch_id=correction_batch_id,
    )
    uow.publish(
        ObjectionResolved(
            objection_id=objection["id"],
            school_id=objection["school_id"],
            student_user_id=objection["student_user_id"],
            resolved_by=actor,
            receipt_id=objection["receipt_id"],
            outcome="corrected" if to is ObjectionStatus.CORRECTED else "rejected",
            reason=resolution,
            correction_batch_id=correction_batch_id,
            on_behalf_of=behalf,
        ),
        school_id=objection["school_id"],
        actor=actor,
    )
    got = await sql.get_objection(uow.session, objection["id"])
    assert got is not None
    return got


async def list_for_office(
    uow: UnitOfWork, school_ids: Sequence[str], *, status: str | None, receipt_id: str | None
) -> list[dict[str, Any]]:
    return await sql.list_objections(uow.session, school_ids, status=status, receipt_id=receipt_id)


async def list_for_student(uow: UnitOfWork, user_id: str, receipt_id: str) -> list[dict[str, Any]]:
    receipt = await sql.get_receipt(uow.session, receipt_id)
    if receipt is None:
        raise not_found("receipt")
    return await sql.list_objections(
        uow.session, [receipt["school_id"]], receipt_id=receipt_id, student_user_id=user_id
    )
