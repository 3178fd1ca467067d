"""Restore stored files from the backup copy (issue 14; "What went wrong before": in 2021 the files
uploaded since the last backup were gone and no restore existed).

The integrity check names every missing or altered file with the size and SHA-256 recorded when it was
accepted. For each, the restore looks for exactly those bytes: first among the object's earlier
versions in the same bucket (versioning and object lock keep them, ``storage protect``), then in the
backup bucket (a replica in another place); it puts them back as the current version and checks the
whole store again. A file found nowhere is reported, never replaced by other bytes.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, Literal

from portfolio_shared.storage.recovery import copy_from, find_version, restore_version
from portfolio_shared.storage.s3 import S3Storage

from .context import Deps
from .integrity import FileProblem, IntegrityReport, verify_stored_files

log = logging.getLogger(__name__)


Source = Literal["version", "backup"]


@dataclass(frozen=True, slots=True)
class Restored:
    file_id: str
    object_key: str
    problem: str
    source: Source


@dataclass
class RestoreReport:
    before: IntegrityReport
    after: IntegrityReport | None = None
    restored: list[Restored] = field(default_factory=list)
    unrecoverable: list[FileProblem] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "found": len(self.before.problems),
            "restored": [
                {"file_id": r.file_id, "object_key": r.object_key, "problem": r.problem, "source": r.source}
                for r in self.restored
            ],
            "unrecoverable": [
                {"file_id": p.file_id, "object_key": p.object_key, "problem": p.problem} for p in self.unrecoverable
            ],
            "after": self.after.to_dict() if self.after else None,
        }


async def _restore_one(storage: S3Storage, backup: S3Storage | None, p: FileProblem, dry_run: bool) -> Source | None:
    version = await find_version(storage, p.object_key, size=p.expected_size, sha256=p.expected_sha256)
    if version is not None:
        if not dry_run:
            await restore_version(storage, p.object_key, version)
        return "version"
    if backup is not None:
        if dry_run:
            found = await backup.inspect(p.object_key, head_size=0, max_size=p.expected_size)
            ok = found is not None and found.size == p.expected_size and found.sha256 == p.expected_sha256
            return "backup" if ok else None
        if await copy_from(backup, storage, p.object_key, size=p.expected_size, sha256=p.expected_sha256):
            return "backup"
    return None


async def restore_stored_files(deps: Deps, *, backup: S3Storage | None = None, dry_run: bool = False) -> RestoreReport:
    """Check, restore every missing or altered file whose recorded bytes exist somewhere, check again."""
    storage = deps.storage
    if not isinstance(storage, S3Storage):
        raise TypeError("restoring needs S3 object storage (versions or a backup bucket)")
    report = RestoreReport(before=await verify_stored_files(deps))
    for problem in report.before.problems:
        if problem.problem == "unreadable":  # storage did not answer: nothing to conclude, nothing to copy
            report.unrecoverable.append(problem)
            continue
        source = await _restore_one(storage, backup, problem, dry_run)
        if source is None:
            log.error("no copy of %s (%s) with its recorded SHA-256", problem.object_key, problem.problem)
            report.unrecoverable.append(problem)
        else:
            log.warning("restored %s (%s) from the %s", problem.object_key, problem.problem, source)
            report.restored.append(Restored(problem.file_id, problem.object_key, problem.problem, source))
    if not dry_run:
        report.after = await verify_stored_files(deps)
    return report
