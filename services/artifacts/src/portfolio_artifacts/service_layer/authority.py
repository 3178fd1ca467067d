"""Who may certify an outcome and who may see it (R-ART-3, R-ART-5), from identity's and records'
facts kept as read copies.

The course's certifiers are its reviewing teacher when co-taught, else its teachers (R-REC-2). One of
them certifies in their own name while available, or through an extended certification-only account
after leaving. Otherwise staff they authorised may certify on their behalf until the authorisation's
date. A delegate steps in per course teacher (``domain.delegation``): only for the courses whose
certifiers cannot help (left and not extended, or absent through the certification window's end) and
authorised nobody who can act, and only the next available delegate in the school's order for the
``outcome_certification`` duty (identity's duty code), or the delegate identity reports as acting.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select

from portfolio_artifacts.adapters.orm import (
    rc_absences,
    rc_acting,
    rc_course_members,
    rc_courses,
    rc_delegations,
    rc_extensions,
    rc_on_behalf,
    rc_users,
    rc_windows,
)
from portfolio_artifacts.adapters.sql import Executor
from portfolio_artifacts.domain.delegation import Person, SchoolFacts
from portfolio_artifacts.domain.outcomes import CertificationBasis
from portfolio_shared.auth import Principal
from portfolio_shared.permissions import Permission

CERTIFICATION_DUTY = "outcome_certification"  # identity's duty code (domain/duties.py)


@dataclass(frozen=True, slots=True)
class Moment:
    """Now, and the school's time zone: certification windows end at an instant, absences on days."""

    now: datetime
    tz: ZoneInfo

    @property
    def today(self) -> date:
        return self.now.astimezone(self.tz).date()


@dataclass(frozen=True, slots=True)
class Authority:
    basis: CertificationBasis
    on_behalf_of: str | None


async def certifiers(session: Executor, course_id: str) -> tuple[list[str], bool]:
    """(certifier ids, co-taught?) of a course."""
    row = (await session.execute(select(rc_courses).where(rc_courses.c.course_id == course_id))).first()
    if row is None:
        return [], False
    if row.reviewing_teacher_user_id:
        return [row.reviewing_teacher_user_id], True
    return list(row.teacher_user_ids), False


async def _extended(session: Executor, school_id: str, user_ids: Iterable[str], today: date) -> set[str]:
    ids = list(user_ids)
    if not ids:
        return set()
    rows = await session.execute(
        select(rc_extensions.c.user_id).where(
            rc_extensions.c.school_id == school_id, rc_extensions.c.user_id.in_(ids), rc_extensions.c.until >= today
        )
    )
    return {r.user_id for r in rows}


async def unavailable(session: Executor, school_id: str, user_ids: Iterable[str], today: date) -> set[str]:
    """Users who cannot act today: left or suspended (unless their account was extended), or absent."""
    ids = list(dict.fromkeys(user_ids))
    if not ids:
        return set()
    gone_rows = await session.execute(
        select(rc_users.c.user_id).where(
            rc_users.c.user_id.in_(ids),
            rc_users.c.status != "active",
            or_(rc_users.c.end_date.is_(None), rc_users.c.end_date <= today),
        )
    )
    gone = {r.user_id for r in gone_rows} - await _extended(session, school_id, ids, today)
    absent_rows = await session.execute(
        select(rc_absences.c.user_id).where(
            rc_absences.c.school_id == school_id,
            rc_absences.c.user_id.in_(ids),
            rc_absences.c.starts_on <= today,
            rc_absences.c.ends_on >= today,
            rc_absences.c.cleared.is_(False),
        )
    )
    return gone | {r.user_id for r in absent_rows}


async def may_be_delegate(session: Executor, school_id: str, user_id: str) -> bool:
    """Cheap first test: named in the school's certification order, or identity's acting delegate.
    Everyone else is never a delegate, so their requests skip loading the school's facts."""
    order = (
        await session.execute(
            select(rc_delegations.c.delegate_user_ids).where(
                rc_delegations.c.school_id == school_id, rc_delegations.c.duty_code == CERTIFICATION_DUTY
            )
        )
    ).first()
    if order is not None and user_id in order.delegate_user_ids:
        return True
    acting = (
        await session.execute(
            select(rc_acting.c.acting_user_id).where(
                rc_acting.c.school_id == school_id,
                rc_acting.c.duty_code == CERTIFICATION_DUTY,
                rc_acting.c.is_delegate.is_(True),
            )
        )
    ).first()
    return acting is not None and acting.acting_user_id == user_id


