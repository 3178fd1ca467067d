"""The handler table names every state-changing handler, and each is an async function."""

from __future__ import annotations

import inspect

from portfolio_identity.service_layer.handlers import HANDLERS


def test_every_handler_is_a_coroutine_function_registered_under_its_own_name() -> None:
    for name, handler in HANDLERS.items():
        assert inspect.iscoroutinefunction(handler), name
        assert handler.__name__ == name
    assert {"mark_absence", "set_order", "extend_teacher", "authorise_on_behalf", "run_sync", "login"} <= set(HANDLERS)
