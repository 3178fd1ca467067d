"""The first hour of a new school (issue 18), on the README's run command (the standalone shape):
the demo school is usable at once, the first page and the printed next steps guide, the API docs
render without the internet, and every time in every documented response is RFC 3339 with an offset.
"""

from __future__ import annotations

import hashlib
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from portfolio_shared.testing.sample_files import sample_pdf
from portfolio_shared.testing.servers import port_open
from portfolio_shared.timefmt import is_rfc3339_with_offset

ROOT = Path(__file__).resolve().parents[1]
SERVICES = ("identity", "records", "artifacts", "submission", "notification")
BUILT = ("identity", "records", "artifacts")
PASSWORD = "demo-password-2025"
ADMIN_LOGIN, ADMIN_PASSWORD = "first-hour-admin", "First-hour admin passphrase 2026!"
CHROMIUM = Path("/usr/bin/chromium")
TIME_LIKE = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")


def _pdf(tag: str) -> bytes:
    # A real PDF (uploads are parsed as their type, R-FILE-1); random padding makes each one new.
    return sample_pdf(1500 + len(tag))


@dataclass
class Standalone:
    base: int
    data: Path
    log: Path
    urls: dict[str, str] = field(default_factory=dict)

    def output(self) -> str:
        return self.log.read_text()


def _free_base() -> int:
    import random

    for _ in range(50):
        base = random.randint(20000, 60000)
        if not any(
            port_open("127.0.0.1", base + i, timeout=0.2) for i in range(len(SERVICES) + 2)
        ):  # + the emulator, the portal
            return base
    raise RuntimeError("no five free consecutive ports")


def _start(tmp: Path, env: dict[str, str]) -> tuple[subprocess.Popen[str], Standalone] | None:
    """One start on free-looking ports; None when another process took a port meanwhile."""
    base, ready = _free_base(), tmp / "ready"
    data, log = tmp / f"data-{base}", tmp / f"output-{base}.txt"
    command = [sys.executable, str(ROOT / "scripts" / "portfolio.py"), "run", "--port-base", str(base)]
    command += ["--data", str(data), "--ready-file", str(ready)]
    with log.open("w") as out:
        proc = subprocess.Popen(command, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, text=True, env=env)
    node = Standalone(base, data, log, {name: f"http://127.0.0.1:{base + i}" for i, name in enumerate(SERVICES)})
    deadline = time.monotonic() + 120
    while not ready.exists():
        if proc.poll() is not None:
            if "address already in use" in node.output():  # the machine is shared: try other ports
                return None
            raise AssertionError(f"standalone exited early:\n{node.output()}")
        if time.monotonic() > deadline:
            proc.kill()
            raise AssertionError(f"standalone not ready within 120 s:\n{node.output()}")
        time.sleep(0.2)
    return proc, node


@pytest.fixture(scope="module")
def standalone(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Standalone]:
    """The README's run command with nothing but the defaults (demo data on), plus a platform
    administrator for the one identity operation only they may call (key rotation)."""
    env = {
        **os.environ,
        "PYTHONUNBUFFERED": "1",
        "PORTFOLIO_IDENTITY_BOOTSTRAP_ADMIN_LOGIN": ADMIN_LOGIN,
        "PORTFOLIO_IDENTITY_BOOTSTRAP_ADMIN_PASSWORD": ADMIN_PASSWORD,
    }
    env.pop("PORTFOLIO_DEMO_DATA", None)
    started = None
    for _ in range(3):
        started = _start(tmp_path_factory.mktemp("first-hour"), env)
        if started is not None:
            break
    assert started is not None, "three starts lost their ports to other processes"
    proc, node = started
    try:
        yield node
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, node.output()


def _login(node: Standalone, login: str, password: str = PASSWORD) -> dict[str, str]:
    r = httpx.post(
        f"{node.urls['identity']}/api/v1/auth/login", json={"login_name": login, "password": password}, timeout=10
    )
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def _me(node: Standalone, headers: dict[str, str]) -> dict[str, Any]:
    me: dict[str, Any] = httpx.get(f"{node.urls['identity']}/api/v1/auth/me", headers=headers, timeout=10).json()
    return me


