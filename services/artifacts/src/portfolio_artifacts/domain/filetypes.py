"""Real file type detection from magic bytes (R-FILE-1).

The declared content type and the file name come from the client and prove nothing; only the first
bytes of what was actually received decide what a file is. Detection looks at the first
``HEAD_SIZE`` bytes and recognises the five kinds the central database accepts, plus the things that
must be refused explicitly (executables, scripts, HTML/SVG, archives and Office containers), so the
refusal can say why.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

HEAD_SIZE = 4096
"""How many leading bytes callers should pass to :func:`detect`."""


class FileKind(enum.StrEnum):
    """The file kinds the central database accepts (R-FILE-1)."""

    PDF = "pdf"
    JPEG = "jpeg"
    PNG = "png"
    MP3 = "mp3"
    MP4 = "mp4"


@dataclass(frozen=True, slots=True)
class DetectedType:
    """What the leading bytes show.

    ``kind`` is ``None`` for anything that is not one of the accepted kinds. ``executable`` is true for
    content that can run or carry active script (native executables, shebang scripts, HTML, SVG,
    Java classes, WebAssembly, Windows shortcuts): such a file is refused as disguised, not merely
    as of the wrong type.
    """

    kind: FileKind | None
    mime: str
    label: str
    executable: bool = False

    @property
    def accepted(self) -> bool:
        return self.kind is not None


UNKNOWN = DetectedType(None, "application/octet-stream", "unknown")

MP4_BRANDS: frozenset[bytes] = frozenset(
    {
        b"isom", b"iso2", b"iso3", b"iso4", b"iso5", b"iso6",
        b"mp41", b"mp42", b"mp71",
        b"avc1", b"M4V ", b"M4VH", b"M4VP", b"M4A ", b"M4B ",
        b"dash", b"msdh", b"msix",
        b"3gp4", b"3gp5", b"3gp6", b"3gp7", b"3gg6", b"3g2a", b"3g2b", b"3g2c",
        b"mmp4", b"MSNV", b"NDAS", b"NDSC", b"NDSH", b"NDSM", b"NDSP", b"NDSS", b"NDXC", b"NDXH",
        b"NDXM", b"NDXP", b"NDXS", b"f4v ", b"F4V ",
    }
)  # fmt: skip
"""ISO base media brands that make an ``ftyp`` box an MP4 file (major or compatible brand)."""

# Image brands in the same box format (HEIF/HEIC/AVIF): an ``ftyp`` box with one of these as the
# major brand is a still image, never MP4, even if it lists ``iso*`` as compatible.
_IMAGE_BRANDS: frozenset[bytes] = frozenset(
    {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1", b"avif", b"avis", b"jpeg"}
)

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

# (prefix, mime, label, executable) checked at offset 0, in this order.
_REFUSED_PREFIXES: tuple[tuple[bytes, str, str, bool], ...] = (
    (b"MZ", "application/vnd.microsoft.portable-executable", "Windows executable (MZ)", True),
    (b"\x7fELF", "application/x-elf", "ELF executable", True),
    (b"\xfe\xed\xfa\xce", "application/x-mach-binary", "Mach-O executable", True),
    (b"\xfe\xed\xfa\xcf", "application/x-mach-binary", "Mach-O executable", True),
    (b"\xce\xfa\xed\xfe", "application/x-mach-binary", "Mach-O executable", True),
    (b"\xcf\xfa\xed\xfe", "application/x-mach-binary", "Mach-O executable", True),
    (b"\xca\xfe\xba\xbe", "application/java-vm", "Java class or Mach-O universal binary", True),
    (b"\x00asm", "application/wasm", "WebAssembly module", True),
    (b"L\x00\x00\x00\x01\x14\x02\x00", "application/x-ms-shortcut", "Windows shortcut (LNK)", True),
    (b"#!", "text/x-script", "script (#!)", True),
    (b"PK\x03\x04", "application/zip", "ZIP archive (incl. Office Open XML, JAR, APK)", False),
    (b"PK\x05\x06", "application/zip", "ZIP archive (empty)", False),
    (b"PK\x07\x08", "application/zip", "ZIP archive (spanned)", False),
    (_OLE_MAGIC, "application/x-ole-storage", "OLE compound file (old Office, MSI)", False),
    (b"Rar!\x1a\x07", "application/vnd.rar", "RAR archive", False),
    (b"7z\xbc\xaf\x27\x1c", "application/x-7z-compressed", "7-Zip archive", False),
    (b"\x1f\x8b", "application/gzip", "gzip archive", False),
)  # fmt: skip

# Markup that a browser would render with script: refused as active content.
_ACTIVE_MARKUP: tuple[bytes, ...] = (
    b"<!doctype html",
    b"<html",
    b"<head",
    b"<body",
    b"<script",
    b"<iframe",
    b"<svg",
    b"<?php",
    b"<%",
)


def detect(head: bytes) -> DetectedType:
    """Detect the real type of a file from its first bytes (at most ``HEAD_SIZE`` are looked at)."""
    head = bytes(head[:HEAD_SIZE])
    if not head:
        return DetectedType(None, "application/x-empty", "empty")

    # Accepted kinds first: their signatures are unambiguous and do not overlap each other.
    if head.startswith(b"%PDF-"):
        # Strict offset 0: the central database and PDF/A validators expect the header first.
        return DetectedType(FileKind.PDF, "application/pdf", "PDF document")
    if head.startswith(b"\xff\xd8\xff"):
        return DetectedType(FileKind.JPEG, "image/jpeg", "JPEG image")
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return DetectedType(FileKind.PNG, "image/png", "PNG image")
    mp4 = _detect_ftyp(head)
    if mp4 is not None:
        return mp4
    if _is_mp3(head):
        return DetectedType(FileKind.MP3, "audio/mpeg", "MP3 audio")

    for prefix, mime, label, executable in _REFUSED_PREFIXES:
        if head.startswith(prefix):
            return DetectedType(None, mime, label, executable)
    if _is_active_markup(head):
        return DetectedType(None, "text/html", "HTML/SVG or server-side script markup", True)
    if head.startswith((b"GIF87a", b"GIF89a")):
        return DetectedType(None, "image/gif", "GIF image")
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return DetectedType(None, "image/webp", "WebP image")
    return UNKNOWN


def _detect_ftyp(head: bytes) -> DetectedType | None:
    if len(head) < 12 or head[4:8] != b"ftyp":
        return None
    major = head[8:12]
    if major in _IMAGE_BRANDS:
        return DetectedType(None, "image/heif", f"HEIF/AVIF image (brand {_brand(major)})")
    if major == b"qt  ":
        return DetectedType(None, "video/quicktime", "QuickTime movie (MOV)")
    if major in MP4_BRANDS:
        return DetectedType(FileKind.MP4, "video/mp4", f"MP4 (brand {_brand(major)})")
    # Unknown major brand: accept if a known brand is among the compatible brands of the box.
    box_size = int.from_bytes(head[0:4], "big")
    end = min(box_size, len(head)) if box_size >= 16 else len(head)
    compatible = {head[i : i + 4] for i in range(16, end - 3, 4)}
    if compatible & _IMAGE_BRANDS:
        return DetectedType(None, "image/heif", f"HEIF/AVIF image (brand {_brand(major)})")
    if compatible & MP4_BRANDS:
        return DetectedType(FileKind.MP4, "video/mp4", f"MP4 (brand {_brand(major)}, compatible)")
    return DetectedType(None, "application/octet-stream", f"ISO media, unknown brand {_brand(major)}")


def _brand(raw: bytes) -> str:
    return raw.decode("latin-1").strip()


def _is_mp3(head: bytes) -> bool:
    if head.startswith(b"ID3") and len(head) >= 10:
        # ID3v2: version 2..4, then a 4-byte syncsafe size (high bit of each byte clear).
        return 2 <= head[3] <= 4 and head[4] != 0xFF and all(b < 0x80 for b in head[6:10])
    return _is_mpeg_audio_frame(head)


def _is_mpeg_audio_frame(head: bytes) -> bool:
    """MPEG audio frame header: 11-bit sync, valid version, layer III, valid bitrate and rate."""
    if len(head) < 4 or head[0] != 0xFF or head[1] & 0xE0 != 0xE0:
        return False
    version = (head[1] >> 3) & 0b11  # 01 is reserved
    layer = (head[1] >> 1) & 0b11  # 01 = layer III; 00 is reserved (and ADTS AAC)
    bitrate = head[2] >> 4  # 1111 is invalid
    sample_rate = (head[2] >> 2) & 0b11  # 11 is reserved
    return version != 0b01 and layer == 0b01 and bitrate != 0b1111 and sample_rate != 0b11


def _is_active_markup(head: bytes) -> bool:
    text = head[:1024]
    for bom in (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff"):
        if text.startswith(bom):
            text = text[len(bom) :]
            break
    # UTF-16 markup: drop the NUL bytes so "<\0h\0t\0m\0l\0" reads as "<html".
    if b"\x00" in text[:8]:
        text = text.replace(b"\x00", b"")
    text = text.lstrip().lower()
    if text.startswith(_ACTIVE_MARKUP):
        return True
    # An XML prolog or comment followed soon by HTML/SVG.
    if text.startswith((b"<?xml", b"<!--", b"<!doctype")):
        return any(marker in text for marker in (b"<svg", b"<html", b"<script"))
    return False
