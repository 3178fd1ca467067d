"""The portal's edge without servers: the five services are an httpx MockTransport that records every
call, the portal runs in-process (ASGI). CSRF on every form (ASVS V3.5), the sealed session cookie and
its attributes, the language switch, problem+json shown with its zh-TW title and field, token refresh,
a revoked token, and no open redirect after sign-in."""

from __future__ import annotations

import base64
import json
import re
import time
from collections.abc import Callable
from typing import Any, ClassVar

import httpx
import pytest
from fastapi.routing import APIRoute

from portfolio_portal.app import create
from portfolio_portal.config import Settings
from portfolio_portal.domain.session import Session, SessionSealer

SCHOOL = "school-1"
Handler = Callable[[httpx.Request], httpx.Response]


def fake_token(perms: list[str], *, kind: str = "student", exp_in: float = 600, sub: str = "user-1") -> str:
    def b64(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    claims = {
        "sub": sub,
        "name": "demo-student",
        "kind": kind,
        "schools": {SCHOOL: {"roles": ["student"], "perms": perms}},
        "exp": time.time() + exp_in,
    }
    return f"{b64({'alg': 'none'})}.{b64(claims)}.sig"


STUDENT_PERMS = ["outcome:upload", "selection:write", "records:read_own", "schedule:read"]


def problem(status: int, code: str, title_en: str, title_zh: str, **extra: Any) -> httpx.Response:
    body = {"type": f"https://portfolio.example.org/problems/{code}", "code": code, "status": status}
    body |= {"title": title_zh, "title_en": title_en, "title_zh": title_zh, **extra}
    return httpx.Response(status, json=body, headers={"content-type": "application/problem+json"})


class FakeServices:
    """Routes (method, service port, path) to handlers; records every call the portal makes."""

    PORTS: ClassVar[dict[str, str]] = {
        "8001": "identity",
        "8002": "records",
        "8003": "artifacts",
        "8004": "submission",
        "8005": "notification",
    }

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, str, httpx.Request]] = []
        self.routes: dict[tuple[str, str, str], Handler] = {
            ("POST", "identity", "/api/v1/auth/token"): lambda r: httpx.Response(
                200,
                json={
                    "access_token": fake_token(STUDENT_PERMS),
                    "token_type": "Bearer",
                    "expires_in": 600,
                    "refresh_token": "refresh-1",
                    "refresh_expires_in": 3600,
                },
            ),
            ("GET", "records", f"/api/v1/schools/{SCHOOL}/settings"): lambda r: httpx.Response(
                200, json={"school_id": SCHOOL, "time_zone": "Asia/Taipei", "sis_import_window": None}
            ),
        }

    def __call__(self, request: httpx.Request) -> httpx.Response:
        service = self.PORTS[str(request.url.port)]
        self.calls.append((request.method, service, request.url.path, request))
        handler = self.routes.get((request.method, service, request.url.path))
        if handler is None:
            return problem(404, "not-found", "Not found", "查無資料")
        return handler(request)

    def called(self, service: str, path_part: str = "") -> list[httpx.Request]:
        return [r for _, s, p, r in self.calls if s == service and path_part in p]


@pytest.fixture
def fake() -> FakeServices:
    return FakeServices()


def make_client(fake: FakeServices, **settings: Any) -> httpx.AsyncClient:
    app = create(Settings(session_secret="x" * 40, **settings), transport=httpx.MockTransport(fake))
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="https://portal.test")


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, html[:500]
    return match.group(1)


async def signed_in(client: httpx.AsyncClient) -> str:
    page = await client.get("/login")
    r = await client.post(
        "/login", data={"username": "demo-student", "password": "pw", "csrf_token": csrf_of(page.text), "next": "/"}
    )
    assert r.status_code == 303 and r.headers["location"] == "/", r.text
    home = await client.get("/")
    assert home.status_code == 200
    return csrf_of(home.text)


# -- CSRF (ASVS V3.5) ----------------------------------------------------------------------------------


async def test_sign_in_without_or_with_a_wrong_csrf_token_is_refused_before_identity_is_asked(
    fake: FakeServices,
) -> None:
    async with make_client(fake) as client:
        page = await client.get("/login")
        assert page.status_code == 200
        for token in (None, "forged", csrf_of(page.text)[:-2] + "xx"):
            data = {"username": "demo-student", "password": "pw", **({"csrf_token": token} if token else {})}
            r = await client.post("/login", data=data)
            assert r.status_code == 403
            assert "表單已失效" in r.text
        assert fake.called("identity", "/auth/token") == []
        r = await client.post("/login", data={"username": "u", "password": "p", "csrf_token": csrf_of(page.text)})
        assert r.status_code == 303
        assert len(fake.called("identity", "/auth/token")) == 1


