"""Coordinators' side of the families' inquiry: issue, re-issue and revoke codes, print receipts,
confirm or decline the changes families ask for, see every access on the case page."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user

from labtrack.core.inquiry_codes import format_reference
from labtrack.db import get_session
from labtrack.documents import inquiry_receipt
from labtrack.models import utcnow
from labtrack.services import inquiry_codes, inquiry_requests
from labtrack.web.access import ADMIN, COORDINATOR, roles_required
from labtrack.web.inquiry_forms import DETAIL_LABELS, DecideForm, IssueCodeForm, ReceiptForm, RevokeCodeForm
from labtrack.web.inquiry_support import hasher, public_url

bp = Blueprint("inquiry_codes", __name__)
COORDINATORS = (COORDINATOR, ADMIN)
NEW_CODE_KEY = "inquiry_new_code"  # the code just issued, shown once on the next page, then dropped


def _subject_page(subject: inquiry_codes.Subject) -> str:
    if subject.kind == "missing_person":
        return url_for("missing_persons.detail", person_id=subject.id)
    return url_for("donors.detail", donor_id=subject.id)


def issue_code(*, missing_person_id: int | None = None, donor_id: int | None = None, reason: str = "") -> None:
    """Issue a code and keep it for the next page only (the receipt is printed from there)."""
    row, code = inquiry_codes.issue(session=get_session(), by=current_user, hasher=hasher(),
                                    missing_person_id=missing_person_id, donor_id=donor_id, reason=reason)
    session[NEW_CODE_KEY] = {"id": row.id, "code": code.display}
    flash(_("Inquiry code issued. Print the receipt now: the code is shown only this once."), "success")


def panel_context(*, missing_person_id: int | None = None, donor_id: int | None = None) -> dict[str, Any]:
    """What the case or donor page needs to show the code panel (coordinators and admins)."""
    panel = inquiry_codes.panel(get_session(), missing_person_id=missing_person_id, donor_id=donor_id)
    new = session.pop(NEW_CODE_KEY, None)
    new_code = new if isinstance(new, dict) and panel.active is not None and new.get("id") == panel.active.id else None
    if new_code is not None:
        g.inquiry_no_store = True  # the page shows a secret: not kept in the browser's cache or history
    return {"panel": panel, "new_code": new_code, "issue_form": IssueCodeForm(), "revoke_form": RevokeCodeForm(),
            "decide_form": DecideForm(), "format_reference": format_reference, "detail_labels": DETAIL_LABELS}


@bp.after_app_request
def _no_store(response: Response) -> Response:
    if g.get("inquiry_no_store"):
        response.headers["Cache-Control"] = "no-store"
    return response


def _form_ok(form: Any) -> bool:
    if form.validate_on_submit():
        return True
    for name, errors in form.errors.items():
        for error in errors:
            label = getattr(getattr(form, name, None), "label", None)
            flash(f"{label.text}: {error}" if label and label.text else str(error), "error")
    return False


@bp.route("/missing-persons/<int:person_id>/inquiry-code", methods=["POST"])
@roles_required(*COORDINATORS)
def issue_for_person(person_id: int) -> Any:
    """Issue (or re-issue, with a reason) the inquiry code of a case (coordinators, admins)."""
    form = IssueCodeForm()
    if _form_ok(form):
        issue_code(missing_person_id=person_id, reason=form.reason.data or "")
    return redirect(url_for("missing_persons.detail", person_id=person_id))


@bp.route("/donors/<int:donor_id>/inquiry-code", methods=["POST"])
@roles_required(*COORDINATORS)
def issue_for_donor(donor_id: int) -> Any:
    """Issue (or re-issue, with a reason) a donor's inquiry code (coordinators, admins)."""
    form = IssueCodeForm()
    if _form_ok(form):
        issue_code(donor_id=donor_id, reason=form.reason.data or "")
    return redirect(url_for("donors.detail", donor_id=donor_id))


