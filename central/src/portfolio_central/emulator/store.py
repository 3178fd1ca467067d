"""What the emulator keeps: windows, submissions with their answers, received items (SQLite), and
accepted packages as files. Durable across restarts: WAL with synchronous=FULL, and a submission
row is committed only after its package file is fsynced and in place."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..reader import ReceivedItem

SCHEMA = """
CREATE TABLE IF NOT EXISTS windows (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  kind TEXT NOT NULL, academic_year INTEGER NOT NULL, semester INTEGER NOT NULL,
  opens_at TEXT NOT NULL, closes_at TEXT NOT NULL, label TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS submissions (
  id TEXT PRIMARY KEY,
  school_code TEXT NOT NULL, kind TEXT NOT NULL, academic_year INTEGER NOT NULL, semester INTEGER NOT NULL,
  idempotency_key TEXT NOT NULL, package_sha256 TEXT NOT NULL, package_size INTEGER NOT NULL,
  batch_id TEXT, status INTEGER NOT NULL, answer TEXT NOT NULL, received_at TEXT NOT NULL,
  UNIQUE (school_code, idempotency_key)
);
CREATE TABLE IF NOT EXISTS items (
  submission_id TEXT NOT NULL REFERENCES submissions(id),
  seq INTEGER NOT NULL, national_id TEXT NOT NULL, sheet TEXT NOT NULL, row INTEGER NOT NULL,
  fields TEXT NOT NULL, files TEXT NOT NULL,
  PRIMARY KEY (submission_id, seq)
);
"""


@dataclass(frozen=True)
class Window:
    id: int | None
    kind: str
    academic_year: int
    semester: int
    opens_at: dt.datetime
    closes_at: dt.datetime
    label: str = ""
    source: str = "admin"

    def open_at(self, now: dt.datetime) -> bool:
        return self.opens_at <= now < self.closes_at


@dataclass(frozen=True)
class Submission:
    id: str
    school_code: str
    kind: str
    academic_year: int
    semester: int
    idempotency_key: str
    package_sha256: str
    package_size: int
    batch_id: str | None
    status: int
    answer: dict[str, Any]
    received_at: dt.datetime


def _ts(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).isoformat()


def _dt(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value)


class Store:
    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.packages = data_dir / "packages"
        self.incoming = data_dir / "incoming"
        for folder in (data_dir, self.packages, self.incoming):
            folder.mkdir(parents=True, exist_ok=True)
        # Bodies half-received when the process died are of no use to anyone.
        for stale in self.incoming.iterdir():
            stale.unlink(missing_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(data_dir / "emulator.db", check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # windows
    def add_window(self, w: Window) -> Window:
        with self._lock:
            cur = self._db.execute(
                "INSERT INTO windows (kind, academic_year, semester, opens_at, closes_at, label) VALUES (?,?,?,?,?,?)",
                (w.kind, w.academic_year, w.semester, _ts(w.opens_at), _ts(w.closes_at), w.label),
            )
        return Window(cur.lastrowid, w.kind, w.academic_year, w.semester, w.opens_at, w.closes_at, w.label)

    def delete_window(self, window_id: int) -> bool:
        with self._lock:
            return self._db.execute("DELETE FROM windows WHERE id = ?", (window_id,)).rowcount > 0

    def windows(self) -> list[Window]:
        with self._lock:
            rows = self._db.execute(
                "SELECT id, kind, academic_year, semester, opens_at, closes_at, label FROM windows ORDER BY id"
            ).fetchall()
        return [Window(r[0], r[1], r[2], r[3], _dt(r[4]), _dt(r[5]), r[6]) for r in rows]

    # submissions
    def find(self, school_code: str, idempotency_key: str) -> Submission | None:
        with self._lock:
            row = self._db.execute(
                f"SELECT {_COLS} FROM submissions WHERE school_code = ? AND idempotency_key = ?",
                (school_code, idempotency_key),
            ).fetchone()
        return _submission(row) if row else None

    def get(self, submission_id: str) -> Submission | None:
        with self._lock:
            row = self._db.execute(f"SELECT {_COLS} FROM submissions WHERE id = ?", (submission_id,)).fetchone()
        return _submission(row) if row else None

    def of_term(self, school_code: str, kind: str, academic_year: int, semester: int) -> list[Submission]:
        with self._lock:
            rows = self._db.execute(
                f"SELECT {_COLS} FROM submissions WHERE school_code = ? AND kind = ?"
                " AND academic_year = ? AND semester = ?"
                " ORDER BY received_at",
                (school_code, kind, academic_year, semester),
            ).fetchall()
        return [_submission(r) for r in rows]

    def count(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT count(*) FROM submissions WHERE status = 201").fetchone()[0])

    def record(self, s: Submission, items: list[ReceivedItem]) -> None:
        """The submission and its items in one transaction: all of it is kept, or none."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.execute(
                    f"INSERT INTO submissions ({_COLS}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                    (
                        s.id,
                        s.school_code,
                        s.kind,
                        s.academic_year,
                        s.semester,
                        s.idempotency_key,
                        s.package_sha256,
                        s.package_size,
                        s.batch_id,
                        s.status,
                        json.dumps(s.answer, ensure_ascii=False),
                        _ts(s.received_at),
                    ),
                )
                self._db.executemany(
                    "INSERT INTO items (submission_id, seq, national_id, sheet, row, fields, files)"
                    " VALUES (?,?,?,?,?,?,?)",
                    [
                        (
                            s.id,
                            seq,
                            i.national_id,
                            i.sheet,
                            i.row,
                            json.dumps(i.fields, ensure_ascii=False),
                            json.dumps([f.__dict__ for f in i.files], ensure_ascii=False),
                        )
                        for seq, i in enumerate(items)
                    ],
                )
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    def items(self, submission_id: str) -> list[dict[str, Any]]:
        with self._lock:
            rows = self._db.execute(
                "SELECT national_id, sheet, row, fields, files FROM items"
                " WHERE submission_id = ? ORDER BY national_id, seq",
                (submission_id,),
            ).fetchall()
        return [
            {"national_id": r[0], "sheet": r[1], "row": r[2], "fields": json.loads(r[3]), "files": json.loads(r[4])}
            for r in rows
        ]

    def package_path(self, submission_id: str) -> Path:
        return self.packages / f"{submission_id}.zip"


_COLS = (
    "id, school_code, kind, academic_year, semester, idempotency_key, package_sha256, package_size,"
    " batch_id, status, answer, received_at"
)


def _submission(r: tuple[Any, ...]) -> Submission:
    return Submission(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9], json.loads(r[10]), _dt(r[11]))