def _declare(data: bytes, name: str = "outcome.pdf") -> dict[str, Any]:
    return {
        "slot": "document",
        "filename": name,
        "content_type": "application/pdf",
        "size": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
    }


def _upload(client: httpx.Client, node: Standalone, student: dict[str, str], course_id: str, tag: str) -> Any:
    data = _pdf(tag)
    body = {
        "course_id": course_id,
        "title": f"First hour {tag}",
        "description": "第一小時的上傳 an upload in the first hour",
        "files": [
            {
                "slot": "document",
                "filename": f"{tag}.pdf",
                "content_type": "application/pdf",
                "size": len(data),
                "sha256": hashlib.sha256(data).hexdigest(),
            }
        ],
    }
    started = client.post(f"{node.urls['artifacts']}/api/v1/outcomes/uploads", json=body, headers=student)
    assert started.status_code == 201, started.text
    ticket = started.json()["uploads"][0]
    assert client.request(ticket["method"], ticket["url"], content=data, headers=ticket["headers"]).status_code == 200
    return started


# -- 4. demo data you can use at once --------------------------------------------------------------


def test_demo_student_uploads_teacher_certifies_student_selects_with_no_set_up(standalone: Standalone) -> None:
    """R-ART-1 → R-ART-3 → R-ART-4 on the demo school as it comes: no window, course or enrolment call."""
    node, arts = standalone, standalone.urls["artifacts"]
    student, teacher = _login(node, "demo-student"), _login(node, "demo-teacher")
    with httpx.Client(timeout=15) as client:
        mine = client.get(f"{arts}/api/v1/outcomes", headers=student).json()
        sample = next(o for o in mine if o["status"] == "certified")  # one sample outcome comes certified
        assert sample["certification"]["basis"] == "teacher"
        started = _upload(client, node, student, sample["course_id"], "e2e")
        outcome_id = started.json()["outcome_id"]
        done = client.post(f"{arts}/api/v1/outcomes/{outcome_id}/complete", headers=student)
        assert done.status_code == 200 and done.json()["status"] == "submitted", done.text
        to_certify = client.get(f"{arts}/api/v1/outcomes", params={"status": "submitted"}, headers=teacher).json()
        assert outcome_id in [o["id"] for o in to_certify]  # the teacher sees it as theirs to certify
        certified = client.post(f"{arts}/api/v1/outcomes/{outcome_id}/certify", headers=teacher)
        assert certified.status_code == 200 and certified.json()["status"] == "certified", certified.text
        selected = client.put(f"{arts}/api/v1/outcomes/{outcome_id}/selection", headers=student)
        assert selected.status_code == 200 and selected.json()["selected"] is True, selected.text
        sample_selected = client.put(f"{arts}/api/v1/outcomes/{sample['id']}/selection", headers=student)
        assert sample_selected.status_code == 200, sample_selected.text


def test_demo_district_has_an_administrator(standalone: Standalone) -> None:
    district = _me(standalone, _login(standalone, "demo-district"))
    (school,) = district["schools"].values()
    assert "district_admin" in school["roles"] and "schools:manage" in school["perms"]


def test_demo_windows_cover_every_phase_of_the_current_term(standalone: Standalone) -> None:
    guidance = _login(standalone, "demo-guidance")
    school_id = next(iter(_me(standalone, guidance)["schools"]))
    now = datetime.now(UTC)
    year, semester = _term(now)
    schedule = httpx.get(
        f"{standalone.urls['records']}/api/v1/schools/{school_id}/calendar/{year}/{semester}", headers=guidance
    ).json()
    phases = [w["phase"] for w in schedule["windows"]]
    assert phases == [
        "data_entry",
        "outcome_upload",
        "outcome_certification",
        "outcome_selection",
        "performance_upload",
        "performance_selection",
        "submission",
        "receipt_confirmation",
    ]
    for w in schedule["windows"]:
        assert datetime.fromisoformat(w["starts_at"]) <= now < datetime.fromisoformat(w["ends_at"])
        assert w["starts_at"].endswith("+08:00")  # windows are read by people in Taipei


def _term(now: datetime) -> tuple[int, int]:
    local = now + timedelta(hours=8)
    year = local.year - 1911 - (0 if local.month >= 8 else 1)
    return year, (2 if 2 <= local.month < 8 else 1)


