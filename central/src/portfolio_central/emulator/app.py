"""The emulator's HTTP API (FastAPI).

- ``PUT|POST /api/v1/packages/{school_code}/{kind}/{academic_year}/{semester}`` with an
  ``Idempotency-Key``: 201 + receipt summary, 409 outside the window or for a reused key, 422 with
  line-level reasons, 413 past the size limit; a retry with the same key and the same package gets
  the first answer again (``Idempotent-Replayed: true``) and never makes a second submission.
- ``GET /api/v1/submissions/{id}``, ``…/receipt`` (JSON), ``…/receipt.xlsx`` (workbook),
  ``GET /api/v1/packages/{school_code}/{kind}/{academic_year}/{semester}`` (submissions of a term).
- ``/admin/windows`` and ``/admin/faults``; ``/healthz``.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import hashlib
import json
import logging
import os
import tempfile
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Header, Request, Response
from fastapi import Path as PathParam
from fastapi.responses import FileResponse, JSONResponse
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator
from starlette.background import BackgroundTask

from portfolio_shared.apidocs import install_offline_docs
from portfolio_shared.problems import MEDIA_TYPE, Problem, install

from .. import reader
from ..layouts import LayoutSet, UnknownKind, load
from . import receipt
from .config import Settings
from .faults import Faults, FaultSpec
from .store import Store, Submission, Window

log = logging.getLogger("portfolio_central.emulator")
# Which rule puts a kind in a central window: basic data and course records by semester (R-SUB-1),
# outcomes and performances by academic year (R-SUB-2); grade 3 early batches are extra windows (R-SUB-3).
WINDOW_RULE = {"course_outcomes": "R-SUB-2", "performances": "R-SUB-2"}
PACKAGE_BODY = {
    "requestBody": {
        "required": True,
        "description": "the package: a zip written by portfolio_central.package (workbook, files, manifest.json)",
        "content": {"application/zip": {"schema": {"type": "string", "format": "binary"}}},
    }
}


class WindowIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: str
    academic_year: int = Field(ge=100, le=200)
    semester: int = Field(ge=0, le=2)
    opens_at: AwareDatetime
    closes_at: AwareDatetime
    label: str = Field(default="", max_length=100, description="e.g. 第一梯次 (grade-3 early batch)")

    @model_validator(mode="after")
    def _order(self) -> WindowIn:
        if self.closes_at <= self.opens_at:
            raise ValueError("closes_at must be after opens_at")
        return self


def _problem(status: int, code: str, en: str, zh: str, detail: str, **kw: Any) -> Problem:
    return Problem(status, code, en, zh, detail, **kw)


class Emulator:
    """State shared by the routes: settings, layouts, store, faults, per-key locks."""

    def __init__(self, settings: Settings, now: Callable[[], dt.datetime]) -> None:
        self.settings = settings
        self.layouts: LayoutSet = load(settings.layout_version)
        self.store = Store(settings.data_dir)
        self.faults = Faults(settings.hang_seconds)
        self.now = now
        self.config_windows = self._read_windows_file(settings.windows_file)
        self._locks: dict[tuple[str, str], asyncio.Lock] = {}
        self._waiting: dict[tuple[str, str], int] = {}

    def _read_windows_file(self, path: Path | None) -> list[Window]:
        if path is None:
            return []
        windows = []
        for raw in json.loads(path.read_text(encoding="utf-8")):
            w = WindowIn.model_validate(raw)
            self.layouts.workbook(w.kind)  # an unknown kind in the file stops the start, loudly
            windows.append(
                Window(None, w.kind, w.academic_year, w.semester, w.opens_at, w.closes_at, w.label, source="config")
            )
        return windows

    def windows(self) -> list[Window]:
        return self.config_windows + self.store.windows()

    def window_json(self, w: Window) -> dict[str, Any]:
        tz = self.settings.timezone
        return {
            "id": w.id,
            "kind": w.kind,
            "academic_year": w.academic_year,
            "semester": w.semester,
            "opens_at": receipt.local(w.opens_at, tz),
            "closes_at": receipt.local(w.closes_at, tz),
            "label": w.label,
            "source": w.source,
        }

    @contextlib.asynccontextmanager
    async def lock(self, school_code: str, key: str) -> AsyncIterator[None]:
        """One request per school and key at a time, so two concurrent retries make one submission;
        the lock is dropped when nobody holds or waits for it (the table does not grow forever)."""
        name = (school_code, key)
        lock = self._locks.setdefault(name, asyncio.Lock())
        self._waiting[name] = self._waiting.get(name, 0) + 1
        try:
            async with lock:
                yield
        finally:
            self._waiting[name] -= 1
            if not self._waiting[name]:
                del self._waiting[name], self._locks[name]


def _emulator(request: Request) -> Emulator:
    return request.app.state.emulator


EmulatorDep = Annotated[Emulator, Depends(_emulator)]


def _admin(request: Request, em: EmulatorDep) -> None:
    token = em.settings.admin_token
    if token and request.headers.get("authorization", "") != f"Bearer {token}":
        raise _problem(
            401,
            "not-authenticated",
            "Not authenticated",
            "尚未登入或憑證無效",
            "the admin routes need the emulator's admin token",
        )


api = APIRouter(prefix="/api/v1", tags=["central database"])
admin = APIRouter(prefix="/admin", tags=["admin"], dependencies=[Depends(_admin)])


def _kind(em: Emulator, kind: str) -> None:
    try:
        em.layouts.workbook(kind)
    except UnknownKind as exc:
        raise _problem(
            404,
            "unknown-kind",
            "Unknown kind of data",
            "無此資料類別",
            f"no workbook for kind {kind!r}; known: {', '.join(exc.known)}",
            field="kind",
        ) from None


async def _receive(request: Request, em: Emulator) -> tuple[Path, str, int]:
    """Stream the body to a file beside the store, hashing it; never the whole package in memory."""
    limit = em.settings.max_package_bytes
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise _problem(
            413, "package-too-large", "Package too large", "資料包過大", f"a package is at most {limit} bytes"
        )
    fd, name = tempfile.mkstemp(dir=em.store.incoming, suffix=".zip")
    path, digest, size = Path(name), hashlib.sha256(), 0
    try:
        with os.fdopen(fd, "wb") as fh:
            async for chunk in request.stream():
                size += len(chunk)
                if size > limit:
                    raise _problem(
                        413,
                        "package-too-large",
                        "Package too large",
                        "資料包過大",
                        f"a package is at most {limit} bytes",
                    )
                digest.update(chunk)
                fh.write(chunk)
            fh.flush()
            os.fsync(fh.fileno())
    except BaseException:
        path.unlink(missing_ok=True)  # noqa: ASYNC240 - a local unlink, nothing to wait for
        raise
    return path, digest.hexdigest(), size


def _answer(status: int, body: dict[str, Any], *, replayed: bool = False) -> JSONResponse:
    headers = {"Idempotent-Replayed": "true"} if replayed else {}
    return JSONResponse(
        body, status_code=status, media_type="application/json" if status < 400 else MEDIA_TYPE, headers=headers
    )


@api.put("/packages/{school_code}/{kind}/{academic_year}/{semester}", status_code=201, openapi_extra=PACKAGE_BODY)
@api.post(
    "/packages/{school_code}/{kind}/{academic_year}/{semester}",
    status_code=201,
    include_in_schema=False,
    openapi_extra=PACKAGE_BODY,
)
async def submit_package(
    request: Request,
    em: EmulatorDep,
    school_code: Annotated[str, PathParam(pattern=r"^[0-9]{6}$")],
    kind: str,
    academic_year: Annotated[int, PathParam(ge=100, le=200)],
    semester: Annotated[int, PathParam(ge=0, le=2)],
    idempotency_key: Annotated[str, Header(min_length=8, max_length=200)],
) -> Response:
    """Receive one package (a zip, see portfolio_central.package) for a school, kind and term."""
    _kind(em, kind)
    path, sha256, size = await _receive(request, em)
    try:
        async with em.lock(school_code, idempotency_key):
            earlier = em.store.find(school_code, idempotency_key)
            if earlier is not None:
                if earlier.package_sha256 != sha256:
                    raise _problem(
                        409,
                        "idempotency-key-reused",
                        "Idempotency key reused",
                        "冪等鍵已用於其他資料包",
                        "this Idempotency-Key was used for a different package; a new package needs a new key",
                        field="Idempotency-Key",
                        extra={"submission_id": earlier.id},
                    )
                return _answer(earlier.status, earlier.answer, replayed=True)
            now = em.now()
            windows = [
                w for w in em.windows() if (w.kind, w.academic_year, w.semester) == (kind, academic_year, semester)
            ]
            if not any(w.open_at(now) for w in windows):
                local_now = receipt.local(now, em.settings.timezone)
                # Not recorded: the same package may come again, with the same key, once the window opens.
                raise _problem(
                    409,
                    "outside-window",
                    "Outside the submission window",
                    "不在中央資料庫收件期間",
                    f"{kind} for {academic_year}-{semester} is not accepted at {local_now}",
                    rule=WINDOW_RULE.get(kind, "R-SUB-1"),
                    extra={
                        "windows": [em.window_json(w) for w in windows],
                        "now": receipt.local(now, em.settings.timezone),
                    },
                )
            expect = {
                "school_code": school_code,
                "kind": kind,
                "academic_year": academic_year,
                "semester": semester,
                "idempotency_key": idempotency_key,
            }
            report = await asyncio.to_thread(reader.read, path, layouts=em.layouts, expect=expect)
            submission_id = str(uuid.uuid4())
            tz = em.settings.timezone
            if not report.ok:
                status = 422
                body = _problem(
                    422,
                    "package-refused",
                    "Package refused",
                    "資料包檢核未通過",
                    f"{len(report.violations)} problem(s) found" + (" (list truncated)" if report.truncated else ""),
                    errors=[v.as_dict() for v in report.violations],
                ).body(request.url.path)
                body["submission_id"] = submission_id
            else:
                status = 201
                students = len({i.national_id for i in report.items})
                body = {
                    "submission_id": submission_id,
                    "status": "accepted",
                    "received_at": receipt.local(now, tz),
                    "school_code": school_code,
                    "kind": kind,
                    "academic_year": academic_year,
                    "semester": semester,
                    "batch_id": report.manifest.batch_id if report.manifest else None,
                    "package_sha256": sha256,
                    "student_count": students,
                    "item_count": len(report.items),
                    "receipt_url": f"/api/v1/submissions/{submission_id}/receipt",
                    "receipt_workbook_url": f"/api/v1/submissions/{submission_id}/receipt.xlsx",
                }
                # The package is in place before the row that says it was accepted.
                os.replace(path, em.store.package_path(submission_id))
            record = Submission(
                submission_id,
                school_code,
                kind,
                academic_year,
                semester,
                idempotency_key,
                sha256,
                size,
                report.manifest.batch_id if report.manifest else None,
                status,
                body,
                now,
            )
            await asyncio.to_thread(em.store.record, record, report.items if status == 201 else [])
            log.info("package %s: %s %s %s-%s -> %s", submission_id, school_code, kind, academic_year, semester, status)
            return _answer(status, body)
    finally:
        path.unlink(missing_ok=True)


def _submission(em: Emulator, submission_id: str) -> Submission:
    s = em.store.get(submission_id)
    if s is None:
        raise _problem(404, "not-found", "Not found", "查無資料", "no such submission")
    return s


@api.get("/submissions/{submission_id}")
async def get_submission(em: EmulatorDep, submission_id: str) -> JSONResponse:
    s = _submission(em, submission_id)
    return JSONResponse(s.answer, status_code=200)


def _accepted(em: Emulator, submission_id: str) -> Submission:
    s = _submission(em, submission_id)
    if s.status != 201:
        raise _problem(
            409, "not-accepted", "Package was not accepted", "資料包未被收件", "a refused package has no receipt"
        )
    return s


@api.get("/submissions/{submission_id}/receipt")
async def get_receipt(em: EmulatorDep, submission_id: str) -> JSONResponse:
    """收訖明細: per student (national ID as the central database has it) every item and file received."""
    s = _accepted(em, submission_id)
    items = await asyncio.to_thread(em.store.items, s.id)
    return JSONResponse(receipt.as_json(s, items, em.settings.timezone))


@api.get("/submissions/{submission_id}/receipt.xlsx")
async def get_receipt_workbook(em: EmulatorDep, submission_id: str) -> FileResponse:
    s = _accepted(em, submission_id)
    items = await asyncio.to_thread(em.store.items, s.id)
    fd, name = tempfile.mkstemp(dir=em.store.incoming, suffix=".xlsx")
    os.close(fd)
    title = em.layouts.workbook(s.kind).title
    await asyncio.to_thread(receipt.write_workbook, Path(name), s, items, title)
    return FileResponse(
        name,
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        filename=f"收訖明細_{s.school_code}_{s.kind}_{s.academic_year}_{s.semester}.xlsx",
        background=BackgroundTask(Path(name).unlink, missing_ok=True),
    )


@api.get("/packages/{school_code}/{kind}/{academic_year}/{semester}")
async def list_submissions(
    em: EmulatorDep, school_code: str, kind: str, academic_year: int, semester: int
) -> dict[str, Any]:
    _kind(em, kind)
    return {
        "submissions": [
            {
                "submission_id": s.id,
                "status": s.status,
                "received_at": receipt.local(s.received_at, em.settings.timezone),
                "batch_id": s.batch_id,
                "package_sha256": s.package_sha256,
            }
            for s in em.store.of_term(school_code, kind, academic_year, semester)
        ]
    }


@api.get("/windows")
async def list_windows(em: EmulatorDep) -> dict[str, Any]:
    return {"windows": [em.window_json(w) for w in em.windows()], "timezone": em.settings.timezone}


@admin.get("/windows")
async def admin_windows(em: EmulatorDep) -> dict[str, Any]:
    return await list_windows(em)


@admin.post("/windows", status_code=201)
async def add_window(em: EmulatorDep, body: WindowIn) -> dict[str, Any]:
    """Open a window for a kind and term (several per term are allowed: grade-3 early batches)."""
    _kind(em, body.kind)
    if not em.layouts.workbook(body.kind).semester_ok(body.semester):
        raise _problem(
            422,
            "validation-failed",
            "Validation failed",
            "資料驗證失敗",
            f"{body.kind} does not take semester {body.semester}",
            field="semester",
        )
    w = em.store.add_window(
        Window(None, body.kind, body.academic_year, body.semester, body.opens_at, body.closes_at, body.label)
    )
    return em.window_json(w)


@admin.delete("/windows/{window_id}", status_code=204)
async def delete_window(em: EmulatorDep, window_id: int) -> Response:
    if not em.store.delete_window(window_id):
        raise _problem(404, "not-found", "Not found", "查無資料", "no such window")
    return Response(status_code=204)


@admin.get("/faults")
async def get_faults(em: EmulatorDep) -> dict[str, object]:
    return em.faults.state()


@admin.put("/faults")
async def set_faults(em: EmulatorDep, body: FaultSpec) -> dict[str, object]:
    em.faults.set(body)
    return em.faults.state()


@admin.delete("/faults", status_code=204)
async def clear_faults(em: EmulatorDep) -> Response:
    em.faults.clear()
    return Response(status_code=204)


def _unavailable(status: int) -> JSONResponse:
    p = _problem(
        status,
        "central-unavailable",
        "Central database unavailable (injected fault)",
        "中央資料庫暫時無法使用（模擬故障）",
        "an injected fault",
    )
    return JSONResponse(p.body(), status_code=status, media_type=MEDIA_TYPE)


def create(settings: Settings | None = None, *, now: Callable[[], dt.datetime] | None = None) -> FastAPI:
    settings = settings or Settings()
    em = Emulator(settings, now or (lambda: dt.datetime.now(dt.UTC)))

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        em.store.close()

    app = FastAPI(
        title="Central database emulator (學習歷程中央資料庫模擬器)",
        version="0.1.0",
        lifespan=lifespan,
        docs_url=None,  # served without a CDN, like every service's (portfolio_shared.apidocs)
        redoc_url=None,
        description=(
            "Accepts submission packages inside their windows, validates them against the workbook layouts, "
            "keeps them and answers receipts (收訖明細)."
        ),
    )
    app.state.emulator = em
    install(app)
    install_offline_docs(app)

    @app.middleware("http")
    async def inject_faults(request: Request, call_next: Callable[[Request], Any]) -> Response:
        if not request.url.path.startswith("/api/"):
            return await call_next(request)
        fault = em.faults.take()
        if fault is None:
            return await call_next(request)
        if fault.mode == "slow":
            await asyncio.sleep(fault.delay_seconds)
            return await call_next(request)
        if fault.after:
            await call_next(request)  # processed and kept; the sender will not hear of it
        if fault.mode == "hang":
            await em.faults.hang()
        return _unavailable(fault.status)

    @app.get("/healthz", tags=["ops"])
    async def healthz() -> dict[str, Any]:
        return {
            "status": "ok",
            "service": "central-emulator",
            "layout_version": em.layouts.version,
            "accepted": em.store.count(),
        }

    app.include_router(api)
    app.include_router(admin)
    return app
