"""Chain-of-custody form for one item and transfer manifest for a batch (pure renderers), in the
language of the person who issues them (``language``: "en" or "ar"; Arabic in the embedded Amiri
font, shaped and right to left, the tables read from the right)."""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from labtrack.core.messages import msg
from labtrack.documents.labels import code128_modules
from labtrack.documents.pdf_base import FONT, FONT_BOLD, numbered_canvas, register_fonts, shape
from labtrack.documents.wording import Wording


@dataclass(frozen=True)
class EventLine:
    """One custody event as printed (each text a message or plain text: said in the document's language)."""

    event_id: int
    at: str
    action: str
    source: str
    destination: str
    seal: str
    recorded_by: str
    note: str


@dataclass(frozen=True)
class ManifestLine:
    accession: str
    item_type: str
    source: str
    destination: str
    seal: str


class Code128Flowable(Flowable):
    """A Code 128 barcode with its text, as a platypus flowable."""

    def __init__(self, text: str, width: float = 70 * mm, height: float = 12 * mm) -> None:
        super().__init__()
        self.text, self.width, self.height = text, width, height + 4 * mm
        self.bar_height = height

    def draw(self) -> None:
        modules = code128_modules(self.text)
        module = min(0.33 * mm, self.width / (len(modules) + 20))
        canvas = self.canv
        for i, bit in enumerate(modules):
            if bit == "1":
                canvas.rect(10 * module + i * module, 4 * mm, module, self.bar_height, stroke=0, fill=1)
        canvas.setFont("Helvetica", 8)
        canvas.drawString(10 * module, 0.5 * mm, self.text)


class _Page:
    """The styles and words of one document in its language."""

    def __init__(self, language: str) -> None:
        self.words = Wording(language)
        sheet = getSampleStyleSheet()
        found = {"title": sheet["Title"], "normal": sheet["Normal"], "h2": sheet["Heading2"],
                 "h3": sheet["Heading3"], "small": sheet["BodyText"].clone("small", fontSize=7.5, leading=9)}
        if self.words.rtl:
            register_fonts()
            found = {name: style.clone(f"{name}_rtl", fontName=FONT_BOLD if name in ("title", "h2", "h3") else FONT,
                                       alignment=TA_RIGHT, leading=style.leading + 3)
                     for name, style in found.items()}
        self.styles: dict[str, ParagraphStyle] = found
        self.font = FONT if self.words.rtl else "Helvetica"

    def text(self, value: object) -> str:
        """Said in the document's language, ready to draw (Arabic shaped, right to left)."""
        said = self.words.say(value)
        return shape(said, rtl=True) if self.words.rtl else said

    def p(self, value: object, style: str = "normal") -> Paragraph:
        return Paragraph(escape(self.text(value)), self.styles[style])

    def row(self, cells: Sequence[object]) -> list[object]:
        """A table row in reading order: from the right in Arabic."""
        return list(reversed(cells)) if self.words.rtl else list(cells)

    def table(self, rows: list[list[object]], widths: list[float]) -> Table:
        table = Table([self.row(row) for row in rows], colWidths=self.row(widths), repeatRows=1)
        table.setStyle(TableStyle([
            ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8e8e8")),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("FONTNAME", (0, 0), (-1, -1), self.font),
            ("FONTSIZE", (0, 0), (-1, -1), 8),
            ("ALIGN", (0, 0), (-1, -1), "RIGHT" if self.words.rtl else "LEFT"),
        ]))
        return table

    def signatures(self, labels: Sequence[object]) -> Table:
        rows = [self.row([self.p(label), "", ""]) for label in labels]
        header = self.row(["", self.p(msg("Name and signature"), "small"), self.p(msg("Date and time"), "small")])
        table = Table([header, *rows], colWidths=self.row([45 * mm, 80 * mm, 50 * mm]),
                      rowHeights=[7 * mm] + [14 * mm] * len(rows))
        table.setStyle(TableStyle([("GRID", (0, 1), (-1, -1), 0.4, colors.grey), ("FONTSIZE", (0, 0), (-1, -1), 8),
                                   ("VALIGN", (0, 0), (-1, -1), "TOP")]))
        return table

    def doc(self, buffer: io.BytesIO, title: object, number: str, pagesize: tuple[float, float]) -> SimpleDocTemplate:
        said = self.words.say(title)
        doc = SimpleDocTemplate(buffer, pagesize=pagesize, invariant=1, title=f"{said} {number}",
                                author="labtrack", leftMargin=15 * mm, rightMargin=15 * mm,
                                topMargin=15 * mm, bottomMargin=15 * mm)
        # every page: "<title> · <number> · page N of M" (the canvas knows N of M at the end)
        line = None
        if self.words.rtl:
            def line(page: int, pages: int) -> str:
                return self.text(msg("%(title)s · %(number)s · page %(page)s of %(pages)s", title=title,
                                     number=number, page=page, pages=pages))
        doc._canvasmaker = numbered_canvas(f"{said} · {number}", 15 * mm, 8 * mm, self.font, 7,  # type: ignore[attr-defined]
                                           line=line)
        return doc


