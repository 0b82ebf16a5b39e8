"""Chain-of-custody form for one item and transfer manifest for a batch (pure renderers)."""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from labtrack.documents.labels import code128_modules
from labtrack.documents.pdf_base import numbered_canvas


@dataclass(frozen=True)
class EventLine:
    """One custody event as printed."""

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


def _p(text: str, style: object) -> Paragraph:
    return Paragraph(escape(text), style)  # type: ignore[arg-type]


def _doc(buffer: io.BytesIO, title: str, number: str, pagesize: tuple[float, float]) -> SimpleDocTemplate:
    doc = SimpleDocTemplate(buffer, pagesize=pagesize, invariant=1, title=f"{title} {number}",
                            author="labtrack", leftMargin=15 * mm, rightMargin=15 * mm,
                            topMargin=15 * mm, bottomMargin=15 * mm)
    # every page: "<title> · <number> · page N of M" (the canvas knows N of M at the end)
    doc._canvasmaker = numbered_canvas(f"{title} · {number}", 15 * mm, 8 * mm, "Helvetica", 7)  # type: ignore[attr-defined]
    return doc


def _table(rows: list[list[object]], widths: list[float]) -> Table:
    table = Table(rows, colWidths=widths, repeatRows=1)
    table.setStyle(TableStyle([
        ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8e8e8")),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("FONTSIZE", (0, 0), (-1, -1), 8),
    ]))
    return table


def _signatures(styles: dict, labels: Sequence[str]) -> Table:
    rows = [[_p(label, styles["Normal"]), "", ""] for label in labels]
    table = Table([["", "Name and signature", "Date and time"], *rows],
                  colWidths=[45 * mm, 80 * mm, 50 * mm], rowHeights=[6 * mm] + [14 * mm] * len(rows))
    table.setStyle(TableStyle([("GRID", (0, 1), (-1, -1), 0.4, colors.grey), ("FONTSIZE", (0, 0), (-1, -1), 8),
                               ("VALIGN", (0, 0), (-1, -1), "TOP")]))
    return table


def render_custody_form(*, number: str, lab_name: str, accession: str, item_type: str, origin: str,
                        current_place: str, events: Sequence[EventLine]) -> bytes:
    """Every custody event of one item, with its barcode and signature lines for the next hand-overs."""
    buffer = io.BytesIO()
    styles = getSampleStyleSheet()
    small = styles["BodyText"].clone("small", fontSize=7.5, leading=9)
    doc = _doc(buffer, "Chain-of-custody form", number, landscape(A4))
    story: list[Flowable] = [
        _p(f"{lab_name} — Chain-of-custody form", styles["Title"]),
        _p(f"Document number: {number}", styles["Normal"]),
        _p(f"Item: {accession} ({item_type})", styles["Heading2"]),
        Code128Flowable(accession),
        Spacer(1, 3 * mm),
        _p(f"Origin: {origin}", styles["Normal"]),
        _p(f"Current place: {current_place}", styles["Normal"]),
        Spacer(1, 4 * mm),
    ]
    header = ["#", "When (UTC)", "Action", "From", "To", "Seal", "Recorded by", "Notes"]
    rows: list[list[object]] = [header]
    for line in events:
        rows.append([str(line.event_id), line.at, line.action, _p(line.source, small), _p(line.destination, small),
                     _p(line.seal, small), _p(line.recorded_by, small), _p(line.note, small)])
    story.append(_table(rows, [10 * mm, 32 * mm, 22 * mm, 45 * mm, 45 * mm, 28 * mm, 35 * mm, 50 * mm]))
    story.append(Spacer(1, 6 * mm))
    story.append(_p("Next hand-overs (to be signed by both parties)", styles["Heading3"]))
    story.append(_signatures(styles, ["Released by", "Received by", "Released by", "Received by"]))
    doc.build(story, canvasmaker=doc._canvasmaker)  # type: ignore[attr-defined]
    return buffer.getvalue()


def render_manifest(*, number: str, lab_name: str, batch_ref: str, action: str, recorded_at: str,
                    recorded_by: str, lines: Sequence[ManifestLine]) -> bytes:
    """Transfer manifest of a batch or shipment: the items, seals, from/to and signatures."""
    buffer = io.BytesIO()
    styles = getSampleStyleSheet()
    small = styles["BodyText"].clone("small", fontSize=7.5, leading=9)
    doc = _doc(buffer, "Transfer manifest", number, A4)
    seals = sorted({line.seal for line in lines if line.seal})
    story: list[Flowable] = [
        _p(f"{lab_name} — Transfer manifest", styles["Title"]),
        _p(f"Document number: {number}", styles["Normal"]),
        _p(f"Batch: {batch_ref} · action: {action} · {len(lines)} item(s)", styles["Normal"]),
        Code128Flowable(batch_ref),
        _p(f"Recorded {recorded_at} by {recorded_by}", styles["Normal"]),
        _p(f"Seal numbers: {', '.join(seals) if seals else 'none'}", styles["Normal"]),
        Spacer(1, 4 * mm),
    ]
    rows: list[list[object]] = [["#", "Item", "Type", "From", "To", "Seal"]]
    for i, line in enumerate(lines, start=1):
        rows.append([str(i), line.accession, _p(line.item_type, small), _p(line.source, small),
                     _p(line.destination, small), line.seal])
    story.append(_table(rows, [8 * mm, 40 * mm, 25 * mm, 38 * mm, 38 * mm, 30 * mm]))
    story.append(Spacer(1, 6 * mm))
    story.append(_signatures(styles, ["Released by", "Carried by", "Received by"]))
    doc.build(story, canvasmaker=doc._canvasmaker)  # type: ignore[attr-defined]
    return buffer.getvalue()
