"""Small, valid files of the five kinds the central database accepts (R-FILE-1), for tests and benches.

Each builder returns a file that parses as its kind (pypdf opens the PDF and finds its page, Pillow
decodes the images, the MP3 is a chain of MPEG frames, the MP4 a tiling of ISO boxes with a movie
header and a track), padded with random bytes to the size asked for, so every call is a new file
with its own SHA-256. No third-party library is needed to build them.
"""

from __future__ import annotations

import os
import struct
import zlib
from collections.abc import Callable

__all__ = ["sample_jpeg", "sample_mp3", "sample_mp4", "sample_pdf", "sample_png"]


def _fit(build: Callable[[int], bytes], size: int) -> bytes:
    padding = 0
    data = build(padding)
    for _ in range(8):  # the padding's own digits (lengths, offsets) can shift the total a little
        if len(data) == size or (len(data) > size and padding == 0):
            return data
        padding = max(0, padding + size - len(data))
        data = build(padding)
    return data


def sample_pdf(size: int = 2048) -> bytes:
    """A one-page PDF of exactly ``size`` bytes (unless ``size`` is below its minimum, ~600 bytes)."""

    def build(padding: int) -> bytes:
        # A content stream of comment lines (valid in content streams) carries the random padding.
        noise = os.urandom(padding // 2 + 1).hex()[:padding]
        content = b"BT /F1 12 Tf 72 720 Td (sample) Tj ET\n%" + noise.encode() + b"\n"
        objects = [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R"
            b" /Resources << /Font << /F1 5 0 R >> >> >>",
            b"<< /Length %d >>\nstream\n" % len(content) + content + b"endstream",
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        ]
        out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
        offsets = []
        for number, body in enumerate(objects, start=1):
            offsets.append(len(out))
            out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
        xref = len(out)
        out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
        out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
        out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
        return bytes(out)

    return _fit(build, size)


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def sample_png(size: int = 2048, *, width: int = 16, height: int = 16) -> bytes:
    """An RGB PNG; a private ancillary chunk (``raNd``) pads it to ``size`` bytes."""
    raw = b"".join(b"\x00" + os.urandom(width * 3) for _ in range(height))
    head = b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
    body = _png_chunk(b"IDAT", zlib.compress(raw)) + _png_chunk(b"IEND", b"")

    def build(padding: int) -> bytes:
        pad = _png_chunk(b"raNd", os.urandom(max(0, padding - 12))) if padding >= 12 else b""
        return head + pad + body

    return _fit(build, size)


# An 8x8 baseline JPEG written by Pillow (quality 50).
_JPEG_8X8 = bytes.fromhex(
    "ffd8ffe000104a46494600010100000100010000ffdb004300100b0c0e0c0a100e0d0e1211101318281a181616183123"
    "251d283a333d3c3933383740485c4e404457453738506d51575f626768673e4d71797064785c656763ffdb0043011112"
    "121815182f1a1a2f63423842636363636363636363636363636363636363636363636363636363636363636363636363"
    "6363636363636363636363636363ffc00011080008000803012200021101031101ffc4001f0000010501010101010100"
    "000000000000000102030405060708090a0bffc400b5100002010303020403050504040000017d010203000411051221"
    "31410613516107227114328191a1082342b1c11552d1f02433627282090a161718191a25262728292a3435363738393a"
    "434445464748494a535455565758595a636465666768696a737475767778797a838485868788898a9293949596979899"
    "9aa2a3a4a5a6a7a8a9aab2b3b4b5b6b7b8b9bac2c3c4c5c6c7c8c9cad2d3d4d5d6d7d8d9dae1e2e3e4e5e6e7e8e9eaf1"
    "f2f3f4f5f6f7f8f9faffc4001f0100030101010101010101010000000000000102030405060708090a0bffc400b51100"
    "020102040403040705040400010277000102031104052131061241510761711322328108144291a1b1c109233352f015"
    "6272d10a162434e125f11718191a262728292a35363738393a434445464748494a535455565758595a63646566676869"
    "6a737475767778797a82838485868788898a92939495969798999aa2a3a4a5a6a7a8a9aab2b3b4b5b6b7b8b9bac2c3c4"
    "c5c6c7c8c9cad2d3d4d5d6d7d8d9dae2e3e4e5e6e7e8e9eaf2f3f4f5f6f7f8f9faffda000c03010002110311003f00c7"
    "a28a2b84fa83ffd9"
)


def sample_jpeg(size: int = 2048) -> bytes:
    """An 8x8 JPEG; comment segments (COM) of random bytes pad it to ``size`` bytes."""

    def build(padding: int) -> bytes:
        segments = bytearray()
        while padding >= 4:
            chunk = min(padding - 4, 65533)
            segments += b"\xff\xfe" + struct.pack(">H", chunk + 2) + os.urandom(chunk)
            padding -= chunk + 4
        return _JPEG_8X8[:2] + bytes(segments) + _JPEG_8X8[2:]

    return _fit(build, size)


# MPEG-1 layer III, 128 kbit/s, 44.1 kHz, no CRC, no padding: frames of 417 bytes.
_MP3_HEADER = b"\xff\xfb\x90\x00"
MP3_FRAME = 417


def sample_mp3(size: int = 8 * MP3_FRAME, *, id3: bool = True) -> bytes:
    """An ID3v2 tag (optional) and MPEG audio frames with random data; the last frame may be cut."""
    tag = b""
    if id3:
        frame = b"TIT2" + struct.pack(">I", 7) + b"\x00\x00" + b"\x00sample"
        tag = b"ID3\x04\x00\x00" + bytes([0, 0, 0, len(frame)]) + frame
    out = bytearray(tag)
    while len(out) < size:
        out += _MP3_HEADER + os.urandom(MP3_FRAME - 4)
    return bytes(out[: max(size, len(tag) + 2 * MP3_FRAME)])


def _box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", 8 + len(payload)) + kind + payload


def sample_mp4(size: int = 4096) -> bytes:
    """``ftyp``, ``moov`` (``mvhd`` + one ``trak`` with ``tkhd``) and an ``mdat`` of random bytes."""
    ftyp = _box(b"ftyp", b"isom" + struct.pack(">I", 512) + b"isomiso2mp41")
    matrix = struct.pack(">9I", 0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x40000000)
    mvhd = _box(
        b"mvhd",
        b"\x00\x00\x00\x00" + struct.pack(">IIII", 0, 0, 1000, 1000) + struct.pack(">IH", 0x10000, 0x100)
        + b"\x00" * 10 + matrix + b"\x00" * 24 + struct.pack(">I", 2),
    )  # fmt: skip
    tkhd = _box(
        b"tkhd",
        b"\x00\x00\x00\x03" + struct.pack(">IIIII", 0, 0, 1, 0, 1000) + b"\x00" * 8
        + struct.pack(">HHHH", 0, 0, 0, 0) + matrix + struct.pack(">II", 0, 0),
    )  # fmt: skip
    moov = _box(b"moov", mvhd + _box(b"trak", tkhd))

    def build(padding: int) -> bytes:
        return ftyp + moov + _box(b"mdat", os.urandom(padding))

    return _fit(build, size)