CUSTODY_FORM = msg("Chain-of-custody form")
MANIFEST = msg("Transfer manifest")


def render_custody_form(*, number: str, lab_name: str, accession: str, item_type: object, origin: object,
                        current_place: object, events: Sequence[EventLine], language: str = "en") -> bytes:
    """Every custody event of one item, with its barcode and signature lines for the next hand-overs."""
    buffer = io.BytesIO()
    page = _Page(language)
    small = page.styles["small"]
    doc = page.doc(buffer, CUSTODY_FORM, number, landscape(A4))
    story: list[Flowable] = [
        page.p(msg("%(lab)s — %(document)s", lab=lab_name, document=CUSTODY_FORM), "title"),
        page.p(msg("Document number: %(number)s", number=number)),
        page.p(msg("Item: %(item)s (%(type)s)", item=accession, type=item_type), "h2"),
        Code128Flowable(accession),
        Spacer(1, 3 * mm),
        page.p(msg("Origin: %(origin)s", origin=origin)),
        page.p(msg("Current place: %(place)s", place=current_place)),
        Spacer(1, 4 * mm),
    ]
    header = ["#", msg("When (UTC)"), msg("Action"), msg("From"), msg("To"), msg("Seal"), msg("Recorded by"),
              msg("Notes")]
    rows: list[list[object]] = [[page.p(cell, "small") for cell in header]]
    for line in events:
        rows.append([str(line.event_id), line.at, page.text(line.action),
                     *(Paragraph(escape(page.text(value)), small)
                       for value in (line.source, line.destination, line.seal, line.recorded_by, line.note))])
    story.append(page.table(rows, [10 * mm, 32 * mm, 22 * mm, 45 * mm, 45 * mm, 28 * mm, 35 * mm, 50 * mm]))
    story.append(Spacer(1, 6 * mm))
    story.append(page.p(msg("Next hand-overs (to be signed by both parties)"), "h3"))
    story.append(page.signatures([msg("Released by"), msg("Received by"), msg("Released by"), msg("Received by")]))
    doc.build(story, canvasmaker=doc._canvasmaker)  # type: ignore[attr-defined]
    return buffer.getvalue()


def render_manifest(*, number: str, lab_name: str, batch_ref: str, action: object, recorded_at: str,
                    recorded_by: str, lines: Sequence[ManifestLine], language: str = "en") -> bytes:
    """Transfer manifest of a batch or shipment: the items, seals, from/to and signatures."""
    buffer = io.BytesIO()
    page = _Page(language)
    small = page.styles["small"]
    doc = page.doc(buffer, MANIFEST, number, A4)
    seals = sorted({line.seal for line in lines if line.seal})
    story: list[Flowable] = [
        page.p(msg("%(lab)s — %(document)s", lab=lab_name, document=MANIFEST), "title"),
        page.p(msg("Document number: %(number)s", number=number)),
        page.p(msg("Batch: %(batch)s · action: %(action)s · %(count)s item(s)", batch=batch_ref, action=action,
                   count=len(lines))),
        Code128Flowable(batch_ref),
        page.p(msg("Recorded %(at)s by %(user)s", at=recorded_at, user=recorded_by)),
        page.p(msg("Seal numbers: %(seals)s", seals=", ".join(seals)) if seals else msg("Seal numbers: none")),
        Spacer(1, 4 * mm),
    ]
    rows: list[list[object]] = [[page.p(cell, "small") for cell in
                                 ("#", msg("Item"), msg("Type"), msg("From"), msg("To"), msg("Seal"))]]
    for i, line in enumerate(lines, start=1):
        rows.append([str(i), line.accession,
                     *(Paragraph(escape(page.text(value)), small)
                       for value in (line.item_type, line.source, line.destination)), line.seal])
    story.append(page.table(rows, [8 * mm, 40 * mm, 25 * mm, 38 * mm, 38 * mm, 30 * mm]))
    story.append(Spacer(1, 6 * mm))
    story.append(page.signatures([msg("Released by"), msg("Carried by"), msg("Received by")]))
    doc.build(story, canvasmaker=doc._canvasmaker)  # type: ignore[attr-defined]
    return buffer.getvalue()
