"""Real file type detection from magic bytes (R-FILE-1)."""

import pytest

from portfolio_artifacts.domain.filetypes import HEAD_SIZE, FileKind, detect

PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"
MP3_ID3 = b"ID3\x04\x00\x00\x00\x00\x0f\x76" + b"\x00" * 20
MP3_FRAME = b"\xff\xfb\x90\x64" + b"\x00" * 20  # MPEG-1 layer III, 128 kbit/s, 44.1 kHz
MP4_ISOM = b"\x00\x00\x00\x20ftypisom\x00\x00\x02\x00isomiso2avc1mp41"
MP4_MP42 = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom"
M4A = b"\x00\x00\x00\x1cftypM4A \x00\x00\x00\x00M4A mp42isom"


@pytest.mark.parametrize(
    ("head", "kind", "mime"),
    [
        (PDF, FileKind.PDF, "application/pdf"),
        (JPEG, FileKind.JPEG, "image/jpeg"),
        (PNG, FileKind.PNG, "image/png"),
        (MP3_ID3, FileKind.MP3, "audio/mpeg"),
        (MP3_FRAME, FileKind.MP3, "audio/mpeg"),
        (b"\xff\xf3\x64\xc4" + b"\x00" * 8, FileKind.MP3, "audio/mpeg"),  # MPEG-2 layer III
        (MP4_ISOM, FileKind.MP4, "video/mp4"),
        (MP4_MP42, FileKind.MP4, "video/mp4"),
        (M4A, FileKind.MP4, "video/mp4"),
        (b"\x00\x00\x00\x1cftyp3gp5\x00\x00\x00\x00" + b"3gp5isom", FileKind.MP4, "video/mp4"),
    ],
)
def test_each_accepted_kind_is_recognised_by_its_magic_bytes(head: bytes, kind: FileKind, mime: str) -> None:
    detected = detect(head)
    assert detected.kind is kind
    assert detected.mime == mime
    assert detected.accepted
    assert not detected.executable


def test_mp4_with_unknown_major_brand_is_accepted_through_a_compatible_brand() -> None:
    head = b"\x00\x00\x00\x1cftypXYZ1\x00\x00\x00\x00XYZ1mp41isom"
    assert detect(head).kind is FileKind.MP4


@pytest.mark.parametrize(
    "head",
    [
        b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic",  # HEIC photo, same box format
        b"\x00\x00\x00\x1cftypavif\x00\x00\x00\x00avifmif1miaf",
        b"\x00\x00\x00\x14ftypqt  \x00\x00\x02\x00qt  ",  # QuickTime MOV
        b"\x00\x00\x00\x14ftypabcd\x00\x00\x00\x00abcd",  # unknown brand only
    ],
)
def test_iso_media_that_is_not_mp4_is_not_accepted(head: bytes) -> None:
    assert detect(head).kind is None


@pytest.mark.parametrize(
    "head",
    [
        b"\xff\xfd\x90\x64",  # layer II
        b"\xff\xfe\x90\x64",  # layer I
        b"\xff\xf9\x50\x80",  # layer bits 00: ADTS AAC, not MP3
        b"\xff\xeb\x90\x64",  # version bits 01: reserved
        b"\xff\xfb\xf0\x64",  # bitrate index 1111: invalid
        b"\xff\xfb\x9c\x64",  # sample rate index 11: reserved
        b"ID3\x09\x00\x00\x00\x00\x00\x00",  # ID3 version 9 does not exist
        b"ID3\x03\x00\x00\x80\x00\x00\x00",  # size byte not syncsafe
    ],
)
def test_invalid_mpeg_frames_are_not_mp3(head: bytes) -> None:
    assert detect(head).kind is None


@pytest.mark.parametrize(
    ("head", "label_part"),
    [
        (b"MZ\x90\x00\x03\x00\x00\x00\x04\x00", "Windows executable"),
        (b"\x7fELF\x02\x01\x01\x00", "ELF"),
        (b"\xcf\xfa\xed\xfe\x07\x00\x00\x01", "Mach-O"),
        (b"#!/bin/sh\nrm -rf /\n", "script"),
        (b"#!/usr/bin/env python3\n", "script"),
        (b"<!DOCTYPE html><html><body>", "HTML"),
        (b"\xef\xbb\xbf  <html><script>alert(1)</script>", "HTML"),
        (b"<?xml version='1.0'?>\n<svg xmlns='http://www.w3.org/2000/svg'><script/>", "HTML/SVG"),
        (b"<\x00h\x00t\x00m\x00l\x00>\x00", "HTML"),  # UTF-16LE without BOM
        (b"\x00asm\x01\x00\x00\x00", "WebAssembly"),
    ],
)
def test_executables_scripts_and_markup_are_flagged_executable(head: bytes, label_part: str) -> None:
    detected = detect(head)
    assert detected.kind is None
    assert detected.executable
    assert label_part in detected.label


@pytest.mark.parametrize(
    ("head", "label_part"),
    [
        (b"PK\x03\x04\x14\x00\x06\x00", "ZIP"),  # .docx / .xlsx / .pptx
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1\x00\x00", "OLE"),  # .doc / .xls
        (b"Rar!\x1a\x07\x01\x00", "RAR"),
        (b"GIF89a\x01\x00\x01\x00", "GIF"),
    ],
)
def test_archives_office_and_other_images_are_refused_but_not_as_executables(head: bytes, label_part: str) -> None:
    detected = detect(head)
    assert detected.kind is None
    assert not detected.executable
    assert label_part in detected.label


def test_empty_and_unknown_content() -> None:
    assert detect(b"").kind is None
    assert detect(b"").label == "empty"
    assert detect(b"just some text").kind is None
    assert detect(b"just some text").mime == "application/octet-stream"


def test_pdf_header_must_be_at_offset_zero() -> None:
    assert detect(b"junk%PDF-1.4").kind is None


def test_only_the_head_is_looked_at() -> None:
    head = PDF + b"\x00" * (HEAD_SIZE * 2)
    assert detect(head).kind is FileKind.PDF
