"""DNA match report: the statistical evidence of one match, as an analyst files it.

``render(params, number) -> bytes``; ``params`` (JSON-safe, stored with the issued document):
``match_id, run_id, engine_version, run_params (dict), frequency_table, remains_accession,
sample_accession, site_code, family_code, case_number, log10_lr, posterior, prior, loci (list of
per-locus dicts, see labtrack.core.review_rules), relatives ({person code: label}), frequencies
([[marker, allele, frequency], ...]), reviewers ([[step, name, at, sha256], ...]), status,
issue_date, record_path, lab_name, reissue_of, language`` ("ar": said in Arabic, right to left,
the tables read from the right; IDs, genotypes and numbers stay left to right; absent: English).
"""

from __future__ import annotations

from typing import Any

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether, Spacer

from labtrack.core.messages import msg, nmsg
from labtrack.documents.pdf_base import DocumentMeta, build_pdf, language_of, para, qr_target, rtl_lines, styles, table
from labtrack.documents.wording import Wording
from labtrack.kinship.freqs import allele_sort_key

TITLE = msg("DNA match report")
#: How each locus reads (labtrack.kinship.consistency), in the report's words.
READINGS = {
    "consistent": msg("consistent as typed"),
    "mutation": msg("only through a mutation"),
    "dropout": msg("only through allelic drop-out"),
    "mutation_and_dropout": msg("only through a mutation and drop-out"),
    "excluded": msg("excludes the family"),
    "inconsistent_references": msg("relatives contradict their pedigree"),
    "not_compared": msg("not compared"),
}

#: The engine's flags on a locus (labtrack.kinship), in the report's words (Arabic reports only:
#: the English report prints the code, as it always did).
FLAGS = {"inconsistent": msg("inconsistent"), "mutation": msg("mutation"), "exclusion": msg("exclusion"),
         "not_in_frequency_table": msg("not in the frequency table")}


def _reading(locus: dict[str, Any], words: Wording) -> str:
    text = words.say(READINGS.get(locus.get("reading") or "", locus.get("reading") or ""))
    if locus.get("steps"):
        steps = float(locus["steps"])
        if words.rtl:
            return text + " " + words.say(msg("(%(steps)s repeat steps)", steps=f"{steps:g}"))
        text += f" ({steps:g} repeat step{'s' if steps != 1 else ''})"
    return text


def _num(value: Any, digits: int = 4) -> str:
    if value is None:
        return "—"
    return f"{float(value):.{digits}f}"


def _code(words: Wording, code: str) -> str:
    """A stored code (a status, a flag, a review step; spaces or underscores) as words in Arabic;
    as stored in English (the English report always printed it so)."""
    return words.say(words.term(code.replace(" ", "_"))) if words.rtl and code else code


def _flag(words: Wording, flag: str) -> str:
    return words.say(FLAGS[flag]) if words.rtl and flag in FLAGS else _code(words, flag)


def _prose(text: str, style: Any, rtl: bool) -> list[Flowable]:
    """A sentence that may run over several lines (Arabic wrapped before it is reordered)."""
    return rtl_lines(text, style, width_chars=95) if rtl else [para(text, style)]


