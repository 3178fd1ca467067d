"""Enrolment status at a school and what it allows (R-DATA-6, R-ENR-1). Pure: no I/O.

Records owns enrolment (學籍); this service keeps a read copy of the newest status per school and
student. Only data from the period of enrolment is collected (R-DATA-6): a student whose enrolment
at a school is not active may not start or complete uploads there, nor change selections. A visiting
student (借讀生) studies at the visiting school, so ``visiting`` is active there (R-ENR-1).
"""

from __future__ import annotations

from datetime import date

from .errors import NotEnrolled

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

    ``status is None``: the school has no enrolment of the student in the read copy (records may not
    have published it yet, or the deployment runs without records' events); nothing is refused then.
    """
    if status is None or is_active(status):
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
