"""A stand-alone emulator of the central database (學習歷程中央資料庫), for tests and demos.

The real central database's API is not public; this emulator gives the submission service's
central-database port a real HTTP peer that keeps windows, validates packages against the same
layouts, keeps what it accepted, answers receipts (收訖明細) and can be told to misbehave.
"""
