"""Domain exceptions of the identity service.

All subclass the one base of every service, `portfolio_shared.errors.DomainError`: a stable
kebab-case `code`, an English and a zh-TW title, an optional `field`, the DOMAIN.md rule it
enforces and the class of outcome (`status`: 422 invalid, 409 conflict with current state). The
shared edge (`portfolio_shared.problems`) turns it into an RFC 9457 problem document.
"""

from __future__ import annotations

from portfolio_shared.errors import Conflict, DomainError

__all__ = ["DomainError"]


class InvalidSchoolCode(DomainError):
    code = "invalid-school-code"
    title_en = "Invalid school code"
    title_zh = "學校代碼格式錯誤"


class InvalidAcademicYear(DomainError):
    code = "invalid-academic-year"
    title_en = "Invalid academic year"
    title_zh = "學年度錯誤"


class UnknownRole(DomainError):
    code = "unknown-role"
    title_en = "Unknown role"
    title_zh = "未知的角色"


class UnknownDuty(DomainError):
    code = "unknown-duty"
    title_en = "Unknown duty"
    title_zh = "未知的工作職掌"
    default_rule = "R-DUTY-1"


class NoActingPerson(Conflict):
    code = "no-acting-person"
    title_en = "Nobody is available to act for this duty"
    title_zh = "負責人與代理人皆無法執行此職務"
    default_rule = "R-DUTY-2"


class InvalidAvailability(DomainError):
    code = "invalid-availability"
    title_en = "Invalid availability record"
    title_zh = "人員出勤狀態資料錯誤"
    default_rule = "R-DUTY-2"


class PermissionDenied(DomainError):
    code = "permission-denied"
    title_en = "Permission denied"
    title_zh = "權限不足"


class PasswordPolicyViolation(DomainError):
    code = "password-policy"
    title_en = "Password does not meet the policy"
    title_zh = "密碼不符合安全規則"

    def __init__(self, violations: list[str], *, field: str | None = "password") -> None:
        super().__init__("; ".join(violations) or self.title_en, field=field)
        self.violations = list(violations)


class SisFileUnreadable(DomainError):
    code = "sis-file-unreadable"
    title_en = "The SIS export cannot be read"
    title_zh = "無法讀取校務行政系統匯出檔"
    default_rule = "R-DUTY-3"


class SisHeaderInvalid(DomainError):
    code = "sis-header-invalid"
    title_en = "The SIS export has an invalid header line"
    title_zh = "校務行政系統匯出檔標題列錯誤"
    default_rule = "R-DUTY-3"


class MassDeactivationRefused(Conflict):
    code = "mass-deactivation-refused"
    title_en = "The sync would deactivate too many accounts"
    title_zh = "同步將停用過多帳號，已拒絕執行"
    default_rule = "R-DUTY-3"
