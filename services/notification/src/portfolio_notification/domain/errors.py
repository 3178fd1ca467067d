"""Domain exceptions of the notification service (the artifacts pattern, smallest form).

All subclass the one base of every service, ``portfolio_shared.errors.DomainError``: a stable
kebab-case ``code`` (the RFC 9457 problem ``type`` suffix), English and Chinese titles, a ``detail``,
the offending ``field`` if any, the DOMAIN.md ``rule`` it enforces and the class of outcome
(``status``). Only the shared edge (``portfolio_shared.problems``) turns them into HTTP.
"""

from __future__ import annotations

from portfolio_shared.errors import DomainError

__all__ = ["ConflictError", "DomainError", "NotFound", "ValidationError"]


class ValidationError(DomainError):
    code = "validation-error"
    title_en = "Invalid input"
    title_zh = "輸入資料不正確"
    status = 422


class ConflictError(DomainError):
    code = "conflict"
    title_en = "Conflict with current state"
    title_zh = "與目前狀態衝突"
    status = 409


class NotFound(DomainError):
    """Also answers for another school's objects, so existence does not leak."""

    code = "not-found"
    title_en = "Not found"
    title_zh = "查無資料"
    status = 404


class TemplateInvalid(ValidationError):
    code = "template-invalid"
    title_en = "Invalid message template"
    title_zh = "通知範本不正確"


class ReceiptOptOutRefused(ValidationError):
    """Reminders may be switched off by e-mail; receipt confirmation may not (R-SUB-7, R-SUB-9)."""

    code = "receipt-email-required"
    title_en = "E-mail about receipts cannot be switched off"
    title_zh = "收訖明細確認通知不得關閉"
    default_rule = "R-SUB-7"


class NotRetryable(ConflictError):
    code = "delivery-not-retryable"
    title_en = "Only a failed delivery can be sent again"
    title_zh = "僅能重送失敗的通知"


class NoRecipientYet(DomainError):
    """Nobody is known yet for an office's duty: the event is retried, then dead-lettered (nothing lost)."""

    code = "no-recipient"
    title_en = "No recipient known for this duty"
    title_zh = "尚無此職務之承辦人"
    status = 409
    default_rule = "R-DUTY-2"
