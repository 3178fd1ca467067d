"""Request and response bodies of the identity API (XCreate / XUpdate / XPublic families)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from portfolio_shared.timefmt import UtcTimestamp

LoginName = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")
Kind = Literal["student", "teacher", "staff"]
Status = Literal["active", "suspended", "left"]


def _plausible(value: date) -> date:
    # Days far outside a school's life are typos; they would also overflow date arithmetic.
    if not 1900 <= value.year <= 2200:
        raise ValueError("the date must lie between 1900 and 2200")
    return value


Day = Annotated[date, AfterValidator(_plausible)]
EMAIL_PATTERN = r"^[^@\s]{1,64}@[^@\s.]+(\.[^@\s.]+)+$"


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(_has_nul(v) for v in value)
    return False


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _no_nul_characters(cls, data: Any) -> Any:
        # PostgreSQL text cannot hold NUL; refuse it as bad input rather than fail in the database.
        if _has_nul(data):
            raise ValueError("text must not contain NUL characters")
        return data


class LoginRequest(Body):
    login_name: str = Field(min_length=1, max_length=200)
    password: str = Field(min_length=1, max_length=256)


class RefreshRequest(Body):
    refresh_token: str = Field(min_length=1, max_length=200)


class PasswordChange(Body):
    current_password: str = Field(min_length=1, max_length=256)
    new_password: str = Field(min_length=1, max_length=256)


class TokenPair(BaseModel):
    access_token: str
    token_type: Literal["Bearer"]
    expires_in: int
    refresh_token: str
    refresh_expires_in: int


class DistrictCreate(Body):
    code: str = Field(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_-]+$")
    name: str = Field(min_length=1, max_length=200)


class DistrictPublic(BaseModel):
    id: str
    code: str
    name: str


class PlatformRoleGrant(Body):
    user_id: str = Field(min_length=1, max_length=36)


class SchoolCreate(Body):
    code: str = Field(description="six-digit national school code (學校代碼)", min_length=1, max_length=12)
    name: str = Field(min_length=1, max_length=200)
    district_id: str = Field(min_length=1, max_length=36)


class SchoolUpdate(Body):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    district_id: str | None = Field(default=None, min_length=1, max_length=36)


class SchoolPublic(BaseModel):
    id: str
    code: str
    name: str
    district_id: str


class UserCreate(Body):
    login_name: str = LoginName
    display_name: str = Field(min_length=1, max_length=100)
    kind: Kind
    roles: list[str] = Field(default_factory=list, max_length=20)
    email: str | None = Field(default=None, max_length=254, pattern=EMAIL_PATTERN)
    student_number: str | None = Field(default=None, pattern=r"^[A-Za-z0-9-]{1,20}$")
    password: str | None = Field(default=None, min_length=1, max_length=256)


class MemberAdd(Body):
    login_name: str = LoginName
    roles: list[str] = Field(min_length=1, max_length=20)


class UserUpdate(Body):
    display_name: str | None = Field(default=None, min_length=1, max_length=100)
    email: str | None = Field(default=None, max_length=254, pattern=EMAIL_PATTERN)
    status: Status | None = None
    end_date: Day | None = None

    def changes(self) -> dict[str, Any]:
        return self.model_dump(
            exclude_unset=True, exclude={k for k in ("display_name", "status") if getattr(self, k) is None}
        )


class RolesSet(Body):
    roles: list[str] = Field(max_length=20)


class PasswordSet(Body):
    password: str = Field(min_length=1, max_length=256)


class UserPublic(BaseModel):
    id: str
    login_name: str
    display_name: str
    kind: str
    status: Status
    end_date: date | None
    email: str | None
    student_number: str | None
    from_sis: bool
    deactivated: bool
    home_school_id: str | None
    roles: list[str] = Field(default_factory=list)


class UserPage(BaseModel):
    items: list[UserPublic]
    total: int
    limit: int
    offset: int


class DutyCreate(Body):
    code: str = Field(min_length=1, max_length=64, pattern=r"^[a-z][a-z0-9_]*$")
    name_en: str = Field(min_length=1, max_length=200)
    name_zh: str = Field(min_length=1, max_length=200)
    area: Literal["basic_data", "course_records", "course_outcomes", "performances", "submission"] = "basic_data"
    responsible_roles: list[str] = Field(min_length=1, max_length=10)
    default_delegate_roles: list[str] = Field(default_factory=list, max_length=10)
    permissions: list[str] = Field(default_factory=list, max_length=40)
    note: str = Field(default="", max_length=2000)


class DutyUpdate(Body):
    name_en: str | None = Field(default=None, min_length=1, max_length=200)
    name_zh: str | None = Field(default=None, min_length=1, max_length=200)
    note: str | None = Field(default=None, max_length=2000)
    responsible_roles: list[str] | None = Field(default=None, min_length=1, max_length=10)
    default_delegate_roles: list[str] | None = Field(default=None, max_length=10)


class DelegationOrder(Body):
    responsible_user_ids: list[str] = Field(default_factory=list, max_length=20)
    delegate_user_ids: list[str] = Field(default_factory=list, max_length=20)


class DutyTemplatePublic(BaseModel):
    """One duty of the Annex-1 template every new school starts from (R-DUTY-1)."""

    code: str
    name_en: str
    name_zh: str
    area: str
    responsible_roles: list[str]
    default_delegate_roles: list[str]
    permissions: list[str]
    note: str


class DutyPublic(DutyTemplatePublic):
    """A school's copy of a duty, with the people named for it."""

    responsible_user_ids: list[str]
    delegate_user_ids: list[str]
    acting_user_id: str | None


