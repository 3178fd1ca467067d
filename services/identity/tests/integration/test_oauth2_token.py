"""The OAuth2 password grant (RFC 6749 §4.3) that /docs' "Authorize" button of every service uses:
form fields in, the same tokens and refusals as /api/v1/auth/login out."""

from __future__ import annotations

import httpx
import pytest
from identity_support import PASSWORD, bearer, build_world

pytestmark = pytest.mark.integration

FORM = "application/x-www-form-urlencoded"


async def test_password_grant_signs_in_with_form_fields(client: httpx.AsyncClient) -> None:
    await build_world(client)
    r = await client.post(
        "/api/v1/auth/token", data={"grant_type": "password", "username": "a-it", "password": PASSWORD}
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["token_type"] == "Bearer" and body["access_token"] and body["refresh_token"]
    me = await client.get("/api/v1/auth/me", headers=bearer(body["access_token"]))
    assert me.status_code == 200 and me.json()["login_name"] == "a-it"


async def test_password_grant_refusals_are_problems(client: httpx.AsyncClient) -> None:
    await build_world(client)
    wrong = await client.post(
        "/api/v1/auth/token", data={"grant_type": "password", "username": "a-it", "password": "not the password"}
    )
    assert wrong.status_code == 401 and wrong.headers["content-type"].startswith("application/problem+json")
    # grant_type is required and must be "password" (RFC 6749 §4.3.2): other grants are refused.
    for data in (
        {"username": "a-it", "password": PASSWORD},
        {"grant_type": "client_credentials", "username": "a-it", "password": PASSWORD},
        {"grant_type": "password", "password": PASSWORD},
    ):
        r = await client.post("/api/v1/auth/token", data=data)
        assert r.status_code == 422, (data, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
    # JSON is not a form: the grant reads form fields only.
    r = await client.post(
        "/api/v1/auth/token", json={"grant_type": "password", "username": "a-it", "password": PASSWORD}
    )
    assert r.status_code == 422
