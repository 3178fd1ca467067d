"""Does a received file parse as the kind its magic bytes promise? (R-FILE-1). Runs in a child process.

Magic bytes prove little: ``%PDF-`` followed by an ELF body was accepted. So after the size, SHA-256
and magic checks, the file is parsed as its kind: a PDF must open with pypdf and have pages, a
JPEG/PNG must decode completely with Pillow (decompression-bomb limit as an error), an MP3 must be
a chain of MPEG audio frames, an MP4 a tiling of ISO boxes with a movie header and a track.

Parsers of untrusted input can loop or allocate without bound, so this module is the entry point of
a worker process (``python -m portfolio_artifacts.adapters.content_probe``) that sets its own
address-space limit before it imports a parser, then answers one JSON line
``{"ok": bool, "detail": str}`` per request line ``{"kind": …, "path": …}``; the parent
(``content_check``) kills it at a request's wall-clock deadline and starts a new one.

A request may name ``"url"`` (a presigned GET of the stored object) instead of a path, with
``"max_bytes"``: the worker then fetches the object itself into its memory (at most ``max_bytes``,
within its address-space bound) and, with ``"sha256": true``, answers its ``sha256`` and ``size`` too.
So the bytes of an upload go from the store to the bounded parser and never through the service's
own process, which only asks for a HEAD and the first bytes (``service_layer.files``).
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import struct
import sys
import warnings
from pathlib import Path
from typing import BinaryIO

KINDS = ("pdf", "jpeg", "png", "mp3", "mp4")


class Refused(Exception):
    """The file does not parse as its kind; the message says why (shown to the uploader)."""


# -- PDF ------------------------------------------------------------------------------------------
def probe_pdf(data: bytes) -> str:
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted and not reader.decrypt(""):
            raise Refused("the PDF is password-protected, so its pages cannot be checked")
        pages = len(reader.pages)
        for page in reader.pages:  # every page object must resolve, not only the count
            _ = page.mediabox
    except Refused:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError, RecursionError) as exc:
        raise Refused(f"the PDF structure cannot be read ({type(exc).__name__})") from None
    if pages < 1:
        raise Refused("the PDF has no pages")
    return f"PDF, {pages} page(s)"


# -- JPEG and PNG ---------------------------------------------------------------------------------
def probe_image(data: bytes, kind: str, max_pixels: int) -> str:
    from PIL import Image

    fmt = {"jpeg": "JPEG", "png": "PNG"}[kind]
    Image.MAX_IMAGE_PIXELS = max_pixels
    warnings.simplefilter("error", Image.DecompressionBombWarning)  # refuse, do not merely warn
    try:
        with Image.open(io.BytesIO(data), formats=[fmt]) as image:
            image.verify()  # PNG: every chunk CRC up to IEND
        with Image.open(io.BytesIO(data), formats=[fmt]) as image:
            image.load()  # full decode: a truncated file fails here
            width, height = image.size
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise Refused(f"the image has more than {max_pixels} pixels (decompression bomb limit)") from None
    except (OSError, SyntaxError, ValueError, struct.error, EOFError) as exc:
        raise Refused(f"the {fmt} image cannot be decoded ({exc})") from None
    if kind == "png":
        _png_ends_at_iend(data)
    return f"{fmt} {width}x{height}"


def _png_ends_at_iend(data: bytes) -> None:
    # Decoders ignore bytes after IEND, which is how PNG/ZIP or PNG/executable polyglots ride along.
    with io.BytesIO(data) as fh:
        fh.seek(8)
        while header := fh.read(8):
            if len(header) < 8:
                raise Refused("the PNG ends inside a chunk header")
            length, ctype = struct.unpack(">I4s", header)
            fh.seek(length + 4, os.SEEK_CUR)
            if ctype == b"IEND":
                if fh.read(1):
                    raise Refused("the PNG has data after its IEND chunk")
                return
    raise Refused("the PNG has no IEND chunk")


# -- MP3 ------------------------------------------------------------------------------------------
_BITRATES_V1_L3 = (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320)
_BITRATES_V2_L3 = (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160)
_SAMPLE_RATES = {0b11: (44100, 48000, 32000), 0b10: (22050, 24000, 16000), 0b00: (11025, 12000, 8000)}
_MP3_TRAILERS = (b"TAG", b"APETAGEX", b"LYRICSBEGIN", b"ID3")
MIN_MP3_FRAMES = 2


def mpeg_frame_length(header: bytes) -> int | None:
    """Length of the MPEG-1/2/2.5 layer III frame this 4-byte header starts, or None if invalid."""
    if len(header) < 4 or header[0] != 0xFF or header[1] & 0xE0 != 0xE0:
        return None
    version = (header[1] >> 3) & 0b11
    layer = (header[1] >> 1) & 0b11
    bitrate_index = header[2] >> 4
    rate_index = (header[2] >> 2) & 0b11
    if version == 0b01 or layer != 0b01 or bitrate_index in (0, 15) or rate_index == 0b11:
        return None  # reserved values; "free" bitrate (0) has no computable length
    padding = (header[2] >> 1) & 1
    rate = _SAMPLE_RATES[version][rate_index]
    if version == 0b11:
        return 144 * _BITRATES_V1_L3[bitrate_index] * 1000 // rate + padding
    return 72 * _BITRATES_V2_L3[bitrate_index] * 1000 // rate + padding


def probe_mp3(data: bytes) -> str:
    pos = 0
    while data.startswith(b"ID3", pos) and len(data) >= pos + 10:  # ID3v2 tags (some files repeat them)
        size = 0
        for byte in data[pos + 6 : pos + 10]:
            if byte & 0x80:
                raise Refused("the ID3 tag size is not syncsafe")
            size = size << 7 | byte
        footer = 10 if data[pos + 5] & 0x10 else 0
        pos += 10 + size + footer
    while pos < len(data) and data[pos] == 0:  # padding between the tag and the first frame
        pos += 1
    frames = 0
    while pos < len(data):
        length = mpeg_frame_length(data[pos : pos + 4])
        if length is None:
            rest = data[pos:]
            if frames >= MIN_MP3_FRAMES and (rest.startswith(_MP3_TRAILERS) or not rest.strip(b"\x00")):
                break  # ID3v1/APE/Lyrics tags or zero padding after the audio
            raise Refused(f"no MPEG audio frame at byte {pos} (after {frames} frames)")
        if pos + length > len(data):
            if frames >= MIN_MP3_FRAMES:
                break  # a cut last frame: players skip it
            raise Refused("the MP3 ends inside its first frames")
        frames += 1
        pos += length
    if frames < MIN_MP3_FRAMES:
        raise Refused(f"the MP3 has {frames} complete MPEG audio frame(s); at least {MIN_MP3_FRAMES} are needed")
    return f"MP3, {frames} frames"


# -- MP4 ------------------------------------------------------------------------------------------
def _boxes(fh: BinaryIO, start: int, end: int, where: str) -> list[tuple[bytes, int, int]]:
    """(type, payload start, box end) of the boxes that must tile ``[start, end)`` exactly."""
    boxes = []
    pos = start
    while pos < end:
        if end - pos < 8:
            raise Refused(f"{end - pos} stray byte(s) at {pos} in {where}")
        fh.seek(pos)
        size, btype = struct.unpack(">I4s", fh.read(8))
        header = 8
        if size == 1:
            if end - pos < 16:
                raise Refused(f"a truncated 64-bit box header at {pos} in {where}")
            (size,) = struct.unpack(">Q", fh.read(8))
            header = 16
        elif size == 0:
            size = end - pos  # "to the end of the file / parent"
        if not all(0x20 <= b <= 0x7E for b in btype):
            raise Refused(f"a box with an invalid type at byte {pos} in {where}")
        if size < header or pos + size > end:
            raise Refused(f"box {btype.decode('latin-1')!r} at byte {pos} overruns {where}")
        boxes.append((btype, pos + header, pos + size))
        pos += size
    return boxes


def probe_mp4(data: bytes) -> str:
    size = len(data)
    with io.BytesIO(data) as fh:
        top = _boxes(fh, 0, size, "the file")
        if not top or top[0][0] != b"ftyp":
            raise Refused("the MP4 does not start with an ftyp box")
        movies = [b for b in top if b[0] == b"moov"]
        if len(movies) != 1:
            raise Refused(f"the MP4 has {len(movies)} moov boxes; exactly one is needed")
        _, start, end = movies[0]
        children = [b[0] for b in _boxes(fh, start, end, "moov")]
    if b"mvhd" not in children:
        raise Refused("the MP4 movie has no header (mvhd)")
    tracks = children.count(b"trak")
    if tracks == 0:
        raise Refused("the MP4 movie has no track")
    return f"MP4, {len(top)} boxes, {tracks} track(s)"


def probe(kind: str, source: Path | bytes, *, max_pixels: int) -> str:
    """Parse ``source`` (a file, or its bytes) as ``kind``; return a short description or raise
    :class:`Refused`. A file is read whole: at most the media limit (10 MB), in this bounded child."""
    data = source if isinstance(source, bytes) else source.read_bytes()
    if kind == "pdf":
        return probe_pdf(data)
    if kind in ("jpeg", "png"):
        return probe_image(data, kind, max_pixels)
    if kind == "mp3":
        return probe_mp3(data)
    if kind == "mp4":
        return probe_mp4(data)
    raise Refused(f"no parser for {kind!r}")


def _limit_self(max_memory: int) -> None:
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (max_memory, max_memory))
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))  # a parser has nothing to write


class Unreachable(Exception):
    """The object could not be fetched: the store decides nothing, the upload stays pending."""


def fetch(url: str, max_bytes: int, timeout: float = 10.0) -> bytes:
    """The object behind a presigned GET, at most ``max_bytes`` (more is a refusal)."""
    import urllib.error
    import urllib.request

    if not url.startswith(("http://", "https://")):
        raise Unreachable("not an http(s) URL")
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:  # noqa: S310 - scheme checked above
            data = resp.read(max_bytes + 1)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise Unreachable(f"{type(exc).__name__}: {exc}") from None
    if len(data) > max_bytes:
        raise Refused(f"the stored object is larger than {max_bytes} bytes")
    return data


def answer(kind: str, source: Path | bytes, max_pixels: int) -> dict[str, object]:
    """One request: ``ok`` and ``detail``; ``fresh`` asks for a retry in a new process (memory)."""
    try:
        return {"ok": True, "detail": probe(kind, source, max_pixels=max_pixels)}
    except Refused as refusal:
        return {"ok": False, "detail": str(refusal)}
    except MemoryError:
        # Possibly the heap left by earlier files: the parent retries once in a fresh worker.
        return {"ok": False, "detail": "parsing needed more memory than the bound", "fresh": True}
    except Exception as exc:  # a parser bug is a refusal of this file, never a dead worker
        return {"ok": False, "detail": f"the file could not be parsed ({type(exc).__name__})"}


def serve(max_pixels: int, idle_seconds: float) -> int:
    """Answer ``{"kind", "path"}`` lines on stdin with one JSON line each, until EOF or idle."""
    import select

    # Import the parsers once, under the limits, so a request only parses.
    import pypdf  # noqa: F401

    stdin = sys.stdin.buffer
    while True:
        ready, _, _ = select.select([stdin], [], [], idle_seconds)
        if not ready:
            return 0  # idle: the parent starts a new worker when it needs one
        line = stdin.readline()
        if not line:
            return 0
        try:
            request = json.loads(line)
            result = handle(request, max_pixels)
        except (ValueError, KeyError, TypeError):
            result = {"ok": False, "detail": "bad request to the content probe"}
        sys.stdout.write(json.dumps(result, ensure_ascii=False) + "\n")
        sys.stdout.flush()
        if result.get("fresh"):
            return 0  # leave with the worn heap


def handle(request: dict[str, object], max_pixels: int) -> dict[str, object]:
    """A ``path`` request parses the file; a ``url`` request fetches, optionally hashes, then parses."""
    kind = str(request["kind"])
    if "url" not in request:
        return answer(kind, Path(str(request["path"])), max_pixels)
    try:
        data = fetch(str(request["url"]), int(str(request["max_bytes"])))
    except Unreachable as exc:
        return {"ok": False, "unreachable": True, "detail": f"the object could not be fetched ({exc})"}
    except Refused as refusal:
        return {"ok": False, "detail": str(refusal)}
    except MemoryError:
        return {"ok": False, "detail": "parsing needed more memory than the bound", "fresh": True}
    result = answer(kind, data, max_pixels)
    if request.get("sha256"):
        result |= {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--max-memory", type=int, required=True, help="address-space limit in bytes")
    parser.add_argument("--max-pixels", type=int, default=40_000_000)
    parser.add_argument("--idle-seconds", type=float, default=60.0)
    args = parser.parse_args(argv)
    _limit_self(args.max_memory)  # before any parser is imported
    sys.setrecursionlimit(2000)
    return serve(args.max_pixels, args.idle_seconds)


if __name__ == "__main__":
    sys.exit(main())
