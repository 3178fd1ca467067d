"""AWS Signature Version 4 query-string presigning with signed headers (S3, MinIO).

minio's ``presigned_put_object`` signs only ``host``: a client holding the URL may PUT any body of
any size. Signing ``content-length`` and ``x-amz-checksum-sha256`` as well makes the store itself
refuse a body of another size (the signature no longer matches) or another SHA-256 (``BadDigest``),
so the service need not re-read what it received to know it is what the student declared. Checked
against the presigned-URL example of the AWS S3 documentation (tests/unit/test_sigv4.py).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from datetime import UTC, datetime
from urllib.parse import quote

ALGORITHM = "AWS4-HMAC-SHA256"


def _uri_encode(value: str, *, keep_slash: bool = False) -> str:
    return quote(value, safe="-_.~/" if keep_slash else "-_.~")


def checksum_header(sha256_hex: str) -> str:
    """The ``x-amz-checksum-sha256`` value of a hex SHA-256: the base64 of its 32 bytes."""
    return base64.b64encode(bytes.fromhex(sha256_hex)).decode()


def _signing_key(secret: str, day: str, region: str, service: str) -> bytes:
    key = hmac.new(f"AWS4{secret}".encode(), day.encode(), hashlib.sha256).digest()
    for part in (region, service, "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return key


def presign(
    *,
    method: str,
    scheme: str,
    host: str,
    path: str,
    access_key: str,
    secret_key: str,
    region: str,
    expires: int,
    headers: Mapping[str, str] | None = None,
    now: datetime | None = None,
    service: str = "s3",
) -> str:
    """A presigned URL for ``method`` on ``scheme://host/path``; ``headers`` (besides ``host``) are
    signed too, so the request must carry exactly those values."""
    when = (now or datetime.now(UTC)).astimezone(UTC)
    amz_date, day = when.strftime("%Y%m%dT%H%M%SZ"), when.strftime("%Y%m%d")
    scope = f"{day}/{region}/{service}/aws4_request"
    signed = {"host": host, **{k.lower(): " ".join(str(v).split()) for k, v in (headers or {}).items()}}
    names = sorted(signed)
    query = {
        "X-Amz-Algorithm": ALGORITHM,
        "X-Amz-Credential": f"{access_key}/{scope}",
        "X-Amz-Date": amz_date,
        "X-Amz-Expires": str(expires),
        "X-Amz-SignedHeaders": ";".join(names),
    }
    canonical_query = "&".join(f"{_uri_encode(k)}={_uri_encode(v)}" for k, v in sorted(query.items()))
    canonical_uri = _uri_encode(path if path.startswith("/") else f"/{path}", keep_slash=True)
    canonical = "\n".join(
        [
            method,
            canonical_uri,
            canonical_query,
            "".join(f"{name}:{signed[name]}\n" for name in names),
            ";".join(names),
            "UNSIGNED-PAYLOAD",
        ]
    )
    to_sign = "\n".join([ALGORITHM, amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()])
    signature = hmac.new(_signing_key(secret_key, day, region, service), to_sign.encode(), hashlib.sha256).hexdigest()
    return f"{scheme}://{host}{canonical_uri}?{canonical_query}&X-Amz-Signature={signature}"
