"""The same bad request to each service answers the same problem shape (issue 10).

Asking for an object that does not exist goes, in identity, records and artifacts, through the
service layer, which raises the shared ``NotFound`` domain error; the shells (submission,
notification) have no such route yet and answer an unknown path through the framework. Either
way the one mapping of ``portfolio_shared.problems`` answers, so the members, the ``type``, the
titles and the language negotiation are the same everywhere.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest

from portfolio_shared.problems import preferred_language
from portfolio_shared.testing.apps import runtime_and_factory
from portfolio_shared.testing.harness import running
from portfolio_shared.testing.tokens import TokenMinter

SERVICES = ["identity", "records", "artifacts", "submission", "notification"]
MISSING = str(uuid.UUID(int=1))
# Per service: an object that does not exist, asked for with a token that may look (so the 404 is
# the service layer's "not there or not yours", not a missing permission).
BAD_REQUEST: dict[str, tuple[str, dict[str, Any]]] = {
    "identity": (f"/api/v1/schools/{MISSING}/users/{MISSING}", {"schools": {MISSING: ["users:read"]}}),
    "records": ("/api/v1/schools/sch-A/students/" + MISSING, {"schools": {"sch-A": ["records:read"]}}),
    "artifacts": ("/api/v1/outcomes/" + MISSING, {"roles": {"sch-A": ["student"]}, "kind": "student"}),
    "submission": ("/api/v1/no-such-resource/" + MISSING, {}),
    "notification": ("/api/v1/no-such-resource/" + MISSING, {}),
}
SHAPE = {"type", "title", "title_en", "title_zh", "status", "code", "detail", "instance"}


@pytest.mark.parametrize("service", SERVICES)
async def test_the_same_bad_request_answers_the_same_problem_shape(service: str, tmp_path: Path) -> None:
    minter = TokenMinter()
    runtime, create = runtime_and_factory(service, tmp_path, minter.verifier())
    path, claims = BAD_REQUEST[service]
    auth = minter.headers("u-1", **claims) if claims else {}
    async with running(runtime, create) as client:
        default = await client.get(path, headers=auth)
        english = await client.get(path, headers={**auth, "Accept-Language": "en-US,en;q=0.9,zh-TW;q=0.8"})
        browser = await client.get(path, headers={**auth, "Accept-Language": "zh-TW,zh;q=0.9,en;q=0.8"})
    for response in (default, english, browser):
        assert response.status_code == 404, response.text
        assert response.headers["content-type"] == "application/problem+json"
        assert response.headers["vary"] == "Accept-Language"
        body = response.json()
        assert set(body) == SHAPE, body
        assert body["type"] == "https://portfolio.example.org/problems/not-found"
        assert (body["code"], body["status"], body["instance"]) == ("not-found", 404, path)
        assert (body["title_en"], body["title_zh"]) == ("Not found", "查無資料")
    # Taiwanese schools' browsers, and clients that say nothing, read Traditional Chinese.
    assert default.json()["title"] == browser.json()["title"] == "查無資料"
    assert default.headers["content-language"] == browser.headers["content-language"] == "zh-TW"
    # An API client that asks for English gets the English title.
    assert english.json()["title"] == "Not found" and english.headers["content-language"] == "en"


@pytest.mark.parametrize("service", ["identity", "records", "artifacts"])
async def test_a_validation_failure_has_the_same_shape_in_every_service(service: str, tmp_path: Path) -> None:
    """A malformed JSON body: the shared 422 with the field named, title by Accept-Language."""
    minter = TokenMinter()
    runtime, create = runtime_and_factory(service, tmp_path, minter.verifier())
    path = {
        "identity": "/api/v1/auth/login",
        "records": "/api/v1/schools/sch-A/courses",
        "artifacts": "/api/v1/outcomes/uploads",
    }[service]
    auth = minter.headers("u-1", schools={"sch-A": ["course_plan:write"]}, roles={"sch-A": ["student"]})
    async with running(runtime, create) as client:
        r = await client.post(
            path, content=b"{not json", headers={**auth, "Content-Type": "application/json", "Accept-Language": "en"}
        )
    assert r.status_code == 422, r.text
    body = r.json()
    assert body["type"] == "https://portfolio.example.org/problems/validation-failed"
    assert (body["title"], body["title_en"], body["title_zh"]) == (
        "Validation failed",
        "Validation failed",
        "資料驗證失敗",
    )
    assert body["errors"] and body["field"] == body["errors"][0]["field"]


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, "zh-TW"),
        ("", "zh-TW"),
        ("en", "en"),
        ("EN-us", "en"),
        ("zh-TW,zh;q=0.9,en-US;q=0.8,en;q=0.7", "zh-TW"),
        ("en;q=0.5, zh-TW;q=0.9", "zh-TW"),
        ("zh-TW;q=0.5, en;q=0.9", "en"),
        ("fr, en;q=0.8", "en"),  # neither language first: the first one we have
        ("fr, de", "zh-TW"),
        ("en;q=0", "zh-TW"),  # q=0 means "not acceptable"
        ("en, zh", "en"),  # equal weight: the header's order decides
        ("zh, en", "zh-TW"),
        ("en;q=bogus, zh", "zh-TW"),
        ("*", "zh-TW"),
    ],
)
def test_language_negotiation(header: str | None, expected: str) -> None:
    assert preferred_language(header) == expected
