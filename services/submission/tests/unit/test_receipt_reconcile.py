"""Reconciling a receipt with what students uploaded and selected (R-SUB-5)."""

from __future__ import annotations

from portfolio_submission.domain.receipts import (
    FileSeen,
    ItemStatus,
    ReceivedItem,
    Reconciled,
    SubmittedItem,
    counts,
    reconcile,
    summary_of,
)

A, B, C = "A123456789", "B223456789", "C123456780"
SHA_1, SHA_2, SHA_X = "1" * 64, "2" * 64, "f" * 64


def outcome(nid: str, user: str, row: int, name: str, sha: str, code: str = "C1") -> SubmittedItem:
    fields = {
        "course_code": code,
        "subject_name": "國文",
        "description": "報告",
        "year_taken": "114",
        "semester_taken": "1",
    }
    return SubmittedItem(
        user, nid, "學期", row, fields, (FileSeen("document_file", name, sha),), item_ref=f"out-{name}"
    )


def got(nid: str, row: int, name: str, sha: str, code: str = "C1") -> ReceivedItem:
    fields = {
        "course_code": code,
        "subject_name": "國文",
        "description": "報告",
        "year_taken": "114",
        "semester_taken": "1",
    }
    return ReceivedItem(nid, "學期", row, fields, (FileSeen("document_file", name, sha, 10),))


def by_ref(result: list[Reconciled], ref: str | None, status: ItemStatus) -> list[Reconciled]:
    return [r for r in result if r.item_ref == ref and r.status is status]


def test_identical_different_missing_not_ours() -> None:
    sent = [
        outcome(A, "u-a", 2, "a1.pdf", SHA_1),
        outcome(A, "u-a", 3, "a2.pdf", SHA_2),
        outcome(B, "u-b", 4, "b1.pdf", SHA_1),
    ]
    received = [got(A, 2, "a1.pdf", SHA_1), got(B, 4, "b1.pdf", SHA_X), got(C, 9, "c1.pdf", SHA_1)]
    result = reconcile("course_outcomes", sent, received)
    assert len(result) == 4
    assert by_ref(result, "out-a1.pdf", ItemStatus.RECEIVED_IDENTICAL)[0].student_user_id == "u-a"
    different = by_ref(result, "out-b1.pdf", ItemStatus.RECEIVED_DIFFERENT)[0]
    assert different.student_user_id == "u-b"  # flagged for that student
    assert different.files[0].expected_sha256 == SHA_1 and different.files[0].received_sha256 == SHA_X
    assert not different.files[0].identical and different.differing_fields == ()
    assert by_ref(result, "out-a2.pdf", ItemStatus.MISSING)[0].files[0].received_sha256 is None
    stranger = [r for r in result if r.status is ItemStatus.NOT_OURS]
    assert len(stranger) == 1 and stranger[0].student_user_id is None and stranger[0].row == 9
    assert counts(result) == {"received_identical": 1, "received_different": 1, "missing": 1, "not_ours": 1}


def test_a_file_name_matches_before_the_row() -> None:
    # rows numbered differently by the central database: the file names still pair them
    sent = [outcome(A, "u-a", 2, "a1.pdf", SHA_1), outcome(A, "u-a", 3, "a2.pdf", SHA_2)]
    received = [got(A, 3, "a1.pdf", SHA_1), got(A, 2, "a2.pdf", SHA_2)]
    assert counts(reconcile("course_outcomes", sent, received))["received_identical"] == 2


def test_the_national_id_keys_the_match() -> None:
    # the same file name under another student's ID is not this student's item
    result = reconcile("course_outcomes", [outcome(A, "u-a", 2, "a1.pdf", SHA_1)], [got(B, 2, "a1.pdf", SHA_1)])
    assert counts(result) == {"received_identical": 0, "received_different": 0, "missing": 1, "not_ours": 1}


