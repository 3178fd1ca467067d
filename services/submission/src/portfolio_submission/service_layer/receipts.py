"""Importing a receipt (收訖明細) and showing it reconciled (R-SUB-5).

A receipt comes from the central database's API (the CentralPort's ``fetch_receipt``) or as a file
an office uploads (the manual adapter). Either way it is reconciled at once against what the
batch sent — by national ID (in memory only), file name, SHA-256 and key fields — and stored as
items per student with their status; the import is one transaction (nothing half-imported), and
``ReceiptAvailable`` tells notification which students to tell, and which were flagged.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from portfolio_shared.clock import utcnow
from portfolio_shared.db import UnitOfWork
from portfolio_shared.errors import Unavailable, not_found
from portfolio_shared.events.submission import DataKind, ReceiptAvailable

from ..adapters import receipts_sql as sql
from ..domain.receipts import ItemStatus, ReceivedItem, Reconciled, counts, reconcile
from ..domain.receipts_errors import (
    BatchNotAccepted,
    ReceiptAlreadyImported,
    ReceiptFileUnreadable,
    ReceiptMismatch,
)
from ..domain.receipts_file import parse, received_from_json
from .receipts_facts import BatchFacts, ReceiptFacts, ReceiptSource

MAX_RECEIPT_FILE_BYTES = 50 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Imported:
    receipt: dict[str, Any]
    counts: dict[str, int]


async def _accepted_batch(uow: UnitOfWork, facts: ReceiptFacts, batch_id: str, school_ids: Sequence[str]) -> BatchFacts:
    batch = await facts.batch(uow, batch_id)
    if batch is None or batch.school_id not in school_ids:
        raise not_found("batch")
    if not batch.accepted:
        raise BatchNotAccepted(
            f"batch {batch_id} was not accepted by the central database", "此批次尚未經中央資料庫收件"
        )
    if await sql.receipt_for_batch(uow.session, batch_id) is not None:
        raise ReceiptAlreadyImported(f"batch {batch_id} already has its receipt", "此批次已匯入收訖明細")
    return batch


async def import_from_central(
    uow: UnitOfWork, facts: ReceiptFacts, source: ReceiptSource, *, batch_id: str, actor: str, school_ids: Sequence[str]
) -> Imported:
    """Fetch the accepted batch's receipt from the central database and reconcile it."""
    batch = await _accepted_batch(uow, facts, batch_id, school_ids)
    if not batch.central_submission_id:
        raise BatchNotAccepted(
            "the central database gave no submission id for this batch (manual batch: upload the receipt file)"
        )
    try:
        body = await source.fetch_receipt(batch.central_submission_id)
    except Exception as exc:  # the port's transport errors: a retry later fetches the same receipt
        raise Unavailable(
            f"the central database did not answer the receipt request ({type(exc).__name__})",
            "中央資料庫未回應收訖明細查詢",
            rule="R-SUB-5",
        ) from exc
    _check_term(
        batch, str(body.get("school_code", "")), body.get("academic_year"), body.get("semester"), body.get("kind")
    )
    received = received_from_json(list(body.get("students", [])))
    return await _store(
        uow, facts, batch, received, actor=actor, source="central", central_id=batch.central_submission_id
    )


async def import_file(
    uow: UnitOfWork,
    facts: ReceiptFacts,
    *,
    batch_id: str,
    data: bytes,
    filename: str,
    actor: str,
    school_ids: Sequence[str],
) -> Imported:
    """Read an uploaded receipt file (xlsx/csv) whole, then reconcile; a bad line refuses it all."""
    batch = await _accepted_batch(uow, facts, batch_id, school_ids)
    if len(data) > MAX_RECEIPT_FILE_BYTES:
        raise ReceiptFileUnreadable(
            f"the file is larger than {MAX_RECEIPT_FILE_BYTES // (1024 * 1024)} MiB",
            field="file",
            extra={"line_number": 0},
        )
    parsed = parse(data, filename)
    _check_term(batch, parsed.school_code, parsed.academic_year, parsed.semester, None)
    return await _store(
        uow,
        facts,
        batch,
        list(parsed.items),
        actor=actor,
        source="file",
        file_name=filename[:255],
        file_sha256=hashlib.sha256(data).hexdigest(),
    )


def _check_term(batch: BatchFacts, school_code: str, year: object, semester: object, kind: object) -> None:
    wrong = []
    if school_code != batch.school_code:
        wrong.append("學校代碼")
    if year != batch.academic_year:
        wrong.append("學年度")
    if semester != batch.semester:
        wrong.append("學期")
    if kind is not None and kind != batch.kind:
        wrong.append("kind")
    if wrong:
        raise ReceiptMismatch(
            f"the receipt's {', '.join(wrong)} differ from the batch's",
            f"收訖明細的{'、'.join(wrong)}與提交批次不符",
            field=wrong[0],
            extra={"fields": wrong},
        )


