"""Postal letters as PDF (R-SUB-9): A4, Traditional Chinese, real text (extractable), no font to install.

reportlab's built-in CID font MSung-Light (Adobe-CNS1, Traditional Chinese) is used by name: the
PDF reader supplies the glyphs, so the server needs no font file. The address block sits where a
C5/DL window envelope (left window, 20 mm from the left, 45 mm from the top) shows it; the school's
return address sits above it, in the envelope's window too.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen.canvas import Canvas

FONT = "MSung-Light"
pdfmetrics.registerFont(UnicodeCIDFont(FONT))

WINDOW_LEFT = 20 * mm
WINDOW_TOP = 45 * mm  # from the top edge of the page
BODY_WIDTH = 170 * mm


@dataclass(frozen=True)
class Letter:
    return_address: Sequence[str]  # school name, then address lines
    address: Sequence[str]  # recipient, postal code, address
    subject: str
    body: str


def _wrap(text: str, size: float, width: float) -> list[str]:
    """Break by measured width: Chinese has no spaces, so wrap per character, English per word."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line = ""
        for token in _tokens(paragraph):
            if pdfmetrics.stringWidth(line + token, FONT, size) <= width or not line:
                line += token
            else:
                lines.append(line.rstrip())
                line = token.lstrip()
        lines.append(line)
    return lines


def _tokens(text: str) -> list[str]:
    tokens: list[str] = []
    word = ""
    for ch in text:
        if ch.isascii() and not ch.isspace():
            word += ch
            continue
        if word:
            tokens.append(word)
            word = ""
        tokens.append(ch)
    if word:
        tokens.append(word)
    return tokens


def _page(canvas: Canvas, letter: Letter) -> None:
    _, height = A4
    y = height - WINDOW_TOP + 10 * mm
    canvas.setFont(FONT, 8)
    canvas.drawString(WINDOW_LEFT, y, " ".join(letter.return_address))
    y -= 8 * mm
    canvas.setFont(FONT, 12)
    for line in letter.address:
        canvas.drawString(WINDOW_LEFT, y, line)
        y -= 6 * mm
    y = height - 110 * mm
    canvas.setFont(FONT, 14)
    canvas.drawString(WINDOW_LEFT, y, letter.subject)
    y -= 10 * mm
    canvas.setFont(FONT, 11)
    for line in _wrap(letter.body, 11, BODY_WIDTH):
        if y < 20 * mm:
            canvas.showPage()
            canvas.setFont(FONT, 11)
            y = height - 20 * mm
        canvas.drawString(WINDOW_LEFT, y, line)
        y -= 6 * mm
    canvas.showPage()


def render_pdf(letters: Sequence[Letter], title: str) -> bytes:
    """One letter per page (a batch is many letters in one file, in the order given)."""
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4, pageCompression=1)
    canvas.setTitle(title)
    for letter in letters:
        _page(canvas, letter)
    canvas.save()
    return buffer.getvalue()
