"""SQL of the notification service: read copies, deliveries, leases (the API holds none)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from portfolio_shared.dialect import insert_for

from ..domain.model import Contact, Trigger, aware
from .crypto import FieldCipher
from .orm import (
    artifact_copies,
    contacts,
    course_teachers,
    deliveries,
    duties,
    job_leases,
    receipts,
    school_settings,
    sealed_students,
    template_overrides,
    windows,
)


def _aware(row: Any, *names: str) -> dict[str, Any]:
    out = dict(row)
    for name in names:
        out[name] = aware(out[name])
    return out


def _insert(session: AsyncSession, table: sa.Table) -> Any:
    return insert_for(session, table)


async def upsert(
    session: AsyncSession,
    table: sa.Table,
    values: dict[str, Any],
    keys: Sequence[str],
    update: Iterable[str] | None = None,
    newer: str | None = None,
) -> None:
    """Insert, or update ``update`` (default: every given column but the keys) on conflict.

    ``newer`` names a time column: the update applies only if this fact is not older than the
    stored one, so events that arrive out of order leave the newest fact (FOUNDATION: read copies).
    """
    stmt = _insert(session, table).values(**values)
    names = [k for k in values if k not in keys] if update is None else list(update)
    if newer is not None and names:
        names.append(newer)
    set_ = {k: stmt.excluded[k] for k in dict.fromkeys(names)}
    where = table.c[newer] <= stmt.excluded[newer] if newer is not None else None
    await session.execute(
        stmt.on_conflict_do_update(index_elements=list(keys), set_=set_, where=where)
        if set_
        else stmt.on_conflict_do_nothing()
    )


async def window(session: AsyncSession, school_id: str, year: int, semester: int, phase: str) -> dict[str, Any]:
    row = (
        (
            await session.execute(
                sa.select(windows).where(
                    windows.c.school_id == school_id,
                    windows.c.academic_year == year,
                    windows.c.semester == semester,
                    windows.c.phase == phase,
                )
            )
        )
        .mappings()
        .one()
    )
    return _aware(row, "starts_at", "ends_at")


# --- contacts (read copy; encrypted at rest) -----------------------------------------------------


async def keep_contact(session: AsyncSession, cipher: FieldCipher, values: dict[str, Any]) -> None:
    """Merge the given fields into the contact; absent fields stay as they are."""
    row = dict(values)
    if "email" in row:
        email = row.pop("email")
        row["email_enc"] = cipher.encrypt(email) if email else None
    if "postal" in row:
        postal = row.pop("postal")
        row["postal_enc"] = cipher.encrypt("\n".join(postal)) if postal else None
    await upsert(session, contacts, row, ["user_id"])


async def load_contacts(session: AsyncSession, user_ids: Iterable[str]) -> dict[str, Contact]:
    ids = list(dict.fromkeys(user_ids))
    found: dict[str, Contact] = {}
    for start in range(0, len(ids), 5000):
        result = await session.execute(sa.select(contacts).where(contacts.c.user_id.in_(ids[start : start + 5000])))
        for r in result.mappings():
            found[r["user_id"]] = Contact(
                user_id=r["user_id"],
                school_id=r["school_id"] or "",
                display_name=r["display_name"],
                kind=r["kind"],
                left=r["left_school"],
                email="present" if r["email_enc"] else None,  # channels only need to know there is one
                has_postal_address=r["postal_enc"] is not None,
                email_reminders=r["email_reminders"],
            )
    return found


async def postal_addresses(session: AsyncSession, cipher: FieldCipher, user_ids: Iterable[str]) -> dict[str, list[str]]:
    result = await session.execute(
        sa.select(contacts.c.user_id, contacts.c.postal_enc).where(
            contacts.c.user_id.in_(list(user_ids)), contacts.c.postal_enc.is_not(None)
        )
    )
    return {uid: cipher.decrypt(enc).split("\n") for uid, enc in result.all()}


async def students_of(session: AsyncSession, school_id: str) -> list[str]:
    result = await session.execute(
        sa.select(contacts.c.user_id).where(
            contacts.c.school_id == school_id,
            contacts.c.kind == "student",
            contacts.c.left_school.is_(False),
            contacts.c.user_id.not_in(_sealed_users()),  # a graduate gets no reminders (R-RET-1)
        )
    )
    return list(result.scalars())


def _sealed_users() -> Any:
    return sa.select(sealed_students.c.user_id).where(sealed_students.c.user_id.is_not(None))


async def set_email_reminders(session: AsyncSession, user_id: str, on: bool) -> None:
    await upsert(session, contacts, {"user_id": user_id, "email_reminders": on}, ["user_id"])


async def contact_row(session: AsyncSession, user_id: str) -> dict[str, Any] | None:
    row = (await session.execute(sa.select(contacts).where(contacts.c.user_id == user_id))).mappings().first()
    return dict(row) if row else None


# --- windows, assignments, artifacts, receipts, duties -------------------------------------------


async def open_windows(session: AsyncSession, now: datetime, phases: Iterable[str]) -> list[dict[str, Any]]:
    result = await session.execute(sa.select(windows).where(windows.c.ends_at > now, windows.c.phase.in_(list(phases))))
    return [_aware(r, "starts_at", "ends_at") for r in result.mappings()]


async def uncertified_by_certifier(
    session: AsyncSession, school_id: str, academic_year: int, semester: int
) -> dict[str, int]:
    """Outcomes awaiting certification per certifying teacher (R-ART-3, R-SCHED-2)."""
    per_course = await session.execute(
        sa.select(artifact_copies.c.course_id, sa.func.count())
        .where(
            artifact_copies.c.school_id == school_id,
            artifact_copies.c.kind == "outcome",
            artifact_copies.c.status == "uploaded",
            artifact_copies.c.academic_year == academic_year,
            artifact_copies.c.semester == semester,
            artifact_copies.c.student_user_id.not_in(_sealed_users()),  # sealed: nothing to certify (R-RET-1)
        )
        .group_by(artifact_copies.c.course_id)
    )
    by_course = dict(per_course.tuples().all())
    certifiers = await session.execute(
        sa.select(course_teachers.c.course_id, course_teachers.c.certifier_user_ids).where(
            course_teachers.c.course_id.in_([c for c in by_course if c is not None])
        )
    )
    counts: dict[str, int] = {}
    for course_id, teachers in certifiers.tuples().all():
        for teacher in teachers:
            counts[teacher] = counts.get(teacher, 0) + by_course[course_id]
    return counts


async def students_with_artifacts(
    session: AsyncSession, school_id: str, kind: str, academic_year: int, semester: int | None, selected: bool
) -> set[str]:
    q = sa.select(artifact_copies.c.student_user_id).where(
        artifact_copies.c.school_id == school_id,
        artifact_copies.c.kind == kind,
        artifact_copies.c.academic_year == academic_year,
        artifact_copies.c.status != "withdrawn",
    )
    if semester is not None:
        q = q.where(artifact_copies.c.semester == semester)
    if selected:
        q = q.where(artifact_copies.c.selected.is_(True))
    return set((await session.execute(q.distinct())).scalars())


async def set_artifact(session: AsyncSession, values: dict[str, Any], update: Iterable[str], newer: str) -> None:
    await upsert(session, artifact_copies, values, ["artifact_id"], update, newer)


async def receipt(session: AsyncSession, receipt_id: str) -> dict[str, Any] | None:
    row = (await session.execute(sa.select(receipts).where(receipts.c.receipt_id == receipt_id))).mappings().first()
    return _aware(row, "opens_at", "closes_at") if row else None


async def acting_for(session: AsyncSession, school_id: str, duty_code: str) -> str | None:
    """The acting person, else the first responsible, else the first delegate (R-DUTY-2)."""
    row = (
        (
            await session.execute(
                sa.select(duties).where(duties.c.school_id == school_id, duties.c.duty_code == duty_code)
            )
        )
        .mappings()
        .first()
    )
    if row is None:
        return None
    for candidate in [row["acting_user_id"], *row["responsible_user_ids"], *row["delegate_user_ids"]]:
        if candidate:
            return str(candidate)
    return None


# --- school settings and templates ----------------------------------------------------------------


async def school(session: AsyncSession, school_id: str) -> dict[str, Any] | None:
    row = (
        (await session.execute(sa.select(school_settings).where(school_settings.c.school_id == school_id)))
        .mappings()
        .first()
    )
    return dict(row) if row else None


async def overrides(session: AsyncSession, school_id: str, trigger: Trigger) -> dict[str, tuple[str, str]]:
    result = await session.execute(
        sa.select(template_overrides.c.channel, template_overrides.c.subject, template_overrides.c.body).where(
            template_overrides.c.school_id == school_id, template_overrides.c.trigger == trigger.value
        )
    )
    return {channel: (subject, body) for channel, subject, body in result.all()}


# --- deliveries -----------------------------------------------------------------------------------


async def insert_new_deliveries(session: AsyncSession, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Insert, skipping (trigger, recipient, channel) already recorded; return the rows that are new."""
    new: list[dict[str, Any]] = []
    for start in range(0, len(rows), 1000):
        chunk = rows[start : start + 1000]
        # Parameters passed apart from the statement (SQLAlchemy's "insertmanyvalues"): the statement is
        # compiled once and cached, not rebuilt with a thousand rows of bound values per chunk.
        stmt = (
            _insert(session, deliveries)
            .on_conflict_do_nothing(index_elements=["trigger_key", "recipient_user_id", "channel"])
            .returning(deliveries.c.id)
        )
        ids = set((await session.execute(stmt, chunk)).scalars())
        new += [r for r in chunk if r["id"] in ids]
    return new


