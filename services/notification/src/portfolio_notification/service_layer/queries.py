"""Reads for the API (no changes): inbox pages, preferences (masked), the delivery log, letters as PDF."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from typing import Any

from ..adapters import sql
from ..adapters.letters import Letter, render_pdf
from ..domain.errors import NotFound
from ..domain.model import Trigger, mask_email, trigger_key
from .context import Deps
from .notify import school_profile


async def inbox(
    deps: Deps, user_id: str, school_ids: Sequence[str], unread_only: bool, limit: int, offset: int
) -> tuple[list[dict[str, Any]], int]:
    if not school_ids:
        return [], 0
    async with deps.uow() as uow:
        return await sql.inbox_page(uow.session, user_id, school_ids, unread_only, limit, offset)


async def preferences(deps: Deps, user_id: str) -> dict[str, Any]:
    async with deps.uow() as uow:
        row = await sql.contact_row(uow.session, user_id)
    if row is None:
        return {"email_reminders": True, "email_receipts": True, "email": None, "postal_address_on_record": False}
    email = deps.cipher.decrypt(row["email_enc"]) if row["email_enc"] else None
    return {
        "email_reminders": row["email_reminders"],
        "email_receipts": True,
        "email": mask_email(email) if email else None,
        "postal_address_on_record": row["postal_enc"] is not None,
    }


async def deliveries(
    deps: Deps, school_id: str, status: str | None, channel: str | None, limit: int, offset: int
) -> tuple[list[dict[str, Any]], int]:
    async with deps.uow() as uow:
        return await sql.deliveries_page(uow.session, school_id, status, channel, limit, offset)


def one_per_student(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Keep one letter per recipient, the detailed receipt letter before the window notice."""
    chosen: dict[str, dict[str, Any]] = {}
    for row in rows:
        have = chosen.get(row["recipient_user_id"])
        if have is None or (row["trigger"] == Trigger.RECEIPT_LETTER.value and have["trigger"] != row["trigger"]):
            chosen[row["recipient_user_id"]] = row
    return [chosen[user] for user in sorted(chosen)]


async def letters_pdf(deps: Deps, school_id: str, receipt_id: str | None, delivery_id: str | None) -> bytes:
    """One student's letter, or the school's batch for one receipt (R-SUB-9), ready to print."""
    # A receipt's letters: the window notice, and submission's letter listing the received items
    # (R-SUB-9); a student with both gets the one with the items only (one page per student).
    keys = (
        [trigger_key(Trigger.RECEIPT_LETTER, receipt_id), trigger_key(Trigger.RECEIPT_WINDOW_OPENED, receipt_id)]
        if receipt_id is not None
        else None
    )
    one: uuid.UUID | None = None
    if delivery_id is not None:
        try:
            one = uuid.UUID(delivery_id)
        except ValueError:
            raise NotFound("no such letter") from None
    async with deps.uow() as uow:
        rows = one_per_student(await sql.letters(uow.session, school_id, keys, one))
        addresses = await sql.postal_addresses(uow.session, deps.cipher, (r["recipient_user_id"] for r in rows))
        profile = await school_profile(uow, deps, school_id)
    if not rows:
        raise NotFound("no letters for this school and receipt" if delivery_id is None else "no such letter")
    sender = [profile["school_name"], profile["return_address"]]
    letters = [
        Letter(sender, addresses.get(r["recipient_user_id"], ["", "", ""]), r["subject"], r["body"]) for r in rows
    ]
    title = f"{profile['school_name']} letters" + (f" {receipt_id}" if receipt_id else "")
    return await asyncio.to_thread(render_pdf, letters, title)
