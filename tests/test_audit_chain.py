"""R-RET-3: every service's audit trail is one tamper-evident chain (portfolio_shared.audit).

The must-show: in a real PostgreSQL database, a changed audit row and a deleted audit row are each
named by ``portfolio-audit verify``; rows from before the chain are chained by the migration; two
concurrent writers still produce one unbroken chain (PostgreSQL and SQLite).
"""

from __future__ import annotations

import asyncio
import importlib
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import MetaData, Table, insert, text
from sqlalchemy.ext.asyncio import create_async_engine

from portfolio_shared import audit as chain
from portfolio_shared.migrations import upgrade

ROOT = Path(__file__).resolve().parents[1]
# service → the revision just before its chain revision
BEFORE_CHAIN = {"identity": "0004", "records": "0005"}


def _entry(service: str, n: int) -> dict[str, Any]:
    at = datetime(2026, 9, 1, 8, 0, tzinfo=UTC) + timedelta(minutes=n)
    school = "00000000-0000-0000-0000-000000000001"
    if service == "identity":
        return {
            "occurred_at": at,
            "actor_id": f"user-{n}",
            "school_id": school,
            "action": "user.updated",
            "object_type": "user",
            "object_id": f"u{n}",
            "before": {"display_name": "舊名"},
            "after": {"display_name": f"新名 {n}"},
            "client_ip": "10.0.0.1",
        }
    return {
        "id": uuid.uuid4(),
        "school_id": school,
        "actor": f"user-{n}",
        "action": "grade.corrected",
        "entity": "grade",
        "entity_id": f"g{n}",
        "at": at,
        "details": {"fields": ["score"], "n": n, "ratio": 0.5},
    }


def _orm_table(service: str) -> Table:
    table: Table = importlib.import_module(f"portfolio_{service}.adapters.orm").audit_log
    return table