# -- 5. a guided first run ---------------------------------------------------------------------------


def test_run_prints_next_steps_and_every_service_answers_root_with_links(standalone: Standalone) -> None:
    output = standalone.output()
    steps = output[output.index("Next steps") :]
    identity = standalone.urls["identity"]
    portal = f"http://127.0.0.1:{standalone.base + len(SERVICES) + 1}"  # after the central-database emulator
    assert f"1. Open the portal 入口網站: {portal}/ and sign in" in steps
    assert "demo-student" in steps and PASSWORD in steps
    assert f"2. The APIs 程式介面: {identity}/" in steps
    assert f"3. Your data 資料位置: {standalone.data.resolve()}" in steps
    for url in standalone.urls.values():
        r = httpx.get(f"{url}/", timeout=5)
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
        for target in standalone.urls.values():
            assert f'href="{target}/docs"' in r.text
        assert "登入" in r.text and "Sign in" in r.text and str(standalone.data.resolve()) in r.text
        assert "http" not in re.sub(
            r'href="http://127\.0\.0\.1:\d+/docs"|<code>http://127\.0\.0\.1:\d+</code>|href="http://127\.0\.0\.1:\d+/"',
            "",
            r.text,
        )


# -- 1. API docs without the internet ------------------------------------------------------------------


def test_docs_render_in_headless_chromium_with_no_request_leaving_the_machine(standalone: Standalone) -> None:
    if not CHROMIUM.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{CHROMIUM} is missing; .ci/run installs it (apt-get install chromium)")
        pytest.skip(f"{CHROMIUM} is missing: apt-get install chromium fonts-noto-cjk")
    from playwright.sync_api import Route, sync_playwright

    left: list[str] = []
    local: list[str] = []

    def guard(route: Route) -> None:
        host = urlsplit(route.request.url).hostname
        if host in ("127.0.0.1", "localhost"):
            local.append(route.request.url)
            route.continue_()
        else:  # the intranet without internet: nothing outside answers
            left.append(route.request.url)
            route.abort("internetdisconnected")

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=str(CHROMIUM),
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-default-apps",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        try:
            context = browser.new_context()
            context.route("**/*", guard)
            context.on("request", lambda request: None if _is_local(request.url) else left.append(request.url))
            page = context.new_page()
            emulator = f"http://127.0.0.1:{standalone.base + len(SERVICES)}"  # the central-database emulator
            for name, url in [*standalone.urls.items(), ("central-emulator", emulator)]:
                page.goto(f"{url}/docs", wait_until="networkidle")
                page.wait_for_selector(".opblock .opblock-summary-path", timeout=20_000)  # an operation rendered
                assert page.locator(".opblock").count() >= 1, name
                if name != "central-emulator":
                    assert "/healthz" in page.locator(".opblock-summary-path").all_inner_texts()
            page.goto(f"{standalone.urls['identity']}/", wait_until="networkidle")
            links = {a.get_attribute("href") for a in page.locator("a[href$='/docs']").all()}
            assert links == {f"{url}/docs" for url in standalone.urls.values()}
        finally:
            browser.close()
    assert not left, f"requests left the machine: {left}"
    assert any(u.endswith("/static/docs/swagger-ui-bundle.js") for u in local)


def _is_local(url: str) -> bool:
    return urlsplit(url).hostname in ("127.0.0.1", "localhost") or url.startswith(("data:", "blob:", "about:"))


# -- 2. one time format -----------------------------------------------------------------------------------


@dataclass
class Seen:
    service: str
    method: str
    template: str
    status: int
    body: Any


class Driver:
    """Calls operations by their documented path template and keeps every answer."""

    def __init__(self, node: Standalone) -> None:
        self.node, self.seen = node, []  # type: ignore[var-annotated]
        self.client = httpx.Client(timeout=15)

    def call(
        self, service: str, method: str, template: str, headers: dict[str, str], expect: int = 200, **kw: Any
    ) -> Any:
        params = kw.pop("path", {})
        r = self.client.request(method, self.node.urls[service] + template.format(**params), headers=headers, **kw)
        assert r.status_code == expect, f"{method} {template}: {r.status_code} {r.text}"
        body = r.json() if r.content and r.headers.get("content-type", "").endswith("json") else None
        self.seen.append(Seen(service, method.lower(), template, r.status_code, body))
        return body

    def follow_job(self, service: str, job: dict[str, Any], headers: dict[str, str]) -> Any:
        """A 202's job, polled (GET /api/v1/jobs/{job_id}) until it has ended; it must succeed."""
        deadline = time.monotonic() + 60
        while True:
            body = self.call(service, "GET", "/api/v1/jobs/{job_id}", headers, path={"job_id": job["id"]})
            if body["status"] in ("succeeded", "failed"):
                assert body["status"] == "succeeded", body
                return body
            assert time.monotonic() < deadline, body
            time.sleep(0.1)


