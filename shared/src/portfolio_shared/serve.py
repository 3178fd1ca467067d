"""Serve one service under uvicorn with its ``workers`` setting (PORTFOLIO_WORKERS, default 1).

    python -m portfolio_shared.serve artifacts --host 0.0.0.0 --port 8000

One process per core uses a node's cores from one pod (a deadline-day surge is Python-CPU bound). With
``workers`` > 1 uvicorn's supervisor starts that many processes sharing the listening socket and
restarts one that dies; each builds its own runtime from the app factory, so each runs its own relay,
consumers and schedulers, which are replica-safe (``FOR UPDATE SKIP LOCKED`` claims, competing
consumers with the inbox, nightly claims). The container image (deploy/Dockerfile) starts services
this way; the standalone shape (five services in one process) does not.
"""

from __future__ import annotations

import argparse
import importlib
import os
import re
from typing import Any

import uvicorn

SERVICES = ("identity", "records", "artifacts", "submission", "notification")


def uvicorn_options(service: str, *, host: str, port: int, forwarded_allow_ips: str) -> dict[str, Any]:
    """The keyword arguments for ``uvicorn.run`` (the service's own settings decide ``workers``)."""
    if service not in SERVICES or not re.fullmatch(r"[a-z]+", service):
        raise SystemExit(f"unknown service {service!r}; one of {', '.join(SERVICES)}")
    settings = importlib.import_module(f"portfolio_{service}.config").Settings()
    return {
        "app": f"portfolio_{service}.app:create",
        "factory": True,
        "host": host,
        "port": port,
        "workers": settings.workers,
        # The services write their own access line (route template, no query string: ASVS V16).
        "access_log": False,
        # X-Forwarded-For only from the ingress (ASVS V6): FORWARDED_ALLOW_IPS, else nobody outside.
        "proxy_headers": True,
        "forwarded_allow_ips": forwarded_allow_ips,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("service", choices=SERVICES)
    parser.add_argument("--host", default="0.0.0.0")  # noqa: S104 - the container's port
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--forwarded-allow-ips", default=os.environ.get("FORWARDED_ALLOW_IPS") or "127.0.0.1")
    # Off unless asked: the services write their own access line (route template, no query string).
    parser.add_argument("--access-log", action=argparse.BooleanOptionalAction, default=False)
    args = parser.parse_args(argv)
    options = uvicorn_options(
        args.service, host=args.host, port=args.port, forwarded_allow_ips=args.forwarded_allow_ips
    )
    uvicorn.run(**(options | {"access_log": args.access_log}))


if __name__ == "__main__":
    main()
