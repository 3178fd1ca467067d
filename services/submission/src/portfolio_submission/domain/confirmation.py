"""Receipt confirmation (收訖確認): the window the guidance data section announces (R-SUB-6) and each
student's answer in it (R-SUB-7, R-SUB-9).

A window is announced as a first and a last calendar day in the school's time zone: it opens at
00:00 of the first day and closes at 24:00 of the last day, local time. R-SUB-6 asks for at least
3 days, counted as calendar days (first and last included), so a window across a daylight-saving
change still counts its days, not its hours.

Each student of a receipt is ``pending`` until they confirm or object inside the window; staff may
record an answer that came back by post for a student who left (R-SUB-9). At closing, every
student still pending is ``deemed`` to have confirmed (R-SUB-7). Pure: no I/O, no clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum

from portfolio_shared.timefmt import school_zone

from .receipts_errors import (
    AlreadyAnswered,
    StudentLeft,
    WindowInvalid,
    WindowNotOpen,
    WindowTooShort,
)

MIN_WINDOW_DAYS = 3  # R-SUB-6
MAX_WINDOW_DAYS = 60  # a window longer than two months is a typo, not a plan
MAX_LEAD_DAYS = 366  # a window announced more than a year ahead is a typo too


class Answer(StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    OBJECTED = "objected"
    DEEMED = "deemed"


class Channel(StrEnum):
    PLATFORM = "platform"
    POST = "post"  # a mailed answer recorded by staff (R-SUB-9)
    DEEMED = "deemed"


@dataclass(frozen=True, slots=True)
class Window:
    first_day: date
    last_day: date
    zone: str
    opens_at: datetime  # UTC
    closes_at: datetime  # UTC, exclusive

    @property
    def days(self) -> int:
        return (self.last_day - self.first_day).days + 1

    def is_open(self, now: datetime) -> bool:
        return self.opens_at <= now < self.closes_at

    def has_closed(self, now: datetime) -> bool:
        return now >= self.closes_at


def plan_window(first_day: date, last_day: date, zone: str, *, today: date) -> Window:
    """The window from 00:00 of ``first_day`` to 24:00 of ``last_day`` in ``zone``.

    Refuses (R-SUB-6) fewer than 3 calendar days, a last day before the first, a first day in the
    past (``today`` is the school's local date) and a window longer than ``MAX_WINDOW_DAYS``.
    """
    try:
        tz = school_zone(zone)
    except Exception as exc:
        raise WindowInvalid(f"unknown time zone {zone!r}", field="time_zone") from exc
    if last_day < first_day:
        raise WindowInvalid("the last day comes before the first day", "結束日早於開始日", field="last_day")
    if first_day < today:
        raise WindowInvalid(
            f"the first day {first_day.isoformat()} is before today ({today.isoformat()}, school time)",
            "開始日早於今日",
            field="first_day",
        )
    if first_day > today + timedelta(days=MAX_LEAD_DAYS):
        raise WindowInvalid(
            f"the first day is more than {MAX_LEAD_DAYS} days ahead",
            f"開始日不得晚於 {MAX_LEAD_DAYS} 日後",
            field="first_day",
        )
    days = (last_day - first_day).days + 1
    if days < MIN_WINDOW_DAYS:
        raise WindowTooShort(
            f"the window lasts {days} calendar day(s); R-SUB-6 asks for at least {MIN_WINDOW_DAYS}",
            f"確認期間僅 {days} 日，依規定至少須 {MIN_WINDOW_DAYS} 日",
            field="last_day",
            extra={"days": days, "minimum_days": MIN_WINDOW_DAYS},
        )
    if days > MAX_WINDOW_DAYS:
        raise WindowInvalid(
            f"the window lasts {days} days; at most {MAX_WINDOW_DAYS}",
            f"確認期間 {days} 日，最長 {MAX_WINDOW_DAYS} 日",
            field="last_day",
        )
    opens = datetime.combine(first_day, time(0), tzinfo=tz).astimezone(UTC)
    closes = datetime.combine(last_day + timedelta(days=1), time(0), tzinfo=tz).astimezone(UTC)
    return Window(first_day, last_day, zone, opens, closes)


def local_today(now: datetime, zone: str) -> date:
    return now.astimezone(school_zone(zone)).date()


def answer(current: Answer, target: Answer, *, window: Window, now: datetime, left: bool, by_post: bool) -> Answer:
    """A student's answer, inside the window, once (R-SUB-7).

    A student who left answers by post only, recorded by staff (R-SUB-9); a student still enrolled
    answers on the platform. Deeming is :func:`deem`, never an answer.
    """
    if target not in (Answer.CONFIRMED, Answer.OBJECTED):
        raise ValueError(f"not an answer: {target}")
    if left and not by_post:
        raise StudentLeft("the student's enrolment ended: staff record the answer that comes back by post")
    if not window.is_open(now):
        raise WindowNotOpen(
            "the confirmation window is not open now"
            + (" (it has closed)" if window.has_closed(now) else " (it opens later)"),
            "目前不在收訖確認期間內",
            extra={"opens_at": window.opens_at.isoformat(), "closes_at": window.closes_at.isoformat()},
        )
    if current is not Answer.PENDING:
        raise AlreadyAnswered(f"already answered: {current.value}", f"已回覆：{current.value}")
    return target


def deem(current: Answer) -> Answer:
    """At closing: silence counts as confirmation (R-SUB-7); an answer stays as it was."""
    return Answer.DEEMED if current is Answer.PENDING else current
