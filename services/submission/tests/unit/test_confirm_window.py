"""The confirmation window (R-SUB-6) and each student's answer in it (R-SUB-7, R-SUB-9)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from portfolio_submission.domain.confirmation import (
    MAX_LEAD_DAYS,
    MAX_WINDOW_DAYS,
    Answer,
    answer,
    deem,
    local_today,
    plan_window,
)
from portfolio_submission.domain.receipts_errors import (
    AlreadyAnswered,
    StudentLeft,
    WindowInvalid,
    WindowNotOpen,
    WindowTooShort,
)

TODAY = date(2026, 3, 2)


def test_two_days_refused_citing_r_sub_6() -> None:
    with pytest.raises(WindowTooShort) as err:
        plan_window(date(2026, 3, 2), date(2026, 3, 3), "Asia/Taipei", today=TODAY)
    assert err.value.rule == "R-SUB-6" and err.value.extra["days"] == 2 and err.value.field == "last_day"


def test_one_day_refused() -> None:
    with pytest.raises(WindowTooShort):
        plan_window(TODAY, TODAY, "Asia/Taipei", today=TODAY)


def test_three_days_accepted_in_taipei_midnight_to_midnight() -> None:
    w = plan_window(date(2026, 3, 2), date(2026, 3, 4), "Asia/Taipei", today=TODAY)
    assert w.days == 3
    # 00:00 +08:00 on the first day, 24:00 +08:00 on the last day
    assert w.opens_at == datetime(2026, 3, 1, 16, 0, tzinfo=UTC)
    assert w.closes_at == datetime(2026, 3, 4, 16, 0, tzinfo=UTC)
    assert w.closes_at - w.opens_at == timedelta(hours=72)  # no daylight saving in Taipei


def test_three_calendar_days_across_a_dst_change_count_as_three() -> None:
    # New York springs forward on 8 March 2026: these three calendar days last 71 hours
    w = plan_window(date(2026, 3, 7), date(2026, 3, 9), "America/New_York", today=date(2026, 3, 1))
    assert w.days == 3 and w.closes_at - w.opens_at == timedelta(hours=71)
    assert w.opens_at == datetime(2026, 3, 7, 5, 0, tzinfo=UTC)  # EST
    assert w.closes_at == datetime(2026, 3, 10, 4, 0, tzinfo=UTC)  # EDT
    with pytest.raises(WindowTooShort):  # two calendar days stay too short, hours aside
        plan_window(date(2026, 3, 7), date(2026, 3, 8), "America/New_York", today=date(2026, 3, 1))


def test_calendar_days_follow_the_school_zone_not_utc() -> None:
    # 23:30 UTC on 1 March is already 2 March in Taipei: "today" for the school
    now = datetime(2026, 3, 1, 23, 30, tzinfo=UTC)
    assert local_today(now, "Asia/Taipei") == date(2026, 3, 2)
    assert local_today(now, "America/New_York") == date(2026, 3, 1)
    with pytest.raises(WindowInvalid) as err:
        plan_window(date(2026, 3, 1), date(2026, 3, 5), "Asia/Taipei", today=local_today(now, "Asia/Taipei"))
    assert err.value.field == "first_day"
    assert (
        plan_window(
            date(2026, 3, 1), date(2026, 3, 3), "America/New_York", today=local_today(now, "America/New_York")
        ).days
        == 3
    )


def test_last_before_first_and_too_long_and_unknown_zone_refused() -> None:
    with pytest.raises(WindowInvalid) as err:
        plan_window(date(2026, 3, 5), date(2026, 3, 4), "Asia/Taipei", today=TODAY)
    assert err.value.field == "last_day"
    assert (
        plan_window(TODAY, TODAY + timedelta(days=MAX_WINDOW_DAYS - 1), "Asia/Taipei", today=TODAY).days
        == MAX_WINDOW_DAYS
    )
    with pytest.raises(WindowInvalid):
        plan_window(TODAY, TODAY + timedelta(days=MAX_WINDOW_DAYS), "Asia/Taipei", today=TODAY)
    with pytest.raises(WindowInvalid) as zone:
        plan_window(TODAY, TODAY + timedelta(days=3), "Mars/Olympus", today=TODAY)
    assert zone.value.field == "time_zone"


WINDOW = plan_window(date(2026, 3, 2), date(2026, 3, 4), "Asia/Taipei", today=TODAY)


def test_answer_inside_the_window_at_both_edges() -> None:
    assert (
        answer(Answer.PENDING, Answer.CONFIRMED, window=WINDOW, now=WINDOW.opens_at, left=False, by_post=False)
        is Answer.CONFIRMED
    )
    last = WINDOW.closes_at - timedelta(microseconds=1)
    assert (
        answer(Answer.PENDING, Answer.OBJECTED, window=WINDOW, now=last, left=False, by_post=False) is Answer.OBJECTED
    )


@pytest.mark.parametrize("offset", [timedelta(microseconds=-1), None])
def test_answer_outside_the_window_refused(offset: timedelta | None) -> None:
    now = WINDOW.opens_at + offset if offset is not None else WINDOW.closes_at
    with pytest.raises(WindowNotOpen) as err:
        answer(Answer.PENDING, Answer.CONFIRMED, window=WINDOW, now=now, left=False, by_post=False)
    assert err.value.rule == "R-SUB-7"
    assert ("closed" in err.value.detail) is (offset is None)


def test_second_answer_refused() -> None:
    for current in (Answer.CONFIRMED, Answer.OBJECTED, Answer.DEEMED):
        with pytest.raises(AlreadyAnswered):
            answer(current, Answer.CONFIRMED, window=WINDOW, now=WINDOW.opens_at, left=False, by_post=False)


def test_a_student_who_left_answers_by_post_only() -> None:
    with pytest.raises(StudentLeft) as err:
        answer(Answer.PENDING, Answer.CONFIRMED, window=WINDOW, now=WINDOW.opens_at, left=True, by_post=False)
    assert err.value.rule == "R-SUB-9"
    assert (
        answer(Answer.PENDING, Answer.CONFIRMED, window=WINDOW, now=WINDOW.opens_at, left=True, by_post=True)
        is Answer.CONFIRMED
    )


def test_deeming_is_not_an_answer() -> None:
    with pytest.raises(ValueError):
        answer(Answer.PENDING, Answer.DEEMED, window=WINDOW, now=WINDOW.opens_at, left=False, by_post=False)


def test_deem_only_the_silent() -> None:
    assert deem(Answer.PENDING) is Answer.DEEMED
    for a in (Answer.CONFIRMED, Answer.OBJECTED, Answer.DEEMED):
        assert deem(a) is a


def test_a_window_more_than_a_year_ahead_is_refused_even_at_the_calendars_end() -> None:
    ahead = TODAY + timedelta(days=MAX_LEAD_DAYS)
    assert plan_window(ahead, ahead + timedelta(days=2), "Asia/Taipei", today=TODAY).days == 3
    with pytest.raises(WindowInvalid) as err:
        plan_window(ahead + timedelta(days=1), ahead + timedelta(days=3), "Asia/Taipei", today=TODAY)
    assert err.value.field == "first_day"
    with pytest.raises(WindowInvalid):  # no overflow past year 9999: refused first
        plan_window(date(9999, 12, 29), date(9999, 12, 31), "Asia/Taipei", today=TODAY)