async def test_every_form_route_refuses_a_request_without_the_sessions_csrf_token(fake: FakeServices) -> None:
    async with make_client(fake) as client:
        token = await signed_in(client)
        app = client._transport.app  # type: ignore[attr-defined]
        posts = _post_paths(app)
        expected = {"/login", "/logout", "/outcomes/uploads", "/certify/{outcome_id}", "/selection/{kind}/{item_id}"}
        assert expected <= set(posts)
        before = len(fake.calls)
        some_id = "6f1b8f2e-2a39-4b4b-9d3c-9b8f3f1e2a10"
        for path in posts:
            if path == "/login":
                continue
            url = path.replace("{outcome_id}", some_id).replace("{performance_id}", some_id)
            url = url.replace("{item_id}", some_id).replace("{kind}", "outcome").replace("{message_id}", some_id)
            r = await client.post(url, data={"reason": "x", "selected": "true", "year": "114", "school_id": SCHOOL})
            assert r.status_code == 403, (path, r.status_code, r.text[:300])
            r = await client.post(url, headers={"X-CSRF-Token": token + "x"}, json={})
            assert r.status_code == 403, path
        assert len(fake.calls) == before, "a refused form reached a service"
        # The right token passes (the header form, as htmx and the upload script send it).
        fake.routes[("PUT", "artifacts", f"/api/v1/outcomes/{some_id}/selection")] = lambda r: httpx.Response(
            200, json={}
        )
        fake.routes[("GET", "artifacts", "/api/v1/outcomes")] = lambda r: httpx.Response(200, json=[])
        fake.routes[("GET", "artifacts", "/api/v1/performances")] = lambda r: httpx.Response(200, json=[])
        r = await client.post(
            f"/selection/outcome/{some_id}", data={"selected": "true", "year": "114"}, headers={"X-CSRF-Token": token}
        )
        assert r.status_code == 200
        assert len(fake.called("artifacts", f"/outcomes/{some_id}/selection")) == 1


def _post_paths(app: Any) -> list[str]:
    out = []
    for route in app.routes:
        original = getattr(route, "original_router", None)
        for r in getattr(original, "routes", [route]):
            if isinstance(r, APIRoute) and "POST" in r.methods:
                out.append(r.path)
    return sorted(out)


async def test_a_csrf_token_from_before_sign_in_is_worth_nothing_after_it(fake: FakeServices) -> None:
    async with make_client(fake) as client:
        page = await client.get("/login")
        before = csrf_of(page.text)
        after = await signed_in(client)
        assert before != after
        r = await client.post("/logout", data={"csrf_token": before})
        assert r.status_code == 403


# -- the session cookie --------------------------------------------------------------------------------


async def test_the_session_cookie_is_sealed_httponly_secure_and_samesite_lax(fake: FakeServices) -> None:
    issued = fake_token(STUDENT_PERMS)
    fake.routes[("POST", "identity", "/api/v1/auth/token")] = lambda r: httpx.Response(
        200, json={"access_token": issued, "refresh_token": "refresh-1"}
    )
    async with make_client(fake) as client:
        page = await client.get("/login")
        r = await client.post("/login", data={"username": "u", "password": "p", "csrf_token": csrf_of(page.text)})
        cookies = [v for k, v in r.headers.multi_items() if k == "set-cookie" and v.startswith("portal_s0=")]
        assert len(cookies) == 1
        attrs = cookies[0].lower()
        assert "httponly" in attrs and "secure" in attrs and "samesite=lax" in attrs
        value = cookies[0].split(";")[0].removeprefix("portal_s0=")
        # Neither token is readable in the cookie (sealed, not merely encoded).
        for segment in (*issued.split(".")[:2], "refresh-1"):
            assert segment not in value
        assert b"refresh-1" not in base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))


