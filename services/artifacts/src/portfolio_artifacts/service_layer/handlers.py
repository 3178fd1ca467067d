"""The one visible table of command handlers. The API builds a command and calls :func:`handle`."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

from portfolio_shared.errors import DomainError, Unavailable

from . import commands as c
from .context import Deps
from .drafts import cancel_draft
from .metrics import UPLOAD_SECONDS
from .outcomes import (
    certify_outcome,
    complete_outcome_upload,
    declare_new_outcome_files,
    return_outcome,
    start_outcome_upload,
    withdraw_outcome,
)
from .performances import (
    complete_performance_upload,
    declare_new_performance_files,
    start_performance_upload,
    withdraw_performance,
)
from .selection import change_selection

Handler = Callable[[Any, Deps], Awaitable[dict[str, Any]]]


async def _complete(cmd: c.CompleteUpload, deps: Deps) -> dict[str, Any]:
    if cmd.kind == "outcome":
        return await complete_outcome_upload(cmd, deps)
    return await complete_performance_upload(cmd, deps)


async def _declare(cmd: c.DeclareNewFiles, deps: Deps) -> dict[str, Any]:
    if cmd.kind == "outcome":
        return await declare_new_outcome_files(cmd, deps)
    return await declare_new_performance_files(cmd, deps)


async def _withdraw(cmd: c.WithdrawArtifact, deps: Deps) -> dict[str, Any]:
    if cmd.kind == "outcome":
        return await withdraw_outcome(cmd, deps)
    return await withdraw_performance(cmd, deps)


HANDLERS: dict[type, Handler] = {
    c.StartOutcomeUpload: start_outcome_upload,  # R-ART-1, R-ART-2, R-FILE-1, R-FILE-2
    c.StartPerformanceUpload: start_performance_upload,  # R-PERF-1, R-FILE-3
    c.DeclareNewFiles: _declare,  # new version (a new object), R-ART-3
    c.CompleteUpload: _complete,  # size, SHA-256, real type (R-FILE-1)
    c.WithdrawArtifact: _withdraw,
    c.CancelDraft: cancel_draft,  # a draft stops counting towards the cap at once (R-ART-2, R-PERF-1)
    c.CertifyOutcome: certify_outcome,  # R-ART-3, R-ART-5
    c.ReturnOutcome: return_outcome,  # R-ART-3
    c.ChangeSelection: change_selection,  # R-ART-4, R-PERF-2
}


# The upload steps a deadline day is judged by (issue 17, docs/SLO.md).
UPLOAD_STEPS: dict[type, str] = {
    c.StartOutcomeUpload: "init",
    c.StartPerformanceUpload: "init",
    c.DeclareNewFiles: "init",
    c.CompleteUpload: "complete",
}


async def handle(cmd: object, deps: Deps) -> dict[str, Any]:
    step = UPLOAD_STEPS.get(type(cmd))
    if step is None:
        return await HANDLERS[type(cmd)](cmd, deps)
    started, outcome = time.perf_counter(), "error"
    try:
        result = await HANDLERS[type(cmd)](cmd, deps)
        outcome = "accepted"
        return result
    except Unavailable:
        outcome = "unavailable"
        raise
    except DomainError as exc:
        outcome = "refused" if exc.status < 500 else "error"
        raise
    finally:
        UPLOAD_SECONDS.labels(step, outcome).observe(time.perf_counter() - started)
