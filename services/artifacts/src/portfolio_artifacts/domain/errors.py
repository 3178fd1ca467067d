"""Domain exceptions of the artifacts service.

All subclass the one base of every service, ``portfolio_shared.errors.DomainError``: a stable
kebab-case ``code`` (the RFC 9457 problem ``type`` suffix), English and Chinese titles, a human
``detail``, the offending ``field`` if any, the DOMAIN.md ``rule`` it enforces, and the class of
outcome (``status``) the shared edge answers with: 422 for input that can never be valid, 409 for a
conflict with current state, a window or a cap.
"""

from __future__ import annotations

from portfolio_shared.errors import DomainError

__all__ = ["ConflictError", "DomainError", "ValidationError"]


class ValidationError(DomainError):
    """Input that can never be valid as given (HTTP 422)."""

    code = "validation-error"
    title_en = "Invalid input"
    title_zh = "輸入資料不正確"
    status = 422


class ConflictError(DomainError):
    """Valid input that conflicts with current state, a window or a cap (HTTP 409)."""

    code = "conflict"
    title_en = "Conflict with current state"
    title_zh = "與目前狀態衝突"
    status = 409


# --- files (R-FILE-1, R-FILE-2) -------------------------------------------------------------------


class FileExtensionNotAllowed(ValidationError):
    code = "file-extension-not-allowed"
    title_en = "File extension not allowed for this slot"
    title_zh = "檔案副檔名不符規定"
    default_rule = "R-FILE-1"


class FileEmpty(ValidationError):
    code = "file-empty"
    title_en = "File is empty"
    title_zh = "檔案為空"
    default_rule = "R-FILE-1"


class FileTooLarge(ValidationError):
    code = "file-too-large"
    title_en = "File exceeds the size limit"
    title_zh = "檔案超過大小上限"
    default_rule = "R-FILE-1"


class FileSizeMismatch(ValidationError):
    code = "file-size-mismatch"
    title_en = "Received size differs from the declared size"
    title_zh = "上傳檔案大小與申報不符"
    default_rule = "R-FILE-1"


class FileChecksumMismatch(ValidationError):
    code = "file-sha256-mismatch"
    title_en = "Received SHA-256 differs from the declared SHA-256"
    title_zh = "上傳檔案雜湊值與申報不符"
    default_rule = "R-FILE-1"


class FileTypeMismatch(ValidationError):
    code = "file-type-mismatch"
    title_en = "File content does not match an allowed type"
    title_zh = "檔案內容格式不符規定"
    default_rule = "R-FILE-1"


class ExecutableDisguised(ValidationError):
    code = "file-executable-disguised"
    title_en = "Executable or active content disguised as an allowed file"
    title_zh = "檔案為偽裝之執行檔或程式碼"
    default_rule = "R-FILE-1"


class FileContentInvalid(ValidationError):
    """The magic bytes promise a kind, but the file does not parse as it within the bounds."""

    code = "file-content-invalid"
    title_en = "File does not parse as its type"
    title_zh = "檔案內容無法依其格式解析"
    default_rule = "R-FILE-1"


class InvalidFilename(ValidationError):
    code = "file-invalid-filename"
    title_en = "Invalid file name"
    title_zh = "檔名不正確"
    default_rule = "R-FILE-1"


class InvalidDeclaration(ValidationError):
    code = "file-invalid-declaration"
    title_en = "Invalid upload declaration"
    title_zh = "上傳申報資料不正確"
    default_rule = "R-FILE-1"


class DescriptionInvalid(ValidationError):
    code = "description-invalid"
    title_en = "Invalid short description"
    title_zh = "內容簡述不正確"
    default_rule = "R-FILE-2"


# --- performance categories (R-FILE-3) ------------------------------------------------------------


class UnknownCategory(ValidationError):
    code = "performance-unknown-category"
    title_en = "Unknown multiple-performance category"
    title_zh = "未知的多元表現類別"
    default_rule = "R-FILE-3"