async def _cli(url: str, service: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = await asyncio.to_thread(chain.main, ["verify", "--service", service, "--database-url", url])
    return code, capsys.readouterr().out


# -- the real PostgreSQL database: migration backfill, change → named, delete → named -------------
@pytest.mark.integration
@pytest.mark.parametrize("service", sorted(BEFORE_CHAIN))
async def test_verify_names_the_changed_and_the_deleted_entry_on_postgresql(
    service: str, make_database: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    url = await make_database(f"audit_{service}")
    await asyncio.to_thread(upgrade, ROOT / "services" / service, url, BEFORE_CHAIN[service])
    engine = create_async_engine(url)
    try:
        # Two rows from before the chain existed: the migration must chain them.
        async with engine.begin() as conn:
            legacy = await conn.run_sync(lambda c: Table("audit_log", MetaData(), autoload_with=c))
            await conn.execute(insert(legacy), [_entry(service, 1), _entry(service, 2)])
        await asyncio.to_thread(upgrade, ROOT / "services" / service, url)
        async with engine.begin() as conn:
            for n in (3, 4, 5):
                await chain.append(conn, _orm_table(service), [_entry(service, n)])

        code, out = await _cli(url, service, capsys)
        assert code == 0, out
        assert "ok, 5 entries" in out

        # Change one row's content directly in the database.
        column = "action"
        async with engine.begin() as conn:
            original = (await conn.execute(text(f"SELECT {column} FROM audit_log WHERE seq = 4"))).scalar_one()
            await conn.execute(text(f"UPDATE audit_log SET {column} = 'nothing.happened' WHERE seq = 4"))
        code, out = await _cli(url, service, capsys)
        assert code == 1
        assert "seq=4" in out and "changed" in out

        # Put it back: the chain holds again (the hash is over the content, not over the edit).
        async with engine.begin() as conn:
            await conn.execute(text(f"UPDATE audit_log SET {column} = :v WHERE seq = 4"), {"v": original})
        assert (await _cli(url, service, capsys))[0] == 0

        # Delete one row: the entry after it is named, with the missing seq.
        async with engine.begin() as conn:
            await conn.execute(text("DELETE FROM audit_log WHERE seq = 2"))
        code, out = await _cli(url, service, capsys)
        assert code == 1
        assert "seq=3" in out and "seq 2 is missing" in out
    finally:
        await engine.dispose()


@pytest.mark.integration
async def test_a_forged_hash_for_a_changed_row_breaks_the_next_entry(make_database: Any) -> None:
    # Recomputing the changed row's own hash is not enough: the next entry still points at the old one.
    url = await make_database("audit_forge")
    await asyncio.to_thread(upgrade, ROOT / "services" / "records", url)
    engine = create_async_engine(url)
    table = _orm_table("records")
    try:
        async with engine.begin() as conn:
            await chain.append(conn, table, [_entry("records", n) for n in (1, 2, 3)])
        async with engine.begin() as conn:
            row = (await conn.execute(table.select().where(table.c.seq == 2))).mappings().one()
            forged = {n: row[n] for n in chain.hashed_columns(table)} | {"actor": "someone-else"}
            digest = chain.entry_hash(forged, seq=2, prev_hash=row["prev_hash"])
            await conn.execute(table.update().where(table.c.seq == 2).values(actor="someone-else", entry_hash=digest))
        async with engine.connect() as conn:
            report = await chain.verify(conn)
        assert report.broken is not None and report.broken.seq == 3
        assert "prev_hash" in report.broken.reason
    finally:
        await engine.dispose()


# -- concurrent writers: one chain, no duplicate seq ---------------------------------------------
async def _concurrent_appends(url: str) -> chain.Report:
    table = _orm_table("records")
    engine = create_async_engine(url)
    try:

        async def writer(w: int) -> None:
            for n in range(10):
                async with engine.begin() as conn:
                    await chain.append(conn, table, [_entry("records", w * 100 + n)])

        await asyncio.gather(*(writer(w) for w in range(4)))
        async with engine.connect() as conn:
            return await chain.verify(conn)
    finally:
        await engine.dispose()


@pytest.mark.integration
async def test_concurrent_writers_keep_one_chain_on_postgresql(make_database: Any) -> None:
    url = await make_database("audit_concurrent")
    await asyncio.to_thread(upgrade, ROOT / "services" / "records", url)
    report = await _concurrent_appends(url)
    assert report.ok, report.broken
    assert report.entries == 40 and report.head_seq == 40


async def test_concurrent_writers_keep_one_chain_on_sqlite(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'records.db'}"
    await asyncio.to_thread(upgrade, ROOT / "services" / "records", url)
    report = await _concurrent_appends(url)
    assert report.ok, report.broken
    assert report.entries == 40


async def test_sqlite_chain_detects_a_change(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'identity.db'}"
    await asyncio.to_thread(upgrade, ROOT / "services" / "identity", url)
    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            await chain.append(conn, _orm_table("identity"), [_entry("identity", n) for n in (1, 2)])
        assert (await _cli(url, "identity", capsys))[0] == 0
        async with engine.begin() as conn:
            await conn.execute(text('UPDATE audit_log SET after = \'{"display_name": "x"}\' WHERE seq = 1'))
        code, out = await _cli(url, "identity", capsys)
        assert code == 1 and "seq=1" in out
    finally:
        await engine.dispose()


async def test_verify_says_when_there_is_no_chain(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}"
    code = await asyncio.to_thread(chain.main, ["verify", "--service", "records", "--database-url", url])
    assert code == 2 and "no table 'audit_log'" in capsys.readouterr().err
    await asyncio.to_thread(upgrade, ROOT / "services" / "records", url, BEFORE_CHAIN["records"])
    code = await asyncio.to_thread(chain.main, ["verify", "--service", "records", "--database-url", url])
    assert code == 2 and "no chain columns" in capsys.readouterr().err


# -- the walk itself (no database) ---------------------------------------------------------------
def _rows(k: int) -> list[dict[str, Any]]:
    rows, prev = [], chain.GENESIS
    for seq in range(1, k + 1):
        entry = {"action": f"a{seq}", "at": datetime(2026, 1, 1, tzinfo=UTC)}
        digest = chain.entry_hash(entry, seq=seq, prev_hash=prev)
        rows.append({"id": seq * 10, "seq": seq, "prev_hash": prev, "entry_hash": digest, **entry})
        prev = digest
    return rows


def test_an_intact_chain_verifies_and_reports_its_head() -> None:
    rows = _rows(3)
    report = chain.verify_rows(rows, ["action", "at"])
    assert report.ok and report.entries == 3 and report.head_seq == 3 and report.head_hash == rows[-1]["entry_hash"]
    assert chain.verify_rows([], ["action"]).ok


def test_deleting_the_first_entry_is_named() -> None:
    report = chain.verify_rows(_rows(3)[1:], ["action", "at"])
    assert report.broken is not None and report.broken.seq == 2 and "seq 1 is missing" in report.broken.reason


def test_deleting_several_entries_names_the_range() -> None:
    rows = _rows(5)
    report = chain.verify_rows([rows[0], rows[4]], ["action", "at"])
    assert report.broken is not None and report.broken.seq == 5 and "2..4" in report.broken.reason


def test_a_renumbered_chain_is_caught_by_prev_hash() -> None:
    rows = _rows(3)
    del rows[1]
    rows[1] = {**rows[1], "seq": 2}
    report = chain.verify_rows(rows, ["action", "at"])
    assert report.broken is not None and report.broken.seq == 2 and "prev_hash" in report.broken.reason


def test_naive_and_aware_utc_datetimes_hash_the_same() -> None:
    # SQLite gives back naive UTC; PostgreSQL gives back aware — the same entry either way.
    aware = chain.entry_hash({"at": datetime(2026, 1, 1, 8, tzinfo=UTC)}, seq=1, prev_hash=chain.GENESIS)
    naive = chain.entry_hash({"at": datetime(2026, 1, 1, 8)}, seq=1, prev_hash=chain.GENESIS)
    assert aware == naive


async def test_writers_cannot_set_chain_columns(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'records.db'}"
    await asyncio.to_thread(upgrade, ROOT / "services" / "records", url)
    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            with pytest.raises(ValueError, match="chain columns"):
                await chain.append(conn, _orm_table("records"), [{**_entry("records", 1), "seq": 99}])
    finally:
        await engine.dispose()


# -- artifacts: the attributable history is the chain (migration 0006), append-only besides -------
def _history(n: int) -> dict[str, Any]:
    return {
        "school_id": "sch-A",
        "student_user_id": f"s{n}",
        "artifact_kind": "outcome",
        "artifact_id": uuid.UUID(int=n),
        "action": "certified",
        "actor_user_id": f"t{n}",
        "on_behalf_of": None,
        "basis": "course_teacher",
        "detail": {"note": f"第 {n} 筆"},
        "at": datetime(2026, 9, 1, 8, 0, tzinfo=UTC) + timedelta(minutes=n),
    }


async def _artifacts_history_before_and_after_the_chain(url: str) -> Table:
    """Two entries written under 0005, the migration chains them, three appended after it."""
    await asyncio.to_thread(upgrade, ROOT / "services" / "artifacts", url, "0005")
    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            legacy = await conn.run_sync(lambda c: chain.reflect(c, "artifact_history"))
            await conn.execute(insert(legacy), [_history(1), _history(2)])
        await asyncio.to_thread(upgrade, ROOT / "services" / "artifacts", url)
        table: Table = importlib.import_module("portfolio_artifacts.adapters.orm").artifact_history
        async with engine.begin() as conn:
            for n in (3, 4, 5):
                await chain.append(conn, table, [_history(n)])
        return table
    finally:
        await engine.dispose()


@pytest.mark.integration
async def test_artifacts_history_change_is_named_by_verify_on_postgresql(
    make_database: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    url = await make_database("audit_artifacts")
    await _artifacts_history_before_and_after_the_chain(url)
    code, out = await _cli(url, "artifacts", capsys)  # the CLI knows artifacts' chain is artifact_history
    assert code == 0, out
    assert "ok, 5 entries" in out
    engine = create_async_engine(url)
    try:
        # The append-only trigger is back after the backfill: a plain UPDATE is refused (R-RET-3) …
        async with engine.begin() as conn:
            with pytest.raises(Exception, match="append-only"):
                await conn.execute(text("UPDATE artifact_history SET actor_user_id = 'someone-else' WHERE seq = 4"))
        # … and whoever switches it off to change an entry is named by the chain.
        async with engine.begin() as conn:
            await conn.execute(text("ALTER TABLE artifact_history DISABLE TRIGGER artifact_history_append_only"))
            await conn.execute(text("UPDATE artifact_history SET actor_user_id = 'someone-else' WHERE seq = 4"))
        code, out = await _cli(url, "artifacts", capsys)
        assert code == 1
        assert "seq=4" in out and "changed" in out
        async with engine.begin() as conn:
            await conn.execute(text("UPDATE artifact_history SET actor_user_id = 't4' WHERE seq = 4"))
            await conn.execute(text("DELETE FROM artifact_history WHERE seq = 2"))
        code, out = await _cli(url, "artifacts", capsys)
        assert code == 1
        assert "seq=3" in out and "seq 2 is missing" in out
    finally:
        await engine.dispose()


async def test_artifacts_history_chain_on_sqlite(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'artifacts.db'}"
    await _artifacts_history_before_and_after_the_chain(url)
    assert (await _cli(url, "artifacts", capsys))[0] == 0
    engine = create_async_engine(url)
    try:
        # The triggers survived the batch rebuild of the table: updates and deletes are refused.
        for statement in (
            "UPDATE artifact_history SET action = 'returned' WHERE seq = 1",
            "DELETE FROM artifact_history WHERE seq = 1",
        ):
            async with engine.begin() as conn:
                with pytest.raises(Exception, match="append-only"):
                    await conn.execute(text(statement))
        async with engine.begin() as conn:
            await conn.execute(text("DROP TRIGGER artifact_history_no_update"))
            await conn.execute(text("UPDATE artifact_history SET action = 'returned' WHERE seq = 1"))
        code, out = await _cli(url, "artifacts", capsys)
        assert code == 1 and "seq=1" in out and "changed" in out
    finally:
        await engine.dispose()
