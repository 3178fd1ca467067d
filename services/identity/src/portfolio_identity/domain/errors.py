"""Domain exceptions of the identity service.

Every exception carries a stable machine-readable `code`, an English and a zh-TW title, an
optional `field` and the DOMAIN.md rule it enforces, so that the HTTP layer can turn it into an
RFC 9457 problem document without knowing the domain.
"""

from __future__ import annotations

from typing import Any, ClassVar


class DomainError(Exception):
    """Base of every identity-domain error (領域錯誤)."""

    code: ClassVar[str] = "identity.domain_error"
    title_en: ClassVar[str] = "Domain rule violated"
    title_zh: ClassVar[str] = "違反業務規則"
    rule: str | None = None

    def __init__(self, detail: str = "", *, field: str | None = None, rule: str | None = None) -> None:
        super().__init__(detail or self.title_en)
        self.detail = detail or self.title_en
        self.field = field
        if rule is not None:
            # An instance may cite a more specific rule than its class.
            self.rule = rule

    def as_problem_fields(self) -> dict[str, Any]:
        """Fields for a problem+json body; the HTTP layer adds `type`, `status` and `instance`."""
        return {
            "code": self.code,
            "title": self.title_en,
            "title_zh": self.title_zh,
            "detail": self.detail,
            "field": self.field,
            "rule": self.rule,
        }

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code!r}, detail={self.detail!r}, field={self.field!r})"


class InvalidSchoolCode(DomainError):
    code = "identity.invalid_school_code"
    title_en = "Invalid school code"
    title_zh = "學校代碼格式錯誤"


class InvalidAcademicYear(DomainError):
    code = "identity.invalid_academic_year"
    title_en = "Invalid academic year"
    title_zh = "學年度錯誤"


class UnknownRole(DomainError):
    code = "identity.unknown_role"
    title_en = "Unknown role"
    title_zh = "未知的角色"


class UnknownDuty(DomainError):
    code = "identity.unknown_duty"
    title_en = "Unknown duty"
    title_zh = "未知的工作職掌"
    rule = "R-DUTY-1"


class NoActingPerson(DomainError):
    code = "identity.no_acting_person"
    title_en = "Nobody is available to act for this duty"
    title_zh = "負責人與代理人皆無法執行此職務"
    rule = "R-DUTY-2"


class InvalidAvailability(DomainError):
    code = "identity.invalid_availability"
    title_en = "Invalid availability record"
    title_zh = "人員出勤狀態資料錯誤"
    rule = "R-DUTY-2"


class PermissionDenied(DomainError):
    code = "identity.permission_denied"
    title_en = "Permission denied"
    title_zh = "權限不足"


class PasswordPolicyViolation(DomainError):
    code = "identity.password_policy"
    title_en = "Password does not meet the policy"
    title_zh = "密碼不符合安全規則"

    def __init__(self, violations: list[str], *, field: str | None = "password") -> None:
        super().__init__("; ".join(violations) or self.title_en, field=field)
        self.violations = list(violations)


class SisFileUnreadable(DomainError):
    code = "identity.sis_file_unreadable"
    title_en = "The SIS export cannot be read"
    title_zh = "無法讀取校務行政系統匯出檔"
    rule = "R-DUTY-3"


class SisHeaderInvalid(DomainError):
    code = "identity.sis_header_invalid"
    title_en = "The SIS export has an invalid header line"
    title_zh = "校務行政系統匯出檔標題列錯誤"
    rule = "R-DUTY-3"


class MassDeactivationRefused(DomainError):
    code = "identity.mass_deactivation_refused"
    title_en = "The sync would deactivate too many accounts"
    title_zh = "同步將停用過多帳號，已拒絕執行"
    rule = "R-DUTY-3"
