"""The portal's words in Traditional Chinese (default) and English, and the school-time formatting.

Taiwanese students and staff read zh-TW; English is one switch away (a cookie). Every label the
pages print comes from here, so a missing translation is a KeyError in the tests, not a blank.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from portfolio_shared.timefmt import DEFAULT_SCHOOL_ZONE

Lang = Literal["zh-TW", "en"]
LANGS: tuple[Lang, ...] = ("zh-TW", "en")
DEFAULT_LANG: Lang = "zh-TW"

# key: (zh-TW, English)
MESSAGES: dict[str, tuple[str, str]] = {
    "app.title": ("學生學習歷程檔案平臺", "Student learning portfolio"),
    "nav.home": ("首頁", "Home"),
    "nav.outcomes": ("課程學習成果", "Course outcomes"),
    "nav.performances": ("多元表現", "Multiple performances"),
    "nav.selection": ("勾選提交", "Selection"),
    "nav.certify": ("認證課程學習成果", "Certify outcomes"),
    "nav.inbox": ("通知", "Inbox"),
    "nav.schedule": ("作業期程", "Schedule"),
    "nav.selfcheck": ("自我檢核報表", "Self-check reports"),
    "nav.sync": ("校務系統同步", "SIS sync reports"),
    "nav.accounts": ("帳號與角色", "Accounts and roles"),
    "nav.duties": ("職務與代理順位", "Duties and delegation"),
    "nav.history": ("歷程紀錄", "History"),
    "nav.signout": ("登出", "Sign out"),
    "nav.language": ("English", "中文"),
    "nav.skip": ("跳到主要內容", "Skip to main content"),
    "login.title": ("登入", "Sign in"),
    "login.username": ("帳號", "Login name"),
    "login.password": ("密碼", "Password"),
    "login.submit": ("登入", "Sign in"),
    "login.signed_in_as": ("登入身分", "Signed in as"),
    "common.school": ("學校", "School"),
    "common.term": ("學期", "Term"),
    "common.year": ("學年度", "Academic year"),
    "common.semester": ("學期", "Semester"),
    "common.show": ("顯示", "Show"),
    "common.status": ("狀態", "Status"),
    "common.title": ("標題", "Title"),
    "common.description": ("內容簡述", "Description"),
    "common.course": ("課程", "Course"),
    "common.files": ("檔案", "Files"),
    "common.updated": ("更新時間", "Updated"),
    "common.actions": ("操作", "Actions"),
    "common.none": ("目前沒有資料。", "Nothing here yet."),
    "common.back": ("返回", "Back"),
    "common.details": ("詳細資料", "Details"),
    "common.field": ("欄位", "Field"),
    "common.rule": ("依據規定", "Rule"),
    "common.error": ("發生錯誤", "Something went wrong"),
    "common.download": ("下載", "Download"),
    "common.when": ("時間", "When"),
    "common.who": ("操作者", "By"),
    "common.on_behalf_of": ("代理對象", "On behalf of"),
    "common.basis": ("依據", "Basis"),
    "common.count": ("數量", "Count"),
    "common.selected": ("已勾選", "Selected"),
    "common.not_selected": ("未勾選", "Not selected"),
    "common.csv": ("下載 CSV", "Download CSV"),
    "home.welcome": ("歡迎使用學習歷程檔案平臺", "Welcome to the learning portfolio platform"),
    "home.pick": ("請選擇要進行的作業：", "Choose what to do:"),
    "outcomes.title": ("我的課程學習成果", "My course learning outcomes"),
    "outcomes.upload": ("上傳課程學習成果", "Upload a course outcome"),
    "outcomes.left": ("本學期還可上傳 {left} 件（上限 {cap} 件）", "{left} uploads left this term (limit {cap})"),
    "outcomes.no_courses": (
        "本學期沒有修習中的課程，無法上傳。",
        "You take no course this term, so nothing can be uploaded.",
    ),
    "outcomes.document": ("文件檔（PDF、JPG、PNG，{mb} MB 以內）", "Document (PDF, JPG, PNG, at most {mb} MB)"),
    "outcomes.media": ("影音檔（MP3、MP4，{mb} MB 以內，可不附）", "Audio/video (MP3, MP4, at most {mb} MB, optional)"),
    "outcomes.description_hint": ("{n} 字以內", "at most {n} characters"),
    "outcomes.submit": ("上傳", "Upload"),
    "outcomes.progress": ("上傳進度", "Upload progress"),
    "outcomes.done": ("上傳完成，等待任課教師認證。", "Uploaded; waiting for the teacher's certification."),
    "outcomes.cancel_draft": ("取消草稿", "Cancel draft"),
    "outcomes.withdraw": ("撤回", "Withdraw"),
    "outcomes.return_reason": ("退回原因", "Reason for return"),
    "outcomes.certified_by": ("認證者", "Certified by"),
    "status.draft": ("草稿（未完成上傳）", "Draft (upload not completed)"),
    "status.submitted": ("待認證", "Awaiting certification"),
    "status.certified": ("已認證", "Certified"),
    "status.returned": ("已退回", "Returned"),
    "status.withdrawn": ("已撤回", "Withdrawn"),
    "pstatus.draft": ("草稿（未完成上傳）", "Draft (upload not completed)"),
    "pstatus.submitted": ("已上傳", "Uploaded"),
    "pstatus.withdrawn": ("已撤回", "Withdrawn"),
    "performances.done": ("上傳完成。", "Uploaded."),
    "basis.teacher": ("任課教師", "Course teacher"),
    "basis.reviewing_teacher": ("審查教師（合開課程）", "Reviewing teacher (co-taught)"),
    "basis.delegate": ("代理人（代理順位）", "Delegate (delegation order)"),
    "basis.on_behalf_authorisation": ("教師授權代為認證", "Authorised by the teacher"),
    "basis.extended_account": ("離職教師延長帳號", "Extended account of a teacher who left"),
    "selection.title": ("勾選提交至中央資料庫", "Select for submission"),
    "selection.outcomes": (
        "{year} 學年度已勾選課程學習成果 {n} / {cap} 件",
        "Outcomes selected for {year}: {n} of {cap}",
    ),
    "selection.performances": (
        "{year} 學年度已勾選多元表現 {n} / {cap} 件",
        "Performances selected for {year}: {n} of {cap}",
    ),
    "selection.select": ("勾選", "Select"),
    "selection.deselect": ("取消勾選", "Deselect"),
    "selection.only_certified": ("只有已認證的成果可以勾選。", "Only certified outcomes can be selected."),
    "performances.title": ("我的多元表現", "My multiple performances"),
    "performances.upload": ("新增多元表現", "Add a performance"),
    "performances.category": ("類別", "Category"),
    "performances.left": ("本學年度還可上傳 {left} 件（上限 {cap} 件）", "{left} uploads left this year (limit {cap})"),
    "performances.choose": ("選擇類別後填寫欄位", "Choose a category to fill in its fields"),
    "certify.title": ("待認證的課程學習成果", "Outcomes awaiting certification"),
    "certify.certify": ("認證", "Certify"),
    "certify.return": ("退回", "Return"),
    "certify.reason": ("退回原因（必填）", "Reason (required)"),
    "certify.student": ("學生", "Student"),
    "certify.teachers": ("任課教師", "Teachers"),
    "certify.done": ("已認證", "Certified"),
    "certify.returned": ("已退回", "Returned"),
    "certify.acting_for": ("代理認證：{who}", "Certifying on behalf of {who}"),
    "inbox.title": ("通知", "Inbox"),
    "inbox.unread": ("未讀", "Unread"),
    "inbox.mark_read": ("標示為已讀", "Mark as read"),
    "schedule.title": ("作業期程", "Schedule"),
    "schedule.phase": ("作業項目", "Phase"),
    "schedule.starts": ("開始", "Starts"),
    "schedule.ends": ("結束", "Ends"),
    "schedule.self_check": ("自我檢核時間", "Self-check"),
    "schedule.zone": ("時間以學校時區 {zone} 顯示", "Times in the school's time zone, {zone}"),
    "selfcheck.title": ("自我檢核報表", "Self-check reports"),
    "selfcheck.uncertified": ("尚有未認證成果的教師", "Teachers with uncertified outcomes"),
    "selfcheck.selections": ("學生勾選狀況", "Students' selection status"),
    "selfcheck.records": ("學籍與修課資料檢核", "Records self-check"),
    "selfcheck.teacher": ("教師", "Teacher"),
    "selfcheck.uncertified_count": ("未認證件數", "Uncertified"),
    "selfcheck.unavailable": ("無法認證（需代理）", "Cannot certify (delegate needed)"),
    "selfcheck.outcomes_certified": ("已認證成果", "Certified outcomes"),
    "selfcheck.outcomes_selected": ("已勾選成果", "Selected outcomes"),
    "selfcheck.performances_uploaded": ("已上傳多元表現", "Performances uploaded"),
    "selfcheck.performances_selected": ("已勾選多元表現", "Performances selected"),
    "sync.title": ("校務行政系統同步報告", "SIS sync reports"),
    "sync.accounts": ("帳號同步（身分服務）", "Account sync (identity)"),
    "sync.grades": ("成績同步（學籍服務）", "Grade sync (records)"),
    "accounts.title": ("帳號與角色", "Accounts and roles"),
    "accounts.login": ("帳號", "Login"),
    "accounts.name": ("姓名", "Name"),
    "accounts.kind": ("身分別", "Kind"),
    "accounts.roles": ("角色", "Roles"),
    "duties.title": ("職務與代理順位", "Duties and delegation order"),
    "duties.responsible": ("負責人", "Responsible"),
    "duties.delegates": ("代理順位", "Delegates in order"),
    "duties.acting": ("目前執行者", "Acting now"),
    "duties.edit": ("設定負責人與代理順位", "Set responsible persons and delegates"),
    "duties.logins_hint": ("帳號，以逗號分隔，依順位排列", "login names, comma-separated, in order"),
    "duties.save": ("儲存", "Save"),
    "history.title": ("歷程紀錄", "History"),
    "history.action": ("動作", "Action"),
    "nav.submission": ("提交中央資料庫", "Submission"),
    "nav.receipts": ("收訖明細", "Receipts"),
    "nav.objections": ("疑義處理", "Objections"),
    "sub.due": ("應提交項目（依處室）", "What is due (per office)"),
    "sub.office": ("處室", "Office"),
    "sub.kind": ("資料類別", "Kind"),
    "sub.data_term": ("資料學期", "Data of"),
    "sub.due_term": ("提交學期", "Due in"),
    "sub.students": ("學生數", "Students"),
    "sub.deadline": ("提交期限", "Deadline"),
    "sub.no_window": ("尚未登錄中央資料庫提交期程", "No central window entered yet"),
    "sub.missed": ("已逾期", "Missed"),
    "sub.batches": ("提交批次", "Batches"),
    "sub.new_batch": ("建立提交批次", "New batch"),
    "sub.label": ("說明", "Label"),
    "sub.create": ("建立", "Create"),
    "sub.errors": ("錯誤數", "Errors"),
    "sub.check": ("執行檢核", "Run the pre-check"),
    "sub.submit": ("送出至中央資料庫", "Submit"),
    "sub.cancel": ("取消批次", "Cancel the batch"),
    "sub.findings": ("檢核結果", "Pre-check findings"),
    "sub.no_findings": ("檢核無誤。", "The pre-check found nothing."),
    "sub.never_checked": ("尚未檢核。", "Not checked yet."),
    "sub.sheet": ("工作表", "Sheet"),
    "sub.row": ("列", "Row"),
    "sub.message": ("說明", "Message"),
    "sub.exclude": ("排除學生", "Leave students out"),
    "sub.exclude_ids": ("學生編號（每行一個）", "Student ids (one per line)"),
    "sub.exclusions": ("已排除的學生", "Students left out"),
    "sub.reason": ("原因", "Reason"),
    "sub.submitted_by": ("送出者", "Submitted by"),
    "sub.workbook": ("下載檢核報表（Excel）", "Download the report (Excel)"),
    "sub.fetch_receipt": ("取得收訖明細", "Fetch the receipt"),
    "sub.receipts": ("收訖明細", "Receipts"),
    "sub.window": ("確認期間", "Confirmation window"),
    "sub.first_day": ("開始日", "First day"),
    "sub.last_day": ("結束日（至少 3 天）", "Last day (at least 3 days)"),
    "sub.announce": ("公告確認期間", "Announce the window"),
    "sub.complete": ("完成收訖確認", "Complete the confirmation"),
    "sub.letters": ("下載郵寄通知（PDF）", "Download the postal letters (PDF)"),
    "sub.items": ("收訖項目", "Items received"),
    "sub.summary": ("內容", "Item"),
    "sub.counts": ("統計", "Counts"),
    "sub.objections": ("疑義", "Objections"),
    "sub.reject": ("駁回（須說明理由）", "Reject (give the reason)"),
    "sub.correct": ("更正並重新提交", "Correct and resubmit"),
    "sub.note": ("備註", "Note"),
    "sub.raised_by": ("提出者", "Raised by"),
    "sub.routed_to": ("處理人", "Handled by"),
    "receipt.title": ("我的收訖明細", "My receipts"),
    "receipt.check": (
        "請核對提交至中央資料庫的內容是否與您上傳的相同。",
        "Check that what was submitted matches what you uploaded.",
    ),
    "receipt.confirm": ("確認無誤", "Confirm"),
    "receipt.object": ("提出疑義", "Raise an objection"),
    "receipt.object_items": ("有疑義的項目", "Items in question"),
    "receipt.object_reason": ("疑義說明", "What is wrong"),
    "receipt.answer": ("我的回覆", "My answer"),
    "receipt.flagged": ("有 {n} 項內容不同或缺漏", "{n} items differ or are missing"),
    "answer.pending": ("尚未回覆", "Not answered"),
    "answer.confirmed": ("已確認", "Confirmed"),
    "answer.objected": ("已提出疑義", "Objection raised"),
    "answer.deemed": ("逾期視為確認", "Deemed confirmed"),
    "item.received_identical": ("內容相同", "Identical"),
    "item.received_different": ("內容不同", "Different"),
    "item.missing": ("缺漏", "Missing"),
    "item.not_ours": ("非本校資料", "Not ours"),
    "kind.basic_data": ("基本資料", "Basic data"),
    "kind.grades": ("修課紀錄（成績）", "Course records (grades)"),
    "kind.cadre_records": ("幹部紀錄", "Cadre records"),
    "kind.course_outcomes": ("課程學習成果", "Course outcomes"),
    "kind.performances": ("多元表現", "Multiple performances"),
    "office.registry": ("註冊組", "Registry"),
    "office.activities": ("訓育組", "Activities section"),
    "office.it": ("資訊組", "IT section"),
    "office.guidance_data": ("資料組", "Guidance data section"),
    "bstatus.draft": ("草稿", "Draft"),
    "bstatus.checked": ("已檢核", "Checked"),
    "bstatus.failed_check": ("檢核有誤", "Check found errors"),
    "bstatus.ready": ("待送出", "Ready to send"),
    "bstatus.building": ("產生檔案中", "Building"),
    "bstatus.sending": ("傳送中", "Sending"),
    "bstatus.accepted": ("中央已收件", "Accepted"),
    "bstatus.failed": ("傳送失敗", "Failed"),
    "bstatus.cancelled": ("已取消", "Cancelled"),
    "rstatus.imported": ("已匯入", "Imported"),
    "rstatus.window_open": ("確認期間中", "Window open"),
    "rstatus.closed": ("確認期間已結束", "Window closed"),
    "rstatus.completed": ("已完成", "Completed"),
    "ostatus.open": ("待處理", "Open"),
    "ostatus.corrected": ("已更正", "Corrected"),
    "ostatus.rejected": ("已駁回", "Rejected"),
    "role.registry": ("註冊組", "Registry"),
    "role.registry_clerk": ("註冊組幹事", "Registry clerk"),
    "role.instruction": ("教學組", "Instruction section"),
    "role.instruction_clerk": ("教學組幹事", "Instruction clerk"),
    "role.activities": ("訓育組", "Activities section"),
    "role.discipline": ("生輔組", "Discipline section"),
    "role.guidance_data": ("資料組", "Guidance data section"),
    "role.guidance_counselling": ("輔導組", "Guidance counselling"),
    "role.guidance_director": ("輔導主任", "Guidance director"),
    "role.it": ("資訊組", "IT section"),
    "role.library_services": ("讀服組", "Library reader services"),
    "role.library_outreach": ("服推組", "Library outreach"),
    "role.course_counsellor": ("課程諮詢教師", "Course counsellor"),
    "role.course_teacher": ("任課教師", "Course teacher"),
    "role.student": ("學生", "Student"),
    "role.principal": ("校長", "Principal"),
    "role.district_admin": ("主管機關管理者", "District administrator"),
    "role.system_admin": ("系統管理者", "System administrator"),
    "error.not_found": ("查無資料", "Not found"),
    "error.csrf": ("表單已失效，請重新整理頁面後再試一次。", "The form expired; reload the page and try again."),
    "error.signed_out": ("請先登入。", "Please sign in."),
    "error.unavailable": ("服務暫時無法使用，請稍後再試。", "The service is unavailable; try again shortly."),
    "error.file_type": (
        "檔案類型不符：文件請用 PDF、JPG 或 PNG，影音請用 MP3 或 MP4。",
        "Wrong file type: documents must be PDF, JPG or PNG; audio/video MP3 or MP4.",
    ),
    "error.file_size": (
        "檔案過大：{name} 為 {size}，上限 {limit}。",
        "File too large: {name} is {size}, limit {limit}.",
    ),
    "error.need_file": ("請選擇要上傳的檔案。", "Choose a file to upload."),
    "error.upload_failed": ("檔案傳送失敗，請再試一次。", "Sending the file failed; try again."),
    "action.uploaded": ("上傳", "Uploaded"),
    "action.certified": ("認證", "Certified"),
    "action.returned": ("退回", "Returned"),
    "action.selected": ("勾選", "Selected"),
    "action.deselected": ("取消勾選", "Deselected"),
    "action.withdrawn": ("撤回", "Withdrawn"),
    "action.transferred": ("轉學移轉", "Transferred"),
    "phase.outcome_upload": ("課程學習成果上傳", "Outcome upload"),
    "phase.outcome_certification": ("課程學習成果認證", "Outcome certification"),
    "phase.outcome_selection": ("課程學習成果勾選", "Outcome selection"),
    "phase.performance_upload": ("多元表現上傳", "Performance upload"),
    "phase.performance_selection": ("多元表現勾選", "Performance selection"),
    "phase.data_entry": ("學籍與修課資料登錄", "Records data entry"),
    "phase.submission": ("提交中央資料庫", "Submission"),
    "phase.receipt_confirmation": ("收訖明細確認", "Receipt confirmation"),
}


def t(key: str, lang: str, **values: object) -> str:
    zh, en = MESSAGES[key]
    text = en if lang == "en" else zh
    return text.format(**values) if values else text


def label(prefix: str, value: str | None, lang: str) -> str:
    """A value's label (``status.certified``), or the value itself when the catalogue has none."""
    if value is None:
        return ""
    key = f"{prefix}.{value}"
    return t(key, lang) if key in MESSAGES else value


def pick_lang(cookie: str | None) -> Lang:
    return "en" if cookie == "en" else DEFAULT_LANG


def zone_of(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or DEFAULT_SCHOOL_ZONE)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(DEFAULT_SCHOOL_ZONE)


def school_time(value: str | datetime | None, zone: str | None) -> str:
    """An RFC 3339 time from a service, shown in the school's zone (``2026-03-01 08:00``)."""
    if value is None or value == "":
        return ""
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    if moment.tzinfo is None:  # services answer aware times; a naive one is UTC (SQLite)
        moment = moment.replace(tzinfo=ZoneInfo("UTC"))
    return moment.astimezone(zone_of(zone)).strftime("%Y-%m-%d %H:%M")


def human_size(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.2f} MB"
    if size >= 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size} B"
