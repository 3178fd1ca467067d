"""Pure domain model of the artifacts service: no I/O, no framework, no database.

Modules:
- ``errors``: domain exceptions with stable codes, mapped to RFC 9457 problems by the HTTP layer.
- ``filetypes``: real file type detection from magic bytes.
- ``file_rules``: the central database's file rules (R-FILE-1, R-FILE-2).
- ``performances``: multiple-performance categories as versioned data (R-PERF-1, R-FILE-3).
- ``policy``: per-school upload caps and national selection caps (R-ART-2, R-ART-4, R-PERF-1, R-PERF-2).
- ``outcomes``: course learning outcome lifecycle (R-ART-3, R-ART-5).
- ``enrolment``: which enrolment statuses may still add data (R-DATA-6, R-ENR-1).
"""
