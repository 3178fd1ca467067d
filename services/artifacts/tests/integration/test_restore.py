"""Issue 14 / "What went wrong before": a documented, tested restore. Three stored files are deleted
behind the service's back → the integrity check reports exactly those → the restore brings them back
(from the object's versions, or from the backup bucket) → the integrity check is green again.
A file whose recorded bytes exist nowhere is reported, never replaced by other bytes."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from urllib.parse import urlsplit, urlunsplit

import pytest
from artifacts_world import World, pdf
from sqlalchemy import select

from portfolio_artifacts.adapters.orm import files as files_table
from portfolio_artifacts.bootstrap import make_deps
from portfolio_artifacts.service_layer.integrity import verify_stored_files
from portfolio_artifacts.service_layer.restore import restore_stored_files
from portfolio_shared.storage.recovery import protect, protection
from portfolio_shared.storage.s3 import S3Storage

pytestmark = pytest.mark.integration


def _storage(world: World) -> S3Storage:
    storage = world.runtime.storage
    assert isinstance(storage, S3Storage)
    return storage


async def _six_files(world: World) -> dict[str, str]:
    """Six accepted files of three students; file id → object key."""
    await world.open_windows()
    await world.course("phys", ["t1"], ["s1", "s2", "s3"])
    for s in ("s1", "s2", "s3"):
        for n in range(2):
            await world.upload_outcome(world.student(s), "phys", pdf(2048 + 97 * n))
    async with world.runtime.uow() as uow:
        rows = await uow.session.execute(select(files_table.c.id, files_table.c.object_key))
        keys = {str(r.id): r.object_key for r in rows}
    assert len(keys) == 6
    return keys


def _cli_env(world: World, s3_url: str) -> dict[str, str]:
    return {
        **os.environ,
        "PORTFOLIO_ARTIFACTS_DATABASE_URL": str(world.runtime.settings.database_url),
        "PORTFOLIO_ARTIFACTS_STORAGE_URL": s3_url,
        "PORTFOLIO_ARTIFACTS_BROKER_URL": str(world.runtime.settings.broker_url),
        "PORTFOLIO_ARTIFACTS_LOG_JSON": "false",
    }


async def _cli(world: World, s3_url: str, *args: str) -> tuple[int, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "portfolio_artifacts.cli",
        *args,
        env=_cli_env(world, s3_url),
        stdout=asyncio.subprocess.PIPE,
    )
    out, _ = await proc.communicate()
    assert proc.returncode is not None
    return proc.returncode, out.decode()


async def test_three_deleted_files_come_back_from_their_versions(world: World, s3_url: str) -> None:
    # The operator protects the bucket once after install (deploy/README.md): versioning on.
    code, out = await _cli(world, s3_url, "storage", "check")
    assert code == 1 and "versioning Off" in out  # an unprotected bucket is reported, exit 1
    code, out = await _cli(world, s3_url, "storage", "protect", "--retention-days", "400")
    assert code == 0 and "versioning Enabled" in out, out
    keys = await _six_files(world)
    storage = _storage(world)
    deleted = sorted(keys)[:3]
    for file_id in deleted:
        await storage.delete(keys[file_id])

    report = await verify_stored_files(make_deps(world.runtime))
    assert (report.checked, report.ok) == (6, 3)
    assert sorted(p.file_id for p in report.missing) == deleted and report.altered == []

    code, out = await _cli(world, s3_url, "restore", "--json")
    assert code == 0, out
    printed = json.loads(out)
    assert printed["found"] == 3 and printed["unrecoverable"] == []
    assert sorted((r["file_id"], r["source"]) for r in printed["restored"]) == [(f, "version") for f in deleted]
    assert (printed["after"]["checked"], printed["after"]["missing"], printed["after"]["altered"]) == (6, 0, 0)

    again = await verify_stored_files(make_deps(world.runtime))
    assert (again.checked, again.ok, again.problems) == (6, 6, [])
    detail_states = set()
    async with world.runtime.uow() as uow:
        detail_states = {r.integrity for r in await uow.session.execute(select(files_table.c.integrity))}
    assert detail_states == {"ok"}


async def test_the_backup_bucket_restores_what_it_holds_exactly_and_nothing_else(world: World, s3_url: str) -> None:
    keys = await _six_files(world)
    storage = _storage(world)
    assert not (await protection(storage)).versioned  # no versions here: the backup bucket is the copy
    parts = urlsplit(s3_url)
    backup_url = urlunsplit(parts._replace(path=parts.path + "-backup"))
    backup = S3Storage.from_url(backup_url)
    await backup.ensure_bucket()
    for key in keys.values():  # what bucket replication keeps in the second place
        data = await _read(storage, key)
        await backup.put(key, data, content_type="application/pdf")

    ids = sorted(keys)
    gone_a, gone_b, gone_c, altered = ids[0], ids[1], ids[2], ids[3]
    for file_id in (gone_a, gone_b, gone_c):
        await storage.delete(keys[file_id])
    size = len(await _read(storage, keys[altered]))
    await storage.put(keys[altered], pdf(size), content_type="application/pdf")  # same size, other bytes
    # The backup's copy of gone_c went bad too: it must not be restored.
    await backup.put(keys[gone_c], pdf(size + 1), content_type="application/pdf")

    dry = await restore_stored_files(make_deps(world.runtime), backup=backup, dry_run=True)
    assert sorted(r.file_id for r in dry.restored) == sorted([gone_a, gone_b, altered])
    assert [p.file_id for p in dry.unrecoverable] == [gone_c] and dry.after is None
    assert len((await verify_stored_files(make_deps(world.runtime))).problems) == 4  # a dry run changes nothing

    done = await restore_stored_files(make_deps(world.runtime), backup=backup)
    assert sorted((r.file_id, r.problem, r.source) for r in done.restored) == sorted(
        [(gone_a, "missing", "backup"), (gone_b, "missing", "backup"), (altered, "altered", "backup")]
    )
    assert [p.file_id for p in done.unrecoverable] == [gone_c]
    assert done.after is not None
    assert (done.after.checked, done.after.ok) == (6, 5)
    assert [p.file_id for p in done.after.missing] == [gone_c] and done.after.altered == []

    # The CLI says the same and exits 1 while a file is still missing.
    code, out = await _cli(world, s3_url, "restore", "--from-backup", backup_url)
    assert code == 1
    assert f"NOT restored {keys[gone_c]} (missing)" in out and "after: checked 6 files: 5 ok, 1 missing" in out


async def _read(storage: S3Storage, key: str) -> bytes:
    def _get() -> bytes:
        resp = storage.client.get_object(storage.bucket, key)
        try:
            return bytes(resp.read())
        finally:
            resp.close()
            resp.release_conn()

    return await asyncio.to_thread(_get)


async def test_protect_refuses_a_retention_under_one_day(world: World) -> None:
    with pytest.raises(ValueError, match="retention_days"):
        await protect(_storage(world), retention_days=0)
    assert (await protect(_storage(world), retention_days=1)).versioned
