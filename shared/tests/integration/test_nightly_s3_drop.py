"""A school's SIS drop location as an S3 prefix (R-DUTY-3), on a real S3 endpoint (moto server)."""

from __future__ import annotations

import pytest

from portfolio_shared.nightly import DropFolder, DropFolderError
from portfolio_shared.storage.s3 import S3Storage

pytestmark = pytest.mark.integration


async def test_the_newest_export_under_the_school_prefix(s3_url: str) -> None:
    storage = S3Storage.from_url(s3_url)
    missing = DropFolder.of(s3_url, "sis/{school_code}/", school_code="330301", school_id="sid")
    with pytest.raises(DropFolderError) as caught:  # the bucket does not exist yet
        await missing.latest("accounts*.csv", max_bytes=100)
    assert caught.value.reason == "drop_unreadable"
    await storage.ensure_bucket()
    for key, data in (
        ("sis/330301/accounts-20261128.csv", b"old"),
        ("sis/330301/accounts-20261129.csv", "帳號\n".encode()),
        ("sis/330302/accounts-20261130.csv", b"another school"),
    ):
        await storage.put(key, data, content_type="text/csv")
    folder = DropFolder.of(s3_url, "sis/{school_code}/", school_code="330301", school_id="sid")
    dropped = await folder.latest("accounts*.csv", max_bytes=100)
    assert (dropped.key, dropped.data) == ("sis/330301/accounts-20261129.csv", "帳號\n".encode())
    assert "testing-secret" not in folder.shown_as and folder.shown_as.endswith("/sis/330301/")
