"""Every handler of the identity service that changes state, registered in one visible table.

A handler is a plain async function `(uow, caller, ...)`: it checks the caller's right at the
object's school (another school's object → 404, a missing permission → 403), changes state,
publishes its events through `uow.publish` (outbox) and writes the audit row; its caller (a router
or the CLI) commits, so state, events and audit land in ONE transaction. Queries live beside
their handlers in the same modules.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from types import MappingProxyType
from typing import Any

from . import accounts, admin, auth, duties, sync, teachers, tenants

Handler = Callable[..., Awaitable[Any]]

HANDLERS: Mapping[str, Handler] = MappingProxyType(
    {
        # tenants (學校 / 主管機關)
        "create_district": tenants.create_district,
        "create_school": tenants.create_school,  # seeds the Annex-1 duties, R-DUTY-1
        "update_school": tenants.update_school,
        "grant_platform_role": admin.grant_platform_role,
        "ensure_system_admin": admin.ensure_system_admin,  # bootstrap
        "create_demo_data": admin.create_demo_data,  # development only
        # accounts (帳號)
        "create_user": accounts.create_user,
        "add_member": accounts.add_member,
        "update_user": accounts.update_user,  # status changes re-resolve duties, R-DUTY-2
        "set_roles": accounts.set_roles,  # R-DUTY-1
        "set_password": accounts.set_password,
        "change_own_password": auth.change_own_password,
        # duties and delegation (工作職掌、代理順位)
        "create_duty": duties.create_duty,  # R-DUTY-1
        "update_duty": duties.update_duty,  # R-DUTY-1
        "set_order": duties.set_order,  # R-DUTY-1
        "mark_absence": duties.mark_absence,  # R-DUTY-2
        "cancel_absence": duties.cancel_absence,  # R-DUTY-2
        # teachers who leave (R-ART-5)
        "extend_teacher": teachers.extend_teacher,
        "authorise_on_behalf": teachers.authorise_on_behalf,
        "revoke_on_behalf": teachers.revoke_on_behalf,
        # sign-in, tokens, keys
        "login": auth.login,
        "refresh": auth.refresh,
        "logout": auth.logout,
        "logout_everywhere": auth.logout_everywhere,
        "rotate_signing_key": auth.rotate_signing_key,
        # nightly account sync (R-DUTY-3)
        "run_sync": sync.run_sync,
    }
)
