"""Key rotation of the encrypted fields (R-DATA-1, R-REC-3).

Operators add a new key to ``field_keys``, make it ``field_current_kid`` and run
``python -m portfolio_records.service_layer.rotation``: every token written under an older key
is re-encrypted under the current one, in batches, each batch in its own transaction with an
audit row. Once it reports zero, the old key can be removed from the settings.
"""

from __future__ import annotations

from sqlalchemy import Table

from portfolio_records.adapters import sealed as store
from portfolio_shared.service import ServiceRuntime

from .audit import audit
from .security import RecordsCrypto


async def _rotate_students(runtime: ServiceRuntime, crypto: RecordsCrypto, batch: int) -> int:
    done = 0
    current = crypto.cipher.current_kid
    while True:
        async with runtime.uow() as uow:
            rows = await store.national_ids_not_under(uow.session, current, batch)
            if not rows:
                return done
            for row in rows:
                plain = crypto.open_national_id(row.id, row.national_id_encrypted)
                sealed = crypto.seal_national_id(row.id, plain)
                await store.set_national_id(uow.session, row.id, sealed.token, sealed.kid)
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
    while True:
        async with runtime.uow() as uow:
            rows = await store.rows_not_under(uow.session, table, list(columns), crypto.cipher.current_kid, batch)
            if not rows:
                return done
            for row in rows:
                values = {
                    column: crypto.reseal(row.row_id, aad_name, getattr(row, column))
                    for column, aad_name in columns.items()
                    if getattr(row, column) is not None
                }
                await store.set_tokens(uow.session, table, row.row_id, values)
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
    for table, columns in store.SEALED:
        result[table.name] = await _rotate_table(runtime, crypto, table, columns, batch)
    return result
