"""Run the content probe (``content_probe``) in worker processes within a time and memory bound (R-FILE-1).

Each worker is a separate process: the operating system enforces its address-space limit (set by the
worker before it imports a parser, and again by this parent with ``prlimit`` right after the start,
so even a replaced command is bounded), and a request that has no answer at its wall-clock deadline
gets the worker killed. A worker that is killed, dies or answers nothing refuses the file: a parser
that cannot finish within the bounds is exactly what must not be accepted.

Workers are kept between files (starting one and importing pypdf and Pillow costs ~0.1 s, which at a
deadline-day surge was most of a completion), recycled after ``max_uses`` files and closed after
``idle_seconds`` without work. A file that ran out of memory in a worker that had parsed other files
before is tried once more in a fresh worker, so a heap worn by earlier files refuses nothing. At most
``concurrency`` files are parsed at a time, which bounds memory and the temporary copies in /tmp.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import os
import sys
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import portfolio_artifacts

log = logging.getLogger(__name__)

_PROBE_MODULE = "portfolio_artifacts.adapters.content_probe"
# The worker must import this very package, also when it is not installed (tests from src/).
_PACKAGE_ROOT = str(Path(portfolio_artifacts.__file__).resolve().parents[1])
_MAX_ANSWER = 64 * 1024


@dataclass(frozen=True, slots=True)
class ContentLimits:
    timeout_seconds: float = 15.0
    max_memory_bytes: int = 768 * 1024 * 1024
    max_pixels: int = 40_000_000
    concurrency: int = 2
    max_uses: int = 200
    idle_seconds: float = 60.0


@dataclass(frozen=True, slots=True)
class ContentResult:
    ok: bool
    detail: str
    # Of a fetched object (``check_object(..., sha256=True)``): what the worker read.
    sha256: str | None = None
    size: int | None = None
    # The worker could not fetch the object: the store decided nothing (not a refusal).
    unreachable: bool = False


def _sha256_of(path: Path) -> tuple[str, int]:
    h, size = hashlib.sha256(), 0
    with path.open("rb") as fh:
        while chunk := fh.read(1024 * 1024):
            h.update(chunk)
            size += len(chunk)
    return h.hexdigest(), size


class _Worker:
    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc
        self.served = 0

    @property
    def alive(self) -> bool:
        return self.proc.returncode is None

    async def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            self.proc.kill()
        with contextlib.suppress(Exception):
            await self.proc.wait()


class ContentChecker:
    """``await checker.check(kind, path)`` → whether the file parses as ``kind`` within the limits."""

    def __init__(self, limits: ContentLimits | None = None, *, command: Sequence[str] | None = None) -> None:
        self.limits = limits or ContentLimits()
        # ``command`` replaces the probe (tests use it to stand for a parser that hangs or allocates).
        self._command = list(command) if command is not None else [sys.executable, "-m", _PROBE_MODULE]
        self._slots = asyncio.Semaphore(self.limits.concurrency)
        self._idle: list[_Worker] = []
        self._closed = False

    def _argv(self) -> list[str]:
        return [
            *self._command,
            f"--max-memory={self.limits.max_memory_bytes}",
            f"--max-pixels={self.limits.max_pixels}",
            f"--idle-seconds={self.limits.idle_seconds:g}",
        ]

    async def _spawn(self) -> _Worker:
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (_PACKAGE_ROOT, env.get("PYTHONPATH", "")) if p)
        proc = await asyncio.create_subprocess_exec(
            *self._argv(),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL,  # parsers log warnings; nobody would drain a pipe
            env=env,
            limit=_MAX_ANSWER,
        )
        try:
            import resource

            memory = self.limits.max_memory_bytes
            resource.prlimit(proc.pid, resource.RLIMIT_AS, (memory, memory))
        except (ImportError, AttributeError, ProcessLookupError, OSError):
            pass  # not Linux, or already gone: the worker's own limit still holds
        return _Worker(proc)

    def _take(self) -> _Worker | None:
        while self._idle:
            worker = self._idle.pop()
            if worker.alive:
                return worker
        return None

    async def _release(self, worker: _Worker) -> None:
        if self._closed or not worker.alive or worker.served >= self.limits.max_uses:
            await worker.kill()
        else:
            self._idle.append(worker)

    async def check(self, kind: str, path: Path) -> ContentResult:
        """Parse the file at ``path`` (a copy the caller made)."""
        return await self._check(kind, {"kind": kind, "path": str(path)})

    async def check_object(
        self, kind: str, source: Callable[[], Awaitable[str | Path]], *, max_bytes: int, sha256: bool
    ) -> ContentResult:
        """Parse a stored object: ``source()`` gives its path (local disk) or a short-lived presigned
        GET URL the worker fetches itself (at most ``max_bytes``), so the bytes never pass through this
        process; it is called once a parser is free, so a URL does not expire in the queue. With
        ``sha256`` the answer carries the SHA-256 and size of what the worker read."""
        where: list[str | Path] = []

        async def request() -> dict[str, object]:
            where.append(await source())
            if isinstance(where[0], Path):
                return {"kind": kind, "path": str(where[0])}
            return {"kind": kind, "url": where[0], "max_bytes": max_bytes, "sha256": sha256}

        result = await self._check(kind, request)
        if sha256 and where and isinstance(where[0], Path) and result.ok:
            digest = await asyncio.to_thread(_sha256_of, where[0])
            return ContentResult(result.ok, result.detail, sha256=digest[0], size=digest[1])
        return result

    async def _check(
        self, kind: str, request: dict[str, object] | Callable[[], Awaitable[dict[str, object]]]
    ) -> ContentResult:
        async with self._slots:
            if callable(request):
                request = await request()
            mb = self.limits.max_memory_bytes // (1024 * 1024)
            stopped = ContentResult(False, f"the parser stopped without an answer (memory bound {mb} MB, or a crash)")
            for _ in range(3):  # a worker found dead before the request, or worn, is replaced
                worker = self._take() or await self._spawn()
                fresh = worker.served == 0
                outcome = await self._ask(worker, request)
                if outcome == "timeout":
                    return ContentResult(False, f"the file did not parse within {self.limits.timeout_seconds:g} s")
                if outcome == "gone" and not fresh:
                    continue  # it exited while idle: ask a new one
                if isinstance(outcome, dict):
                    if outcome.get("fresh") and not fresh:
                        continue  # out of memory after other files: once more from a clean heap
                    sha, size = outcome.get("sha256"), outcome.get("size")
                    return ContentResult(
                        bool(outcome.get("ok")),
                        str(outcome.get("detail", "")),
                        sha256=str(sha) if sha is not None else None,
                        size=int(str(size)) if size is not None else None,
                        unreachable=bool(outcome.get("unreachable")),
                    )
                return stopped
            return stopped

    async def _ask(self, worker: _Worker, request: dict[str, object]) -> dict[str, object] | str:
        """The worker's answer, or ``"timeout"`` (killed), or ``"gone"`` (died without one)."""
        proc = worker.proc
        assert proc.stdin is not None and proc.stdout is not None
        try:
            proc.stdin.write(json.dumps(request).encode() + b"\n")
            await proc.stdin.drain()
            line = await asyncio.wait_for(proc.stdout.readline(), self.limits.timeout_seconds)
        except TimeoutError:
            await worker.kill()
            return "timeout"
        except (BrokenPipeError, ConnectionResetError, ValueError, asyncio.LimitOverrunError):
            await worker.kill()
            return "gone"
        except BaseException:
            await worker.kill()  # cancelled mid-request: its answer would belong to no one
            raise
        if not line:
            await worker.kill()
            return "gone"
        try:
            answer = json.loads(line)
            if not isinstance(answer, dict):
                raise TypeError(answer)
        except (ValueError, TypeError):
            await worker.kill()
            log.warning("content probe answered something that is not a JSON object; worker replaced")
            return "gone"
        worker.served += 1
        if answer.get("fresh"):
            await worker.kill()  # it leaves with its worn heap anyway
        else:
            await self._release(worker)
        return answer

    async def close(self) -> None:
        """Stop the idle workers; busy ones stop when their request ends."""
        self._closed = True
        idle, self._idle = self._idle, []
        for worker in idle:
            await worker.kill()
