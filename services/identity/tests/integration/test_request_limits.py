"""Request limits on the real service (ASVS V5/V13): an unauthenticated sign-in body past 64 KiB is
refused with 413 before it is read, streamed or declared; the SIS import takes its documented
maximum; deep JSON is refused with 422."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import httpx
import pytest
from identity_support import build_world

from portfolio_shared.service import ServiceRuntime
from portfolio_shared.testing.jobs import job_outcome

pytestmark = pytest.mark.integration

JSON_LIMIT = 64 * 1024


def _login_body(size: int) -> bytes:
    skeleton = json.dumps({"login_name": "a-it", "password": ""}).encode()
    body = json.dumps({"login_name": "a-it", "password": "x" * (size - len(skeleton))}).encode()
    assert len(body) == size
    return body


async def test_sign_in_body_at_64_kib_is_read_and_one_byte_more_is_413(client: httpx.AsyncClient) -> None:
    headers = {"content-type": "application/json"}
    r = await client.post("/api/v1/auth/login", content=_login_body(JSON_LIMIT), headers=headers)
    assert r.status_code == 422  # read and validated: the password is longer than 256 characters
    r = await client.post("/api/v1/auth/login", content=_login_body(JSON_LIMIT + 1), headers=headers)
    assert r.status_code == 413 and r.json()["code"] == "payload-too-large"


async def test_a_300_mb_chunked_sign_in_is_cut_after_the_first_64_kib(client: httpx.AsyncClient) -> None:
    pulled = 0

    async def body() -> AsyncIterator[bytes]:
        nonlocal pulled
        yield b'{"login_name": "a-it", "password": "'
        for _ in range(300 * 16):  # 300 MB in 64 KiB chunks, if anyone read it all
            pulled += 65536
            yield b"x" * 65536

    r = await client.post("/api/v1/auth/login", content=body(), headers={"content-type": "application/json"})
    assert r.status_code == 413
    assert pulled <= 2 * 65536


async def test_deep_json_is_refused(client: httpx.AsyncClient) -> None:
    deep = b'{"login_name": ' + b"[" * 40 + b"]" * 40 + b', "password": "x"}'
    r = await client.post("/api/v1/auth/login", content=deep, headers={"content-type": "application/json"})
    assert r.status_code == 422 and r.json()["code"] == "json-too-deep"


async def test_the_sis_import_takes_more_than_the_json_limit(
    client: httpx.AsyncClient, runtime: ServiceRuntime
) -> None:
    world = await build_world(client)
    line = "教職員,0001,王小明,teacher,在職\n".encode()
    csv = "身分別,帳號,姓名,角色,狀態\n".encode() + line * (2 * JSON_LIMIT // len(line))
    r = await client.post(
        f"/api/v1/schools/{world.school('A')}/sis-sync",
        files={"file": ("export.csv", csv, "text/csv")},
        data={"dry_run": "true"},
        headers=world.headers["a-it"],
    )
    assert r.status_code == 202, r.text  # taken whole (more than 64 KiB), as a job
    # The job read the file: this export lacks the school code column (not a size refusal).
    outcome = await job_outcome(client, r, world.headers["a-it"], timeout=120)
    assert outcome.status_code == 422 and outcome.json()["code"] == "sis-header-invalid", outcome.job
    limit = runtime.settings.sync_max_file_bytes  # type: ignore[attr-defined]
    r = await client.post(
        f"/api/v1/schools/{world.school('A')}/sis-sync",
        content=b"x" * (limit + 64 * 1024 + 1),
        headers={**world.headers["a-it"], "content-type": "multipart/form-data; boundary=b"},
    )
    assert r.status_code == 413 and r.json()["max_bytes"] == limit + 64 * 1024