def _resolve(schema: dict[str, Any], components: dict[str, Any]) -> tuple[str | None, dict[str, Any]]:
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return name, components[name]
    return None, schema


def _datetimes(
    schema: dict[str, Any], value: Any, components: dict[str, Any], where: str, out: list[tuple[str, Any]]
) -> None:
    """Walk a response body along its documented schema; collect (location, value) of date-times."""
    name, schema = _resolve(schema, components)
    where = name or where
    if schema.get("format") == "date-time":
        out.append((where, value))
        return
    for key in ("anyOf", "oneOf", "allOf"):
        for branch in schema.get(key, []):
            if value is not None and _resolve(branch, components)[1].get("type") != "null":
                _datetimes(branch, value, components, where, out)
    if isinstance(value, dict):
        for prop, sub in (schema.get("properties") or {}).items():
            if prop in value:
                _datetimes(sub, value[prop], components, f"{where}.{prop}", out)
    if isinstance(value, list) and isinstance(schema.get("items"), dict):
        for item in value:
            _datetimes(schema["items"], item, components, where, out)


def _documented(schema: dict[str, Any], components: dict[str, Any], where: str, seen: set[str]) -> set[str]:
    """Every date-time location a documented schema can hold."""
    name, schema = _resolve(schema, components)
    if name in seen:
        return set()
    if name:
        seen = seen | {name}
    where = name or where
    if schema.get("format") == "date-time":
        return {where}
    found: set[str] = set()
    for key in ("anyOf", "oneOf", "allOf"):
        for branch in schema.get(key, []):
            found |= _documented(branch, components, where, seen)
    for prop, sub in (schema.get("properties") or {}).items():
        found |= _documented(sub, components, f"{where}.{prop}", seen)
    for key in ("items", "additionalProperties"):
        if isinstance(schema.get(key), dict):
            found |= _documented(schema[key], components, where, seen)
    return found


def _success_schemas(op: dict[str, Any]) -> dict[int, dict[str, Any]]:
    out = {}
    for code, response in op.get("responses", {}).items():
        media = (response.get("content") or {}).get("application/json")
        if code.startswith("2") and media and "schema" in media:
            out[int(code)] = media["schema"]
    return out


# Windows and deadlines are read by people at the school: its offset. Everything else: UTC as Z.
NIGHTLY_REPORTS = {
    ("identity", "get", "/api/v1/schools/{school_id}/sis-sync/nights"),
    ("records", "get", "/api/v1/schools/{school_id}/nightly-sync/runs"),
}
SCHOOL_TIME_FIELDS = {"starts_at", "ends_at", "self_check_at", "counts_until", "draft_counts_until"}
SCHOOL_OFFSET = "+08:00"  # Asia/Taipei, the default school time zone


def _one_form(text: object) -> bool:
    """RFC 3339 with an offset, and UTC only ever as ``Z`` (never ``+00:00`` beside ``Z``)."""
    return is_rfc3339_with_offset(text) and isinstance(text, str) and (text.endswith(("Z", SCHOOL_OFFSET)))


# Audit payloads are kept verbatim as they were written (R-RET-3), not formatted per response.
VERBATIM = {"details", "before", "after"}


def _time_like_strings(value: Any) -> Iterator[str]:
    if isinstance(value, str) and TIME_LIKE.match(value):
        yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            if k not in VERBATIM:
                yield from _time_like_strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _time_like_strings(v)


