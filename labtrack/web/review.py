"""Review of candidate matches: queue, match page, four-eyes steps; identification record page."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup

from labtrack.core import review_rules
from labtrack.db import get_session
from labtrack.documents import pedigree_svg
from labtrack.kinship.evidence import EvidenceRule
from labtrack.services import (
    false_positives,
    identification,
    identification_basis,
    identification_documents,
    review,
    review_queue,
)
from labtrack.services.false_positives import MAX_EXPECTED
from labtrack.web import lists
from labtrack.web.access import ADMIN, ANALYST, COORDINATOR, can_see_identities, roles_required
from labtrack.web.extensions import limiter
from labtrack.web.review_forms import ApproveForm, IssueForm, ProposeForm, ReissueForm, RetractForm, SendBackForm

bp = Blueprint("review", __name__, url_prefix="/review")
REVIEWERS = (ANALYST, ADMIN)


@bp.route("/")
@roles_required(*REVIEWERS)
def queue() -> Any:
    """The review queue (analysts, admins): every open candidate, paged, sorted and filtered on
    the server (``services.review_queue``), exported as CSV or Excel."""
    if request.args.get("export"):
        return lists.export(review_queue.QUEUE, filename="review-queue")
    view = lists.build(review_queue.QUEUE)
    shown = replace(view, page=replace(view.page, rows=review_queue.entries(get_session(), view.rows)))
    return render_template("review/queue.html", view=shown, statuses=review_rules.STATUSES,
                           strengths=review_rules.STRENGTHS)


def _pedigree(ctx: review.MatchContext) -> Markup:
    codes = {m.id: m.person_code for m in ctx.members}
    drawn = [
        pedigree_svg.DrawnMember(m.person_code, m.sex, codes.get(m.father_id, ""), codes.get(m.mother_id, ""),
                                 typed=m.donor_id is not None, missing=m.missing_person_id is not None,
                                 label=m.relation_label)
        for m in ctx.members
    ]
    return Markup(pedigree_svg.draw(drawn))  # noqa: S704 - the drawing module escapes every label  # nosec B704


@bp.route("/matches/<int:match_id>")
@roles_required(*REVIEWERS)
def match(match_id: int) -> Any:
    db = get_session()
    ctx = review.load(db, match_id)
    names_visible = can_see_identities() or ctx.status == review_rules.CONFIRMED
    labels = {m.person_code: f"{m.relation_label or m.person_code} ({m.person_code})" for m in ctx.members
              if m.donor_id is not None}
    rule = evidence_rule()
    chance = false_positives.for_match(db, ctx, rule.max_expected_false_positives if rule else MAX_EXPECTED)
    return render_template(
        "review/match.html", ctx=ctx, comparison=review.anthropology(ctx), competitors=review.competitors(db, ctx),
        names_visible=names_visible, show_circumstances=can_see_identities(), relative_labels=labels,
        pedigree=_pedigree(ctx), users=review.user_names(db, [r.by_user_id for r in ctx.reviews]),
        threshold=current_app.config["IDENTIFICATION_THRESHOLD"],
        evidence_check=review.evidence_check(ctx, evidence_rule(), chance=chance),
        chance=chance,
        documents=identification_documents.documents_for(db, "match", match_id),
        identification=review.identification_of_match(db, match_id),
        propose_form=ProposeForm(), approve_form=ApproveForm(), send_back_form=SendBackForm(),
        issue_form=IssueForm(), reissue_form=ReissueForm(), me=current_user.id,
        history=review.history(db, match_id))


def evidence_rule() -> EvidenceRule | None:
    """The lab's minimum-evidence rule (LABTRACK_EVIDENCE_RULE, LABTRACK_EVIDENCE_MIN_LOCI)."""
    if not current_app.config.get("EVIDENCE_RULE", True):
        return None
    return EvidenceRule(min_loci=int(current_app.config.get("EVIDENCE_MIN_LOCI", 12)),
                        max_expected_false_positives=float(
                            current_app.config.get("EVIDENCE_MAX_EXPECTED_FALSE_POSITIVES", 0.01)))


def _form_problems(form: Any) -> bool:
    if form.validate_on_submit():
        return False
    for name, errors in form.errors.items():
        label = getattr(form, name).label.text if hasattr(form, name) else name
        for error in errors:
            flash(f"{label}: {error}", "error")
    return True


