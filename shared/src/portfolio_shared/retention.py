"""Sealing and deletion at every service (R-RET-1): the pieces a service joins with a few lines.

Records coordinates (it owns enrolment and the date a student completed senior high) and publishes
``StudentSealed`` and ``DeletionRequested`` (``portfolio_shared.events.retention``). A service that
holds students' data joins like this:

1. a ``sealed_students`` table in its ORM (``sealed_students_table(metadata)``) and a migration that
   creates it (``create_sealed_students(op)`` in the migration's ``upgrade``);
2. every mutation of a student's data calls ``ensure_not_sealed(session, table, user_id=…)`` (or
   ``student_id=…``) first — a sealed student's data is read-only, refused with 409
   ``student-sealed`` citing R-RET-1;
3. an eraser ``async def erase(uow, request) -> ErasureReport`` that deletes the students' rows (and
   stored objects) in ``uow``'s transaction and tallies what it deleted with ``ErasureTally``;
4. ``join_retention(subscriptions, service="…", sealed=table, erase=erase)`` on the service's
   subscriptions of records' events, plus the two events in ``events/subscribers.py``.

The runtime's inbox makes a redelivered request a no-op; a second request for the same students
(records' purge retrying, say) finds nothing left and confirms zero counts. The confirmation
carries counts and SHA-256 digests over the sorted identifiers of what was deleted — never the
data. The seal row stays after the deletion (ids and dates only) so that a late event cannot bring
the student's data back.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Column, Date, DateTime, Index, MetaData, PrimaryKeyConstraint, String, Table, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from .clock import utcnow
from .db import UnitOfWork
from .dialect import insert_for
from .errors import Conflict
from .events.base import Envelope
from .events.retention import CONFIRMATIONS, DeletionRequested, StudentSealed
from .messaging import Subscriptions

SEALED_TABLE = "sealed_students"
RULE = "R-RET-1"


def sealed_students_table(metadata: MetaData) -> Table:
    """Who is sealed at this service (from records' ``StudentSealed``), and when their data went."""
    return Table(SEALED_TABLE, metadata, *_columns(), Index(f"ix_{SEALED_TABLE}_user_id", "user_id"))


def _columns(*, key: bool = True) -> list[Any]:
    return [
        Column("student_id", String(64), primary_key=key, nullable=False),  # records' student id
        Column("user_id", String(64), nullable=True),  # identity's user id, when linked
        Column("school_id", String(64), nullable=False),
        Column("completed_on", Date, nullable=False),
        Column("deletable_from", Date, nullable=False),
        Column("sealed_at", DateTime(timezone=True), nullable=False),
        Column("deleted_at", DateTime(timezone=True), nullable=True),
        Column("deletion_request_id", String(64), nullable=True),
    ]


def create_sealed_students(op: Any) -> None:
    """For a migration's ``upgrade()``: ``op.create_table`` of the table above (PostgreSQL and SQLite)."""
    op.create_table(
        SEALED_TABLE,
        *_columns(key=False),
        PrimaryKeyConstraint("student_id", name=op.f(f"pk_{SEALED_TABLE}")),
    )
    op.create_index(op.f(f"ix_{SEALED_TABLE}_user_id"), SEALED_TABLE, ["user_id"])


class StudentSealedError(Conflict):
    """A graduate's data is sealed: read-only until it is deleted (R-RET-1)."""

    code = "student-sealed"
    title_en = "The student's data is sealed after graduation"
    title_zh = "學生已畢業，資料已封存（唯讀）"
    default_rule = RULE


def _match(table: Table, *, user_id: str | None, student_id: str | None) -> Any:
    if user_id is None and student_id is None:
        raise ValueError("name the student by user_id or student_id")
    clauses = []
    if user_id is not None:
        clauses.append(table.c.user_id == user_id)
    if student_id is not None:
        clauses.append(table.c.student_id == str(student_id))
    return or_(*clauses)


async def is_sealed(session: AsyncSession, table: Table, *, user_id: str | None = None, student_id: Any = None) -> bool:
    query = select(table.c.student_id).where(_match(table, user_id=user_id, student_id=student_id)).limit(1)
    return (await session.execute(query)).first() is not None


async def ensure_not_sealed(
    session: AsyncSession, table: Table, *, user_id: str | None = None, student_id: Any = None, action: str = "change"
) -> None:
    """Refuse ``action`` on a sealed student's data (R-RET-1)."""
    if await is_sealed(session, table, user_id=user_id, student_id=student_id):
        raise StudentSealedError(
            f"The student graduated and their data is sealed (read-only): cannot {action} (R-RET-1)",
            "學生已畢業，資料已封存，不得變更",
        )


async def keep_seal(session: AsyncSession, table: Table, event: StudentSealed, occurred_at: datetime) -> None:
    """Upsert the seal (a repeated or re-dated graduation moves the dates, never un-deletes)."""
    values = {
        "student_id": event.student_id,
        "user_id": event.user_id,
        "school_id": event.school_id,
        "completed_on": event.completed_on,
        "deletable_from": event.deletable_from,
        "sealed_at": occurred_at,
    }
    stmt = insert_for(session, table).values(**values)
    changed = {k: stmt.excluded[k] for k in ("user_id", "school_id", "completed_on", "deletable_from")}
    await session.execute(stmt.on_conflict_do_update(index_elements=[table.c.student_id], set_=changed))


async def mark_deleted(session: AsyncSession, table: Table, request: DeletionRequested, at: datetime) -> None:
    """Keep the seal row (ids and dates only) as the tombstone of the deletion."""
    for ref in request.students:
        stmt = insert_for(session, table).values(
            student_id=ref.student_id,
            user_id=ref.user_id,
            school_id=request.school_id,
            completed_on=at.date(),  # a deletion seen before its seal: the seal's dates are unknown here
            deletable_from=at.date(),
            sealed_at=at,
            deleted_at=at,
            deletion_request_id=request.request_id,
        )
        await session.execute(
            stmt.on_conflict_do_update(
                index_elements=[table.c.student_id],
                set_={"deleted_at": at, "deletion_request_id": request.request_id},
            )
        )


def digest(identifiers: Iterable[str]) -> str:
    """SHA-256 (hex) over the sorted identifiers, one per line: order-independent, data-free."""
    return hashlib.sha256("\n".join(sorted(identifiers)).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class ErasureReport:
    counts: dict[str, int]
    digests: dict[str, str]


@dataclass
class ErasureTally:
    """What an eraser deleted, per kind: identifiers in, counts and digests out."""

    _ids: dict[str, list[str]] = field(default_factory=dict)

    def add(self, kind: str, identifiers: Iterable[Any]) -> None:
        self._ids.setdefault(kind, []).extend(str(i) for i in identifiers)

    def report(self) -> ErasureReport:
        return ErasureReport(
            counts={kind: len(ids) for kind, ids in sorted(self._ids.items())},
            digests={kind: digest(ids) for kind, ids in sorted(self._ids.items())},
        )


Eraser = Callable[[UnitOfWork, DeletionRequested], Awaitable[ErasureReport]]
SealHook = Callable[[UnitOfWork, StudentSealed], Awaitable[None]]


def join_retention(
    subscriptions: Subscriptions,
    *,
    service: str,
    sealed: Table,
    erase: Eraser,
    clock: Callable[[], datetime] = utcnow,
    on_seal: SealHook | None = None,
) -> Subscriptions:
    """Handle records' ``StudentSealed`` and ``DeletionRequested`` on ``subscriptions`` (R-RET-1).

    The eraser runs in the event's transaction (the inbox row commits with it); the confirmation
    goes to the outbox in the same transaction, so a crash either redoes both or neither.
    """
    confirmation = CONFIRMATIONS[service]

    @subscriptions.on(StudentSealed)
    async def seal(event: StudentSealed, envelope: Envelope, uow: UnitOfWork) -> None:
        await keep_seal(uow.session, sealed, event, envelope.occurred_at)
        if on_seal is not None:  # e.g. identity closes the graduate's account
            await on_seal(uow, event)

    @subscriptions.on(DeletionRequested)
    async def delete(event: DeletionRequested, envelope: Envelope, uow: UnitOfWork) -> None:
        report = await erase(uow, event)
        at = clock()
        await mark_deleted(uow.session, sealed, event, at)
        uow.publish(
            confirmation(
                request_id=event.request_id,
                school_id=event.school_id,
                service=service,  # type: ignore[arg-type]  # a RetentionService: CONFIRMATIONS has it
                counts=report.counts,
                digests=report.digests,
                deleted_at=at,
            ),
            school_id=event.school_id,
            actor="system:retention",
        )

    return subscriptions


__all__ = [
    "Eraser",
    "ErasureReport",
    "ErasureTally",
    "SealHook",
    "StudentSealedError",
    "create_sealed_students",
    "digest",
    "ensure_not_sealed",
    "is_sealed",
    "join_retention",
    "keep_seal",
    "mark_deleted",
    "sealed_students_table",
]
