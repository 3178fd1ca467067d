"""Files must parse as their type within a time and memory bound (R-FILE-1): the probe and its runner."""

from __future__ import annotations

import asyncio
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from portfolio_artifacts.adapters.content_check import ContentChecker, ContentLimits
from portfolio_artifacts.adapters.content_probe import MIN_MP3_FRAMES, Refused, mpeg_frame_length, probe
from portfolio_artifacts.config import Settings
from portfolio_shared.testing.sample_files import (
    MP3_FRAME,
    sample_jpeg,
    sample_mp3,
    sample_mp4,
    sample_pdf,
    sample_png,
)

ELF = b"\x7fELF\x02\x01\x01\x00" + bytes(8) + b"\x02\x00\x3e\x00" + bytes(range(256)) * 16
BUILDERS: dict[str, Callable[[int], bytes]] = {
    "pdf": sample_pdf,
    "png": sample_png,
    "jpeg": sample_jpeg,
    "mp3": sample_mp3,
    "mp4": sample_mp4,
}


def _probe(tmp_path: Path, kind: str, data: bytes, max_pixels: int = 40_000_000) -> str:
    path = tmp_path / f"upload.{kind}"
    path.write_bytes(data)
    return probe(kind, path, max_pixels=max_pixels)


def _refusal(tmp_path: Path, kind: str, data: bytes, max_pixels: int = 40_000_000) -> str:
    with pytest.raises(Refused) as info:
        _probe(tmp_path, kind, data, max_pixels)
    return str(info.value)


@pytest.mark.parametrize("kind", list(BUILDERS))
@pytest.mark.parametrize("size", [2048, 300_000])
def test_valid_samples_of_every_kind_parse(tmp_path: Path, kind: str, size: int) -> None:
    data = BUILDERS[kind](size)
    assert len(data) == size
    assert _probe(tmp_path, kind, data)


