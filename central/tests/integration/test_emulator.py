"""The central-database emulator over the real network path: a uvicorn server in its own process
(the ``central_emulator`` fixture), driven with httpx as the submission service will drive it."""

from __future__ import annotations

import datetime as dt
import io
import json
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from python_calamine import CalamineWorkbook

from portfolio_central import layouts, package, samples
from portfolio_central.package import PackageSpec
from portfolio_central.testing import EmulatorProcess

L = layouts.load()
TAIPEI = dt.timezone(dt.timedelta(hours=8))
KIND, YEAR, SEMESTER = "course_outcomes", 114, 0
URL = f"/api/v1/packages/999001/{KIND}/{YEAR}/{SEMESTER}"


def build(key: str, *, students: int = 2, bad: bool = False, kind: str = KIND, semester: int = SEMESTER) -> bytes:
    wb = L.workbook(kind)
    rows, files = samples.package_content(wb, L, students=students)
    if bad:
        first = wb.sheets[0].name
        rows[first][1] = {**rows[first][1], "description": "述" * 101, "national_id": "A123456788"}
    out = io.BytesIO()  # small test packages; the writer itself streams
    package.write(out, PackageSpec("999001", kind, YEAR, semester, "batch-1", key), rows, files)
    return out.getvalue()


def open_window(
    em: EmulatorProcess, *, kind: str = KIND, semester: int = SEMESTER, opens: int = -1, closes: int = 1
) -> dict[str, Any]:
    now = dt.datetime.now(TAIPEI)
    body = {
        "kind": kind,
        "academic_year": YEAR,
        "semester": semester,
        "opens_at": (now + dt.timedelta(days=opens)).isoformat(),
        "closes_at": (now + dt.timedelta(days=closes)).isoformat(),
    }
    r = em.admin("POST", "/windows", json=body)
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


def put(em: EmulatorProcess, body: bytes, key: str, url: str = URL, timeout: float = 30) -> httpx.Response:
    return httpx.put(
        em.url + url, content=body, headers={"Idempotency-Key": key, "Content-Type": "application/zip"}, timeout=timeout
    )


def accepted(em: EmulatorProcess) -> int:
    return int(httpx.get(em.url + "/healthz", timeout=5).json()["accepted"])


def test_outside_the_window_409_with_taipei_dates(central_emulator: EmulatorProcess) -> None:
    em = central_emulator
    r = put(em, build("key-outside-1"), "key-outside-1")
    assert r.status_code == 409 and r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["code"] == "outside-window" and r.json()["windows"] == [] and r.json()["title_zh"]
    later = open_window(em, opens=1, closes=3)
    assert later["opens_at"].endswith("+08:00")
    r = put(em, build("key-outside-1"), "key-outside-1")
    assert r.status_code == 409
    problem = r.json()
    assert [w["opens_at"] for w in problem["windows"]] == [later["opens_at"]] and problem["now"].endswith("+08:00")
    assert accepted(em) == 0
    open_window(em)  # a second window for the same term (e.g. grade 3's 第一梯次) is allowed
    assert put(em, build("key-outside-1"), "key-outside-1").status_code == 201  # same key, now inside


def test_accept_once_replay_same_answer_and_409_for_another_package(central_emulator: EmulatorProcess) -> None:
    em = central_emulator
    open_window(em)
    body = build("key-once-0001")
    first = put(em, body, "key-once-0001")
    assert first.status_code == 201, first.text
    answer = first.json()
    assert answer["status"] == "accepted" and answer["student_count"] == 2 and answer["received_at"].endswith("+08:00")
    again = put(em, body, "key-once-0001")
    assert again.status_code == 201 and again.json() == answer and again.headers["idempotent-replayed"] == "true"
    assert accepted(em) == 1
    other = put(em, build("key-once-0001", students=3), "key-once-0001")
    assert other.status_code == 409 and other.json()["code"] == "idempotency-key-reused"
    assert accepted(em) == 1
    listed = httpx.get(em.url + URL, timeout=5).json()["submissions"]
    assert [s["submission_id"] for s in listed] == [answer["submission_id"]]


def test_malformed_package_422_with_line_level_reasons(central_emulator: EmulatorProcess) -> None:
    em = central_emulator
    open_window(em)
    body = build("key-bad-00001", bad=True)
    r = put(em, body, "key-bad-00001")
    assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json")
    problem = r.json()
    assert problem["code"] == "package-refused" and problem["title_zh"]
    located = {(e["workbook"], e["sheet"], e["row"], e["column"], e["rule"]) for e in problem["errors"]}
    assert located == {
        ("學生課程學習成果名冊.xlsx", "學期", 3, "身分證號", "national-id"),
        ("學生課程學習成果名冊.xlsx", "學期", 3, "成果簡述", "max-length"),
    }
    assert "A123456788" not in r.text  # reasons never echo a national ID
    assert put(em, body, "key-bad-00001").json() == problem  # same answer on retry
    assert accepted(em) == 0
    refused = httpx.get(em.url + f"/api/v1/submissions/{problem['submission_id']}/receipt", timeout=5)
    assert refused.status_code == 409


