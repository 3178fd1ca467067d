"""Domain errors of the submission service: subclasses of the one base of every service
(``portfolio_shared.errors``); the edge turns them into problem+json citing the rule."""

from __future__ import annotations

from portfolio_shared.errors import Conflict, DomainError, Forbidden, InternalFailure, InvalidInput, NotFound

__all__ = [
    "BatchHasErrors",
    "Conflict",
    "DomainError",
    "Forbidden",
    "IllegalTransition",
    "InvalidInput",
    "InvalidWindow",
    "NotActingForOffice",
    "NotFound",
    "SealedDataUnreadable",
    "UnknownStudents",
]


class IllegalTransition(Conflict):
    """A batch cannot go from its state to the one asked for (the state machine in ``batches``)."""

    code = "illegal-batch-transition"
    title_en = "The batch cannot do this in its current state"
    title_zh = "批次目前的狀態不允許此操作"


class BatchHasErrors(Conflict):
    """The pre-check (檢核) found errors: fix the data and re-run it, or exclude the named students."""

    code = "batch-has-errors"
    title_en = "The pre-submission check found errors"
    title_zh = "提交前檢核有錯誤"
    default_rule = "R-SUB-1"


class NotActingForOffice(Forbidden):
    """Only the office's responsible person, or its acting delegate, submits its kind (R-SUB-4, R-DUTY-2)."""

    code = "not-acting-for-office"
    title_en = "You do not act for the office that submits this kind of data"
    title_zh = "您不是負責提交此類資料之處室的承辦人或代理人"
    default_rule = "R-SUB-4"


class InvalidWindow(InvalidInput):
    code = "invalid-central-window"
    title_en = "The central database window is not valid"
    title_zh = "中央資料庫提交期程不正確"
    default_rule = "R-SUB-1"


class UnknownStudents(InvalidInput):
    code = "unknown-students"
    title_en = "Some students are not in this batch"
    title_zh = "部分學生不在此批次中"


class SealedDataUnreadable(InternalFailure):
    """A student's sealed personal data does not open with this service's key (a key mix-up)."""

    code = "sealed-data-unreadable"
    title_en = "Sealed personal data could not be opened"
    title_zh = "無法解開加密的個人資料"
