"""Issuing the PDFs of review and identification: DNA match report, identification certificate,
family notification report (Arabic and English); re-issues; re-rendering a stored document.

    issue_match_report(*, session, match_id, by, lab_name="", language="en") -> tuple[IssuedDocument, bytes]
    issue_certificate(*, session, identification_id, by, lab_name="", language="en")
        -> tuple[IssuedDocument, bytes]
    issue_notification(*, session, identification_id, by, lab_name="", lab_contact="")
        -> tuple[IssuedDocument, bytes]
    reissue(*, session, document_id, by, reason) -> tuple[IssuedDocument, bytes]
    render_stored(document) -> bytes          # same bytes (and SHA-256) as when issued
    pdf_of(session, document) -> bytes        # the stored bytes, hash-checked (served on download)
    documents_for(session, record_type, record_id) -> list[IssuedDocument]

Every document goes through ``labtrack.services.issued_documents.issue`` (number, SHA-256 in the
audit log). ``params_json`` holds everything the renderer needs, including the issue date and
the language of the person who issued it (``language``, as for custody forms: absent for English),
so re-rendering, and a re-issue, give the same words (reportlab ``invariant=1``: identical bytes).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from sqlmodel import Session, select

from labtrack.core.errors import Conflict, NotFound, ProblemList
from labtrack.core.messages import msg, term
from labtrack.core.review_rules import CONFIRMED
from labtrack.documents import certificate, match_report, notification_report
from labtrack.documents.pdf_base import arabic_name_problems
from labtrack.models import FrequencyEntry, IssuedDocument, Signature, User, utcnow
from labtrack.services import identification, issued_documents, review

RENDERERS: dict[str, Callable[[dict[str, Any], str], bytes]] = {
    "match_report": match_report.render,
    "certificate": certificate.render,
    "notification": notification_report.render,
}
LAYOUT_VERSION = 1  # bump when a renderer's output changes; keep the old drawing for old params
RECORD_TYPES = {"match_report": "match", "certificate": "identification", "notification": "identification"}


def _today() -> str:
    return utcnow().date().isoformat()


def _user_name(session: Session, user_id: int) -> str:
    user = session.get(User, user_id)
    return user.full_name if user else f"user {user_id}"


def _reviewers(session: Session, ctx: review.MatchContext) -> list[list[str]]:
    rows = []
    for r in ctx.reviews:
        signature = session.get(Signature, r.signature_id) if r.signature_id else None
        rows.append([r.step.replace("_", " "), _user_name(session, r.by_user_id),
                     r.at.strftime("%Y-%m-%d %H:%M"), signature.content_sha256 if signature else "—"])
    return rows


def match_report_params(session: Session, ctx: review.MatchContext, *, lab_name: str = "") -> dict[str, Any]:
    markers = {locus.marker for locus in ctx.loci}
    alleles = {(locus.marker, a) for locus in ctx.loci for g in (locus.remains, *locus.relatives.values())
               for a in g}
    frequencies: list[list[Any]] = []
    if ctx.frequency_table is not None and markers:
        entries = session.exec(select(FrequencyEntry).where(
            FrequencyEntry.table_id == ctx.frequency_table.id,
            FrequencyEntry.marker.in_(sorted(markers))))  # type: ignore[attr-defined]
        frequencies = sorted([e.marker, e.allele, e.frequency] for e in entries if (e.marker, e.allele) in alleles)
    relatives = {m.person_code: f"{m.relation_label or m.person_code} ({m.person_code})"
                 for m in ctx.members if m.donor_id is not None}
    return {
        "match_id": ctx.match.id, "run_id": ctx.run.id, "engine_version": ctx.run.engine_version,
        "run_params": ctx.params, "frequency_table": ctx.frequency_table.name if ctx.frequency_table else "",
        "remains_accession": ctx.remains.accession, "sample_accession": ctx.sample.accession,
        "site_code": ctx.site.code, "family_code": ctx.family.code,
        "case_number": ctx.missing_person.case_number if ctx.missing_person else "",
        "log10_lr": ctx.match.log10_lr, "posterior": ctx.match.posterior, "prior": ctx.match.prior,
        "loci": [locus.as_dict() for locus in ctx.loci], "relatives": relatives, "frequencies": frequencies,
        "reviewers": _reviewers(session, ctx), "status": ctx.status.replace("_", " "),
        "issue_date": _today(), "record_path": f"/review/matches/{ctx.match.id}", "lab_name": lab_name,
    }


def _issue(session: Session, *, kind: str, record_id: int, by: User, params: dict[str, Any],
           language: str = "en", reissue_of: IssuedDocument | None = None, reason: str = "",
           public_base_url: str = "") -> tuple[IssuedDocument, bytes]:
    # exactly what will be stored; "layout" lets a later renderer keep drawing old documents the old way
    if public_base_url:
        params = params | {"public_base_url": public_base_url}
    params = json.loads(json.dumps({"layout": LAYOUT_VERSION} | params, default=str))
    renderer = RENDERERS[kind]
    return issued_documents.issue(session, kind=kind, record_type=RECORD_TYPES[kind], record_id=record_id, by=by,
                                  render=lambda number: renderer(params, number), params=params,
                                  language=language, reissue_of=reissue_of, reason=reason)


def issue_match_report(*, session: Session, match_id: int, by: User, lab_name: str = "",
                       public_base_url: str = "", language: str = "en") -> tuple[IssuedDocument, bytes]:
    """Issue the DNA match report of a match in ``language`` (the issuing person's)."""
    ctx = review.load(session, match_id)
    if ctx.loci_error:
        raise Conflict(msg("the per-locus evidence of match %(match)s is unreadable: %(problem)s", match=match_id,
                           problem=ctx.loci_error))
    params = match_report_params(session, ctx, lab_name=lab_name) | issued_documents.language_params(language)
    return _issue(session, kind="match_report", record_id=match_id, by=by, public_base_url=public_base_url,
                  params=params, language=language)


def _approved_identification(session: Session, identification_id: int) -> tuple[Any, list[Signature]]:
    """The identification and the signatures of its four-eyes review (of its match, or of the
    closed event's joint DVI it was proposed from)."""
    ident = identification.get(session, identification_id)
    if ident.match_id is None:
        from labtrack.services import dvi_review

        signed = dvi_review.approval_signatures(session, identification_id)
        if not signed:
            raise Conflict(msg("identification %(id)s has no reviewed match: no document can be issued",
                               id=identification_id))
    else:
        ctx = review.load(session, ident.match_id)
        if ctx.status != CONFIRMED:
            raise Conflict(msg("identification %(id)s has not been approved by a second analyst (match %(match)s is "
                               "%(status)s): no document can be issued", id=identification_id, match=ident.match_id,
                               status=term(ctx.status)))
        signed = [sig for r in ctx.reviews if r.signature_id and (sig := session.get(Signature, r.signature_id))]
    if identification.active_for_remains(session, ident.remains_id) is None:
        raise Conflict(msg("identification %(id)s was retracted", id=identification_id))
    return ident, signed


def _check_names(facts: dict[str, Any], message: str) -> None:
    problems = ProblemList()
    if not (facts["name_ar"] or facts["name_latin"]):
        problems.add(msg("%(case)s has no name on record", case=facts["case_number"]), field="name_latin")
    for problem in arabic_name_problems(facts["name_ar"] or ""):
        problems.add(msg("%(case)s: %(problem)s", case=facts["case_number"], problem=problem), field="name_ar")
    problems.raise_if_any(message)


def certificate_params(session: Session, identification_id: int, *, lab_name: str = "") -> dict[str, Any]:
    ident, signed = _approved_identification(session, identification_id)
    facts = identification.certificate_facts(session, identification_id)
    _check_names(facts, msg("The certificate cannot be issued"))
    sig_rows = [[sig.meaning, _user_name(session, sig.user_id), sig.at.strftime("%Y-%m-%d %H:%M"),
                 sig.content_sha256] for sig in signed]
    report = session.exec(select(IssuedDocument).where(IssuedDocument.kind == "match_report",
                                                       IssuedDocument.record_id == ident.match_id)
                          .order_by(IssuedDocument.id.desc())).first()  # type: ignore[union-attr]
    return facts | {"signatures": sig_rows, "match_report": report.number if report else "",
                    "issue_date": _today(), "record_path": f"/review/identifications/{identification_id}",
                    "lab_name": lab_name}


def _refuse_second_issue(session: Session, kind: str, identification_id: int) -> None:
    """A certificate or a family's notification exists once per identification: a second copy is
    a re-issue, with a reason, printed as such (`reissue`)."""
    earlier = session.exec(select(IssuedDocument).where(
        IssuedDocument.kind == kind, IssuedDocument.record_id == identification_id,
        IssuedDocument.record_type == RECORD_TYPES[kind]).order_by(IssuedDocument.id)).first()  # type: ignore[arg-type]
    if earlier is not None:
        if kind == "certificate":
            raise Conflict(msg("an identification certificate was already issued for identification %(id)s "
                               "(%(number)s): re-issue it with a reason instead (the copy is printed as a re-issue)",
                               id=identification_id, number=earlier.number))
        raise Conflict(msg("a family notification report was already issued for identification %(id)s (%(number)s): "
                           "re-issue it with a reason instead (the copy is printed as a re-issue)",
                           id=identification_id, number=earlier.number))


def issue_certificate(*, session: Session, identification_id: int, by: User, lab_name: str = "",
                      public_base_url: str = "", language: str = "en") -> tuple[IssuedDocument, bytes]:
    """Issue the identification certificate in ``language`` (the issuing person's)."""
    _refuse_second_issue(session, "certificate", identification_id)
    params = certificate_params(session, identification_id, lab_name=lab_name)
    return _issue(session, kind="certificate", record_id=identification_id, by=by, public_base_url=public_base_url,
                  params=params | issued_documents.language_params(language), language=language)


def notification_params(session: Session, identification_id: int, *, lab_name: str = "",
                        lab_contact: str = "") -> dict[str, Any]:
    _approved_identification(session, identification_id)
    facts = identification.certificate_facts(session, identification_id)
    _check_names(facts, msg("The notification report cannot be issued"))
    from labtrack.models import MissingPerson

    person = session.exec(select(MissingPerson).where(MissingPerson.case_number == facts["case_number"])).one()
    return {
        "name_ar": facts["name_ar"], "name_latin": facts["name_latin"], "case_number": facts["case_number"],
        "contact_name": facts["contact_name"], "identified_on": facts["identified_on"],
        "parts": [{k: part[k] for k in ("accession", "site_name_en", "site_name_ar", "recovered_on")}
                  for part in facts["parts"]],
        "more_parts_expected": bool(person.wait_for_more_parts), "lab_name": lab_name, "lab_contact": lab_contact,
        "issue_date": _today(), "record_path": f"/notifications/persons/{person.id}",
    }


def issue_notification(*, session: Session, identification_id: int, by: User, lab_name: str = "",
                       lab_contact: str = "", public_base_url: str = "") -> tuple[IssuedDocument, bytes]:
    _refuse_second_issue(session, "notification", identification_id)
    params = notification_params(session, identification_id, lab_name=lab_name, lab_contact=lab_contact)
    params["coordinator"] = by.full_name or by.username  # the coordinator who tells the family
    params |= issued_documents.language_params("ar")  # a two-language letter framed in the families' language
    return _issue(session, kind="notification", record_id=identification_id, by=by, language="ar",
                  public_base_url=public_base_url, params=params)


def get_document(session: Session, document_id: int) -> IssuedDocument:
    document = session.get(IssuedDocument, document_id)
    if document is None or document.kind not in RENDERERS:
        raise NotFound(msg("document %(id)s does not exist", id=document_id))
    return document


def original_of(session: Session, document: IssuedDocument) -> IssuedDocument:
    while document.reissue_of_id is not None:
        parent = session.get(IssuedDocument, document.reissue_of_id)
        if parent is None:
            break
        document = parent
    return document


def reissue(*, session: Session, document_id: int, by: User, reason: str) -> tuple[IssuedDocument, bytes]:
    """A new copy of the same document (same record, same content), numbered anew, printed
    "RE-ISSUE of <original number>", with today's issue date."""
    if not (reason or "").strip():
        problems = ProblemList()
        problems.add(msg("a reason is required to re-issue a document"), field="reason")
        problems.raise_if_any(msg("The document cannot be re-issued"))
    document = get_document(session, document_id)
    original = original_of(session, document)
    params = json.loads(original.params_json) | {"reissue_of": original.number, "issue_date": _today()}
    return _issue(session, kind=document.kind, record_id=document.record_id or 0, by=by, params=params,
                  language=document.language, reissue_of=original, reason=f"re-issue: {reason.strip()}")


def render_stored(document: IssuedDocument) -> bytes:
    """Re-render a stored document from its params (identical bytes when nothing was altered)."""
    return RENDERERS[document.kind](json.loads(document.params_json), document.number)


def pdf_of(session: Session, document: IssuedDocument) -> bytes:
    """The document as issued: the stored bytes, checked against the recorded SHA-256.

    Documents issued before the bytes were kept are re-rendered from their parameters and served
    only when they give the recorded hash again. A mismatch is a Conflict (nothing is served).
    """
    pdf = issued_documents.stored_pdf(session, document)
    if pdf is None:
        pdf = render_stored(document)
    digest = issued_documents.sha256_hex(pdf)
    if digest != document.sha256 or digest != issued_documents.logged_sha256(session, document):
        raise Conflict(msg("Document %(number)s does not match its recorded SHA-256; it was not served.",
                           number=document.number))
    return pdf


def documents_for(session: Session, record_type: str, record_id: int) -> list[IssuedDocument]:
    return list(session.exec(select(IssuedDocument).where(IssuedDocument.record_type == record_type,
                                                          IssuedDocument.record_id == record_id)
                             .order_by(IssuedDocument.id)))  # type: ignore[arg-type]

