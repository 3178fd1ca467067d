"""The emulator adapter of the central port over the real network path (the emulator as its own
uvicorn process): a package streamed from object storage, decrypted on the fly, sent with its key;
every answer of the emulator mapped to the port's result."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from portfolio_central import layouts, samples
from portfolio_central.package import PackageSpec
from portfolio_central.testing import EmulatorProcess
from portfolio_shared.storage.local import LocalDiskStorage
from portfolio_submission.adapters.central_emulator import EmulatorCentral
from portfolio_submission.adapters.central_manual import ManualCentral
from portfolio_submission.domain.central import (
    Accepted,
    CentralRejected,
    CentralUnavailable,
    HandedOver,
    PackageRequest,
    ReceiptNotAvailable,
    Refused,
)
from portfolio_submission.packaging.builder import BuiltPackage, build_package, open_package
from portfolio_submission.packaging.crypto import PackageKeyring

pytestmark = pytest.mark.integration

L = layouts.load()
RING = PackageKeyring.parse(PackageKeyring.generate("it"))
TAIPEI = dt.timezone(dt.timedelta(hours=8))
KIND, YEAR = "course_outcomes", 114


@dataclass(frozen=True)
class Ref:
    name: str
    object_key: str
    size: int
    sha256: str


def _package(store: LocalDiskStorage, key: str, *, bad: bool = False, name: str = "p") -> BuiltPackage:
    wb = L.workbook(KIND)
    rows, files = samples.package_content(wb, L, students=2)
    if bad:  # one over-long cell and one wrong national ID check digit: two line-level reasons
        first = wb.sheets[0].name
        rows[first][1] = {**rows[first][1], "description": "述" * 101, "national_id": "A123456788"}
    refs = []
    for f in files:
        data = b"".join(f.open())
        store.write_chunks(f"a/{name}/{f.name}", [data], content_type="application/pdf")
        refs.append(Ref(f.name, f"a/{name}/{f.name}", len(data), hashlib.sha256(data).hexdigest()))
    spec = PackageSpec("999001", KIND, YEAR, 0, "batch-1", key)
    return build_package(store, RING, spec=spec, rows=rows, files=refs, object_key=f"pk/{name}.pfpk")


def _request(built: BuiltPackage, key: str) -> PackageRequest:
    return PackageRequest("999001", KIND, YEAR, 0, key, built.size, built.sha256)


def _open_window(em: EmulatorProcess) -> None:
    now = dt.datetime.now(TAIPEI)
    body = {
        "kind": KIND,
        "academic_year": YEAR,
        "semester": 0,
        "opens_at": (now - dt.timedelta(days=1)).isoformat(),
        "closes_at": (now + dt.timedelta(days=1)).isoformat(),
    }
    assert em.admin("POST", "/windows", json=body).status_code == 201


def _accepted_count(em: EmulatorProcess) -> int:
    return int(httpx.get(em.url + "/healthz", timeout=5).json()["accepted"])


@pytest.fixture
def store(tmp_path: Path) -> LocalDiskStorage:
    return LocalDiskStorage(tmp_path / "objects", secret="s" * 32, base_url="http://test")


async def test_accepted_then_replayed_with_the_same_key_never_twice(
    central_emulator: EmulatorProcess, store: LocalDiskStorage
) -> None:
    em = central_emulator
    central = EmulatorCentral(em.url, timeout=10)
    key = "pfsub-adapter-accept-1"
    built = _package(store, key)

    def body() -> Any:
        return open_package(store, RING, built.object_key)

    # Outside the window: a permanent answer, not recorded, so the same key works once it opens.
    with pytest.raises(CentralRejected) as outside:
        await central.submit(_request(built, key), body)
    assert outside.value.code == "outside-window" and outside.value.status == 409
    _open_window(em)
    first = await central.submit(_request(built, key), body)
    assert isinstance(first, Accepted) and not first.replayed
    assert first.package_sha256 == built.sha256  # the emulator received exactly the built zip
    assert (first.student_count, first.item_count) == (2, 8)
    again = await central.submit(_request(built, key), body)
    assert isinstance(again, Accepted) and again.replayed and again.submission_id == first.submission_id
    assert _accepted_count(em) == 1
    status = await central.status(first.submission_id)
    assert isinstance(status, Accepted) and status.submission_id == first.submission_id
    receipt = await central.fetch_receipt(first.submission_id)
    assert receipt["submission_id"] == first.submission_id and receipt["students"]
    # The same key for a different package: refused for good, never a second submission.
    other = _package(store, key, name="other")
    with pytest.raises(CentralRejected) as reused:
        await central.submit(_request(other, key), lambda: open_package(store, RING, other.object_key))
    assert reused.value.code == "idempotency-key-reused"
    assert _accepted_count(em) == 1
    await central.close()


async def test_a_malformed_workbook_is_refused_with_line_level_reasons(
    central_emulator: EmulatorProcess, store: LocalDiskStorage
) -> None:
    _open_window(central_emulator)
    central = EmulatorCentral(central_emulator.url, timeout=10)
    key = "pfsub-adapter-refused-1"
    built = _package(store, key, bad=True)
    answer = await central.submit(_request(built, key), lambda: open_package(store, RING, built.object_key))
    assert isinstance(answer, Refused) and answer.submission_id
    located = {(e["sheet"], e["row"], e["column"], e["rule"]) for e in answer.errors}
    assert len(located) >= 2 and {e["rule"] for e in answer.errors} >= {"max-length", "national-id"}
    assert all(e["row"] == 3 for e in answer.errors)  # the second data row, below the header
    assert "A123456788" not in str(answer.errors)  # reasons never repeat a cell's value
    status = await central.status(answer.submission_id)  # type: ignore[arg-type]
    assert isinstance(status, Refused) and status.errors == answer.errors
    await central.close()


async def test_unavailable_answers_are_worth_a_retry(
    central_emulator: EmulatorProcess, store: LocalDiskStorage
) -> None:
    em = central_emulator
    _open_window(em)
    key = "pfsub-adapter-faults-1"
    built = _package(store, key)

    def body() -> Any:
        return open_package(store, RING, built.object_key)

    central = EmulatorCentral(em.url, timeout=2)
    assert em.admin("PUT", "/faults", json={"mode": "fail", "count": 1, "status": 503}).status_code == 200
    with pytest.raises(CentralUnavailable) as failed:
        await central.submit(_request(built, key), body)
    assert "503" in failed.value.reason
    # The answer lost after the emulator kept the package: the retry with the same key is replayed.
    assert em.admin("PUT", "/faults", json={"mode": "hang", "count": 1, "after": True}).status_code == 200
    with pytest.raises(CentralUnavailable, match="in time"):
        await central.submit(_request(built, key), body)
    assert _accepted_count(em) == 1
    again = await central.submit(_request(built, key), body)
    assert isinstance(again, Accepted) and again.replayed
    assert _accepted_count(em) == 1
    await central.close()
    # Nobody listening: unreachable, also worth a retry.
    em.stop()
    with pytest.raises(CentralUnavailable, match="unreachable"):
        await EmulatorCentral(em.url, timeout=2).submit(_request(built, key), body)


def test_retry_after_and_status_mapping() -> None:
    from portfolio_submission.adapters.central_emulator import interpret

    def answer(status: int, body: dict[str, Any], **headers: str) -> httpx.Response:
        return httpx.Response(status, json=body, headers=headers)

    with pytest.raises(CentralUnavailable) as caught:
        interpret(answer(503, {"code": "x"}, **{"Retry-After": "120"}))
    assert caught.value.retry_after == 120
    with pytest.raises(CentralUnavailable) as caught:
        interpret(answer(429, {}, **{"Retry-After": "soon"}))
    assert caught.value.retry_after is None
    with pytest.raises(CentralUnavailable):
        interpret(answer(500, {}))
    with pytest.raises(CentralRejected) as rejected:
        interpret(answer(413, {"code": "package-too-large", "detail": "a package is at most 1 bytes"}))
    assert (rejected.value.code, rejected.value.status) == ("package-too-large", 413)
    with pytest.raises(CentralRejected):
        interpret(answer(422, {"code": "validation-error"}))  # a 422 that is not a package refusal
    with pytest.raises(CentralRejected):
        interpret(answer(499, {}))


async def test_the_manual_adapter_hands_over_and_fetches_nothing() -> None:
    manual = ManualCentral()
    request = PackageRequest("999001", KIND, YEAR, 0, "pfsub-manual-1", 1, "0" * 64)
    called: list[int] = []
    answer = await manual.submit(request, lambda: called.append(1) or [])  # type: ignore[func-returns-value]
    assert isinstance(answer, HandedOver) and called == []  # nothing read, nothing sent
    with pytest.raises(ReceiptNotAvailable):
        await manual.fetch_receipt("x")
    with pytest.raises(CentralRejected):
        await manual.status("x")
