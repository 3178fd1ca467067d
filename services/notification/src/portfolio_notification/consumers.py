"""Every event the notification service consumes, declared in one place."""

from portfolio_shared.messaging import Subscriptions

SUBSCRIPTIONS: list[Subscriptions] = []
