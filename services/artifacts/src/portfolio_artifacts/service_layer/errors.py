"""Errors of the service layer (state the domain does not know: storage, windows, authorisation)."""

from __future__ import annotations

from typing import Any

from portfolio_artifacts.domain.errors import ConflictError, WindowClosed


class FileNotUploaded(ConflictError):
    code = "file-not-uploaded"
    title_en = "The file has not been uploaded yet"
    title_zh = "檔案尚未上傳"
    default_rule = "R-FILE-1"


class UploadExpired(ConflictError):
    code = "upload-expired"
    title_en = "The upload has expired; start a new one"
    title_zh = "上傳期限已過，請重新上傳"
    default_rule = "R-ART-1"


class OutsideWindow(WindowClosed):
    """A window refusal that carries the windows it was checked against (R-SCHED-1)."""

    def __init__(
        self, detail: str, *, field: str, rule: str, windows: list[dict[str, Any]], reason: str = "outside_window"
    ) -> None:
        super().__init__(detail, field=field, rule=rule, extra={"windows": windows, "reason": reason})
        self.windows = windows
        self.reason = reason  # "no_window" when the school set none (closed by default, R-SCHED-1)


class NotAllowed(ConflictError):
    """The caller may see the object but not take this action on it (HTTP 403)."""

    code = "forbidden"
    title_en = "Forbidden"
    title_zh = "沒有權限"
    status = 403


class NotFound(ConflictError):
    """Not there, or not visible to the caller: never say which (HTTP 404)."""

    code = "not-found"
    title_en = "Not found"
    title_zh = "查無資料"
    status = 404


class StorageUnavailable(ConflictError):
    """Object storage did not answer: nothing was decided, the upload can be completed later (HTTP 503)."""

    code = "storage-unavailable"
    title_en = "File storage is unavailable; retry shortly"
    title_zh = "檔案儲存服務暫時無法使用，請稍後再試"
    status = 503
