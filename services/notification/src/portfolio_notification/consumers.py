"""Every event the notification service consumes, declared in one place.

Each handler turns an event into a command for ``service_layer.handlers``: a read copy kept up to
date (contacts, windows, certifiers, artifacts, receipts, duties) or a message to send. The runtime
records the event in the inbox in the same transaction, so a duplicate event changes nothing; the
deliveries' unique (trigger, recipient, channel) key keeps a redelivered fan-out from resending.
Subscriptions are built per runtime because handlers need its dependencies (cipher, clock).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable
from typing import Any

from portfolio_shared.db import UnitOfWork
from portfolio_shared.events import artifacts as art
from portfolio_shared.events import identity as idn
from portfolio_shared.events import records as rec
from portfolio_shared.events import submission as sub
from portfolio_shared.events.base import Envelope
from portfolio_shared.messaging import Subscriptions
from portfolio_shared.retention import join_retention

from .adapters.orm import sealed_students
from .domain import commands as c
from .domain.commands import EPOCH
from .domain.model import IT_SECTION_DUTY, SUBMITTING_DUTY, Recipient, Trigger, trigger_key
from .service_layer.context import Deps
from .service_layer.handlers import handle
from .service_layer.reminders import _local
from .service_layer.retention import erase

# Kind names and titles: the one mapping in the submission contracts.
KIND_ZH = {kind: zh for kind, (_, zh) in sub.KIND_TITLES.items()}
KIND_EN = {kind: en for kind, (en, _) in sub.KIND_TITLES.items()}
# R-SUB-9: reached by post from now on (a graduate cannot use the platform's inbox any more either).
LEFT_CHANGES = {"transfer_out", "leaving", "graduation"}
BACK_CHANGES = {"admission", "transfer_in", "reinstatement"}


# How a letter names each received item's comparison with what was sent (R-SUB-9).
ITEM_STATUS = {
    "received_identical": ("已收到，與提交內容相符", "received as submitted"),
    "received_different": ("已收到，但與提交內容不同", "received, but different from what was submitted"),
    "missing": ("未收到", "not received"),
}


def receipt_letter(e: sub.ReceiptLetterRequested, env: Envelope) -> c.Notify:
    """Submission's postal letter for a student who left (R-SUB-9): the received items, the window
    and how to answer. One per receipt and student; the address is the contact's (ContactAddressSet)."""
    items = [
        {
            "sheet": item.sheet,
            "summary": item.summary,
            "status_zh": ITEM_STATUS[item.status][0],
            "status_en": ITEM_STATUS[item.status][1],
            "file_names": list(item.file_names),
        }
        for item in e.items
    ]
    context = {
        "receipt_id": e.receipt_id,
        "kind_zh": KIND_ZH[e.kind],
        "kind_en": KIND_EN[e.kind],
        "academic_year": e.academic_year,
        "semester": e.semester,
        "items": items,
        "opens_at": _local(e.opens_at),
        "closes_at": _local(e.closes_at),
        "first_day": e.first_day.isoformat(),
        "last_day": e.last_day.isoformat(),
        "how_to_answer_zh": e.how_to_answer_zh,
        "how_to_answer_en": e.how_to_answer_en,
    }
    return c.Notify(
        Trigger.RECEIPT_LETTER,
        trigger_key(Trigger.RECEIPT_LETTER, e.receipt_id),
        e.school_id,
        (Recipient(e.student_user_id),),
        context,
    )


