"""The chassis every service stands on: settings, problem+json, health, readiness, metrics."""

from __future__ import annotations

import logging
from pathlib import Path

import httpx
import pytest
from fastapi import APIRouter
from pydantic import BaseModel, ValidationError
from toy import inbox, metadata, outbox

from portfolio_shared.config import DEV_SECRET, ServiceSettings
from portfolio_shared.metrics_port import serve_metrics
from portfolio_shared.problems import Problem
from portfolio_shared.service import build_runtime, create_app
from portfolio_shared.telemetry import setup_logging
from portfolio_shared.testing.tokens import TokenMinter


def test_settings_refuse_default_secrets_in_production() -> None:
    with pytest.raises(ValidationError, match="signing_secret"):
        ServiceSettings(environment="production", database_url="postgresql+asyncpg://db/x")
    with pytest.raises(ValidationError, match="SQLite"):
        ServiceSettings(environment="production", signing_secret="s" * 40)
    ok = ServiceSettings(environment="production", signing_secret="s" * 40, database_url="postgresql+asyncpg://db/x")
    assert ok.signing_secret != DEV_SECRET
    assert ServiceSettings().signing_secret == DEV_SECRET  # development may use it


class Thing(BaseModel):
    title: str
    count: int


def _app(tmp_path: Path, *, broker_ok: bool = True):  # type: ignore[no-untyped-def]
    settings = ServiceSettings(
        environment="test",
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'svc.db'}",
        broker_url=f"sqlite+aiosqlite:///{tmp_path / 'bus.db'}",
        storage_url=f"file://{tmp_path / 'objects'}",
        service_name="toy",
    )
    minter = TokenMinter()
    runtime = build_runtime(
        settings,
        service_dir=tmp_path,
        metadata=metadata,
        outbox=outbox,
        inbox=inbox,
        with_storage=True,
        verifier=minter.verifier(),
    )
    router = APIRouter(prefix="/api/v1/things")

    @router.post("")
    async def create_thing(thing: Thing) -> Thing:
        if thing.count < 0:
            raise Problem(
                422, "count-negative", "Count must not be negative", "數量不可為負數", field="count", rule="R-TEST-1"
            )
        return thing

    @router.get("")
    async def list_things() -> list[Thing]:
        return []

    @router.get("/boom")
    async def boom() -> None:
        raise RuntimeError("secret internals")

    app = create_app(runtime, title="toy", description="toy", routers=[router])
    return app, runtime, minter


async def test_problem_json_for_validation_domain_and_unexpected_errors(tmp_path: Path) -> None:
    app, _runtime, _ = _app(tmp_path)
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app, raise_app_exceptions=False), base_url="http://t"
        ) as client:
            r = await client.post("/api/v1/things", json={"title": "x", "count": "many"})
            assert r.status_code == 422
            assert r.headers["content-type"] == "application/problem+json"
            body = r.json()
            assert body["field"] == "count" and body["title_zh"] == "資料驗證失敗"
            assert body["errors"][0]["field"] == "count"

            r = await client.post("/api/v1/things", json={"title": "x", "count": -1})
            assert r.status_code == 422
            assert r.json()["rule"] == "R-TEST-1" and r.json()["type"].endswith("/count-negative")

            r = await client.get("/api/v1/things/boom")
            assert r.status_code == 500
            assert "secret internals" not in r.text and r.json()["title_zh"] == "系統內部錯誤"

            r = await client.get("/api/v1/nowhere")
            assert r.status_code == 404 and r.json()["title_zh"] == "查無資料"