async def test_cookie_secure_can_be_turned_off_for_plain_http_on_localhost_only(fake: FakeServices) -> None:
    async with make_client(fake, cookie_secure=False) as client:
        page = await client.get("/login")
        r = await client.post("/login", data={"username": "u", "password": "p", "csrf_token": csrf_of(page.text)})
        cookie = next(v for k, v in r.headers.multi_items() if k == "set-cookie" and v.startswith("portal_s0="))
        assert "secure" not in cookie.lower() and "httponly" in cookie.lower()
    with pytest.raises(ValueError, match="COOKIE_SECURE"):
        Settings(environment="production", session_secret="s" * 40, cookie_secure=False)
    with pytest.raises(ValueError, match="SESSION_SECRET"):
        Settings(environment="production")
    with pytest.raises(ValueError, match="SESSION_SECRET"):
        Settings(environment="production", session_secret="s" * 31)
    assert Settings(environment="production", session_secret="s" * 32).cookie_secure


def test_sealed_sessions_open_only_whole_under_their_key_and_within_their_age() -> None:
    sealer = SessionSealer("k" * 40)
    session = Session(fake_token(STUDENT_PERMS * 60), "refresh")  # a large token: several cookies
    chunks = sealer.seal(session)
    assert len(chunks) >= 2 and all(len(c) <= 3800 for c in chunks)
    opened = sealer.open(chunks, max_age=60)
    assert opened is not None and opened.access_token == session.access_token and opened.sid == session.sid
    assert sealer.open(chunks[:-1], max_age=60) is None  # a chunk missing
    tampered = chunks[0][:-3] + ("AAA" if not chunks[0].endswith("AAA") else "BBB")
    assert sealer.open([tampered, *chunks[1:]], max_age=60) is None
    assert SessionSealer("other" * 10).open(chunks, max_age=60) is None
    assert sealer.open(chunks, max_age=60, now=session.started_at + 60) is not None  # at the limit
    assert sealer.open(chunks, max_age=60, now=session.started_at + 60.5) is None  # past it
    assert sealer.open([], max_age=60) is None
    with pytest.raises(ValueError, match="too large"):
        sealer.seal(Session("x" * 20000, "r"))


def test_csrf_tokens_are_bound_to_their_session() -> None:
    sealer = SessionSealer("k" * 40)
    assert sealer.csrf_ok("sid-1", sealer.csrf_token("sid-1"))
    assert not sealer.csrf_ok("sid-2", sealer.csrf_token("sid-1"))
    assert not sealer.csrf_ok("", sealer.csrf_token(""))
    assert not sealer.csrf_ok("sid-1", None)
    assert not SessionSealer("j" * 40).csrf_ok("sid-1", sealer.csrf_token("sid-1"))


async def test_a_tampered_session_cookie_is_cleared_and_the_visitor_sent_to_sign_in(fake: FakeServices) -> None:
    async with make_client(fake) as client:
        await signed_in(client)
        client.cookies.set("portal_s0", "garbage", domain="portal.test")
        r = await client.get("/outcomes")
        assert r.status_code == 303 and r.headers["location"].startswith("/login")


# -- tokens: refresh and revocation --------------------------------------------------------------------


async def test_an_access_token_about_to_expire_is_refreshed_and_a_refused_refresh_signs_out(
    fake: FakeServices,
) -> None:
    fake.routes[("POST", "identity", "/api/v1/auth/token")] = lambda r: httpx.Response(
        200, json={"access_token": fake_token(STUDENT_PERMS, exp_in=30), "refresh_token": "old"}
    )
    fake.routes[("POST", "identity", "/api/v1/auth/refresh")] = lambda r: httpx.Response(
        200, json={"access_token": fake_token(STUDENT_PERMS, exp_in=600), "refresh_token": "new"}
    )
    async with make_client(fake) as client:
        await signed_in(client)  # the home page already refreshed the 30-second token
        refreshes = fake.called("identity", "/auth/refresh")
        assert len(refreshes) == 1 and json.loads(refreshes[0].content) == {"refresh_token": "old"}
        await client.get("/")
        assert len(fake.called("identity", "/auth/refresh")) == 1  # fresh now: not again
    fake2 = FakeServices()
    fake2.routes[("POST", "identity", "/api/v1/auth/token")] = fake.routes[("POST", "identity", "/api/v1/auth/token")]
    fake2.routes[("POST", "identity", "/api/v1/auth/refresh")] = lambda r: problem(
        401, "not-authenticated", "Not authenticated", "尚未登入或憑證無效"
    )
    async with make_client(fake2) as client:
        page = await client.get("/login")
        await client.post("/login", data={"username": "u", "password": "p", "csrf_token": csrf_of(page.text)})
        r = await client.get("/outcomes")
        assert r.status_code == 303 and r.headers["location"].startswith("/login")


