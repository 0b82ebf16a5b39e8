"""Reusable pieces for every PDF labtrack issues (pure: data in, bytes out).

- ``register_fonts()``: the embedded Amiri font (Arabic and Latin glyphs, SIL OFL, see
  ``labtrack/static/fonts/OFL-Amiri.txt``) as ``Amiri`` / ``Amiri-Bold``.
- ``shape(text)``: Arabic shaped (joined letter forms, ``arabic-reshaper``) and put in visual
  right-to-left order (``python-bidi``), ready to draw; Latin text passes through unchanged.
- ``build_pdf(story, meta)``: a reproducible PDF (reportlab ``invariant=1``: fixed creation
  date and document ID), with the document number, issue date, "RE-ISSUE of ..." when it is a
  re-issue, and a QR code pointing back to the record on every page, said in the document's
  language (``meta.language``, kept with the document's params as for custody forms).
- ``styles()`` and ``table(...)``: the house paragraph styles and a plain grid table.
"""

from __future__ import annotations

import io
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import arabic_reshaper
import qrcode
from bidi.algorithm import get_display
from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Table, TableStyle

from labtrack.core.messages import msg
from labtrack.documents.wording import Wording

FONTS_DIR = Path(__file__).resolve().parent.parent / "static" / "fonts"
FONT, FONT_BOLD = "Amiri", "Amiri-Bold"
PAGE_SIZE = A4
MARGIN = 18 * mm


def register_fonts() -> None:
    """Register Amiri (regular and bold) once per process."""
    if FONT in pdfmetrics.getRegisteredFontNames():
        return
    pdfmetrics.registerFont(TTFont(FONT, str(FONTS_DIR / "Amiri-Regular.ttf")))
    pdfmetrics.registerFont(TTFont(FONT_BOLD, str(FONTS_DIR / "Amiri-Bold.ttf")))
    pdfmetrics.registerFontFamily(FONT, normal=FONT, bold=FONT_BOLD, italic=FONT, boldItalic=FONT_BOLD)


def has_arabic(text: str) -> bool:
    return any("\u0600" <= ch <= "\u06ff" or "\u0750" <= ch <= "\u077f" or "\ufb50" <= ch <= "\ufeff"
               for ch in text)


_RESHAPER = arabic_reshaper.ArabicReshaper(configuration={"delete_harakat": False,
                                                         "support_ligatures": False})


def clean_text(text: str) -> str:
    """NFC-normalised text without control characters (bidi overrides, zero-width marks)
    that would scramble a printed name; tatweel (ـ) is kept."""
    text = unicodedata.normalize("NFC", text or "")
    return "".join(ch for ch in text if unicodedata.category(ch) not in ("Cc", "Cf") or ch in "\n")


def arabic_name_problems(text: str) -> list[str]:
    """Why an Arabic-script name cannot be printed as it is (empty list: it can).

    Diacritics (harakat), tatweel and Arabic-Indic digits are kept; invisible direction controls
    are removed by ``clean_text``; Latin letters mixed into the Arabic name are refused, because
    the reading order of such a mixed line is ambiguous on paper: the Latin spelling belongs in
    the Latin name field.

    >>> arabic_name_problems("أَحْمَد خَلِيل"), arabic_name_problems("Ahmad أحمد")
    ([], ["the Arabic name mixes Arabic and Latin letters ('Ahmad'): keep the Latin spelling in the Latin name field"])
    """
    text = clean_text(text)
    problems = []
    latin = "".join(ch if ch.isascii() and ch.isalpha() else " " for ch in text).split()
    if latin and has_arabic(text):
        problems.append(msg("the Arabic name mixes Arabic and Latin letters (%(latin)s): keep the Latin spelling in "
                            "the Latin name field", latin=repr(" ".join(latin))))
    elif text.strip() and not has_arabic(text):
        problems.append(msg("the Arabic name has no Arabic letters: keep the Latin spelling in the Latin name field"))
    return problems