async def _store(
    uow: UnitOfWork,
    facts: ReceiptFacts,
    batch: BatchFacts,
    received: list[ReceivedItem],
    *,
    actor: str,
    source: str,
    central_id: str | None = None,
    file_name: str | None = None,
    file_sha256: str | None = None,
) -> Imported:
    submitted = await facts.submitted_items(uow, batch.batch_id)
    result = reconcile(batch.kind, submitted, received)
    tally = counts(result)
    receipt_id = str(uuid.uuid4())
    now = utcnow()
    students = sorted({s.student_user_id for s in submitted})
    values = {
        "id": receipt_id,
        "school_id": batch.school_id,
        "batch_id": batch.batch_id,
        "kind": batch.kind,
        "school_code": batch.school_code,
        "academic_year": batch.academic_year,
        "semester": batch.semester,
        "source": source,
        "central_submission_id": central_id,
        "file_name": file_name,
        "file_sha256": file_sha256,
        "imported_by": actor,
        "imported_at": now,
        "student_count": len(students),
        "item_count": len(result),
        "counts": tally,
        "status": "imported",
    }
    await sql.add_receipt(uow.session, values, [_item_row(receipt_id, r) for r in result], students)
    flagged = sorted(
        {
            r.student_user_id
            for r in result
            if r.student_user_id and r.status in (ItemStatus.RECEIVED_DIFFERENT, ItemStatus.MISSING)
        }
    )
    uow.publish(
        ReceiptAvailable(
            receipt_id=receipt_id,
            batch_id=batch.batch_id,
            school_id=batch.school_id,
            student_user_ids=students,
            kind=cast(DataKind, batch.kind),  # sub-core checks a batch's kind on creation
            academic_year=batch.academic_year,
            semester=batch.semester,
            flagged_student_user_ids=flagged,
        ),
        school_id=batch.school_id,
        actor=actor,
    )
    await sql.audit(
        uow.session,
        school_id=batch.school_id,
        actor=actor,
        action="receipt.imported",
        entity="receipt",
        entity_id=receipt_id,
        batch_id=batch.batch_id,
        source=source,
        counts=tally,
    )
    stored = await sql.get_receipt(uow.session, receipt_id)
    assert stored is not None
    return Imported(stored, tally)


def _item_row(receipt_id: str, r: Reconciled) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "receipt_id": receipt_id,
        "student_user_id": r.student_user_id,
        "sheet": r.sheet[:100],
        "row": r.row,
        "item_ref": r.item_ref,
        "summary": r.summary[:500],
        "status": r.status.value,
        "files": [
            {
                "column": f.column,
                "name": f.name,
                "expected_sha256": f.expected_sha256,
                "received_sha256": f.received_sha256,
                "identical": f.identical,
            }
            for f in r.files
        ],
        "differing_fields": list(r.differing_fields),
    }


# -- reading ----------------------------------------------------------------------------------------


async def receipt_in(uow: UnitOfWork, receipt_id: str, school_ids: Sequence[str]) -> dict[str, Any]:
    """The receipt if it belongs to one of the caller's schools; else 404 (existence does not leak)."""
    receipt = await sql.get_receipt(uow.session, receipt_id)
    if receipt is None or receipt["school_id"] not in school_ids:
        raise not_found("receipt")
    return receipt


async def student_view(
    uow: UnitOfWork, receipt_id: str, user_id: str
) -> tuple[dict[str, Any], dict[str, Any], list[dict[str, Any]]]:
    """A student's own items of a receipt and their answer (R-SUB-5: their items, not a raw table)."""
    receipt = await sql.get_receipt(uow.session, receipt_id)
    me = await sql.student(uow.session, receipt_id, user_id) if receipt else None
    if receipt is None or me is None:
        raise not_found("receipt")
    return receipt, me, await sql.items(uow.session, receipt_id, user_id)


async def receipts_of_student(uow: UnitOfWork, user_id: str) -> list[dict[str, Any]]:
    return await sql.receipts_of_student(uow.session, user_id)


async def receipts_of_schools(uow: UnitOfWork, school_ids: Sequence[str]) -> list[dict[str, Any]]:
    return await sql.list_receipts(uow.session, school_ids)


async def staff_items(
    uow: UnitOfWork, receipt_id: str, school_ids: Sequence[str], student_user_id: str | None
) -> list[dict[str, Any]]:
    await receipt_in(uow, receipt_id, school_ids)
    return await sql.items(uow.session, receipt_id, student_user_id)


@dataclass(frozen=True, slots=True)
class ReceiptReport:
    receipt: dict[str, Any]
    students: int
    pending: int
    confirmed: int
    deemed: int
    objected: int
    objections_open: int
    objections_resolved: int


async def school_report(uow: UnitOfWork, school_id: str) -> list[ReceiptReport]:
    """Per receipt of the school: confirmed / deemed / objected / resolved (R-SUB-7, R-SUB-8)."""
    found = await sql.list_receipts(uow.session, [school_id])
    ids = [r["id"] for r in found]
    answers = await sql.answer_counts(uow.session, ids) if ids else {}
    objs = await sql.objection_counts(uow.session, ids) if ids else {}
    out = []
    for r in found:
        a = answers.get(r["id"], {})
        o = objs.get(r["id"], {})
        out.append(
            ReceiptReport(
                receipt=r,
                students=sum(a.values()),
                pending=a.get("pending", 0),
                confirmed=a.get("confirmed", 0),
                deemed=a.get("deemed", 0),
                objected=a.get("objected", 0),
                objections_open=o.get("open", 0),
                objections_resolved=o.get("corrected", 0) + o.get("rejected", 0),
            )
        )
    return out


def counts_of(receipt: Mapping[str, Any]) -> dict[str, int]:
    return {str(k): int(v) for k, v in dict(receipt["counts"]).items()}
