"""portfolio_shared.retention (R-RET-1) and portfolio_shared.fieldcrypto: the digests a deletion
confirmation carries, the seal refusal, and personal fields encrypted at rest — on SQLite, no server."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import Column, MetaData, String, Table, insert, select, text
from sqlalchemy.exc import StatementError
from sqlalchemy.ext.asyncio import create_async_engine

from portfolio_shared.events.retention import StudentSealed
from portfolio_shared.fieldcrypto import EncryptedText, FieldCipher, KeyRing, mask_email
from portfolio_shared.retention import (
    ErasureTally,
    StudentSealedError,
    digest,
    ensure_not_sealed,
    is_sealed,
    keep_seal,
    sealed_students_table,
)

KEY = "k1:" + "QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUE="  # 32 bytes of "A"
NEW_KEY = "k2:" + "QkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkI="


def test_a_digest_is_order_independent_and_names_no_data() -> None:
    assert digest(["b", "a"]) == digest(["a", "b"]) == hashlib.sha256(b"a\nb").hexdigest()
    assert digest([]) == hashlib.sha256(b"").hexdigest()
    tally = ErasureTally()
    tally.add("outcomes", ["o-2", "o-1"])
    tally.add("outcomes", ["o-3"])
    tally.add("files", [])
    report = tally.report()
    assert report.counts == {"files": 0, "outcomes": 3}
    assert report.digests["outcomes"] == digest(["o-1", "o-2", "o-3"])


async def test_a_sealed_student_is_refused_citing_r_ret_1(tmp_path: Path) -> None:
    metadata = MetaData()
    table = sealed_students_table(metadata)
    engine = create_async_engine(f"sqlite+aiosqlite:///{tmp_path / 'r.db'}")
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    from sqlalchemy.ext.asyncio import AsyncSession

    async with AsyncSession(engine) as session:
        event = StudentSealed(
            student_id="stu-1", user_id="u-1", school_id="sch-A", completed_on=date(2026, 6, 30),
            deletable_from=date(2031, 6, 30),
        )  # fmt: skip
        await keep_seal(session, table, event, datetime.now(UTC))
        await keep_seal(session, table, event, datetime.now(UTC))  # a repeated event: one row
        assert await is_sealed(session, table, user_id="u-1")
        assert await is_sealed(session, table, student_id="stu-1")
        assert not await is_sealed(session, table, user_id="u-2")
        await ensure_not_sealed(session, table, user_id="u-2", action="upload")
        with pytest.raises(StudentSealedError) as refused:
            await ensure_not_sealed(session, table, user_id="u-1", action="upload")
        assert (refused.value.code, refused.value.rule, refused.value.status) == ("student-sealed", "R-RET-1", 409)
        assert len((await session.execute(select(table))).all()) == 1
    await engine.dispose()


def test_the_field_cipher_round_trips_rotates_and_refuses_bad_keys() -> None:
    old = FieldCipher(KEY)
    token = old.encrypt("wang@school.example")
    assert token.startswith("k1:") and "wang" not in token and FieldCipher.is_token(token)
    rotated = FieldCipher(f"{NEW_KEY},{KEY}")
    assert rotated.decrypt(token) == "wang@school.example"  # old values still read
    assert rotated.encrypt("x@y.example").startswith("k2:")  # new ones under the new key
    assert not FieldCipher.is_token("wang@school.example")
    for bad in ("k1:short", ":QUFB", "k1:not base64!"):
        with pytest.raises(ValueError):
            FieldCipher(bad)
    assert mask_email("wang@school.example") == "w***@school.example" and mask_email("nonsense") == "***"


async def test_an_encrypted_column_stores_tokens_and_reads_plain_legacy_values(tmp_path: Path) -> None:
    ring = KeyRing("test")
    metadata = MetaData()
    people = Table("people", metadata, Column("id", String(8), primary_key=True), Column("email", EncryptedText(ring)))
    engine = create_async_engine(f"sqlite+aiosqlite:///{tmp_path / 'c.db'}")
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
        with pytest.raises(StatementError):  # not configured: nothing is stored in the clear by accident
            await conn.execute(insert(people).values(id="1", email="a@b.example"))
    ring.configure(KEY)
    async with engine.begin() as conn:
        await conn.execute(insert(people).values(id="1", email="a@b.example"))
        await conn.execute(text("INSERT INTO people (id, email) VALUES ('2', 'legacy@b.example')"))
        stored = dict((await conn.execute(text("SELECT id, email FROM people"))).tuples().all())
        assert stored["1"].startswith("k1:") and "a@b" not in stored["1"]
        read = dict((await conn.execute(select(people.c.id, people.c.email))).tuples().all())
    assert read == {"1": "a@b.example", "2": "legacy@b.example"}
    await engine.dispose()
