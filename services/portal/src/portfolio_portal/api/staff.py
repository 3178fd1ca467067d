"""Teacher and staff pages: the certification queue per course (R-ART-3, R-ART-5), the inbox, the
semester schedule (R-SCHED-1), self-check reports (R-SCHED-2), SIS sync reports (R-DUTY-3), and for
the IT section accounts, roles, duties and delegation order (R-DUTY-1, R-DUTY-2).

Each page reads what the person's own token may read; a page a role may not see shows the service's
403 problem instead of an empty table.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query
from fastapi.responses import Response

from portfolio_portal.adapters.services import ApiError
from portfolio_portal.domain.terms import current_term

from .context import Ctx, SignedIn, SignedInPost

router = APIRouter(tags=["staff"])

Year = Annotated[int | None, Query(ge=100, le=200)]
Semester = Annotated[int | None, Query(ge=1, le=2)]


def _term(year: int | None, semester: int | None) -> tuple[int, int]:
    default = current_term(datetime.now(UTC).date())
    return (year or default[0], semester or default[1])


async def _courses(ctx: Ctx, year: int | None = None, semester: int | None = None) -> dict[str, dict[str, Any]]:
    """Courses by id: the school's plan for staff who read records, else the person's own courses."""
    school = ctx.school_id
    params = {"academic_year": year, "semester": semester}
    try:
        if ctx.can("records:read"):
            listed = await ctx.get("records", f"/api/v1/schools/{school}/courses", **params)
        else:
            listed = await ctx.get("records", f"/api/v1/schools/{school}/courses/mine", **params)
    except ApiError:
        return {}
    return {c["id"]: c for c in listed}


# -- certification (R-ART-3, R-ART-5) ------------------------------------------------------------------


@router.get("/certify")
async def certification_queue(ctx: SignedIn) -> Response:
    """Outcomes awaiting certification in the courses this person certifies or acts for, per course."""
    pending = await ctx.get("artifacts", "/api/v1/outcomes", status="submitted", limit=500)
    courses = await _courses(ctx)
    queue: dict[str, list[dict[str, Any]]] = {}
    for outcome in pending:
        queue.setdefault(outcome["course_id"], []).append(outcome)
    return await ctx.render("certify.html", queue=queue, courses=courses, me=ctx.session.user_id if ctx.session else "")


@router.post("/certify/{outcome_id}")
async def certify(ctx: SignedInPost, outcome_id: uuid.UUID) -> Response:
    error = None
    outcome = None
    try:
        outcome = await ctx.send(
            "artifacts",
            "POST",
            f"/api/v1/outcomes/{outcome_id}/certify",
            headers={"Idempotency-Key": str(uuid.uuid4())},
        )
    except ApiError as exc:
        error = exc
    return await _after_decision(ctx, outcome_id, outcome, error)


@router.post("/certify/{outcome_id}/return")
async def return_outcome(
    ctx: SignedInPost, outcome_id: uuid.UUID, reason: Annotated[str, Form(max_length=1000)] = ""
) -> Response:
    error = None
    outcome = None
    try:
        outcome = await ctx.send(
            "artifacts",
            "POST",
            f"/api/v1/outcomes/{outcome_id}/return",
            json_body={"reason": reason},
            headers={"Idempotency-Key": str(uuid.uuid4())},
        )
    except ApiError as exc:
        error = exc
    return await _after_decision(ctx, outcome_id, outcome, error)


async def _after_decision(ctx: Ctx, outcome_id: uuid.UUID, outcome: Any, error: ApiError | None) -> Response:
    if outcome is None:
        try:
            outcome = await ctx.get("artifacts", f"/api/v1/outcomes/{outcome_id}")
        except ApiError as exc:
            error = error or exc
    if ctx.htmx:
        return await ctx.render("_certify_row.html", o=outcome, error=error, courses={})
    if error is not None:
        return await ctx.render("error.html", status_code=error.status, error=error)
    return ctx.redirect("/certify")


# -- inbox (notification) ------------------------------------------------------------------------------


@router.get("/inbox")
async def inbox(ctx: SignedIn, unread: bool = False) -> Response:
    page = await ctx.get("notification", "/api/v1/inbox", school_id=ctx.school_id, unread=unread or None, limit=100)
    return await ctx.render("inbox.html", page=page, unread=unread)


@router.post("/inbox/{message_id}/read")
async def mark_read(ctx: SignedInPost, message_id: uuid.UUID) -> Response:
    await ctx.send("notification", "POST", f"/api/v1/inbox/{message_id}/read")
    return ctx.redirect("/inbox")


# -- schedule and reports (R-SCHED-1, R-SCHED-2, R-DUTY-3) ---------------------------------------------


@router.get("/schedule")
async def schedule(ctx: SignedIn, year: Year = None, semester: Semester = None) -> Response:
    y, s = _term(year, semester)
    data = await ctx.get("records", f"/api/v1/schools/{ctx.school_id}/calendar/{y}/{s}")
    return await ctx.render("schedule.html", schedule=data, year=y, semester=s)


async def _section(coro: Any) -> tuple[Any, ApiError | None]:
    """One report of a page: its data, or the problem that kept it (a role may see some, not all)."""
    try:
        return await coro, None
    except ApiError as exc:
        return None, exc


@router.get("/selfcheck")
async def selfcheck(ctx: SignedIn, year: Year = None, semester: Semester = None) -> Response:
    y, s = _term(year, semester)
    school = ctx.school_id
    (teachers, e1), (selections, e2), (records, e3) = await asyncio.gather(
        _section(
            ctx.get(
                "artifacts", "/api/v1/selfcheck/uncertified-teachers", school_id=school, academic_year=y, semester=s
            )
        ),
        _section(ctx.get("artifacts", "/api/v1/selfcheck/selections", school_id=school, academic_year=y)),
        _section(ctx.get("records", f"/api/v1/schools/{school}/self-check", academic_year=y, semester=s)),
    )
    return await ctx.render(
        "selfcheck.html",
        year=y,
        semester=s,
        teachers=teachers,
        teachers_error=e1,
        selections=selections,
        selections_error=e2,
        records=records,
        records_error=e3,
    )


@router.get("/sync")
async def sync_reports(ctx: SignedIn) -> Response:
    school = ctx.school_id
    (runs, e1), (nights, e2), (grades, e3) = await asyncio.gather(
        _section(ctx.get("identity", f"/api/v1/schools/{school}/sis-sync/runs")),
        _section(ctx.get("identity", f"/api/v1/schools/{school}/sis-sync/nights")),
        _section(ctx.get("records", f"/api/v1/schools/{school}/nightly-sync/runs")),
    )
    return await ctx.render(
        "sync.html", runs=runs, runs_error=e1, nights=nights, nights_error=e2, grades=grades, grades_error=e3
    )


# -- IT: accounts, roles, duties and delegation (identity) ---------------------------------------------


@router.get("/accounts")
async def accounts(ctx: SignedIn, offset: Annotated[int, Query(ge=0)] = 0) -> Response:
    page = await ctx.get("identity", f"/api/v1/schools/{ctx.school_id}/users", limit=100, offset=offset)
    return await ctx.render("accounts.html", page=page, offset=offset)


@router.get("/duties")
async def duties(ctx: SignedIn) -> Response:
    school = ctx.school_id
    listed = await ctx.get("identity", f"/api/v1/schools/{school}/duties")
    names: dict[str, str] = {}
    logins: dict[str, str] = {}
    if ctx.can("users:read"):
        people = await _school_staff(ctx, school)
        names = {u["id"]: f"{u['display_name']} ({u['login_name']})" for u in people}
        logins = {u["id"]: u["login_name"] for u in people}
    return await ctx.render("duties.html", duties=listed, names=names, logins=logins)


async def _school_staff(ctx: Ctx, school: str) -> list[dict[str, Any]]:
    """Teachers and staff of the school (who may hold duties; students never do)."""
    people: list[dict[str, Any]] = []
    for kind in ("staff", "teacher"):
        try:
            page = await ctx.get("identity", f"/api/v1/schools/{school}/users", kind=kind, limit=500)
        except ApiError:
            continue
        people += page["items"]
    return people


def _split(text: str) -> list[str]:
    return [part.strip() for part in text.replace("\n", ",").replace("、", ",").split(",") if part.strip()]


@router.post("/duties/{code}/order")
async def set_duty_order(
    ctx: SignedInPost,
    code: str,
    responsible: Annotated[str, Form(max_length=2000)] = "",
    delegates: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Responsible persons and the ordered delegates of a duty (R-DUTY-1, R-DUTY-2), typed as login
    names; identity checks the right (duties:manage) and the people."""
    school = ctx.school_id
    by_login = {u["login_name"]: u["id"] for u in await _school_staff(ctx, school)}
    order: dict[str, list[str]] = {}
    for field, text in (("responsible_user_ids", responsible), ("delegate_user_ids", delegates)):
        unknown = [login for login in _split(text) if login not in by_login]
        if unknown:
            raise ApiError(
                422,
                {
                    "status": 422,
                    "title_zh": "查無此帳號",
                    "title_en": "Unknown login name",
                    "detail": f"no account at this school: {', '.join(unknown)}",
                    "detail_zh": f"本校沒有這些帳號：{'、'.join(unknown)}",
                    "field": field,
                    "rule": "R-DUTY-1",
                },
            )
        order[field] = [by_login[login] for login in _split(text)]
    await ctx.send("identity", "PUT", f"/api/v1/schools/{school}/duties/{code}/order", json_body=order)
    return ctx.redirect("/duties")
