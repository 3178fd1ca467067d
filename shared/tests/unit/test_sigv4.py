"""SigV4 query presigning (portfolio_shared.storage.sigv4) against the AWS documentation's example."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

from portfolio_shared.storage.sigv4 import checksum_header, presign

# "Authenticating Requests: Using Query Parameters (AWS Signature Version 4)", example presigned URL.
AWS_EXAMPLE = dict(
    method="GET",
    scheme="https",
    host="examplebucket.s3.amazonaws.com",
    path="/test.txt",
    access_key="AKIAIOSFODNN7EXAMPLE",
    secret_key="wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    region="us-east-1",
    expires=86400,
    now=datetime(2013, 5, 24, tzinfo=UTC),
)


def test_matches_the_aws_documented_example() -> None:
    url = presign(**AWS_EXAMPLE)  # type: ignore[arg-type]
    query = parse_qs(urlsplit(url).query)
    assert query["X-Amz-Signature"] == ["aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404"]
    assert query["X-Amz-SignedHeaders"] == ["host"]
    assert query["X-Amz-Credential"] == ["AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request"]


def test_signed_headers_change_the_signature_and_are_listed() -> None:
    plain = parse_qs(urlsplit(presign(**AWS_EXAMPLE)).query)  # type: ignore[arg-type]
    sha = checksum_header(hashlib.sha256(b"x").hexdigest())
    one = presign(**AWS_EXAMPLE, headers={"Content-Length": "1", "x-amz-checksum-sha256": sha})  # type: ignore[arg-type]
    two = presign(**AWS_EXAMPLE, headers={"Content-Length": "2", "x-amz-checksum-sha256": sha})  # type: ignore[arg-type]
    q1, q2 = parse_qs(urlsplit(one).query), parse_qs(urlsplit(two).query)
    assert q1["X-Amz-SignedHeaders"] == ["content-length;host;x-amz-checksum-sha256"]
    assert len({plain["X-Amz-Signature"][0], q1["X-Amz-Signature"][0], q2["X-Amz-Signature"][0]}) == 3


def test_keys_are_uri_encoded_once() -> None:
    url = presign(**{**AWS_EXAMPLE, "path": "/bucket/學校/a b+c"})  # type: ignore[arg-type]
    assert urlsplit(url).path == "/bucket/%E5%AD%B8%E6%A0%A1/a%20b%2Bc"


def test_checksum_header_is_base64_of_the_digest() -> None:
    assert checksum_header(hashlib.sha256(b"").hexdigest()) == "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
