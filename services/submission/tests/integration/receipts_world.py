"""Shared pieces of the receipt tests: facts the use cases ask for, held in memory (the batches'
own tables are sub-core's; ``adapters/receipts_facts.py`` reads them in the service)."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from portfolio_shared.db import UnitOfWork
from portfolio_submission.domain.objections import Acting
from portfolio_submission.domain.receipts import FileSeen, SubmittedItem
from portfolio_submission.service_layer.receipts_facts import BatchFacts


def nid(n: int) -> str:
    return f"A1{n:08d}"


@dataclass
class Facts:
    batches: dict[str, BatchFacts] = field(default_factory=dict)
    sent: dict[str, list[SubmittedItem]] = field(default_factory=dict)
    left: set[str] = field(default_factory=set)
    acting: dict[tuple[str, str], Acting] = field(default_factory=dict)
    zone: str = "Asia/Taipei"
    corrections: list[dict[str, Any]] = field(default_factory=list)

    async def batch(self, uow: UnitOfWork, batch_id: str) -> BatchFacts | None:
        return self.batches.get(batch_id)

    async def submitted_items(self, uow: UnitOfWork, batch_id: str) -> Sequence[SubmittedItem]:
        return self.sent.get(batch_id, [])

    async def students_who_left(self, uow: UnitOfWork, school_id: str, user_ids: Collection[str]) -> set[str]:
        return {u for u in user_ids if u in self.left}

    async def acting_for(self, uow: UnitOfWork, school_id: str, duty_code: str) -> Acting | None:
        return self.acting.get((school_id, duty_code))

    async def school_time_zone(self, uow: UnitOfWork, school_id: str) -> str:
        return self.zone

    async def create_correction_batch(self, uow: UnitOfWork, **kw: Any) -> str:
        self.corrections.append(kw)
        return f"corr-{len(self.corrections)}"


def outcome_batch(facts: Facts, batch_id: str, students: int, *, school_id: str = "sch-A") -> None:
    """An accepted course-outcomes batch: one outcome with one PDF per student."""
    facts.batches[batch_id] = BatchFacts(
        batch_id, school_id, "123456", "course_outcomes", 114, 0, True, f"central-{batch_id}"
    )
    facts.sent[batch_id] = [
        SubmittedItem(
            f"stu-{n:03d}",
            nid(n),
            "學期",
            n + 2,
            {
                "course_code": "C1",
                "subject_name": "國文",
                "description": f"報告 {n}",
                "year_taken": "114",
                "semester_taken": "1",
            },
            (FileSeen("document_file", f"o{n:03d}.pdf", f"{n:064x}"),),
            item_ref=f"out-{n:03d}",
        )
        for n in range(students)
    ]


def central_receipt(facts: Facts, batch_id: str, *, altered: Mapping[int, str] | None = None) -> dict[str, Any]:
    """The JSON receipt the central database would answer for everything the batch sent."""
    b = facts.batches[batch_id]
    altered = altered or {}
    students = []
    for n, item in enumerate(facts.sent[batch_id]):
        students.append(
            {
                "national_id": item.national_id,
                "items": [
                    {
                        "sheet": item.sheet,
                        "row": item.row,
                        "fields": dict(item.fields),
                        "files": [
                            {"column": f.column, "name": f.name, "size": 100, "sha256": altered.get(n, f.sha256)}
                            for f in item.files
                        ],
                    }
                ],
            }
        )
    return {
        "school_code": b.school_code,
        "kind": b.kind,
        "academic_year": b.academic_year,
        "semester": b.semester,
        "students": students,
    }


@dataclass
class Central:
    answers: dict[str, dict[str, Any]] = field(default_factory=dict)
    calls: int = 0

    async def fetch_receipt(self, central_submission_id: str) -> Mapping[str, Any]:
        self.calls += 1
        return self.answers[central_submission_id]
