"""Issue 10, "helpers once": a helper the services share lives in portfolio_shared and nowhere else.

This walks every package's source and fails on a re-copy of the helpers that were written several
times before: the dialect switch for INSERT … ON CONFLICT (portfolio_shared.dialect.insert_for) and
audit rows written past the chain (portfolio_shared.audit.append, R-RET-3). For helpers in general,
`duplicates --change` before a commit lists code written again (docs/FOUNDATION.md).
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCES = [
    p
    for pattern in ("services/*/src", "shared/src", "standalone/src", "central/src")
    for d in ROOT.glob(pattern)
    for p in d.rglob("*.py")
]

DIALECT_INSERT = re.compile(
    r"(postgresql|sqlite)\.insert\("
    r"|dialects\.(postgresql|sqlite) import insert"
    r"|dialects import .*\b(postgresql|sqlite)\b"
)
AUDIT_INSERT = re.compile(r"insert\(\s*audit_log\s*\)")


def _offenders(pattern: re.Pattern[str], allowed: set[str]) -> list[str]:
    found = []
    for path in sorted(set(SOURCES)):
        rel = path.relative_to(ROOT).as_posix()
        if rel in allowed:
            continue
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if pattern.search(line):
                found.append(f"{rel}:{n}: {line.strip()}")
    return found


def test_sources_are_found() -> None:
    # The walk itself must see the services, or the checks below would pass on nothing.
    names = {p.relative_to(ROOT).parts[1] for p in SOURCES if p.relative_to(ROOT).parts[0] == "services"}
    assert {"identity", "records", "artifacts"} <= names


def test_the_dialect_switch_for_upserts_is_written_once() -> None:
    assert _offenders(DIALECT_INSERT, {"shared/src/portfolio_shared/dialect.py"}) == []


def test_audit_rows_are_only_written_through_the_chain() -> None:
    assert _offenders(AUDIT_INSERT, set()) == []


def test_the_patterns_catch_a_recopy() -> None:
    assert DIALECT_INSERT.search("    stmt = postgresql.insert(table).values(**v)")
    assert DIALECT_INSERT.search("from sqlalchemy.dialects.sqlite import insert as sqlite_insert")
    assert DIALECT_INSERT.search("from sqlalchemy.dialects import postgresql, sqlite")
    assert AUDIT_INSERT.search("await session.execute(insert(audit_log), rows)")
