"""Every service's OpenAPI declares the OAuth2 password flow of identity's token endpoint, so the
"Authorize" button of any service's /docs signs in with a login name and password.

The services still read the token as a plain bearer header (``auth.get_principal``); the flow only
tells clients and Swagger UI where the token comes from. The token URL is a setting
(``oauth2_token_url``) because each service runs on its own host or port.
"""

from __future__ import annotations

from typing import Any

SCHEME = "OAuth2PasswordBearer"


def add_password_flow(schema: dict[str, Any], token_url: str) -> dict[str, Any]:
    schemes = schema.setdefault("components", {}).setdefault("securitySchemes", {})
    schemes[SCHEME] = {
        "type": "oauth2",
        "description": "Sign in at the identity service (OAuth2 password grant); the access token is a bearer token.",
        "flows": {"password": {"tokenUrl": token_url, "scopes": {}}},
    }
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            if not isinstance(operation, dict):
                continue
            security = operation.get("security")
            # Either scheme satisfies the route: a token typed in, or one from the password flow.
            if security and {SCHEME: []} not in security:
                security.append({SCHEME: []})
    return schema
