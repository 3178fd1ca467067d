"""A runtime's stop is bounded: a background task that ignores its cancellation (a driver call that
swallows it) is logged and left behind instead of hanging a pod's SIGTERM or a test's teardown."""

from __future__ import annotations

import asyncio
import logging
import time
from pathlib import Path

import pytest

from portfolio_shared.testing.apps import runtime_and_factory


async def _stubborn(release: asyncio.Event) -> None:
    while not release.is_set():
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:  # what a misbehaving driver does
            continue


async def test_stop_leaves_a_task_that_ignores_cancellation_behind_and_says_so(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    runtime, _ = runtime_and_factory("records", tmp_path)
    release = asyncio.Event()
    runtime.run_in_background(_stubborn(release))
    await asyncio.sleep(0)
    started = time.monotonic()
    with caplog.at_level(logging.WARNING, logger="portfolio_shared.service"):
        await runtime.stop(timeout=0.5)
    took = time.monotonic() - started
    assert took < 5, took
    assert any("did not stop within" in r.getMessage() and "_stubborn" in r.getMessage() for r in caplog.records)
    release.set()  # let the stubborn task end so the loop closes cleanly
    await asyncio.sleep(0.05)


async def test_stop_of_well_behaved_tasks_logs_nothing(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    runtime, _ = runtime_and_factory("records", tmp_path)
    runtime.run_in_background(asyncio.sleep(3600))
    await asyncio.sleep(0)
    with caplog.at_level(logging.WARNING, logger="portfolio_shared.service"):
        await runtime.stop(timeout=5)
    assert not [r for r in caplog.records if "left behind" in r.getMessage()]
