"""Tables of the submission service's own database (mapping lives here, away from the domain)."""

from portfolio_shared.messaging import service_metadata

metadata, outbox, inbox = service_metadata()

from . import central_tables as _central_tables  # noqa: E402, F401 - sending's tables on this metadata