def _drive_retention(
    node: Standalone, d: Driver, registry: dict[str, str], guidance: dict[str, str], s: dict[str, str]
) -> None:
    """R-RET-1: a graduate of six years ago (admitted and graduated through the old terms' data-entry
    windows) is deleted at every service; the proof and the seal are read back."""
    completed = (datetime.now(UTC) + timedelta(hours=8)).date().replace(year=datetime.now(UTC).year - 6, day=1)
    admitted = completed - timedelta(days=100)
    for day in (admitted, completed):
        year, semester = _term(datetime(day.year, day.month, day.day, tzinfo=UTC))
        window = {"phase": "data_entry", "starts_at": "2000-01-01T00:00:00+08:00",
                  "ends_at": "2199-12-31T00:00:00+08:00", "self_check_at": "2199-12-30T00:00:00+08:00"}  # fmt: skip
        d.call("records", "PUT", "/api/v1/schools/{school_id}/calendar/{academic_year}/{semester}", guidance,
               path={**s, "academic_year": year, "semester": semester}, json={"windows": [window]})  # fmt: skip
    graduate = d.call("records", "POST", "/api/v1/schools/{school_id}/students", registry, 201, path=s, json={
        "name": "畢業生", "national_id": "F131104093", "birth_date": "2001-05-01", "student_number": "G00001",
        "class_name": "301", "grade": 3, "effective_on": admitted.isoformat(),
    })  # fmt: skip
    who = {**s, "student_id": graduate["id"]}
    d.call("records", "POST", "/api/v1/schools/{school_id}/students/{student_id}/enrolment-changes", registry, 201,
           path=who, json={"change": "graduation", "effective_on": completed.isoformat()})  # fmt: skip
    proof = d.call("records", "POST", "/api/v1/schools/{school_id}/retention/deletions", registry, 202, path=s,
                   json={"student_ids": [graduate["id"]]})  # fmt: skip
    d.call("records", "GET", "/api/v1/schools/{school_id}/retention/deletions", registry, path=s)
    d.call("records", "GET", "/api/v1/schools/{school_id}/retention/deletions/{request_id}", registry,
           path={**s, "request_id": proof["request_id"]})  # fmt: skip
    d.call("records", "GET", "/api/v1/schools/{school_id}/retention/students/{student_id}", registry, path=who)