_DASHED_NUMBER = re.compile(r"\d+(?:-\d+)+")
_OUTSIDE_A_PIECE = r"\s\u0600-\u06ff\u0750-\u077f\ufb50-\ufeff()\[\]{}"
#: a path, an address, a time or a "SEQ:HASH" (/r/3?doc=DOC-1, 12:ab09): one left-to-right piece
_LTR_TOKEN = re.compile(rf"[A-Za-z0-9/][^{_OUTSIDE_A_PIECE}]*[/:?=][^{_OUTSIDE_A_PIECE}]*[A-Za-z0-9/]")
_OPENING, _CLOSING = "([{", ")]}"
_LRM, _RLM = "\u200e", "\u200f"
_MARKS = str.maketrans("", "", "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def _strong(ch: str, previous: str) -> str:
    """The bidi class a bracket pair's rule counts for ``ch``: "L", "R" or "" (neutral); a digit
    counts as right-to-left unless Latin came before it (rules W7 and N0 of UAX #9)."""
    kind = unicodedata.bidirectional(ch)
    if kind == "L":
        return "L"
    if kind in ("R", "AL"):
        return "R"
    if kind in ("EN", "AN"):
        return "L" if previous == "L" and kind == "EN" else "R"
    return ""


def _bracket_directions(text: str, base: str) -> dict[int, str]:
    """Rule N0 of the bidirectional algorithm (paired brackets), which python-bidi 0.6 does not
    apply: each matched pair of brackets takes the paragraph's direction when that direction is
    inside it, else the direction of what precedes it when the inside is all the other one
    ("Ali Hasan (ali)" stays one Latin piece in an Arabic line; "الأب (FA) (FA-2)" keeps its
    two pieces apart). Positions of the brackets resolved -> "L" or "R"."""
    types: list[str] = []
    previous = base
    for ch in text:
        kind = _strong(ch, previous)
        types.append(kind)
        if kind and unicodedata.bidirectional(ch) not in ("EN", "AN"):
            previous = kind
    pairs: list[tuple[int, int]] = []
    stack: list[tuple[int, str]] = []
    for index, ch in enumerate(text):
        if ch in _OPENING:
            stack.append((index, _CLOSING[_OPENING.index(ch)]))
        elif ch in _CLOSING:
            for depth in range(len(stack) - 1, -1, -1):
                if stack[depth][1] == ch:
                    pairs.append((stack[depth][0], index))
                    del stack[depth:]
                    break
    resolved: dict[int, str] = {}
    for opening, closing in sorted(pairs):
        inside = {types[i] for i in range(opening + 1, closing)} - {""}
        if not inside:
            continue
        if base in inside:
            direction = base
        else:
            # only the other direction inside: the pair follows what precedes it (the paragraph's start: base)
            direction = next((types[i] for i in range(opening - 1, -1, -1) if types[i]), base)
        types[opening] = types[closing] = resolved[opening] = resolved[closing] = direction
    return resolved


def _mark_brackets(text: str, base: str) -> str:
    """Each resolved bracket between two direction marks of its direction (LRM/RLM), so that the
    reordering keeps it with the text it encloses."""
    resolved = _bracket_directions(text, base)
    if not resolved:
        return text
    out = []
    for index, ch in enumerate(text):
        if index in resolved:
            mark = _LRM if resolved[index] == "L" else _RLM
            out.append(f"{mark}{ch}{mark}")
        else:
            out.append(ch)
    return "".join(out)


def shape(text: str, *, rtl: bool | None = None) -> str:
    """Text in drawing order: Arabic is reshaped and reordered right-to-left (bidi), mixed
    Arabic/Latin runs keep their own order, diacritics (harakat) are kept. ``rtl=True`` forces a
    right-to-left paragraph (a leading bullet or number then stays on the right)."""
    text = clean_text(text)
    if not has_arabic(text):
        return text
    base = ("R" if rtl else "L") if rtl is not None else next(
        (kind for ch in text if (kind := _strong(ch, "L")) and not ch.isdigit()), "L")
    # brackets around mixed Arabic/Latin text stay with what they enclose (rule N0, see above)
    text = _mark_brackets(text, base)
    # a date or number range (2026-12-03) kept left to right as one piece: python-bidi 0.6 reverses
    # its parts in a right-to-left line (03-12-2026); an embedding (LRE ... PDF) holds it together
    text = _DASHED_NUMBER.sub(lambda found: f"\u202a{found.group(0)}\u202c", text)
    # likewise a path or a "SEQ:HASH": bidi alone moved its leading "/" to the end (r/3?doc=.../)
    text = _LTR_TOKEN.sub(lambda found: f"\u202a{found.group(0)}\u202c", text)
    # the marks did their work in the reordering: none is drawn (Amiri has no glyph for them)
    return str(get_display(_RESHAPER.reshape(text), base_dir=base)).translate(_MARKS)


def styles() -> dict[str, ParagraphStyle]:
    register_fonts()
    base = ParagraphStyle("body", fontName=FONT, fontSize=10, leading=14, alignment=TA_LEFT)
    return {
        "body": base,
        "small": ParagraphStyle("small", parent=base, fontSize=8, leading=10),
        "title": ParagraphStyle("title", parent=base, fontName=FONT_BOLD, fontSize=16, leading=22,
                                spaceAfter=6),
        # a heading never ends a page: it moves with what follows it (keepWithNext)
        "heading": ParagraphStyle("heading", parent=base, fontName=FONT_BOLD, fontSize=12, leading=17,
                                  spaceBefore=8, spaceAfter=4, keepWithNext=1),
        "rtl": ParagraphStyle("rtl", parent=base, alignment=TA_RIGHT, fontSize=11, leading=17),
        "rtl_heading": ParagraphStyle("rtl_heading", parent=base, fontName=FONT_BOLD, alignment=TA_RIGHT,
                                      fontSize=13, leading=19, spaceBefore=8, spaceAfter=4, keepWithNext=1),
    }


def para(text: str, style: ParagraphStyle, *, rtl: bool | None = None) -> Paragraph:
    """A paragraph of plain text (escaped; Arabic shaped)."""
    return Paragraph(escape(shape(text, rtl=rtl)), style)


def rtl_lines(text: str, style: ParagraphStyle, width_chars: int = 70) -> list[Paragraph]:
    """Arabic prose as right-aligned lines, wrapped in logical order *before* reordering (a
    paragraph wrapped after reordering would read its lines bottom-up)."""
    out: list[Paragraph] = []
    for block in clean_text(text).split("\n"):
        words, line = block.split(), ""
        for word in words:
            candidate = f"{line} {word}".strip()
            if len(candidate) > width_chars and line:
                out.append(para(line, style, rtl=True))
                line = word
            else:
                line = candidate
        if line:
            out.append(para(line, style, rtl=True))
    return out


def table(rows: Sequence[Sequence[Any]], *, col_widths: Sequence[float] | None = None,
          highlight_rows: Sequence[int] = (), font_size: float = 8.5, header: bool = True,
          rtl: bool = False) -> Table:
    """A grid table; cells are text (shaped). ``highlight_rows`` (0-based, header included) are
    shaded as inconsistent. ``rtl``: an Arabic table, read from the right (first column on the
    right, cells right-aligned); IDs, numbers and genotypes inside stay left to right."""
    register_fonts()
    cell = ParagraphStyle("cell", fontName=FONT, fontSize=font_size, leading=font_size + 2.5,
                          alignment=TA_RIGHT if rtl else TA_LEFT)
    data = [[Paragraph(escape(shape("" if value is None else str(value), rtl=True if rtl else None)), cell)
             for value in row] for row in rows]
    if rtl:
        data = [list(reversed(row)) for row in data]
        col_widths = list(reversed(col_widths)) if col_widths is not None else None
    result = Table(data, colWidths=col_widths, repeatRows=1 if header else 0)
    commands: list[Any] = [
        ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ]
    if header:
        commands.append(("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e6e6e6")))
    for index in highlight_rows:
        commands.append(("BACKGROUND", (0, index), (-1, index), colors.HexColor("#f8d7da")))
    result.setStyle(TableStyle(commands))
    return result


