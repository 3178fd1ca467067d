"""Pure rules of the notification service: channels, reminder timing at and past its limit, backoff,
masking, templates, letters, contact encryption, settings (no server)."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest
from pypdf import PdfReader

from portfolio_notification.adapters import templates
from portfolio_notification.adapters.crypto import FieldCipher
from portfolio_notification.adapters.letters import Letter, render_pdf
from portfolio_notification.config import DEV_CONTACT_KEYS, Settings
from portfolio_notification.domain.errors import TemplateInvalid
from portfolio_notification.domain.model import (
    Contact,
    Trigger,
    backoff_seconds,
    channels_for,
    mask_email,
    message_id,
    reminder_due,
)

ENDS = datetime(2026, 1, 20, 16, 0, tzinfo=UTC)


def test_reminder_due_from_n_days_before_until_the_window_closes() -> None:
    assert not reminder_due(ENDS - timedelta(days=3, seconds=1), ENDS, 3)  # one second early
    assert reminder_due(ENDS - timedelta(days=3), ENDS, 3)  # at the limit
    assert reminder_due(ENDS - timedelta(seconds=1), ENDS, 3)
    assert not reminder_due(ENDS, ENDS, 3)  # closed: too late to remind
    # N = 0: a school that switched reminders off is never reminded
    assert not any(reminder_due(ENDS - timedelta(seconds=s), ENDS, 0) for s in (0, 1, 86_400))


def test_channels_left_students_by_post_only_for_receipts_and_reminders_may_be_switched_off() -> None:
    student = Contact("s-1", "sch-A", email="present")
    assert channels_for(Trigger.RECEIPT_WINDOW_OPENED, student) == ["inbox", "email"]
    muted = Contact("s-1", "sch-A", email="present", email_reminders=False)
    assert channels_for(Trigger.UPLOAD_REMINDER, muted) == ["inbox"]
    assert channels_for(Trigger.CERTIFICATION_REMINDER, muted) == ["inbox"]
    assert channels_for(Trigger.RECEIPT_WINDOW_OPENED, muted) == ["inbox", "email"]  # receipts cannot be muted
    left = Contact("s-2", "sch-A", email="present", left=True, has_postal_address=True)
    assert channels_for(Trigger.RECEIPT_WINDOW_OPENED, left) == ["postal"]  # R-SUB-9
    assert channels_for(Trigger.UPLOAD_REMINDER, left) == []
    assert channels_for(Trigger.OBJECTION_RESOLVED, Contact("s-3", "sch-A")) == ["inbox"]  # no address: inbox


def test_backoff_doubles_up_to_the_cap_and_ids_and_masks() -> None:
    assert [backoff_seconds(n, 30) for n in (1, 2, 3, 4)] == [30, 60, 120, 240]
    assert backoff_seconds(30, 30) == 3600
    assert message_id("abc", "portfolio.invalid") == "<abc@portfolio.invalid>"
    assert mask_email("wang@school.example") == "w***@school.example"
    assert mask_email("nonsense") == "***"


def test_every_trigger_has_a_bilingual_default_template() -> None:
    context = {
        "name": "王小明", "school_name": "本校", "count": 3, "closes_at": "2026-01-21 00:00", "opens_at": "x",
        "what_zh": "課程學習成果", "what_en": "course outcome", "objection_id": "o", "kind_zh": "成績",
        "kind_en": "grades", "batch_id": "b", "reason": "r", "will_retry": False, "file_id": "f",
        "problem_zh": "遺失", "problem_en": "is missing", "owner_zh": "課程學習成果", "owner_en": "course outcome",
        "is_student": True,
    }  # fmt: skip
    for trigger in Trigger:
        text = templates.render(trigger, "email", context)
        assert "王小明" in text.body and "Dear" in text.body, trigger
        assert text.body.index("王小明") < text.body.index("Dear")  # zh-TW first, then English
        assert "\n" not in text.subject
    letter = templates.render(Trigger.RECEIPT_WINDOW_OPENED, "postal", context)
    assert "輔導室" in letter.body


def test_school_overrides_render_in_a_sandbox_and_fall_back_when_they_name_unknown_variables() -> None:
    ctx = {"name": "林老師", "count": 3, "school_name": "本校", "closes_at": "x"}
    text = templates.render(
        Trigger.CERTIFICATION_REMINDER, "email", ctx, ("待認證 {{ count }} 件", "{{ name }}：{{ count }}")
    )
    assert text.subject == "待認證 3 件" and text.body == "林老師：3"
    fallback = templates.render(Trigger.CERTIFICATION_REMINDER, "email", ctx, ("{{ national_id }}", "x"))
    assert "3 件" in fallback.subject  # the default wording, not an empty or partial message
    with pytest.raises(TemplateInvalid) as err:
        templates.check("ok", "{% for %}")
    assert err.value.field == "body"
    sandboxed = templates.render(
        Trigger.CERTIFICATION_REMINDER, "email", ctx, ("x", "{{ ''.__class__.__mro__ }}")
    )  # an unsafe attribute is refused by the sandbox: the default text goes out instead
    assert "林老師" in sandboxed.body and "mro" not in sandboxed.body


def test_letter_pdf_is_a4_with_real_traditional_chinese_text_wrapped_over_pages() -> None:
    body = "請確認提交內容與您上傳的資料是否相符。" * 200 + "\nEnglish words wrap by word, not by letter."
    pdf = render_pdf(
        [
            Letter(
                ["市立實驗高中", "100 臺北市中正區"],
                ["王小明", "100", "臺北市中正區重慶南路一段122號"],
                "收訖明細確認通知",
                body,
            ),
            Letter(["市立實驗高中", ""], ["陳大華", "300", "新竹市東區光復路二段101號"], "收訖明細確認通知", "短"),
        ],
        "batch",
    )
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) >= 3  # a long letter continues on the next page; the second letter starts its own
    first = reader.pages[0].extract_text()
    assert "王小明" in first and "臺北市中正區重慶南路一段122號" in first and "市立實驗高中" in first
    assert "陳大華" in reader.pages[-1].extract_text()
    assert (float(reader.pages[0].mediabox.width), float(reader.pages[0].mediabox.height)) == pytest.approx(
        (595.27, 841.89), abs=0.1
    )


def test_contact_cipher_round_trip_is_randomised_and_refuses_bad_keys() -> None:
    cipher = FieldCipher(DEV_CONTACT_KEYS)
    a, b = cipher.encrypt("wang@school.example"), cipher.encrypt("wang@school.example")
    assert a != b and "wang" not in a and cipher.decrypt(a) == "wang@school.example"
    with pytest.raises(ValueError):
        FieldCipher("k1:c2hvcnQ=")  # not 32 bytes
    with pytest.raises(ValueError):
        FieldCipher(":" + DEV_CONTACT_KEYS.split(":", 1)[1])  # no key id


def test_production_refuses_the_development_contact_key_and_a_missing_smtp_host() -> None:
    prod = {"environment": "production", "database_url": "postgresql+asyncpg://x/y", "signing_secret": "s" * 32}
    with pytest.raises(ValueError, match="contact_keys"):
        Settings(**prod, smtp_host="smtp.example")  # type: ignore[arg-type]
    other_key = "k2:" + "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWY="
    with pytest.raises(ValueError, match="smtp_host"):
        Settings(**prod, contact_keys=other_key)  # type: ignore[arg-type]
    assert Settings(**prod, contact_keys=other_key, smtp_host="smtp.example").smtp_host == "smtp.example"  # type: ignore[arg-type]
