"""Domain exceptions of the records service.

All subclass the one base of every service, ``portfolio_shared.errors.DomainError``: a stable
kebab-case ``code``, an English and a zh-TW title, a human ``detail`` (and ``detail_zh``), the
``field`` it concerns (if any), the DOMAIN.md ``rule`` it enforces (if any) and the class of
outcome (``status``: 422 invalid, 409 conflict with current state, 500 a key or cipher failure).
The shared edge (``portfolio_shared.problems``) maps them to RFC 9457 problem+json.
"""

from __future__ import annotations

from portfolio_shared.errors import Conflict, DomainError, InternalFailure

__all__ = ["DomainError"]


class InvalidNationalId(DomainError):
    """A national ID number (身分證明號碼) failed validation (R-DATA-1).

    ``reason_code`` is one of ``empty``, ``full_width``, ``non_ascii``, ``lower_case``, ``length``,
    ``format``, ``checksum``.
    """

    code = "invalid-national-id"
    title_en = "Invalid national ID number"
    title_zh = "身分證明號碼格式錯誤"
    default_field = "national_id"
    default_rule = "R-DATA-1"

    def __init__(self, reason_code: str, message_en: str, message_zh: str) -> None:
        super().__init__(message_en, message_zh, extra={"reason": reason_code})
        self.reason_code = reason_code


class CipherError(InternalFailure):
    """Base class of field-encryption errors."""

    code = "cipher-error"
    title_en = "Encrypted field error"
    title_zh = "欄位加密錯誤"


class KeyConfigError(CipherError):
    """The key settings are malformed (bad kid, bad base64, wrong key size, duplicates)."""

    code = "cipher-key-config"
    title_en = "Invalid encryption key configuration"
    title_zh = "加密金鑰設定錯誤"


class MalformedToken(CipherError):
    """An encrypted token is not of the form ``v1.<kid>.<nonce>.<ciphertext>``."""

    code = "cipher-malformed-token"
    title_en = "Malformed encrypted value"
    title_zh = "加密值格式錯誤"


class UnknownKeyId(CipherError):
    """A token names a key id that is not configured (a retired key was removed too early)."""

    code = "cipher-unknown-kid"
    title_en = "Unknown encryption key id"
    title_zh = "未知的加密金鑰代號"


class DecryptionFailed(CipherError):
    """Authentication failed: wrong key, wrong associated data, or a tampered token."""

    code = "cipher-decryption-failed"
    title_en = "Decryption failed"
    title_zh = "解密失敗"


class GradesFileError(DomainError):
    """The whole grade file is unusable (encoding, header); single bad lines are rejected instead."""

    code = "grades-file-invalid"
    title_en = "Invalid grade file"
    title_zh = "成績檔案無效"
    default_field = "file"
    default_rule = "R-DATA-2"


class InvalidPhaseWindow(DomainError):
    """A schedule phase window (start, end, self-check time) is inconsistent (R-SCHED-1)."""

    code = "invalid-phase-window"
    title_en = "Invalid schedule window"
    title_zh = "時程設定錯誤"
    default_rule = "R-SCHED-1"


class InvalidSchoolSetting(DomainError):
    """A school setting (time zone, standing SIS import window) is not valid (R-SCHED-1, R-DUTY-3)."""

    code = "invalid-school-setting"
    title_en = "Invalid school setting"
    title_zh = "學校設定錯誤"
    default_rule = "R-SCHED-1"  # the schedule is published in the school's time zone


class PhasesOutOfOrder(InvalidPhaseWindow):
    """A later phase of one semester opens or closes before an earlier one (R-SCHED-1)."""

    code = "phases-out-of-order"
    title_en = "Schedule phases out of order"
    title_zh = "時程階段順序錯誤"

    def __init__(self, earlier: str, later: str) -> None:
        super().__init__(
            f"The {later} window must neither start nor end before the {earlier} window",
            f"「{later}」期間的開始與結束不得早於「{earlier}」期間",
            field="phase",
            extra={"phases": [earlier, later]},
        )


class InvalidEnrolmentTransition(Conflict):
    """An enrolment change (學籍異動) is impossible from the current status (R-ENR-1)."""

    code = "invalid-enrolment-transition"
    title_en = "Impossible enrolment change"
    title_zh = "不合理的學籍異動"
    default_field = "status"
    default_rule = "R-ENR-1"


class InvalidGradeLevel(DomainError):
    """A grade level (年級) is outside 1–3 or inconsistent with the change (R-ENR-1)."""

    code = "invalid-grade-level"
    title_en = "Invalid grade level"
    title_zh = "年級錯誤"
    default_field = "grade"
    default_rule = "R-ENR-1"


class RecordConflict(Conflict):
    """The change collides with the current state of the records (a duplicate, a stale update)."""

    code = "record-conflict"
    title_en = "Conflicting record"
    title_zh = "資料衝突"


class InvalidTeacherAssignment(DomainError):
    """A co-taught course needs a reviewing teacher among its teachers (R-REC-2)."""

    code = "invalid-teacher-assignment"
    title_en = "Invalid teacher assignment"
    title_zh = "授課教師設定錯誤"
    default_field = "reviewing_teacher_user_id"
    default_rule = "R-REC-2"


class WindowClosed(Conflict):
    """The school's window for this phase of the semester is not open (R-REC-1, R-SCHED-1)."""

    code = "window-closed"
    title_en = "Outside the school's window"
    title_zh = "不在學校設定的期間內"
    default_rule = "R-REC-1"