async def test_health_readiness_and_metrics(tmp_path: Path) -> None:
    app, _runtime, _ = _app(tmp_path)
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
            # tables are not migrated here; readiness only needs the database to answer
            assert (await client.get("/healthz")).json()["status"] == "ok"
            ready = await client.get("/readyz")
            assert ready.status_code == 200, ready.text
            assert ready.json()["checks"] == {"database": True, "broker": True, "storage": True}
            await client.post("/api/v1/things", json={"title": "x", "count": 1})
            # Metrics are not on the API port (they map the API and its load for anyone who asks) …
            assert (await client.get("/metrics")).status_code == 404
    # … but on the process's internal metrics port.
    port = serve_metrics(0, addr="127.0.0.1")
    async with httpx.AsyncClient() as plain:
        metrics = (await plain.get(f"http://127.0.0.1:{port}/metrics")).text
    assert 'portfolio_http_request_seconds_count{method="POST",route="/api/v1/things"' in metrics


async def test_access_log_names_the_route_template_without_ids_or_query_strings(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Secrets out of logs (ASVS V16): a presigned-style query string never reaches a log line."""
    app, _runtime, _ = _app(tmp_path)
    secret = "X-Amz-Signature=deadbeefcafe"
    with caplog.at_level(logging.INFO):
        async with app.router.lifespan_context(app):
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
                await client.post(f"/api/v1/things?{secret}&token=hunter2", json={"title": "x", "count": 1})
                await client.get(f"/storage/some-signed-token-value?{secret}")
    lines = [r.getMessage() for r in caplog.records]
    access = [r.getMessage() for r in caplog.records if r.name == "portfolio.access"]
    assert "POST /api/v1/things 200" in " ".join(access)
    assert any(line.startswith("GET /storage/{token} ") for line in access)
    assert not [line for line in lines if "deadbeefcafe" in line or "hunter2" in line]
    server_lines = [r.getMessage() for r in caplog.records if r.name != "httpx"]  # httpx: the test's own client
    assert not [line for line in server_lines if "some-signed-token" in line]


def test_uvicorn_and_httpx_request_lines_lose_their_query_strings() -> None:
    setup_logging("toy", json_logs=False)
    record = logging.LogRecord(
        "uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
        ("1.2.3.4:5", "GET", "/o/k?X-Amz-Signature=abc&X-Amz-Credential=def", "1.1", 200), None,
    )  # fmt: skip
    for f in logging.getLogger("uvicorn.access").filters:
        f.filter(record)
    assert record.getMessage() == '1.2.3.4:5 - "GET /o/k?… HTTP/1.1" 200'
    url_record = logging.LogRecord(
        "httpx", logging.INFO, __file__, 1, 'HTTP Request: %s %s "%s %d %s"',
        ("PUT", httpx.URL("http://s3/b/k?X-Amz-Signature=abc"), "HTTP/1.1", 200, "OK"), None,
    )  # fmt: skip
    for f in logging.getLogger("httpx").filters:
        f.filter(url_record)
    assert "abc" not in url_record.getMessage() and "http://s3/b/k" in url_record.getMessage()


async def test_readiness_fails_when_the_database_is_unreachable(tmp_path: Path) -> None:
    app, runtime, _ = _app(tmp_path)
    async with app.router.lifespan_context(app):
        from portfolio_shared.db import make_engine

        await runtime.engine.dispose()
        runtime.engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'missing-dir' / 'x.db'}")
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
            ready = await client.get("/readyz")
            assert ready.status_code == 503
            assert ready.json()["checks"]["database"] is False


async def test_405_lists_every_allowed_method_and_openapi_documents_problem_answers(tmp_path: Path) -> None:
    app, _runtime, _ = _app(tmp_path)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        r = await client.delete("/api/v1/things")
        assert r.status_code == 405 and r.headers["content-type"] == "application/problem+json"
        assert r.headers["allow"] == "GET, POST"  # Starlette alone names only the first route's
        schema = (await client.get("/openapi.json")).json()
    assert schema["components"]["schemas"]["Problem"]["properties"]["title_zh"]
    assert "HTTPValidationError" not in schema["components"]["schemas"]
    for method, operation in schema["paths"]["/api/v1/things"].items():
        for status in ("401", "403", "404", "409", "413", "422", "429"):
            content = operation["responses"][status]["content"]
            assert content == {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}, (
                method,
                status,
            )
