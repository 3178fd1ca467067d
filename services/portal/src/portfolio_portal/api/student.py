"""Student pages: my outcomes per semester with the upload (R-ART-1, R-ART-2, R-FILE-1/2), my
performances by category (R-PERF-1, R-FILE-3), certification status, the yearly selection with its
caps (R-ART-4, R-PERF-2) and the history of each item (R-RET-3).

Files never pass through the portal: the page asks the portal to start an upload (the portal calls
artifacts with the student's token and hands back the presigned PUT), the browser sends the bytes
straight to object storage with a progress bar, then asks the portal to complete it. A refused
completion cancels the draft, so nothing of a refused file is kept and the cap is not used.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from portfolio_portal.adapters.services import ApiError
from portfolio_portal.domain.terms import counts_towards_cap, current_term

from .context import Ctx, SignedIn, SignedInPost
from .render import problem_html

router = APIRouter(tags=["student"])

OUTCOME_SELECTION_CAP = 6  # R-ART-4: national, per academic year
PERFORMANCE_SELECTION_CAP = 10  # R-PERF-2

Year = Annotated[int | None, Query(ge=100, le=200)]
Semester = Annotated[int | None, Query(ge=1, le=2)]


def _now() -> str:
    return datetime.now(UTC).isoformat()


def _term(year: int | None, semester: int | None) -> tuple[int, int]:
    default = current_term(datetime.now(UTC).date())
    return (year or default[0], semester or default[1])


class FileIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    slot: str = Field(pattern="^(document|media)$")
    filename: str = Field(min_length=1, max_length=255)
    content_type: str = Field(min_length=1, max_length=100)
    size: int = Field(ge=0)
    sha256: str = Field(min_length=64, max_length=64)


class OutcomeStart(BaseModel):
    model_config = ConfigDict(extra="forbid")

    course_id: str = Field(min_length=1, max_length=64)
    title: str = Field(max_length=100)
    description: str = Field(max_length=1000)
    files: list[FileIn] = Field(max_length=2)


class PerformanceStart(BaseModel):
    model_config = ConfigDict(extra="forbid")

    academic_year: int = Field(ge=100, le=200)
    category: str = Field(min_length=1, max_length=64)
    description: str = Field(max_length=1000)
    fields: dict[str, str] = Field(default_factory=dict, max_length=50)
    files: list[FileIn] = Field(default_factory=list, max_length=2)


def _error_json(ctx: Ctx, exc: ApiError) -> JSONResponse:
    """What the upload script shows in its message area: the problem in the reader's language."""
    body = {"ok": False, "status": exc.status, "field": exc.field, "error_html": problem_html(ctx, exc)}
    return JSONResponse(body, status_code=200 if exc.status < 500 else exc.status)


# -- outcomes ------------------------------------------------------------------------------------------


async def _outcome_page_data(ctx: Ctx, year: int, semester: int) -> dict[str, Any]:
    school = ctx.school_id
    outcomes = await ctx.get("artifacts", "/api/v1/outcomes", academic_year=year, semester=semester, limit=500)
    courses = await ctx.get("records", f"/api/v1/schools/{school}/courses/mine", academic_year=year, semester=semester)
    caps = await ctx.get("records", f"/api/v1/schools/{school}/artifact-caps")
    now = _now()
    used = sum(1 for o in outcomes if counts_towards_cap(o, now))
    cap = int(caps["outcomes_per_semester"])
    names = {c["id"]: f"{c['subject_name']} ({c['course_code']})" for c in courses}
    shown = [o for o in outcomes if o["status"] != "withdrawn"]
    return {
        "year": year,
        "semester": semester,
        "outcomes": shown,
        "courses": courses,
        "course_names": names,
        "cap": cap,
        "left": max(cap - used, 0),
    }


@router.get("/outcomes")
async def outcomes_page(ctx: SignedIn, year: Year = None, semester: Semester = None) -> Response:
    y, s = _term(year, semester)
    data = await _outcome_page_data(ctx, y, s)
    return await ctx.render("outcomes.html", **data)


@router.post("/outcomes/uploads")
async def start_outcome_upload(ctx: SignedInPost, body: OutcomeStart) -> Response:
    """Start the upload at artifacts with the student's token; answer the presigned PUT(s)."""
    try:
        started = await ctx.send(
            "artifacts",
            "POST",
            "/api/v1/outcomes/uploads",
            json_body=body.model_dump(),
            headers={"Idempotency-Key": str(uuid.uuid4())},
        )
    except ApiError as exc:
        return _error_json(ctx, exc)
    return JSONResponse({"ok": True, "id": started["outcome_id"], "uploads": started["uploads"]})