class PersonPublic(BaseModel):
    user_id: str
    display_name: str
    login_name: str | None


class Skipped(BaseModel):
    person: PersonPublic
    reason: str


class ActingPublic(BaseModel):
    duty_code: str
    on: date
    acting: PersonPublic | None
    is_delegate: bool
    position: int | None
    delegate_rank: int | None
    on_behalf_of: PersonPublic | None
    skipped: list[Skipped]


class AbsenceCreate(Body):
    starts_on: Day
    ends_on: Day
    reason: str = Field(default="", max_length=200)

    @model_validator(mode="after")
    def _ordered(self) -> AbsenceCreate:
        if self.ends_on < self.starts_on:
            raise ValueError("ends_on must not be before starts_on (R-DUTY-2)")
        return self


class AbsencePublic(BaseModel):
    id: str
    user_id: str
    school_id: str
    starts_on: date
    ends_on: date
    reason: str


class ExtensionCreate(Body):
    until: Day


class ExtensionPublic(BaseModel):
    user_id: str
    school_id: str
    until: date
    certification_only: bool


class OnBehalfCreate(Body):
    staff_user_id: str = Field(min_length=1, max_length=36)
    until: Day
    teacher_user_id: str | None = Field(default=None, min_length=1, max_length=36)


class OnBehalfPublic(BaseModel):
    id: str
    school_id: str
    teacher_user_id: str
    staff_user_id: str
    until: date
    revoked_at: UtcTimestamp | None


class KeyRotated(BaseModel):
    kid: str
    retired: list[str]
    signs_from: UtcTimestamp


# -- answers that carry times: one RFC 3339 form (UTC with Z), also on SQLite (issue 18) -------------


class AuditEntryPublic(BaseModel):
    id: int
    occurred_at: UtcTimestamp
    actor_id: str | None
    school_id: str | None
    action: str
    object_type: str
    object_id: str
    before: dict[str, Any] | None = Field(description="the object before, as it was recorded")
    after: dict[str, Any] | None = Field(description="the object after, as it was recorded")
    client_ip: str | None


class AuditPage(BaseModel):
    items: list[AuditEntryPublic]
    total: int
    limit: int
    offset: int


class SigningKeyPublic(BaseModel):
    kid: str
    algorithm: str
    created_at: UtcTimestamp
    activates_at: UtcTimestamp
    retired_at: UtcTimestamp | None
    publish_until: UtcTimestamp | None


class SyncRunPublic(BaseModel):
    id: str
    started_at: UtcTimestamp
    actor_id: str | None
    dry_run: bool
    file_sha256: str
    report: dict[str, Any]


class Jwk(BaseModel):
    """One public signing key (RFC 7517); Ed25519 keys carry ``crv`` and ``x``."""

    model_config = ConfigDict(extra="allow")

    kty: str
    kid: str
    alg: str
    use: str
    crv: str | None = None
    x: str | None = None


class Jwks(BaseModel):
    keys: list[Jwk]


class SchoolGrant(BaseModel):
    roles: list[str]
    perms: list[str]


class Me(BaseModel):
    """The caller's token claims as the services see them."""

    user_id: str
    login_name: str
    kind: str
    schools: dict[str, SchoolGrant]
    district_perms: list[str]


class RoleEntry(BaseModel):
    role: str
    name_zh: str
    platform: bool  # a platform (district) role rather than a school role
    permissions: list[str]
