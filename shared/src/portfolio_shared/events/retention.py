"""Sealing and deletion of graduates' data (R-RET-1), coordinated by records.

Records owns enrolment and the date a student completed senior high, so records is the coordinator:

1. ``StudentSealed`` — a student graduated: from now on every service keeps the student's data
   read-only (封存) and refuses changes citing R-RET-1. ``deletable_from`` is the first school-local
   day on which the data may be deleted (completion + the school's archive period, 5 years by default).
2. ``DeletionRequested`` — after that day an authorised staff member asked (or the school's
   scheduled purge decided) to delete the students' data. It names students by their platform ids
   (records' student id and identity's user id), never by a national ID.
3. ``<service>.retention.deletion_confirmed`` — each service deleted what it held and says what:
   counts per kind and a SHA-256 digest per kind over the identifiers of what was deleted (row ids,
   object keys with their content hashes), never the data itself. Records collects them into the
   proof of deletion.

One confirmation contract per producing service (the routing key names its producer), all sharing
the fields of :class:`DeletionConfirmation`.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from .base import EventPayload, event

RetentionService = Literal["records", "artifacts", "submission", "notification", "identity"]
# The services whose confirmations complete a proof of deletion unless configured otherwise.
ALL_SERVICES: tuple[RetentionService, ...] = ("records", "artifacts", "submission", "notification", "identity")
Kind = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,39}$")]
Sha256Hex = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]


class StudentRef(BaseModel):
    """A student by platform ids only (records' student id; identity's user id when linked)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    student_id: str = Field(max_length=64)
    user_id: str | None = Field(default=None, max_length=64)


@event("records.retention.student_sealed")
class StudentSealed(EventPayload):
    """A graduate's data is sealed (read-only) from now on, at every service (R-RET-1)."""

    student_id: str
    user_id: str | None
    school_id: str
    completed_on: date
    deletable_from: date


@event("records.retention.deletion_requested")
class DeletionRequested(EventPayload):
    """Delete these students' data at every service (R-RET-1): after the archive period only."""

    request_id: str
    school_id: str
    students: list[StudentRef] = Field(min_length=1, max_length=1000)
    requested_by: str
    trigger: Literal["request", "scheduled_purge"]


class DeletionConfirmation(EventPayload):
    """What one service deleted for one deletion request: counts and digests, never the data."""

    request_id: str
    school_id: str
    service: RetentionService
    counts: dict[Kind, Annotated[int, Field(ge=0)]] = Field(description="Rows or objects deleted per kind")
    digests: dict[Kind, Sha256Hex] = Field(
        description="Per kind: SHA-256 (hex) over the sorted identifiers of what was deleted"
    )
    deleted_at: datetime


@event("artifacts.retention.deletion_confirmed")
class ArtifactsDeletionConfirmed(DeletionConfirmation):
    """Artifacts deleted outcomes, performances, their file rows and the stored objects."""


@event("notification.retention.deletion_confirmed")
class NotificationDeletionConfirmed(DeletionConfirmation):
    """Notification deleted the inbox, deliveries and contact data of the students."""


@event("identity.retention.deletion_confirmed")
class IdentityDeletionConfirmed(DeletionConfirmation):
    """Identity anonymised the students' accounts (no name, login or e-mail left)."""


@event("submission.retention.deletion_confirmed")
class SubmissionDeletionConfirmed(DeletionConfirmation):
    """Submission deleted its copies (read copies, batch rows and packages) of the students."""


CONFIRMATIONS: dict[str, type[DeletionConfirmation]] = {
    "artifacts": ArtifactsDeletionConfirmed,
    "notification": NotificationDeletionConfirmed,
    "identity": IdentityDeletionConfirmed,
    "submission": SubmissionDeletionConfirmed,
}