async def claim_due_emails(session: AsyncSession, now: datetime, until: datetime, limit: int) -> list[dict[str, Any]]:
    """Due pending e-mails, locked against other replicas, their claim moved to ``until``."""
    ids = list(
        (
            await session.execute(
                sa.select(deliveries.c.id)
                .where(
                    deliveries.c.channel == "email",
                    deliveries.c.status == "pending",
                    deliveries.c.next_attempt_at <= now,
                )
                .order_by(deliveries.c.next_attempt_at)
                .limit(limit)
                .with_for_update(skip_locked=True)
            )
        ).scalars()
    )
    if not ids:
        return []
    await session.execute(
        sa.update(deliveries)
        .where(deliveries.c.id.in_(ids))
        .values(next_attempt_at=until, attempts=deliveries.c.attempts + 1)
    )
    result = await session.execute(
        sa.select(
            deliveries.c.id,
            deliveries.c.recipient_user_id,
            deliveries.c.school_id,
            deliveries.c.trigger,
            deliveries.c.subject,
            deliveries.c.body,
            deliveries.c.attempts,
            contacts.c.email_enc,
        )
        .select_from(deliveries.outerjoin(contacts, contacts.c.user_id == deliveries.c.recipient_user_id))
        .where(deliveries.c.id.in_(ids))
    )
    return [dict(r) for r in result.mappings()]


