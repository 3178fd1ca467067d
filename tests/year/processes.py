"""The whole platform as separate OS processes for the year tests (issue 14): each service under
uvicorn (``portfolio_<name>.app:create --factory``) configured only by environment variables, on its
own fresh PostgreSQL database, the real RabbitMQ (a topology prefix of its own, so queues and
exchanges are this test's), moto's S3 server, and the central-database emulator as its own process.

The test process never imports a service's app: it migrates each database (as the deployment's
migration job does), starts the processes, and from then on talks HTTP only.
"""

from __future__ import annotations

import asyncio
import importlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from portfolio_shared.testing.servers import free_port

SERVICES = ("identity", "records", "artifacts", "submission", "notification")
ADMIN_LOGIN, ADMIN_PASSWORD = "year-admin", "A whole school year 2026!"


class ServiceProcess:
    """One service in its own process; ``kill9`` and ``start`` again keep its port and settings."""

    def __init__(self, name: str, env: dict[str, str], log: Path, port: int) -> None:
        self.name, self.port, self.log = name, port, log
        self.env = {**os.environ, **env, "PYTHONUNBUFFERED": "1"}
        self.proc: subprocess.Popen[bytes] | None = None
        self.starts = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def launch(self) -> None:
        self.starts += 1
        cmd = [sys.executable, "-m", "uvicorn", f"portfolio_{self.name}.app:create", "--factory",
               "--host", "127.0.0.1", "--port", str(self.port), "--log-level", "warning"]  # fmt: skip
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(cmd, env=self.env, stdout=out, stderr=subprocess.STDOUT)

    def wait_ready(self, timeout: float = 90) -> None:
        assert self.proc is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.proc.returncode}:\n{self.tail()}")
            try:
                if httpx.get(f"{self.url}/readyz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"{self.name} did not become ready within {timeout} s:\n{self.tail()}")

    def start(self, timeout: float = 90) -> None:
        self.launch()
        self.wait_ready(timeout)

    def tail(self, chars: int = 4000) -> str:
        return self.log.read_text(errors="replace")[-chars:] if self.log.exists() else ""

    def kill9(self) -> None:
        assert self.proc is not None and self.proc.poll() is None, f"{self.name} is not running"
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait()
        self.proc = None

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None


@dataclass
class Platform:
    services: dict[str, ServiceProcess] = field(default_factory=dict)
    central_url: str = ""
    broker_proxy: Any = None  # TcpProxy between records and the broker
    database_proxy: Any = None  # TcpProxy between artifacts and PostgreSQL

    def url(self, name: str) -> str:
        return self.services[name].url

    def stop(self) -> None:
        for service in reversed(list(self.services.values())):
            service.stop()


def service_values(
    name: str,
    *,
    database_url: str,
    broker_url: str,
    prefix: str,
    s3_url: str,
    ports: dict[str, int],
    central_url: str,
    data: Path,
    package_key: str,
) -> dict[str, Any]:
    identity = f"http://127.0.0.1:{ports['identity']}"
    values: dict[str, Any] = {
        "environment": "test",
        "database_url": database_url,
        "broker_url": broker_url,
        "topology_prefix": prefix,
        "jwks_url": f"{identity}/.well-known/jwks.json",
        "public_base_url": f"http://127.0.0.1:{ports[name]}",
        "log_json": "false",
    }
    if name == "identity":
        values |= {
            "bootstrap_admin_login": ADMIN_LOGIN,
            "bootstrap_admin_password": ADMIN_PASSWORD,
            "acting_refresh_seconds": 0,
            "key_activation_delay_seconds": 0,
        }
    if name == "artifacts":
        values |= {"storage_url": s3_url, "verify_interval_seconds": 0}
    if name == "submission":
        values |= {
            "storage_url": s3_url,
            "package_key": package_key,
            "central_url": central_url,
            "sending_poll_seconds": 0.2,
            "sending_lease_seconds": 2,
            "send_backoff_seconds": 0.5,
            "send_backoff_max_seconds": 1,
            "receipt_close_poll_seconds": 0.5,
        }
    if name == "notification":
        values |= {"eml_folder": str(data / "mail"), "dispatch_poll_seconds": 0.2, "email_backoff_seconds": 0.5}
    return values


async def migrate(name: str, values: dict[str, Any]) -> None:
    """What the deployment's migration step does, before the service's process starts."""
    config = importlib.import_module(f"portfolio_{name}.config")
    bootstrap = importlib.import_module(f"portfolio_{name}.bootstrap")
    settings = config.Settings(**values, run_relay=False, run_consumers=False)
    runtime = bootstrap.bootstrap(settings)
    try:
        await runtime.migrate()
    finally:
        await runtime.engine.dispose()


async def start_platform(
    *,
    make_database: Callable[[str], Awaitable[str]],
    broker_url: str,
    prefix: str,
    s3_url: str,
    central_url: str,
    data: Path,
    package_key: str,
    tag: str,
    broker_urls: dict[str, str] | None = None,
    database_ports: dict[str, int] | None = None,
    extra: dict[str, dict[str, Any]] | None = None,
) -> Platform:
    """Migrate a fresh database per service, then start the five processes (identity first: the
    others fetch its JWKS). ``broker_urls`` routes a service to the broker through a proxy,
    ``database_ports`` to its database (migrations run direct, as a migration job would)."""
    ports = {name: free_port() for name in SERVICES}
    platform = Platform(central_url=central_url)
    for name in SERVICES:
        db = await make_database(f"year_{tag}_{name}")
        values = service_values(
            name,
            database_url=db,
            broker_url=(broker_urls or {}).get(name, broker_url),
            prefix=prefix,
            s3_url=s3_url,
            ports=ports,
            central_url=central_url,
            data=data,
            package_key=package_key,
        ) | (extra or {}).get(name, {})
        await migrate(name, values)
        if name in (database_ports or {}):
            values["database_url"] = via_port(db, (database_ports or {})[name])
        env = {f"PORTFOLIO_{name.upper()}_{k.upper()}": str(v) for k, v in values.items()}
        platform.services[name] = ServiceProcess(name, env, data / f"{name}.log", ports[name])
    try:
        for service in platform.services.values():
            service.launch()
        for service in platform.services.values():
            await asyncio.to_thread(service.wait_ready)
    except BaseException:
        platform.stop()
        raise
    return platform


def via_port(url: str, port: int) -> str:
    """The same URL (credentials, database) to 127.0.0.1:``port``: a proxy in front of the server."""
    parsed = urlsplit(url)
    userinfo = parsed.netloc.rpartition("@")[0]
    return parsed._replace(netloc=f"{userinfo}@127.0.0.1:{port}" if userinfo else f"127.0.0.1:{port}").geturl()
