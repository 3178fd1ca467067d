"""Key rotation of the encrypted fields (R-DATA-1, R-REC-3).

Operators add a new key to ``field_keys``, make it ``field_current_kid`` and run
``python -m portfolio_records.service_layer.rotation``: every token written under an older key
is re-encrypted under the current one, in batches, each batch in its own transaction with an
audit row. Once it reports zero, the old key can be removed from the settings.
"""

from __future__ import annotations

from sqlalchemy import Table, and_, or_, select, update

from portfolio_records.adapters.orm import counselling_records, psych_tests, student_contacts, students
from portfolio_shared.service import ServiceRuntime

from .audit import audit
from .security import RecordsCrypto

# table → {encrypted column: the column name its associated data was bound to}
_SEALED: list[tuple[Table, dict[str, str]]] = [
    (
        counselling_records,
        {"place_encrypted": "place", "content_encrypted": "content", "opinions_encrypted": "opinions"},
    ),
    (psych_tests, {"result_summary_encrypted": "result_summary"}),
    (student_contacts, {"contact_encrypted": "contact"}),  # keyed (and bound) by student_id
]


async def _rotate_students(runtime: ServiceRuntime, crypto: RecordsCrypto, batch: int) -> int:
    done = 0
    current = crypto.cipher.current_kid
    while True:
        async with runtime.uow() as uow:
            rows = (
                await uow.session.execute(
                    select(students.c.id, students.c.national_id_encrypted)
                    .where(students.c.national_id_kid != current)
                    .limit(batch)
                )
            ).all()
            if not rows:
                return done
            for row in rows:
                plain = crypto.open_national_id(row.id, row.national_id_encrypted)
                sealed = crypto.seal_national_id(row.id, plain)
                await uow.session.execute(
                    update(students)
                    .where(students.c.id == row.id)
                    .values(national_id_encrypted=sealed.token, national_id_kid=sealed.kid)
                )
            await audit(
                uow.session,
                school_id="*",
                actor="system:key-rotation",
                action="keys.rotated",
                entity="students",
                entity_id=current,
                details={"rows": len(rows)},
            )
            await uow.commit()
            done += len(rows)


async def _rotate_table(
    runtime: ServiceRuntime, crypto: RecordsCrypto, table: Table, columns: dict[str, str], batch: int
) -> int:
    done = 0
    key = table.c.id if "id" in table.c else table.c.student_id  # the row id the tokens are bound to
    prefix = f"v1.{crypto.cipher.current_kid}.%"
    stale = or_(*(and_(table.c[c].is_not(None), table.c[c].not_like(prefix)) for c in columns))
    while True:
        async with runtime.uow() as uow:
            query = select(key.label("row_id"), *(table.c[c] for c in columns)).where(stale).limit(batch)
            rows = (await uow.session.execute(query)).all()
            if not rows:
                return done
            for row in rows:
                values = {
                    column: crypto.reseal(row.row_id, aad_name, getattr(row, column))
                    for column, aad_name in columns.items()
                    if getattr(row, column) is not None
                }
                await uow.session.execute(update(table).where(key == row.row_id).values(**values))
            await audit(
                uow.session,
                school_id="*",
                actor="system:key-rotation",
                action="keys.rotated",
                entity=table.name,
                entity_id=crypto.cipher.current_kid,
                details={"rows": len(rows)},
            )
            await uow.commit()
            done += len(rows)


async def rotate_keys(runtime: ServiceRuntime, crypto: RecordsCrypto, batch: int = 500) -> dict[str, int]:
    """Re-encrypt every field not yet under the current key; returns rows changed per table."""
    result = {"students": await _rotate_students(runtime, crypto, batch)}
    for table, columns in _SEALED:
        result[table.name] = await _rotate_table(runtime, crypto, table, columns, batch)
    return result
