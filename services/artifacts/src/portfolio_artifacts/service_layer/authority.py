"""Who may certify an outcome and who may see it (R-ART-3, R-ART-5), from identity's and records'
facts kept as read copies.

The course's certifiers are its reviewing teacher when co-taught, else its teachers (R-REC-2). One of
them certifies in their own name while available, or through an extended certification-only account
after leaving. Otherwise staff they authorised may certify on their behalf until the authorisation's
date, and when no certifier is available the next delegate in the school's order for the
``outcome_certification`` duty (identity's duty code), or the delegate identity reports as acting.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

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
)
from portfolio_artifacts.adapters.sql import Executor
from portfolio_artifacts.domain.outcomes import CertificationBasis
from portfolio_shared.auth import Principal
from portfolio_shared.permissions import Permission

CERTIFICATION_DUTY = "outcome_certification"  # identity's duty code (domain/duties.py)


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


async def delegates_now(session: Executor, school_id: str, today: date) -> set[str]:
    """The delegate(s) who act for the certification duty today: the first available delegate in
    the school's order (代理順位, R-DUTY-2) and the acting delegate identity reported, if available."""
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
    candidates: list[str] = list(order.delegate_user_ids) if order else []
    out: set[str] = set()
    away = await unavailable(session, school_id, candidates + ([acting.acting_user_id] if acting else []), today)
    nxt = next((u for u in candidates if u not in away), None)
    if nxt is not None:
        out.add(nxt)
    if acting is not None and acting.is_delegate and acting.acting_user_id and acting.acting_user_id not in away:
        out.add(acting.acting_user_id)
    return out


async def on_behalf_teachers(session: Executor, staff_user_id: str, school_id: str | None, today: date) -> set[str]:
    query = select(rc_on_behalf.c.teacher_user_id).where(
        rc_on_behalf.c.staff_user_id == staff_user_id, rc_on_behalf.c.revoked.is_(False), rc_on_behalf.c.until >= today
    )
    if school_id is not None:
        query = query.where(rc_on_behalf.c.school_id == school_id)
    return {r.teacher_user_id for r in await session.execute(query)}


async def resolve_authority(
    session: Executor, actor: Principal, school_id: str, course_id: str, today: date
) -> Authority | None:
    """On what basis ``actor`` may certify outcomes of ``course_id`` today, or None (R-ART-3, R-ART-5)."""
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
    away = await unavailable(session, school_id, people, today)
    if len(away) == len(people) and me in await delegates_now(session, school_id, today):
        return Authority(CertificationBasis.DELEGATE, people[0])
    return None


async def certifiable_courses(session: Executor, actor: Principal, today: date) -> set[str]:
    """Courses whose outcomes the actor certifies or may certify for someone (a teacher's view)."""
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
        if actor.user_id in await delegates_now(session, school_id, today):
            rows = await session.execute(
                select(rc_course_members.c.user_id)
                .join(rc_courses, rc_courses.c.course_id == rc_course_members.c.course_id)
                .where(rc_courses.c.school_id == school_id, rc_course_members.c.role == "certifier")
                .distinct()
            )
            teachers |= await unavailable(session, school_id, [r.user_id for r in rows], today)
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
    return courses
