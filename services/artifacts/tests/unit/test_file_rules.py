"""Upload declaration and receipt checks, Content-Disposition, short description (R-FILE-1, R-FILE-2)."""

import hashlib
import re
from urllib.parse import unquote

import pytest

from portfolio_artifacts.domain.errors import (
    DescriptionInvalid,
    DomainError,
    ExecutableDisguised,
    FileChecksumMismatch,
    FileEmpty,
    FileExtensionNotAllowed,
    FileSizeMismatch,
    FileTooLarge,
    FileTypeMismatch,
    InvalidDeclaration,
    InvalidFilename,
)
from portfolio_artifacts.domain.file_rules import (
    DEFAULT_FILE_RULES,
    LEGACY_2020_FILE_RULES,
    MB,
    FileRules,
    FileSlot,
    check_declared,
    check_description,
    check_received,
    safe_content_disposition,
)
from portfolio_artifacts.domain.filetypes import FileKind
from portfolio_shared.problems import problem_body

PDF_BYTES = b"%PDF-1.7\n" + b"x" * 1000
MZ_BYTES = b"MZ\x90\x00" + b"\x00" * 1000
PNG_BYTES = b"\x89PNG\r\n\x1a\n" + b"\x00" * 100
MP3_BYTES = b"ID3\x04\x00\x00\x00\x00\x00\x10" + b"\x00" * 100


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def receive(slot: FileSlot, data: bytes, filename: str | None = None, **overrides: object):
    args: dict[str, object] = {
        "declared_size": len(data),
        "declared_sha256": sha(data),
        "actual_size": len(data),
        "actual_sha256": sha(data),
        "head_bytes": data[:4096],
    }
    args.update(overrides)
    return check_received(slot, filename=filename, **args)  # type: ignore[arg-type]


# --- configuration (R-FILE-1: limits are configuration, not code) -------------------------------


def test_default_limits_are_4_mb_documents_and_10_mb_media() -> None:
    assert DEFAULT_FILE_RULES.max_bytes(FileSlot.DOCUMENT) == 4 * 1024 * 1024
    assert DEFAULT_FILE_RULES.max_bytes(FileSlot.MEDIA) == 10 * 1024 * 1024
    assert DEFAULT_FILE_RULES.slots[FileSlot.DOCUMENT].kinds == {FileKind.PDF, FileKind.JPEG, FileKind.PNG}
    assert DEFAULT_FILE_RULES.slots[FileSlot.MEDIA].kinds == {FileKind.MP3, FileKind.MP4}
    assert DEFAULT_FILE_RULES.slot_for(FileKind.MP4) is FileSlot.MEDIA


def test_rules_from_mapping_reproduce_the_pre_2020_limits() -> None:
    assert LEGACY_2020_FILE_RULES.max_bytes(FileSlot.DOCUMENT) == 2 * MB
    assert LEGACY_2020_FILE_RULES.max_bytes(FileSlot.MEDIA) == 5 * MB
    rules = FileRules.from_mapping({"document": {"kinds": ["pdf"], "max_mb": 3}, "description_max_chars": 50})
    assert rules.slots[FileSlot.DOCUMENT].kinds == {FileKind.PDF}
    assert rules.max_bytes(FileSlot.DOCUMENT) == 3 * MB
    assert rules.max_bytes(FileSlot.MEDIA) == 10 * MB
    assert rules.description_max_chars == 50
    with pytest.raises(FileExtensionNotAllowed):
        check_declared(FileSlot.DOCUMENT, "photo.png", "image/png", 100, rules=rules)


@pytest.mark.parametrize(
    "data",
    [
        {"document": {"kinds": ["gif"]}},
        {"document": {"max_bytes": 0}},
        {"media": {"kinds": ["pdf"]}},  # a kind in two slots
        {"spreadsheet": {}},
        {"description_max_chars": -1},
    ],
)
def test_bad_rule_configuration_is_refused(data: dict[str, object]) -> None:
    with pytest.raises(InvalidDeclaration):
        FileRules.from_mapping(data)


# --- declaration ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("slot", "name", "ctype", "kind"),
    [
        (FileSlot.DOCUMENT, "報告.PDF", "application/pdf", FileKind.PDF),
        (FileSlot.DOCUMENT, "photo.jpeg", "image/jpeg", FileKind.JPEG),
        (FileSlot.DOCUMENT, "photo.JPG", None, FileKind.JPEG),
        (FileSlot.DOCUMENT, "scan.png", "application/octet-stream", FileKind.PNG),
        (FileSlot.MEDIA, "talk.mp3", "audio/mpeg", FileKind.MP3),
        (FileSlot.MEDIA, "C:\\Users\\me\\video.mp4", "video/mp4; codecs=avc1", FileKind.MP4),
    ],
)
def test_valid_declarations_return_the_promised_kind(
    slot: FileSlot, name: str, ctype: str | None, kind: FileKind
) -> None:
    assert check_declared(slot, name, ctype, 1234) is kind


