"""The README's run command starts all five services; each answers /healthz, /readyz and its docs."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx
import jwt

from portfolio_shared.testing.servers import port_open

ROOT = Path(__file__).resolve().parents[1]
SERVICES = ("identity", "records", "artifacts", "submission", "notification")


def _free_base() -> int:
    for _ in range(50):
        base = random.randint(20000, 60000)
        # + the central-database emulator and the portal
        if not any(port_open("127.0.0.1", base + i, timeout=0.2) for i in range(len(SERVICES) + 2)):
            return base
    raise RuntimeError("no seven free consecutive ports")


def test_standalone_command_starts_every_service(tmp_path: Path) -> None:
    base = _free_base()
    ready = tmp_path / "ready"
    proc = subprocess.Popen(
        [
            sys.executable,
            str(ROOT / "scripts" / "portfolio.py"),
            "run",
            "--port-base",
            str(base),
            "--data",
            str(tmp_path / "data"),
            "--ready-file",
            str(ready),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        deadline = time.monotonic() + 120
        while not ready.exists():
            assert proc.poll() is None, f"standalone exited early:\n{proc.stdout.read() if proc.stdout else ''}"
            assert time.monotonic() < deadline, "standalone did not become ready within 120 s"
            time.sleep(0.2)
        for i, name in enumerate(SERVICES):
            url = f"http://127.0.0.1:{base + i}"
            health = httpx.get(f"{url}/healthz", timeout=5)
            assert health.status_code == 200 and health.json()["service"] == name
            readiness = httpx.get(f"{url}/readyz", timeout=10)
            assert readiness.status_code == 200, readiness.text
            assert httpx.get(f"{url}/docs", timeout=5).status_code == 200
            assert httpx.get(f"{url}/openapi.json", timeout=5).json()["info"]["title"]
        school_id = _identity_tokens_work_across_services(base)
        _demo_school_reaches_records_and_artifacts(tmp_path / "data", school_id)
        central = httpx.get(f"http://127.0.0.1:{base + len(SERVICES)}/healthz", timeout=5)  # the next free port
        assert central.status_code == 200 and central.json()["service"] == "central-emulator"
        portal = f"http://127.0.0.1:{base + len(SERVICES) + 1}"  # the web portal, after the emulator
        assert httpx.get(f"{portal}/readyz", timeout=10).status_code == 200
        sign_in = httpx.get(f"{portal}/login", timeout=5)
        assert sign_in.status_code == 200 and '<html lang="zh-Hant-TW">' in sign_in.text
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            output, _ = proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            output, _ = proc.communicate()
    assert proc.returncode == 0, output
    for i in range(len(SERVICES) + 2):
        assert f"http://127.0.0.1:{base + i}" in output  # the URLs are printed, the emulator's and portal's too
    assert (tmp_path / "data" / "central" / "emulator.db").exists()
    assert (tmp_path / "data" / "identity.db").exists() and (tmp_path / "data" / "bus.db").exists()


def _demo_school_reaches_records_and_artifacts(data: Path, school_id: str) -> None:
    """identity publishes the demo school's school.created while the other services are still
    starting; the topology step declared records' queue first, so records gives the school its
    default caps and artifacts keeps a copy of them (issue 19: this event used to be lost)."""
    deadline = time.monotonic() + 30
    while True:
        found = []
        for db, table in (("records.db", "artifact_caps"), ("artifacts.db", "rc_caps")):
            with sqlite3.connect(data / db) as conn:
                found.append(
                    conn.execute(f"SELECT count(*) FROM {table} WHERE school_id = ?", (school_id,)).fetchone()[0]
                )
        if found == [1, 1]:
            return
        assert time.monotonic() < deadline, f"demo school's caps in records, artifacts: {found}"
        time.sleep(0.2)


def _identity_tokens_work_across_services(base: int) -> str:
    """A token issued by identity is verified by records and artifacts through the JWKS alone."""
    identity, records, artifacts = (f"http://127.0.0.1:{base + i}" for i in range(3))
    login = httpx.post(
        f"{identity}/api/v1/auth/login",
        timeout=10,
        json={"login_name": "demo-registry", "password": "demo-password-2025"},
    )
    assert login.status_code == 200, login.text
    token = login.json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    school_id = next(iter(jwt.decode(token, options={"verify_signature": False})["schools"]))
    students = httpx.get(f"{records}/api/v1/schools/{school_id}/students", headers=headers, timeout=10)
    assert students.status_code == 200, students.text
    outcomes = httpx.get(f"{artifacts}/api/v1/outcomes", headers=headers, timeout=10)
    assert outcomes.status_code in (200, 403), outcomes.text  # authenticated either way, never 401
    forged = httpx.get(
        f"{records}/api/v1/schools/{school_id}/students",
        headers={"Authorization": f"Bearer {token[:-4]}AAAA"},
        timeout=10,
    )
    assert forged.status_code == 401
    return str(school_id)
