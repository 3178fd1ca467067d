"""Decoding a school administration system's text export (R-DUTY-3), shared by every SIS parser.

SIS exports are UTF-8 at some schools and Big5/CP950 at others (DOMAIN.md). A whole file that
decodes in one of them is read as such. A file with a few lines that are valid in neither (a
truncated multi-byte character, a line pasted from elsewhere) is NOT refused whole: it is read in
the encoding most of its lines are valid in, and each line that is not is blanked and reported by
its 1-based line number, so the other lines still import. Only a header line that cannot be read,
or a file with no readable line, refuses the file.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True, slots=True)
class DecodedExport:
    text: str
    encoding: str  # "utf-8", "utf-8-sig", "big5" or "cp950"
    bad_lines: tuple[int, ...] = ()  # 1-based numbers of lines blanked because they were not valid text
    raw_bad_lines: tuple[str, ...] = ()  # the same lines decoded with replacement characters (for ids only)


class UndecodableExport(ValueError):
    """The file cannot be read at all: its header line, or every line, is not valid text."""

    def __init__(self, detail: str, line_number: int | None = None, byte_offset: int | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.line_number = line_number
        self.byte_offset = byte_offset


def _name(encoding: str, bom: bool) -> str:
    return "utf-8-sig" if bom and encoding == "utf-8" else encoding


def decode_export(data: bytes, encodings: Sequence[str] = ("utf-8", "cp950")) -> DecodedExport:
    """Decode an export; see the module docstring. ``encodings`` in order of preference."""
    bom = data.startswith(BOM)
    body = data[len(BOM) :] if bom else data
    first_error: UnicodeDecodeError | None = None
    for encoding in encodings:
        try:
            return DecodedExport(body.decode(encoding), _name(encoding, bom))
        except UnicodeDecodeError as exc:
            first_error = first_error or exc
    lines = body.split(b"\n")
    best: tuple[str, list[str], list[int]] | None = None
    for encoding in encodings:
        decoded: list[str] = []
        bad: list[int] = []
        for number, raw in enumerate(lines, start=1):
            try:
                decoded.append(raw.decode(encoding))
            except UnicodeDecodeError:
                decoded.append("")
                bad.append(number)
        if best is None or len(bad) < len(best[2]):
            best = (encoding, decoded, bad)
    assert best is not None
    encoding, decoded, bad = best
    readable = [n for n, raw in enumerate(lines, start=1) if raw.strip() and n not in bad]
    if 1 in bad or not readable:
        offset = first_error.start + (len(BOM) if bom else 0) if first_error else None
        raise UndecodableExport(
            f"the file is neither UTF-8 nor Big5 text (line {bad[0] if bad else 1})",
            line_number=bad[0] if bad else 1,
            byte_offset=offset,
        )
    raw_bad = tuple(lines[n - 1].decode(encoding, errors="replace") for n in bad)
    return DecodedExport("\n".join(decoded), _name(encoding, bom), tuple(bad), raw_bad)
