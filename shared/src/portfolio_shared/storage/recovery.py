"""Protection and recovery of an S3 bucket (issue 14; "What went wrong before": 25,210 files lost in
2021 because the restore did not exist).

- :func:`protect` turns versioning on (an overwrite or delete keeps the earlier version) and, on a
  bucket created with object lock (the production MinIO tenant), sets the default retention so no
  version can be removed before it ends. :func:`protection` reports what a bucket has.
- :func:`find_version` looks through a key's versions, newest first, for the bytes whose size and
  SHA-256 the database recorded; :func:`restore_version` makes that version current again by a
  server-side copy (the delete marker or the bad version stays in the history: nothing is erased).
- :func:`copy_from` brings an object back from a second bucket (the backup copy, e.g. the target of
  bucket replication) after checking its size and SHA-256.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
from dataclasses import dataclass

from minio.commonconfig import COMPLIANCE, ENABLED, GOVERNANCE, CopySource
from minio.error import S3Error
from minio.objectlockconfig import DAYS, ObjectLockConfig
from minio.versioningconfig import VersioningConfig

from .base import Digest
from .s3 import CHUNK, S3Storage

NOT_FOUND = ("NoSuchKey", "NoSuchObject", "NotFound", "NoSuchVersion")


@dataclass(frozen=True, slots=True)
class Protection:
    versioning: str  # "Enabled", "Suspended" or "Off"
    object_lock: bool
    retention_mode: str | None = None
    retention_days: int | None = None

    @property
    def versioned(self) -> bool:
        return self.versioning == "Enabled"


async def protection(storage: S3Storage) -> Protection:
    def _read() -> Protection:
        status = storage.client.get_bucket_versioning(storage.bucket).status or "Off"
        try:
            lock = storage.client.get_object_lock_config(storage.bucket)
        except S3Error as exc:
            if exc.code in ("ObjectLockConfigurationNotFoundError", "NoSuchObjectLockConfiguration"):
                return Protection(versioning=status, object_lock=False)
            raise
        return Protection(
            versioning=status,
            object_lock=True,
            retention_mode=lock.mode,
            retention_days=None
            if lock.duration is None
            else lock.duration * (365 if lock.duration_unit == "Years" else 1),
        )

    return await asyncio.to_thread(_read)


async def protect(storage: S3Storage, *, retention_days: int, compliance: bool = False) -> Protection:
    """Versioning on; default retention on an object-lock bucket (GOVERNANCE unless ``compliance``)."""
    if retention_days < 1:
        raise ValueError("retention_days must be at least 1")

    def _protect() -> None:
        storage.client.set_bucket_versioning(storage.bucket, VersioningConfig(ENABLED))

    await asyncio.to_thread(_protect)
    current = await protection(storage)
    if current.object_lock:
        mode = COMPLIANCE if compliance else GOVERNANCE
        await asyncio.to_thread(
            storage.client.set_object_lock_config, storage.bucket, ObjectLockConfig(mode, retention_days, DAYS)
        )
        current = await protection(storage)
    return current


def _hash_stream(resp: object, limit: int) -> Digest | None:
    h, size = hashlib.sha256(), 0
    for chunk in resp.stream(CHUNK):  # type: ignore[attr-defined]
        h.update(chunk)
        size += len(chunk)
        if size > limit:
            return None
    return Digest(size=size, sha256=h.hexdigest())


async def find_version(storage: S3Storage, key: str, *, size: int, sha256: str) -> str | None:
    """The id of the newest version of ``key`` holding exactly these bytes, or None."""

    def _find() -> str | None:
        versions = [
            v
            for v in storage.client.list_objects(storage.bucket, prefix=key, include_version=True)
            if v.object_name == key and not v.is_delete_marker and v.version_id and v.size == size
        ]
        versions.sort(key=lambda v: v.last_modified, reverse=True)
        for v in versions:
            resp = storage.client.get_object(storage.bucket, key, version_id=v.version_id)
            try:
                seen = _hash_stream(resp, size)
            finally:
                resp.close()
                resp.release_conn()
            if seen == Digest(size=size, sha256=sha256):
                return str(v.version_id)
        return None

    return await asyncio.to_thread(_find)


async def restore_version(storage: S3Storage, key: str, version_id: str) -> None:
    """Make ``version_id`` the current version of ``key`` (a new version, copied in the bucket)."""
    await asyncio.to_thread(
        storage.client.copy_object, storage.bucket, key, CopySource(storage.bucket, key, version_id=version_id)
    )


async def copy_from(backup: S3Storage, storage: S3Storage, key: str, *, size: int, sha256: str) -> bool:
    """Copy ``key`` from the backup bucket if it holds exactly these bytes; False when it does not."""

    def _copy() -> bool:
        try:
            resp = backup.client.get_object(backup.bucket, key)
        except S3Error as exc:
            if exc.code in NOT_FOUND:
                return False
            raise
        try:
            data = bytearray()
            h = hashlib.sha256()
            for chunk in resp.stream(CHUNK):
                data += chunk
                h.update(chunk)
                if len(data) > size:
                    return False
            content_type = resp.headers.get("Content-Type") or "application/octet-stream"
        finally:
            resp.close()
            resp.release_conn()
        if len(data) != size or h.hexdigest() != sha256:
            return False
        storage.client.put_object(storage.bucket, key, io.BytesIO(bytes(data)), size, content_type)
        return True

    return await asyncio.to_thread(_copy)
