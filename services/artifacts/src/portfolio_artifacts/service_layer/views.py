"""Read models: what the API returns for an outcome or a performance, with its files."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from types import SimpleNamespace
from typing import Any

from sqlalchemy import Select, Table, select

from portfolio_artifacts.adapters.orm import files, outcomes, performances
from portfolio_artifacts.adapters.sql import Executor


def file_view(f: Any) -> dict[str, Any]:
    if isinstance(f, dict):
        f = SimpleNamespace(**f)
    return {
        "file_id": str(f.id),
        "slot": f.slot,
        "version": f.version,
        "filename": f.filename,
        "status": f.status,
        "size": f.size if f.size is not None else f.declared_size,
        "sha256": f.sha256 or f.declared_sha256,
        "mime": f.mime,
        "refusal": f.refusal,
        "integrity": f.integrity,
    }


async def files_of(session: Executor, owner_kind: str, owner_ids: Sequence[Any]) -> dict[Any, list[dict[str, Any]]]:
    out: dict[Any, list[dict[str, Any]]] = defaultdict(list)
    if not owner_ids:
        return out
    rows = await session.execute(
        select(files)
        .where(files.c.owner_kind == owner_kind, files.c.owner_id.in_(list(owner_ids)))
        .order_by(files.c.version, files.c.slot, files.c.created_at)
    )
    for f in rows:
        out[f.owner_id].append(file_view(f))
    return out


# Built once: labelling 21 columns per request costs more CPU than the query itself.
_FILE_COLUMNS = [c.label(f"f_{c.name}") for c in files.c]
_FILE_ORDER = (files.c.version, files.c.slot, files.c.created_at)


async def with_files(
    session: Executor, table: Table, page_ids: Select[Any], owner_kind: str
) -> list[tuple[Any, list[dict[str, Any]]]]:
    """One statement for a page of items and all their files: the items whose ids ``page_ids`` selects
    (newest first, as every list is), with their files joined."""
    query = (
        select(table, *_FILE_COLUMNS)
        .outerjoin(files, (files.c.owner_kind == owner_kind) & (files.c.owner_id == table.c.id))
        .where(table.c.id.in_(page_ids))
        .order_by(table.c.created_at.desc(), table.c.id, *_FILE_ORDER)
    )
    names = [c.name for c in table.c]
    items: dict[Any, tuple[Any, list[dict[str, Any]]]] = {}
    for r in await session.execute(query):
        m = r._mapping
        entry = items.get(m["id"])
        if entry is None:
            entry = items[m["id"]] = (SimpleNamespace(**{n: m[n] for n in names}), [])
        if m["f_id"] is not None:
            entry[1].append(file_view({c.name: m[f"f_{c.name}"] for c in files.c}))
    return list(items.values())


def _counts_until(row: Any) -> Any:
    # A draft counts towards the cap until then, unless completed or cancelled (R-ART-2, R-PERF-1).
    return getattr(row, "upload_expires_at", None) if row.status == "draft" else None


def _outcome(row: Any, file_views: list[dict[str, Any]]) -> dict[str, Any]:
    last_certification = None
    if row.certified_by:
        last_certification = {
            "certified_by": row.certified_by,
            "on_behalf_of": row.on_behalf_of,
            "basis": row.certification_basis,
            "certified_at": row.certified_at,
        }
    # ``certification``: the one that stands (certified, or withdrawn while certified). A return keeps
    # the last one recorded as ``last_certification`` (R-RET-3); the history has them all.
    stands = row.status == "certified" or (row.status == "withdrawn" and row.withdrawn_from == "certified")
    certification = last_certification if stands else None
    return {
        "id": str(row.id),
        "school_id": row.school_id,
        "origin_school_id": getattr(row, "origin_school_id", None) or row.school_id,
        "student_user_id": row.student_user_id,
        "course_id": row.course_id,
        "academic_year": row.academic_year,
        "semester": row.semester,
        "title": row.title,
        "description": row.description,
        "status": row.status,
        "version": row.version,
        "selected": row.selected,
        "frozen_by_batch": getattr(row, "frozen_by_batch", None),
        "certification": certification,
        "last_certification": last_certification,
        "return_reason": row.return_reason,
        "returned_by": row.returned_by,
        "created_at": row.created_at,
        "updated_at": row.updated_at,
        "draft_counts_until": _counts_until(row),
        "files": file_views,
    }


def _performance(row: Any, file_views: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "id": str(row.id),
        "school_id": row.school_id,
        "origin_school_id": getattr(row, "origin_school_id", None) or row.school_id,
        "student_user_id": row.student_user_id,
        "academic_year": row.academic_year,
        "category": row.category,
        "catalog_version": row.catalog_version,
        "fields": row.fields,
        "description": row.description,
        "status": row.status,
        "version": row.version,
        "selected": row.selected,
        "frozen_by_batch": getattr(row, "frozen_by_batch", None),
        "created_at": row.created_at,
        "updated_at": row.updated_at,
        "draft_counts_until": _counts_until(row),
        "files": file_views,
    }


def outcome_view_of(values: dict[str, Any], file_views: list[dict[str, Any]]) -> dict[str, Any]:
    """The view from values already in hand (no query)."""
    return _outcome(SimpleNamespace(**values), file_views)


def performance_view_of(values: dict[str, Any], file_views: list[dict[str, Any]]) -> dict[str, Any]:
    return _performance(SimpleNamespace(**values), file_views)


async def outcome_view(session: Executor, row: Any) -> dict[str, Any]:
    return _outcome(row, (await files_of(session, "outcome", [row.id]))[row.id])


async def outcome_page(session: Executor, page_ids: Select[Any]) -> list[dict[str, Any]]:
    return [_outcome(row, fs) for row, fs in await with_files(session, outcomes, page_ids, "outcome")]


async def performance_page(session: Executor, page_ids: Select[Any]) -> list[dict[str, Any]]:
    return [_performance(row, fs) for row, fs in await with_files(session, performances, page_ids, "performance")]


async def performance_view(session: Executor, row: Any) -> dict[str, Any]:
    return _performance(row, (await files_of(session, "performance", [row.id]))[row.id])
