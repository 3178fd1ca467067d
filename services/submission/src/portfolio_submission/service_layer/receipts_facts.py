"""What receipts, confirmation and objections need from the rest of the submission service: the
batch a receipt answers, what that batch sent per student (with national IDs, in memory only),
which students' enrolment ended, who acts for a duty, the school's time zone, and a correction
batch. One port (``ReceiptFacts``), so the use cases stay testable and the joins stay where the
batches live (``adapters/receipts_facts.py``)."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

from portfolio_shared.db import UnitOfWork
from portfolio_shared.errors import not_found
from portfolio_shared.storage import ObjectStorage

from ..adapters import receipts_sql
from ..adapters import repositories as repo
from ..domain.kinds import FILE_COLUMNS
from ..domain.objections import Acting, acting_person
from ..domain.receipts import FileSeen, SubmittedItem
from .content import gather
from .context import Deps


@dataclass(frozen=True, slots=True)
class BatchFacts:
    batch_id: str
    school_id: str
    school_code: str
    kind: str
    academic_year: int
    semester: int
    accepted: bool
    central_submission_id: str | None


class ReceiptFacts(Protocol):
    async def batch(self, uow: UnitOfWork, batch_id: str) -> BatchFacts | None: ...

    async def submitted_items(self, uow: UnitOfWork, batch_id: str) -> Sequence[SubmittedItem]:
        """Every row the batch sent, per student (national IDs decrypted in memory, never stored)."""
        ...

    async def students_who_left(self, uow: UnitOfWork, school_id: str, user_ids: Collection[str]) -> set[str]:
        """Those of ``user_ids`` whose enrolment at the school ended (R-SUB-9)."""
        ...

    async def acting_for(self, uow: UnitOfWork, school_id: str, duty_code: str) -> Acting | None:
        """Who acts for the duty today (R-DUTY-2)."""
        ...

    async def school_time_zone(self, uow: UnitOfWork, school_id: str) -> str: ...

    async def create_correction_batch(
        self,
        uow: UnitOfWork,
        *,
        of_batch_id: str,
        student_user_ids: Collection[str],
        item_refs: Collection[str],
        created_by: str,
        on_behalf_of: str | None,
        label: str,
    ) -> str:
        """A batch of the same school, kind and term with ONLY the named students and items, linked
        to the original (``correction_of``); it goes through the same pre-check and central port."""
        ...


class ReceiptSource(Protocol):
    """The central database's side of a receipt (the CentralPort's ``fetch_receipt``)."""

    async def fetch_receipt(self, central_submission_id: str) -> Mapping[str, Any]: ...


@dataclass(frozen=True)
class ReceiptServices:
    """What the receipt routes use besides the unit of work (``app.state.receipts``)."""

    facts: ReceiptFacts
    source: ReceiptSource | None  # None: the manual adapter only (receipt files)
    storage: ObjectStorage | None  # objection attachments


# -- the service's own facts (sub-core's batches and read copies) ----------------------------------


def _cell(value: Any) -> str:
    """A workbook cell as the central database reads it back (dates in the layouts' %Y%m%d)."""
    if value is None:
        return ""
    if isinstance(value, date):
        return value.strftime("%Y%m%d")
    return str(value)


@dataclass
class CoreFacts:
    """``ReceiptFacts`` over the batches, their content (``content.gather``: the same rows the
    package carries, in the same order) and the read copies of students and duties."""

    deps: Deps

    async def batch(self, uow: UnitOfWork, batch_id: str) -> BatchFacts | None:
        row = await repo.batch(uow.session, None, batch_id)
        if row is None:
            return None
        school = await repo.school(uow.session, row["school_id"])
        return BatchFacts(
            batch_id=row["id"],
            school_id=row["school_id"],
            school_code=school["school_code"] if school else "",
            kind=row["kind"],
            academic_year=row["academic_year"],
            semester=row["semester"],
            accepted=row["status"] == "accepted",
            central_submission_id=await receipts_sql.central_submission_id(uow.session, batch_id),
        )

    async def submitted_items(self, uow: UnitOfWork, batch_id: str) -> Sequence[SubmittedItem]:
        batch = await repo.batch(uow.session, None, batch_id)
        if batch is None:
            return []
        excluded = [e["student_id"] for e in await repo.exclusions(uow.session, batch_id)]
        gathered = await gather(uow.session, self.deps, batch, excluded)
        shas = {f.name: f.sha256 for f in gathered.files}
        workbook = self.deps.layouts.workbook(batch["kind"])
        headers = {c.key: c.name for sheet in workbook.sheets for c in sheet.columns}
        ids = {r.student.student_id for r in gathered.rows}
        students = await repo.students_by_id(uow.session, batch["school_id"], ids)
        next_row: dict[str, int] = {}
        out: list[SubmittedItem] = []
        for r in gathered.rows:
            # Rows are written per sheet in this order under one header row: the first is row 2.
            row = next_row.get(r.sheet, 2)
            next_row[r.sheet] = row + 1
            sid = r.student.student_id
            user = (
                sid[len("user:") :]
                if sid.startswith("user:")
                else (students[sid]["user_id"] if sid in students else None)
            )
            # A file is named as the central database's receipt names it: by the column's header.
            files = tuple(
                FileSeen(headers.get(column, column), str(r.cells[column]), shas.get(str(r.cells[column]), ""))
                for column in FILE_COLUMNS.values()
                if r.cells.get(column)
            )
            fields = {k: _cell(v) for k, v in r.cells.items() if k not in ("national_id", "birth_date")}
            out.append(
                SubmittedItem(
                    student_user_id=user or f"student:{sid}",
                    national_id=str(r.cells.get("national_id") or ""),
                    sheet=r.sheet,
                    row=row,
                    fields=fields,
                    files=files,
                    item_ref=r.source_id,
                )
            )
        return out

    async def students_who_left(self, uow: UnitOfWork, school_id: str, user_ids: Collection[str]) -> set[str]:
        found = await repo.students_by_user(uow.session, school_id, user_ids)
        left = {u for u, s in found.items() if s["left_on"] is not None}
        # A student record never linked to an account cannot sign in either (R-SUB-9).
        return left | {u for u in user_ids if u.startswith("student:")}

    async def acting_for(self, uow: UnitOfWork, school_id: str, duty_code: str) -> Acting | None:
        row = await repo.duty(uow.session, school_id, duty_code)
        if row is None:
            return None
        responsible, delegates = list(row["responsible_user_ids"]), list(row["delegate_user_ids"])
        people = set(responsible) | set(delegates) | ({row["acting_user_id"]} if row["acting_user_id"] else set())
        today = self.deps.today()
        unavailable = set(await repo.users_left(uow.session, people)) | {
            a["user_id"]
            for a in await repo.absences(uow.session, school_id, people)
            if a["starts_on"] <= today <= a["ends_on"]
        }
        announced = row["acting_user_id"] if row["acting_event_at"] is not None else None
        acting = acting_person(
            responsible,
            delegates,
            unavailable=unavailable,
            announced=announced,
            announced_is_delegate=bool(row["acting_is_delegate"]),
        )
        if acting is not None and acting.is_delegate:
            # on behalf of the responsible person who cannot act now (R-DUTY-2)
            absent = [r for r in responsible if r in unavailable]
            acting = Acting(acting.user_id, True, absent[0] if absent else acting.on_behalf_of)
        return acting

    async def school_time_zone(self, uow: UnitOfWork, school_id: str) -> str:
        return self.deps.settings.school_timezone

    async def create_correction_batch(
        self,
        uow: UnitOfWork,
        *,
        of_batch_id: str,
        student_user_ids: Collection[str],
        item_refs: Collection[str],
        created_by: str,
        on_behalf_of: str | None,
        label: str,
    ) -> str:
        original = await repo.batch(uow.session, None, of_batch_id)
        if original is None:
            raise not_found(f"batch {of_batch_id}")
        students = await repo.students_by_user(uow.session, original["school_id"], student_user_ids)
        student_ids = [
            students[u]["student_id"] if u in students else u.removeprefix("student:") for u in student_user_ids
        ]
        now = self.deps.now()
        batch_id = str(uuid.uuid4())
        await repo.add_batch(
            uow.session,
            {
                "id": batch_id,
                "school_id": original["school_id"],
                "kind": original["kind"],
                "academic_year": original["academic_year"],
                "semester": original["semester"],
                "status": "draft",  # then the same pre-check, submission and central port
                "version": 1,
                "label": label[:100],
                "created_by": created_by,
                "created_at": now,
                "updated_at": now,
                "idempotency_key": f"batch-{batch_id}",
            },
        )
        await receipts_sql.add_correction_scope(
            uow.session,
            {
                "batch_id": batch_id,
                "correction_of": of_batch_id,
                "objection_id": None,
                "student_ids": student_ids,
                "item_refs": sorted(item_refs),
                "created_by": created_by,
                "created_at": now,
            },
        )
        await repo.write_audit(
            uow.session,
            entry_id=str(uuid.uuid4()),
            school_id=original["school_id"],
            actor=created_by,
            action="batch.correction_created",
            entity="batch",
            entity_id=batch_id,
            at=now,
            details={
                "correction_of": of_batch_id,
                "students": len(student_ids),
                "items": len(item_refs),
                "on_behalf_of": on_behalf_of,
            },
        )
        return batch_id
