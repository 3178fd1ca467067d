"""A submission batch (提交批次): one school, kind and data term, and its state machine.

```
draft ──check──▶ checked ──submit──▶ ready ──▶ building ──▶ sending ──▶ accepted
  ▲  ╲            │  ▲                 │          │           │  ╲
  │   ╲──check──▶ failed_check         │          │           │   ▶ failed ──retry──▶ ready
  └──exclude / re-check (both)         └──────────┴───────────┴─────────▶ failed
```
- ``check`` runs the pre-check (檢核): no error → ``checked``, else ``failed_check``; it may run again
  from ``draft``, ``checked`` or ``failed_check`` (after the data was fixed).
- ``exclude`` names students left out of the batch (who, when, why are recorded) and sends the batch
  back to ``draft``: it must be checked again.
- ``submit`` (only from ``checked``: a batch with errors is refused) records who submits and on
  whose behalf, and hands the batch to sending (``ready``).
- ``building``, ``sending``, ``accepted``, ``failed``: the sending states (the package writer and the
  central-database port move the batch through them); ``failed`` → ``ready`` is a retry.
- ``cancel``: a batch not yet handed to sending can be dropped.
"""

from __future__ import annotations

from enum import StrEnum

from .errors import BatchHasErrors, IllegalTransition


class BatchStatus(StrEnum):
    DRAFT = "draft"
    CHECKED = "checked"
    FAILED_CHECK = "failed_check"
    READY = "ready"
    BUILDING = "building"
    SENDING = "sending"
    ACCEPTED = "accepted"
    FAILED = "failed"
    CANCELLED = "cancelled"


S = BatchStatus
# Every allowed move, in one table: anything else is an IllegalTransition.
TRANSITIONS: dict[BatchStatus, frozenset[BatchStatus]] = {
    S.DRAFT: frozenset({S.CHECKED, S.FAILED_CHECK, S.CANCELLED}),
    S.CHECKED: frozenset({S.CHECKED, S.FAILED_CHECK, S.READY, S.DRAFT, S.CANCELLED}),
    S.FAILED_CHECK: frozenset({S.CHECKED, S.FAILED_CHECK, S.DRAFT, S.CANCELLED}),
    S.READY: frozenset({S.BUILDING, S.FAILED}),
    S.BUILDING: frozenset({S.SENDING, S.FAILED}),
    S.SENDING: frozenset({S.ACCEPTED, S.FAILED}),
    S.FAILED: frozenset({S.READY}),
    S.ACCEPTED: frozenset(),
    S.CANCELLED: frozenset(),
}
# States in which the batch's content may still change (checks, exclusions).
EDITABLE = frozenset({S.DRAFT, S.CHECKED, S.FAILED_CHECK})
# Handed to sending by a submit (a second submit of the same batch changes nothing).
HANDED_OVER = frozenset({S.READY, S.BUILDING, S.SENDING, S.ACCEPTED, S.FAILED})
# A batch in one of these blocks a new batch of the same school, kind and term.
OPEN_STATES = frozenset(set(BatchStatus) - {S.CANCELLED, S.FAILED})


def transition(current: BatchStatus, to: BatchStatus) -> BatchStatus:
    """``to`` if the state machine allows it from ``current``, else ``IllegalTransition``."""
    if to not in TRANSITIONS[current]:
        raise IllegalTransition(
            f"a batch in state {current.value} cannot become {to.value}",
            f"批次狀態 {current.value} 不可轉為 {to.value}",
            extra={"status": current.value, "requested": to.value},
        )
    return to


def after_check(current: BatchStatus, error_count: int) -> BatchStatus:
    """The state after a pre-check with ``error_count`` errors."""
    if current not in EDITABLE:
        raise IllegalTransition(
            f"a batch in state {current.value} is no longer checked",
            f"批次狀態 {current.value} 不可再檢核",
            extra={"status": current.value, "requested": "check"},
        )
    return transition(current, S.CHECKED if error_count == 0 else S.FAILED_CHECK)


def after_exclusion(current: BatchStatus) -> BatchStatus:
    """Excluding students changes what is submitted: the batch must be checked again."""
    if current not in EDITABLE:
        raise IllegalTransition(
            f"students cannot be excluded from a batch in state {current.value}",
            f"批次狀態 {current.value} 不可再排除學生",
            extra={"status": current.value, "requested": "exclude"},
        )
    return S.DRAFT


def for_submission(current: BatchStatus, error_count: int | None) -> BatchStatus:
    """``ready`` for a batch whose last pre-check found nothing; refused otherwise (R-SUB-1: submitted
    after checking, 檢核無誤)."""
    if current is S.FAILED_CHECK or (error_count or 0) > 0:
        raise BatchHasErrors(
            f"the pre-check found {error_count or 0} error(s): fix the data and check again, or exclude "
            "the named students",
            f"檢核有 {error_count or 0} 項錯誤：請修正資料後重新檢核，或排除所列學生",
            extra={"error_count": error_count or 0},
        )
    if current is S.DRAFT:
        raise BatchHasErrors(
            "the batch has not been checked since it changed: run the pre-check first",
            "批次內容變更後尚未檢核，請先執行檢核",
            code="batch-not-checked",
            title_en="The batch must be checked before it is submitted",
            title_zh="批次須先檢核才能提交",
        )
    return transition(current, S.READY)