def test_a_changed_field_is_different_and_named() -> None:
    sent = SubmittedItem("u-a", A, "學期成績", 2, {"course_code": "C1", "semester_score": "80"})
    received = ReceivedItem(A, "學期成績", 2, {"course_code": "C1", "semester_score": "60"})
    (item,) = reconcile("grades", [sent], [received])
    assert item.status is ItemStatus.RECEIVED_DIFFERENT and item.differing_fields == ("semester_score",)
    same = ReceivedItem(A, "學期成績", 2, {"course_code": "C1", "semester_score": "80", "birth_date": "x"})
    assert reconcile("grades", [sent], [same])[0].status is ItemStatus.RECEIVED_IDENTICAL


def test_rows_without_files_match_by_key_fields_when_rows_differ() -> None:
    sent = [
        SubmittedItem("u-a", A, "學期成績", None, {"course_code": "C1", "semester_score": "80"}),
        SubmittedItem("u-a", A, "學期成績", None, {"course_code": "C2", "semester_score": "70"}),
    ]
    received = [
        ReceivedItem(A, "學期成績", 7, {"course_code": "C2", "semester_score": "70"}),
        ReceivedItem(A, "學期成績", 8, {"course_code": "C1", "semester_score": "80"}),
    ]
    assert counts(reconcile("grades", sent, received))["received_identical"] == 2


def test_a_receipt_file_row_compares_by_summary() -> None:
    sent = outcome(A, "u-a", 2, "a1.pdf", SHA_1)
    ok = ReceivedItem(
        A, "學期", 2, None, (FileSeen("document_file", "a1.pdf", SHA_1),), summary=summary_of(sent.fields)
    )
    assert reconcile("course_outcomes", [sent], [ok])[0].status is ItemStatus.RECEIVED_IDENTICAL
    off = ReceivedItem(A, "學期", 2, None, (FileSeen("document_file", "a1.pdf", SHA_1),), summary="國文 / C9")
    (item,) = reconcile("course_outcomes", [sent], [off])
    assert item.status is ItemStatus.RECEIVED_DIFFERENT and item.differing_fields == ("summary",)


def test_a_file_the_central_database_lacks_is_different() -> None:
    two = SubmittedItem(
        "u-a",
        A,
        "學期",
        2,
        {"course_code": "C1"},
        (FileSeen("document_file", "a.pdf", SHA_1), FileSeen("video_file", "a.mp4", SHA_2)),
    )
    one = ReceivedItem(A, "學期", 2, {"course_code": "C1"}, (FileSeen("document_file", "a.pdf", SHA_1),))
    (item,) = reconcile("course_outcomes", [two], [one])
    assert item.status is ItemStatus.RECEIVED_DIFFERENT
    assert [(f.column, f.identical) for f in item.files] == [("document_file", True), ("video_file", False)]
    extra = ReceivedItem(
        A,
        "學期",
        2,
        {"course_code": "C1"},
        (FileSeen("document_file", "a.pdf", SHA_1), FileSeen("video_file", "x.mp4", SHA_2)),
    )
    only_doc = SubmittedItem("u-a", A, "學期", 2, {"course_code": "C1"}, (FileSeen("document_file", "a.pdf", SHA_1),))
    assert reconcile("course_outcomes", [only_doc], [extra])[0].status is ItemStatus.RECEIVED_DIFFERENT


def test_files_pair_by_name_whatever_the_column_is_called() -> None:
    # the receipt names the column by its header (證明文件), the batch by its key
    sent = SubmittedItem("u-a", A, "學期", 2, {"course_code": "C1"}, (FileSeen("document_file", "a.pdf", SHA_1),))
    got_same = ReceivedItem(A, "學期", 2, {"course_code": "C1"}, (FileSeen("證明文件", "a.pdf", SHA_1),))
    assert reconcile("course_outcomes", [sent], [got_same])[0].status is ItemStatus.RECEIVED_IDENTICAL
    got_changed = ReceivedItem(A, "學期", 2, {"course_code": "C1"}, (FileSeen("證明文件", "a.pdf", SHA_2),))
    (item,) = reconcile("course_outcomes", [sent], [got_changed])
    assert item.status is ItemStatus.RECEIVED_DIFFERENT and item.files[0].received_sha256 == SHA_2