@bp.route("/inquiry-codes/<int:code_id>/revoke", methods=["POST"])
@roles_required(*COORDINATORS)
def revoke(code_id: int) -> Any:
    """Revoke a code, with a reason: the family's page no longer opens with it (coordinators, admins)."""
    db = get_session()
    subject = inquiry_codes.subject_of(db, inquiry_codes.get_code(db, code_id))
    form = RevokeCodeForm()
    if _form_ok(form):
        row = inquiry_codes.revoke(session=db, code_id=code_id, by=current_user, reason=form.reason.data or "")
        flash(_("Inquiry code %(reference)s revoked: it no longer opens the family's page.",
                reference=format_reference(row.reference)), "success")
    return redirect(_subject_page(subject))


@bp.route("/inquiry-codes/<int:code_id>/receipt", methods=["POST"])
@roles_required(*COORDINATORS)
def receipt(code_id: int) -> Any:
    """The receipt PDF of the active code (typed back from the page that showed it). Not stored."""
    db = get_session()
    form = ReceiptForm()
    code = inquiry_codes.check_for_receipt(session=db, code_id=code_id, typed=form.code.data or "",
                                           hasher=hasher())
    row = inquiry_codes.get_code(db, code_id)
    subject = inquiry_codes.subject_of(db, row)
    issuer = inquiry_codes.issuer_name(db, row)
    pdf = inquiry_receipt.render({
        "code": code.display, "inquiry_url": public_url("inquiry.enter"), "kind": subject.kind,
        "label": subject.label, "name_ar": subject.name_ar, "name_latin": subject.name_latin,
        "issued_on": row.issued_at.date().isoformat(), "coordinator": issuer,
        "lab_name": current_app.config.get("LAB_NAME", ""), "lab_contact": current_app.config.get("LAB_CONTACT", ""),
    })
    inquiry_codes.record_receipt(session=db, code_id=code_id, by=current_user)
    filename = f"inquiry-receipt-{subject.label}-{utcnow().date().isoformat()}.pdf".replace("/", "-")
    return Response(pdf, mimetype="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"})


def _back(row: Any) -> Any:
    if row.missing_person_id is not None:
        return redirect(request.referrer or url_for("missing_persons.detail", person_id=row.missing_person_id))
    return redirect(request.referrer or url_for("donors.detail", donor_id=row.donor_id))


@bp.route("/inquiry-requests/<int:request_id>/confirm", methods=["POST"])
@roles_required(*COORDINATORS)
def confirm(request_id: int) -> Any:
    """Apply a change the family asked for (coordinators, admins)."""
    form = DecideForm()
    if not _form_ok(form):
        return redirect(request.referrer or url_for("inquiry_codes.pending"))
    row = inquiry_requests.confirm(session=get_session(), request_id=request_id, by=current_user)
    flash(_("The family's change is confirmed and recorded."), "success")
    return _back(row)


@bp.route("/inquiry-requests/<int:request_id>/reject", methods=["POST"])
@roles_required(*COORDINATORS)
def reject(request_id: int) -> Any:
    """Decline a change the family asked for, with a reason (coordinators, admins)."""
    form = DecideForm()
    if not _form_ok(form) or not (form.reason.data or "").strip():
        flash(_("Say why the family's change is declined."), "error")
        return redirect(request.referrer or url_for("inquiry_codes.pending"))
    row = inquiry_requests.reject(session=get_session(), request_id=request_id, by=current_user,
                                  reason=form.reason.data or "")
    flash(_("The family's change is declined."), "success")
    return _back(row)


@bp.route("/inquiry-requests/")
@roles_required(*COORDINATORS)
def pending() -> Any:
    """Every change families asked for that waits for a coordinator, oldest first."""
    page = request.args.get("page", 1, type=int) or 1
    return render_template("inquiry_admin/pending.html", result=inquiry_requests.pending(get_session(), page=page),
                           detail_labels=DETAIL_LABELS)
