"""The portal in a real browser (issue 16): headless Debian Chromium driven by Playwright, against the
standalone shape run as a real process (the README's run command: five services, the in-process bus,
local-disk storage whose upload routes answer CORS for the portal, the central-database emulator and
the portal itself), with the demo school (windows open, demo-student taking a course of demo-teacher).

Shows: a student signs in, uploads a PDF with the progress bar reaching 100 %, sees it awaiting
certification (R-ART-1, R-FILE-1); the teacher certifies it (R-ART-3); the student selects it
(R-ART-4); the counts shown change each time. An executable renamed .pdf shows the zh-TW refusal and
nothing is kept (no object, no draft, the uploads-left count unchanged). A student cannot open another
student's item by editing the URL. Screenshots of the main pages are written to var/screenshots/.
"""

from __future__ import annotations

import os
import random
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from portfolio_shared.testing.sample_files import sample_pdf
from portfolio_shared.testing.servers import port_open

ROOT = Path(__file__).resolve().parents[4]
CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = ROOT / "var" / "screenshots"
PASSWORD = "demo-password-2025"
SERVICES = ("identity", "records", "artifacts", "submission", "notification")
PORTAL_OFFSET = len(SERVICES) + 1  # after the central-database emulator
OTHER_STUDENT = "portal-student-b"
OTHER_PASSWORD = "Portal student B passphrase 2026!"
EXECUTABLE_TITLE_ZH = "檔案為偽裝之執行檔或程式碼"  # artifacts' refusal of a renamed executable (R-FILE-1)


@dataclass
class Platform:
    base: int
    data: Path
    log: Path

    def url(self, name: str) -> str:
        offset = PORTAL_OFFSET if name == "portal" else SERVICES.index(name)
        return f"http://127.0.0.1:{self.base + offset}"

    def objects(self) -> set[Path]:
        root = self.data / "objects"
        return {p for p in root.rglob("*") if p.is_file()} if root.exists() else set()


def _need_chromium() -> None:
    if not CHROMIUM.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{CHROMIUM} is missing; .ci/run installs it (apt-get install chromium fonts-noto-cjk)")
        pytest.skip(f"{CHROMIUM} is missing: apt-get install chromium fonts-noto-cjk")


def _free_base() -> int:
    for _ in range(50):
        base = random.randint(20000, 60000)
        if not any(port_open("127.0.0.1", base + i, timeout=0.2) for i in range(PORTAL_OFFSET + 1)):
            return base
    raise RuntimeError("no seven free consecutive ports")


def _start(tmp: Path) -> tuple[subprocess.Popen[str], Platform] | None:
    base, ready = _free_base(), tmp / "ready"
    node = Platform(base, tmp / f"data-{base}", tmp / f"output-{base}.txt")
    command = [sys.executable, "-m", "portfolio_standalone", "--port-base", str(base)]
    command += ["--data", str(node.data), "--ready-file", str(ready)]
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "PORTFOLIO_DEMO_DATA": "true"}
    with node.log.open("w") as out:
        proc = subprocess.Popen(command, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, text=True, env=env)
    deadline = time.monotonic() + 180
    while not ready.exists():
        if proc.poll() is not None:
            if "address already in use" in node.log.read_text():
                return None
            raise AssertionError(f"standalone exited early:\n{node.log.read_text()}")
        if time.monotonic() > deadline:
            proc.kill()
            raise AssertionError(f"standalone not ready within 180 s:\n{node.log.read_text()}")
        time.sleep(0.2)
    return proc, node


def _api_login(node: Platform, login: str, password: str = PASSWORD) -> dict[str, str]:
    r = httpx.post(
        f"{node.url('identity')}/api/v1/auth/login", json={"login_name": login, "password": password}, timeout=15
    )
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    _need_chromium()
    started = None
    for _ in range(3):
        started = _start(tmp_path_factory.mktemp("portal"))
        if started is not None:
            break
    assert started is not None, "three starts lost their ports to other processes"
    proc, node = started
    # A second student of the demo school (identity only: enough to sign in and try someone else's URL).
    it = _api_login(node, "demo-it")
    school = httpx.get(f"{node.url('identity')}/api/v1/auth/me", headers=it, timeout=10).json()
    school_id = next(iter(school["schools"]))
    r = httpx.post(
        f"{node.url('identity')}/api/v1/schools/{school_id}/users",
        json={
            "login_name": OTHER_STUDENT,
            "display_name": "王小明",
            "kind": "student",
            "roles": ["student"],
            "password": OTHER_PASSWORD,
        },
        headers=it,
        timeout=10,
    )
    assert r.status_code == 201, r.text
    try:
        yield node
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="module")
def browser(platform: Platform) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(
            executable_path=str(CHROMIUM),
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run"],
        )
        try:
            yield chromium
        finally:
            chromium.close()


