"""DNA match report: the statistical evidence of one match, as an analyst files it.

``render(params, number) -> bytes``; ``params`` (JSON-safe, stored with the issued document):
``match_id, run_id, engine_version, run_params (dict), frequency_table, remains_accession,
sample_accession, site_code, family_code, case_number, log10_lr, posterior, prior, loci (list of
per-locus dicts, see labtrack.core.review_rules), relatives ({person code: label}), frequencies
([[marker, allele, frequency], ...]), reviewers ([[step, name, at, sha256], ...]), status,
issue_date, record_path, lab_name, reissue_of``.
"""

from __future__ import annotations

from typing import Any

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Spacer

from labtrack.documents.pdf_base import DocumentMeta, build_pdf, para, qr_target, styles, table

TITLE = "DNA match report"


def _num(value: Any, digits: int = 4) -> str:
    if value is None:
        return "—"
    return f"{float(value):.{digits}f}"


def render(params: dict[str, Any], number: str) -> bytes:
    s = styles()
    p = params
    story: list[Flowable] = [para(TITLE, s["title"]), para(f"Document {number}", s["body"])]
    facts = [
        ["Match", f"#{p['match_id']} (match run #{p['run_id']})"],
        ["Remains / sample", f"{p['remains_accession']} / {p['sample_accession']} (site {p['site_code']})"],
        ["Family / missing person case", f"{p['family_code']} / {p['case_number']}"],
        ["Total log10 LR", _num(p["log10_lr"])],
        ["Likelihood ratio", f"{10 ** float(p['log10_lr']):.4g}"],
        ["Prior", f"{float(p['prior']):.6g}"],
        ["Posterior probability", f"{float(p['posterior']) * 100:.4f} %"],
        ["Review status", p.get("status", "")],
        ["Engine version", p.get("engine_version", "")],
        ["Frequency table", p.get("frequency_table", "")],
        ["Parameters", ", ".join(f"{k}={v}" for k, v in sorted(p.get("run_params", {}).items()))],
    ]
    story += [table(facts, col_widths=[55 * mm, 115 * mm], header=False), Spacer(1, 4 * mm)]
    relatives = p.get("relatives", {})
    ids = sorted(relatives)
    header = ["Locus", "Remains", *[relatives[i] for i in ids], "LR", "log10 LR", "Flag"]
    rows: list[list[Any]] = [header]
    highlight = []
    for index, locus in enumerate(p.get("loci", []), start=1):
        rels = locus.get("relatives", {})
        rows.append([locus["marker"], "/".join(locus["remains"]),
                     *["/".join(rels[i]) if i in rels else "—" for i in ids],
                     _num(locus.get("lr"), 3), _num(locus.get("log10_lr"), 3), locus.get("flag", "")])
        if locus.get("flag") or locus.get("lr") == 0:
            highlight.append(index)
    story += [para("Per-locus results", s["heading"]), table(rows, highlight_rows=highlight)]
    if highlight:
        story.append(para(f"{len(highlight)} locus/loci flagged (shaded): inconsistencies were considered "
                          "by the reviewers.", s["small"]))
    freqs = p.get("frequencies", [])
    if freqs:
        story += [para("Allele frequencies used", s["heading"]),
                  table([["Marker", "Allele", "Frequency"], *[[m, a, f"{float(f):.5f}"] for m, a, f in freqs]],
                        col_widths=[40 * mm, 30 * mm, 40 * mm])]
    reviewers = p.get("reviewers", [])
    story.append(para("Reviews and signatures", s["heading"]))
    if reviewers:
        story.append(table([["Step", "By", "At (UTC)", "Signed content SHA-256"], *reviewers],
                           col_widths=[30 * mm, 40 * mm, 35 * mm, 65 * mm], font_size=7))
    else:
        story.append(para("Not reviewed yet.", s["body"]))
    story += [Spacer(1, 6 * mm)]
    meta = DocumentMeta(TITLE, number, p["issue_date"], qr_target(p, number), p.get("reissue_of"),
                        p.get("lab_name", ""), p.get("audit_head", ""))
    return build_pdf(story, meta)