def test_request_and_manifest_must_agree(central_emulator: EmulatorProcess) -> None:
    em = central_emulator
    open_window(em)
    r = put(em, build("key-mismatch-1"), "key-mismatch-2")
    assert r.status_code == 422
    assert {(e["rule"], e.get("column")) for e in r.json()["errors"]} == {("manifest-mismatch", "idempotency_key")}
    assert put(em, b"not a zip", "key-notzip-01").json()["errors"][0]["rule"] == "not-a-zip"
    missing_key = httpx.put(em.url + URL, content=b"x", timeout=5)
    assert missing_key.status_code == 422 and missing_key.json()["field"] == "idempotency-key"
    unknown = put(em, b"x", "key-unknown-1", url="/api/v1/packages/999001/counselling/114/0")
    assert unknown.status_code == 404 and unknown.json()["field"] == "kind"


def test_receipt_json_and_workbook(central_emulator: EmulatorProcess) -> None:
    em = central_emulator
    open_window(em)
    answer = put(em, build("key-receipt-1"), "key-receipt-1").json()
    receipt = httpx.get(em.url + answer["receipt_url"], timeout=5).json()
    assert receipt["school_code"] == "999001" and receipt["received_at"].endswith("+08:00")
    assert [s["national_id"] for s in receipt["students"]] == sorted(samples.national_id(n) for n in range(2))
    items = [i for s in receipt["students"] for i in s["items"]]
    assert len(items) == receipt["item_count"] == 8  # 2 students x 4 sheets
    for item in items:
        assert len(item["files"]) == 1
        assert item["files"][0]["sha256"] == _sha(samples.PDF) and item["files"][0]["size"] == len(samples.PDF)
    xlsx = httpx.get(em.url + answer["receipt_workbook_url"], timeout=5)
    assert xlsx.status_code == 200 and "spreadsheetml" in xlsx.headers["content-type"]
    book = CalamineWorkbook.from_filelike(io.BytesIO(xlsx.content))
    rows = book.get_sheet_by_name("收訖明細").to_python()
    assert rows[0][4] == "身分證號" and rows[0][-1] == "SHA-256"
    assert len(rows) == 1 + 8 and {r[4] for r in rows[1:]} == {samples.national_id(n) for n in range(2)}
    assert {r[-1] for r in rows[1:]} == {_sha(samples.PDF)}


def _sha(data: bytes) -> str:
    import hashlib

    return hashlib.sha256(data).hexdigest()


def test_durable_across_kill_9(central_emulator: EmulatorProcess) -> None:
    em = central_emulator
    open_window(em)
    body = build("key-durable-1")
    answer = put(em, body, "key-durable-1").json()
    em.kill()
    em.start()
    assert accepted(em) == 1
    again = put(em, body, "key-durable-1")
    assert again.status_code == 201 and again.json() == answer and accepted(em) == 1
    assert httpx.get(em.url + answer["receipt_url"], timeout=5).json()["item_count"] == 8
    assert (em.data / "packages" / f"{answer['submission_id']}.zip").read_bytes() == body


def test_fault_fail_for_the_next_n_requests(central_emulator: EmulatorProcess) -> None:
    em = central_emulator
    open_window(em)
    assert em.admin("PUT", "/faults", json={"mode": "fail", "count": 2, "status": 502}).status_code == 200
    body = build("key-fail-0001")
    assert [put(em, body, "key-fail-0001").status_code for _ in range(2)] == [502, 502]
    assert accepted(em) == 0
    assert put(em, body, "key-fail-0001").status_code == 201
    assert em.admin("GET", "/faults").json() == {"active": False, "triggered": 2}


def test_fault_after_processing_loses_the_answer_but_a_retry_never_submits_twice(
    central_emulator: EmulatorProcess,
) -> None:
    em = central_emulator
    open_window(em)
    em.admin("PUT", "/faults", json={"mode": "fail", "count": 1, "after": True})
    body = build("key-lost-00001")
    assert put(em, body, "key-lost-00001").status_code == 503
    assert accepted(em) == 1  # the central database did take it
    retry = put(em, body, "key-lost-00001")
    assert retry.status_code == 201 and retry.headers["idempotent-replayed"] == "true"
    assert accepted(em) == 1


