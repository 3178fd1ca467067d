"""Academic calendar with phase windows (R-SCHED-1) and the school's artifact caps (R-ART-2, R-PERF-1)."""

from __future__ import annotations

from fastapi import APIRouter

from portfolio_records.service_layer import calendar as handlers
from portfolio_records.service_layer import windows
from portfolio_records.service_layer.access import require_any
from portfolio_records.service_layer.commands import (
    ArtifactCapsInput,
    Phase,
    PhaseWindowInput,
    ScheduleSet,
    SchoolSettingsInput,
    WindowTimes,
)
from portfolio_shared.permissions import Permission

from .deps import AcademicYearPath, CurrentPrincipal, SchoolId, SemesterPath, UowDep, require_member
from .schemas import ArtifactCapsPublic, SchedulePublic, SchoolSettingsPublic

router = APIRouter(prefix="/api/v1/schools/{school_id}", tags=["calendar"])
_WRITERS = (Permission.SCHEDULE_WRITE, Permission.OUTCOME_SETTINGS_WRITE)


async def _schedule(uow: UowDep, school_id: str, academic_year: int, semester: int) -> SchedulePublic:
    windows = await handlers.windows_of(uow, school_id, academic_year, semester)
    return SchedulePublic.model_validate(
        {"school_id": school_id, "academic_year": academic_year, "semester": semester, "windows": windows}
    )


@router.get("/calendar/{academic_year}/{semester}", response_model=SchedulePublic, summary="The published schedule")
async def get_schedule(
    school_id: SchoolId,
    academic_year: AcademicYearPath,
    semester: SemesterPath,
    principal: CurrentPrincipal,
    uow: UowDep,
) -> SchedulePublic:
    require_member(principal, school_id)  # the schedule is published to everyone at the school (R-SCHED-1)
    return await _schedule(uow, school_id, academic_year, semester)


@router.put("/calendar/{academic_year}/{semester}", response_model=SchedulePublic, summary="Set several phase windows")
async def set_schedule(
    school_id: SchoolId,
    academic_year: AcademicYearPath,
    semester: SemesterPath,
    body: ScheduleSet,
    principal: CurrentPrincipal,
    uow: UowDep,
) -> SchedulePublic:
    require_any(principal, school_id, *_WRITERS, rule="R-SCHED-1")
    await handlers.set_windows(uow, school_id, academic_year, semester, principal.user_id, body.windows)
    await uow.commit()
    return await _schedule(uow, school_id, academic_year, semester)


@router.put(
    "/calendar/{academic_year}/{semester}/{phase}", response_model=SchedulePublic, summary="Set one phase window"
)
async def set_window(
    school_id: SchoolId,
    academic_year: AcademicYearPath,
    semester: SemesterPath,
    phase: Phase,
    body: WindowTimes,
    principal: CurrentPrincipal,
    uow: UowDep,
) -> SchedulePublic:
    require_any(principal, school_id, *_WRITERS, rule="R-SCHED-1")
    window = PhaseWindowInput(phase=phase, **body.model_dump())
    await handlers.set_windows(uow, school_id, academic_year, semester, principal.user_id, [window])
    await uow.commit()
    return await _schedule(uow, school_id, academic_year, semester)


@router.get("/artifact-caps", response_model=ArtifactCapsPublic, summary="Outcome and performance upload caps")
async def get_caps(school_id: SchoolId, principal: CurrentPrincipal, uow: UowDep) -> ArtifactCapsPublic:
    require_member(principal, school_id)
    caps = await handlers.caps_of(uow, school_id)
    return ArtifactCapsPublic(school_id=school_id, **caps.model_dump())


@router.put("/artifact-caps", response_model=ArtifactCapsPublic, summary="Set the upload caps (R-ART-2, R-PERF-1)")
async def set_caps(
    school_id: SchoolId, body: ArtifactCapsInput, principal: CurrentPrincipal, uow: UowDep
) -> ArtifactCapsPublic:
    require_any(principal, school_id, *_WRITERS, rule="R-ART-2")
    await handlers.set_caps(uow, school_id, principal.user_id, body)
    await uow.commit()
    return ArtifactCapsPublic(school_id=school_id, **body.model_dump())


@router.get("/settings", response_model=SchoolSettingsPublic, summary="The school's time zone and SIS import window")
async def get_settings(school_id: SchoolId, principal: CurrentPrincipal, uow: UowDep) -> SchoolSettingsPublic:
    require_member(principal, school_id)
    current = await windows.settings_of(uow, school_id)
    return SchoolSettingsPublic(school_id=school_id, **current.as_public())


@router.put("/settings", response_model=SchoolSettingsPublic, summary="Set the time zone and the SIS import window")
async def set_settings(
    school_id: SchoolId, body: SchoolSettingsInput, principal: CurrentPrincipal, uow: UowDep
) -> SchoolSettingsPublic:
    require_any(principal, school_id, *_WRITERS, rule="R-SCHED-1")
    standing = body.sis_import_window
    saved = await windows.set_settings(
        uow,
        school_id,
        principal.user_id,
        time_zone=body.time_zone,
        sis_import_starts_at=None if standing is None else standing.starts_at,
        sis_import_ends_at=None if standing is None else standing.ends_at,
    )
    await uow.commit()
    return SchoolSettingsPublic(school_id=school_id, **saved.as_public())
