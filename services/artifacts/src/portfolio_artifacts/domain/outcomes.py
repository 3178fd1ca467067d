"""Course learning outcome (課程學習成果) lifecycle (R-ART-3, R-ART-4, R-ART-5).

draft ──submit──▶ submitted ──certify──▶ certified ──select/deselect──▶ (selected flag)
                      │  ▲                    │
                 return  resubmit        return (only when not selected)
                      ▼  │                    ▼
                    returned ◀────────────────┘
Any state but withdrawn ──withdraw──▶ withdrawn, except a certified outcome that is selected.

Transitions are pure: they take an :class:`OutcomeState` and return a new one, or raise
:class:`IllegalTransition` naming the rule.
"""

from __future__ import annotations

import enum
import unicodedata
from dataclasses import dataclass, replace
from datetime import datetime

from portfolio_artifacts.domain.errors import CertificationInvalid, IllegalTransition, ValidationError


class OutcomeStatus(enum.StrEnum):
    DRAFT = "draft"  # upload initiated, files not yet accepted
    SUBMITTED = "submitted"  # files accepted, awaiting certification (待認證)
    CERTIFIED = "certified"  # 已認證
    RETURNED = "returned"  # 退回, with a reason; the student may upload a new version
    WITHDRAWN = "withdrawn"  # 撤回 by the student


class CertificationBasis(enum.StrEnum):
    """On what authority a certification (認證) was made (R-ART-3, R-ART-5)."""

    TEACHER = "teacher"  # the course teacher
    REVIEWING_TEACHER = "reviewing_teacher"  # the reviewing teacher of a co-taught course (R-REC-2)
    DELEGATE = "delegate"  # next in the school's delegation order, the teacher cannot act
    ON_BEHALF_AUTHORISATION = "on_behalf_authorisation"  # staff authorised by the teacher
    EXTENDED_ACCOUNT = "extended_account"  # a teacher who left, through an extended account


# Bases where someone acts for the course teacher: R-ART-5 requires recording whom.
_ACTING_FOR_TEACHER = frozenset({CertificationBasis.DELEGATE, CertificationBasis.ON_BEHALF_AUTHORISATION})

RETURN_REASON_MAX_CHARS = 200


@dataclass(frozen=True, slots=True)
class CertificationRecord:
    """Who certified, on whose behalf, on what basis, and when (R-ART-5, R-RET-3)."""

    certified_by: str
    on_behalf_of: str | None
    basis: CertificationBasis
    at: datetime

    def __post_init__(self) -> None:
        if not isinstance(self.certified_by, str) or not self.certified_by.strip():
            raise CertificationInvalid("certified_by is required", field="certified_by")
        try:
            basis = CertificationBasis(self.basis)
        except ValueError:
            raise CertificationInvalid(f"unknown certification basis {self.basis!r}", field="basis") from None
        object.__setattr__(self, "basis", basis)
        if self.at.tzinfo is None or self.at.utcoffset() is None:
            raise CertificationInvalid("certification time must be timezone-aware", field="at")
        if basis in _ACTING_FOR_TEACHER:
            if not self.on_behalf_of:
                raise CertificationInvalid(
                    f"a {basis.value} certification must record the teacher it acts for", field="on_behalf_of"
                )
            if self.on_behalf_of == self.certified_by:
                raise CertificationInvalid("one cannot certify on one's own behalf", field="on_behalf_of")
        elif self.on_behalf_of is not None:
            raise CertificationInvalid(
                f"a {basis.value} certification is made in one's own name; on_behalf_of must be empty",
                field="on_behalf_of",
            )


@dataclass(frozen=True, slots=True)
class OutcomeState:
    """The lifecycle part of an outcome. ``file_version`` counts uploads (1 = first)."""

    status: OutcomeStatus = OutcomeStatus.DRAFT
    file_version: int = 1
    selected: bool = False
    certification: CertificationRecord | None = None
    return_reason: str | None = None
    withdrawn_from: OutcomeStatus | None = None


def new_outcome() -> OutcomeState:
    """An upload has been initiated."""
    return OutcomeState()


