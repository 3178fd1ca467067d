"""Pure domain model of the identity service: no I/O, no database, no web framework.

Modules: `roles` (roles and permissions), `duties` (Annex-1 duty table and delegation),
`passwords` (argon2id hashing and policy), `sis_sync` (nightly SIS account export),
`school` (school codes and ROC academic years), `errors` (domain exceptions).
"""
