"""Enrolment status (學籍狀態) and enrolment changes (學籍異動), R-ENR-1.

A student's status at this school moves only through the changes below. ``visiting`` is a
visiting student (借讀生) whose enrolment stays at their home school while they study here; the
records made here follow them (R-ENR-1). ``None`` as the current status means the school has no
enrolment for the person yet.

=================  =============================================  =========================
change             from                                           to
=================  =============================================  =========================
admission          (none), left                                    enrolled
transfer_in        (none), transferred_out, left, visiting         enrolled
transfer_out       enrolled                                        transferred_out
suspension         enrolled                                        suspended
reinstatement      suspended                                       enrolled
repeat_grade       enrolled                                        enrolled (grade kept)
visiting_study     (none)                                          visiting
graduation         enrolled in grade 3                             graduated
leaving            enrolled, suspended, visiting                   left
=================  =============================================  =========================

Records follow the student (R-ENR-1): no change ever deletes records. A transfer in, a
reinstatement or a repeated grade carries the records made before; after a transfer inside the
district what the old school certified must still be there (see ``carries_prior_records``).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from portfolio_records.domain.errors import InvalidEnrolmentTransition, InvalidGradeLevel

MIN_GRADE = 1
MAX_GRADE = 3  # 高一..高三


class EnrolmentStatus(enum.StrEnum):
    ENROLLED = "enrolled"  # 在學
    SUSPENDED = "suspended"  # 休學
    TRANSFERRED_OUT = "transferred_out"  # 轉出
    GRADUATED = "graduated"  # 畢業
    LEFT = "left"  # 離校（退學、休學期滿未復學等）
    VISITING = "visiting"  # 借讀


class EnrolmentChangeKind(enum.StrEnum):
    ADMISSION = "admission"  # 入學
    TRANSFER_OUT = "transfer_out"  # 轉出
    TRANSFER_IN = "transfer_in"  # 轉入
    SUSPENSION = "suspension"  # 休學
    REINSTATEMENT = "reinstatement"  # 復學
    REPEAT_GRADE = "repeat_grade"  # 重讀
    VISITING_STUDY = "visiting_study"  # 借讀
    GRADUATION = "graduation"  # 畢業
    LEAVING = "leaving"  # 離校


_S = EnrolmentStatus
_K = EnrolmentChangeKind

# change → (statuses it may start from, resulting status); None stands for "no enrolment yet".
TRANSITIONS: dict[EnrolmentChangeKind, tuple[frozenset[EnrolmentStatus | None], EnrolmentStatus]] = {
    _K.ADMISSION: (frozenset({None, _S.LEFT}), _S.ENROLLED),
    _K.TRANSFER_IN: (frozenset({None, _S.TRANSFERRED_OUT, _S.LEFT, _S.VISITING}), _S.ENROLLED),
    _K.TRANSFER_OUT: (frozenset({_S.ENROLLED}), _S.TRANSFERRED_OUT),
    _K.SUSPENSION: (frozenset({_S.ENROLLED}), _S.SUSPENDED),
    _K.REINSTATEMENT: (frozenset({_S.SUSPENDED}), _S.ENROLLED),
    _K.REPEAT_GRADE: (frozenset({_S.ENROLLED}), _S.ENROLLED),
    _K.VISITING_STUDY: (frozenset({None}), _S.VISITING),
    _K.GRADUATION: (frozenset({_S.ENROLLED}), _S.GRADUATED),
    _K.LEAVING: (frozenset({_S.ENROLLED, _S.SUSPENDED, _S.VISITING}), _S.LEFT),
}

_CARRIES_RECORDS = frozenset({_K.TRANSFER_IN, _K.REINSTATEMENT, _K.REPEAT_GRADE, _K.VISITING_STUDY})
# Changes that place the student into a grade anew, so the grade must be known.
_NEEDS_GRADE = frozenset({_K.TRANSFER_IN, _K.VISITING_STUDY})


def _status_label(status: EnrolmentStatus | None) -> str:
    return "no enrolment" if status is None else status.value


def apply_change(current: EnrolmentStatus | None, kind: EnrolmentChangeKind) -> EnrolmentStatus:
    """The status after ``kind``; raises ``InvalidEnrolmentTransition`` when impossible (R-ENR-1)."""
    allowed_from, result = TRANSITIONS[kind]
    if current not in allowed_from:
        raise InvalidEnrolmentTransition(
            f"A {kind.value} is impossible for a student whose status is {_status_label(current)}",
            f"學籍狀態為「{_status_label(current)}」的學生不能辦理「{kind.value}」",
            extra={"current_status": None if current is None else current.value, "change": kind.value},
        )
    return result


def allowed_changes(current: EnrolmentStatus | None) -> list[EnrolmentChangeKind]:
    """The changes possible from ``current`` (for the registry section's menus)."""
    return [kind for kind, (allowed_from, _) in TRANSITIONS.items() if current in allowed_from]


def carries_prior_records(kind: EnrolmentChangeKind) -> bool:
    """Whether the change brings the student's earlier records (incl. certified outcomes) along.

    R-ENR-1: records follow the student; a transfer must not lose what was certified at the old
    school, and a repeated grade keeps the grades of the first attempt beside the new ones.
    """
    return kind in _CARRIES_RECORDS


def _check_grade(grade: int) -> None:
    if not MIN_GRADE <= grade <= MAX_GRADE:
        raise InvalidGradeLevel(f"Grade must be 1 to 3, not {grade}", f"年級須為 1 至 3，不可為 {grade}")


@dataclass(frozen=True, slots=True)
class EnrolmentState:
    """Status and grade level (年級) of a student at this school; ``repeating`` marks 重讀."""

    status: EnrolmentStatus | None
    grade: int | None = None
    repeating: bool = False

    def __post_init__(self) -> None:
        if self.grade is not None:
            _check_grade(self.grade)
        if self.status is not None and self.grade is None:
            raise InvalidGradeLevel("An enrolment needs a grade", "學籍須有年級")


def apply_enrolment_change(
    state: EnrolmentState, kind: EnrolmentChangeKind, *, grade: int | None = None
) -> EnrolmentState:
    """Apply a change to status and grade level (R-ENR-1).

    - admission: grade 1 unless given;
    - transfer_in, visiting_study: the grade placed into must be given;
    - reinstatement: back into the grade held before the suspension, or the given one, which may
      be at most one above it (the suspension came after a completed year);
    - repeat_grade: the grade is kept (or set lower when given) and the student is marked as
      repeating, so the next promotion keeps them in that grade;
    - graduation: only from grade 3;
    - other changes keep the grade.
    """
    new_status = apply_change(state.status, kind)
    if grade is not None:
        _check_grade(grade)

    if kind is _K.ADMISSION:
        return EnrolmentState(new_status, grade if grade is not None else MIN_GRADE)
    if kind in _NEEDS_GRADE:
        if grade is None:
            raise InvalidGradeLevel(
                f"A {kind.value} needs the grade the student is placed into",
                f"辦理「{kind.value}」須指定編入年級",
            )
        return EnrolmentState(new_status, grade)

    current_grade = state.grade
    assert current_grade is not None  # every status reached by apply_change has a grade
    if kind is _K.REINSTATEMENT:
        target = current_grade if grade is None else grade
        if target > current_grade + 1:
            raise InvalidGradeLevel(
                f"A student suspended in grade {current_grade} cannot be reinstated into grade {target}",
                f"於 {current_grade} 年級休學的學生不能復學至 {target} 年級",
            )
        return EnrolmentState(new_status, target)
    if kind is _K.REPEAT_GRADE:
        target = current_grade if grade is None else grade
        if target > current_grade:
            raise InvalidGradeLevel(
                "Repeating cannot move a student to a higher grade",
                "重讀不能編入較高年級",
            )
        return EnrolmentState(new_status, target, repeating=True)
    if kind is _K.GRADUATION and current_grade != MAX_GRADE:
        raise InvalidEnrolmentTransition(
            f"Only a grade-3 student can graduate; this student is in grade {current_grade}",
            f"僅三年級學生可畢業，此學生為 {current_grade} 年級",
            field="grade",
            extra={"change": kind.value, "grade": current_grade},
        )
    return EnrolmentState(new_status, current_grade)


def promote(state: EnrolmentState) -> EnrolmentState:
    """Year-end promotion (升級): grade + 1, except for a repeating student, who stays.

    Only enrolled students are promoted; a grade-3 student graduates instead.
    """
    if state.status is not _S.ENROLLED:
        raise InvalidEnrolmentTransition(
            f"Only enrolled students are promoted; status is {_status_label(state.status)}",
            f"僅在學學生可升級，目前狀態為「{_status_label(state.status)}」",
        )
    assert state.grade is not None
    if state.repeating:
        return EnrolmentState(state.status, state.grade)
    if state.grade >= MAX_GRADE:
        raise InvalidGradeLevel("A grade-3 student graduates rather than being promoted", "三年級學生應辦理畢業")
    return EnrolmentState(state.status, state.grade + 1)