def _illegal(state: OutcomeState, action: str, rule: str | None = None, why: str = "") -> IllegalTransition:
    detail = f"cannot {action} an outcome that is {state.status.value}"
    if why:
        detail += f": {why}"
    return IllegalTransition(detail, field="status", rule=rule)


def submit(state: OutcomeState) -> OutcomeState:
    """Files accepted: the outcome awaits certification (R-ART-1)."""
    if state.status is not OutcomeStatus.DRAFT:
        raise _illegal(state, "submit", "R-ART-1")
    return replace(state, status=OutcomeStatus.SUBMITTED)


def certify(state: OutcomeState, record: CertificationRecord) -> OutcomeState:
    """The course teacher, or someone acting under R-ART-5, certifies the outcome (R-ART-3)."""
    if state.status is not OutcomeStatus.SUBMITTED:
        why = "a returned outcome needs a new version first" if state.status is OutcomeStatus.RETURNED else ""
        raise _illegal(state, "certify", "R-ART-3", why)
    return replace(state, status=OutcomeStatus.CERTIFIED, certification=record, return_reason=None)


def return_to_student(state: OutcomeState, reason: str) -> OutcomeState:
    """The teacher returns (退回) the outcome with a reason, before or after certifying it (R-ART-3).

    A selected outcome cannot be returned: the student must deselect it first, so a submitted
    selection never silently loses an item.
    """
    if state.status not in {OutcomeStatus.SUBMITTED, OutcomeStatus.CERTIFIED}:
        raise _illegal(state, "return", "R-ART-3")
    if state.selected:
        raise _illegal(state, "return", "R-ART-4", "it is selected for submission")
    text = unicodedata.normalize("NFC", reason or "").strip()
    if not text:
        raise ValidationError("a return needs a reason", field="reason", rule="R-ART-3")
    if len(text) > RETURN_REASON_MAX_CHARS:
        raise ValidationError(
            f"the reason may be at most {RETURN_REASON_MAX_CHARS} characters", field="reason", rule="R-ART-3"
        )
    # The last certification stays recorded (who, on whose behalf): the status says it no longer
    # stands, and the history keeps every certification and return (R-RET-3).
    return replace(state, status=OutcomeStatus.RETURNED, return_reason=text)


def resubmit(state: OutcomeState) -> OutcomeState:
    """The student uploads a new version of a returned outcome; it awaits certification again."""
    if state.status is not OutcomeStatus.RETURNED:
        raise _illegal(state, "upload a new version of", "R-ART-3", "only a returned outcome takes one")
    return replace(state, status=OutcomeStatus.SUBMITTED, file_version=state.file_version + 1)


def withdraw(state: OutcomeState) -> OutcomeState:
    """The student withdraws the outcome; a selected one must be deselected first (R-ART-4)."""
    if state.status is OutcomeStatus.WITHDRAWN:
        raise _illegal(state, "withdraw")
    if state.selected:
        raise _illegal(state, "withdraw", "R-ART-4", "it is selected for submission; deselect it first")
    return replace(state, status=OutcomeStatus.WITHDRAWN, withdrawn_from=state.status)


def select(state: OutcomeState) -> OutcomeState:
    """Select (勾選) for submission. Only a certified outcome may be selected (R-ART-4).

    The yearly cap is checked with ``policy.check_selection`` against the student's other outcomes.
    """
    if state.status is not OutcomeStatus.CERTIFIED:
        raise _illegal(state, "select", "R-ART-4", "only certified outcomes may be selected")
    if state.selected:
        raise _illegal(state, "select", "R-ART-4", "it is already selected")
    return replace(state, selected=True)


def deselect(state: OutcomeState) -> OutcomeState:
    if not state.selected:
        raise _illegal(state, "deselect", "R-ART-4", "it is not selected")
    return replace(state, selected=False)


def can_certify(state: OutcomeState) -> bool:
    return state.status is OutcomeStatus.SUBMITTED


def counts_towards_upload_cap(state: OutcomeState) -> bool:
    """Withdrawn outcomes free their place in the school's per-semester count (R-ART-2)."""
    return state.status is not OutcomeStatus.WITHDRAWN