SHOTS: list[Path] = []


def shot(page: Any, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    SHOTS.append(path)
    print(f"screenshot: {path}")


def sign_in(browser: Any, platform: Platform, login: str, password: str = PASSWORD, **context: Any) -> Any:
    page = browser.new_context(**context).new_page()
    page.goto(f"{platform.url('portal')}/login")
    assert page.locator("html").get_attribute("lang") == "zh-Hant-TW"
    page.get_by_label("帳號").fill(login)
    page.get_by_label("密碼").fill(password)
    page.get_by_role("button", name="登入").click()
    page.wait_for_url(re.compile(r".*/$"))
    return page


def _left(page: Any) -> int:
    return int(page.locator("#uploads-left").get_attribute("data-left"))


def _upload(page: Any, tmp: Path, title: str, filename: str, content: bytes) -> None:
    page.get_by_label("標題").fill(title)
    page.get_by_label("內容簡述").fill(f"{title} 的簡述")
    path = tmp / filename
    path.write_bytes(content)
    page.set_input_files("#document", str(path))
    page.get_by_role("button", name="上傳").click()


def test_student_uploads_teacher_certifies_student_selects_and_the_counts_follow(
    platform: Platform, browser: Any, tmp_path: Path
) -> None:
    student = sign_in(browser, platform, "demo-student")
    shot(student, "01-home-student")
    student.goto(f"{platform.url('portal')}/outcomes")
    left_before = _left(student)
    assert left_before >= 2, "the demo student has uploads left this term"
    expect_left = f"本學期還可上傳 {left_before} 件"
    assert expect_left in student.locator("#uploads-left").inner_text()

    # Record every value the progress bar takes, so 100 % is seen even if the page moves on.
    student.evaluate(
        """() => { window.__progress = [];
          new MutationObserver(() => window.__progress.push(document.getElementById('upload-progress').value))
            .observe(document.getElementById('upload-progress'), {attributes: true, childList: true}); }"""
    )
    _upload(student, tmp_path, "瀏覽器上傳的成果", "outcome.pdf", sample_pdf(1_500_000))
    student.locator("#upload-percent", has_text="100%").wait_for(timeout=60_000)
    student.locator("#upload-result").get_by_text("上傳完成").wait_for(timeout=60_000)
    progress = student.evaluate("window.__progress")
    assert progress and max(progress) == 100 and progress == sorted(progress), progress
    assert student.locator("#upload-percent").inner_text() == "100%"
    row = student.locator("#outcomes-table tr", has_text="瀏覽器上傳的成果")
    row.wait_for()
    assert row.get_attribute("data-status") == "submitted"
    assert "待認證" in row.inner_text()
    assert _left(student) == left_before - 1  # the count shown follows (R-ART-2)
    outcome_id = row.get_attribute("data-id")
    shot(student, "02-outcomes-uploaded")

    teacher = sign_in(browser, platform, "demo-teacher")
    teacher.goto(f"{platform.url('portal')}/certify")
    item = teacher.locator(f"#o-{outcome_id}")
    assert "英語文" in teacher.locator("section.course", has=item).inner_text()  # the course, by name
    shot(teacher, "03-certification-queue")
    item.get_by_role("button", name="認證").click()
    teacher.locator(f"#o-{outcome_id}[data-status='certified']").wait_for()
    assert "已認證" in teacher.locator(f"#o-{outcome_id}").inner_text()
    assert "任課教師" in teacher.locator(f"#o-{outcome_id}").inner_text()  # on what basis (R-ART-5)

    student.goto(f"{platform.url('portal')}/outcomes/{outcome_id}")
    assert "已認證" in student.locator("#item-status").inner_text()
    assert "認證" in student.locator("table.history").inner_text()  # the history shows it (R-RET-3)
    shot(student, "04-outcome-detail-history")

    student.goto(f"{platform.url('portal')}/selection")
    before = int(student.locator("#outcomes-selected").get_attribute("data-count"))
    choice = student.locator(f"li[data-id='{outcome_id}']")
    choice.get_by_role("button", name="勾選").click()
    student.locator(f"#outcomes-selected[data-count='{before + 1}']").wait_for()
    assert f"已勾選課程學習成果 {before + 1} / 6 件" in student.locator("#outcomes-selected").inner_text()
    shot(student, "05-selection")
    # Deselect and select again through the same htmx form: the count follows both ways.
    student.locator(f"li[data-id='{outcome_id}']").get_by_role("button", name="取消勾選").click()
    student.locator(f"#outcomes-selected[data-count='{before}']").wait_for()
    student.locator(f"li[data-id='{outcome_id}']").get_by_role("button", name="勾選").click()
    student.locator(f"#outcomes-selected[data-count='{before + 1}']").wait_for()

    student.goto(f"{platform.url('portal')}/outcomes")
    assert "已勾選" in student.locator("#outcomes-table tr", has_text="瀏覽器上傳的成果").inner_text()


def test_an_executable_renamed_pdf_shows_the_zh_tw_refusal_and_nothing_is_kept(
    platform: Platform, browser: Any, tmp_path: Path
) -> None:
    student = sign_in(browser, platform, "demo-student")
    student.goto(f"{platform.url('portal')}/outcomes")
    left_before = _left(student)
    rows_before = student.locator("#outcomes-table tbody tr").count()
    objects_before = platform.objects()
    executable = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + os.urandom(4000)
    _upload(student, tmp_path, "偽裝的執行檔", "homework.pdf", executable)
    problem = student.locator("#messages .problem")
    problem.wait_for(timeout=60_000)
    assert EXECUTABLE_TITLE_ZH in problem.locator(".problem-title").inner_text()
    shot(student, "06-refused-executable")

    student.reload()
    assert student.locator("#outcomes-table tr", has_text="偽裝的執行檔").count() == 0
    assert student.locator("#outcomes-table tbody tr").count() == rows_before
    assert _left(student) == left_before  # the refused upload does not use the cap
    assert platform.objects() == objects_before  # no byte of it stays in storage
    # And the service agrees: no outcome of that title other than withdrawn (the cancelled draft).
    mine = httpx.get(
        f"{platform.url('artifacts')}/api/v1/outcomes", headers=_api_login(platform, "demo-student"), timeout=10
    ).json()
    assert [o["status"] for o in mine if o["title"] == "偽裝的執行檔"] in ([], ["withdrawn"])


def test_a_file_over_the_size_limit_is_refused_in_zh_tw_before_anything_is_sent(
    platform: Platform, browser: Any, tmp_path: Path
) -> None:
    student = sign_in(browser, platform, "demo-student")
    student.goto(f"{platform.url('portal')}/outcomes")
    left_before = _left(student)
    drafts_before = len(
        httpx.get(
            f"{platform.url('artifacts')}/api/v1/outcomes", headers=_api_login(platform, "demo-student"), timeout=10
        ).json()
    )
    big = sample_pdf(4 * 1024 * 1024 + 1)  # one byte over R-FILE-1's 4 MB for a document
    _upload(student, tmp_path, "太大的檔案", "big.pdf", big)
    problem = student.locator("#messages .problem")
    problem.wait_for(timeout=30_000)
    assert "檔案過大：big.pdf 為 4194305 B，上限 4194304 B。" in problem.inner_text()
    student.reload()
    assert _left(student) == left_before
    after = httpx.get(
        f"{platform.url('artifacts')}/api/v1/outcomes", headers=_api_login(platform, "demo-student"), timeout=10
    ).json()
    assert len(after) == drafts_before  # nothing was started at artifacts
    # A file of another type is named as such before anything is sent.
    _upload(student, tmp_path, "錯的類型", "notes.docx", b"PK\x03\x04 not a pdf")
    problem.wait_for()
    assert "檔案類型不符" in student.locator("#messages .problem").inner_text()


def test_a_student_cannot_open_another_students_item_by_editing_the_url(platform: Platform, browser: Any) -> None:
    owner = httpx.get(
        f"{platform.url('artifacts')}/api/v1/outcomes", headers=_api_login(platform, "demo-student"), timeout=10
    ).json()
    target = owner[0]
    other = sign_in(browser, platform, OTHER_STUDENT, OTHER_PASSWORD)
    response = other.goto(f"{platform.url('portal')}/outcomes/{target['id']}")
    assert response is not None and response.status == 404
    assert "查無資料" in other.locator("main").inner_text()
    assert target["title"] not in other.content()
    response = other.goto(f"{platform.url('portal')}/outcomes/{target['id']}/files/{target['files'][0]['file_id']}")
    assert response is not None and response.status == 404
    shot(other, "07-another-students-item")


def test_teacher_returns_with_a_reason_and_an_empty_reason_is_refused_in_place(
    platform: Platform, browser: Any, tmp_path: Path
) -> None:
    student = sign_in(browser, platform, "demo-student")
    student.goto(f"{platform.url('portal')}/outcomes")
    _upload(student, tmp_path, "要退回的成果", "second.pdf", sample_pdf(5000))
    student.locator("#upload-result").get_by_text("上傳完成").wait_for(timeout=60_000)
    outcome_id = student.locator("#outcomes-table tr", has_text="要退回的成果").get_attribute("data-id")

    teacher = sign_in(browser, platform, "demo-teacher")
    teacher.goto(f"{platform.url('portal')}/certify")
    item = teacher.locator(f"#o-{outcome_id}")
    item.get_by_role("button", name="退回").click()  # no reason: artifacts refuses (R-ART-3)
    teacher.locator(f"#o-{outcome_id} .problem").wait_for()
    assert "reason" in teacher.locator(f"#o-{outcome_id} .problem").inner_text()
    assert teacher.locator(f"#o-{outcome_id}").get_attribute("data-status") == "submitted"
    teacher.locator(f"#o-{outcome_id}").get_by_label("退回原因（必填）").fill("請補上作品說明")
    teacher.locator(f"#o-{outcome_id}").get_by_role("button", name="退回").click()
    teacher.locator(f"#o-{outcome_id}[data-status='returned']").wait_for()

    student.goto(f"{platform.url('portal')}/outcomes")
    row = student.locator("#outcomes-table tr", has_text="要退回的成果")
    assert "已退回" in row.inner_text() and "請補上作品說明" in row.inner_text()


def test_a_performance_with_its_categorys_fields_and_a_missing_field_named(
    platform: Platform, browser: Any, tmp_path: Path
) -> None:
    student = sign_in(browser, platform, "demo-student")
    student.goto(f"{platform.url('portal')}/performances")
    left_before = _left(student)
    student.select_option("#category", "cadre")  # htmx brings the category's fields (R-FILE-3)
    student.locator("#f-position").wait_for()
    student.get_by_label("單位名稱 *").fill("班聯會")
    student.get_by_label("開始日期 *").fill("2026-09-01")
    student.get_by_label("結束日期").fill("2026-08-15")  # before the start: refused by artifacts, field named
    student.get_by_label("擔任職務 *").fill("活動長")
    student.get_by_label("幹部等級 *").select_option("2")
    student.get_by_label("內容簡述").fill("擔任班聯會幹部，規劃校慶活動")
    student.get_by_role("button", name="上傳").click()
    problem = student.locator("#messages .problem")
    problem.wait_for(timeout=30_000)
    assert "多元表現欄位不正確" in problem.inner_text() and "end_date" in problem.inner_text()
    assert _left(student) == left_before
    student.get_by_label("結束日期").fill("2026-11-20")
    student.get_by_role("button", name="上傳").click()
    student.locator("#upload-result").get_by_text("上傳完成").wait_for(timeout=60_000)
    table = student.locator("#items-list")
    assert "幹部經歷暨事蹟紀錄" in table.inner_text()
    assert "活動長" in table.inner_text() and "班聯會" in table.inner_text() and "等級2" in table.inner_text()
    assert _left(student) == left_before - 1
    shot(student, "15-performances")


def test_english_switch_staff_pages_and_a_phone_screen(platform: Platform, browser: Any) -> None:
    guidance = sign_in(browser, platform, "demo-guidance")
    guidance.goto(f"{platform.url('portal')}/schedule")
    assert "課程學習成果上傳" in guidance.locator("#schedule").inner_text()
    assert "+08:00" not in guidance.content() and "Asia/Taipei" in guidance.content()  # shown in school time
    shot(guidance, "08-schedule")
    guidance.goto(f"{platform.url('portal')}/selfcheck")
    shot(guidance, "09-selfcheck")
    guidance.get_by_role("link", name="English").click()
    guidance.wait_for_url(re.compile(r".*/selfcheck$"))
    assert guidance.locator("html").get_attribute("lang") == "en"
    assert "Self-check reports" in guidance.locator("h1").inner_text()
    guidance.goto(f"{platform.url('portal')}/sync")  # guidance may not run the account sync: the 403 in English
    assert "Forbidden" in guidance.locator(".problem-title").first.inner_text()
    shot(guidance, "10-sync-english")

    it = sign_in(browser, platform, "demo-it")
    it.goto(f"{platform.url('portal')}/accounts")
    assert "demo-student" in it.locator("#accounts").inner_text()
    shot(it, "11-accounts")
    it.goto(f"{platform.url('portal')}/duties")
    shot(it, "12-duties")

    phone = sign_in(
        browser, platform, "demo-student", viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True
    )
    phone.goto(f"{platform.url('portal')}/outcomes")
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page scrolls sideways on a phone ({width}px)"
    shot(phone, "13-outcomes-phone")
    phone.goto(f"{platform.url('portal')}/performances")
    shot(phone, "14-performances-phone")
    print("screenshots written:\n" + "\n".join(str(p) for p in SHOTS))
