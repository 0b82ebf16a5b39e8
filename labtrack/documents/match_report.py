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
from reportlab.platypus import Flowable, KeepTogether, Spacer

from labtrack.documents.pdf_base import DocumentMeta, build_pdf, para, qr_target, styles, table
from labtrack.kinship.freqs import allele_sort_key

TITLE = "DNA match report"
#: How each locus reads (labtrack.kinship.consistency), in the report's words.
READINGS = {
    "consistent": "consistent as typed",
    "mutation": "only through a mutation",
    "dropout": "only through allelic drop-out",
    "mutation_and_dropout": "only through a mutation and drop-out",
    "excluded": "excludes the family",
    "inconsistent_references": "relatives contradict their pedigree",
    "not_compared": "not compared",
}


def _reading(locus: dict[str, Any]) -> str:
    text = READINGS.get(locus.get("reading") or "", locus.get("reading") or "")
    if locus.get("steps"):
        text += f" ({float(locus['steps']):g} repeat step{'s' if float(locus['steps']) != 1 else ''})"
    return text


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
    header = ["Locus", "Remains", *[relatives[i] for i in ids], "LR", "log10 LR", "Flag", "Reading"]
    rows: list[list[Any]] = [header]
    highlight = []
    through_models = []
    for index, locus in enumerate(p.get("loci", []), start=1):
        rels = locus.get("relatives", {})
        seen = sorted(locus.get("remains") or [], key=allele_sort_key)
        remains = "/".join(seen) + (" (one seen)" if len(seen) == 1 else "") if seen else "—"
        rows.append([locus["marker"], remains,
                     *["/".join(sorted(rels[i], key=allele_sort_key)) if i in rels else "—" for i in ids],
                     _num(locus.get("lr"), 3), _num(locus.get("log10_lr"), 3), locus.get("flag", ""),
                     _reading(locus)])
        needs_a_person = (locus.get("reading") or "consistent") not in ("consistent", "not_compared")
        if locus.get("flag") or locus.get("lr") == 0 or needs_a_person:
            highlight.append(index)
        if needs_a_person:
            through_models.append(f"{locus['marker']}: {_reading(locus)}")
    story += [para("Per-locus results", s["heading"]), table(rows, highlight_rows=highlight)]
    if highlight:
        story.append(para(f"{len(highlight)} locus/loci flagged (shaded): inconsistencies were considered "
                          "by the reviewers.", s["small"]))
    if through_models:
        story.append(para("Loci that hold only through the mutation or drop-out model: "
                          + "; ".join(through_models) + ".", s["body"]))
    freqs = p.get("frequencies", [])
    if freqs:
        story += [para("Allele frequencies used", s["heading"]),
                  table([["Marker", "Allele", "Frequency"],
                         *[[m, a, f"{float(f):.5f}"]
                           for m, a, f in sorted(freqs, key=lambda r: (r[0], allele_sort_key(str(r[1]))))]],
                        col_widths=[40 * mm, 30 * mm, 40 * mm])]
    reviewers = p.get("reviewers", [])
    signatures: list[Flowable] = [para("Reviews and signatures", s["heading"])]
    if reviewers:
        signatures.append(table([["Step", "By", "At (UTC)", "Signed content SHA-256"], *reviewers],
                                col_widths=[30 * mm, 40 * mm, 35 * mm, 65 * mm], font_size=7))
    else:
        signatures.append(para("Not reviewed yet.", s["body"]))
    story.append(KeepTogether(signatures))  # the signature block is never split across pages
    story += [Spacer(1, 6 * mm)]
    meta = DocumentMeta(TITLE, number, p["issue_date"], qr_target(p, number), p.get("reissue_of"),
                        p.get("lab_name", ""), p.get("audit_head", ""))
    return build_pdf(story, meta)
