"""The receipt (收訖明細) and its reconciliation with what students uploaded and selected (R-SUB-5).

The central database answers, per national ID, every item it received with each file's SHA-256.
``reconcile`` matches each received item to what was submitted for the student — by file name and
content hash where the item carries files, by the workbook row and its key fields where it does
not — and gives every item one of four statuses a student can read:

- ``received_identical``: received, and every file's SHA-256 and every field is what was sent;
- ``received_different``: received, but a file's SHA-256 (or a field) differs — flagged for the
  student, who can object (R-SUB-7);
- ``missing``: submitted for the student but not in the receipt;
- ``not_ours``: in the receipt, but nothing the school sent matches it (another school's row,
  or a national ID that is not one of this batch's students).

Pure: no I/O. National IDs are compared here in memory and never stored with the result.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

# Columns that identify a row of a sheet that carries no file (grades, basic data): two rows of
# one student in one sheet with the same key fields are the same item.
KEY_FIELDS: Mapping[str, tuple[str, ...]] = {
    "basic_data": (),
    "grades": ("course_code", "retake_year", "retake_semester"),
    "cadre_records": ("unit", "starts_on", "position"),
    "course_outcomes": ("year_taken", "semester_taken", "course_code"),
    "performances": (),
}
# The receipt workbook lists an item's summary, built from these fields in this order (the same
# order as ``portfolio_central.emulator.receipt``), so a row of a receipt FILE compares by summary.
SUMMARY_KEYS: tuple[str, ...] = (
    "subject_name",
    "course_code",
    "description",
    "name",
    "competition",
    "unit",
    "position",
)
IDENTITY_FIELDS = frozenset({"national_id", "birth_date"})


class ItemStatus(StrEnum):
    RECEIVED_IDENTICAL = "received_identical"
    RECEIVED_DIFFERENT = "received_different"
    MISSING = "missing"
    NOT_OURS = "not_ours"


@dataclass(frozen=True, slots=True)
class FileSeen:
    column: str  # the workbook column key (document_file, video_file)
    name: str  # the file name as the workbook cell names it
    sha256: str
    size: int | None = None


@dataclass(frozen=True, slots=True)
class SubmittedItem:
    """One row the school sent for one student (from the batch's content)."""

    student_user_id: str
    national_id: str  # in memory only, to match the receipt's key
    sheet: str
    row: int | None
    fields: Mapping[str, str]
    files: Sequence[FileSeen] = ()
    item_ref: str | None = None  # the outcome / performance id, when the row is one


@dataclass(frozen=True, slots=True)
class ReceivedItem:
    """One item the central database says it received (a JSON receipt item, or the rows of a
    receipt file that share a student, sheet and row)."""

    national_id: str
    sheet: str
    row: int | None
    fields: Mapping[str, str] | None  # None when only the summary is known (a receipt file)
    files: Sequence[FileSeen] = ()
    summary: str | None = None


@dataclass(frozen=True, slots=True)
class FileCheck:
    column: str
    name: str
    expected_sha256: str | None
    received_sha256: str | None

    @property
    def identical(self) -> bool:
        return self.expected_sha256 is not None and self.expected_sha256 == self.received_sha256


@dataclass(frozen=True, slots=True)
class Reconciled:
    status: ItemStatus
    sheet: str
    row: int | None
    student_user_id: str | None  # None for not_ours
    item_ref: str | None
    summary: str
    files: tuple[FileCheck, ...] = ()
    differing_fields: tuple[str, ...] = field(default_factory=tuple)


def summary_of(fields: Mapping[str, str]) -> str:
    return " / ".join(str(fields[k]) for k in SUMMARY_KEYS if fields.get(k))


def _key(kind: str, item: SubmittedItem | ReceivedItem) -> tuple[str, ...] | None:
    names = KEY_FIELDS.get(kind, ())
    if item.fields is None:
        return None
    return tuple(str(item.fields.get(n, "")) for n in names)


def _compare(kind: str, sent: SubmittedItem, got: ReceivedItem) -> Reconciled:
    # Files pair by name (unique in a package), else by column: a renamed file is still compared.
    received = list(got.files)
    checks: list[FileCheck] = []
    for f in sent.files:
        r = next((x for x in received if x.name == f.name), None) or next(
            (x for x in received if x.column == f.column), None
        )
        if r is not None:
            received.remove(r)
        checks.append(FileCheck(f.column, f.name, f.sha256, r.sha256 if r else None))
    checks.extend(FileCheck(r.column, r.name, None, r.sha256) for r in received)
    differing: list[str] = []
    if got.fields is not None:
        keys = (set(sent.fields) | set(got.fields)) - IDENTITY_FIELDS
        files_cols = {f.column for f in sent.files} | {f.column for f in got.files}
        differing = sorted(
            k for k in keys if k not in files_cols and str(sent.fields.get(k) or "") != str(got.fields.get(k) or "")
        )
    elif got.summary is not None and got.summary != summary_of(sent.fields):
        differing = ["summary"]
    same = all(c.identical for c in checks) and not differing
    return Reconciled(
        ItemStatus.RECEIVED_IDENTICAL if same else ItemStatus.RECEIVED_DIFFERENT,
        sent.sheet,
        sent.row,
        sent.student_user_id,
        sent.item_ref,
        summary_of(sent.fields),
        tuple(checks),
        tuple(differing),
    )


def reconcile(kind: str, submitted: Iterable[SubmittedItem], received: Iterable[ReceivedItem]) -> list[Reconciled]:
    """Every submitted item and every received item, once, with its status (R-SUB-5).

    Matching, per national ID and sheet, in this order: a file name both sides share (file names
    are unique in a package); then the workbook row; then the sheet's key fields. Each item is
    matched at most once.
    """
    sent_by: dict[tuple[str, str], list[SubmittedItem]] = defaultdict(list)
    for s in submitted:
        sent_by[(s.national_id, s.sheet)].append(s)
    out: list[Reconciled] = []
    leftovers: list[ReceivedItem] = []
    for got in received:
        pool = sent_by.get((got.national_id, got.sheet), [])
        match = _find(kind, pool, got)
        if match is None:
            leftovers.append(got)
            continue
        pool.remove(match)
        out.append(_compare(kind, match, got))
    for got in leftovers:
        out.append(
            Reconciled(
                ItemStatus.NOT_OURS,
                got.sheet,
                got.row,
                None,
                None,
                got.summary if got.summary is not None else summary_of(got.fields or {}),
                tuple(FileCheck(f.column, f.name, None, f.sha256) for f in got.files),
            )
        )
    for pool in sent_by.values():
        for sent in pool:
            out.append(
                Reconciled(
                    ItemStatus.MISSING,
                    sent.sheet,
                    sent.row,
                    sent.student_user_id,
                    sent.item_ref,
                    summary_of(sent.fields),
                    tuple(FileCheck(f.column, f.name, f.sha256, None) for f in sent.files),
                )
            )
    return out


def _find(kind: str, pool: list[SubmittedItem], got: ReceivedItem) -> SubmittedItem | None:
    names = {f.name for f in got.files}
    if names:
        for s in pool:
            if names & {f.name for f in s.files}:
                return s
    if got.row is not None:
        for s in pool:
            if s.row == got.row:
                return s
    key = _key(kind, got)
    if key is not None:
        for s in pool:
            if _key(kind, s) == key:
                return s
    return None


def counts(items: Iterable[Reconciled]) -> dict[str, int]:
    """How many items per status (every status present, zero included)."""
    tally = {s.value: 0 for s in ItemStatus}
    for item in items:
        tally[item.status.value] += 1
    return tally
