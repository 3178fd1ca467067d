"""Dependencies of the receipt and objection routes as ``Annotated`` aliases."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Path, Request

from portfolio_shared.auth import Principal
from portfolio_shared.service import ServiceRuntime

from ..domain.central import CentralPort
from ..service_layer.confirmation_closer import WindowCloser
from ..service_layer.context import Deps
from ..service_layer.receipts_facts import CoreFacts, ReceiptServices


def get_receipt_services(request: Request) -> ReceiptServices:
    services: ReceiptServices = request.app.state.receipts
    return services


ReceiptServicesDep = Annotated[ReceiptServices, Depends(get_receipt_services)]
ReceiptId = Annotated[str, Path(pattern=r"^[0-9a-f-]{36}$", description="Receipt id")]
ObjectionId = Annotated[str, Path(pattern=r"^[0-9a-f-]{36}$", description="Objection id")]
BatchId = Annotated[str, Path(pattern=r"^[A-Za-z0-9_.:-]{1,64}$", description="Batch id")]
SchoolIdPath = Annotated[str, Path(pattern=r"^[A-Za-z0-9_.:-]{1,64}$", description="School (tenant) id")]
StudentUserId = Annotated[str, Path(pattern=r"^[A-Za-z0-9_.:@-]{1,64}$", description="The student's user id")]


def member_schools(principal: Principal) -> list[str]:
    """The schools whose objects the caller may see at all (another school's object → 404)."""
    return sorted(principal.school_ids)


def window_of(row: dict[str, Any]) -> dict[str, Any] | None:
    if row.get("opens_at") is None:
        return None
    return {
        k: row[k]
        for k in ("first_day", "last_day", "time_zone", "opens_at", "closes_at", "announced_by", "announced_at")
    }


def receipt_services(deps: Deps, *, central: CentralPort | None) -> ReceiptServices:
    """The receipt use cases' collaborators: the service's own facts, the central port's receipts
    (none with the manual adapter: offices import the receipt file) and storage for objections' files."""
    source = central if central is not None and central.name != "manual" else None
    return ReceiptServices(facts=CoreFacts(deps), source=source, storage=deps.runtime.storage)


def start_window_closer(runtime: ServiceRuntime) -> None:
    """Every replica polls for windows to close; the conditional close makes it once (R-SUB-7)."""
    poll = float(getattr(runtime.settings, "receipt_close_poll_seconds", 60.0))
    if poll > 0:
        runtime.run_in_background(WindowCloser(runtime, poll_seconds=poll).run_forever())