class PerformanceFieldInvalid(ValidationError):
    code = "performance-field-invalid"
    title_en = "Invalid multiple-performance field"
    title_zh = "多元表現欄位不正確"
    default_rule = "R-FILE-3"


class CatalogInvalid(ValidationError):
    code = "performance-catalog-invalid"
    title_en = "Invalid category catalog"
    title_zh = "多元表現類別設定不正確"
    default_rule = "R-FILE-3"


# --- policy and caps (R-ART-2, R-ART-4, R-PERF-1, R-PERF-2) ---------------------------------------


class PolicyInvalid(ValidationError):
    code = "policy-invalid"
    title_en = "Invalid school artifact policy"
    title_zh = "學校學習歷程設定不正確"


class UploadCapReached(ConflictError):
    code = "upload-cap-reached"
    title_en = "Upload limit reached"
    title_zh = "已達上傳件數上限"


class SelectionCapReached(ConflictError):
    code = "selection-cap-reached"
    title_en = "Selection limit reached"
    title_zh = "已達勾選件數上限"


# --- outcome lifecycle (R-ART-3, R-ART-4, R-ART-5) ------------------------------------------------


class IllegalTransition(ConflictError):
    code = "outcome-illegal-transition"
    title_en = "Action not allowed in the outcome's current status"
    title_zh = "學習成果目前狀態不允許此操作"


class CertificationInvalid(ValidationError):
    code = "certification-invalid"
    title_en = "Invalid certification record"
    title_zh = "認證紀錄不正確"
    default_rule = "R-ART-5"


class WindowClosed(ConflictError):
    code = "window-closed"
    title_en = "Outside the school's window for this action"
    title_zh = "不在學校規定的作業期間內"


# --- enrolment (R-DATA-6, R-ENR-1) ------------------------------------------------------------------


class NotEnrolled(ConflictError):
    """The student's enrolment at the school is not active: no new data from outside it (R-DATA-6)."""

    code = "not-enrolled"
    title_en = "Not enrolled at this school: learning-portfolio data can no longer be added or changed"
    title_zh = "非在學期間，不得上傳或異動學習歷程資料"
    default_rule = "R-DATA-6"

    def __init__(self, detail: str, *, status: str, since: str, school_id: str) -> None:
        super().__init__(
            detail,
            field="enrolment_status",
            extra={"enrolment": {"school_id": school_id, "status": status, "since": since or None}},
        )
        self.status_value = status
        self.since = since
        self.school_id = school_id


class EnrolmentNotKnown(NotEnrolled):
    """The school has no enrolment of the student yet (records has not published it): nothing is
    collected before it is known (R-DATA-6). Distinct from ``not-enrolled`` (left, suspended …)."""

    code = "enrolment-not-known"
    title_en = "Enrolment not known yet: the school has not registered your enrolment"
    title_zh = "尚無學籍資料，學校登錄學籍後才能上傳或勾選"


class OutsideEnrolmentPeriod(ValidationError):
    """A date of the record lies before the student's enrolment began (R-DATA-6)."""

    code = "outside-enrolment-period"
    title_en = "Date outside the period of enrolment"
    title_zh = "日期不在在學期間內"
    default_rule = "R-DATA-6"

    def __init__(self, detail: str, *, field: str, value: str, starts_on: str) -> None:
        super().__init__(detail, field=field, extra={"date": value, "enrolment_period": {"starts_on": starts_on}})
        self.value = value
        self.starts_on = starts_on


# --- submission (R-SUB-7, R-SUB-8) ---------------------------------------------------------------


class SelectionFrozen(ConflictError):
    """The central database accepted a batch carrying this selection: it can no longer be undone
    here; a correction goes through an objection and a correction batch."""

    code = "selection-frozen"
    title_en = "The selection was submitted and is frozen"
    title_zh = "此勾選已提交至中央資料庫，不可取消"
    default_field = "selected"
    default_rule = "R-SUB-7"
