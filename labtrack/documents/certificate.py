"""Identification certificate: who was identified, from which remains and site, on what basis,
signed by whom. ``render(params, number) -> bytes``; ``params``: the dict of
``labtrack.services.identification.certificate_facts`` plus ``signatures`` ([[meaning, name, at,
sha256], ...]), ``match_report`` (number or ""), ``issue_date``, ``record_path``, ``lab_name``,
``reissue_of``.
"""

from __future__ import annotations

from typing import Any

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether, Spacer

from labtrack.documents.pdf_base import DocumentMeta, build_pdf, para, qr_target, styles, table

TITLE = "Identification certificate"
#: Words for the stored codes (a certificate is read by people, not by the database).
REMAINS_TYPES = {"complete_body": "complete body", "partial": "partial body", "isolated_part": "isolated part",
                 "commingled": "commingled remains"}


def render(params: dict[str, Any], number: str) -> bytes:
    s = styles()
    p = params
    story: list[Flowable] = [para(TITLE, s["title"]), para(f"Certificate {number}", s["body"]),
                             Spacer(1, 3 * mm)]
    story.append(para("The laboratory certifies that the human remains listed below have been identified as:",
                      s["body"]))
    who = [
        ["Name (Arabic)", p.get("name_ar", "")],
        ["Name (Latin script)", p.get("name_latin", "")],
        ["Missing person case", p["case_number"]],
        ["Sex / year of birth", f"{p.get('sex', '')} / {p.get('birth_year') or '—'}"],
        ["Disappeared", f"{p.get('disappeared_on') or '—'} {p.get('disappearance_place', '')}".strip()],
    ]
    story += [table(who, col_widths=[50 * mm, 120 * mm], header=False), Spacer(1, 3 * mm)]
    parts = [["Remains", "Type", "Elements", "Site", "Recovered"]] + [
        [x["accession"], REMAINS_TYPES.get(x["type"], str(x["type"]).replace("_", " ")),
         x["elements"], f"{x['site_code']} {x['site_name_en']}", x["recovered_on"]]
        for x in p.get("parts", [])]
    story += [para("Remains", s["heading"]), table(parts)]
    basis = [
        ["Basis", p.get("basis", "")],
        ["log10 likelihood ratio", f"{float(p['log10_lr']):.4f}" if p.get("log10_lr") is not None else "—"],
        ["Posterior probability", f"{float(p['posterior']) * 100:.4f} %" if p.get("posterior") is not None
         else "—"],
        ["DNA match report", p.get("match_report") or "—"],
        ["Identified on", p.get("identified_on", "")],
        ["Identification record", f"#{p['identification_id']}"
                                  + (f" (match #{p['match_id']})" if p.get("match_id") is not None else "")],
    ]
    story += [para("Basis of identification", s["heading"]),
              table(basis, col_widths=[50 * mm, 120 * mm], header=False)]
    story.append(KeepTogether([  # the signature block is never split across pages
        para("Electronic signatures", s["heading"]),
        table([["Meaning", "Signer", "At (UTC)", "Signed content SHA-256"], *p.get("signatures", [])],
              col_widths=[25 * mm, 45 * mm, 35 * mm, 65 * mm], font_size=7)]))
    story += [Spacer(1, 6 * mm)]
    meta = DocumentMeta(TITLE, number, p["issue_date"], qr_target(p, number), p.get("reissue_of"),
                        p.get("lab_name", ""), p.get("audit_head", ""))
    return build_pdf(story, meta)
