"""Use cases of the records service: plain async functions ``(uow, …, command)``.

Nothing here commits: the API (or a consumer, the CLI, a job) calls ``uow.commit()`` so the state
change, its audit row (R-RET-3) and its events (transactional outbox) are written together or not
at all. Routes call these functions directly: records has no command dispatch, so no handler table
(docs/FOUNDATION.md, "Command dispatch"; the decorative table that was here dispatched nothing).
"""
