"""Completion's verification branches without a server (R-FILE-1, issue 15): what the parser worker
reports decides, and nothing is accepted that nobody hashed where the store does not enforce it."""

from __future__ import annotations

import hashlib
import uuid
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from portfolio_artifacts.adapters.content_check import ContentResult
from portfolio_artifacts.domain.file_rules import DEFAULT_FILE_RULES
from portfolio_artifacts.service_layer.files import verify_received
from portfolio_shared.storage import ObjectInfo
from portfolio_shared.testing.sample_files import sample_pdf

DATA = sample_pdf(3000)


class Store:
    def __init__(self, verifies: bool) -> None:
        self.verifies_uploads = verifies

    async def stat(self, key: str) -> ObjectInfo:
        return ObjectInfo(key=key, size=len(DATA))

    async def read_head(self, key: str, length: int = 4096) -> bytes:
        return DATA[:length]

    async def reader_source(self, key: str) -> str | Path:
        return f"http://store/{key}"


class Parser:
    def __init__(self, result: ContentResult) -> None:
        self.result = result
        self.asked: list[bool] = []

    async def check_object(self, kind: str, source: Any, *, max_bytes: int, sha256: bool) -> ContentResult:
        await source()
        self.asked.append(sha256)
        return self.result


def _row(declared_sha: str | None = None) -> Any:
    return SimpleNamespace(
        id=uuid.uuid4(),
        slot="document",
        filename="report.pdf",
        object_key="s/u/o",
        declared_size=len(DATA),
        declared_sha256=declared_sha or hashlib.sha256(DATA).hexdigest(),
    )


async def _verify(store: Store, parser: Parser, row: Any) -> Any:
    return await verify_received(store, row, DEFAULT_FILE_RULES, parser)  # type: ignore[arg-type]


async def test_a_store_that_enforces_the_checksum_is_not_hashed_again() -> None:
    parser = Parser(ContentResult(True, "PDF, 1 page(s)"))
    verdict = await _verify(Store(verifies=True), parser, _row())
    assert verdict.accepted and verdict.sha256 == hashlib.sha256(DATA).hexdigest() and parser.asked == [False]


async def test_where_the_store_does_not_enforce_it_the_parsers_hash_decides() -> None:
    good = ContentResult(True, "ok", sha256=hashlib.sha256(DATA).hexdigest(), size=len(DATA))
    parser = Parser(good)
    assert (await _verify(Store(verifies=False), parser, _row())).accepted and parser.asked == [True]
    other = ContentResult(True, "ok", sha256=hashlib.sha256(b"x").hexdigest(), size=len(DATA))
    verdict = await _verify(Store(verifies=False), Parser(other), _row())
    assert not verdict.accepted and verdict.error.code == "file-sha256-mismatch"


@pytest.mark.parametrize(
    "result",
    [ContentResult(False, "could not fetch", unreachable=True), ContentResult(True, "ok", sha256=None)],
    ids=["store-unreachable", "no-hash-reported"],
)
async def test_nothing_is_decided_without_a_read_and_a_hash(result: ContentResult) -> None:
    with pytest.raises(ConnectionError):
        await _verify(Store(verifies=False), Parser(result), _row())


async def test_a_parse_failure_is_a_content_refusal() -> None:
    bad = ContentResult(False, "no pages", sha256=hashlib.sha256(DATA).hexdigest(), size=len(DATA))
    verdict = await _verify(Store(verifies=False), Parser(bad), _row())
    assert not verdict.accepted and verdict.error.code == "file-content-invalid" and verdict.error.rule == "R-FILE-1"