def _drive_everything(node: Standalone, d: Driver) -> None:
    """Every operation of identity, records and artifacts whose documented answer holds a time."""
    student, teacher = _login(node, "demo-student"), _login(node, "demo-teacher")
    guidance, registry, principal = (
        _login(node, "demo-guidance"),
        _login(node, "demo-registry"),
        _login(node, "demo-principal"),
    )
    admin = _login(node, ADMIN_LOGIN, ADMIN_PASSWORD)
    school = next(iter(_me(node, guidance)["schools"]))
    guidance_id = _me(node, guidance)["user_id"]
    year, semester = _term(datetime.now(UTC))
    s = {"school_id": school}

    # identity: on-behalf authorisations (R-ART-5), then key rotation (last: it changes the signing key)
    until = (datetime.now(UTC) + timedelta(days=30)).date().isoformat()
    created = d.call("identity", "POST", "/api/v1/schools/{school_id}/on-behalf", teacher, 201, path=s,
                     json={"staff_user_id": guidance_id, "until": until})  # fmt: skip
    d.call("identity", "GET", "/api/v1/schools/{school_id}/on-behalf", teacher, path=s)
    d.call("identity", "DELETE", "/api/v1/schools/{school_id}/on-behalf/{authorisation_id}", teacher,
           path={**s, "authorisation_id": created["id"]})  # fmt: skip
    guidance = _login(node, "demo-guidance")  # the revocation also ended the staff member's sessions

    it = _login(node, "demo-it")
    export = "login_name,display_name,kind,roles,status,end_date,email,student_number,school_code\n"
    export += "s999001,示範新生,student,,active,,,999001,999001\n"
    files = {"file": ("export.csv", export.encode(), "text/csv")}
    dry_run = {"dry_run": "true"}
    job = d.call("identity", "POST", "/api/v1/schools/{school_id}/sis-sync", it, 202, path=s, files=files, data=dry_run)
    d.follow_job("identity", job, it)
    d.call("identity", "GET", "/api/v1/schools/{school_id}/sis-sync/runs", it, path=s)
    d.call("identity", "GET", "/api/v1/schools/{school_id}/audit", principal, path=s)
    d.call("identity", "GET", "/api/v1/audit", admin)

    # records: the calendar (written back unchanged), enrolment history, counselling, audit
    cal = "/api/v1/schools/{school_id}/calendar/{academic_year}/{semester}"
    term = {**s, "academic_year": year, "semester": semester}
    schedule = d.call("records", "GET", cal, guidance, path=term)
    windows = [{k: w[k] for k in ("phase", "starts_at", "ends_at", "self_check_at")} for w in schedule["windows"]]
    d.call("records", "PUT", cal, guidance, path=term, json={"windows": windows})
    one = windows[1]
    d.call("records", "PUT", cal + "/{phase}", guidance, path={**term, "phase": one["phase"]},
           json={k: one[k] for k in ("starts_at", "ends_at", "self_check_at")})  # fmt: skip
    # The school's settings: a standing SIS import window, shown in the school's offset (R-SCHED-1)
    settings = "/api/v1/schools/{school_id}/settings"
    d.call("records", "GET", settings, guidance, path=s)
    standing = {
        "starts_at": datetime.now(UTC).isoformat(),
        "ends_at": (datetime.now(UTC) + timedelta(days=365)).isoformat(),
    }
    d.call(
        "records", "PUT", settings, guidance, path=s, json={"time_zone": "Asia/Taipei", "sis_import_window": standing}
    )
    student_id = d.client.get(f"{node.urls['records']}/api/v1/schools/{school}/students/me", headers=student).json()[
        "id"
    ]
    who = {**s, "student_id": student_id}
    d.call("records", "GET", "/api/v1/schools/{school_id}/students/{student_id}/enrolment-changes", registry, path=who)
    counselling = "/api/v1/schools/{school_id}/students/{student_id}/counselling-records"
    held = {"held_at": datetime.now(UTC).isoformat(), "place": "輔導室", "content": "選課諮詢"}
    record = d.call("records", "POST", counselling, teacher, 201, path=who, json=held)
    d.call("records", "GET", counselling, teacher, path=who)
    d.call("records", "GET", counselling + "/{record_id}", teacher, path={**who, "record_id": record["id"]})
    d.call("records", "GET", "/api/v1/schools/{school_id}/audit", principal, path=s)
    _drive_retention(node, d, registry, guidance, s)
    # Basic data of each kind, entered by its office (R-DATA-1 Annex 1): the clerk is given the
    # activities and discipline sections for it, guidance enters the psychological test.
    clerk_id = _me(node, _login(node, "demo-clerk"))["user_id"]
    roles = {"roles": ["registry_clerk", "activities", "discipline"]}
    d.call("identity", "PUT", "/api/v1/schools/{school_id}/users/{user_id}/roles", it, path={**s, "user_id": clerk_id},
           json=roles)  # fmt: skip
    clerk = _login(node, "demo-clerk")
    kinds = {
        "cadre-records": (clerk, {"level": "class", "unit": "101", "title": "班長"}),
        "service-learning": (clerk, {"organiser": "市立圖書館", "activity": "整理書籍", "hours": "4.0",
                                     "starts_on": date.today().isoformat(), "ends_on": date.today().isoformat()}),
        "rewards-punishments": (clerk, {"kind": "commendation", "times": 1, "reason": "熱心服務",
                                        "occurred_on": date.today().isoformat()}),
        "psych-tests": (guidance, {"test_name": "性向測驗", "taken_on": date.today().isoformat()}),
    }  # fmt: skip
    for kind, (office, body) in kinds.items():
        url = "/api/v1/schools/{school_id}/students/{student_id}/" + kind
        d.call(
            "records", "POST", url, office, 201, path=who, json={"academic_year": year, "semester": semester, **body}
        )
        d.call("records", "GET", url, office, path=who)
    # The grade import is a job too (an empty export: nothing to store, nothing refused).
    grades = {"file": ("grades.csv", b"student_number,academic_year,semester,course_code,subject_name,credits,"
                                     b"score,passed\n", "text/csv")}  # fmt: skip
    job = d.call("records", "POST", "/api/v1/schools/{school_id}/grade-imports", registry, 202, path=s, files=grades)
    d.follow_job("records", job, registry)

    # artifacts: outcomes through every state, performances, lists and details
    course_id = d.client.get(f"{node.urls['artifacts']}/api/v1/outcomes", headers=student).json()[0]["course_id"]
    outcome = "/api/v1/outcomes/{outcome_id}"
    kept = _upload(d.client, node, student, course_id, "kept").json()
    d.seen.append(Seen("artifacts", "post", "/api/v1/outcomes/uploads", 201, kept))
    kept_id = {"outcome_id": kept["outcome_id"]}
    d.call("artifacts", "GET", outcome, student, path=kept_id)  # still a draft: when it stops counting
    d.call("artifacts", "POST", outcome + "/complete", student, path=kept_id)
    d.call("artifacts", "POST", outcome + "/complete", student, path=kept_id)  # a retry answers the same form
    d.call("artifacts", "POST", outcome + "/certify", teacher, path=kept_id)
    d.call("artifacts", "PUT", outcome + "/selection", student, path=kept_id)
    d.call("artifacts", "DELETE", outcome + "/selection", student, path=kept_id)
    returned = _upload(d.client, node, student, course_id, "returned").json()
    returned_id = {"outcome_id": returned["outcome_id"]}
    d.call("artifacts", "POST", outcome + "/complete", student, path=returned_id)
    d.call("artifacts", "POST", outcome + "/return", teacher, path=returned_id, json={"reason": "請補上心得"})
    new_version = _pdf("second version")
    d.call(
        "artifacts", "POST", outcome + "/files", student, 201, path=returned_id, json={"files": [_declare(new_version)]}
    )
    d.call("artifacts", "POST", outcome + "/withdraw", student, path=returned_id)
    d.call("artifacts", "GET", "/api/v1/outcomes", student)
    d.call("artifacts", "GET", outcome, teacher, path=kept_id)
    d.call("artifacts", "GET", outcome + "/history", student, path=kept_id)  # R-RET-3: who, when, what
    d.call("artifacts", "GET", "/api/v1/history", student)

    data = _pdf("performance")
    today = (datetime.now(UTC) + timedelta(hours=8)).date().isoformat()
    started = d.call("artifacts", "POST", "/api/v1/performances/uploads", student, 201, json={
        "school_id": school, "academic_year": year, "category": "other", "description": "校內科展",
        "fields": {"name": "科展", "organiser": "本校", "start_date": today},
        "files": [{"slot": "document", "filename": "p.pdf", "content_type": "application/pdf", "size": len(data),
                   "sha256": hashlib.sha256(data).hexdigest()}],
    })  # fmt: skip
    ticket = started["uploads"][0]
    assert d.client.request(ticket["method"], ticket["url"], content=data, headers=ticket["headers"]).status_code == 200
    perf = "/api/v1/performances/{performance_id}"
    perf_id = {"performance_id": started["performance_id"]}
    d.call("artifacts", "POST", perf + "/complete", student, path=perf_id)
    d.call("artifacts", "PUT", perf + "/selection", student, path=perf_id)
    d.call("artifacts", "DELETE", perf + "/selection", student, path=perf_id)
    d.call("artifacts", "GET", perf, student, path=perf_id)
    d.call("artifacts", "GET", "/api/v1/performances", student)
    d.call("artifacts", "POST", perf + "/withdraw", student, path=perf_id)
    d.call("artifacts", "GET", perf + "/history", student, path=perf_id)
    draft = d.call("artifacts", "POST", "/api/v1/performances/uploads", student, 201, json={
        "school_id": school, "academic_year": year, "category": "other", "description": "未完成的上傳",
        "fields": {"name": "科展", "organiser": "本校", "start_date": today}, "files": [_declare(data)],
    })  # fmt: skip
    draft_id = {"performance_id": draft["performance_id"]}
    assert d.call("artifacts", "GET", perf, student, path=draft_id)["draft_counts_until"].endswith("+08:00")
    again = {"files": [_declare(_pdf("again"))]}
    replaced = d.call("artifacts", "POST", perf + "/files", student, 201, path=draft_id, json=again)
    assert replaced["counts_until"].endswith("+08:00")  # replacement files: the draft counts a while longer
    d.call("artifacts", "DELETE", perf, student, 204, path=draft_id)  # cancelled: stops counting at once

    # A refusal shows its window in the school's time too (R-ART-3: only the course teacher certifies).
    refused = d.client.post(f"{node.urls['artifacts']}/api/v1/outcomes/{kept['outcome_id']}/certify", headers=student)
    assert refused.status_code in (403, 404, 409)
    d.seen.append(Seen("artifacts", "problem", "", refused.status_code, refused.json()))

    d.call("identity", "POST", "/api/v1/keys/rotate", admin)
    d.call("identity", "GET", "/api/v1/keys", admin)  # the old key now retired, still published


