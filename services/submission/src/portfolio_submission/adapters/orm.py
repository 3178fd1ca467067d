"""Tables of the submission service's own database (mapping lives here, away from the domain)."""

from portfolio_shared.messaging import service_metadata

metadata, outbox, inbox = service_metadata()