async def test_a_token_a_service_refuses_ends_the_session(fake: FakeServices) -> None:
    fake.routes[("GET", "artifacts", "/api/v1/history")] = lambda r: problem(
        401, "token-revoked", "Token revoked", "憑證已撤銷"
    )
    async with make_client(fake) as client:
        await signed_in(client)
        r = await client.get("/history")
        assert r.status_code == 303 and r.headers["location"] == "/login?next=/history"
        r = await client.get("/")
        assert r.status_code == 303  # the cookie was cleared


async def test_every_call_carries_the_persons_own_token(fake: FakeServices) -> None:
    issued = fake_token(STUDENT_PERMS, sub="student-42")
    fake.routes[("POST", "identity", "/api/v1/auth/token")] = lambda r: httpx.Response(
        200, json={"access_token": issued, "refresh_token": "r"}
    )
    fake.routes[("GET", "artifacts", "/api/v1/history")] = lambda r: httpx.Response(200, json=[])
    async with make_client(fake) as client:
        await signed_in(client)
        await client.get("/history")
        (call,) = fake.called("artifacts", "/history")
        assert call.headers["authorization"] == f"Bearer {issued}"
        assert call.headers["accept-language"] == "zh-TW"


# -- languages and problems ----------------------------------------------------------------------------


async def test_zh_tw_by_default_english_by_switch_and_problems_in_the_readers_language(fake: FakeServices) -> None:
    fake.routes[("GET", "artifacts", "/api/v1/history")] = lambda r: problem(
        409, "window-closed", "Outside the window", "不在學校規定的作業期間內", field="outcome_upload", rule="R-ART-1"
    )
    async with make_client(fake) as client:
        await signed_in(client)
        r = await client.get("/history")
        assert r.status_code == 409
        assert '<html lang="zh-Hant-TW">' in r.text
        assert "不在學校規定的作業期間內" in r.text and "outcome_upload" in r.text and "R-ART-1" in r.text
        assert "Outside the window" not in r.text
        switch = await client.get("/lang/en", params={"next": "/history"})
        assert switch.status_code == 303 and switch.headers["location"] == "/history"
        r = await client.get("/history")
        assert '<html lang="en">' in r.text
        assert "Outside the window" in r.text and "不在學校規定的作業期間內" not in r.text
        assert fake.called("artifacts", "/history")[-1].headers["accept-language"] == "en"
        assert (await client.get("/lang/xx")).status_code == 303  # unknown: ignored
        assert '<html lang="en">' in (await client.get("/history")).text


async def test_an_upload_refusal_comes_back_with_the_zh_tw_title_and_the_field(fake: FakeServices) -> None:
    fake.routes[("POST", "artifacts", "/api/v1/outcomes/uploads")] = lambda r: problem(
        422, "description-invalid", "Invalid description", "內容簡述不正確", field="description", rule="R-FILE-2"
    )
    async with make_client(fake) as client:
        token = await signed_in(client)
        body = {"course_id": "c1", "title": "t", "description": "d" * 101, "files": []}
        r = await client.post("/outcomes/uploads", json=body, headers={"X-CSRF-Token": token})
        answer = r.json()
        assert answer["ok"] is False and answer["field"] == "description"
        assert "內容簡述不正確" in answer["error_html"] and "R-FILE-2" in answer["error_html"]
        # The idempotency key makes a retried start harmless at artifacts.
        assert fake.called("artifacts", "/outcomes/uploads")[0].headers["idempotency-key"]


