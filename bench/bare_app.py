"""The baseline of the read path: a bare FastAPI endpoint, served the same way as the service."""

from typing import Any

from fastapi import FastAPI

app = FastAPI()


@app.get("/bare")
async def bare_endpoint() -> list[dict[str, Any]]:
    return [{"ok": True}]


@app.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}
