"""Issuing, re-issuing and downloading the PDFs of review and identification."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from labtrack.core.errors import Conflict, PermissionDenied
from labtrack.db import get_session
from labtrack.models.identification import DOCUMENT_KINDS
from labtrack.services import identification_documents as docs
from labtrack.services import lists as list_specs
from labtrack.web import lists
from labtrack.web.access import ADMIN, ANALYST, COORDINATOR, roles_required
from labtrack.web.messages import reader_language
from labtrack.web.review_forms import IssueForm, ReissueForm

bp = Blueprint("documents", __name__, url_prefix="/documents")

# who may issue, re-issue and download each kind (the notification report carries names and contacts)
KIND_ROLES = {"match_report": (ANALYST, COORDINATOR, ADMIN), "certificate": (ANALYST, COORDINATOR, ADMIN),
              "notification": (COORDINATOR, ADMIN)}


@bp.route("/")
@roles_required(ANALYST, COORDINATOR, ADMIN)
def index() -> Any:
    """Every issued document of the kinds the role may download: paged, sorted, filtered, exported."""
    kinds = tuple(kind for kind in DOCUMENT_KINDS
                  if current_user.role in KIND_ROLES.get(kind, (ANALYST, COORDINATOR, ADMIN)))
    return lists.show(list_specs.documents(kinds), "documents/index.html", kinds=kinds)


def _lab() -> dict[str, str]:
    """The lab's name and public base URL (the QR code of each document opens /verify/<number>)."""
    return {"lab_name": current_app.config.get("LAB_NAME", ""),
            "public_base_url": current_app.config.get("PUBLIC_BASE_URL", "") or ""}


def _back(default: str) -> Any:
    return redirect(request.referrer or default)


def _csrf_ok() -> bool:
    if IssueForm().validate_on_submit():
        return True
    flash(_("The form expired. Reload the page and try again."), "error")
    return False


@bp.route("/matches/<int:match_id>/report", methods=["POST"])
@roles_required(ANALYST, ADMIN)
def issue_match_report(match_id: int) -> Any:
    if not _csrf_ok():
        return _back(url_for("review.match", match_id=match_id))
    document, _pdf = docs.issue_match_report(session=get_session(), match_id=match_id, by=current_user,
                                             language=reader_language(), **_lab())
    flash(_("DNA match report %(number)s issued.", number=document.number), "success")
    return redirect(url_for("review.match", match_id=match_id))


@bp.route("/identifications/<int:identification_id>/certificate", methods=["POST"])
@roles_required(ANALYST, COORDINATOR, ADMIN)
def issue_certificate(identification_id: int) -> Any:
    if not _csrf_ok():
        return _back(url_for("review.identification_record", identification_id=identification_id))
    document, _pdf = docs.issue_certificate(session=get_session(), identification_id=identification_id,
                                            by=current_user, language=reader_language(), **_lab())
    flash(_("Identification certificate %(number)s issued.", number=document.number), "success")
    return redirect(url_for("review.identification_record", identification_id=identification_id))


@bp.route("/identifications/<int:identification_id>/notification", methods=["POST"])
@roles_required(COORDINATOR, ADMIN)
def issue_notification(identification_id: int) -> Any:
    if not _csrf_ok():
        return _back(url_for("review.identification_record", identification_id=identification_id))
    document, _pdf = docs.issue_notification(session=get_session(), identification_id=identification_id,
                                             by=current_user, lab_contact=current_app.config.get("LAB_CONTACT", ""),
                                             **_lab())
    flash(_("Family notification report %(number)s issued.", number=document.number), "success")
    return redirect(url_for("review.identification_record", identification_id=identification_id))


def _allowed(kind: str) -> None:
    if current_user.role not in KIND_ROLES.get(kind, (ADMIN,)):
        raise PermissionDenied(_("Your role may not see this kind of document."))


@bp.route("/<int:document_id>/reissue", methods=["POST"])
@roles_required(ANALYST, COORDINATOR, ADMIN)
def reissue(document_id: int) -> Any:
    db = get_session()
    document = docs.get_document(db, document_id)
    _allowed(document.kind)
    form = ReissueForm()
    if not form.validate_on_submit():
        flash(_("Give a reason for the re-issue."), "error")
        return _back(url_for("main.home"))
    copy, _pdf = docs.reissue(session=db, document_id=document_id, by=current_user, reason=form.reason.data or "")
    flash(_("%(number)s issued (re-issue of %(original)s).", number=copy.number,
            original=docs.original_of(db, copy).number), "success")
    return _back(url_for("documents.download", document_id=copy.id))


@bp.route("/<int:document_id>.pdf")
@roles_required(ANALYST, COORDINATOR, ADMIN)
def download(document_id: int) -> Any:
    db = get_session()
    document = docs.get_document(db, document_id)
    _allowed(document.kind)
    try:
        pdf = docs.pdf_of(db, document)
    except Conflict as error:
        raise Conflict(_("Document %(number)s does not re-render to its recorded SHA-256; it was not served.",
                         number=document.number)) from error
    return Response(pdf, mimetype="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{document.number}.pdf"'})