async def test_a_refused_completion_cancels_the_draft_so_nothing_is_kept(fake: FakeServices) -> None:
    item = "6f1b8f2e-2a39-4b4b-9d3c-9b8f3f1e2a10"
    fake.routes[("POST", "artifacts", f"/api/v1/outcomes/{item}/complete")] = lambda r: problem(
        422, "disguised-executable", "Executable disguised", "檔案為偽裝之執行檔或程式碼", field="files[0]"
    )
    fake.routes[("DELETE", "artifacts", f"/api/v1/outcomes/{item}")] = lambda r: httpx.Response(204)
    async with make_client(fake) as client:
        token = await signed_in(client)
        r = await client.post(f"/outcomes/{item}/complete", headers={"X-CSRF-Token": token})
        assert r.json()["ok"] is False and "檔案為偽裝之執行檔或程式碼" in r.json()["error_html"]
        assert len([c for c in fake.calls if c[0] == "DELETE" and c[2] == f"/api/v1/outcomes/{item}"]) == 1
    # A completion the service accepted cancels nothing.
    fake2 = FakeServices()
    fake2.routes[("POST", "artifacts", f"/api/v1/outcomes/{item}/complete")] = lambda r: httpx.Response(
        200, json={"id": item, "status": "submitted"}
    )
    async with make_client(fake2) as client:
        token = await signed_in(client)
        r = await client.post(f"/outcomes/{item}/complete", headers={"X-CSRF-Token": token})
        assert r.json() == {"ok": True, "id": item, "status": "submitted"}
        assert not [c for c in fake2.calls if c[0] == "DELETE"]


async def test_an_unreachable_service_is_a_503_page_not_a_crash(fake: FakeServices) -> None:
    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    fake.routes[("GET", "artifacts", "/api/v1/history")] = down
    async with make_client(fake) as client:
        await signed_in(client)
        r = await client.get("/history")
        assert r.status_code == 503 and "服務暫時無法使用" in r.text


# -- redirects and pages -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/outcomes", "/outcomes"),
        ("https://evil.example/", "/"),
        ("//evil.example/", "/"),
        ("/\\evil.example", "/"),
        ("javascript:alert(1)", "/"),
        ("", "/"),
    ],
)
async def test_no_open_redirect_after_sign_in(fake: FakeServices, target: str, expected: str) -> None:
    async with make_client(fake) as client:
        page = await client.get("/login")
        r = await client.post(
            "/login", data={"username": "u", "password": "p", "csrf_token": csrf_of(page.text), "next": target}
        )
        assert r.headers["location"] == expected


async def test_anonymous_pages_send_to_sign_in_and_pages_carry_security_headers(fake: FakeServices) -> None:
    async with make_client(fake) as client:
        for path in ("/", "/outcomes", "/certify", "/accounts", "/selection"):
            r = await client.get(path)
            assert r.status_code == 303 and r.headers["location"] == f"/login?next={path}"
        r = await client.get("/login")
        assert "frame-ancestors 'none'" in r.headers["content-security-policy"]
        assert "script-src 'self'" in r.headers["content-security-policy"]
        assert r.headers["x-content-type-options"] == "nosniff"
        assert 'name="viewport"' in r.text and '<label for="username">' in r.text
        assert fake.calls == []


async def test_a_wrong_password_shows_identitys_problem_on_the_sign_in_page(fake: FakeServices) -> None:
    fake.routes[("POST", "identity", "/api/v1/auth/token")] = lambda r: problem(
        401, "invalid-credentials", "Invalid login name or password", "帳號或密碼錯誤"
    )
    async with make_client(fake) as client:
        page = await client.get("/login")
        r = await client.post(
            "/login", data={"username": "demo-student", "password": "x", "csrf_token": csrf_of(page.text)}
        )
        assert r.status_code == 401 and "帳號或密碼錯誤" in r.text
        assert 'value="demo-student"' in r.text  # the login name stays, the password does not
        assert "portal_s0=" not in r.headers.get("set-cookie", "")


async def test_the_cap_shown_and_a_cap_refusal_named_on_the_outcomes_page(fake: FakeServices) -> None:
    """Uploads left = the school's cap minus what counts (R-ART-2); at the cap the button is disabled
    and artifacts' refusal is shown with its zh-TW title."""
    outcome = {
        "id": "o1",
        "course_id": "c1",
        "title": "成果",
        "status": "submitted",
        "selected": False,
        "updated_at": "2026-03-01T00:00:00Z",
        "return_reason": None,
    }
    cap = {"n": 2}
    fake.routes[("GET", "artifacts", "/api/v1/outcomes")] = lambda r: httpx.Response(200, json=[outcome, outcome])
    fake.routes[("GET", "records", f"/api/v1/schools/{SCHOOL}/courses/mine")] = lambda r: httpx.Response(
        200, json=[{"id": "c1", "subject_name": "英語文", "course_code": "ENG"}]
    )
    fake.routes[("GET", "records", f"/api/v1/schools/{SCHOOL}/artifact-caps")] = lambda r: httpx.Response(
        200, json={"school_id": SCHOOL, "outcomes_per_semester": cap["n"], "performances_per_year": 30}
    )
    fake.routes[("POST", "artifacts", "/api/v1/outcomes/uploads")] = lambda r: problem(
        409, "upload-cap-reached", "Upload cap reached", "已達上傳件數上限", rule="R-ART-2"
    )
    async with make_client(fake) as client:
        token = await signed_in(client)
        page = await client.get("/outcomes", params={"year": 114, "semester": 2})
        assert "本學期還可上傳 0 件（上限 2 件）" in page.text
        assert re.search(r'<button type="submit"\s+disabled>上傳</button>', page.text)
        cap["n"] = 3
        page = await client.get("/outcomes", params={"year": 114, "semester": 2})
        assert "本學期還可上傳 1 件（上限 3 件）" in page.text
        assert not re.search(r'<button type="submit"\s+disabled>上傳</button>', page.text)
        r = await client.post(
            "/outcomes/uploads",
            json={"course_id": "c1", "title": "t", "description": "d", "files": []},
            headers={"X-CSRF-Token": token},
        )
        assert r.json()["ok"] is False and "已達上傳件數上限" in r.json()["error_html"]


