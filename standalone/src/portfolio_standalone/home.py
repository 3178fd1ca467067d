"""The standalone's first page and first words: where to sign in, where the docs are, where the data is.

Every service of the standalone answers ``/`` with the same small page (Traditional Chinese and
English) linking every service's API docs; the run command ends by printing the same three steps.
Nothing on the page loads from outside: a school intranet without internet shows it whole.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import HTMLResponse

SERVICE_NAMES = {
    "identity": ("身分與權限", "accounts, roles, sign-in"),
    "records": ("學籍與修課紀錄", "students, courses, grades, calendar"),
    "artifacts": ("課程學習成果與多元表現", "outcomes and performances"),
    "submission": ("提交中央資料庫", "central windows, what is due, batches and their pre-check"),
    "notification": ("通知", "inbox, e-mail and letters"),
}
DEMO_LOGINS = (
    "demo-student",
    "demo-teacher",
    "demo-registry",
    "demo-instruction",
    "demo-guidance",
    "demo-it",
    "demo-principal",
    "demo-district",
)


def next_steps(identity_url: str, data: Path, *, demo: bool, password: str, portal: str) -> str:
    """The three things to do next, printed when the standalone is up."""
    who = f"{', '.join(DEMO_LOGINS[:3])} … (password {password})" if demo else "your administrator account"
    return (
        "Next steps 下一步:\n"
        f"  1. Open the portal 入口網站: {portal}/ and sign in as {who}.\n"
        f"  2. The APIs 程式介面: {identity_url}/ — links to every service's API docs (no internet needed);\n"
        "     POST /api/v1/auth/login there, press Authorize and paste the access_token.\n"
        f"  3. Your data 資料位置: {data.resolve()} (SQLite per service, bus.db, objects/); "
        "delete the folder to start over.\n"
    )


def page(services: Sequence[tuple[str, str]], data: Path, *, demo: bool, password: str, portal: str) -> str:
    rows = "\n".join(
        f'<li><a href="{escape(url)}/docs">{escape(name)}</a> — {escape(SERVICE_NAMES.get(name, ("", ""))[0])} '
        f"({escape(SERVICE_NAMES.get(name, ('', ''))[1])}) <code>{escape(url)}</code></li>"
        for name, url in services
    )
    identity = escape(services[0][1])
    accounts = (
        f"<p>示範帳號 Demo accounts: {', '.join(f'<code>{a}</code>' for a in DEMO_LOGINS)} — "
        f"密碼 password <code>{escape(password)}</code>. 示範學生已修一門本學期課程、已有一件已認證的成果，"
        "各作業期程已開放。The demo student takes a current-term course and has one certified sample "
        "outcome; every phase of the term is open: upload → certify → select works at once.</p>"
        if demo
        else ""
    )
    return f"""<!doctype html>
<html lang="zh-Hant-TW">
<head><meta charset="utf-8"><title>學習歷程檔案平臺 Learning portfolio platform</title>
<style>body{{font-family:sans-serif;max-width:48em;margin:2em auto;line-height:1.5}}code{{background:#eee}}</style>
</head>
<body>
<h1>學生學習歷程檔案平臺<br><small>Student learning portfolio platform (standalone)</small></h1>
<p class="main-link" style="font-size:1.4em;font-weight:bold">
<a href="{escape(portal)}/">進入入口網站 Open the portal</a>
— 學生、教師與行政人員由此登入。Students, teachers and staff sign in here.</p>
<h2>1. 登入 API Sign in to the APIs</h2>
<p>在 <a href="{identity}/docs">身分服務 API 文件</a> 呼叫 <code>POST /api/v1/auth/login</code>，
按 Authorize 貼上 <code>access_token</code>，即可用於所有服務。
Open the <a href="{identity}/docs">identity API docs</a>, call <code>POST /api/v1/auth/login</code>, press
Authorize and paste the <code>access_token</code>: it works on every service.</p>
{accounts}
<h2>2. API 文件 API docs</h2>
<ul>
{rows}
</ul>
<h2>3. 資料位置 Where the data lives</h2>
<p><code>{escape(str(data.resolve()))}</code> — 每個服務一個 SQLite 檔、訊息匯流排 <code>bus.db</code>、
上傳檔案 <code>objects/</code>。One SQLite file per service, the message bus <code>bus.db</code>, uploaded
files in <code>objects/</code>; delete the folder to start over.</p>
</body>
</html>
"""


def install_home(app: FastAPI, html: str) -> None:
    @app.get("/", include_in_schema=False, response_class=HTMLResponse)
    async def home() -> HTMLResponse:
        return HTMLResponse(html)
