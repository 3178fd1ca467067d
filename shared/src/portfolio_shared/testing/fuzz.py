"""Helpers for the schemathesis runs every service has: no server error on generated requests,
with the tokens of several roles, and no answer that leaks another school's objects."""

from __future__ import annotations

import random
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx
import schemathesis
from hypothesis.errors import NonInteractiveExampleWarning, Unsatisfiable
from schemathesis import GenerationMode

_HTTPX_ARGS = ("method", "url", "params", "headers", "json", "data", "files", "content")


def httpx_request_kwargs(case: Any, headers: dict[str, str]) -> dict[str, Any]:
    """A schemathesis case as keyword arguments for ``httpx.AsyncClient.request``."""
    kwargs: dict[str, Any] = case.as_transport_kwargs(base_url="http://testserver", headers=headers)
    kwargs.pop("cookies", None)
    kwargs["headers"] = {k: str(v) for k, v in (kwargs.get("headers") or {}).items()}
    files = kwargs.get("files")
    if files:
        kwargs["files"] = [
            (name, (filename, value if isinstance(value, str | bytes) else str(value)))
            for name, (filename, value, *_) in files
        ]
    if kwargs.get("data") is None:
        kwargs.pop("data", None)
    elif isinstance(kwargs["data"], str | bytes):
        kwargs["content"] = kwargs.pop("data")  # raw bodies (negative cases) go as content in httpx
    return {k: v for k, v in kwargs.items() if k in _HTTPX_ARGS}


@dataclass
class FuzzReport:
    """What a run saw: 5xx answers (failures), foreign 2xx answers carrying another school's data
    (leaks), and the status counts per identity."""

    failures: list[str] = field(default_factory=list)
    leaks: list[str] = field(default_factory=list)
    statuses: dict[str, dict[int, int]] = field(default_factory=dict)

    @property
    def requests(self) -> int:
        return sum(sum(counts.values()) for counts in self.statuses.values())

    def per_identity(self, name: str) -> int:
        return sum(self.statuses.get(name, {}).values())


async def fuzz_as_roles(
    client: httpx.AsyncClient,
    openapi: dict[str, Any],
    identities: Mapping[str, Mapping[str, str]],
    *,
    pinned: Mapping[str, str] | None = None,
    foreign: Mapping[str, Mapping[str, str]] | None = None,
    canaries: Iterable[str] = (),
    examples: int = 3,
    seed: int = 20261129,
    run_last: Iterable[str] = (),
) -> FuzzReport:
    """Schemathesis over every operation of `openapi`, once per identity (a role's token headers).

    Positive and negative cases alternate; every other case has its path parameters pinned to real
    objects (`pinned`) so the generated bodies reach the code behind them. `foreign` identities
    (tokens of another school) get the same cases and must never receive a 2xx whose body holds one
    of `canaries` (ids, names of the pinned school's objects): the cross-school matrix.
    Operations whose path is in `run_last` (signing out everywhere revokes the very tokens the run
    uses) go after all others.
    """
    schema = schemathesis.openapi.from_dict(openapi)
    report = FuzzReport()
    pinned = dict(pinned or {})
    secrets = [c for c in canaries if c]
    everyone = [(name, headers, False) for name, headers in identities.items()]
    everyone += [(name, headers, True) for name, headers in (foreign or {}).items()]
    chooser = random.Random(seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NonInteractiveExampleWarning)
        last = set(run_last)
        # An Err would raise here: the schema is ours.
        operations = [result.ok() for result in schema.get_all_operations()]  # type: ignore[union-attr]
        operations.sort(key=lambda op: op.path in last)
        for operation in operations:
            names = {p.name for p in operation.path_parameters}
            fixed = {k: v for k, v in pinned.items() if k in names}
            strategies = [
                operation.as_strategy(mode, path_parameters=params)
                for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
                for params in ({}, fixed)
            ]
            for who, headers, is_foreign in everyone:
                counts = report.statuses.setdefault(who, {})
                for index in range(examples):
                    strategy = strategies[(index + chooser.randrange(4)) % 4] if index else strategies[1]
                    try:
                        case = strategy.example()
                    except Unsatisfiable:
                        continue  # e.g. no invalid request exists for an operation without inputs
                    kwargs = httpx_request_kwargs(case, dict(headers))
                    try:
                        response = await client.request(**kwargs)
                    except (httpx.InvalidURL, UnicodeEncodeError):
                        continue  # the client cannot even send it (e.g. lone surrogates in a header)
                    except Exception as exc:  # raised through the transport: a server error
                        report.failures.append(f"[{who}] {kwargs['method']} {kwargs['url']}: {exc!r}")
                        continue
                    counts[response.status_code] = counts.get(response.status_code, 0) + 1
                    line = f"[{who}] {kwargs['method']} {kwargs['url']} → {response.status_code}"
                    if response.status_code >= 500:
                        report.failures.append(f"{line} {response.text[:200]}")
                    elif is_foreign and response.is_success and any(s in response.text for s in secrets):
                        report.leaks.append(f"{line} {response.text[:200]}")
    return report
