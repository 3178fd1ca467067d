"""Pure domain code of the records service: no database, no web framework, no network.

Modules:
- ``errors``: domain exceptions with stable codes (mapped to RFC 9457 problem details by the API).
- ``national_id``: Taiwan national ID number (身分證明號碼) validation and masking (R-DATA-1).
- ``crypto``: field encryption at rest and blind indexes for exact lookup.
- ``grades_csv``: the SIS grade export parser (R-DATA-2, R-DUTY-3).
- ``calendar``: academic years, semesters and phase windows (R-SCHED-1, R-SUB-6).
- ``enrolment``: enrolment statuses and changes (R-ENR-1).
"""
