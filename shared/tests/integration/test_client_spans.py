"""Outgoing HTTP (httpx) and the asyncpg driver leave OpenTelemetry spans (issue 10, signals)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import asyncpg
import httpx
import pytest
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from portfolio_shared.telemetry import instrument_clients, setup_tracing


@pytest.fixture(scope="module")
def spans() -> InMemorySpanExporter:
    exporter = InMemorySpanExporter()
    setup_tracing("test-client-spans", extra_processors=[SimpleSpanProcessor(exporter)])
    instrument_clients()  # idempotent: a second call must not wrap twice
    instrument_clients()
    return exporter


class _Ok(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def http_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Ok)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


async def test_outgoing_httpx_request_has_a_client_span(spans: InMemorySpanExporter, http_url: str) -> None:
    spans.clear()
    async with httpx.AsyncClient() as client:
        assert (await client.get(f"{http_url}/jwks")).status_code == 204
    with httpx.Client() as client:
        assert client.get(f"{http_url}/sync").status_code == 204
    client_spans = [s for s in spans.get_finished_spans() if s.kind.name == "CLIENT" and s.name.startswith("GET")]
    assert len(client_spans) == 2, [s.name for s in spans.get_finished_spans()]


@pytest.mark.integration
async def test_asyncpg_statements_have_spans(spans: InMemorySpanExporter, postgres_admin_url: str) -> None:
    spans.clear()
    conn = await asyncpg.connect(postgres_admin_url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        assert await conn.fetchval("SELECT 41 + 1") == 42
    finally:
        await conn.close()
    names = [s.name for s in spans.get_finished_spans()]
    assert any(n.startswith("SELECT") for n in names), names
