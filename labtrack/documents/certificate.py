"""Identification certificate: who was identified, from which remains and site, on what basis,
signed by whom. ``render(params, number) -> bytes``; ``params``: the dict of
``labtrack.services.identification.certificate_facts`` plus ``signatures`` ([[meaning, name, at,
sha256], ...]), ``match_report`` (number or ""), ``issue_date``, ``record_path``, ``lab_name``,
``reissue_of``, ``language`` ("ar": said in Arabic, right to left; absent: English).
"""

from __future__ import annotations

import re
from typing import Any

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether, Spacer

from labtrack.core.messages import msg
from labtrack.documents.pdf_base import DocumentMeta, build_pdf, language_of, para, qr_target, rtl_lines, styles, table
from labtrack.documents.wording import Wording

TITLE = msg("Identification certificate")
#: Words for the stored codes (a certificate is read by people, not by the database).
REMAINS_TYPES = {"complete_body": msg("complete body"), "partial": msg("partial body"),
                 "isolated_part": msg("isolated part"), "commingled": msg("commingled remains")}
#: The basis every four-eyes identification records (other bases are printed as recorded).
BASES = {"DNA kinship analysis (four-eyes review)": msg("DNA kinship analysis (four-eyes review)")}
#: The basis an identification from a closed event's joint DVI records (labtrack.services.dvi_review).
_DVI_BASIS = re.compile(r"joint DVI of closed event (?P<event>\S+) \(analysis (?P<analysis>\d+)\), four-eyes review")


def _basis(recorded: str) -> str:
    """The recorded basis as a message (said in the certificate's language), or as recorded."""
    found = _DVI_BASIS.fullmatch(recorded)
    if found:
        return msg("joint DVI of closed event %(event)s (analysis %(analysis)s), four-eyes review",
                   event=found["event"], analysis=found["analysis"])
    return BASES.get(recorded, recorded)


def render(params: dict[str, Any], number: str) -> bytes:
    s = styles()
    p = params
    words = Wording(language_of(p))
    rtl = words.rtl
    say = words.say
    title, body, heading = (s["rtl_heading"], s["rtl"], s["rtl_heading"]) if rtl else (s["title"], s["body"],
                                                                                        s["heading"])
    story: list[Flowable] = [para(say(TITLE), title), para(say(msg("Certificate %(number)s", number=number)), body),
                             Spacer(1, 3 * mm)]
    certifies = say(msg("The laboratory certifies that the human remains listed below have been identified as:"))
    story += rtl_lines(certifies, body, width_chars=95) if rtl else [para(certifies, body)]
    sex = say(words.term(p["sex"])) if rtl and p.get("sex") else p.get("sex", "")
    who = [
        [say(msg("Name (Arabic)")), p.get("name_ar", "")],
        [say(msg("Name (Latin script)")), p.get("name_latin", "")],
        [say(msg("Missing person case")), p["case_number"]],
        [say(msg("Sex / year of birth")), f"{sex} / {p.get('birth_year') or '—'}"],
        [say(msg("Disappeared")), f"{p.get('disappeared_on') or '—'} {p.get('disappearance_place', '')}".strip()],
    ]
    story += [table(who, col_widths=[50 * mm, 120 * mm], header=False, rtl=rtl), Spacer(1, 3 * mm)]
    parts = [[say(msg("Remains")), say(msg("Type")), say(msg("Elements")), say(msg("Site")),
              say(msg("Recovered"))]] + [
        [x["accession"], say(REMAINS_TYPES.get(x["type"], str(x["type"]).replace("_", " "))),
         x["elements"], f"{x['site_code']} {_site_name(x, rtl)}", x["recovered_on"]]
        for x in p.get("parts", [])]
    story += [para(say(msg("Remains")), heading), table(parts, rtl=rtl)]
    match = f" (match #{p['match_id']})" if p.get("match_id") is not None else ""
    if rtl and p.get("match_id") is not None:
        match = " " + say(msg("(match #%(match)s)", match=p["match_id"]))
    basis = [
        [say(msg("Basis")), say(_basis(p.get("basis", "")))],
        [say(msg("log10 likelihood ratio")), f"{float(p['log10_lr']):.4f}" if p.get("log10_lr") is not None else "—"],
        [say(msg("Posterior probability")), f"{float(p['posterior']) * 100:.4f} %" if p.get("posterior") is not None
         else "—"],
        [say(msg("DNA match report")), p.get("match_report") or "—"],
        [say(msg("Identified on")), p.get("identified_on", "")],
        [say(msg("Identification record")), f"#{p['identification_id']}" + match],
    ]
    story += [para(say(msg("Basis of identification")), heading),
              table(basis, col_widths=[50 * mm, 120 * mm], header=False, rtl=rtl)]
    signatures = [[say(words.term(meaning)) if rtl else meaning, *rest] for meaning, *rest in p.get("signatures", [])]
    story.append(KeepTogether([  # the signature block is never split across pages
        para(say(msg("Electronic signatures")), heading),
        table([[say(msg("Meaning")), say(msg("Signer")), say(msg("At (UTC)")), say(msg("Signed content SHA-256"))],
               *signatures],
              col_widths=[25 * mm, 45 * mm, 35 * mm, 65 * mm], font_size=7, rtl=rtl)]))
    story += [Spacer(1, 6 * mm)]
    meta = DocumentMeta(TITLE, number, p["issue_date"], qr_target(p, number), p.get("reissue_of"),
                        p.get("lab_name", ""), p.get("audit_head", ""), words.language)
    return build_pdf(story, meta)


def _site_name(part: dict[str, Any], rtl: bool) -> str:
    """The site's name in the certificate's language (its English name when it has no Arabic one)."""
    return str((part.get("site_name_ar") if rtl else "") or part.get("site_name_en", ""))