async def mark_sent(session: AsyncSession, ids: list[uuid.UUID], now: datetime) -> None:
    for start in range(0, len(ids), 5000):
        await session.execute(
            sa.update(deliveries)
            .where(deliveries.c.id.in_(ids[start : start + 5000]))
            .values(status="sent", sent_at=now, next_attempt_at=None, last_error=None)
        )


async def mark_failed(
    session: AsyncSession, delivery_id: uuid.UUID, error: str, next_attempt_at: datetime | None
) -> None:
    values: dict[str, Any] = {"last_error": error[:300]}
    if next_attempt_at is None:
        values |= {"status": "failed", "next_attempt_at": None}
    else:
        values["next_attempt_at"] = next_attempt_at
    await session.execute(sa.update(deliveries).where(deliveries.c.id == delivery_id).values(**values))


async def delivery(session: AsyncSession, delivery_id: uuid.UUID) -> dict[str, Any] | None:
    row = (await session.execute(sa.select(deliveries).where(deliveries.c.id == delivery_id))).mappings().first()
    return dict(row) if row else None


async def requeue(session: AsyncSession, delivery_id: uuid.UUID, now: datetime) -> None:
    await session.execute(
        sa.update(deliveries)
        .where(deliveries.c.id == delivery_id)
        .values(status="pending", attempts=0, next_attempt_at=now, last_error=None)
    )


async def inbox_page(
    session: AsyncSession, user_id: str, school_ids: Sequence[str], unread_only: bool, limit: int, offset: int
) -> tuple[list[dict[str, Any]], int]:
    where = [
        deliveries.c.recipient_user_id == user_id,
        deliveries.c.channel == "inbox",
        deliveries.c.school_id.in_(list(school_ids)),
    ]
    if unread_only:
        where.append(deliveries.c.read_at.is_(None))
    total = (await session.execute(sa.select(sa.func.count()).select_from(deliveries).where(*where))).scalar_one()
    result = await session.execute(
        sa.select(
            deliveries.c.id,
            deliveries.c.school_id,
            deliveries.c.trigger,
            deliveries.c.subject,
            deliveries.c.body,
            deliveries.c.created_at,
            deliveries.c.read_at,
        )
        .where(*where)
        .order_by(deliveries.c.created_at.desc(), deliveries.c.id)
        .limit(limit)
        .offset(offset)
    )
    return [_aware(r, "created_at", "read_at") for r in result.mappings()], int(total)


