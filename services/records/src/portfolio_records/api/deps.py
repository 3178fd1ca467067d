"""Dependencies of the records API as ``Annotated`` aliases."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends, Path, Query, Request

from portfolio_records.service_layer.security import RecordsCrypto
from portfolio_shared.api_deps import UowDep as UowDep
from portfolio_shared.auth import CurrentPrincipal, Principal
from portfolio_shared.problems import forbidden


def get_crypto(request: Request) -> RecordsCrypto:
    crypto: RecordsCrypto = request.app.state.crypto
    return crypto


CryptoDep = Annotated[RecordsCrypto, Depends(get_crypto)]
SchoolId = Annotated[str, Path(pattern=r"^[A-Za-z0-9_.:-]{1,64}$", description="School (tenant) id")]
StudentId = Annotated[uuid.UUID, Path(description="Student id")]
AcademicYearPath = Annotated[int, Path(ge=100, le=299, description="ROC academic year, e.g. 114")]
SemesterPath = Annotated[int, Path(ge=1, le=2)]
AcademicYearQuery = Annotated[int, Query(ge=100, le=299, description="ROC academic year, e.g. 114")]
SemesterQuery = Annotated[int, Query(ge=1, le=2)]
Limit = Annotated[int, Query(ge=1, le=500)]
Offset = Annotated[int, Query(ge=0, le=1_000_000)]


def require_member(principal: Principal, school_id: str) -> None:
    """Anyone with a role or permission at the school (published data such as the schedule)."""
    if school_id not in principal.school_ids and not principal.district_permissions:
        raise forbidden(f"you have no role at school {school_id}")


__all__ = ["CurrentPrincipal", "require_member"]
