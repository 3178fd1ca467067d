"""Completing an upload without the service re-reading it (issue 15; R-FILE-1).

The presigned PUT signs the declared SHA-256 and size; on completion the service asks the store for a
HEAD and a ranged GET of the first bytes, and the parser's worker process fetches the object itself
(hashing it where the store does not enforce the signed checksum, as moto does not)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from artifacts_world import World, declaration, pdf, sha

from portfolio_artifacts.app import create
from portfolio_artifacts.bootstrap import bootstrap
from portfolio_artifacts.config import Settings
from portfolio_artifacts.domain.filetypes import HEAD_SIZE
from portfolio_shared.testing.harness import running
from portfolio_shared.testing.tokens import TokenMinter

pytestmark = pytest.mark.integration


def _spy(world: World) -> dict[str, list[Any]]:
    """Record what the service process reads of the store; a whole-object read fails the test."""
    storage: Any = world.runtime.storage
    calls: dict[str, list[Any]] = {"stat": [], "read_head": []}
    stat, read_head = storage.stat, storage.read_head

    async def spy_stat(key: str) -> Any:
        calls["stat"].append(key)
        return await stat(key)

    async def spy_read_head(key: str, length: int = 4096) -> bytes:
        calls["read_head"].append(length)
        return bytes(await read_head(key, length))

    async def whole(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the service read a whole object on completion")

    storage.stat, storage.read_head = spy_stat, spy_read_head
    storage.inspect = storage.digest = whole
    return calls


async def _complete(world: World, data: bytes, body: bytes | None = None, **decl: Any) -> Any:
    student = world.student("s1")
    started = await world.start_outcome(student, "phys", data, **decl)
    assert started.status_code == 201, started.text
    assert (await world.put(started.json()["uploads"][0], body if body is not None else data)).status_code == 200
    return await world.client.post(f"/api/v1/outcomes/{started.json()['outcome_id']}/complete", headers=student)


async def test_completion_is_a_head_and_a_ranged_get_on_s3(world: World) -> None:
    await world.open_windows()
    await world.course("phys", ["t1"], ["s1"])
    calls = _spy(world)
    data = pdf(200_000)
    done = await _complete(world, data)
    assert done.status_code == 200, done.text
    [f] = done.json()["files"]
    assert (f["size"], f["sha256"]) == (len(data), sha(data))  # hashed by the parser worker (moto)
    assert len(calls["stat"]) == 1 and calls["read_head"] == [HEAD_SIZE]


async def test_disguised_and_oversized_files_are_refused_without_a_full_read(world: World) -> None:
    """R-FILE-1: an executable behind a .pdf name is refused from its first bytes; a body over the
    limit (S3 does not bound this PUT on moto) from the HEAD alone."""
    await world.open_windows()
    await world.course("phys", ["t1"], ["s1"])
    calls = _spy(world)
    exe = b"MZ\x90\x00\x03\x00\x00\x00" + os.urandom(4000)
    done = await _complete(world, exe)
    assert done.status_code == 422 and done.json()["code"] == "file-executable-disguised"
    small, big = pdf(1000), pdf(4 * 1024 * 1024 + 1)
    done = await _complete(world, small, body=big)
    assert done.status_code == 422 and done.json()["code"] == "file-too-large"
    assert calls["read_head"] == [HEAD_SIZE]  # the oversized one was not even opened


async def test_a_body_other_than_the_declared_one_is_refused_by_the_parsers_hash(world: World) -> None:
    """Same size, same type, another SHA-256: moto stores it, the worker's hash refuses it."""
    await world.open_windows()
    await world.course("phys", ["t1"], ["s1"])
    declared, sent = pdf(5000), pdf(5000)
    assert declared != sent and len(declared) == len(sent)
    done = await _complete(world, declared, body=sent)
    assert done.status_code == 422 and done.json()["code"] == "file-sha256-mismatch", done.text


async def test_on_local_disk_the_store_refuses_another_body(tmp_path: Path, minter: TokenMinter) -> None:
    """Standalone shape: the storage route enforces the signed SHA-256 and size itself, so a wrong
    body never lands and completion finds nothing uploaded; the right one is accepted."""
    settings = Settings(
        environment="test",
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'artifacts.db'}",
        broker_url=f"sqlite+aiosqlite:///{tmp_path / 'bus.db'}",
        storage_url=f"file://{tmp_path / 'objects'}",
        public_base_url="http://testserver",
        verify_interval_seconds=0,
    )
    runtime = bootstrap(settings, verifier=minter.verifier())
    async with running(runtime, create) as client:
        world = World(runtime=runtime, client=client, minter=minter)
        await world.open_windows()
        await world.course("phys", ["t1"], ["s1"])
        assert runtime.storage is not None and runtime.storage.verifies_uploads
        data = pdf(8000)
        student = world.student("s1")
        body = {
            "course_id": "phys",
            "title": "期末報告",
            "description": "雜湊值不符",
            "files": [declaration(data, sha256=sha(b"another body"))],
        }
        started = (await client.post("/api/v1/outcomes/uploads", json=body, headers=student)).json()
        put = await world.put(started["uploads"][0], data)
        assert put.status_code == 400 and put.json()["code"] == "bad-digest"
        done = await client.post(f"/api/v1/outcomes/{started['outcome_id']}/complete", headers=student)
        assert done.status_code == 409 and done.json()["code"] == "file-not-uploaded"
        calls = _spy(world)
        done = await _complete(world, data)
        assert done.status_code == 200 and done.json()["files"][0]["sha256"] == sha(data), done.text
        assert calls["read_head"] == [HEAD_SIZE]