async def mark_read(
    session: AsyncSession, user_id: str, school_ids: Sequence[str], message_id: uuid.UUID, now: datetime
) -> bool:
    where = [
        deliveries.c.id == message_id,
        deliveries.c.recipient_user_id == user_id,
        deliveries.c.channel == "inbox",
        deliveries.c.school_id.in_(list(school_ids)),
    ]
    found = (await session.execute(sa.select(deliveries.c.read_at).where(*where))).first()
    if found is None:
        return False
    if found[0] is None:
        await session.execute(sa.update(deliveries).where(*where).values(read_at=now))
    return True


async def deliveries_page(
    session: AsyncSession, school_id: str, status: str | None, channel: str | None, limit: int, offset: int
) -> tuple[list[dict[str, Any]], int]:
    where: list[Any] = [deliveries.c.school_id == school_id]
    if status:
        where.append(deliveries.c.status == status)
    if channel:
        where.append(deliveries.c.channel == channel)
    total = (await session.execute(sa.select(sa.func.count()).select_from(deliveries).where(*where))).scalar_one()
    result = await session.execute(
        sa.select(
            deliveries.c.id,
            deliveries.c.trigger_key,
            deliveries.c.recipient_user_id,
            deliveries.c.channel,
            deliveries.c.trigger,
            deliveries.c.status,
            deliveries.c.attempts,
            deliveries.c.last_error,
            deliveries.c.created_at,
            deliveries.c.sent_at,
        )
        .where(*where)
        .order_by(deliveries.c.created_at.desc(), deliveries.c.id)
        .limit(limit)
        .offset(offset)
    )
    return [_aware(r, "created_at", "sent_at") for r in result.mappings()], int(total)


async def letters(
    session: AsyncSession, school_id: str, trigger_keys: Sequence[str] | None, delivery_id: uuid.UUID | None
) -> list[dict[str, Any]]:
    q = sa.select(deliveries).where(
        deliveries.c.school_id == school_id, deliveries.c.channel == "postal", deliveries.c.status == "ready"
    )
    if trigger_keys is not None:
        q = q.where(deliveries.c.trigger_key.in_(list(trigger_keys)))
    if delivery_id is not None:
        q = q.where(deliveries.c.id == delivery_id)
    result = await session.execute(q.order_by(deliveries.c.recipient_user_id))
    return [dict(r) for r in result.mappings()]


# --- scheduler lease ------------------------------------------------------------------------------


async def take_lease(session: AsyncSession, name: str, holder: str, now: datetime, until: datetime) -> bool:
    """True if ``holder`` now holds the lease: it was free, expired, or already its own."""
    result = await session.execute(
        sa.update(job_leases)
        .where(job_leases.c.name == name, sa.or_(job_leases.c.holder == holder, job_leases.c.expires_at < now))
        .values(holder=holder, expires_at=until)
    )
    if getattr(result, "rowcount", 0) == 1:
        return True
    inserted = await session.execute(
        _insert(session, job_leases)
        .values(name=name, holder=holder, expires_at=until)
        .on_conflict_do_nothing(index_elements=["name"])
    )
    return bool(getattr(inserted, "rowcount", 0) == 1)


# --- retention (R-RET-1) ----------------------------------------------------------------------------


async def erase_people(session: AsyncSession, user_ids: list[str]) -> dict[str, list[str]]:
    """Delete what this service holds about these people: contact data (names, e-mail and postal
    addresses), every message to them (inbox, e-mail, letters) and the copies of their items."""
    deleted: dict[str, list[str]] = {}
    for kind, table, column, key in (
        ("messages", deliveries, deliveries.c.recipient_user_id, deliveries.c.id),
        ("artifact_copies", artifact_copies, artifact_copies.c.student_user_id, artifact_copies.c.artifact_id),
        ("contacts", contacts, contacts.c.user_id, contacts.c.user_id),
    ):
        ids = (await session.execute(sa.select(key).where(column.in_(user_ids)))).scalars().all()
        deleted[kind] = [str(i) for i in ids]
        await session.execute(sa.delete(table).where(column.in_(user_ids)))
    return deleted


async def erased(session: AsyncSession, user_id: str) -> bool:
    """True when this person's data was deleted (R-RET-1): a late event must not bring it back."""
    query = sa.select(sealed_students.c.student_id).where(
        sealed_students.c.user_id == user_id, sealed_students.c.deleted_at.is_not(None)
    )
    return (await session.execute(query.limit(1))).first() is not None