async def test_one_access_line_per_request_with_the_route_template_and_no_query(
    fake: FakeServices, caplog: pytest.LogCaptureFixture
) -> None:
    async with make_client(fake) as client:
        with caplog.at_level("INFO", logger="portfolio.access"):
            await client.get("/outcomes/6f1b8f2e-2a39-4b4b-9d3c-9b8f3f1e2a10", params={"token": "secret-value"})
    lines = [r.getMessage() for r in caplog.records if r.name == "portfolio.access"]
    assert len(lines) == 1 and lines[0].startswith("GET /outcomes/{outcome_id} 303 ")
    assert "secret-value" not in caplog.text and "6f1b8f2e" not in lines[0]


async def test_it_sets_a_dutys_responsible_and_delegates_by_login_name_and_an_unknown_one_is_named(
    fake: FakeServices,
) -> None:
    it_perms = ["users:read", "users:manage", "duties:manage"]
    fake.routes[("POST", "identity", "/api/v1/auth/token")] = lambda r: httpx.Response(
        200, json={"access_token": fake_token(it_perms, kind="staff"), "refresh_token": "r"}
    )

    def users(request: httpx.Request) -> httpx.Response:
        people = {
            "staff": [{"id": "u-reg", "login_name": "registry-head", "display_name": "註冊組長"}],
            "teacher": [{"id": "u-t1", "login_name": "teacher-1", "display_name": "王老師"}],
        }[request.url.params["kind"]]
        return httpx.Response(200, json={"items": people, "total": len(people), "limit": 500, "offset": 0})

    fake.routes[("GET", "identity", f"/api/v1/schools/{SCHOOL}/users")] = users
    fake.routes[("GET", "identity", f"/api/v1/schools/{SCHOOL}/duties")] = lambda r: httpx.Response(
        200,
        json=[
            {
                "code": "enrolment",
                "name_en": "Enrolment data",
                "name_zh": "學生學籍資料",
                "responsible_roles": ["registry"],
                "responsible_user_ids": [],
                "delegate_user_ids": ["u-t1"],
                "acting_user_id": "u-t1",
            }
        ],
    )
    fake.routes[("PUT", "identity", f"/api/v1/schools/{SCHOOL}/duties/enrolment/order")] = lambda r: httpx.Response(
        200, json={}
    )
    async with make_client(fake) as client:
        token = await signed_in(client)
        page = await client.get("/duties")
        assert "學生學籍資料" in page.text and "王老師 (teacher-1)" in page.text
        assert 'name="delegates" value="teacher-1"' in page.text
        r = await client.post(
            "/duties/enrolment/order",
            data={"csrf_token": token, "responsible": "registry-head", "delegates": "teacher-1、 nobody-x"},
        )
        assert r.status_code == 422 and "nobody-x" in r.text and "delegate_user_ids" in r.text
        assert not [c for c in fake.calls if c[0] == "PUT"]
        r = await client.post(
            "/duties/enrolment/order",
            data={"csrf_token": token, "responsible": "registry-head", "delegates": "teacher-1"},
        )
        assert r.status_code == 303
        (put,) = [c[3] for c in fake.calls if c[0] == "PUT"]
        assert json.loads(put.content) == {"responsible_user_ids": ["u-reg"], "delegate_user_ids": ["u-t1"]}
