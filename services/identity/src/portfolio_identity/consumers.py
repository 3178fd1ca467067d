"""Every event the identity service consumes, declared in one place.

Records seals a graduate (the account closes) and, after the archive period, asks for the deletion
(the account is anonymised) — R-RET-1, through portfolio_shared.retention.
"""

from portfolio_shared.messaging import Subscriptions
from portfolio_shared.retention import join_retention

from .adapters.orm import sealed_students
from .service_layer.retention import close_graduate_account, erase

records_events = join_retention(
    Subscriptions("identity.records"),
    service="identity",
    sealed=sealed_students,
    erase=erase,
    on_seal=close_graduate_account,
)

SUBSCRIPTIONS: list[Subscriptions] = [records_events]
