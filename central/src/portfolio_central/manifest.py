"""The manifest of a submission package (``manifest.json``, the zip's last entry)."""

from __future__ import annotations

import datetime as dt
import re

from pydantic import BaseModel, ConfigDict, Field

MANIFEST_NAME = "manifest.json"
FORMAT = "portfolio-central-package/1"
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


class ManifestFile(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    path: str = Field(min_length=1, max_length=400)
    size: int = Field(ge=0)
    sha256: str = Field(pattern=_SHA256.pattern)


class Manifest(BaseModel):
    """Who sends what for which term, and the SHA-256 of every other entry of the zip."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    format: str = FORMAT
    layout_version: str
    school_code: str = Field(pattern=r"^[0-9]{6}$")
    kind: str
    academic_year: int = Field(ge=100, le=200)
    semester: int = Field(ge=0, le=2)  # 0 for yearly workbooks
    batch_id: str = Field(min_length=1, max_length=100)
    idempotency_key: str = Field(min_length=8, max_length=200)
    created_at: dt.datetime
    files: tuple[ManifestFile, ...]
