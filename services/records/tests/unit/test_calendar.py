"""Academic calendar and phase windows (R-SCHED-1, R-SUB-6)."""

from datetime import UTC, date, datetime, timedelta

import pytest

from portfolio_records.domain.calendar import (
    TAIPEI,
    Phase,
    PhaseWindow,
    SemesterSchedule,
    Term,
    academic_year_bounds,
    academic_year_of,
    gregorian_to_roc,
    roc_to_gregorian,
    semester_bounds,
    semester_of,
    term_of,
)
from portfolio_records.domain.errors import InvalidPhaseWindow


def tpe(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=TAIPEI)


def window(phase: Phase, start: datetime, end: datetime, check: datetime | None = None) -> PhaseWindow:
    return PhaseWindow(phase, start, end, check if check is not None else start)


def test_phases() -> None:
    assert [p.value for p in Phase] == [
        "data_entry",
        "outcome_upload",
        "outcome_certification",
        "outcome_selection",
        "performance_upload",
        "performance_selection",
        "submission",
        "receipt_confirmation",
    ]


def test_valid_window_is_open_start_inclusive_end_exclusive() -> None:
    w = PhaseWindow(Phase.OUTCOME_UPLOAD, tpe(2025, 9, 1), tpe(2026, 2, 14), tpe(2026, 2, 7))
    assert not w.is_open(tpe(2025, 8, 31, 23, 59))
    assert w.is_open(tpe(2025, 9, 1))
    assert w.is_open(tpe(2026, 2, 13, 23, 59, 59))
    assert not w.is_open(tpe(2026, 2, 14))
    assert w.has_ended(tpe(2026, 2, 14))
    # The same instant in another zone.
    assert w.is_open(datetime(2025, 8, 31, 16, 0, tzinfo=UTC))


def test_start_must_precede_end() -> None:
    with pytest.raises(InvalidPhaseWindow) as info:
        window(Phase.SUBMISSION, tpe(2026, 3, 1), tpe(2026, 3, 1))
    assert info.value.field == "ends_at"
    assert info.value.rule == "R-SCHED-1"
    with pytest.raises(InvalidPhaseWindow):
        window(Phase.SUBMISSION, tpe(2026, 3, 2), tpe(2026, 3, 1))


@pytest.mark.parametrize("check", [tpe(2026, 2, 28), tpe(2026, 3, 11)])
def test_self_check_must_lie_within_window(check: datetime) -> None:
    with pytest.raises(InvalidPhaseWindow) as info:
        PhaseWindow(Phase.OUTCOME_CERTIFICATION, tpe(2026, 3, 1), tpe(2026, 3, 10), check)
    assert info.value.field == "self_check_at"


def test_self_check_may_be_at_the_edges() -> None:
    PhaseWindow(Phase.OUTCOME_CERTIFICATION, tpe(2026, 3, 1), tpe(2026, 3, 10), tpe(2026, 3, 10))


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(InvalidPhaseWindow) as info:
        PhaseWindow(Phase.DATA_ENTRY, datetime(2026, 3, 1), tpe(2026, 3, 10), tpe(2026, 3, 5))
    assert info.value.field == "starts_at"
    w = window(Phase.DATA_ENTRY, tpe(2026, 3, 1), tpe(2026, 3, 10))
    with pytest.raises(InvalidPhaseWindow):
        w.is_open(datetime(2026, 3, 2))


def test_receipt_confirmation_lasts_at_least_three_days() -> None:
    # R-SUB-6
    start = tpe(2026, 4, 1, 8)
    window(Phase.RECEIPT_CONFIRMATION, start, start + timedelta(days=3))
    with pytest.raises(InvalidPhaseWindow) as info:
        window(Phase.RECEIPT_CONFIRMATION, start, start + timedelta(days=3) - timedelta(seconds=1))
    assert info.value.rule == "R-SUB-6"
    # Other phases may be short.
    window(Phase.SUBMISSION, start, start + timedelta(hours=1))


@pytest.mark.parametrize(
    ("day", "year", "semester"),
    [
        (date(2025, 8, 1), 114, 1),
        (date(2025, 12, 31), 114, 1),
        (date(2026, 1, 31), 114, 1),
        (date(2026, 2, 1), 114, 2),
        (date(2026, 7, 31), 114, 2),
        (date(2026, 8, 1), 115, 1),
        (date(2025, 7, 31), 113, 2),
    ],
)
def test_academic_year_and_semester(day: date, year: int, semester: int) -> None:
    assert academic_year_of(day) == year
    assert semester_of(day) == semester
    assert term_of(day) == Term(year, semester)


def test_aware_datetimes_are_read_in_taiwan_time() -> None:
    # 2025-07-31 17:00 UTC is already 1 August in Taipei: academic year 114.
    assert academic_year_of(datetime(2025, 7, 31, 17, tzinfo=UTC)) == 114
    assert academic_year_of(datetime(2025, 7, 31, 15, tzinfo=UTC)) == 113


