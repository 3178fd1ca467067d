"""Helpers for the schemathesis runs every service has (no server error on generated requests)."""

from __future__ import annotations

from typing import Any

_HTTPX_ARGS = ("method", "url", "params", "headers", "json", "data", "files", "content")


def httpx_request_kwargs(case: Any, headers: dict[str, str]) -> dict[str, Any]:
    """A schemathesis case as keyword arguments for ``httpx.AsyncClient.request``."""
    kwargs: dict[str, Any] = case.as_transport_kwargs(base_url="http://testserver", headers=headers)
    kwargs.pop("cookies", None)
    kwargs["headers"] = {k: str(v) for k, v in (kwargs.get("headers") or {}).items()}
    files = kwargs.get("files")
    if files:
        kwargs["files"] = [
            (name, (filename, value if isinstance(value, str | bytes) else str(value)))
            for name, (filename, value, *_) in files
        ]
    if kwargs.get("data") is None:
        kwargs.pop("data", None)
    elif isinstance(kwargs["data"], str | bytes):
        kwargs["content"] = kwargs.pop("data")  # raw bodies (negative cases) go as content in httpx
    return {k: v for k, v in kwargs.items() if k in _HTTPX_ARGS}
