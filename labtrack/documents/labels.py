"""Label renderers (pure: data in, bytes out): A4 sheet, thermal roll, tube, Zebra ZPL.

Sheet and roll labels carry a Code 128 barcode (bars from python-barcode, drawn as vector
rectangles by reportlab) with the ID in text under the bars. Tube labels are too narrow for
Code 128 and carry a QR code (the ``qrcode`` package, drawn by reportlab) with the ID in
text. What a scanner reads is exactly the ID text. A site's Arabic name is printed beside its
code on sheet and roll labels (Amiri, shaped right to left); where both names do not fit, the
Latin name gives way, then the Arabic font shrinks.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import qrcode
from barcode import Code128
from qrcode.constants import ERROR_CORRECT_M
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from labtrack.documents.pdf_base import FONT, register_fonts, shape
from labtrack.documents.wording import Wording

LAYOUTS: tuple[str, ...] = ("sheet", "roll", "tube", "zpl")
QUIET_MODULES = 10
_QR_ALPHANUMERIC = re.compile(r"^[0-9A-Z $%*+\-./:]*$")
MAX_MODULE_MM = 0.33


@dataclass(frozen=True)
class LabelData:
    accession: str
    item_type: str  # "remains: partial body", "sample: femur", "location: box" (a message, said in its language)
    site: str = ""  # site code and name, or location name
    site_ar: str = ""  # the site's Arabic name (printed right-aligned on the site line)
    site_code: str = ""  # kept when the Latin name must give way to the Arabic one


@lru_cache(maxsize=4096)
def code128_modules(text: str) -> str:
    """The bar pattern of ``text`` as '1' (bar) and '0' (space) modules, without quiet zones."""
    return str(Code128(text).build()[0])


def _draw_code128(canvas: Canvas, text: str, x: float, y: float, width: float, height: float) -> None:
    """Draw ``text`` as Code 128 centred in the box (x, y, width, height), quiet zones included."""
    modules = code128_modules(text)
    module = min(MAX_MODULE_MM * mm, width / (len(modules) + 2 * QUIET_MODULES))
    left = x + (width - module * len(modules)) / 2
    path = canvas.beginPath()
    run_start = None
    for i, bit in enumerate(modules + "0"):
        if bit == "1" and run_start is None:
            run_start = i
        elif bit == "0" and run_start is not None:
            path.rect(left + run_start * module, y, (i - run_start) * module, height)
            run_start = None
    canvas.drawPath(path, stroke=0, fill=1)


def qr_matrix(text: str) -> list[list[bool]]:
    """QR code modules of ``text`` (the ``qrcode`` package), quiet zone of 2 modules included.

    IDs are upper case, digits and hyphens (QR alphanumeric mode): version 2 holds up to 38 such
    characters at level M, so the version is fixed unless a longer text needs more.
    """
    # a fixed mask pattern is valid QR (decoders read the mask from the format bits) and saves
    # scoring all eight masks for every label
    code = qrcode.QRCode(version=2 if len(text) <= 38 else None, error_correction=ERROR_CORRECT_M, border=2,
                         mask_pattern=4)
    code.add_data(qrcode.util.QRData(text.encode("ascii"), mode=qrcode.util.MODE_ALPHA_NUM)
                  if _QR_ALPHANUMERIC.match(text) else text)
    code.make(fit=len(text) > 38)
    return code.get_matrix()


def _draw_qr(canvas: Canvas, text: str, x: float, y: float, size: float) -> None:
    matrix = qr_matrix(text)
    module = size / len(matrix)
    path = canvas.beginPath()
    for row, line in enumerate(matrix):
        start = None
        for col, dark in enumerate([*line, False]):
            if dark and start is None:
                start = col
            elif not dark and start is not None:  # one rectangle per horizontal run of dark modules
                path.rect(x + start * module, y + size - (row + 1) * module, (col - start) * module, module)
                start = None
    canvas.drawPath(path, stroke=0, fill=1)


def _fit(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _item_type(canvas: Canvas, label: LabelData, words: Wording, x: float, baseline: float, width: float,
               size: float, limit: int) -> None:
    """The item's type in the label's language: Arabic right-aligned (Amiri, shaped), shrunk to fit."""
    said = words.say(label.item_type)
    if not words.rtl:
        canvas.drawString(x, baseline, _fit(said, limit))
        return
    register_fonts()
    arabic, arabic_size = shape(said, rtl=True), size + 1
    while arabic_size > 4 and canvas.stringWidth(arabic, FONT, arabic_size) > width:
        arabic_size -= 0.5
    font = canvas._fontname, canvas._fontsize  # type: ignore[attr-defined]
    canvas.setFont(FONT, arabic_size)
    canvas.drawRightString(x + width, baseline, arabic)
    canvas.setFont(*font)


def _code128_label(canvas: Canvas, label: LabelData, x: float, y: float, w: float, h: float,
                   small: bool, words: Wording) -> None:
    pad = 2 * mm if not small else 1.2 * mm
    title = 6.5 if small else 8
    canvas.setFont("Helvetica", title)
    _site_line(canvas, label, x + pad, y + h - pad - title, w - 2 * pad, title, 40 if small else 48)
    _item_type(canvas, label, words, x + pad, y + h - pad - 2 * title - 1, w - 2 * pad, title, 40 if small else 48)
    text_size = 8 if small else 10
    canvas.setFont("Helvetica-Bold", text_size)
    canvas.drawCentredString(x + w / 2, y + pad, label.accession)
    bar_bottom = y + pad + text_size + 1
    bar_top = y + h - pad - 2 * title - (5 if words.rtl else 3)  # room for Arabic descenders above the bars
    _draw_code128(canvas, label.accession, x + pad, bar_bottom, w - 2 * pad, bar_top - bar_bottom)


def _site_line(canvas: Canvas, label: LabelData, x: float, baseline: float, width: float, size: float,
               limit: int) -> None:
    """The site (Latin, left) and its Arabic name (right) on one line of ``width`` points."""
    latin = _fit(label.site, limit)
    if not label.site_ar:
        canvas.drawString(x, baseline, latin)
        return
    register_fonts()
    arabic = shape(label.site_ar, rtl=True)
    arabic_size = size + 1
    gap = 1.5 * mm
    if (canvas.stringWidth(latin, "Helvetica", size) + gap + canvas.stringWidth(arabic, FONT, arabic_size)
            > width):
        latin = label.site_code or latin.split(" ")[0]
    room = width - canvas.stringWidth(latin, "Helvetica", size) - gap
    while arabic_size > 4 and canvas.stringWidth(arabic, FONT, arabic_size) > room:
        arabic_size -= 0.5
    canvas.drawString(x, baseline, latin)
    canvas.setFont(FONT, arabic_size)
    canvas.drawRightString(x + width, baseline, arabic)
    canvas.setFont("Helvetica", size)


def _canvas(buffer: io.BytesIO, size: tuple[float, float], title: str) -> Canvas:
    canvas = Canvas(buffer, pagesize=size, invariant=1, pageCompression=1)
    canvas.setTitle(title)
    canvas.setAuthor("labtrack")
    return canvas


def render_sheet(labels: Sequence[LabelData], *, columns: int = 3, rows: int = 8, language: str = "en") -> bytes:
    """A4 sheet of ``columns`` × ``rows`` labels (70 × 37 mm for 3 × 8)."""
    buffer = io.BytesIO()
    canvas = _canvas(buffer, A4, "labtrack labels (A4 sheet)")
    page_w, page_h = A4
    w, h = page_w / columns, page_h / rows
    per_page = columns * rows
    for index, label in enumerate(labels):
        if index and index % per_page == 0:
            canvas.showPage()
        slot = index % per_page
        col, row = slot % columns, slot // columns
        _code128_label(canvas, label, col * w, page_h - (row + 1) * h, w, h, small=False, words=Wording(language))
    canvas.save()
    return buffer.getvalue()


def render_roll(labels: Sequence[LabelData], *, width_mm: float = 50, height_mm: float = 25,
                language: str = "en") -> bytes:
    """Thermal roll: one label per page of ``width_mm`` × ``height_mm``."""
    buffer = io.BytesIO()
    size = (width_mm * mm, height_mm * mm)
    canvas = _canvas(buffer, size, "labtrack labels (roll)")
    for index, label in enumerate(labels):
        if index:
            canvas.showPage()
        _code128_label(canvas, label, 0, 0, size[0], size[1], small=True, words=Wording(language))
    canvas.save()
    return buffer.getvalue()


def render_tube(labels: Sequence[LabelData], *, width_mm: float = 38, height_mm: float = 13,
                language: str = "en") -> bytes:
    """Tube labels (one per page): a QR code on the left, the ID and item type on the right."""
    buffer = io.BytesIO()
    size = (width_mm * mm, height_mm * mm)
    canvas = _canvas(buffer, size, "labtrack labels (tube)")
    code = size[1] - 1 * mm
    for index, label in enumerate(labels):
        if index:
            canvas.showPage()
        _draw_qr(canvas, label.accession, 0.5 * mm, 0.5 * mm, code)
        x = code + 1.5 * mm
        body, check = label.accession[:-3], label.accession[-2:]
        canvas.setFont("Helvetica-Bold", 6)
        canvas.drawString(x, size[1] - 4 * mm, body)
        canvas.drawString(x, size[1] - 7 * mm, f"-{check}")
        canvas.setFont("Helvetica", 5)
        _item_type(canvas, label, Wording(language), x, 1.5 * mm, size[0] - x - 0.5 * mm, 5, 22)
    canvas.save()
    return buffer.getvalue()


def _zpl_text(text: str) -> str:
    return "".join(ch if 32 <= ord(ch) < 127 and ch not in "^~\\" else "?" for ch in text)


def render_zpl(labels: Sequence[LabelData], *, dpi: int = 203) -> bytes:
    """ZPL II for Zebra printers, 50 × 25 mm labels: Code 128 with the ID printed under it."""
    dots = dpi / 25.4
    out = []
    for label in labels:
        out.append("\n".join([
            "^XA", "^CI28", f"^PW{round(50 * dots)}", f"^LL{round(25 * dots)}",
            f"^FO16,12^A0N,20,20^FD{_zpl_text(label.site)[:34]}^FS",
            f"^FO16,36^A0N,20,20^FD{_zpl_text(label.item_type)[:34]}^FS",
            f"^FO16,62^BY2^BCN,80,Y,N,N^FD{label.accession}^FS",
            "^XZ",
        ]))
    return ("\n".join(out) + "\n").encode("ascii")


def render(labels: Sequence[LabelData], layout: str, language: str = "en") -> bytes:
    """The labels in ``layout``; their words in ``language`` (ZPL: English, the printer's fonts
    have no Arabic)."""
    if layout == "sheet":
        return render_sheet(labels, language=language)
    if layout == "roll":
        return render_roll(labels, language=language)
    if layout == "tube":
        return render_tube(labels, language=language)
    if layout == "zpl":
        return render_zpl(labels)
    raise ValueError(f"unknown label layout {layout!r}; one of {', '.join(LAYOUTS)}")