def test_pdf_header_followed_by_an_executable_is_refused(tmp_path: Path) -> None:
    assert "PDF structure" in _refusal(tmp_path, "pdf", b"%PDF-1.7\n" + ELF)
    assert "PDF structure" in _refusal(tmp_path, "pdf", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n" + ELF + b"\n%%EOF\n")
    # What the old test helper uploaded: a header, random bytes and an EOF marker.
    assert "PDF structure" in _refusal(tmp_path, "pdf", b"%PDF-1.7\n" + os.urandom(3000) + b"\n%%EOF")


def test_truncated_pdf_is_refused(tmp_path: Path) -> None:
    assert "PDF" in _refusal(tmp_path, "pdf", sample_pdf(5000)[:2000])


def test_pdf_without_pages_is_refused(tmp_path: Path) -> None:
    empty = sample_pdf(1000).replace(b"/Kids [3 0 R] /Count 1", b"/Kids [] /Count 0     ")
    assert _refusal(tmp_path, "pdf", empty) == "the PDF has no pages"


@pytest.mark.parametrize("cut", [100, 1000, 2000, 4000 - 12])
def test_truncated_png_is_refused(tmp_path: Path, cut: int) -> None:
    assert "PNG" in _refusal(tmp_path, "png", sample_png(4000)[:cut])


def test_png_with_a_bad_crc_or_data_after_iend_is_refused(tmp_path: Path) -> None:
    data = bytearray(sample_png(4000))
    data[50] ^= 0xFF  # inside the padding chunk's data: only the CRC notices
    assert "cannot be decoded" in _refusal(tmp_path, "png", bytes(data))
    assert "after its IEND" in _refusal(tmp_path, "png", sample_png(4000) + ELF)


def test_truncated_jpeg_and_jpeg_header_with_executable_are_refused(tmp_path: Path) -> None:
    assert "cannot be decoded" in _refusal(tmp_path, "jpeg", sample_jpeg(3000)[:-200])
    assert "cannot be decoded" in _refusal(tmp_path, "jpeg", b"\xff\xd8\xff\xe0" + ELF)


def test_decompression_bomb_limit_refuses_instead_of_warning(tmp_path: Path) -> None:
    image = sample_png(3000, width=64, height=64)  # 4,096 pixels
    assert _probe(tmp_path, "png", image, max_pixels=4096)  # at the limit
    assert "decompression bomb" in _refusal(tmp_path, "png", image, max_pixels=4095)  # one past it
    assert "decompression bomb" in _refusal(tmp_path, "png", image, max_pixels=1000)  # past twice the limit


def test_mpeg_frame_lengths() -> None:
    assert mpeg_frame_length(b"\xff\xfb\x90\x00") == MP3_FRAME  # MPEG-1 L3 128 kbit/s 44.1 kHz
    assert mpeg_frame_length(b"\xff\xfb\x92\x00") == MP3_FRAME + 1  # padding bit
    assert mpeg_frame_length(b"\xff\xf3\x90\x00") == 72 * 80_000 // 22050  # MPEG-2 L3 80 kbit/s
    assert mpeg_frame_length(b"\xff\xfd\x90\x00") is None  # layer II
    assert mpeg_frame_length(b"\xff\xfb\xf0\x00") is None  # bitrate index 15
    assert mpeg_frame_length(b"\xff\xfb\x0c\x00") is None  # free bitrate, reserved rate


def test_mp3_trailers_and_a_cut_last_frame_are_accepted(tmp_path: Path) -> None:
    frames = sample_mp3(5 * MP3_FRAME, id3=False)
    assert _probe(tmp_path, "mp3", frames + b"TAG" + bytes(125))
    assert _probe(tmp_path, "mp3", frames + bytes(300))
    assert _probe(tmp_path, "mp3", frames[:-100])


def test_mp3_that_is_not_a_chain_of_frames_is_refused(tmp_path: Path) -> None:
    assert "no MPEG audio frame" in _refusal(tmp_path, "mp3", b"ID3\x04\x00\x00\x00\x00\x00\x00" + ELF)
    one = sample_mp3(MP3_FRAME, id3=False)[:MP3_FRAME]
    assert "no MPEG audio frame at byte 417" in _refusal(tmp_path, "mp3", one + ELF)
    assert f"at least {MIN_MP3_FRAMES}" in _refusal(tmp_path, "mp3", one)


def test_mp4_boxes_must_tile_the_file_with_a_movie_and_a_track(tmp_path: Path) -> None:
    good = sample_mp4(4000)
    assert "invalid type" in _refusal(tmp_path, "mp4", good[:40] + ELF)
    assert "overruns" in _refusal(tmp_path, "mp4", good[:-10])
    ftyp = good[: int.from_bytes(good[:4], "big")]
    mdat = b"\x00\x00\x00\x10mdat" + bytes(8)
    assert "0 moov" in _refusal(tmp_path, "mp4", ftyp + mdat)
    assert "ftyp" in _refusal(tmp_path, "mp4", mdat + ftyp)


# -- the runner: worker processes within the bounds --------------------------------------------
async def test_checker_runs_the_probe_in_a_reused_worker(tmp_path: Path) -> None:
    checker = ContentChecker(ContentLimits(timeout_seconds=30))
    try:
        path = tmp_path / "a.pdf"
        path.write_bytes(sample_pdf(5000))
        assert (await checker.check("pdf", path)).ok
        path.write_bytes(b"%PDF-1.7\n" + ELF)
        result = await checker.check("pdf", path)
        assert not result.ok and "PDF structure" in result.detail
        path.write_bytes(sample_png(3000))
        assert (await checker.check("png", path)).ok
        assert len(checker._idle) == 1 and checker._idle[0].served == 3  # one process for all three
    finally:
        await checker.close()


async def test_a_worker_is_recycled_after_max_uses(tmp_path: Path) -> None:
    checker = ContentChecker(ContentLimits(timeout_seconds=30, max_uses=2))
    try:
        path = tmp_path / "a.mp3"
        path.write_bytes(sample_mp3())
        pids = []
        for _ in range(3):
            assert (await checker.check("mp3", path)).ok
            pids.append(checker._idle[0].proc.pid if checker._idle else None)
        # Kept after one use, retired after its second, a new process for the third.
        assert pids[0] is not None and pids[1] is None and pids[2] not in (None, pids[0])
    finally:
        await checker.close()


async def test_a_parser_past_the_time_bound_is_killed_and_refuses(tmp_path: Path) -> None:
    # A stand-in for a parser caught in a loop: it would answer "ok" after 30 s.
    hang = [sys.executable, "-c", 'import time; time.sleep(30); print(\'{"ok": true, "detail": "late"}\')']
    checker = ContentChecker(ContentLimits(timeout_seconds=0.5), command=hang)
    try:
        started = time.monotonic()
        result = await checker.check("pdf", tmp_path / "x.pdf")
        assert not result.ok and result.detail == "the file did not parse within 0.5 s"
        assert time.monotonic() - started < 5
        assert checker._idle == []  # the hung worker was killed, not kept
    finally:
        await checker.close()


async def test_a_parser_past_the_memory_bound_refuses(tmp_path: Path) -> None:
    # The parent's prlimit bounds even a replaced command; the sleep lets it land first.
    greedy = [
        sys.executable,
        "-c",
        'import time; time.sleep(0.3); b = bytearray(600 * 2**20); print(\'{"ok": true, "detail": "fat"}\')',
    ]
    checker = ContentChecker(ContentLimits(timeout_seconds=20, max_memory_bytes=256 * 2**20), command=greedy)
    roomy = ContentChecker(ContentLimits(timeout_seconds=20, max_memory_bytes=2048 * 2**20), command=greedy)
    try:
        result = await checker.check("pdf", tmp_path / "x.pdf")
        assert not result.ok and "memory bound 256 MB" in result.detail
        assert (await roomy.check("pdf", tmp_path / "x.pdf")).ok  # the same command within a larger bound
    finally:
        await checker.close()
        await roomy.close()


def test_bounds_are_settings() -> None:
    limits = Settings(
        environment="test",
        content_check_timeout_seconds=2.5,
        content_check_max_memory_mb=300,
        content_check_max_pixels=1234,
        content_check_concurrency=3,
    ).content_limits()
    assert (limits.timeout_seconds, limits.max_memory_bytes, limits.max_pixels, limits.concurrency) == (
        2.5,
        300 * 2**20,
        1234,
        3,
    )


WORN = """
import sys
for n, line in enumerate(sys.stdin, 1):
    if n == 1:
        print('{"ok": true, "detail": "first"}', flush=True)
    else:
        print('{"ok": false, "detail": "parsing needed more memory than the bound", "fresh": true}', flush=True)
        break
"""


async def test_out_of_memory_after_other_files_is_retried_in_a_fresh_worker(tmp_path: Path) -> None:
    checker = ContentChecker(ContentLimits(timeout_seconds=20), command=[sys.executable, "-c", WORN])
    try:
        assert (await checker.check("pdf", tmp_path / "a.pdf")).detail == "first"
        # The worn worker runs out of memory on the second file; a fresh one accepts it.
        assert (await checker.check("pdf", tmp_path / "b.pdf")).detail == "first"
    finally:
        await checker.close()


async def test_a_worker_that_left_while_idle_is_replaced(tmp_path: Path) -> None:
    checker = ContentChecker(ContentLimits(timeout_seconds=30, idle_seconds=0.2))
    try:
        path = tmp_path / "a.png"
        path.write_bytes(sample_png(2000))
        assert (await checker.check("png", path)).ok
        first = checker._idle[0].proc
        await asyncio.wait_for(first.wait(), 10)  # it exits by itself after 0.2 s without work
        assert (await checker.check("png", path)).ok
        assert checker._idle[0].proc is not first
    finally:
        await checker.close()


def test_files_written_by_real_libraries_parse(tmp_path: Path) -> None:
    """Not only the hand-built samples: files as pypdf and Pillow write them (multi-page PDF,
    progressive JPEG, palette PNG) are accepted too."""
    import io

    from PIL import Image
    from pypdf import PdfWriter

    writer = PdfWriter()
    for _ in range(3):
        writer.add_blank_page(width=595, height=842)
    pdf = io.BytesIO()
    writer.write(pdf)
    assert _probe(tmp_path, "pdf", pdf.getvalue()) == "PDF, 3 page(s)"

    image = Image.frombytes("RGB", (120, 80), os.urandom(120 * 80 * 3))
    jpeg, png = io.BytesIO(), io.BytesIO()
    image.save(jpeg, "JPEG", progressive=True, quality=85)
    image.convert("P").save(png, "PNG", optimize=True)
    assert _probe(tmp_path, "jpeg", jpeg.getvalue()) == "JPEG 120x80"
    assert _probe(tmp_path, "png", png.getvalue()) == "PNG 120x80"
    assert "cannot be decoded" in _refusal(tmp_path, "jpeg", jpeg.getvalue()[: len(jpeg.getvalue()) // 2])


def test_a_url_request_fetches_hashes_and_parses_in_the_worker(tmp_path: Path) -> None:
    """The worker fetches a presigned GET itself (the bytes never pass through the service); an
    unreachable store is not a refusal, and a body over ``max_bytes`` is one."""
    import hashlib
    import http.server
    import threading

    from portfolio_artifacts.adapters.content_probe import handle

    data = sample_pdf(3000)

    class One(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), One)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/obj"
    try:
        got = handle({"kind": "pdf", "url": url, "max_bytes": len(data), "sha256": True}, 40_000_000)
        assert got == {"ok": True, "detail": "PDF, 1 page(s)", "sha256": hashlib.sha256(data).hexdigest(), "size": 3000}
        assert "sha256" not in handle({"kind": "pdf", "url": url, "max_bytes": len(data)}, 40_000_000)
        over = handle({"kind": "pdf", "url": url, "max_bytes": len(data) - 1, "sha256": True}, 40_000_000)
        assert over["ok"] is False and "larger than" in str(over["detail"]) and not over.get("unreachable")
    finally:
        server.shutdown()
        server.server_close()
    gone = handle({"kind": "pdf", "url": url, "max_bytes": 10, "sha256": True}, 40_000_000)
    assert gone["ok"] is False and gone["unreachable"] is True
    assert handle({"kind": "pdf", "url": "file:///etc/passwd", "max_bytes": 10}, 40_000_000)["unreachable"] is True


async def test_an_object_source_is_asked_for_only_once_a_parser_is_free(tmp_path: Path) -> None:
    """During a surge files wait for one of ``concurrency`` parsers: the short-lived presigned GET is
    made when the file's turn comes, so it cannot expire in the queue."""
    slow = [
        sys.executable,
        "-c",
        "import sys, time\n"
        "for line in sys.stdin:\n"
        "    time.sleep(0.3)\n"
        '    print(\'{"ok": true, "detail": "ok", "sha256": "ab", "size": 2}\', flush=True)\n',
    ]
    checker = ContentChecker(ContentLimits(timeout_seconds=20, concurrency=1), command=slow)
    events: list[str] = []

    def source(name: str) -> Callable[[], Any]:
        async def make() -> str:
            events.append(f"url {name}")
            return f"http://store/{name}"

        return make

    async def one(name: str) -> None:
        result = await checker.check_object("pdf", source(name), max_bytes=10, sha256=True)
        assert (result.ok, result.sha256, result.size) == (True, "ab", 2)
        events.append(f"parsed {name}")

    try:
        await asyncio.gather(one("a"), one("b"))
    finally:
        await checker.close()
    assert events == ["url a", "parsed a", "url b", "parsed b"]
