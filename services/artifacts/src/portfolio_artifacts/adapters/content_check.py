"""Run the content probe (``content_probe``) in a child process within a time and memory bound (R-FILE-1).

One short-lived process per file: it starts in about 0.1 s, the operating system enforces its
address-space and CPU limits (set by the child before it imports a parser, and again by this parent
with ``prlimit`` right after the start, so even a replaced command is bounded), and at the wall-clock
deadline it is killed. A child that is killed, crashes or prints nothing refuses the file: a parser
that cannot finish within the bound is exactly what must not be accepted. The number of children at
a time is bounded too, so a surge of completions cannot exhaust the pod's memory or its /tmp.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import math
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import portfolio_artifacts

log = logging.getLogger(__name__)

_PROBE_MODULE = "portfolio_artifacts.adapters.content_probe"
# The child must import this very package, also when it is not installed (tests from src/).
_PACKAGE_ROOT = str(Path(portfolio_artifacts.__file__).resolve().parents[1])
_MAX_OUTPUT = 64 * 1024


@dataclass(frozen=True, slots=True)
class ContentLimits:
    timeout_seconds: float = 15.0
    max_memory_bytes: int = 768 * 1024 * 1024
    max_pixels: int = 40_000_000
    concurrency: int = 2


@dataclass(frozen=True, slots=True)
class ContentResult:
    ok: bool
    detail: str


class ContentChecker:
    """``await checker.check(kind, path)`` → whether the file parses as ``kind`` within the limits."""

    def __init__(self, limits: ContentLimits | None = None, *, command: Sequence[str] | None = None) -> None:
        self.limits = limits or ContentLimits()
        # ``command`` replaces the probe (tests use it to stand for a parser that hangs or allocates).
        self._command = list(command) if command is not None else [sys.executable, "-m", _PROBE_MODULE]
        self._slots = asyncio.Semaphore(self.limits.concurrency)

    def _argv(self, kind: str, path: Path) -> list[str]:
        cpu = max(1, math.ceil(self.limits.timeout_seconds))
        return [
            *self._command,
            kind,
            str(path),
            f"--max-memory={self.limits.max_memory_bytes}",
            f"--cpu-seconds={cpu}",
            f"--max-pixels={self.limits.max_pixels}",
        ]

    def _bound(self, pid: int) -> None:
        try:
            import resource

            memory = self.limits.max_memory_bytes
            cpu = max(1, math.ceil(self.limits.timeout_seconds))
            resource.prlimit(pid, resource.RLIMIT_AS, (memory, memory))
            resource.prlimit(pid, resource.RLIMIT_CPU, (cpu, cpu))
        except (ImportError, AttributeError, ProcessLookupError, OSError):
            pass  # not Linux, or already gone: the child's own limits and the deadline still hold

    async def check(self, kind: str, path: Path) -> ContentResult:
        async with self._slots:
            return await self._run(kind, path)

    async def _run(self, kind: str, path: Path) -> ContentResult:
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (_PACKAGE_ROOT, env.get("PYTHONPATH", "")) if p)
        proc = await asyncio.create_subprocess_exec(
            *self._argv(kind, path),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=env,
        )
        self._bound(proc.pid)
        try:
            out, err = await asyncio.wait_for(proc.communicate(), self.limits.timeout_seconds)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            await proc.wait()
            return ContentResult(False, f"the file did not parse within {self.limits.timeout_seconds:g} s")
        except BaseException:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            raise
        try:
            answer = json.loads(out[:_MAX_OUTPUT].decode("utf-8", "replace").strip().splitlines()[-1])
            return ContentResult(bool(answer["ok"]), str(answer["detail"]))
        except (ValueError, IndexError, KeyError, TypeError):
            log.warning(
                "content probe for a %s file stopped with status %s: %s",
                kind,
                proc.returncode,
                err[-2000:].decode("utf-8", "replace"),
            )
            mb = self.limits.max_memory_bytes // (1024 * 1024)
            return ContentResult(False, f"the parser stopped without an answer (memory bound {mb} MB, or a crash)")
