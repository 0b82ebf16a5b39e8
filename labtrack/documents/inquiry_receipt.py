"""The family's inquiry receipt (Arabic and English): the code, a QR code to the inquiry page,
and what the page does and does not do.

``render(params) -> bytes``; ``params``: ``code`` (as printed, in groups), ``inquiry_url``
(absolute), ``kind`` ("missing_person" or "donor"), ``label`` (case number or donor code),
``name_ar``, ``name_latin``, ``issued_on`` (ISO date), ``coordinator``, ``lab_name``,
``lab_contact``.

The receipt carries a secret: it is rendered for the coordinator to print and is never stored
(no copy, no hash of it); a lost receipt is replaced by issuing a new code. Arabic sentences
carry no digits, codes or addresses (those sit on lines of their own, left to right), so the
bidirectional algorithm never reorders them.
"""

from __future__ import annotations

import io
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Spacer

from labtrack.documents.pdf_base import MARGIN, QrCode, para, register_fonts, rtl_lines, styles, table

TITLE = "Inquiry receipt"
AR_TITLE = "إيصال الاستعلام عن ملف قريبكم"
AR_STEPS = [
    "افتحوا صفحة الاستعلام على العنوان المطبوع أدناه، أو امسحوا الرمز المربّع بكاميرا الهاتف.",
    "اكتبوا رمز الاستعلام كما هو مطبوع على هذا الإيصال. لا يهم إن كتبتموه بأحرف كبيرة أو صغيرة أو بمسافات.",
    "تعرض الصفحة مراحل ملف قريبكم فقط، ويمكنكم منها أن تطلبوا تعديل رقم هاتفكم وطريقة إبلاغكم، "
    "ويؤكد المنسق التعديل قبل اعتماده.",
    "لا تُعرض النتائج على الإنترنت أبدًا: يبلغكم منسق العائلات بها شخصيًا.",
    "احفظوا هذا الإيصال في مكان آمن ولا تعطوا الرمز لأحد. لن نطلب منكم هذا الرمز عبر الهاتف أبدًا.",
    "إذا ضاع الإيصال فاتصلوا بالمنسق ليوقف الرمز القديم ويعطيكم رمزًا جديدًا.",
]
EN_STEPS = [
    "Open the inquiry page at the address printed below, or scan the square code with a phone camera.",
    "Type the inquiry code exactly as printed on this receipt; capitals, small letters and spaces do not matter.",
    "The page shows only the stages of your relative's file. There you can ask to change your phone number "
    "and how we tell you; your coordinator confirms each change.",
    "Results are never shown on the internet: your family coordinator gives them to you in person.",
    "Keep this receipt safe and do not give the code to anyone. We will never ask you for it by phone.",
    "If you lose this receipt, contact your coordinator: the old code is stopped and you get a new one.",
]
LABELS = {"missing_person": "Case / رقم الملف", "donor": "Donor / المتبرع"}


def _code_style(size: float) -> ParagraphStyle:
    return ParagraphStyle("code", fontName="Courier-Bold", fontSize=size, leading=size * 1.3, alignment=TA_CENTER)


def render(params: dict[str, Any]) -> bytes:
    s = styles()
    p = params
    story: list[Flowable] = [para(p.get("lab_name", ""), s["heading"]), para(AR_TITLE, s["rtl_heading"]),
                             para(TITLE, s["title"])]
    facts = [[LABELS[p["kind"]], p["label"]]]
    if p.get("name_ar") or p.get("name_latin"):
        facts += [["Name / الاسم", p.get("name_latin", "")]] if p.get("name_latin") else []
        facts += [["" if p.get("name_latin") else "Name / الاسم", p["name_ar"]]] if p.get("name_ar") else []
    facts += [["Issued on / تاريخ الإصدار", p["issued_on"]],
              ["Your coordinator / منسق العائلات", p.get("coordinator", "")],
              ["Contact / للتواصل", p.get("lab_contact") or "—"]]
    story += [table(facts, col_widths=[70 * mm, 104 * mm], header=False, font_size=10), Spacer(1, 5 * mm)]
    story += [para("رمز الاستعلام", s["rtl_heading"]), para("Inquiry code", s["heading"]),
              Paragraph(escape(p["code"]), _code_style(20)), Spacer(1, 4 * mm)]
    qr = QrCode(p["inquiry_url"], size=38 * mm)
    qr.hAlign = "CENTER"
    story += [qr, Paragraph(escape(p["inquiry_url"]), _code_style(11)), Spacer(1, 4 * mm)]
    for line in AR_STEPS:
        story += rtl_lines("• " + line, s["rtl"], width_chars=95)
    story.append(Spacer(1, 3 * mm))
    story += [para("• " + line, s["body"]) for line in EN_STEPS]
    register_fonts()
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=14 * mm,
                            bottomMargin=14 * mm, title=TITLE, author=p.get("lab_name") or "labtrack",
                            creator="labtrack", producer="labtrack")
    doc.build(story)
    return buffer.getvalue()
