"""The central database as a port (one interface, two adapters): what the sending worker asks of it
and the answers it gets. The real central database's API is not public; the emulator adapter speaks
the emulator's API (portfolio_central.emulator), the manual adapter hands the package to the office.

A package is sent with its batch's ONE idempotency key: a retry after a crash or a timeout sends the
same bytes with the same key, and the central database answers the first answer again instead of
recording a second submission.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True)
class PackageRequest:
    """One package for one school, kind (central layout kind) and term."""

    school_code: str
    kind: str
    academic_year: int
    semester: int
    idempotency_key: str
    size: int
    sha256: str


@dataclass(frozen=True)
class Accepted:
    """The central database accepted and kept the package."""

    submission_id: str
    received_at: str | None
    student_count: int
    item_count: int
    package_sha256: str | None = None
    replayed: bool = False


@dataclass(frozen=True)
class Refused:
    """The central database refused the package as malformed: its line-level reasons (workbook,
    sheet, row, column, rule — never a cell's value), kept and shown to the office."""

    submission_id: str | None
    detail: str
    errors: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class HandedOver:
    """Manual adapter: nothing was sent; the office downloads the package and uploads it by hand."""


Answer = Accepted | Refused | HandedOver


class CentralUnavailable(Exception):
    """The central database could not be reached or answered 5xx/429: worth another attempt later.
    ``retry_after`` is the server's Retry-After in seconds, when it gave one."""

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


class CentralRejected(Exception):
    """A permanent answer other than a refusal of the contents (outside the window, the key used for
    another package, too large, unknown kind): another attempt would get the same."""

    def __init__(self, code: str, detail: str, *, status: int, extra: dict[str, Any] | None = None) -> None:
        super().__init__(f"{code}: {detail}")
        self.code = code
        self.detail = detail
        self.status = status
        self.extra = extra or {}


class ReceiptNotAvailable(Exception):
    """This adapter cannot fetch receipts (manual: the office imports the receipt file)."""


class CentralPort(Protocol):
    name: str

    async def submit(self, request: PackageRequest, body: Callable[[], Iterable[bytes]]) -> Answer:
        """Send the package; ``body()`` streams its bytes (called once per attempt). Raises
        :class:`CentralUnavailable` or :class:`CentralRejected`."""
        ...

    async def status(self, submission_id: str) -> Accepted | Refused:
        """The answer the central database gave for an earlier submission."""
        ...

    async def fetch_receipt(self, submission_id: str) -> dict[str, Any]:
        """The receipt (收訖明細) of an accepted submission as JSON (issue 12 imports it)."""
        ...

    async def close(self) -> None: ...