async def school_facts(session: Executor, school_id: str, today: date) -> SchoolFacts:
    """Everything the per-teacher delegation needs about a school, read once (R-ART-5, R-DUTY-2)."""
    order = (
        await session.execute(
            select(rc_delegations.c.delegate_user_ids).where(
                rc_delegations.c.school_id == school_id, rc_delegations.c.duty_code == CERTIFICATION_DUTY
            )
        )
    ).first()
    acting = (
        await session.execute(
            select(rc_acting).where(rc_acting.c.school_id == school_id, rc_acting.c.duty_code == CERTIFICATION_DUTY)
        )
    ).first()
    absences: dict[str, list[tuple[date, date]]] = {}
    for r in await session.execute(
        select(rc_absences.c.user_id, rc_absences.c.starts_on, rc_absences.c.ends_on).where(
            rc_absences.c.school_id == school_id, rc_absences.c.ends_on >= today, rc_absences.c.cleared.is_(False)
        )
    ):
        absences.setdefault(r.user_id, []).append((r.starts_on, r.ends_on))
    extensions = {
        r.user_id: r.until
        for r in await session.execute(
            select(rc_extensions.c.user_id, rc_extensions.c.until).where(rc_extensions.c.school_id == school_id)
        )
    }
    on_behalf: dict[str, set[str]] = {}
    for r in await session.execute(
        select(rc_on_behalf.c.teacher_user_id, rc_on_behalf.c.staff_user_id).where(
            rc_on_behalf.c.school_id == school_id, rc_on_behalf.c.revoked.is_(False), rc_on_behalf.c.until >= today
        )
    ):
        on_behalf.setdefault(r.teacher_user_id, set()).add(r.staff_user_id)
    delegate_order = list(order.delegate_user_ids) if order else []
    acting_delegate = acting.acting_user_id if acting is not None and acting.is_delegate else None
    ids = set(absences) | set(extensions) | set(delegate_order) | {s for v in on_behalf.values() for s in v}
    ids |= set(on_behalf) | ({acting_delegate} if acting_delegate else set())
    # Teachers of the school's courses too: whether each of them left is what decides.
    for r in await session.execute(
        select(rc_course_members.c.user_id)
        .join(rc_courses, rc_courses.c.course_id == rc_course_members.c.course_id)
        .where(rc_courses.c.school_id == school_id, rc_course_members.c.role == "certifier")
        .distinct()
    ):
        ids.add(r.user_id)
    status = {
        r.user_id: (r.status, r.end_date)
        for r in await session.execute(
            select(rc_users.c.user_id, rc_users.c.status, rc_users.c.end_date).where(
                rc_users.c.user_id.in_(sorted(ids))
            )
        )
    }
    people = {
        uid: Person(
            status=status.get(uid, ("active", None))[0],
            end_date=status.get(uid, ("active", None))[1],
            extended_until=extensions.get(uid),
            absences=tuple(absences.get(uid, ())),
        )
        for uid in ids
    }
    return SchoolFacts(
        people=people,
        delegate_order=delegate_order,
        acting_delegate=acting_delegate,
        on_behalf={k: frozenset(v) for k, v in on_behalf.items()},
    )


async def certification_last_days(
    session: Executor, school_id: str, tz: ZoneInfo, now: datetime
) -> dict[tuple[int, int], date]:
    """(academic year, semester) → the last school-local day of that term's certification window
    (the window open now, else the latest one set)."""
    rows = await session.execute(
        select(rc_windows.c.academic_year, rc_windows.c.semester, rc_windows.c.starts_at, rc_windows.c.ends_at).where(
            rc_windows.c.school_id == school_id, rc_windows.c.phase == "outcome_certification"
        )
    )
    out: dict[tuple[int, int], tuple[bool, datetime]] = {}
    for r in rows:
        key = (r.academic_year, r.semester)
        candidate = (r.starts_at <= now < r.ends_at, r.ends_at)
        if key not in out or candidate > out[key]:
            out[key] = candidate
    # ends_at is exclusive: the window's last instant is just before it.
    return {k: (v[1] - timedelta(microseconds=1)).astimezone(tz).date() for k, v in out.items()}