def test_every_time_in_every_documented_response_is_rfc3339_with_an_offset(standalone: Standalone) -> None:
    """Issue 18: one format. Drives every operation of identity, records and artifacts whose documented
    answer holds a date-time, checks each one along the documented schema, and checks that no other
    string in any answer looks like a time without being RFC 3339 with an offset."""
    driver = Driver(standalone)
    try:
        _drive_everything(standalone, driver)
    finally:
        driver.client.close()
    docs = {name: httpx.get(f"{standalone.urls[name]}/openapi.json", timeout=10).json() for name in BUILT}
    expected_ops: set[tuple[str, str, str]] = set()
    expected_places: set[str] = set()
    for name, doc in docs.items():
        components = doc.get("components", {}).get("schemas", {})
        for template, ops in doc["paths"].items():
            for method, op in ops.items():
                for schema in _success_schemas(op).values():
                    places = _documented(schema, components, f"{method} {template}", set())
                    if places:
                        expected_ops.add((name, method, template))
                        expected_places |= places
    # The nightly pulls' reports exist only after a night has run (a drop folder and 02:00 school
    # time): their times are checked by the nightly tests of identity and records instead.
    expected_ops -= NIGHTLY_REPORTS
    expected_places -= {"NightlyRunPublic.lease_until", "NightlyRunPublic.started_at", "NightlyRunPublic.finished_at"}
    assert len(expected_ops) >= 26  # the walk itself found the documented times

    bad: list[str] = []
    checked: set[str] = set()
    exercised: set[tuple[str, str, str]] = set()
    for seen in driver.seen:
        for text in _time_like_strings(seen.body):
            if not _one_form(text):
                bad.append(f"{seen.method} {seen.template}: {text!r}")
        if seen.method == "problem":
            continue
        doc = docs[seen.service]
        op = doc["paths"][seen.template][seen.method]
        schema = _success_schemas(op).get(seen.status)
        if schema is None:
            continue
        exercised.add((seen.service, seen.method, seen.template))
        found: list[tuple[str, Any]] = []
        _datetimes(schema, seen.body, doc.get("components", {}).get("schemas", {}), seen.template, found)
        for place, value in found:
            if value is None:
                continue
            checked.add(place)
            read_by_people = place.rsplit(".", 1)[-1] in SCHOOL_TIME_FIELDS
            if not _one_form(value) or read_by_people != value.endswith(SCHOOL_OFFSET):
                bad.append(f"{seen.method} {seen.template} {place}: {value!r}")
    assert not bad, "\n".join(bad)
    assert expected_ops <= exercised, f"not driven: {sorted(expected_ops - exercised)}"
    # A proof of deletion completes when every service confirmed (R-RET-1); submission does not delete
    # yet (it joins through portfolio_shared.retention, docs/FOUNDATION.md), so here it stays awaited.
    # Drop this exemption when it joins; tests/test_retention_e2e.py sees completed_at with a value.
    awaiting_submission = {"ProofPublic.completed_at"}
    unseen = expected_places - checked - awaiting_submission
    assert not unseen, f"never seen with a value: {sorted(unseen)}"


def test_demo_set_up_run_again_changes_nothing(standalone: Standalone) -> None:
    """A restart (or a half-finished earlier run) never duplicates the demo school's data."""
    first = _run_demo_seed(standalone)
    assert first.done == []  # everything was there from the first start
    again = _run_demo_seed(standalone)
    assert (again.course_id, again.student_id, again.sample_outcome_id) == (
        first.course_id,
        first.student_id,
        first.sample_outcome_id,
    )


def _run_demo_seed(node: Standalone) -> Any:
    import asyncio

    from portfolio_standalone.demo import seed_demo

    return asyncio.run(seed_demo(node.urls["identity"], node.urls["records"], node.urls["artifacts"]))
