"""Who may build and submit a batch: the office of its kind (R-SUB-4), through its acting person (R-DUTY-2).

Submission keeps a read copy of identity's duties: per school and duty, the responsible persons, the
ordered delegates, who acts now (``ActingPersonChanged``) and recorded absences. Only the person who
acts for the kind's duty may create, check, exclude and submit; a delegate acting while the
responsible person is absent (or has left) submits on that person's behalf, and the batch records both.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

from .errors import NotActingForOffice
from .kinds import office_duty


@dataclass(frozen=True)
class Absence:
    user_id: str
    starts_on: date
    ends_on: date

    def covers(self, day: date) -> bool:
        return self.starts_on <= day <= self.ends_on


@dataclass(frozen=True)
class DutyCopy:
    """Submission's copy of one duty of a school (identity's Annex 1, R-DUTY-1)."""

    duty_code: str
    responsible_user_ids: Sequence[str] = ()
    delegate_user_ids: Sequence[str] = ()
    acting_user_id: str | None = None
    acting_is_delegate: bool = False
    acting_known: bool = False  # an ActingPersonChanged has been received for this duty
    left_user_ids: frozenset[str] = field(default_factory=frozenset)


@dataclass(frozen=True)
class Submitter:
    """Who submits (``submitted_by``) and, for a delegate, for whom (``on_behalf_of``)."""

    submitted_by: str
    on_behalf_of: str | None


def _unavailable(user_id: str, duty: DutyCopy, absences: Iterable[Absence], day: date) -> bool:
    return user_id in duty.left_user_ids or any(a.user_id == user_id and a.covers(day) for a in absences)


def authorise_submitter(
    kind: str, user_id: str, duty: DutyCopy | None, absences: Iterable[Absence], day: date
) -> Submitter:
    """The caller as submitter of ``kind``, or ``NotActingForOffice`` citing R-SUB-4 / R-DUTY-2."""
    duty_code = office_duty(kind)
    if duty is None or duty.duty_code != duty_code:
        raise NotActingForOffice(
            f"no one is known to act for duty {duty_code!r} at this school yet",
            "本校此職掌尚無承辦人資料",
            extra={"duty": duty_code},
        )
    absences = list(absences)
    if duty.acting_known:
        if duty.acting_user_id != user_id:
            raise NotActingForOffice(
                f"only the person acting for duty {duty_code!r} submits {kind} (R-SUB-4, R-DUTY-2)",
                "僅由負責此類資料之處室承辦人（或其代理人）提交",
                extra={"duty": duty_code},
            )
        if not duty.acting_is_delegate:
            return Submitter(user_id, None)
        # A delegate acts: on behalf of the responsible person who cannot act (R-DUTY-2).
        absent = [r for r in duty.responsible_user_ids if _unavailable(r, duty, absences, day)]
        behalf = absent[0] if absent else (duty.responsible_user_ids[0] if duty.responsible_user_ids else None)
        return Submitter(user_id, behalf)
    # No acting person announced yet: the responsible persons act while available.
    if user_id in duty.responsible_user_ids and not _unavailable(user_id, duty, absences, day):
        return Submitter(user_id, None)
    raise NotActingForOffice(
        f"only the person acting for duty {duty_code!r} submits {kind} (R-SUB-4, R-DUTY-2)",
        "僅由負責此類資料之處室承辦人（或其代理人）提交",
        rule="R-DUTY-2" if user_id in duty.delegate_user_ids else "R-SUB-4",
        extra={"duty": duty_code},
    )
