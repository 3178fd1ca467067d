"""The central database by hand: nothing is sent over the network. The sending worker builds and
stores the package as for the emulator, then hands the batch over (:class:`HandedOver`); the office
downloads the package (audited), uploads it to the real central database itself, and records the
central database's answer (accepted, with its reference; or refused) through the API. The receipt
file is imported by staff (issue 12), not fetched.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from portfolio_submission.domain.central import (
    Accepted,
    Answer,
    CentralRejected,
    HandedOver,
    PackageRequest,
    ReceiptNotAvailable,
    Refused,
)


class ManualCentral:
    name = "manual"

    async def submit(self, request: PackageRequest, body: Callable[[], Iterable[bytes]]) -> Answer:
        return HandedOver()

    async def status(self, submission_id: str) -> Accepted | Refused:
        raise CentralRejected(
            "manual-central",
            "the manual adapter cannot ask the central database; the office records its answer",
            status=0,
        )

    async def fetch_receipt(self, submission_id: str) -> dict[str, Any]:
        raise ReceiptNotAvailable("with the manual adapter the office imports the receipt file (收訖明細)")

    async def close(self) -> None:
        return None
