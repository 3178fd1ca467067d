"""``python -m portfolio_shared.serve <service>``: PORTFOLIO_WORKERS processes behind one port, each
with its own metrics listener (issue 15: use both cores; the standalone shape stays one process)."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from portfolio_shared.serve import uvicorn_options

pytestmark = pytest.mark.integration


def _free_ports(n: int) -> list[int]:
    """``n`` consecutive free ports (the metrics span)."""
    for _ in range(50):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            base = int(probe.getsockname()[1])
        held: list[socket.socket] = []
        try:
            for port in range(base, base + n):
                sock = socket.socket()
                held.append(sock)
                sock.bind(("127.0.0.1", port))
        except OSError:
            continue
        finally:
            for sock in held:
                sock.close()
        return list(range(base, base + n))
    raise RuntimeError("no free port range")


def test_the_workers_setting_reaches_uvicorn(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PORTFOLIO_WORKERS", "2")
    options = uvicorn_options("artifacts", host="0.0.0.0", port=8000, forwarded_allow_ips="10.0.0.0/8")  # noqa: S104
    assert options["workers"] == 2 and options["factory"] and options["app"] == "portfolio_artifacts.app:create"
    assert (options["access_log"], options["proxy_headers"], options["forwarded_allow_ips"]) == (
        False,
        True,
        "10.0.0.0/8",
    )
    monkeypatch.delenv("PORTFOLIO_WORKERS")
    assert uvicorn_options("records", host="h", port=1, forwarded_allow_ips="x")["workers"] == 1
    with pytest.raises(SystemExit):
        uvicorn_options("../etc", host="h", port=1, forwarded_allow_ips="x")


def test_metrics_take_the_next_port_of_the_span_when_one_is_taken() -> None:
    script = (
        "import socket, sys\n"
        "from portfolio_shared.metrics_port import serve_metrics\n"
        "base = int(sys.argv[1])\n"
        "held = socket.socket(); held.bind(('127.0.0.1', base)); held.listen()\n"
        "print(serve_metrics(base, '127.0.0.1', span=2))\n"
        "try:\n"
        "    import portfolio_shared.metrics_port as m; m._server = None\n"
        "    held2 = socket.socket(); held2.bind(('127.0.0.1', base + 2)); held2.listen()\n"
        "    serve_metrics(base + 2, '127.0.0.1', span=1)\n"
        "except OSError:\n"
        "    print('refused')\n"
    )
    base = _free_ports(3)[0]
    out = subprocess.run(  # a fresh process: the listener is one per process
        [sys.executable, "-c", script, str(base)], capture_output=True, text=True, timeout=60, check=True
    ).stdout.split()
    assert out == [str(base + 1), "refused"]


async def test_two_workers_serve_one_port_each_with_its_metrics(tmp_path: Path) -> None:
    port, metrics = _free_ports(1)[0], _free_ports(2)
    env = {
        **os.environ,
        "PORTFOLIO_WORKERS": "2",
        "PORTFOLIO_METRICS_PORT": str(metrics[0]),
        "PORTFOLIO_ARTIFACTS_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'a.db'}",
        "PORTFOLIO_ARTIFACTS_BROKER_URL": f"sqlite+aiosqlite:///{tmp_path / 'bus.db'}",
        "PORTFOLIO_ARTIFACTS_STORAGE_URL": f"file://{tmp_path / 'objects'}",
        "PORTFOLIO_ARTIFACTS_VERIFY_INTERVAL_SECONDS": "0",
        "PORTFOLIO_ARTIFACTS_LOG_JSON": "false",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "portfolio_shared.serve", "artifacts", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        async with httpx.AsyncClient(timeout=5) as client:
            answered: set[int] = set()
            for _ in range(600):  # two cold starts on a busy machine
                for p in metrics:
                    try:
                        if (await client.get(f"http://127.0.0.1:{p}/metrics")).status_code == 200:
                            answered.add(p)
                    except httpx.TransportError:
                        pass
                if answered == set(metrics):
                    break
                await asyncio.sleep(0.1)
            assert answered == set(metrics)  # two processes, one metrics port each
            assert (await client.get(f"http://127.0.0.1:{port}/healthz")).json()["status"] == "ok"
        children = Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()
        assert len(children) >= 2
    finally:
        proc.terminate()
        proc.wait(30)
