"""Line-level decoding of SIS exports (R-DUTY-3): a bad line is reported by number, not the whole file."""

from __future__ import annotations

import pytest

from portfolio_shared.sis_text import UndecodableExport, decode_export


def test_whole_files_in_either_encoding_decode_without_bad_lines() -> None:
    assert decode_export("學號\n甲\n".encode()).encoding == "utf-8"
    assert decode_export("\ufeff學號\n".encode()).encoding == "utf-8-sig"
    decoded = decode_export("學號\n甲\n".encode("cp950"))
    assert (decoded.text, decoded.encoding, decoded.bad_lines) == ("學號\n甲\n", "cp950", ())


def test_a_line_valid_in_neither_encoding_is_blanked_and_reported_by_number() -> None:
    data = "學號,姓名\n1,王\n".encode() + b"2,\xff\xfe\n" + "3,李\n".encode()
    decoded = decode_export(data)
    assert decoded.encoding == "utf-8" and decoded.bad_lines == (3,)
    assert decoded.text.split("\n")[:4] == ["學號,姓名", "1,王", "", "3,李"]
    assert decoded.raw_bad_lines[0].startswith("2,")


def test_the_encoding_most_lines_are_valid_in_wins() -> None:
    big5 = "學號,姓名\n1,王小明\n2,李大華\n".encode("cp950")
    data = big5 + "3,陳\n".encode()  # one UTF-8 line in a Big5 file
    decoded = decode_export(data)
    assert decoded.encoding == "cp950"
    assert 4 in decoded.bad_lines and decoded.text.startswith("學號,姓名\n1,王小明")


def test_an_unreadable_header_or_file_is_refused() -> None:
    with pytest.raises(UndecodableExport) as caught:
        decode_export(b"\xff\xfe\xfd,header\nok,1\n")
    assert caught.value.line_number == 1
    with pytest.raises(UndecodableExport):
        decode_export(b"\xff\xff\xff\xfe\x80")
