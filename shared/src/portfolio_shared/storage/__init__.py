"""Object storage: the port and its S3 (MinIO) and local-disk adapters."""

from __future__ import annotations

from .base import Digest, InspectableStorage, Inspection, ObjectInfo, ObjectStorage, PresignedRequest
from .disposition import content_disposition


def make_storage(url: str, *, secret: str, base_url: str) -> ObjectStorage:
    """``s3://...`` gives S3/MinIO; ``file://relative/or//absolute/path`` the local disk."""
    if url.startswith("s3://"):
        from .s3 import S3Storage

        return S3Storage.from_url(url)
    if url.startswith("file://"):
        from .local import LocalDiskStorage

        return LocalDiskStorage(url.removeprefix("file://"), secret=secret, base_url=base_url)
    raise ValueError(f"unsupported storage URL: {url.split(':', 1)[0]}")


__all__ = [
    "Digest",
    "InspectableStorage",
    "Inspection",
    "ObjectInfo",
    "ObjectStorage",
    "PresignedRequest",
    "content_disposition",
    "make_storage",
]
