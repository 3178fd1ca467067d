"""Every API operation documents its error answers as RFC 9457 problem+json (one schema).

FastAPI documents only 422 (as its own validation shape, which the services never send). A client
generated from the OpenAPI must know that any API call may answer 401 (no or a revoked token),
403 (no permission), 404 (not there, or another school's: R-TEN-1 style object checks), 409 (a
state conflict), 413 (body too large, see ``limits``), 422 (validation), 429 (throttled), 500 (an
unexpected error) and 503 (a dependency outage), each as ``application/problem+json``.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from .openapi_security import add_password_flow
from .problems import MEDIA_TYPE

PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "type": "object",
    "description": (
        "RFC 9457 problem details. `title` is in the language the client prefers by Accept-Language "
        "(English for `en`, Traditional Chinese otherwise); `title_en` and `title_zh` are always present."
    ),
    "required": ["type", "title", "status"],
    "properties": {
        "type": {"type": "string", "format": "uri"},
        "title": {"type": "string"},
        "title_en": {"type": "string"},
        "title_zh": {"type": "string"},
        "status": {"type": "integer"},
        "code": {"type": "string"},
        "detail": {"type": "string"},
        "detail_zh": {"type": "string"},
        "instance": {"type": "string"},
        "field": {"type": "string", "description": "the field at fault"},
        "rule": {"type": "string", "description": "the DOMAIN.md rule id, when a regulation is why"},
        "errors": {"type": "array", "items": {"type": "object", "additionalProperties": True}},
    },
    "additionalProperties": True,
}

ERROR_ANSWERS: dict[str, str] = {
    "401": "Not authenticated: no token, or an expired, revoked or invalid one",
    "403": "Forbidden: the caller lacks the permission at this school",
    "404": "Not found, or not visible to the caller (another school's object)",
    "409": "Conflict with the current state (a window, a cap, a concurrent change)",
    "413": "Request body larger than this route accepts",
    "422": "Validation failed (the field and the rule are named)",
    "429": "Too many requests; retry after the Retry-After seconds",
    # Any route: an unexpected error (logged once) or a dependency outage (outage.install, Retry-After).
    "500": "Unexpected error; it has been logged",
    "503": "A dependency (database, broker, storage) is unreachable; retry after the Retry-After seconds",
}


def _problem_response(description: str) -> dict[str, Any]:
    return {"description": description, "content": {MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}}


def add_problem_responses(schema: dict[str, Any]) -> dict[str, Any]:
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components["Problem"] = PROBLEM_SCHEMA
    for path, operations in schema.get("paths", {}).items():
        if not path.startswith("/api/"):
            continue
        for operation in operations.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            responses = operation["responses"]
            for status, description in ERROR_ANSWERS.items():
                existing = responses.get(status)
                if existing is None or "HTTPValidationError" in str(existing):
                    responses[status] = _problem_response(description)
                else:
                    # Keep the route's own words; the body is a problem all the same.
                    existing["content"] = _problem_response("")["content"]
    # FastAPI's validation shapes are never sent: 422 answers are problems.
    for unused in ("HTTPValidationError", "ValidationError"):
        if not _referenced(schema, unused):
            components.pop(unused, None)
    return schema


def _referenced(schema: dict[str, Any], name: str) -> bool:
    return f'"#/components/schemas/{name}"' in json.dumps(schema)


def document_problems(app: FastAPI, token_url: str | None = None) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title,
                version=app.version,
                openapi_version=app.openapi_version,
                description=app.description,
                routes=app.routes,
                servers=app.servers,
            )
            app.openapi_schema = add_problem_responses(schema)
            if token_url is not None:
                add_password_flow(app.openapi_schema, token_url)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
