"""Tables of the submission service's own database (mapping lives here, away from the domain)."""

from portfolio_shared.messaging import service_metadata

metadata, outbox, inbox = service_metadata()

# Receipts, confirmation and objections (R-SUB-5..9) register their tables on this metadata.
from . import receipts_orm as _receipts_orm  # noqa: E402,F401