async def _complete(ctx: Ctx, kind: str, item_id: uuid.UUID) -> Response:
    path = f"/api/v1/{kind}s/{item_id}"
    try:
        item = await ctx.send("artifacts", "POST", f"{path}/complete", headers={"Idempotency-Key": str(uuid.uuid4())})
    except ApiError as exc:
        if exc.status in (400, 409, 413, 422):
            # The file was refused (artifacts already deleted its objects): cancel the draft too, so
            # nothing is kept and it stops counting towards the cap at once (R-ART-2, R-FILE-1).
            try:
                await ctx.send("artifacts", "DELETE", path)
            except ApiError:
                pass
        return _error_json(ctx, exc)
    return JSONResponse({"ok": True, "id": item["id"], "status": item["status"]})


@router.post("/outcomes/{outcome_id}/complete")
async def complete_outcome_upload(ctx: SignedInPost, outcome_id: uuid.UUID) -> Response:
    return await _complete(ctx, "outcome", outcome_id)


@router.post("/outcomes/{outcome_id}/cancel")
async def cancel_outcome_upload(ctx: SignedInPost, outcome_id: uuid.UUID) -> Response:
    """The browser could not send the file (network, storage refusal): drop the draft."""
    try:
        await ctx.send("artifacts", "DELETE", f"/api/v1/outcomes/{outcome_id}")
    except ApiError as exc:
        return _error_json(ctx, exc)
    return JSONResponse({"ok": True})


@router.get("/outcomes/{outcome_id}")
async def outcome_detail(ctx: SignedIn, outcome_id: uuid.UUID) -> Response:
    """One outcome with its files, certification and history. Another student's outcome is a 404
    at artifacts (object-level check), shown as such."""
    outcome = await ctx.get("artifacts", f"/api/v1/outcomes/{outcome_id}")
    history = await ctx.get("artifacts", f"/api/v1/outcomes/{outcome_id}/history", limit=200)
    return await ctx.render("outcome_detail.html", item=outcome, history=history, kind="outcome")


@router.get("/outcomes/{outcome_id}/files/{file_id}")
async def outcome_file(ctx: SignedIn, outcome_id: uuid.UUID, file_id: uuid.UUID) -> Response:
    link = await ctx.get("artifacts", f"/api/v1/outcomes/{outcome_id}/files/{file_id}/download")
    return ctx.redirect(str(link["url"]))


# -- selection (R-ART-4, R-PERF-2) ---------------------------------------------------------------------


async def _selection_data(ctx: Ctx, year: int) -> dict[str, Any]:
    outcomes = await ctx.get("artifacts", "/api/v1/outcomes", academic_year=year, limit=500)
    performances = await ctx.get("artifacts", "/api/v1/performances", academic_year=year, limit=500)
    return {
        "year": year,
        "outcomes": [o for o in outcomes if o["status"] == "certified"],
        "performances": [p for p in performances if p["status"] not in ("draft", "withdrawn")],
        "outcomes_selected": sum(1 for o in outcomes if o["selected"]),
        "performances_selected": sum(1 for p in performances if p["selected"]),
        "outcome_cap": OUTCOME_SELECTION_CAP,
        "performance_cap": PERFORMANCE_SELECTION_CAP,
        "other_outcomes": [o for o in outcomes if o["status"] in ("submitted", "returned")],
    }


@router.get("/selection")
async def selection_page(ctx: SignedIn, year: Year = None) -> Response:
    y, _ = _term(year, None)
    return await ctx.render("selection.html", **await _selection_data(ctx, y), error=None)


@router.post("/selection/{kind}/{item_id}")
async def change_selection(
    ctx: SignedInPost,
    kind: str,
    item_id: uuid.UUID,
    selected: Annotated[bool, Form()],
    year: Annotated[int, Form(ge=100, le=200)],
) -> Response:
    """Select or deselect; the page (or its htmx fragment) shows the new counts or the refusal."""
    if kind not in ("outcome", "performance"):
        raise ApiError(404, {"title_zh": "查無資料", "title_en": "Not found", "status": 404})
    error = None
    try:
        await ctx.send("artifacts", "PUT" if selected else "DELETE", f"/api/v1/{kind}s/{item_id}/selection")
    except ApiError as exc:
        error = exc
    data = await _selection_data(ctx, year)
    if ctx.htmx:
        return await ctx.render("_selection_body.html", **data, error=error)
    return await ctx.render("selection.html", **data, error=error, status_code=200 if error is None else error.status)


