"""Domain exceptions of the records service.

Every exception carries a stable machine-readable ``code``, an English and a zh-TW title, a
human ``detail`` in both languages, the ``field`` it concerns (if any) and the DOMAIN.md ``rule``
it enforces (if any). The HTTP layer maps them to RFC 9457 problem+json: ``code`` becomes the
problem ``type`` suffix, the titles and details are chosen by ``Accept-Language``, and
``extensions()`` are added as problem members.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar


class DomainError(Exception):
    """Base class of every records-domain error."""

    code: ClassVar[str] = "domain_error"
    title_en: ClassVar[str] = "Domain rule violated"
    title_zh: ClassVar[str] = "違反業務規則"
    default_field: ClassVar[str | None] = None
    default_rule: ClassVar[str | None] = None

    def __init__(
        self,
        detail_en: str,
        detail_zh: str | None = None,
        *,
        field: str | None = None,
        rule: str | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(detail_en)
        self.detail_en = detail_en
        self.detail_zh = detail_zh if detail_zh is not None else detail_en
        self.field = field if field is not None else self.default_field
        self.rule = rule if rule is not None else self.default_rule
        self.extra: dict[str, Any] = dict(extra or {})

    def extensions(self) -> dict[str, Any]:
        """Problem-details extension members (stable keys, JSON-serialisable values)."""
        members: dict[str, Any] = {"code": self.code}
        if self.field is not None:
            members["field"] = self.field
        if self.rule is not None:
            members["rule"] = self.rule
        members.update(self.extra)
        return members

    def to_dict(self, lang: str = "en") -> dict[str, Any]:
        """A language-specific summary: title, detail and the extension members."""
        zh = lang.lower().startswith("zh")
        return {
            "title": self.title_zh if zh else self.title_en,
            "detail": self.detail_zh if zh else self.detail_en,
            **self.extensions(),
        }

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code!r}, field={self.field!r}, detail={self.detail_en!r})"


class InvalidNationalId(DomainError):
    """A national ID number (身分證明號碼) failed validation (R-DATA-1).

    ``reason_code`` is one of ``empty``, ``full_width``, ``non_ascii``, ``lower_case``, ``length``,
    ``format``, ``checksum``.
    """

    code = "invalid_national_id"
    title_en = "Invalid national ID number"
    title_zh = "身分證明號碼格式錯誤"
    default_field = "national_id"
    default_rule = "R-DATA-1"

    def __init__(self, reason_code: str, message_en: str, message_zh: str) -> None:
        super().__init__(message_en, message_zh, extra={"reason": reason_code})
        self.reason_code = reason_code


class CipherError(DomainError):
    """Base class of field-encryption errors."""

    code = "cipher_error"
    title_en = "Encrypted field error"
    title_zh = "欄位加密錯誤"


class KeyConfigError(CipherError):
    """The key settings are malformed (bad kid, bad base64, wrong key size, duplicates)."""

    code = "cipher_key_config"
    title_en = "Invalid encryption key configuration"
    title_zh = "加密金鑰設定錯誤"


class MalformedToken(CipherError):
    """An encrypted token is not of the form ``v1.<kid>.<nonce>.<ciphertext>``."""

    code = "cipher_malformed_token"
    title_en = "Malformed encrypted value"
    title_zh = "加密值格式錯誤"


class UnknownKeyId(CipherError):
    """A token names a key id that is not configured (a retired key was removed too early)."""

    code = "cipher_unknown_kid"
    title_en = "Unknown encryption key id"
    title_zh = "未知的加密金鑰代號"


class DecryptionFailed(CipherError):
    """Authentication failed: wrong key, wrong associated data, or a tampered token."""

    code = "cipher_decryption_failed"
    title_en = "Decryption failed"
    title_zh = "解密失敗"


class GradesFileError(DomainError):
    """The whole grade file is unusable (encoding, header); single bad lines are rejected instead."""

    code = "grades_file_invalid"
    title_en = "Invalid grade file"
    title_zh = "成績檔案無效"
    default_field = "file"
    default_rule = "R-DATA-2"


class InvalidPhaseWindow(DomainError):
    """A schedule phase window (start, end, self-check time) is inconsistent (R-SCHED-1)."""

    code = "invalid_phase_window"
    title_en = "Invalid schedule window"
    title_zh = "時程設定錯誤"
    default_rule = "R-SCHED-1"


class InvalidSchoolSetting(DomainError):
    """A school setting (time zone, standing SIS import window) is not valid (R-SCHED-1, R-DUTY-3)."""

    code = "invalid_school_setting"
    title_en = "Invalid school setting"
    title_zh = "學校設定錯誤"
    default_rule = "R-SCHED-1"  # the schedule is published in the school's time zone


class PhasesOutOfOrder(InvalidPhaseWindow):
    """A later phase of one semester opens or closes before an earlier one (R-SCHED-1)."""

    code = "phases_out_of_order"
    title_en = "Schedule phases out of order"
    title_zh = "時程階段順序錯誤"

    def __init__(self, earlier: str, later: str) -> None:
        super().__init__(
            f"The {later} window must neither start nor end before the {earlier} window",
            f"「{later}」期間的開始與結束不得早於「{earlier}」期間",
            field="phase",
            extra={"phases": [earlier, later]},
        )


class InvalidEnrolmentTransition(DomainError):
    """An enrolment change (學籍異動) is impossible from the current status (R-ENR-1)."""

    code = "invalid_enrolment_transition"
    title_en = "Impossible enrolment change"
    title_zh = "不合理的學籍異動"
    default_field = "status"
    default_rule = "R-ENR-1"


class InvalidGradeLevel(DomainError):
    """A grade level (年級) is outside 1–3 or inconsistent with the change (R-ENR-1)."""

    code = "invalid_grade_level"
    title_en = "Invalid grade level"
    title_zh = "年級錯誤"
    default_field = "grade"
    default_rule = "R-ENR-1"


class RecordConflict(DomainError):
    """The change collides with the current state of the records (a duplicate, a stale update)."""

    code = "record_conflict"
    title_en = "Conflicting record"
    title_zh = "資料衝突"


class InvalidTeacherAssignment(DomainError):
    """A co-taught course needs a reviewing teacher among its teachers (R-REC-2)."""

    code = "invalid_teacher_assignment"
    title_en = "Invalid teacher assignment"
    title_zh = "授課教師設定錯誤"
    default_field = "reviewing_teacher_user_id"
    default_rule = "R-REC-2"


class WindowClosed(DomainError):
    """The school's window for this phase of the semester is not open (R-REC-1, R-SCHED-1)."""

    code = "window_closed"
    title_en = "Outside the school's window"
    title_zh = "不在學校設定的期間內"
    default_rule = "R-REC-1"
