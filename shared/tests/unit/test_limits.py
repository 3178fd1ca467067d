"""Request limits (ASVS V5/V13): body size per route, enforced before and while streaming, and
JSON nesting depth; each at the limit and one past it."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request

from portfolio_shared import problems
from portfolio_shared.limits import JsonDepthScanner, RequestLimits

LIMIT = 1024
UPLOAD_LIMIT = 4096


def _app() -> FastAPI:
    app = FastAPI()
    problems.install(app)

    @app.post("/json")
    async def take_json(body: dict[str, Any]) -> dict[str, int]:
        return {"keys": len(body)}

    @app.post("/schools/{school_id}/import")
    async def take_file(request: Request) -> dict[str, int]:
        return {"size": len(await request.body())}

    @app.put("/storage/{token}")
    async def self_bounded(request: Request) -> dict[str, int]:
        return {"size": len(await request.body())}

    app.add_middleware(
        RequestLimits,
        default_bytes=LIMIT,
        max_json_depth=8,
        limits={"/schools/{school_id}/import": UPLOAD_LIMIT, "/storage/{token}": None},
    )
    return app


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=_app()), base_url="http://t") as c:
        yield c


def _json_of_size(size: int) -> bytes:
    skeleton = json.dumps({"k": ""}).encode()
    return json.dumps({"k": "x" * (size - len(skeleton))}).encode()


async def test_json_body_at_the_limit_passes_and_one_byte_more_is_413(client: httpx.AsyncClient) -> None:
    at = _json_of_size(LIMIT)
    assert len(at) == LIMIT
    r = await client.post("/json", content=at, headers={"content-type": "application/json"})
    assert r.status_code == 200, r.text
    past = _json_of_size(LIMIT + 1)
    r = await client.post("/json", content=past, headers={"content-type": "application/json"})
    assert r.status_code == 413
    assert r.headers["content-type"] == "application/problem+json"
    body = r.json()
    assert body["code"] == "payload-too-large" and body["max_bytes"] == LIMIT and body["title_zh"]


async def _chunks(total: int, size: int, sent: list[int]) -> AsyncIterator[bytes]:
    while total > 0:
        n = min(size, total)
        sent.append(n)
        total -= n
        yield b"a" * n


async def test_chunked_body_is_cut_at_the_first_chunk_past_the_limit(client: httpx.AsyncClient) -> None:
    sent: list[int] = []
    r = await client.post(
        "/schools/s1/import",
        content=_chunks(300 * UPLOAD_LIMIT, 512, sent),
        headers={"content-type": "text/csv"},
    )
    assert r.status_code == 413 and r.json()["max_bytes"] == UPLOAD_LIMIT
    assert "content-length" not in r.request.headers  # really chunked
    # The rest of the 1.2 MB was never pulled from the client.
    assert sum(sent) <= UPLOAD_LIMIT + 512

    sent.clear()
    r = await client.post("/schools/s1/import", content=_chunks(UPLOAD_LIMIT, 512, sent))
    assert r.status_code == 200 and r.json() == {"size": UPLOAD_LIMIT}
    r = await client.post("/schools/s1/import", content=_chunks(UPLOAD_LIMIT + 1, 512, []))
    assert r.status_code == 413


async def test_declared_length_past_the_limit_is_refused_before_reading(client: httpx.AsyncClient) -> None:
    r = await client.post("/schools/s1/import", content=b"a" * (UPLOAD_LIMIT + 1))
    assert r.status_code == 413
    r = await client.post("/schools/s1/import", content=b"a" * UPLOAD_LIMIT)
    assert r.status_code == 200


async def test_route_that_bounds_itself_is_not_cut(client: httpx.AsyncClient) -> None:
    r = await client.put("/storage/tok", content=b"a" * (UPLOAD_LIMIT * 4), headers={"content-type": "image/png"})
    assert r.status_code == 200 and r.json() == {"size": UPLOAD_LIMIT * 4}


@pytest.mark.parametrize(("depth", "status"), [(8, 200), (9, 422)])
async def test_json_depth_at_the_limit_passes_and_one_deeper_is_422(
    client: httpx.AsyncClient, depth: int, status: int
) -> None:
    nested: Any = 1
    for _ in range(depth - 1):
        nested = [nested]
    body = json.dumps({"k": nested}).encode()  # the outer object is level 1
    r = await client.post("/json", content=body, headers={"content-type": "application/json"})
    assert r.status_code == status, r.text
    if status == 422:
        assert r.json()["code"] == "json-too-deep" and r.json()["max_depth"] == 8


def test_depth_scanner_ignores_brackets_inside_strings_and_escapes() -> None:
    scanner = JsonDepthScanner()
    assert scanner.feed(b'{"a": "[[[[\\"[[[", "b": [') == 2
    assert scanner.feed(b"[1]]}") == 3  # state carries across chunks
    assert scanner.depth == 0