def test_declared_pdf_over_4_mb_is_refused_r_file_1() -> None:
    check_declared(FileSlot.DOCUMENT, "a.pdf", "application/pdf", 4 * MB)
    with pytest.raises(FileTooLarge) as exc:
        check_declared(FileSlot.DOCUMENT, "a.pdf", "application/pdf", 4 * MB + 1)
    assert exc.value.rule == "R-FILE-1"
    assert exc.value.field == "size"
    assert exc.value.status == 422


def test_declared_media_over_10_mb_is_refused_r_file_1() -> None:
    check_declared(FileSlot.MEDIA, "a.mp4", "video/mp4", 10 * MB)
    with pytest.raises(FileTooLarge):
        check_declared(FileSlot.MEDIA, "a.mp4", "video/mp4", 10 * MB + 1)


@pytest.mark.parametrize(
    ("slot", "name"),
    [
        (FileSlot.DOCUMENT, "video.mp4"),  # media kind in the document slot
        (FileSlot.MEDIA, "report.pdf"),
        (FileSlot.DOCUMENT, "report.docx"),
        (FileSlot.DOCUMENT, "setup.exe"),
        (FileSlot.DOCUMENT, "report.pdf.exe"),
        (FileSlot.DOCUMENT, "noextension"),
    ],
)
def test_wrong_extension_for_the_slot_is_refused(slot: FileSlot, name: str) -> None:
    with pytest.raises(FileExtensionNotAllowed) as exc:
        check_declared(slot, name, None, 10)
    assert exc.value.field == "filename"


def test_zero_size_is_refused() -> None:
    with pytest.raises(FileEmpty):
        check_declared(FileSlot.DOCUMENT, "a.pdf", "application/pdf", 0)
    with pytest.raises(InvalidDeclaration):
        check_declared(FileSlot.DOCUMENT, "a.pdf", "application/pdf", -5)


def test_declared_content_type_must_match_the_extension() -> None:
    with pytest.raises(FileTypeMismatch) as exc:
        check_declared(FileSlot.DOCUMENT, "a.pdf", "application/x-msdownload", 10)
    assert exc.value.field == "content_type"


@pytest.mark.parametrize("name", ["", "   ", "../", "a\r\n.pdf", "x" * 300 + ".pdf"])
def test_bad_file_names_are_refused(name: str) -> None:
    with pytest.raises(InvalidFilename):
        check_declared(FileSlot.DOCUMENT, name, None, 10)


# --- receipt ------------------------------------------------------------------------------------


def test_received_pdf_matching_its_declaration_is_accepted() -> None:
    detected = receive(FileSlot.DOCUMENT, PDF_BYTES, "成果.pdf")
    assert detected.kind is FileKind.PDF
    assert detected.mime == "application/pdf"


def test_mz_executable_named_pdf_is_refused_as_disguised_r_file_1() -> None:
    check_declared(FileSlot.DOCUMENT, "homework.pdf", "application/pdf", len(MZ_BYTES))
    with pytest.raises(ExecutableDisguised) as exc:
        receive(FileSlot.DOCUMENT, MZ_BYTES, "homework.pdf")
    assert exc.value.rule == "R-FILE-1"
    assert exc.value.code == "file-executable-disguised"


def test_html_named_png_is_refused_as_disguised() -> None:
    with pytest.raises(ExecutableDisguised):
        receive(FileSlot.DOCUMENT, b"<html><script>steal()</script></html>", "cat.png")


def test_size_mismatch_is_refused() -> None:
    with pytest.raises(FileSizeMismatch):
        receive(FileSlot.DOCUMENT, PDF_BYTES, actual_size=len(PDF_BYTES) - 1)


def test_sha256_mismatch_is_refused() -> None:
    with pytest.raises(FileChecksumMismatch) as exc:
        receive(FileSlot.DOCUMENT, PDF_BYTES, "a.pdf", actual_sha256=sha(PDF_BYTES + b"!"))
    assert exc.value.field == "sha256"
    assert exc.value.status == 422


def test_sha256_comparison_ignores_hex_case_but_requires_a_real_digest() -> None:
    receive(FileSlot.DOCUMENT, PDF_BYTES, declared_sha256=sha(PDF_BYTES).upper())
    with pytest.raises(InvalidDeclaration):
        receive(FileSlot.DOCUMENT, PDF_BYTES, declared_sha256="abc")


