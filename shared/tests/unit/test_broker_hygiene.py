"""Broker hygiene of the test fixtures: leftover ``t.<run>.<test>.*`` queues once exhausted the shared
RabbitMQ's file descriptors (553 quorum queues), so test queues expire and the topology is deleted."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from portfolio_shared.testing.fixtures import (
    TEST_QUEUE_EXPIRES_MS,
    TEST_QUEUE_PATTERN,
    TEST_QUEUE_POLICY,
    _run_aside,
    expire_test_queues,
)


def _fake_rabbitmqctl(tmp_path: Path, exit_code: int) -> Path:
    script = tmp_path / "rabbitmqctl"
    log = tmp_path / "calls.json"
    script.write_text(
        "#!/usr/bin/env python3\n"
        "import json, sys\n"
        f"open({str(log)!r}, 'a').write(json.dumps(sys.argv[1:]) + '\\n')\n"
        "print('Error: node not running', file=sys.stderr)\n"
        f"sys.exit({exit_code})\n"
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return log


def test_the_policy_is_set_on_the_test_queues_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    log = _fake_rabbitmqctl(tmp_path, 0)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    assert expire_test_queues() is True
    (call,) = [json.loads(line) for line in log.read_text().splitlines()]
    assert call[:4] == ["set_policy", "--apply-to", "queues", TEST_QUEUE_POLICY]
    assert call[4] == TEST_QUEUE_PATTERN == r"^t\."
    assert json.loads(call[5]) == {"expires": TEST_QUEUE_EXPIRES_MS}
    assert TEST_QUEUE_EXPIRES_MS == 30 * 60 * 1000


def test_a_failing_rabbitmqctl_is_a_warning_not_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_rabbitmqctl(tmp_path, 69)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    with pytest.warns(UserWarning, match="node not running"):
        assert expire_test_queues() is False


def test_no_rabbitmqctl_on_path_sets_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    assert expire_test_queues() is False


def test_the_policy_pattern_matches_the_fixture_prefixes() -> None:
    import re

    assert re.match(TEST_QUEUE_PATTERN, "t.0a1b2c3d.testsomething.records.grades")
    assert not re.match(TEST_QUEUE_PATTERN, "portfolio.records.grades")
    assert not re.match(TEST_QUEUE_PATTERN, "tx.records")


async def test_cleanup_runs_even_inside_a_running_event_loop() -> None:
    done: list[str] = []

    async def work() -> None:
        done.append("deleted")

    _run_aside(work())
    assert done == ["deleted"]

    async def broken() -> None:
        raise RuntimeError("broker gone")

    with pytest.raises(RuntimeError, match="broker gone"):
        _run_aside(broken())
