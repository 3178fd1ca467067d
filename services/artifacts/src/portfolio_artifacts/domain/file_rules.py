"""The central database's file rules (R-FILE-1, R-FILE-2) applied to uploads.

An upload is checked twice: once when the client declares it (name, content type, size, SHA-256)
so that an impossible upload is refused before any byte is stored, and once when the bytes have
been received, against the declaration and against the real type read from the magic bytes.

The limits are configuration, not code: they changed in December 2020 (2 MB / 5 MB to 4 MB / 10 MB)
and may change again, so a deployment builds its :class:`FileRules` from a mapping.
"""

from __future__ import annotations

import enum
import posixpath
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any
from urllib.parse import quote

from portfolio_artifacts.domain.errors import (
    DescriptionInvalid,
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
from portfolio_artifacts.domain.filetypes import DetectedType, FileKind, detect
from portfolio_shared.sizes import over_limit

MB = 1024 * 1024


class FileSlot(enum.StrEnum):
    """Where a file goes on an outcome or performance: a document file and/or an audio/video file."""

    DOCUMENT = "document"
    MEDIA = "media"


EXTENSIONS: Mapping[FileKind, frozenset[str]] = MappingProxyType(
    {
        FileKind.PDF: frozenset({".pdf"}),
        FileKind.JPEG: frozenset({".jpg", ".jpeg"}),
        FileKind.PNG: frozenset({".png"}),
        FileKind.MP3: frozenset({".mp3"}),
        FileKind.MP4: frozenset({".mp4"}),
    }
)
"""File name extensions (lower case, with the dot) of each kind's family."""

CONTENT_TYPES: Mapping[FileKind, frozenset[str]] = MappingProxyType(
    {
        FileKind.PDF: frozenset({"application/pdf", "application/x-pdf"}),
        FileKind.JPEG: frozenset({"image/jpeg", "image/jpg", "image/pjpeg"}),
        FileKind.PNG: frozenset({"image/png", "image/x-png"}),
        FileKind.MP3: frozenset({"audio/mpeg", "audio/mp3", "audio/mpeg3", "audio/x-mpeg-3"}),
        FileKind.MP4: frozenset({"video/mp4", "audio/mp4", "application/mp4"}),
    }
)
"""Declared content types consistent with each kind."""

# Browsers send these when they do not know; the magic bytes decide later.
_NEUTRAL_CONTENT_TYPES = frozenset({"", "application/octet-stream", "binary/octet-stream"})

_SHA256_RE = re.compile(r"^[0-9a-f]{64}$")
MAX_FILENAME_CHARS = 255


@dataclass(frozen=True, slots=True)
class SlotRule:
    """Which kinds a slot takes and how large each file may be."""

    kinds: frozenset[FileKind]
    max_bytes: int


def _default_slots() -> Mapping[FileSlot, SlotRule]:
    return MappingProxyType(
        {
            FileSlot.DOCUMENT: SlotRule(frozenset({FileKind.PDF, FileKind.JPEG, FileKind.PNG}), 4 * MB),
            FileSlot.MEDIA: SlotRule(frozenset({FileKind.MP3, FileKind.MP4}), 10 * MB),
        }
    )


@dataclass(frozen=True)
class FileRules:
    """R-FILE-1 / R-FILE-2 configuration. Defaults are the rules in force since December 2020."""

    slots: Mapping[FileSlot, SlotRule] = field(default_factory=_default_slots)
    description_max_chars: int = 100

    def __post_init__(self) -> None:
        seen: set[FileKind] = set()
        for slot in FileSlot:
            rule = self.slots.get(slot)
            if rule is None:
                raise InvalidDeclaration(f"file rules have no entry for slot {slot.value!r}", field=slot.value)
            if not rule.kinds:
                raise InvalidDeclaration(f"slot {slot.value!r} accepts no file kind", field=slot.value)
            if rule.max_bytes <= 0:
                raise InvalidDeclaration(f"slot {slot.value!r} has a non-positive size limit", field=slot.value)
            if seen & rule.kinds:
                raise InvalidDeclaration("a file kind belongs to more than one slot", field=slot.value)
            seen |= rule.kinds
        if self.description_max_chars <= 0:
            raise InvalidDeclaration("description_max_chars must be positive", field="description_max_chars")
        object.__setattr__(self, "slots", MappingProxyType(dict(self.slots)))

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> FileRules:
        """Build from configuration, e.g. ``{"document": {"kinds": ["pdf"], "max_bytes": 2097152}}``.

        Slots that are not given keep their defaults; ``max_mb`` may be used instead of ``max_bytes``.
        """
        slots = dict(_default_slots())
        for slot in FileSlot:
            raw = data.get(slot.value)
            if raw is None:
                continue
            if not isinstance(raw, Mapping):
                raise InvalidDeclaration(f"slot {slot.value!r} must be a mapping", field=slot.value)
            kinds = slots[slot].kinds
            if "kinds" in raw:
                try:
                    kinds = frozenset(FileKind(str(k).lower()) for k in raw["kinds"])
                except ValueError as exc:
                    raise InvalidDeclaration(f"unknown file kind in slot {slot.value!r}", field=slot.value) from exc
            max_bytes = slots[slot].max_bytes
            if "max_bytes" in raw:
                max_bytes = _positive_int(raw["max_bytes"], slot.value)
            elif "max_mb" in raw:
                max_bytes = _positive_int(raw["max_mb"], slot.value) * MB
            slots[slot] = SlotRule(kinds, max_bytes)
        unknown = set(data) - {s.value for s in FileSlot} - {"description_max_chars"}
        if unknown:
            raise InvalidDeclaration(f"unknown file rule keys: {sorted(unknown)}")
        desc = data.get("description_max_chars", 100)
        return cls(slots=slots, description_max_chars=_positive_int(desc, "description_max_chars"))

    def slot_for(self, kind: FileKind) -> FileSlot:
        for slot, rule in self.slots.items():
            if kind in rule.kinds:
                return slot
        raise FileTypeMismatch(f"file kind {kind.value!r} is not accepted in any slot")

    def max_bytes(self, slot: FileSlot) -> int:
        return self.slots[slot].max_bytes

    def allowed_extensions(self, slot: FileSlot) -> frozenset[str]:
        return frozenset(ext for kind in self.slots[slot].kinds for ext in EXTENSIONS[kind])


def _positive_int(value: object, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise InvalidDeclaration(f"{name} must be a positive integer", field=name)
    return value


DEFAULT_FILE_RULES = FileRules()
LEGACY_2020_FILE_RULES = FileRules.from_mapping({"document": {"max_bytes": 2 * MB}, "media": {"max_bytes": 5 * MB}})
"""The limits before December 2020 (2 MB / 5 MB), for records uploaded under them."""


def kind_for_extension(filename: str) -> FileKind | None:
    ext = posixpath.splitext(filename.strip().lower())[1]
    for kind, exts in EXTENSIONS.items():
        if ext in exts:
            return kind
    return None


def _base_name(filename: str) -> str:
    return re.split(r"[\\/]", filename)[-1]


def check_declared(
    slot: FileSlot,
    filename: str,
    content_type: str | None,
    size: int,
    *,
    rules: FileRules = DEFAULT_FILE_RULES,
) -> FileKind:
    """Check an upload declaration before any byte is accepted (R-FILE-1).

    Returns the kind the extension promises; :func:`check_received` later holds the bytes to it.
    """
    name = _base_name(filename or "").strip()
    if not name or name in {".", ".."}:
        raise InvalidFilename("file name is required", field="filename")
    if len(name) > MAX_FILENAME_CHARS:
        raise InvalidFilename(f"file name longer than {MAX_FILENAME_CHARS} characters", field="filename")
    if any(unicodedata.category(ch) == "Cc" for ch in name):
        raise InvalidFilename("file name contains control characters", field="filename")

    kind = kind_for_extension(name)
    allowed = rules.slots[slot].kinds
    if kind is None or kind not in allowed:
        exts = ", ".join(sorted(rules.allowed_extensions(slot)))
        raise FileExtensionNotAllowed(
            f"a {slot.value} file must have one of the extensions {exts}; got {name!r}",
            field="filename",
        )

    if content_type is not None:
        media_type = content_type.split(";", 1)[0].strip().lower()
        if media_type not in _NEUTRAL_CONTENT_TYPES and media_type not in CONTENT_TYPES[kind]:
            raise FileTypeMismatch(
                f"declared content type {media_type!r} does not match the {kind.value} extension",
                field="content_type",
            )

    if isinstance(size, bool) or not isinstance(size, int) or size < 0:
        raise InvalidDeclaration("declared size must be a non-negative integer", field="size")
    if size == 0:
        raise FileEmpty("the file is empty", field="size")
    limit = rules.max_bytes(slot)
    if size > limit:
        raise FileTooLarge(over_limit(limit, size, what=f"this {slot.value} file"), field="size")
    return kind


def check_received(
    slot: FileSlot,
    declared_size: int,
    declared_sha256: str,
    actual_size: int,
    actual_sha256: str,
    head_bytes: bytes,
    *,
    filename: str | None = None,
    rules: FileRules = DEFAULT_FILE_RULES,
) -> DetectedType:
    """Check received bytes against their declaration and the real type (R-FILE-1).

    ``head_bytes`` are the first bytes of the received file (up to ``filetypes.HEAD_SIZE``). When
    ``filename`` is given, the real kind must also be the one its extension promises. Returns the
    detected type, whose ``mime`` is what the platform stores and serves, never the declared one.
    """
    if actual_size != declared_size:
        raise FileSizeMismatch(f"received {actual_size} bytes but {declared_size} were declared", field="size")
    declared = normalise_sha256(declared_sha256, field_name="sha256")
    actual = normalise_sha256(actual_sha256, field_name="sha256")
    if declared != actual:
        raise FileChecksumMismatch(f"received SHA-256 {actual} differs from the declared {declared}", field="sha256")
    if actual_size == 0:
        raise FileEmpty("the file is empty", field="size")

    detected = detect(head_bytes)
    if detected.executable:
        raise ExecutableDisguised(f"the file is a {detected.label}, which is never accepted", field="file")
    if detected.kind is None or detected.kind not in rules.slots[slot].kinds:
        kinds = ", ".join(sorted(k.value for k in rules.slots[slot].kinds))
        raise FileTypeMismatch(
            f"the file content is {detected.label}; a {slot.value} file must be one of {kinds}",
            field="file",
        )
    if filename is not None:
        promised = kind_for_extension(_base_name(filename))
        if promised != detected.kind:
            raise FileTypeMismatch(
                f"the file content is {detected.label} but its name {_base_name(filename)!r} says otherwise",
                field="filename",
            )
    limit = rules.max_bytes(slot)
    if actual_size > limit:
        raise FileTooLarge(over_limit(limit, actual_size, what=f"the received {slot.value} file"), field="size")
    return detected


def normalise_sha256(value: str, *, field_name: str = "sha256") -> str:
    """Lower-case hex SHA-256, or :class:`InvalidDeclaration`."""
    text = (value or "").strip().lower()
    if not _SHA256_RE.fullmatch(text):
        raise InvalidDeclaration("SHA-256 must be 64 hexadecimal characters", field=field_name)
    return text


# --- Content-Disposition (RFC 6266, RFC 5987/8187) -------------------------------------------------

_ASCII_SAFE = re.compile(r"[^A-Za-z0-9._()\- ]+")
_ATTR_CHAR_SAFE = "!#$&+-.^_`|~"  # RFC 5987 attr-char besides ALPHA / DIGIT
_MAX_DOWNLOAD_NAME = 150


def _clean_display_name(filename: str) -> str:
    name = unicodedata.normalize("NFC", _base_name(filename or ""))
    # Control and format characters (incl. bidi overrides that can fake an extension) never survive.
    name = "".join(ch for ch in name if unicodedata.category(ch) not in {"Cc", "Cf", "Zl", "Zp"})
    name = name.replace('"', "'").strip().strip(".").strip()
    if len(name) > _MAX_DOWNLOAD_NAME:
        stem, ext = posixpath.splitext(name)
        ext = ext if len(ext) <= 10 else ""
        name = stem[: _MAX_DOWNLOAD_NAME - len(ext)] + ext
    return name


def safe_content_disposition(filename: str, *, disposition: str = "attachment") -> str:
    """A ``Content-Disposition`` header value that survives any user-supplied file name.

    ``filename`` carries an ASCII fallback for old clients, ``filename*`` the real (e.g. Chinese) name
    percent-encoded as UTF-8. No CR/LF, quote, backslash or path separator reaches the header.
    """
    if disposition not in {"attachment", "inline"}:
        raise ValueError("disposition must be 'attachment' or 'inline'")
    name = _clean_display_name(filename) or "download"
    stem, ext = posixpath.splitext(name)
    ascii_stem = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode("ascii")
    ascii_stem = _ASCII_SAFE.sub("_", ascii_stem).strip(" ._")
    ascii_ext = _ASCII_SAFE.sub("", ext.encode("ascii", "ignore").decode("ascii"))
    if not re.search(r"[A-Za-z0-9]", ascii_stem):
        ascii_stem = "download"
    fallback = ascii_stem + (ascii_ext if ascii_ext not in {"", "."} else "")
    encoded = quote(name, safe=_ATTR_CHAR_SAFE, encoding="utf-8")
    return f"{disposition}; filename=\"{fallback}\"; filename*=UTF-8''{encoded}"


# --- short description (R-FILE-2) -----------------------------------------------------------------


def check_description(text: str | None, *, rules: FileRules = DEFAULT_FILE_RULES) -> str:
    """Validate an outcome's required short description (簡述) and return it normalised (R-FILE-2).

    Counts characters (Unicode code points after NFC), not bytes: 100 Chinese characters are fine.
    """
    if text is None:
        raise DescriptionInvalid("the short description is required", field="description")
    value = unicodedata.normalize("NFC", text).strip()
    if not value:
        raise DescriptionInvalid("the short description is required", field="description")
    bad = [ch for ch in value if unicodedata.category(ch) in {"Cc", "Zl", "Zp"}]
    if bad:
        raise DescriptionInvalid(
            "the short description must be one line without control characters", field="description"
        )
    limit = rules.description_max_chars
    if len(value) > limit:
        raise DescriptionInvalid(
            f"the short description may be at most {limit} characters; got {len(value)}",
            field="description",
        )
    return value