def make_subscriptions(deps: Deps) -> list[Subscriptions]:
    identity_events = Subscriptions("notification.identity")
    records_events = Subscriptions("notification.records")
    artifacts_events = Subscriptions("notification.artifacts")
    submission_events = Subscriptions("notification.submission")

    def run(build: Callable[[Any, Envelope], object | None]) -> Callable[[Any, Envelope, UnitOfWork], Awaitable[None]]:
        async def handler(event: Any, envelope: Envelope, uow: UnitOfWork) -> None:
            cmd = build(event, envelope)
            if cmd is None:
                return
            if hasattr(cmd, "as_of") and cmd.as_of in (None, EPOCH):  # read copies keep the newest fact: date it
                cmd = dataclasses.replace(cmd, as_of=envelope.occurred_at)  # type: ignore[type-var]
            await handle(cmd, uow, deps)

        return handler

    # --- identity: people and who acts for an office --------------------------------------------
    identity_events.on(idn.UserCreated)(
        run(
            lambda e, env: c.KeepContact(
                e.user_id,
                school_id=e.school_ids[0] if e.school_ids else None,
                display_name=e.display_name,
                kind=e.kind,
                left=e.status == "left",
                as_of=env.occurred_at,
            )
        )
    )
    identity_events.on(idn.UserUpdated)(
        run(
            lambda e, env: c.KeepContact(
                e.user_id, display_name=e.display_name, kind=e.kind, left=e.status == "left", as_of=env.occurred_at
            )
        )
    )
    identity_events.on(idn.UserDeactivated)(
        run(lambda e, env: c.KeepContact(e.user_id, left=True, as_of=env.occurred_at) if e.status == "left" else None)
    )
    # The e-mail address of an account (kept encrypted; "" clears it when the account has none).
    identity_events.on(idn.UserContactChanged)(
        run(lambda e, env: c.KeepContact(e.user_id, email=e.email or "", as_of=env.occurred_at))
    )
    identity_events.on(idn.DelegationOrderChanged)(
        run(
            lambda e, env: c.KeepDuty(
                e.school_id, e.duty_code, tuple(e.responsible_user_ids), tuple(e.delegate_user_ids)
            )
        )
    )
    identity_events.on(idn.ActingPersonChanged)(
        run(lambda e, env: c.KeepDuty(e.school_id, e.duty_code, acting_user_id=e.acting_user_id, acting_known=True))
    )

    # --- records: students, windows, certifiers -------------------------------------------------
    records_events.on(rec.StudentEnrolled)(
        run(
            lambda e, env: (
                c.KeepContact(e.user_id, school_id=e.school_id, kind="student", left=False, as_of=env.occurred_at)
                if e.user_id
                else None
            )
        )
    )

    def enrolment(e: rec.EnrolmentChanged, env: Envelope) -> c.KeepContact | None:
        if not e.user_id or (e.change not in LEFT_CHANGES and e.change not in BACK_CHANGES):
            return None
        return c.KeepContact(e.user_id, school_id=e.school_id, left=e.change in LEFT_CHANGES, as_of=env.occurred_at)

    records_events.on(rec.EnrolmentChanged)(run(enrolment))
    records_events.on(rec.GradeLevelChanged)(
        run(
            lambda e, env: (
                c.KeepContact(e.user_id, school_id=e.school_id, left=True, as_of=env.occurred_at)
                if e.user_id and e.change == "graduation"
                else None
            )
        )
    )
    # The postal address for letters (R-SUB-9), kept encrypted like every contact datum.
    records_events.on(rec.ContactAddressSet)(
        run(
            lambda e, env: (
                c.KeepContact(
                    e.user_id,
                    school_id=e.school_id,
                    kind="student",
                    postal_recipient=e.recipient,
                    postal_code=e.postal_code,
                    postal_address=e.address,
                    as_of=env.occurred_at,
                )
                if e.user_id
                else None
            )
        )
    )
    # Sealed graduates get no reminders; their data is deleted on records' request (R-RET-1).
    join_retention(records_events, service="notification", sealed=sealed_students, erase=erase, clock=deps.now)
    records_events.on(rec.PhaseWindowSet)(
        run(lambda e, env: c.KeepWindow(e.school_id, e.academic_year, e.semester, e.phase, e.starts_at, e.ends_at))
    )
    records_events.on(rec.TeacherAssignmentChanged)(
        run(
            lambda e, env: c.KeepCertifiers(
                e.course_id,
                e.school_id,
                # a co-taught course is certified by its reviewing teacher (R-REC-2, R-ART-3)
                (e.reviewing_teacher_user_id,) if e.reviewing_teacher_user_id else tuple(e.teacher_user_ids),
            )
        )
    )

    # --- artifacts: what is uploaded, certified, selected; files that failed the check ----------
    def outcome_uploaded(e: art.OutcomeUploaded, env: Envelope) -> c.KeepArtifact:
        return c.KeepArtifact(
            e.outcome_id, "outcome", e.school_id, e.student_user_id, "uploaded", None, e.course_id, e.academic_year,
            e.semester,
        )  # fmt: skip

    def outcome_state(e: art.OutcomeCertified | art.OutcomeReturned | art.OutcomeWithdrawn, env: Envelope) -> object:
        status = {"artifacts.outcome.certified": "certified", "artifacts.outcome.returned": "returned"}.get(
            e.event_type, "withdrawn"
        )
        return c.KeepArtifact(e.outcome_id, "outcome", e.school_id, e.student_user_id, status)

    def outcome_selection(e: art.OutcomeSelected | art.OutcomeDeselected, env: Envelope) -> object:
        selected = isinstance(e, art.OutcomeSelected)
        return c.KeepArtifact(
            e.outcome_id, "outcome", e.school_id, e.student_user_id, selected=selected, academic_year=e.academic_year
        )

    def performance_uploaded(e: art.PerformanceUploaded, env: Envelope) -> object:
        return c.KeepArtifact(
            e.performance_id, "performance", e.school_id, e.student_user_id, "uploaded", academic_year=e.academic_year
        )

    def performance_selection(e: art.PerformanceSelected | art.PerformanceDeselected, env: Envelope) -> object:
        selected = isinstance(e, art.PerformanceSelected)
        return c.KeepArtifact(
            e.performance_id, "performance", e.school_id, e.student_user_id, selected=selected,
            academic_year=e.academic_year,
        )  # fmt: skip

    def performance_withdrawn(e: art.PerformanceWithdrawn, env: Envelope) -> object:
        return c.KeepArtifact(e.performance_id, "performance", e.school_id, e.student_user_id, "withdrawn")

    artifacts_events.on(art.OutcomeUploaded)(run(outcome_uploaded))
    artifacts_events.on(art.OutcomeCertified, art.OutcomeReturned, art.OutcomeWithdrawn)(run(outcome_state))
    artifacts_events.on(art.OutcomeSelected, art.OutcomeDeselected)(run(outcome_selection))
    artifacts_events.on(art.PerformanceUploaded)(run(performance_uploaded))
    artifacts_events.on(art.PerformanceSelected, art.PerformanceDeselected)(run(performance_selection))
    artifacts_events.on(art.PerformanceWithdrawn)(run(performance_withdrawn))

    def integrity(e: art.FileIntegrityFailed, env: Envelope) -> c.NotifyOffice:
        problem = {"missing": ("遺失", "is missing"), "altered": ("內容遭變更", "was altered")}[e.problem]
        owner = {"outcome": ("課程學習成果", "course outcome"), "performance": ("多元表現", "multiple performance")}[
            e.owner_kind
        ]
        return c.NotifyOffice(
            Trigger.FILE_INTEGRITY_FAILED,
            # once per file and problem: the next verification run finding the same file again is no news
            trigger_key(Trigger.FILE_INTEGRITY_FAILED, e.file_id, e.problem),
            e.school_id,
            IT_SECTION_DUTY,
            {
                "file_id": e.file_id,
                "problem_zh": problem[0],
                "problem_en": problem[1],
                "owner_zh": owner[0],
                "owner_en": owner[1],
            },
            also=(Recipient(e.student_user_id, {"is_student": True}),),  # asked to upload again
        )

    artifacts_events.on(art.FileIntegrityFailed)(run(integrity))

    # --- submission: receipts, objections, failed batches ---------------------------------------
    submission_events.on(sub.ReceiptAvailable)(
        run(lambda e, env: c.KeepReceipt(e.receipt_id, e.school_id, student_user_ids=tuple(e.student_user_ids)))
    )
    submission_events.on(sub.ConfirmationWindowOpened)(
        run(lambda e, env: c.KeepReceipt(e.receipt_id, e.school_id, opens_at=e.opens_at, closes_at=e.closes_at))
    )
    submission_events.on(sub.ReceiptLetterRequested)(run(receipt_letter))
    submission_events.on(sub.ObjectionRaised)(
        run(
            lambda e, env: c.NotifyOffice(
                Trigger.OBJECTION_RAISED,
                trigger_key(Trigger.OBJECTION_RAISED, e.objection_id),
                e.school_id,
                SUBMITTING_DUTY[e.kind],  # the office that submitted that kind resolves it (R-SUB-8)
                {"objection_id": e.objection_id, "kind_zh": KIND_ZH[e.kind], "kind_en": KIND_EN[e.kind]},
            )
        )
    )
    submission_events.on(sub.ObjectionResolved)(
        run(
            lambda e, env: c.Notify(
                Trigger.OBJECTION_RESOLVED,
                trigger_key(Trigger.OBJECTION_RESOLVED, e.objection_id),
                e.school_id,
                (Recipient(e.student_user_id),),
                {"objection_id": e.objection_id},
            )
        )
    )
    submission_events.on(sub.BatchFailed)(
        run(
            lambda e, env: c.NotifyOffice(
                Trigger.BATCH_FAILED,
                trigger_key(Trigger.BATCH_FAILED, e.batch_id, env.event_id),
                e.school_id,
                SUBMITTING_DUTY[e.kind],  # R-SUB-4
                {
                    "batch_id": e.batch_id,
                    "reason": e.reason,
                    "will_retry": e.will_retry,
                    "kind_zh": KIND_ZH[e.kind],
                    "kind_en": KIND_EN[e.kind],
                },
            )
        )
    )
    return [identity_events, records_events, artifacts_events, submission_events]
