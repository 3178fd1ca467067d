"""The tamper-evident audit chain (R-RET-3), one module for every service that audits.

Each service keeps its own ``audit_log`` table (its own columns), but every row also carries
``seq`` (its place in the service's chain, 1, 2, 3 … without gaps), ``prev_hash`` (the
``entry_hash`` of row ``seq - 1``; 64 zeros for the first) and ``entry_hash``: SHA-256 over a
canonical JSON of the row's own columns, its ``seq`` and ``prev_hash``. A changed row no longer
matches its hash; a deleted row leaves a gap in ``seq`` (and the next row's ``prev_hash`` points
at nothing). ``verify`` walks the chain and names the first entry that does not hold.

What the chain cannot see on its own: removing the newest rows (the chain is shorter but still
whole). ``verify`` prints the head (seq + hash) so an operator can note it elsewhere and compare.

Concurrency: appends are serialised per chain so two writers never take the same ``seq`` or
``prev_hash`` — a transaction-scoped advisory lock on PostgreSQL, and on SQLite a write statement
first, which takes the database's single write lock until the transaction ends.

Which columns are hashed: all of the table's columns except the chain's three and ``id`` (the
row's storage key; identity fills it from a sequence, so it is not known before the insert).
Writers go through ``append``; a plain ``insert`` fails on the NOT NULL ``seq``.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import sys
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    CHAR,
    BigInteger,
    Column,
    Connection,
    Index,
    MetaData,
    RowMapping,
    String,
    Table,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.exc import NoSuchTableError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession, create_async_engine
from sqlalchemy.types import Uuid

from .clock import as_utc
from .dialect import dialect_name

GENESIS = "0" * 64
# The chain a service keeps, when it is not ``audit_log`` (artifacts' attributable history).
SERVICE_CHAINS = {"artifacts": "artifact_history"}
CHAIN_COLUMNS = ("seq", "prev_hash", "entry_hash")
UNHASHED = ("id", *CHAIN_COLUMNS)


def chain_columns(table_name: str = "audit_log") -> list[Any]:
    """The three chain columns and the unique index on ``seq``, to splat into a ``Table(...)``."""
    return [
        Column("seq", BigInteger, nullable=False),
        Column("prev_hash", String(64), nullable=False),
        Column("entry_hash", String(64), nullable=False),
        Index(f"ux_{table_name}_seq", "seq", unique=True),
    ]


def hashed_columns(table: Table) -> list[str]:
    return [c.name for c in table.columns if c.name not in UNHASHED]


def _canon(value: Any) -> Any:
    # The same entry must serialise the same whether it is the value handed to the insert or the
    # value read back from PostgreSQL or SQLite: datetimes as UTC ISO with microseconds (SQLite
    # returns them naive, and they were written as UTC), ids and decimals as text.
    if isinstance(value, datetime):
        return as_utc(value).isoformat(timespec="microseconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, uuid.UUID | Decimal):
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): _canon(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_canon(v) for v in value]
    return value


def entry_hash(entry: Mapping[str, Any], *, seq: int, prev_hash: str) -> str:
    """SHA-256 (hex) of the canonical serialisation of one entry, chained to the previous hash."""
    payload = {"entry": _canon(dict(entry)), "prev_hash": prev_hash, "seq": seq}
    blob = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def _lock_key(table_name: str) -> int:
    # pg_advisory_xact_lock takes a signed 64-bit key; derive it from the chain's name so every
    # service (and every table) has its own lock.
    digest = hashlib.sha256(f"portfolio-audit:{table_name}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


async def _lock_chain(session: AsyncSession | AsyncConnection, table: Table) -> None:
    if dialect_name(session) == "postgresql":
        await session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _lock_key(table.name)})
    else:
        # SQLite has one writer at a time: a write statement (matching no row) takes that lock now,
        # before we read the head, and keeps it until commit.
        await session.execute(update(table).where(table.c.seq == -1).values(seq=table.c.seq))


def _utc(value: Any) -> Any:
    # SQLite stores a datetime's wall time and drops its zone: store UTC so read-back hashes match.
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC)
    return value


async def append(session: AsyncSession | AsyncConnection, table: Table, rows: Iterable[Mapping[str, Any]]) -> None:
    """Add entries to the service's chain inside the caller's transaction (R-RET-3)."""
    pending = [dict(r) for r in rows]
    if not pending:
        return
    for row in pending:
        bad = set(row) & set(CHAIN_COLUMNS)
        if bad:
            raise ValueError(f"audit rows must not set chain columns themselves: {sorted(bad)}")
    await _lock_chain(session, table)
    head = (
        await session.execute(select(table.c.seq, table.c.entry_hash).order_by(table.c.seq.desc()).limit(1))
    ).first()
    seq, prev = (int(head[0]), str(head[1])) if head else (0, GENESIS)
    names = hashed_columns(table)
    values: list[dict[str, Any]] = []
    for row in pending:
        seq += 1
        row = {k: _utc(v) for k, v in row.items()}
        digest = entry_hash({n: row.get(n) for n in names}, seq=seq, prev_hash=prev)
        values.append({**{n: row.get(n) for n in names}, **row, "seq": seq, "prev_hash": prev, "entry_hash": digest})
        prev = digest
    await session.execute(insert(table), values)


# -- verification ---------------------------------------------------------------------------------
class ChainMissing(LookupError):
    """The database has no audit chain to verify (wrong database, or not migrated)."""


@dataclass(frozen=True)
class Break:
    """The first entry where the chain does not hold."""

    seq: int
    id: Any
    reason: str

    def describe(self) -> str:
        return f"audit chain broken at entry seq={self.seq} id={self.id}: {self.reason}"


@dataclass(frozen=True)
class Report:
    entries: int
    head_seq: int
    head_hash: str
    broken: Break | None

    @property
    def ok(self) -> bool:
        return self.broken is None


def verify_rows(rows: Iterable[Mapping[str, Any]] | Iterable[RowMapping], names: Sequence[str]) -> Report:
    """Check rows given in ``seq`` order; stop at the first break."""
    expected, prev, count = 1, GENESIS, 0
    last_seq, last_hash = 0, GENESIS
    for row in rows:
        seq = int(row["seq"])
        if seq != expected:
            gap = f"{expected}" if seq == expected + 1 else f"{expected}..{seq - 1}"
            reason = f"entry seq {gap} is missing (deleted) before this one"
            return Report(count, last_seq, last_hash, Break(seq, row.get("id"), reason))
        if row["prev_hash"] != prev:
            reason = "prev_hash does not match the hash of the entry before it (an entry was removed or replaced)"
            return Report(count, last_seq, last_hash, Break(seq, row.get("id"), reason))
        digest = entry_hash({n: row.get(n) for n in names}, seq=seq, prev_hash=prev)
        if digest != row["entry_hash"]:
            reason = "its content does not match its hash (the row was changed)"
            return Report(count, last_seq, last_hash, Break(seq, row.get("id"), reason))
        count += 1
        expected, prev = seq + 1, str(row["entry_hash"])
        last_seq, last_hash = seq, prev
    return Report(count, last_seq, last_hash, None)


def reflect(connection: Connection, table_name: str) -> Table:
    """The chain's table as the database has it. SQLite keeps a ``Uuid`` column as CHAR(32) hex and
    reflects it as text: read it back as a UUID, as the service wrote and hashed it."""
    table = Table(table_name, MetaData(), autoload_with=connection)
    if connection.dialect.name == "sqlite":
        for column in table.columns:
            if isinstance(column.type, CHAR) and column.type.length == 32:
                column.type = Uuid()
    return table


def verify_sync(connection: Connection, table_name: str = "audit_log") -> Report:
    """Verify a chain over a synchronous connection (the table is reflected from the database)."""
    try:
        table = reflect(connection, table_name)
    except NoSuchTableError as exc:
        raise ChainMissing(f"no table {table_name!r} in this database (is it the service's database?)") from exc
    missing = [c for c in CHAIN_COLUMNS if c not in table.c]
    if missing:
        raise ChainMissing(f"{table_name} has no chain columns {missing} (run the service's migrations)")
    rows = connection.execute(select(table).order_by(table.c.seq)).mappings()
    return verify_rows(rows, hashed_columns(table))


async def verify(connection: AsyncConnection, table_name: str = "audit_log") -> Report:
    return await connection.run_sync(verify_sync, table_name)


def backfill_sync(connection: Connection, table_name: str, order_by: Sequence[str]) -> int:
    """Chain rows written before the chain existed, oldest first (used by the migrations)."""
    table = reflect(connection, table_name)
    names = hashed_columns(table)
    rows = connection.execute(select(table).order_by(*(table.c[n] for n in order_by))).mappings().all()
    prev = GENESIS
    for seq, row in enumerate(rows, start=1):
        digest = entry_hash({n: row[n] for n in names}, seq=seq, prev_hash=prev)
        connection.execute(
            update(table).where(table.c.id == row["id"]).values(seq=seq, prev_hash=prev, entry_hash=digest)
        )
        prev = digest
    return len(rows)


def upgrade_to_chain(table_name: str, order_by: Sequence[str]) -> None:
    """The migration step every auditing service runs once: add the chain columns, chain the rows
    already there (oldest first), then make the columns NOT NULL (batch mode, for SQLite)."""
    from alembic import op

    with op.batch_alter_table(table_name) as batch:
        batch.add_column(Column("seq", BigInteger(), nullable=True))
        batch.add_column(Column("prev_hash", String(64), nullable=True))
        batch.add_column(Column("entry_hash", String(64), nullable=True))
    backfill_sync(op.get_bind(), table_name, order_by)
    with op.batch_alter_table(table_name) as batch:
        batch.alter_column("seq", existing_type=BigInteger(), nullable=False)
        batch.alter_column("prev_hash", existing_type=String(64), nullable=False)
        batch.alter_column("entry_hash", existing_type=String(64), nullable=False)
        batch.create_index(f"ux_{table_name}_seq", ["seq"], unique=True)


def downgrade_from_chain(table_name: str) -> None:
    from alembic import op

    with op.batch_alter_table(table_name) as batch:
        batch.drop_index(f"ux_{table_name}_seq")
        batch.drop_column("entry_hash")
        batch.drop_column("prev_hash")
        batch.drop_column("seq")


# -- CLI: portfolio-audit verify --service X --------------------------------------------------------
def _database_url(service: str, given: str | None) -> str:
    if given:
        return given
    env = f"PORTFOLIO_{service.upper()}_DATABASE_URL"
    url = os.environ.get(env) or os.environ.get("PORTFOLIO_DATABASE_URL")
    if not url:
        raise SystemExit(f"no database URL: pass --database-url or set {env}")
    return url


async def _run(args: argparse.Namespace) -> int:
    engine = create_async_engine(_database_url(args.service, args.database_url))
    try:
        async with engine.connect() as conn:
            report = await verify(conn, args.table or SERVICE_CHAINS.get(args.service, "audit_log"))
    except ChainMissing as exc:
        print(f"{args.service}: {exc}", file=sys.stderr)
        return 2
    finally:
        await engine.dispose()
    if report.broken is not None:
        print(f"{args.service}: {report.broken.describe()} ({report.entries} entries before it hold)")
        return 1
    print(f"{args.service}: ok, {report.entries} entries; head seq={report.head_seq} hash={report.head_hash}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="portfolio-audit", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p_verify = sub.add_parser("verify", help="walk a service's audit chain and name the first broken entry")
    p_verify.add_argument(
        "--service", required=True, help="identity, records, … (selects PORTFOLIO_<SERVICE>_DATABASE_URL)"
    )
    p_verify.add_argument("--database-url", default=None)
    p_verify.add_argument(
        "--table", default=None, help="the chain's table (default: audit_log; artifacts: artifact_history)"
    )
    return asyncio.run(_run(parser.parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())