def test_fault_hang_times_the_client_out_then_clears(central_emulator: EmulatorProcess) -> None:
    em = central_emulator
    open_window(em)
    em.admin("PUT", "/faults", json={"mode": "hang", "seconds": 30})
    body = build("key-hang-00001")
    with pytest.raises(httpx.ReadTimeout):
        put(em, body, "key-hang-00001", timeout=1.0)
    assert em.admin("GET", "/faults").json()["active"] is True
    assert em.admin("DELETE", "/faults").status_code == 204
    assert put(em, body, "key-hang-00001").status_code == 201


def test_fault_slow_answers_late_for_a_period(central_emulator: EmulatorProcess) -> None:
    em = central_emulator
    open_window(em)
    em.admin("PUT", "/faults", json={"mode": "slow", "delay_seconds": 1.0, "seconds": 2.5})
    started = time.monotonic()
    assert httpx.get(em.url + "/api/v1/windows", timeout=10).status_code == 200
    assert time.monotonic() - started >= 1.0
    time.sleep(2.0)
    started = time.monotonic()
    httpx.get(em.url + "/api/v1/windows", timeout=10)
    assert time.monotonic() - started < 1.0  # the period is over
    assert em.admin("PUT", "/faults", json={"mode": "slow", "after": True}).status_code == 422


def test_admin_needs_the_token_and_validates_windows(central_emulator: EmulatorProcess) -> None:
    em = central_emulator
    assert httpx.get(em.url + "/admin/faults", timeout=5).status_code == 401
    now = dt.datetime.now(TAIPEI)
    bad = {
        "kind": KIND,
        "academic_year": YEAR,
        "semester": 1,
        "opens_at": now.isoformat(),
        "closes_at": (now + dt.timedelta(days=1)).isoformat(),
    }
    r = em.admin("POST", "/windows", json=bad)
    assert r.status_code == 422 and r.json()["field"] == "semester"  # outcomes are yearly: semester 0
    r = em.admin("POST", "/windows", json={**bad, "semester": 0, "closes_at": now.isoformat()})
    assert r.status_code == 422
    r = em.admin("POST", "/windows", json={**bad, "semester": 0, "opens_at": "2026-01-01T00:00:00"})
    assert r.status_code == 422  # a time without its zone is refused
    w = open_window(em)
    assert em.admin("DELETE", f"/windows/{w['id']}").status_code == 204
    assert em.admin("DELETE", f"/windows/{w['id']}").status_code == 404


def test_windows_file_and_size_limit(tmp_path: Path) -> None:
    now = dt.datetime.now(TAIPEI)
    windows = [
        {
            "kind": "cadre_records",
            "academic_year": YEAR,
            "semester": 1,
            "opens_at": (now - dt.timedelta(hours=1)).isoformat(),
            "closes_at": (now + dt.timedelta(hours=1)).isoformat(),
            "label": "第一梯次",
        }
    ]
    (tmp_path / "windows.json").write_text(json.dumps(windows, ensure_ascii=False))
    body = build("key-file-00001", kind="cadre_records", semester=1)
    em = EmulatorProcess(
        tmp_path / "em",
        env={
            "PORTFOLIO_CENTRAL_WINDOWS_FILE": str(tmp_path / "windows.json"),
            "PORTFOLIO_CENTRAL_MAX_PACKAGE_BYTES": str(len(body)),
        },
    )
    em.start()
    try:
        listed = httpx.get(em.url + "/api/v1/windows", timeout=5).json()["windows"]
        assert [(w["label"], w["source"]) for w in listed] == [("第一梯次", "config")]
        url = f"/api/v1/packages/999001/cadre_records/{YEAR}/1"
        too_big = put(em, body + b"\x00", "key-file-00002", url=url)
        assert too_big.status_code == 413 and too_big.json()["code"] == "package-too-large"
        assert put(em, body, "key-file-00001", url=url).status_code == 201  # exactly the limit
    finally:
        em.stop()


def test_concurrent_retries_with_one_key_make_one_submission(central_emulator: EmulatorProcess) -> None:
    from concurrent.futures import ThreadPoolExecutor

    em = central_emulator
    open_window(em)
    body = build("key-concurrent-1", students=20)
    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(lambda _: put(em, body, "key-concurrent-1"), range(4)))
    assert [a.status_code for a in answers] == [201] * 4
    assert len({a.json()["submission_id"] for a in answers}) == 1
    assert sorted(a.headers.get("idempotent-replayed", "") for a in answers) == ["", "true", "true", "true"]
    assert accepted(em) == 1
    spec = httpx.get(em.url + "/openapi.json", timeout=5).json()
    put_op = spec["paths"]["/api/v1/packages/{school_code}/{kind}/{academic_year}/{semester}"]["put"]
    assert "application/zip" in put_op["requestBody"]["content"]
