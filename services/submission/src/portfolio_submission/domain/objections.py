"""Objections (疑義) to a receipt: who resolves them and how (R-SUB-7, R-SUB-8, R-DUTY-2).

An objection names items of the student's receipt and gives a reason. It goes to the office that
submitted that kind of data (R-SUB-4, R-SUB-8) — to the person acting for that duty now: the
responsible person, or the next delegate in order when the responsible one is absent or has left
(R-DUTY-2). The office settles it: ``corrected`` (a correction batch with only the affected
students and items was made) or ``rejected`` with a reason. The guidance data section completes
the receipt confirmation only when every objection is settled. Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from enum import StrEnum

from .receipts_errors import NotActingForOffice, ObjectionAlreadySettled, ObjectionInvalid, ObjectionsOutstanding

COMPLETING_DUTY = "receipt_confirmation"  # the guidance data section completes (R-SUB-8)
REASON_MAX = 500
MAX_ITEMS = 200


class ObjectionStatus(StrEnum):
    OPEN = "open"
    CORRECTED = "corrected"
    REJECTED = "rejected"


SETTLED = frozenset({ObjectionStatus.CORRECTED, ObjectionStatus.REJECTED})


@dataclass(frozen=True, slots=True)
class Acting:
    user_id: str
    is_delegate: bool
    on_behalf_of: str | None  # the responsible person the delegate acts for


def acting_person(
    responsible: Sequence[str],
    delegates: Sequence[str],
    *,
    unavailable: Collection[str],
    announced: str | None = None,
    announced_is_delegate: bool = False,
) -> Acting | None:
    """Who acts for a duty now (R-DUTY-2).

    Identity announces the acting person (``ActingPersonChanged``); when it has, that is the
    answer. Otherwise: the first responsible person who is available, then the delegates in
    order. None when nobody can act (the office is told nothing; staff see the objection unrouted).
    """
    first = responsible[0] if responsible else None
    if announced is not None and announced not in unavailable:
        return Acting(announced, announced_is_delegate, first if announced_is_delegate and first != announced else None)
    for user in responsible:
        if user not in unavailable:
            return Acting(user, False, None)
    for user in delegates:
        if user not in unavailable:
            return Acting(user, True, first)
    return None


def validate_objection(reason: str, item_ids: Sequence[str], student_item_ids: Collection[str]) -> str:
    """The reason, trimmed, after checking the named items are the student's (R-SUB-7)."""
    text = reason.strip()
    if not text:
        raise ObjectionInvalid("an objection gives a reason", "疑義須說明理由", field="reason")
    if len(text) > REASON_MAX:
        raise ObjectionInvalid(
            f"the reason is longer than {REASON_MAX} characters", f"理由超過 {REASON_MAX} 字", field="reason"
        )
    if not item_ids:
        raise ObjectionInvalid("an objection names at least one item", "疑義須指明至少一個項目", field="item_ids")
    if len(item_ids) > MAX_ITEMS:
        raise ObjectionInvalid(f"at most {MAX_ITEMS} items", f"最多 {MAX_ITEMS} 個項目", field="item_ids")
    if len(set(item_ids)) != len(item_ids):
        raise ObjectionInvalid("an item is named twice", "項目重複", field="item_ids")
    foreign = [i for i in item_ids if i not in student_item_ids]
    if foreign:
        raise ObjectionInvalid(
            f"{len(foreign)} named item(s) are not in the student's receipt",
            "所列項目不在該生的收訖明細內",
            field="item_ids",
            extra={"unknown_item_ids": foreign},
        )
    return text


def check_resolver(resolver: str, acting: Acting | None, *, duty: str) -> None:
    """Only the person acting for the duty resolves (R-SUB-8, R-DUTY-2)."""
    if acting is None or acting.user_id != resolver:
        raise NotActingForOffice(
            f"the objection belongs to duty {duty!r}; its acting person resolves it",
            "此疑義由該業務之承辦人（或代理人）處理",
            extra={"duty": duty},
        )


def settle(current: ObjectionStatus, to: ObjectionStatus, *, reason: str | None = None) -> ObjectionStatus:
    """open → corrected | rejected (a rejection gives its reason); a settled objection stays."""
    if to not in SETTLED:
        raise ValueError(f"not a settlement: {to}")
    if current in SETTLED:
        raise ObjectionAlreadySettled(f"the objection is already {current.value}", "此疑義已處理完畢")
    if to is ObjectionStatus.REJECTED:
        text = (reason or "").strip()
        if not text:
            raise ObjectionInvalid("a rejection gives its reason", "駁回須說明理由", field="reason", rule="R-SUB-8")
        if len(text) > REASON_MAX:
            raise ObjectionInvalid(
                f"the reason is longer than {REASON_MAX} characters",
                f"理由超過 {REASON_MAX} 字",
                field="reason",
                rule="R-SUB-8",
            )
    return to


def check_all_settled(statuses: Collection[ObjectionStatus]) -> None:
    """The receipt confirmation completes once every objection is settled (R-SUB-8)."""
    open_count = sum(1 for s in statuses if s not in SETTLED)
    if open_count:
        raise ObjectionsOutstanding(
            f"{open_count} objection(s) are not settled yet",
            f"尚有 {open_count} 件疑義未處理完畢",
            extra={"open_objections": open_count},
        )


def in_correction(
    student_id: str, source_id: str | None, student_ids: Collection[str], item_refs: Collection[str]
) -> bool:
    """Whether a workbook row belongs in a correction batch: only the named students, and of them
    only the named items (every row of the student when no item is named) (R-SUB-8)."""
    if student_id not in student_ids:
        return False
    return not item_refs or source_id in item_refs
