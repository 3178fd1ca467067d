"""Events published by the identity service (districts, schools, users, roles, duties)."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import AwareDatetime, Field

from .base import EventPayload, event

SchoolCode = str
UserKind = Literal["student", "teacher", "staff", "admin"]
UserStatus = Literal["active", "suspended", "left"]


@event("identity.school.created")
class SchoolCreated(EventPayload):
    school_id: str
    school_code: SchoolCode = Field(pattern=r"^[0-9]{6}$")  # ASCII digits: \d in a pattern is Unicode-wide
    name: str
    district_id: str


@event("identity.school.updated")
class SchoolUpdated(EventPayload):
    school_id: str
    school_code: SchoolCode = Field(pattern=r"^[0-9]{6}$")  # ASCII digits: \d in a pattern is Unicode-wide
    name: str
    district_id: str


@event("identity.user.created")
class UserCreated(EventPayload):
    user_id: str
    login_name: str
    display_name: str
    kind: UserKind
    status: UserStatus
    school_ids: list[str]


@event("identity.user.updated")
class UserUpdated(EventPayload):
    user_id: str
    display_name: str
    kind: UserKind
    status: UserStatus
    end_date: date | None = None


@event("identity.user.contact_changed")
class UserContactChanged(EventPayload):
    """A user's e-mail address, for notification's e-mail channel (R-SUB-5..9 messages, reminders).

    Personal data on the bus as records' ``ContactAddressSet`` carries a postal address: the broker is
    internal, identity and notification keep the address AES-GCM encrypted at rest, neither logs it,
    and APIs show it masked. ``email`` None: the account has no address any more."""

    user_id: str
    email: str | None = Field(default=None, max_length=254)


@event("identity.user.deactivated")
class UserDeactivated(EventPayload):
    """A user left or was suspended; services stop routing duties to them."""

    user_id: str
    status: Literal["suspended", "left"]
    end_date: date | None = None
    reason: str


@event("identity.role.granted")
class RoleGranted(EventPayload):
    user_id: str
    school_id: str
    role: str


@event("identity.role.revoked")
class RoleRevoked(EventPayload):
    user_id: str
    school_id: str
    role: str


@event("identity.duty.delegation_changed")
class DelegationOrderChanged(EventPayload):
    """A duty's responsible people or ordered delegate list changed (代理順位, R-DUTY-1)."""

    school_id: str
    duty_code: str
    responsible_user_ids: list[str]
    delegate_user_ids: list[str]


@event("identity.duty.acting_changed")
class ActingPersonChanged(EventPayload):
    """Who acts for a duty now changed, e.g. the responsible person is absent (R-DUTY-2)."""

    school_id: str
    duty_code: str
    acting_user_id: str | None
    previous_acting_user_id: str | None
    is_delegate: bool
    reason: str


@event("identity.user.absence_marked")
class AbsenceMarked(EventPayload):
    """A person is absent for a range of days (inclusive); their duties pass to the next delegate (R-DUTY-2)."""

    user_id: str
    school_id: str
    starts_on: date
    ends_on: date
    absence_id: str | None = None


@event("identity.user.absence_cleared")
class AbsenceCleared(EventPayload):
    """A recorded absence was withdrawn (the reason never travels: it may be private)."""

    absence_id: str
    user_id: str
    school_id: str
    starts_on: date
    ends_on: date


@event("identity.teacher.account_extended")
class TeacherAccountExtended(EventPayload):
    """A leaving teacher keeps a certification-only account until a date (R-ART-5)."""

    user_id: str
    school_id: str
    certification_only: bool = True
    until: date


@event("identity.teacher.on_behalf_authorised")
class OnBehalfAuthorised(EventPayload):
    """A teacher authorised a staff member to certify on their behalf until a date (R-ART-5)."""

    authorisation_id: str
    teacher_user_id: str
    staff_user_id: str
    school_id: str
    until: date


@event("identity.teacher.on_behalf_revoked")
class OnBehalfRevoked(EventPayload):
    authorisation_id: str
    teacher_user_id: str
    staff_user_id: str
    school_id: str


TokenRevocationReason = Literal[
    "suspended",
    "left",
    "roles_removed",
    "logout_all",
    "logout",
    "refresh_reuse",
    "on_behalf_revoked",
    "password_changed",
]


@event("identity.user.tokens_revoked")
class TokensRevoked(EventPayload):
    """Access tokens issued before ``not_before`` stop working on every service (ASVS V7).

    Without ``family_id`` every token of the user is refused (suspension, roles removed, sign-out
    everywhere); with it only the tokens of that one sign-in (a sign-out, a stolen refresh token).
    Verifiers drop the entry once every token it can refuse has expired anyway.
    """

    user_id: str
    not_before: AwareDatetime
    family_id: str | None = None
    reason: TokenRevocationReason


NightlySyncFailure = Literal["drop_unreadable", "no_export", "too_large", "unreadable", "refused", "error"]


@event("identity.sis_sync.night_failed")
class SisAccountSyncFailed(EventPayload):
    """The nightly SIS account sync of a school failed (R-DUTY-3): notification alerts the school's
    IT section (資訊組). ``source`` is the drop location without credentials; ``detail`` names no person."""

    school_id: str
    night: date
    reason: NightlySyncFailure
    detail: str = Field(max_length=500)
    source: str | None = None
