"""Identity's use cases. A state-changing handler is a plain async function `(uow, caller, ...)`:
it checks the caller's right at the object's school (another school's object → 404, a missing
permission → 403), changes state, publishes its events through `uow.publish` (outbox) and writes the
audit row; its caller (a router or the CLI) commits, so state, events and audit land in ONE
transaction. Routes call these functions directly: identity has no command objects, so no handler
table (docs/FOUNDATION.md, "Command dispatch").
"""
