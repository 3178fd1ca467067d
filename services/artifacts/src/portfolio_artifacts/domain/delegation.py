"""When a delegate steps in for a course teacher (代理認證), per teacher (R-ART-5, R-DUTY-2). Pure: no I/O.

School rules 5(5)2(1): a delegate certifies a teacher's outcomes only when that teacher cannot help —
they left and their account was not extended, or they are absent through the end of the
certification window (an absence that ends before the window closes leaves them time to certify).
A teacher who left but was extended, or who authorised staff to certify on their behalf, keeps
precedence over the delegates. Other teachers are not affected by one teacher's absence.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta


def absent_through(absences: Iterable[tuple[date, date]], today: date, last_day: date) -> bool:
    """True when the (inclusive) absences, joined end to end, cover every day from ``today`` to
    ``last_day``: the person cannot act at any time left in the window."""
    reach = today - timedelta(days=1)  # the last day covered so far
    for start, end in sorted(absences):
        if start > reach + timedelta(days=1):
            break  # a day without absence before the window ends
        reach = max(reach, end)
        if reach >= last_day:
            return True
    return reach >= max(last_day, today)


@dataclass(frozen=True, slots=True)
class Person:
    """What the read copies say about one person at the school."""

    status: str = "active"  # identity's status: active | suspended | left
    end_date: date | None = None
    extended_until: date | None = None
    absences: tuple[tuple[date, date], ...] = ()

    def gone(self, today: date) -> bool:
        """Left (from the end date) or suspended, unless a running extension keeps the account."""
        if self.status == "active":
            return False
        if self.status == "left" and self.end_date is not None and self.end_date > today:
            return False  # still working until the end date
        return not (self.extended_until is not None and self.extended_until >= today)

    def absent_on(self, today: date) -> bool:
        return any(start <= today <= end for start, end in self.absences)


@dataclass(frozen=True, slots=True)
class SchoolFacts:
    """The school's people, delegation order and on-behalf authorisations, as read copies hold them."""

    people: Mapping[str, Person] = field(default_factory=dict)
    delegate_order: Sequence[str] = ()
    acting_delegate: str | None = None
    on_behalf: Mapping[str, frozenset[str]] = field(default_factory=dict)  # teacher -> staff authorised now

    def person(self, user_id: str) -> Person:
        return self.people.get(user_id, Person())

    def available(self, user_id: str, today: date) -> bool:
        """Can act today (delegates and authorised staff): not gone and not absent today."""
        p = self.person(user_id)
        return not p.gone(today) and not p.absent_on(today)

    def cannot_certify(self, teacher: str, today: date, last_day: date | None) -> bool:
        """The teacher cannot help with this window: gone, or absent through its last day (or today,
        when the window's end is not known)."""
        p = self.person(teacher)
        if p.gone(today):
            return True
        return absent_through(p.absences, today, last_day if last_day is not None else today)

    def keeps_precedence_by_authorisation(self, teacher: str, today: date) -> bool:
        """The teacher authorised staff who can act: they certify, not a delegate (R-ART-5)."""
        return any(self.available(staff, today) for staff in self.on_behalf.get(teacher, ()))

    def next_delegate(self, today: date) -> str | None:
        """The first available delegate in the school's order (代理順位); identity's acting delegate
        only when the school's order names nobody available."""
        for user_id in self.delegate_order:
            if self.available(user_id, today):
                return user_id
        if self.acting_delegate is not None and self.available(self.acting_delegate, today):
            return self.acting_delegate
        return None

    def delegate_for(self, certifiers: Sequence[str], today: date, last_day: date | None) -> tuple[str, str] | None:
        """(delegate, teacher acted for) when a delegate certifies this course's outcomes, else None.

        Every certifier of the course must be unable to help and none may have authorised staff who
        can act; the certification is made on behalf of the first such certifier (the course's teacher,
        or its reviewing teacher when co-taught).
        """
        if not certifiers:
            return None
        if not all(self.cannot_certify(t, today, last_day) for t in certifiers):
            return None
        if any(self.keeps_precedence_by_authorisation(t, today) for t in certifiers):
            return None
        delegate = self.next_delegate(today)
        if delegate is None or delegate in certifiers:
            return None
        return delegate, certifiers[0]
