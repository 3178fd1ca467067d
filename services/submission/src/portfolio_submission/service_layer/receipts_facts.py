"""What receipts, confirmation and objections need from the rest of the submission service: the
batch a receipt answers, what that batch sent per student (with national IDs, in memory only),
which students' enrolment ended, who acts for a duty, the school's time zone, and a correction
batch. One port (``ReceiptFacts``), so the use cases stay testable and the joins stay where the
batches live (``adapters/receipts_facts.py``)."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from portfolio_shared.db import UnitOfWork
from portfolio_shared.storage import ObjectStorage

from ..domain.objections import Acting
from ..domain.receipts import SubmittedItem


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
