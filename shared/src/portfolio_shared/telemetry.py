"""OpenTelemetry tracing and structured JSON logs that carry the trace id.

``setup_tracing`` is idempotent per process. With an OTLP endpoint set, spans are exported;
otherwise they are still created (trace ids in logs and AMQP headers) but not exported.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import UTC, datetime
from typing import Any

from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

_provider: TracerProvider | None = None


def setup_tracing(
    service_name: str, otlp_endpoint: str | None = None, extra_processors: list[SpanProcessor] | None = None
) -> TracerProvider:
    global _provider
    if _provider is None:
        current = trace.get_tracer_provider()
        if isinstance(current, TracerProvider):
            _provider = current
        else:
            _provider = TracerProvider(resource=Resource.create({"service.name": service_name}))
            trace.set_tracer_provider(_provider)
        if otlp_endpoint:
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

            _provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=otlp_endpoint)))
        instrument_clients()
    for processor in extra_processors or []:
        _provider.add_span_processor(processor)
    return _provider


_clients_instrumented = False


def instrument_clients() -> None:
    """Spans for outgoing HTTP (httpx: JWKS fetches, S3 presign checks, service calls) and for the
    asyncpg driver under SQLAlchemy (connects, prepares, COPY — what the engine tracer does not see).

    Both instrumentors patch their library for the whole process, so this runs once per process
    (the standalone shape runs five services in one).
    """
    global _clients_instrumented
    if _clients_instrumented:
        return
    from opentelemetry.instrumentation.asyncpg import AsyncPGInstrumentor
    from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor

    HTTPXClientInstrumentor().instrument()
    AsyncPGInstrumentor().instrument()
    _clients_instrumented = True


class JsonFormatter(logging.Formatter):
    """One JSON object a line, with the current trace and span ids."""

    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "service": self.service,
            "message": record.getMessage(),
        }
        span = trace.get_current_span().get_span_context()
        if span.is_valid:
            entry["trace_id"] = format(span.trace_id, "032x")
            entry["span_id"] = format(span.span_id, "016x")
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


_QUERY = re.compile(r"\?[^\s\"']*")


def without_query(text: str) -> str:
    """`/x?X-Amz-Signature=…&token=…` → `/x?…`: query strings carry presigned-URL signatures and tokens."""
    return _QUERY.sub("?…", text)


class RedactQueryStrings(logging.Filter):
    """Secrets out of logs (ASVS V16): uvicorn's access line and httpx's request line carry whole
    URLs; their query strings (storage signatures, tokens) are cut before any handler sees them."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and record.args:
            record.args = tuple(without_query(a) if isinstance(a, str) else _url_without_query(a) for a in record.args)
        elif isinstance(record.msg, str) and "?" in record.msg and not record.args:
            record.msg = without_query(record.msg)
        return True


def _url_without_query(value: Any) -> Any:
    # httpx passes its URL object; anything else with a query is shown without it.
    if hasattr(value, "copy_with") and bool(getattr(value, "query", None)):
        return value.copy_with(query=None)
    return value


REDACTED_LOGGERS = ("uvicorn.access", "httpx", "portfolio.access")


def setup_logging(service: str, *, json_logs: bool = True, level: int = logging.INFO) -> None:
    for name in REDACTED_LOGGERS:  # on the loggers themselves: uvicorn's access logger does not propagate
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactQueryStrings) for f in logger.filters):
            logger.addFilter(RedactQueryStrings())
    root = logging.getLogger()
    if any(getattr(h, "_portfolio", False) for h in root.handlers):
        return
    handler = logging.StreamHandler(sys.stderr)
    handler._portfolio = True  # type: ignore[attr-defined]
    handler.setFormatter(
        JsonFormatter(service) if json_logs else logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    )
    root.addHandler(handler)
    root.setLevel(level)
    logging.getLogger("aiormq").setLevel(logging.WARNING)
    logging.getLogger("aio_pika").setLevel(logging.WARNING)


_instrumented_engines: set[int] = set()


def instrument_engine(engine: Any) -> None:
    """Trace one SQLAlchemy engine's statements.

    ``SQLAlchemyInstrumentor().instrument()`` may be called once per process, but the standalone
    shape runs five services (five engines) in one process: attach a tracer to each engine instead.
    """
    if id(engine) in _instrumented_engines:
        return
    from opentelemetry.instrumentation.sqlalchemy.engine import EngineTracer
    from opentelemetry.metrics import get_meter
    from opentelemetry.semconv.metrics import MetricInstruments

    meter = get_meter("portfolio_shared.sqlalchemy")
    usage = meter.create_up_down_counter(
        name=MetricInstruments.DB_CLIENT_CONNECTIONS_USAGE,
        unit="connections",
        description="Connections currently in the state described by the state attribute.",
    )
    EngineTracer(trace.get_tracer("portfolio_shared.sqlalchemy"), engine, usage)
    _instrumented_engines.add(id(engine))