class QrCode(Flowable):
    """A QR code of ``text`` (what a phone reads is exactly that text)."""

    def __init__(self, text: str, size: float = 28 * mm) -> None:
        super().__init__()
        self.text, self.size = text, size
        self.width = self.height = size

    def draw(self) -> None:
        draw_qr(self.canv, self.text, 0, 0, self.size)


def draw_qr(canvas: Canvas, text: str, x: float, y: float, size: float) -> None:
    """Draw a QR code (error correction M, quiet zone included) as filled squares."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=2)
    code.add_data(text)
    code.make(fit=True)
    matrix = code.get_matrix()
    cell = size / len(matrix)
    canvas.saveState()
    canvas.setFillColor(colors.white)
    canvas.rect(x, y, size, size, stroke=0, fill=1)
    canvas.setFillColor(colors.black)
    for row_index, row in enumerate(matrix):
        for col_index, dark in enumerate(row):
            if dark:
                canvas.rect(x + col_index * cell, y + size - (row_index + 1) * cell, cell, cell, stroke=0, fill=1)
    canvas.restoreState()


def qr_target(params: dict[str, Any], number: str) -> str:
    """What the QR code (and the "Verify:" line) says: with the lab's public base URL
    (LABTRACK_PUBLIC_BASE_URL, stored with the document's params), the absolute address of the
    public verification page of this number, which a phone can open; without it, the record's
    path and the document number (for staff inside the lab)."""
    base = str(params.get("public_base_url") or "").rstrip("/")
    if base:
        return f"{base}/verify/{number}"
    return f"{params.get('record_path', '/')}?doc={number}"


@dataclass(frozen=True)
class DocumentMeta:
    """What every page prints: title, number, issue date, QR target, re-issue marker."""

    title: str
    number: str
    issue_date: str  # ISO date, part of the stored params (so re-rendering gives the same bytes)
    qr_text: str
    reissue_of: str | None = None
    lab_name: str = ""
    audit_head: str = ""  # the audit log's head when issued (SEQ:HASH), a checkpoint kept on paper
    language: str = "en"  # the document's language ("language" in its params; English without it)

    def say(self, text: object) -> str:
        """``text`` (a message or plain text) in the document's language, ready to draw."""
        words = Wording(self.language)
        said = words.say(text)
        return shape(said, rtl=True) if words.rtl else said


def language_of(params: dict[str, Any]) -> str:
    """The language a document is issued in, as kept with its params (English documents, and
    every document issued before languages were kept, have none)."""
    return str(params.get("language") or "en")


def _page_decoration(meta: DocumentMeta) -> Any:
    def draw(canvas: Canvas, doc: Any) -> None:
        canvas.saveState()
        width, height = PAGE_SIZE
        canvas.setFont(FONT_BOLD, 9)
        canvas.drawString(MARGIN, height - 12 * mm, shape(meta.lab_name))
        canvas.setFont(FONT, 9)
        canvas.drawRightString(width - MARGIN, height - 12 * mm,
                               meta.say(msg("%(number)s   issued %(date)s", number=meta.number, date=meta.issue_date)))
        if meta.reissue_of:
            canvas.setFont(FONT_BOLD, 10)
            canvas.setFillColor(colors.HexColor("#a61b1b"))
            canvas.drawRightString(width - MARGIN, height - 16.5 * mm,
                                   meta.say(msg("RE-ISSUE of %(number)s", number=meta.reissue_of)))
            canvas.setFillColor(colors.black)
        draw_qr(canvas, meta.qr_text, width - MARGIN - 20 * mm, 8 * mm, 20 * mm)
        canvas.setFont(FONT, 7.5)
        canvas.drawString(MARGIN, 8.5 * mm, meta.say(msg("Verify: %(target)s", target=meta.qr_text)))
        if meta.audit_head:
            canvas.drawString(MARGIN, 5 * mm, meta.say(msg("Audit log checkpoint: %(head)s", head=meta.audit_head)))
        canvas.restoreState()

    return draw


def build_pdf(story: list[Flowable], meta: DocumentMeta) -> bytes:
    """Render ``story`` to PDF bytes, reproducibly (same input → same bytes → same SHA-256)."""
    register_fonts()
    buffer = io.BytesIO()
    title = Wording(meta.language).say(meta.title)
    doc = SimpleDocTemplate(buffer, pagesize=PAGE_SIZE, leftMargin=MARGIN, rightMargin=MARGIN,
                            topMargin=22 * mm, bottomMargin=32 * mm, title=f"{title} {meta.number}",
                            author=meta.lab_name or "labtrack", creator="labtrack", producer="labtrack",
                            subject=meta.number, invariant=1)
    decoration = _page_decoration(meta)
    line = None
    if meta.language != "en":
        def line(page: int, pages: int) -> str:
            return meta.say(msg("%(title)s · %(number)s · page %(page)s of %(pages)s", title=meta.title,
                                number=meta.number, page=page, pages=pages))
    doc.build(story, onFirstPage=decoration, onLaterPages=decoration,
              canvasmaker=numbered_canvas(f"{title} · {meta.number}", MARGIN, 12 * mm, FONT, 7.5, line=line))
    return buffer.getvalue()


def numbered_canvas(label: str, x: float, y: float, font: str, size: float,
                    line: Callable[[int, int], str] | None = None) -> type[Canvas]:
    """A canvas class that writes "<label> · page N of M" at (x, y) on every page: the pages are
    kept until the document ends, when their number is known (reportlab's two-step pattern).
    ``line(page, pages)``: the whole line instead, ready to draw (another language)."""

    class NumberedCanvas(Canvas):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._pages: list[dict[str, Any]] = []

        def showPage(self) -> None:  # noqa: N802 - reportlab's name
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._pages)
            for state in self._pages:
                self.__dict__.update(state)
                self.saveState()
                self.setFont(font, size)
                self.drawString(x, y, line(self._pageNumber, total) if line is not None
                                else f"{label} · page {self._pageNumber} of {total}")
                self.restoreState()
                super().showPage()
            super().save()

    return NumberedCanvas
