"""Enrolment status at a school and what it allows (R-DATA-6, R-ENR-1). Pure: no I/O.

Records owns enrolment (學籍); this service keeps a read copy of the newest status per school and
student. Only data from the period of enrolment is collected (R-DATA-6): a student whose enrolment
at a school is not active may not start or complete uploads there, nor change selections. A visiting
student (借讀生) studies at the visiting school, so ``visiting`` is active there (R-ENR-1).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from .errors import EnrolmentNotKnown, NotEnrolled, OutsideEnrolmentPeriod

# The statuses of records' ``EnrolmentStatus``. Anything not listed as active refuses (fail closed):
# a status records adds later must be judged here before students holding it can add data.
ACTIVE_STATUSES = frozenset({"enrolled", "visiting"})
STATUS_NAMES = {
    "enrolled": "在學",
    "visiting": "借讀",
    "suspended": "休學",
    "transferred_out": "轉出",
    "graduated": "畢業",
    "left": "離校",
}


def is_active(status: str) -> bool:
    return status in ACTIVE_STATUSES


def check_may_add_data(status: str | None, since: date | None, *, school_id: str, action: str) -> None:
    """Raise ``NotEnrolled`` unless the student may add or change data at ``school_id`` (R-DATA-6).

    ``status is None``: the school has no enrolment of the student in the read copy (records has not
    published it yet): ``EnrolmentNotKnown``, a refusal of its own, since nothing may be collected
    before the enrolment it belongs to is known. A deployment must feed records' events.
    """
    if status is None:
        raise EnrolmentNotKnown(
            f"school {school_id} has no enrolment of yours yet (the registry enters it after admission); "
            f"you cannot {action} there until it is registered",
            status="unknown",
            since="",
            school_id=school_id,
        )
    if is_active(status):
        return
    name = STATUS_NAMES.get(status, status)
    since_text = since.isoformat() if since is not None else "an unknown date"
    raise NotEnrolled(
        f"your enrolment status at school {school_id} is '{status}' ({name}) since {since_text}; "
        f"only data from the period of enrolment is collected, so you cannot {action} there",
        status=status,
        since=since_text,
        school_id=school_id,
    )


def check_dates_in_enrolment(values: Mapping[str, object], starts_on: date | None) -> None:
    """Refuse a record whose dates lie before the student's enrolment began (R-DATA-6, 422).

    ``starts_on``: the first day of enrolment known (the earliest admission or transfer in at a school
    of the district, so a transfer keeps the earlier period, R-ENR-1); None when not known, then no
    date is refused. Later dates are not refused: a position or a course may run to the term's end.
    """
    if starts_on is None:
        return
    for name, value in values.items():
        if isinstance(value, date) and value < starts_on:
            raise OutsideEnrolmentPeriod(
                f"{name} {value.isoformat()} is before your enrolment began on {starts_on.isoformat()}; "
                "only data from the period of enrolment is collected",
                field=f"fields.{name}",
                value=value.isoformat(),
                starts_on=starts_on.isoformat(),
            )
