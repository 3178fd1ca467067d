"""Users' e-mail addresses at rest (portfolio_shared.fieldcrypto): finding the ones still stored in
the clear (written before revision 0007) and encrypting them."""

from __future__ import annotations

from sqlalchemy import bindparam, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from portfolio_shared.fieldcrypto import FieldCipher

from .orm import users


async def encrypt_plain_emails(session: AsyncSession) -> int:
    """Encrypt every address still stored in the clear; returns how many."""
    # Read the stored text itself (the column type would hand back plain text either way).
    stored = await session.execute(select(users.c.id, text("users.email AS stored")).where(users.c.email.is_not(None)))
    plain = [(row.id, row.stored) for row in stored if not FieldCipher.is_token(str(row.stored))]
    if plain:
        await session.execute(
            update(users).where(users.c.id == bindparam("uid")).values(email=bindparam("address")),
            [{"uid": uid, "address": address} for uid, address in plain],
        )
    return len(plain)
