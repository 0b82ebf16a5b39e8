"""Family notification report, Arabic and English, in plain language.

``render(params, number) -> bytes``; ``params``: ``name_ar, name_latin, case_number,
contact_name, parts ([{accession, site_name_en, site_name_ar, recovered_on}]), identified_on,
more_parts_expected (bool), lab_name, lab_contact, coordinator (the family coordinator who issued
it; older documents have none), issue_date, record_path, reissue_of, language (``ar``: the page
decoration in Arabic; older documents have none and keep their English decoration)``.

The letter's wording follows its layout: the relative's name is printed at the top ("named
above"), the coordinator and how to reach the laboratory at the end ("at the end of this letter").

Arabic sentences carry no digits or IDs (those sit in the facts table, left to right), so the
bidirectional algorithm never reorders a date or an accession number.
"""

from __future__ import annotations

from typing import Any

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Spacer

from labtrack.core.messages import msg
from labtrack.documents.pdf_base import (
    DocumentMeta,
    build_pdf,
    language_of,
    para,
    qr_target,
    rtl_lines,
    styles,
    table,
)

TITLE = msg("Family notification report")

EN_BODY = (
    "We are very sorry for your loss. After comparing the DNA of the remains with the DNA given by your "
    "family, and after two analysts reviewed the result independently, the laboratory has identified "
    "the remains of your relative named above."
)
EN_NEXT = [
    "Your family coordinator, named at the end of this letter, will contact you to agree on the day and place "
    "of the return of the remains.",
    "You may ask questions at any time, and you may ask to see the identification certificate.",
    "If other body parts are identified later, we will tell you in the way you chose.",
    "Please bring an identity document when the remains are returned.",
]
AR_TITLE = "تقرير إبلاغ العائلة"
AR_BODY = (
    "نتقدم إليكم بخالص التعازي. بعد مقارنة الحمض النووي للرفات مع الحمض النووي الذي قدمته عائلتكم، "
    "وبعد مراجعة النتيجة من قبل محللين اثنين بشكل مستقل، تمكن المختبر من التعرف على رفات قريبكم المذكور اسمه أعلاه."
)
AR_NEXT = [
    "سيتواصل معكم منسق العائلة المذكور في نهاية هذه الرسالة للاتفاق على موعد ومكان تسليم الرفات.",
    "يمكنكم طرح أي سؤال في أي وقت، ويمكنكم طلب الاطلاع على شهادة التعرف.",
    "إذا تم التعرف على أجزاء أخرى لاحقا فسنبلغكم بالطريقة التي اخترتموها.",
    "يرجى إحضار وثيقة تعريف شخصية عند تسليم الرفات.",
]
AR_MORE_PARTS = "قد يتم التعرف على أجزاء أخرى من الرفات لاحقا."
EN_MORE_PARTS = "More parts of the remains may be identified later."


def render(params: dict[str, Any], number: str) -> bytes:
    s = styles()
    p = params
    story: list[Flowable] = [para(AR_TITLE, s["rtl_heading"]), para(TITLE, s["title"])]
    story += [para(p.get("name_ar", ""), s["rtl_heading"])] if p.get("name_ar") else []
    story += [para(p.get("name_latin", ""), s["heading"])] if p.get("name_latin") else []
    facts = [
        ["Case / الحالة", p["case_number"]],
        ["Family contact / جهة الاتصال", p.get("contact_name", "")],
        ["Identified on / تاريخ التعرف", p.get("identified_on", "")],
    ]
    for part in p.get("parts", []):
        facts += [["Remains / الرفات", part["accession"]],
                  ["Site / الموقع", part["site_name_en"]],
                  ["", part["site_name_ar"]],
                  ["Recovered on / تاريخ الانتشال", part.get("recovered_on") or "—"]]
    story += [Spacer(1, 2 * mm), table(facts, col_widths=[70 * mm, 100 * mm], header=False, font_size=9),
              Spacer(1, 3 * mm)]
    story += rtl_lines(AR_BODY, s["rtl"])
    story += [para("ماذا سيحدث الآن", s["rtl_heading"])]
    for line in AR_NEXT + ([AR_MORE_PARTS] if p.get("more_parts_expected") else []):
        story += rtl_lines("• " + line, s["rtl"])
    story += [Spacer(1, 3 * mm), para(EN_BODY, s["body"]), para("What happens next", s["heading"])]
    for line in EN_NEXT + ([EN_MORE_PARTS] if p.get("more_parts_expected") else []):
        story.append(para("• " + line, s["body"]))
    contact = p.get("lab_contact") or "the laboratory / المختبر"
    rows = [["Your family coordinator / منسق العائلة", p["coordinator"]]] if p.get("coordinator") else []
    rows.append(["How to reach us / للتواصل", contact])
    story += [Spacer(1, 3 * mm), table(rows, col_widths=[70 * mm, 100 * mm], header=False, font_size=9)]
    # the letter is in both languages; its page decoration (issued, page x of y, verify) is in
    # Arabic, the families' language, for every report issued since that was kept with its params;
    # earlier ones re-render as they were issued (English decoration)
    meta = DocumentMeta(TITLE, number, p["issue_date"], qr_target(p, number), p.get("reissue_of"),
                        p.get("lab_name", ""), p.get("audit_head", ""), language=language_of(p))
    return build_pdf(story, meta)