# -- performances (R-PERF-1, R-FILE-3) -----------------------------------------------------------------


async def _catalog(ctx: Ctx) -> dict[str, Any]:
    catalog: dict[str, Any] = await ctx.get("artifacts", "/api/v1/performances/catalog")
    return catalog


@router.get("/performances")
async def performances_page(ctx: SignedIn, year: Year = None) -> Response:
    y, _ = _term(year, None)
    school = ctx.school_id
    items = await ctx.get("artifacts", "/api/v1/performances", academic_year=y, limit=500)
    catalog = await _catalog(ctx)
    caps = await ctx.get("records", f"/api/v1/schools/{school}/artifact-caps")
    cap = int(caps["performances_per_year"])
    used = sum(1 for p in items if counts_towards_cap(p, _now()))
    by_category: dict[str, list[dict[str, Any]]] = {}
    for item in items:
        if item["status"] != "withdrawn":
            by_category.setdefault(item["category"], []).append(item)
    return await ctx.render(
        "performances.html",
        year=y,
        catalog=catalog,
        categories={c["code"]: c for c in catalog["categories"]},
        by_category=by_category,
        cap=cap,
        left=max(cap - used, 0),
    )


@router.get("/performances/fields")
async def performance_fields(ctx: SignedIn, category: str = "") -> Response:
    """The fields of one category (htmx fragment under the category choice)."""
    catalog = await _catalog(ctx)
    chosen = next((c for c in catalog["categories"] if c["code"] == category), None)
    return await ctx.render("_performance_fields.html", category=chosen)


@router.post("/performances/uploads")
async def start_performance_upload(ctx: SignedInPost, body: PerformanceStart) -> Response:
    fields: dict[str, Any] = {k: v for k, v in body.fields.items() if v != ""}
    payload = {**body.model_dump(), "fields": fields, "school_id": ctx.school_id}
    try:
        started = await ctx.send(
            "artifacts",
            "POST",
            "/api/v1/performances/uploads",
            json_body=payload,
            headers={"Idempotency-Key": str(uuid.uuid4())},
        )
    except ApiError as exc:
        return _error_json(ctx, exc)
    return JSONResponse({"ok": True, "id": started["performance_id"], "uploads": started["uploads"]})


@router.post("/performances/{performance_id}/complete")
async def complete_performance_upload(ctx: SignedInPost, performance_id: uuid.UUID) -> Response:
    return await _complete(ctx, "performance", performance_id)


@router.post("/performances/{performance_id}/cancel")
async def cancel_performance_upload(ctx: SignedInPost, performance_id: uuid.UUID) -> Response:
    try:
        await ctx.send("artifacts", "DELETE", f"/api/v1/performances/{performance_id}")
    except ApiError as exc:
        return _error_json(ctx, exc)
    return JSONResponse({"ok": True})


@router.get("/performances/{performance_id}")
async def performance_detail(ctx: SignedIn, performance_id: uuid.UUID) -> Response:
    item = await ctx.get("artifacts", f"/api/v1/performances/{performance_id}")
    history = await ctx.get("artifacts", f"/api/v1/performances/{performance_id}/history", limit=200)
    catalog = await _catalog(ctx)
    category = next((c for c in catalog["categories"] if c["code"] == item["category"]), None)
    return await ctx.render("outcome_detail.html", item=item, history=history, kind="performance", category=category)


@router.get("/performances/{performance_id}/files/{file_id}")
async def performance_file(ctx: SignedIn, performance_id: uuid.UUID, file_id: uuid.UUID) -> Response:
    link = await ctx.get("artifacts", f"/api/v1/performances/{performance_id}/files/{file_id}/download")
    return ctx.redirect(str(link["url"]))


# -- history (R-RET-3) ---------------------------------------------------------------------------------


@router.get("/history")
async def history_page(ctx: SignedIn) -> Response:
    entries = await ctx.get("artifacts", "/api/v1/history", limit=200)
    return await ctx.render("history.html", entries=entries)
