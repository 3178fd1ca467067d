"""Tables of the identity service's own database (mapping lives here, away from the domain)."""

from sqlalchemy import MetaData

from portfolio_shared.messaging import messaging_tables

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)
outbox, inbox = messaging_tables(metadata)
