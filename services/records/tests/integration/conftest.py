"""Records service on the real PostgreSQL and RabbitMQ, through its HTTP API."""

from __future__ import annotations

import base64
import importlib.util
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio

if importlib.util.find_spec("portfolio_records") is None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "src"))

from portfolio_records.app import create
from portfolio_records.bootstrap import bootstrap
from portfolio_records.config import Settings
from portfolio_records.domain.calendar import term_of
from portfolio_records.domain.crypto import generate_key
from portfolio_records.domain.national_id import check_digit
from portfolio_shared.messaging.topology import Topology
from portfolio_shared.permissions import Permission as P
from portfolio_shared.service import ServiceRuntime
from portfolio_shared.testing.fixtures import delete_topology
from portfolio_shared.testing.harness import running
from portfolio_shared.testing.tokens import TokenMinter

REGISTRY = [P.ENROLMENT_WRITE, P.RECORDS_READ, P.GRADES_WRITE]
STAFF = [
    P.ENROLMENT_WRITE,
    P.RECORDS_READ,
    P.GRADES_WRITE,
    P.COURSE_PLAN_WRITE,
    P.TEACHER_ASSIGNMENT_WRITE,
    P.CADRE_WRITE,
    P.SERVICE_LEARNING_WRITE,
    P.REWARDS_WRITE,
    P.PSYCH_TESTS_WRITE,
    P.COUNSELLING_WRITE,
    P.COUNSELLING_READ,
    P.SCHEDULE_WRITE,
    P.SCHEDULE_READ,
    P.SELFCHECK_READ,
    P.AUDIT_READ,
]


def national_id(n: int, letter: str = "A", sex: str = "1") -> str:
    """A valid citizen ID number built from ``n`` (test data, R-DATA-1)."""
    first_nine = f"{letter}{sex}{n % 10_000_000:07d}"
    return first_nine + check_digit(first_nine)


def make_settings(**overrides: Any) -> Settings:
    keys = f"k1:{base64.b64encode(generate_key()).decode()}"
    values: dict[str, Any] = {
        "environment": "test",
        "field_keys": keys,
        "field_current_kid": "k1",
        "blind_index_key": base64.b64encode(generate_key()).decode(),
        "log_json": False,
        **overrides,
    }
    return Settings(**values)


@dataclass
class Records:
    client: httpx.AsyncClient
    runtime: ServiceRuntime
    minter: TokenMinter

    def staff(self, school: str, perms: list[P] | None = None, user: str = "staff-1") -> dict[str, str]:
        return self.minter.headers(user, schools={school: [str(p) for p in (perms or STAFF)]})

    def student(self, school: str, user: str, perms: list[P] | None = None) -> dict[str, str]:
        granted = perms or [P.RECORDS_READ_OWN, P.COUNSELLING_READ_OWN]
        return self.minter.headers(
            user, schools={school: [str(p) for p in granted]}, roles={school: ["student"]}, kind="student"
        )

    async def open_data_entry(self, school: str, academic_year: int = 114, semester: int = 1) -> None:
        """Windows are closed unless opened (R-REC-1): open the term's data entry until 2199."""
        window = {
            "phase": "data_entry",
            "starts_at": "2000-01-01T00:00:00+08:00",
            "ends_at": "2199-12-31T00:00:00+08:00",
            "self_check_at": "2199-12-30T00:00:00+08:00",
        }
        r = await self.client.put(
            f"/api/v1/schools/{school}/calendar/{academic_year}/{semester}",
            json={"windows": [window]},
            headers=self.staff(school),
        )
        assert r.status_code == 200, r.text

    async def open_data_entry_now(self, school: str) -> None:
        """Open the current semester's data entry (basic-data corrections are entered in it, R-REC-1)."""
        term = term_of(datetime.now(UTC))
        await self.open_data_entry(school, term.academic_year, term.semester)

    async def admit(self, school: str, n: int, *, number: str | None = None, **extra: Any) -> dict[str, Any]:
        body = {
            "name": f"學生{n}",
            "national_id": national_id(n),
            "birth_date": "2009-05-01",
            "student_number": number or f"S{n:05d}",
            "class_name": extra.pop("class_name", "101"),
            "seat_number": extra.pop("seat_number", (n % 40) + 1),
            "effective_on": "2025-08-01",
            **extra,
        }
        r = await self.client.post(f"/api/v1/schools/{school}/students", json=body, headers=self.staff(school))
        assert r.status_code == 201, r.text
        result: dict[str, Any] = r.json()
        return result


@pytest.fixture
def minter() -> TokenMinter:
    return TokenMinter()


@pytest.fixture
def nid() -> Any:
    """``nid(n)`` → a valid national ID number for test student ``n``."""
    return national_id


@pytest.fixture
def settings_factory() -> Any:
    return make_settings


@pytest_asyncio.fixture
async def records(
    make_database: Any, rabbitmq_url: str, topology: Topology, minter: TokenMinter, request: pytest.FixtureRequest
) -> AsyncIterator[Records]:
    name = "records_" + "".join(ch for ch in request.node.name if ch.isalnum())[:40]
    url = await make_database(name)
    settings = make_settings(database_url=url, broker_url=rabbitmq_url, topology_prefix=topology.prefix)
    runtime = bootstrap(settings, verifier=minter.verifier())
    async with running(runtime, create) as client:
        yield Records(client, runtime, minter)
    await delete_topology(rabbitmq_url, topology, ("records.identity",))
