"""Commands of the artifacts service: small immutable messages in the imperative."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any, Literal

from portfolio_shared.auth import Principal

from .idempotency import IdempotencyClaim

ArtifactKindName = Literal["outcome", "performance"]


@dataclass(frozen=True, slots=True)
class FileDeclaration:
    """What the client says about a file before sending it (R-FILE-1): checked, then held to it."""

    slot: str
    filename: str
    content_type: str
    size: int
    sha256: str


@dataclass(frozen=True, slots=True)
class StartOutcomeUpload:
    actor: Principal
    course_id: str
    title: str
    description: str
    files: tuple[FileDeclaration, ...]
    idempotency: IdempotencyClaim | None = None


@dataclass(frozen=True, slots=True)
class StartPerformanceUpload:
    actor: Principal
    school_id: str
    academic_year: int
    category: str
    description: str
    fields: dict[str, Any] = field(default_factory=dict)
    files: tuple[FileDeclaration, ...] = ()
    idempotency: IdempotencyClaim | None = None


@dataclass(frozen=True, slots=True)
class DeclareNewFiles:
    """A new version of a returned outcome, or replacement files for a draft whose files were refused."""

    actor: Principal
    kind: ArtifactKindName
    artifact_id: uuid.UUID
    files: tuple[FileDeclaration, ...]
    idempotency: IdempotencyClaim | None = None


@dataclass(frozen=True, slots=True)
class CompleteUpload:
    actor: Principal
    kind: ArtifactKindName
    artifact_id: uuid.UUID
    idempotency: IdempotencyClaim | None = None


@dataclass(frozen=True, slots=True)
class WithdrawArtifact:
    actor: Principal
    kind: ArtifactKindName
    artifact_id: uuid.UUID


@dataclass(frozen=True, slots=True)
class CancelDraft:
    """The student drops an upload they never completed; it stops counting towards the cap."""

    actor: Principal
    kind: ArtifactKindName
    artifact_id: uuid.UUID


@dataclass(frozen=True, slots=True)
class CertifyOutcome:
    actor: Principal
    outcome_id: uuid.UUID
    idempotency: IdempotencyClaim | None = None


@dataclass(frozen=True, slots=True)
class ReturnOutcome:
    actor: Principal
    outcome_id: uuid.UUID
    reason: str
    idempotency: IdempotencyClaim | None = None


@dataclass(frozen=True, slots=True)
class ChangeSelection:
    actor: Principal
    kind: ArtifactKindName
    artifact_id: uuid.UUID
    selected: bool
