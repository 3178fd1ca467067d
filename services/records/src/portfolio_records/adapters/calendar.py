"""Statements of the school calendar: phase windows, the school's settings and artifact caps
(R-SCHED-1, R-REC-1, R-DUTY-3, R-ART-2, R-PERF-1)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Row, RowMapping, delete, insert, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from .orm import artifact_caps, phase_windows, school_settings


# -- the school's settings (time zone, standing SIS import window) -----------------------------------
async def school_settings_row(session: AsyncSession, school_id: str) -> Row[Any] | None:
    return (await session.execute(select(school_settings).where(school_settings.c.school_id == school_id))).first()


async def replace_school_settings(session: AsyncSession, school_id: str, values: Mapping[str, Any]) -> None:
    await session.execute(delete(school_settings).where(school_settings.c.school_id == school_id))
    await session.execute(insert(school_settings).values(school_id=school_id, **values))


# -- phase windows ----------------------------------------------------------------------------------
async def window_spans(
    session: AsyncSession, school_id: str, phase: str, terms: Sequence[tuple[int, int]]
) -> Sequence[Row[Any]]:
    """(academic_year, semester, starts_at, ends_at) of ``phase`` for the given (year, semester) terms."""
    c = phase_windows.c
    rows = await session.execute(
        select(c.academic_year, c.semester, c.starts_at, c.ends_at).where(
            c.school_id == school_id, c.phase == phase, tuple_(c.academic_year, c.semester).in_(list(terms))
        )
    )
    return rows.all()


async def semester_windows(
    session: AsyncSession, school_id: str, academic_year: int, semester: int
) -> Sequence[RowMapping]:
    c = phase_windows.c
    rows = await session.execute(
        select(phase_windows).where(c.school_id == school_id, c.academic_year == academic_year, c.semester == semester)
    )
    return rows.mappings().all()


async def replace_window(session: AsyncSession, key: Mapping[str, Any], values: Mapping[str, Any]) -> None:
    """Set one phase's window of a semester (``key``: school_id, academic_year, semester, phase)."""
    await session.execute(delete(phase_windows).where(*(phase_windows.c[k] == v for k, v in key.items())))
    await session.execute(insert(phase_windows).values(**key, **values))


# -- artifact caps ----------------------------------------------------------------------------------
async def caps_row(session: AsyncSession, school_id: str) -> Row[Any] | None:
    return (await session.execute(select(artifact_caps).where(artifact_caps.c.school_id == school_id))).first()


async def replace_caps(session: AsyncSession, school_id: str, values: Mapping[str, Any]) -> None:
    await session.execute(delete(artifact_caps).where(artifact_caps.c.school_id == school_id))
    await session.execute(insert(artifact_caps).values(school_id=school_id, **values))