def test_content_not_allowed_in_the_slot_is_a_type_mismatch() -> None:
    with pytest.raises(FileTypeMismatch):
        receive(FileSlot.DOCUMENT, MP3_BYTES)
    with pytest.raises(FileTypeMismatch):
        receive(FileSlot.MEDIA, PDF_BYTES)
    with pytest.raises(FileTypeMismatch):
        receive(FileSlot.DOCUMENT, b"PK\x03\x04" + b"\x00" * 50, "essay.pdf")


def test_content_must_match_the_extension_family() -> None:
    with pytest.raises(FileTypeMismatch) as exc:
        receive(FileSlot.DOCUMENT, PNG_BYTES, "scan.pdf")
    assert exc.value.field == "filename"
    assert receive(FileSlot.DOCUMENT, PNG_BYTES, "scan.png").kind is FileKind.PNG


def test_received_file_over_the_limit_is_refused_even_if_declared_so() -> None:
    big = 4 * MB + 1
    with pytest.raises(FileTooLarge):
        receive(FileSlot.DOCUMENT, PDF_BYTES, declared_size=big, actual_size=big)


# --- Content-Disposition (RFC 6266 / RFC 5987) ---------------------------------------------------

_HEADER_RE = re.compile(r"^attachment; filename=\"([^\"\\\r\n/]*)\"; filename\*=UTF-8''([A-Za-z0-9%!#$&+.^_`|~-]+)$")


def _parse(header: str) -> tuple[str, str]:
    m = _HEADER_RE.fullmatch(header)
    assert m is not None, header
    return m.group(1), unquote(m.group(2), encoding="utf-8")


def test_chinese_filename_survives_in_filename_star() -> None:
    header = safe_content_disposition("第一學期 自主學習成果.pdf")
    fallback, real = _parse(header)
    assert real == "第一學期 自主學習成果.pdf"
    assert fallback == "download.pdf"
    assert "%E7%AC%AC" in header  # 第 in UTF-8
    header.encode("ascii")  # header values must be ASCII


def test_ascii_name_keeps_a_readable_fallback() -> None:
    fallback, real = _parse(safe_content_disposition("Report (final) v2.pdf"))
    assert fallback == "Report (final) v2.pdf"
    assert real == "Report (final) v2.pdf"


@pytest.mark.parametrize(
    "name",
    [
        'evil"; filename="x.exe.pdf',
        "a\r\nSet-Cookie: x=1.pdf",
        "../../etc/passwd",
        "..\\..\\windows\\system32\\cmd.exe",
        "photo\u202egnp.exe",  # right-to-left override hiding ".exe"
        "",
        "...",
    ],
)
def test_hostile_names_cannot_break_the_header(name: str) -> None:
    header = safe_content_disposition(name)
    fallback, real = _parse(header)
    for ch in ("\r", "\n", "/", "\\", '"', "\u202e"):
        assert ch not in fallback
        assert ch not in real
    assert header.count('"') == 2
    assert not real.startswith(".")


def test_inline_disposition_is_possible_and_others_are_not() -> None:
    assert safe_content_disposition("a.png", disposition="inline").startswith("inline; ")
    with pytest.raises(ValueError):
        safe_content_disposition("a.png", disposition="attachment; x=1")


# --- short description (R-FILE-2) -----------------------------------------------------------------


def test_description_of_100_characters_is_accepted_and_101_refused_r_file_2() -> None:
    assert check_description("學" * 100) == "學" * 100  # 300 bytes in UTF-8, still 100 characters
    with pytest.raises(DescriptionInvalid) as exc:
        check_description("學" * 101)
    assert exc.value.rule == "R-FILE-2"
    assert exc.value.field == "description"
    assert check_description("a" * 100) == "a" * 100
    with pytest.raises(DescriptionInvalid):
        check_description("a" * 101)


def test_description_is_counted_after_normalisation_and_trimming() -> None:
    assert check_description("  " + "e\u0301" * 100 + "  ") == "\u00e9" * 100


@pytest.mark.parametrize("text", [None, "", "   ", "line one\nline two", "tab\there", "bell\x07", "a\u2028b"])
def test_description_is_required_and_has_no_control_characters(text: str | None) -> None:
    with pytest.raises(DescriptionInvalid):
        check_description(text)


def test_domain_errors_carry_what_the_problem_json_needs() -> None:
    with pytest.raises(DomainError) as exc:
        check_description("")
    # The one shared mapping (portfolio_shared.problems) turns it into the problem body.
    data = problem_body(exc.value)
    assert data["type"].endswith("/problems/description-invalid")
    assert data["code"] == "description-invalid"
    assert data["status"] == 422
    assert data["title_zh"]
    assert data["title_en"]
    assert data["rule"] == "R-FILE-2"
    assert data["field"] == "description"