async def on_behalf_teachers(session: Executor, staff_user_id: str, school_id: str | None, today: date) -> set[str]:
    query = select(rc_on_behalf.c.teacher_user_id).where(
        rc_on_behalf.c.staff_user_id == staff_user_id, rc_on_behalf.c.revoked.is_(False), rc_on_behalf.c.until >= today
    )
    if school_id is not None:
        query = query.where(rc_on_behalf.c.school_id == school_id)
    return {r.teacher_user_id for r in await session.execute(query)}


async def resolve_authority(
    session: Executor, actor: Principal, school_id: str, course_id: str, today: date, last_day: date | None
) -> Authority | None:
    """On what basis ``actor`` may certify outcomes of ``course_id`` today, or None (R-ART-3, R-ART-5).

    ``last_day``: the last day of the course term's certification window (None: not known), which
    decides whether an absent teacher can still certify before it closes.
    """
    if not (
        actor.can(Permission.OUTCOME_CERTIFY, school_id) or actor.can(Permission.OUTCOME_CERTIFY_ON_BEHALF, school_id)
    ):
        return None
    people, co_taught = await certifiers(session, course_id)
    if not people:
        return None
    me = actor.user_id
    if me in people:
        # A certifier who is still active certifies in their own name, even while marked absent.
        left = (
            await session.execute(
                select(rc_users.c.status).where(rc_users.c.user_id == me, rc_users.c.status != "active")
            )
        ).first()
        if left is None:
            return Authority(CertificationBasis.REVIEWING_TEACHER if co_taught else CertificationBasis.TEACHER, None)
        if me in await _extended(session, school_id, [me], today):
            return Authority(CertificationBasis.EXTENDED_ACCOUNT, None)
        return None
    authorised_by = await on_behalf_teachers(session, me, school_id, today)
    for teacher in people:
        if teacher in authorised_by:
            return Authority(CertificationBasis.ON_BEHALF_AUTHORISATION, teacher)
    if not await may_be_delegate(session, school_id, me):
        return None
    facts = await school_facts(session, school_id, today)
    stepping_in = facts.delegate_for(people, today, last_day)
    if stepping_in is not None and stepping_in[0] == me:
        return Authority(CertificationBasis.DELEGATE, stepping_in[1])
    return None


async def certifiable_courses(session: Executor, actor: Principal, at: Moment) -> set[str]:
    """Courses whose outcomes the actor certifies or may certify for someone (a teacher's view)."""
    today = at.today
    schools = [
        s
        for s in actor.school_ids
        if actor.can(Permission.OUTCOME_CERTIFY, s) or actor.can(Permission.OUTCOME_CERTIFY_ON_BEHALF, s)
    ]
    if not schools:
        return set()
    own = await session.execute(
        select(rc_course_members.c.course_id).where(
            rc_course_members.c.user_id == actor.user_id, rc_course_members.c.role == "certifier"
        )
    )
    courses = {r.course_id for r in own}
    for school_id in schools:
        teachers = await on_behalf_teachers(session, actor.user_id, school_id, today)
        if teachers:
            rows = await session.execute(
                select(rc_course_members.c.course_id)
                .join(rc_courses, rc_courses.c.course_id == rc_course_members.c.course_id)
                .where(
                    rc_courses.c.school_id == school_id,
                    rc_course_members.c.role == "certifier",
                    rc_course_members.c.user_id.in_(teachers),
                )
            )
            courses |= {r.course_id for r in rows}
        if not await may_be_delegate(session, school_id, actor.user_id):
            continue
        facts = await school_facts(session, school_id, today)
        if actor.user_id != facts.next_delegate(today):
            continue
        last_days = await certification_last_days(session, school_id, at.tz, at.now)
        for course in await session.execute(select(rc_courses).where(rc_courses.c.school_id == school_id)):
            people = [course.reviewing_teacher_user_id] if course.reviewing_teacher_user_id else course.teacher_user_ids
            last_day = last_days.get((course.academic_year, course.semester))
            if facts.delegate_for(list(people), today, last_day) is not None:
                courses.add(course.course_id)
    return courses
