"""Refusals of receipts (收訖明細), confirmation windows, confirmations and objections (R-SUB-5..9).

Each subclasses one of the kinds of ``portfolio_shared.errors`` (422 invalid, 409 conflict, 404), so
the shared edge maps them; each carries the DOMAIN.md rule it enforces.
"""

from __future__ import annotations

from portfolio_shared.errors import Conflict, InvalidInput, NotFound


class ReceiptFileUnreadable(InvalidInput):
    """A receipt file (manual adapter) that cannot be read: the problem names the line and the field."""

    code = "receipt-file-unreadable"
    title_en = "The receipt file cannot be read"
    title_zh = "收訖明細檔案無法讀取"
    default_rule = "R-SUB-5"


class ReceiptMismatch(InvalidInput):
    """A receipt whose school, kind or term is not the batch's."""

    code = "receipt-does-not-match-batch"
    title_en = "The receipt does not belong to this batch"
    title_zh = "收訖明細與提交批次不符"
    default_rule = "R-SUB-5"


class ReceiptAlreadyImported(Conflict):
    code = "receipt-already-imported"
    title_en = "This batch's receipt was already imported"
    title_zh = "此批次的收訖明細已匯入"
    default_rule = "R-SUB-5"


class BatchNotAccepted(Conflict):
    code = "batch-not-accepted"
    title_en = "Only a batch the central database accepted has a receipt"
    title_zh = "僅中央資料庫已收件的批次有收訖明細"
    default_rule = "R-SUB-5"


class WindowTooShort(InvalidInput):
    code = "confirmation-window-too-short"
    title_en = "A receipt confirmation window lasts at least 3 calendar days"
    title_zh = "收訖確認期間至少須 3 日"
    default_rule = "R-SUB-6"


class WindowInvalid(InvalidInput):
    code = "confirmation-window-invalid"
    title_en = "The confirmation window's dates are not valid"
    title_zh = "收訖確認期間日期不正確"
    default_rule = "R-SUB-6"


class WindowAlreadyAnnounced(Conflict):
    code = "confirmation-window-already-announced"
    title_en = "This receipt's confirmation window was already announced"
    title_zh = "此收訖明細的確認期間已公告"
    default_rule = "R-SUB-6"


class WindowNotOpen(Conflict):
    """Confirming or objecting outside the window (before it opens, after it closes)."""

    code = "confirmation-window-not-open"
    title_en = "The receipt confirmation window is not open"
    title_zh = "目前不在收訖確認期間內"
    default_rule = "R-SUB-7"


class AlreadyAnswered(Conflict):
    code = "receipt-already-answered"
    title_en = "This student already answered for this receipt"
    title_zh = "此學生已回覆此收訖明細"
    default_rule = "R-SUB-7"


class StudentLeft(Conflict):
    """A student whose enrolment ended answers by post; staff record the answer (R-SUB-9)."""

    code = "student-left-answers-by-post"
    title_en = "A student who left the school answers by post"
    title_zh = "已離校學生以郵寄方式回覆"
    default_rule = "R-SUB-9"


class NotInReceipt(NotFound):
    code = "not-in-receipt"
    title_en = "Not part of this receipt"
    title_zh = "不在此收訖明細內"
    default_rule = "R-SUB-7"


class ObjectionInvalid(InvalidInput):
    code = "objection-invalid"
    title_en = "The objection is not valid"
    title_zh = "疑義內容不正確"
    default_rule = "R-SUB-7"


class ObjectionAlreadySettled(Conflict):
    code = "objection-already-settled"
    title_en = "The objection was already settled"
    title_zh = "此疑義已處理完畢"
    default_rule = "R-SUB-8"


class NotActingForOffice(Conflict):
    """Only the office's acting person (the responsible one, or the delegate when absent) resolves."""

    code = "not-acting-for-office"
    title_en = "Only the office's acting person resolves this objection"
    title_zh = "僅該業務之承辦人或代理人可處理此疑義"
    default_rule = "R-DUTY-2"


class ObjectionsOutstanding(Conflict):
    code = "objections-outstanding"
    title_en = "Every objection must be settled before the receipt confirmation is completed"
    title_zh = "尚有疑義未處理完畢，不能完成收訖確認"
    default_rule = "R-SUB-8"


class WindowStillOpen(Conflict):
    code = "confirmation-window-still-open"
    title_en = "The confirmation window has not closed yet"
    title_zh = "收訖確認期間尚未結束"
    default_rule = "R-SUB-7"


class AlreadyCompleted(Conflict):
    code = "receipt-confirmation-completed"
    title_en = "The receipt confirmation is already completed"
    title_zh = "收訖確認已完成"
    default_rule = "R-SUB-8"