@bp.route("/matches/<int:match_id>/propose", methods=["POST"])
@limiter.limit(lambda: current_app.config["SIGNATURE_RATE_LIMIT"], methods=["POST"])
@roles_required(*REVIEWERS)
def propose(match_id: int) -> Any:
    form = ProposeForm()
    if not _form_problems(form):
        review.propose(session=get_session(), match_id=match_id, by=current_user, decision=form.decision.data,
                       reason=form.reason.data or "", password=form.password.data or "",
                       threshold=current_app.config["IDENTIFICATION_THRESHOLD"], rule=evidence_rule())
        flash(_("Your proposal is recorded and signed. A second analyst must now approve it."), "success")
    return redirect(url_for("review.match", match_id=match_id))


@bp.route("/matches/<int:match_id>/approve", methods=["POST"])
@limiter.limit(lambda: current_app.config["SIGNATURE_RATE_LIMIT"], methods=["POST"])
@roles_required(*REVIEWERS)
def approve(match_id: int) -> Any:
    form = ApproveForm()
    if not _form_problems(form):
        result = review.approve(session=get_session(), match_id=match_id, by=current_user,
                                password=form.password.data or "", reason=form.reason.data or "",
                                threshold=current_app.config["IDENTIFICATION_THRESHOLD"], rule=evidence_rule())
        if result.identification is not None:
            flash(_("Approved and signed: the remains are identified."), "success")
        else:
            flash(_("Approved and signed."), "success")
    return redirect(url_for("review.match", match_id=match_id))


@bp.route("/matches/<int:match_id>/send-back", methods=["POST"])
@roles_required(*REVIEWERS)
def send_back(match_id: int) -> Any:
    form = SendBackForm()
    if not _form_problems(form):
        review.send_back(session=get_session(), match_id=match_id, by=current_user, reason=form.reason.data or "")
        flash(_("The proposal was sent back; the match is open again."), "success")
    return redirect(url_for("review.match", match_id=match_id))


@bp.route("/identifications/<int:identification_id>")
@roles_required(ANALYST, COORDINATOR, ADMIN)
def identification_record(identification_id: int) -> Any:
    db = get_session()
    ident = identification.get(db, identification_id)
    retraction = identification.retraction_of(db, identification_id)
    proposal = identification.pending_retraction(db, identification_id)
    return render_template("review/identification.html", ident=ident,
                           facts=identification.certificate_facts(db, identification_id),
                           documents=identification_documents.documents_for(db, "identification", identification_id),
                           issue_form=IssueForm(), reissue_form=ReissueForm(), retract_form=RetractForm(),
                           retraction=retraction,
                           retracted_by=review.user_names(db, [retraction.approved_by_id]) if retraction else {},
                           proposal=proposal,
                           proposed_by=review.user_names(db, [proposal.by_user_id]) if proposal else {},
                           can_notify=current_user.role in (COORDINATOR, ADMIN),
                           can_retract=current_user.role in REVIEWERS and retraction is None,
                           tree_changes=identification_basis.tree_changes_since(db, ident))


@bp.route("/identifications/<int:identification_id>/propose-retraction", methods=["POST"])
@limiter.limit(lambda: current_app.config["SIGNATURE_RATE_LIMIT"], methods=["POST"])
@roles_required(*REVIEWERS)
def propose_retraction(identification_id: int) -> Any:
    form = RetractForm()
    if not _form_problems(form):
        identification.propose_retraction(session=get_session(), identification_id=identification_id,
                                          by=current_user, reason=form.reason.data or "",
                                          password=form.password.data or "")
        flash(_("The retraction is proposed. A second analyst approves it."), "success")
    return redirect(url_for("review.identification_record", identification_id=identification_id))


@bp.route("/identifications/<int:identification_id>/retract", methods=["POST"])
@limiter.limit(lambda: current_app.config["SIGNATURE_RATE_LIMIT"], methods=["POST"])
@roles_required(*REVIEWERS)
def retract(identification_id: int) -> Any:
    form = RetractForm()
    if not _form_problems(form):
        identification.retract(session=get_session(), identification_id=identification_id, by=current_user,
                               reason=form.reason.data or "", password=form.password.data or "")
        flash(_("The identification is retracted. The remains and the missing person are open again."), "success")
    return redirect(url_for("review.identification_record", identification_id=identification_id))