def test_bounds_and_conversions() -> None:
    assert academic_year_bounds(114) == (date(2025, 8, 1), date(2026, 7, 31))
    assert semester_bounds(114, 1) == (date(2025, 8, 1), date(2026, 1, 31))
    assert semester_bounds(114, 2) == (date(2026, 2, 1), date(2026, 7, 31))
    assert semester_bounds(115, 1)[1] == date(2027, 1, 31)
    with pytest.raises(ValueError):
        semester_bounds(114, 3)
    assert roc_to_gregorian(114) == 2025
    assert gregorian_to_roc(2026) == 115


def test_term_next_and_validation() -> None:
    assert Term(114, 1).next() == Term(114, 2)
    assert Term(114, 2).next() == Term(115, 1)
    assert str(Term(114, 2)) == "114-2"
    assert Term(114, 2).first_day() == date(2026, 2, 1)
    assert Term(114, 1).last_day() == date(2026, 1, 31)
    with pytest.raises(ValueError):
        Term(114, 3)


def test_semester_schedule() -> None:
    upload = PhaseWindow(Phase.OUTCOME_UPLOAD, tpe(2026, 2, 16), tpe(2026, 7, 14), tpe(2026, 7, 7))
    certify = PhaseWindow(Phase.OUTCOME_CERTIFICATION, tpe(2026, 2, 16), tpe(2026, 7, 21), tpe(2026, 7, 16))
    schedule = SemesterSchedule.of(Term(114, 2), [upload, certify])
    assert schedule.open_phases(tpe(2026, 7, 15)) == [Phase.OUTCOME_CERTIFICATION]
    assert schedule.open_phases(tpe(2026, 3, 1)) == [Phase.OUTCOME_UPLOAD, Phase.OUTCOME_CERTIFICATION]
    assert schedule.window(Phase.SUBMISSION) is None
    assert not schedule.is_open(Phase.SUBMISSION, tpe(2026, 3, 1))
    assert schedule.self_checks_due(tpe(2026, 7, 1), tpe(2026, 7, 31)) == [upload, certify]
    assert schedule.self_checks_due(tpe(2026, 7, 7), tpe(2026, 7, 31)) == [certify]
    with pytest.raises(InvalidPhaseWindow):
        SemesterSchedule.of(Term(114, 2), [upload, upload])


def test_r_sched_1_phases_of_a_semester_are_in_order_at_the_limit_and_refused_past_it() -> None:
    from portfolio_records.domain.errors import PhasesOutOfOrder

    upload = window(Phase.OUTCOME_UPLOAD, tpe(2025, 9, 1), tpe(2026, 1, 20))
    same = window(Phase.OUTCOME_CERTIFICATION, tpe(2025, 9, 1), tpe(2026, 1, 20))
    SemesterSchedule.of(Term(114, 1), [upload, same]).check_order()  # equal start and end: in order
    early = window(Phase.OUTCOME_CERTIFICATION, tpe(2025, 8, 31, 23, 59, 59), tpe(2026, 1, 31))
    closes_early = window(Phase.OUTCOME_CERTIFICATION, tpe(2025, 9, 1), tpe(2026, 1, 19, 23, 59, 59))
    for bad in (early, closes_early):
        with pytest.raises(PhasesOutOfOrder) as caught:
            SemesterSchedule.of(Term(114, 1), [upload, bad]).check_order()
        assert caught.value.extra["phases"] == ["outcome_upload", "outcome_certification"]
        assert caught.value.rule == "R-SCHED-1" and caught.value.field == "phase"
    receipt = window(Phase.RECEIPT_CONFIRMATION, tpe(2026, 2, 1), tpe(2026, 2, 5))
    submission = window(Phase.SUBMISSION, tpe(2026, 2, 2), tpe(2026, 2, 3))
    with pytest.raises(PhasesOutOfOrder):
        SemesterSchedule.of(Term(114, 1), [receipt, submission]).check_order()
    # Phases without a pair (data entry, a lone selection) are not ordered.
    SemesterSchedule.of(
        Term(114, 1),
        [
            window(Phase.DATA_ENTRY, tpe(2026, 1, 1), tpe(2026, 1, 2)),
            window(Phase.OUTCOME_SELECTION, tpe(2025, 8, 1), tpe(2025, 8, 2)),
        ],
    ).check_order()


def test_the_school_time_zone_and_local_times() -> None:
    from zoneinfo import ZoneInfo

    from portfolio_records.domain.calendar import local_time, school_zone
    from portfolio_records.domain.errors import InvalidSchoolSetting

    assert school_zone("Asia/Taipei") == ZoneInfo("Asia/Taipei")
    assert local_time(datetime(2026, 1, 1, tzinfo=UTC), school_zone("Asia/Taipei")).isoformat() == (
        "2026-01-01T08:00:00+08:00"
    )
    with pytest.raises(InvalidSchoolSetting) as caught:
        school_zone("Mars/Olympus")
    assert caught.value.field == "time_zone"
    with pytest.raises(InvalidPhaseWindow):
        local_time(datetime(2026, 1, 1), school_zone("UTC"))  # a time without a zone is refused
