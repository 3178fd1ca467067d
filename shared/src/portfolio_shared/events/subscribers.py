"""Who consumes what: every consumer queue of the platform and the events bound to it.

Producers need this as much as consumers. An event published before its consumer's queue exists
goes nowhere — the demo school's ``identity.school.created`` was lost that way when identity started
before records. So every service declares ALL of these queues and bindings at start, and the
deployment runs the same step before any service (``portfolio-topology declare``); the outbox relay
publishes these routing keys with the mandatory flag and keeps an unroutable event in the outbox.

Each service's ``consumers.py`` (and the chassis, for revocations) stays the place where handlers are
registered; a test (``tests/test_topology.py``) fails when a service subscribes to something not
listed here, or this list names something the service does not handle. Adding a consumer = a
handler there + a line here.
"""

from __future__ import annotations

from . import artifacts, identity, records, retention, submission
from .base import EventPayload

SERVICES = ("identity", "records", "artifacts", "submission", "notification")

SUBSCRIBERS: dict[str, tuple[type[EventPayload], ...]] = {
    # records keeps each new school's default upload caps (R-ART-2, R-PERF-1) and its code, which
    # names the school's SIS drop folder for the nightly grade import (R-DUTY-3).
    "records.identity": (identity.SchoolCreated, identity.SchoolUpdated),
    # records collects every service's confirmation of a deletion into the proof (R-RET-1).
    "records.retention": tuple(retention.CONFIRMATIONS.values()),
    # identity deactivates a graduate's account when sealed, anonymises it on deletion (R-RET-1).
    "identity.records": (retention.StudentSealed, retention.DeletionRequested),
    # artifacts keeps read copies of courses, windows, caps and enrolment (R-ART-1..5, R-DATA-6).
    "artifacts.records": (
        records.TeacherAssignmentChanged,
        records.PhaseWindowSet,
        records.ArtifactCapsSet,
        records.EnrolmentChanged,
        records.StudentEnrolled,
        records.StudentBasicDataChanged,  # a user id linked after admission (R-DATA-6)
        retention.StudentSealed,  # a graduate's items are read-only (R-RET-1)
        retention.DeletionRequested,  # ... and deleted with their files after the archive period
    ),
    # ... and of users, absences, delegation orders and on-behalf authorisations (R-ART-5, R-DUTY-2).
    "artifacts.identity": (
        identity.UserCreated,
        identity.UserUpdated,
        identity.UserDeactivated,
        identity.AbsenceMarked,
        identity.AbsenceCleared,
        identity.DelegationOrderChanged,
        identity.ActingPersonChanged,
        identity.TeacherAccountExtended,
        identity.OnBehalfAuthorised,
        identity.OnBehalfRevoked,
    ),
    # artifacts locks the selections of an accepted outcomes/performances batch (R-SUB-7, R-SUB-8).
    "artifacts.submission": (submission.SelectionsFrozen,),
    # notification keeps read copies of people, duties, windows, certifiers, outcomes and performances,
    # and turns receipts, objections, failed batches and failed files into messages (R-SUB-5..9).
    "notification.identity": (
        identity.UserCreated,
        identity.UserUpdated,
        identity.UserContactChanged,  # the e-mail address, stored encrypted
        identity.UserDeactivated,
        identity.DelegationOrderChanged,
        identity.ActingPersonChanged,
    ),
    "notification.records": (
        records.StudentEnrolled,
        records.EnrolmentChanged,
        records.GradeLevelChanged,  # a graduate is reached by post (R-SUB-9)
        records.PhaseWindowSet,
        records.TeacherAssignmentChanged,
        records.ContactAddressSet,  # postal contact for letters (R-SUB-9)
        retention.StudentSealed,  # no reminders for a graduate (R-RET-1)
        retention.DeletionRequested,  # inbox, deliveries and contact data deleted (R-RET-1)
    ),
    "notification.artifacts": (
        artifacts.OutcomeUploaded,
        artifacts.OutcomeCertified,
        artifacts.OutcomeReturned,
        artifacts.OutcomeWithdrawn,
        artifacts.OutcomeSelected,
        artifacts.OutcomeDeselected,
        artifacts.PerformanceUploaded,
        artifacts.PerformanceSelected,
        artifacts.PerformanceDeselected,
        artifacts.PerformanceWithdrawn,
        artifacts.FileIntegrityFailed,
    ),
    "notification.submission": (
        submission.ReceiptAvailable,
        submission.ConfirmationWindowOpened,
        submission.ReceiptLetterRequested,  # the postal letter of a student who left (R-SUB-9)
        submission.ObjectionRaised,
        submission.ObjectionResolved,
        submission.BatchFailed,
    ),
    # submission keeps read copies of what it submits: students (with their personal fields sealed for
    # it alone), grade levels, courses, grades and cadre records — never counselling records (R-DATA-5);
    # outcomes and performances with their files, certification and selection (R-ART-3, R-ART-4,
    # R-PERF-2, R-FILE-1); schools, people, duties and absences for who submits (R-SUB-4, R-DUTY-2).
    "submission.records": (
        records.StudentEnrolled,
        records.EnrolmentChanged,
        records.StudentBasicDataChanged,
        records.GradeLevelChanged,
        records.CourseOffered,
        records.SemesterGradesRecorded,
        records.CadreRecorded,
        retention.StudentSealed,  # a graduate's answers are refused (R-RET-1)
        retention.DeletionRequested,  # ... and the copies here deleted after the archive period
    ),
    "submission.artifacts": (
        artifacts.OutcomeUploaded,
        artifacts.OutcomeCertified,
        artifacts.OutcomeReturned,
        artifacts.OutcomeWithdrawn,
        artifacts.OutcomeSelected,
        artifacts.OutcomeDeselected,
        artifacts.PerformanceUploaded,
        artifacts.PerformanceWithdrawn,
        artifacts.PerformanceSelected,
        artifacts.PerformanceDeselected,
        artifacts.FileIntegrityFailed,
        artifacts.ArtifactsTransferred,
    ),
    "submission.identity": (
        identity.SchoolCreated,
        identity.SchoolUpdated,
        identity.UserCreated,
        identity.UserUpdated,
        identity.UserDeactivated,
        identity.DelegationOrderChanged,
        identity.ActingPersonChanged,
        identity.AbsenceMarked,
        identity.AbsenceCleared,
    ),
    # Every service keeps token revocations (ASVS V7; the chassis adds this subscription, see
    # revocation.with_revocations): a revocation lost to a missing queue would leave tokens working.
    **{f"{service}.revocations": (identity.TokensRevoked,) for service in SERVICES},
}


def routing_keys(consumer: str) -> tuple[str, ...]:
    """The routing keys one consumer queue is bound to, sorted (as ``Subscriptions.routing_keys``)."""
    return tuple(sorted(p.routing_key() for p in SUBSCRIBERS[consumer]))


def all_bindings() -> dict[str, tuple[str, ...]]:
    """Consumer queue → routing keys, for every consumer of the platform."""
    return {consumer: routing_keys(consumer) for consumer in SUBSCRIBERS}


def subscribed_keys() -> frozenset[str]:
    """Routing keys some consumer is bound to: publishing one of these must reach a queue."""
    return frozenset(key for keys in all_bindings().values() for key in keys)