def render(params: dict[str, Any], number: str) -> bytes:
    s = styles()
    p = params
    words = Wording(language_of(p))
    rtl, say = words.rtl, words.say
    title, body, heading = (s["rtl_heading"], s["rtl"], s["rtl_heading"]) if rtl else (s["title"], s["body"],
                                                                                        s["heading"])
    story: list[Flowable] = [para(say(TITLE), title), para(say(msg("Document %(number)s", number=number)), body)]
    match = f"#{p['match_id']} (match run #{p['run_id']})"
    place = f"{p['remains_accession']} / {p['sample_accession']} (site {p['site_code']})"
    if rtl:
        match = f"#{p['match_id']} " + say(msg("(match run #%(run)s)", run=p["run_id"]))
        place = f"{p['remains_accession']} / {p['sample_accession']} " + say(msg("(site %(site)s)",
                                                                                 site=p["site_code"]))
    facts = [
        [say(msg("Match")), match],
        [say(msg("Remains / sample")), place],
        [say(msg("Family / missing person case")), f"{p['family_code']} / {p['case_number']}"],
        [say(msg("Total log10 LR")), _num(p["log10_lr"])],
        [say(msg("Likelihood ratio")), f"{10 ** float(p['log10_lr']):.4g}"],
        [say(msg("Prior")), f"{float(p['prior']):.6g}"],
        [say(msg("Posterior probability")), f"{float(p['posterior']) * 100:.4f} %"],
        [say(msg("Review status")), _code(words, p.get("status", ""))],
        [say(msg("Engine version")), p.get("engine_version", "")],
        [say(msg("Frequency table")), p.get("frequency_table", "")],
        [say(msg("Parameters")), ", ".join(f"{k}={v}" for k, v in sorted(p.get("run_params", {}).items()))],
    ]
    story += [table(facts, col_widths=[55 * mm, 115 * mm], header=False, rtl=rtl), Spacer(1, 4 * mm)]
    relatives = p.get("relatives", {})
    ids = sorted(relatives)
    header = [say(msg("Locus")), say(msg("Remains")), *[relatives[i] for i in ids], "LR", "log10 LR",
              say(msg("Flag")), say(msg("Reading"))]
    rows: list[list[Any]] = [header]
    highlight = []
    through_models = []
    one_seen = " " + say(msg("(one seen)")) if rtl else " (one seen)"
    for index, locus in enumerate(p.get("loci", []), start=1):
        rels = locus.get("relatives", {})
        seen = sorted(locus.get("remains") or [], key=allele_sort_key)
        remains = "/".join(seen) + (one_seen if len(seen) == 1 else "") if seen else "—"
        rows.append([locus["marker"], remains,
                     *["/".join(sorted(rels[i], key=allele_sort_key)) if i in rels else "—" for i in ids],
                     _num(locus.get("lr"), 3), _num(locus.get("log10_lr"), 3), _flag(words, locus.get("flag", "")),
                     _reading(locus, words)])
        needs_a_person = (locus.get("reading") or "consistent") not in ("consistent", "not_compared")
        if locus.get("flag") or locus.get("lr") == 0 or needs_a_person:
            highlight.append(index)
        if needs_a_person:
            through_models.append(f"{locus['marker']}: {_reading(locus, words)}")
    story += [para(say(msg("Per-locus results")), heading), table(rows, highlight_rows=highlight, rtl=rtl)]
    if highlight:
        flagged = (say(nmsg("%(num)d locus flagged (shaded): inconsistencies were considered by the reviewers.",
                            "%(num)d loci flagged (shaded): inconsistencies were considered by the reviewers.",
                            len(highlight))) if rtl
                   else f"{len(highlight)} locus/loci flagged (shaded): inconsistencies were considered "
                        "by the reviewers.")
        story += _prose(flagged, s["rtl"] if rtl else s["small"], rtl)
    if through_models:
        joined = "; ".join(through_models)
        story += _prose(say(msg("Loci that hold only through the mutation or drop-out model: %(loci)s.",
                                loci=joined.replace("; ", "؛ ") if rtl else joined)), body, rtl)
    freqs = p.get("frequencies", [])
    if freqs:
        story += [para(say(msg("Allele frequencies used")), heading),
                  table([[say(msg("Marker")), say(msg("Allele")), say(msg("Frequency"))],
                         *[[m, a, f"{float(f):.5f}"]
                           for m, a, f in sorted(freqs, key=lambda r: (r[0], allele_sort_key(str(r[1]))))]],
                        col_widths=[40 * mm, 30 * mm, 40 * mm], rtl=rtl)]
    reviewers = [[_code(words, step), *rest] for step, *rest in p.get("reviewers", [])]
    signatures: list[Flowable] = [para(say(msg("Reviews and signatures")), heading)]
    if reviewers:
        signatures.append(table([[say(msg("Step")), say(msg("By")), say(msg("At (UTC)")),
                                  say(msg("Signed content SHA-256"))], *reviewers],
                                col_widths=[30 * mm, 40 * mm, 35 * mm, 65 * mm], font_size=7, rtl=rtl))
    else:
        signatures.append(para(say(msg("Not reviewed yet.")), body))
    story.append(KeepTogether(signatures))  # the signature block is never split across pages
    story += [Spacer(1, 6 * mm)]
    meta = DocumentMeta(TITLE, number, p["issue_date"], qr_target(p, number), p.get("reissue_of"),
                        p.get("lab_name", ""), p.get("audit_head", ""), words.language)
    return build_pdf(story, meta)
