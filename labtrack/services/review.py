"""Four-eyes review of candidate matches (status derived from append-only ``MatchReview`` rows).

Signatures (all keyword-only; each call is one transaction, all-or-nothing)::

    load(session, match_id) -> MatchContext
    queue(session, *, site_id=None, status=None, strength=None, limit=500) -> list[QueueRow]
    propose(*, session, match_id, by, decision, reason, password,
            threshold=DEFAULT_THRESHOLD) -> MatchReview          # decision "confirm" | "reject"
    approve(*, session, match_id, by, password, reason="",
            threshold=DEFAULT_THRESHOLD) -> Approval             # .identification when confirmed
    send_back(*, session, match_id, by, reason) -> MatchReview
    competitors(session, ctx) -> list[Competitor]

Rules: the first analyst proposes (confirm or reject, with a reason) and signs "reviewed" with
the password; a second, different analyst approves (signs "approved") or sends back. Confirming
needs the posterior ≥ the identification threshold (``IDENTIFICATION_THRESHOLD``, 0.9995) and no
competing candidate: another unresolved match of the same remains (to another family), or of
the same missing person from other remains — unless that one is itself proposed for
confirmation and not both remains are complete bodies (then it is a body part of the same
individual: commingled remains re-associated). The per-locus format is documented in
``labtrack.core.review_rules``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import union
from sqlmodel import Session, col, select

from labtrack.core import review_rules
from labtrack.core.errors import Conflict, InputError, NotFound, PermissionDenied, require_reason
from labtrack.core.messages import joined, msg, term
from labtrack.core.review_rules import (
    CONFIRMED,
    OPEN,
    PROPOSED_CONFIRM,
    PROPOSED_REJECT,
    UNRESOLVED,
    LocusEvidence,
    PerLocusFormatError,
)
from labtrack.kinship.evidence import EvidenceCheck, EvidenceRule, check_evidence
from labtrack.kinship.pedigree import Pedigree, Person
from labtrack.models import (
    Family,
    FrequencyTable,
    Identification,
    Match,
    MatchEvidence,
    MatchReview,
    MatchRun,
    MissingPerson,
    PedigreeMember,
    Profile,
    Remains,
    Sample,
    Signature,
    Site,
    User,
)
from labtrack.services import false_positives, identification, review_queue, signatures, snapshots
from labtrack.services.transaction import write

DEFAULT_THRESHOLD = 0.9995
DECISIONS = {"confirm": "propose_confirm", "reject": "propose_reject"}


@dataclass
class MatchContext:
    """A match with everything needed to review it."""

    match: Match
    run: MatchRun
    profile: Profile
    sample: Sample
    remains: Remains
    site: Site
    family: Family
    members: list[PedigreeMember]
    missing_person: MissingPerson | None
    reviews: list[MatchReview]
    frequency_table: FrequencyTable | None = None
    loci: list[LocusEvidence] = field(default_factory=list)
    loci_error: str = ""

    @property
    def status(self) -> str:
        return review_rules.review_status([r.step for r in self.reviews])

    @property
    def params(self) -> dict[str, Any]:
        try:
            value = json.loads(self.run.params_json or "{}")
        except json.JSONDecodeError:
            return {"unreadable": self.run.params_json}
        return value if isinstance(value, dict) else {"value": value}

    @property
    def proposal(self) -> MatchReview | None:
        """The open proposal (the last propose step, when the status is proposed_*)."""
        if self.status not in (PROPOSED_CONFIRM, PROPOSED_REJECT):
            return None
        return next(r for r in reversed(self.reviews) if r.step.startswith("propose_"))


@dataclass(frozen=True)
class QueueRow:
    match_id: int
    run_id: int
    remains_accession: str
    site_code: str
    family_code: str
    case_number: str
    log10_lr: float
    posterior: float
    strength: str
    status: str
    created_at: Any
    competing: int = 0  # other unresolved candidates for the same remains or the same missing person
    identified_by: int | None = None  # unresolved, but the remains stand identified by this identification


@dataclass(frozen=True)
class Competitor:
    match_id: int
    remains_accession: str
    case_number: str
    status: str
    why: str


@dataclass(frozen=True)
class Approval:
    review: MatchReview
    identification: Identification | None


def _get(session: Session, model: Any, key: int | None, what: str) -> Any:
    row = session.get(model, key) if key is not None else None
    if row is None:
        raise NotFound(msg("%(what)s %(key)s does not exist", what=term(what), key=key))
    return row


def load(session: Session, match_id: int) -> MatchContext:
    match = _get(session, Match, match_id, "match")
    profile = _get(session, Profile, match.profile_id, "profile")
    sample = _get(session, Sample, profile.sample_id, "sample")
    if sample.remains_id is None:
        raise NotFound(msg("match %(match)s is not about a remains profile", match=match_id))
    remains = _get(session, Remains, sample.remains_id, "remains")
    members = list(session.exec(select(PedigreeMember).where(PedigreeMember.family_id == match.family_id)
                                .order_by(PedigreeMember.id)))  # type: ignore[arg-type]
    missing_member = next((m for m in members if m.missing_person_id is not None), None)
    run = _get(session, MatchRun, match.run_id, "match run")
    ctx = MatchContext(
        match=match, run=run, profile=profile, sample=sample, remains=remains,
        site=_get(session, Site, remains.site_id, "site"),
        family=_get(session, Family, match.family_id, "family"), members=members,
        missing_person=session.get(MissingPerson, missing_member.missing_person_id) if missing_member else None,
        reviews=list(session.exec(select(MatchReview).where(MatchReview.match_id == match_id)
                                  .order_by(MatchReview.id))),  # type: ignore[arg-type]
        frequency_table=session.get(FrequencyTable, run.frequency_table_id),
    )
    try:
        ctx.loci = review_rules.parse_per_locus(match.per_locus_json or "[]")
    except PerLocusFormatError as error:
        ctx.loci_error = str(error)
    return ctx


def evidence(ctx: MatchContext) -> dict[str, Any]:
    """The match evidence that signatures cover (canonical JSON → SHA-256)."""
    return {
        "match_id": ctx.match.id, "run_id": ctx.run.id, "engine_version": ctx.run.engine_version,
        "params": ctx.params, "frequency_table": ctx.frequency_table.name if ctx.frequency_table else None,
        "remains": ctx.remains.accession, "sample": ctx.sample.accession, "profile_id": ctx.profile.id,
        "family": ctx.family.code,
        "case_number": ctx.missing_person.case_number if ctx.missing_person else None,
        "log10_lr": ctx.match.log10_lr, "posterior": ctx.match.posterior, "prior": ctx.match.prior,
        "per_locus": [locus.as_dict() for locus in ctx.loci],
    }


def anthropology(ctx: MatchContext) -> review_rules.Comparison | None:
    if ctx.missing_person is None:
        return None
    r, p = ctx.remains, ctx.missing_person
    return review_rules.compare(
        review_rules.RemainsEstimates(sex=r.est_sex, age_min=r.est_age_min, age_max=r.est_age_max,
                                      stature_cm=r.est_stature_cm),
        review_rules.AnteMortem(sex=p.sex, birth_date=p.birth_date, birth_year=p.birth_year,
                                disappeared_on=p.disappeared_on, height_cm=p.height_cm))


# --- the queue and competitors -----------------------------------------------------------

@dataclass(frozen=True)
class _Summary:
    match: Match
    remains: Remains
    site: Site
    family: Family
    missing_person_id: int | None
    case_number: str
    status: str


def _summaries(session: Session, *, remains_id: int, missing_person_id: int | None) -> list[_Summary]:
    """The candidates not closed for these remains or for a family of this missing person."""
    # the ids of the two kinds, each through its own index, united: one OR over both made
    # PostgreSQL read every open candidate (458 ms at 100,000 candidates)
    concerned_ids = (select(Match.id).join(Profile, Profile.id == Match.profile_id)  # type: ignore[arg-type]
                     .join(Sample, Sample.id == Profile.sample_id)  # type: ignore[arg-type]
                     .where(Sample.remains_id == remains_id))  # type: ignore[arg-type]
    if missing_person_id is not None:
        families = (select(PedigreeMember.family_id)
                    .where(PedigreeMember.missing_person_id == missing_person_id))  # type: ignore[arg-type]
        concerned_ids = union(concerned_ids, select(Match.id).where(col(Match.family_id).in_(families)))
    concerned = col(Match.id).in_(concerned_ids)
    rows = session.exec(
        select(Match, Remains, Site, Family)
        .join(Profile, Profile.id == Match.profile_id)  # type: ignore[arg-type]
        .join(Sample, Sample.id == Profile.sample_id)  # type: ignore[arg-type]
        .join(Remains, Remains.id == Sample.remains_id)  # type: ignore[arg-type]
        .join(Site, Site.id == Remains.site_id)  # type: ignore[arg-type]
        .join(Family, Family.id == Match.family_id)  # type: ignore[arg-type]
        .where(Match.closed_at == None, concerned)  # type: ignore[arg-type]  # noqa: E711  (closed: no longer holds)
    ).all()
    family_ids = {family.id for _m, _r, _s, family in rows}
    missing = {fid: (mid, case) for fid, mid, case in session.exec(
        select(PedigreeMember.family_id, MissingPerson.id, MissingPerson.case_number)
        .join(MissingPerson, MissingPerson.id == PedigreeMember.missing_person_id)  # type: ignore[arg-type]
        .where(col(PedigreeMember.family_id).in_(family_ids)))}
    return [
        _Summary(match, remains, site, family, *missing.get(family.id, (None, "")), match.review_status)
        for match, remains, site, family in rows
    ]


def queue(session: Session, *, site_id: int | None = None, status: str | None = None,
          strength: str | None = None, limit: int = 500) -> list[QueueRow]:
    """Candidate matches, newest run first, strongest first within a run; ``competing`` counts the
    other unresolved candidates for the same remains (another person) or the same person (other
    remains). One SQL read model (``services.review_queue``); the web page pages it."""
    return [QueueRow(r.match_id, r.run_id, r.remains_accession, r.site, r.family_code, r.case_number,
                     r.log10_lr, r.posterior, r.strength, r.status, r.created_at, int(r.competing or 0),
                     r.identified_by)
            for r in review_queue.rows(session, site_id=site_id, status=status, strength=strength, limit=limit)]


def competitors(session: Session, ctx: MatchContext) -> list[Competitor]:
    """Unresolved candidates that compete with this match (see the module docstring)."""
    mine = ctx.missing_person.id if ctx.missing_person else None
    found = []
    for s in _summaries(session, remains_id=ctx.remains.id or 0, missing_person_id=mine):
        if s.match.id == ctx.match.id or s.status not in UNRESOLVED:
            continue
        same_remains = s.remains.id == ctx.remains.id
        same_person = mine is not None and s.missing_person_id == mine
        if same_remains and not same_person:
            found.append(Competitor(s.match.id or 0, s.remains.accession, s.case_number, s.status,
                                    msg("same remains, another family")))
        elif same_person and not same_remains:
            both_bodies = s.remains.remains_type == ctx.remains.remains_type == "complete_body"
            if s.status != PROPOSED_CONFIRM or both_bodies:
                found.append(Competitor(s.match.id or 0, s.remains.accession, s.case_number, s.status,
                                        msg("same missing person, other remains")))
    return found


# --- the steps -----------------------------------------------------------------------------

def _identified_remains_conflict(session: Session, ctx: MatchContext) -> None:
    existing = identification.active_for_remains(session, ctx.remains.id or 0)
    if existing is not None:
        raise Conflict(msg("remains %(accession)s are already identified (identification %(id)s); retract it first",
                           accession=ctx.remains.accession, id=existing.id))


def propose(*, session: Session, match_id: int, by: User, decision: str, reason: str, password: str,
            threshold: float = DEFAULT_THRESHOLD, rule: EvidenceRule | None = None) -> MatchReview:
    """First analyst: propose to confirm or reject (signed "reviewed")."""
    if decision not in DECISIONS:
        raise Conflict(msg("unknown decision %(decision)s: choose confirm or reject", decision=repr(decision)))
    reason = require_reason(reason, msg("propose to confirm") if decision == "confirm" else msg("propose to reject"))
    with write(session, actor=by, reason=f"match {match_id}: proposed to {decision}"):
        ctx = _locked(session, match_id)
        _refuse_closed(ctx)
        snapshots.check_unchanged(session, ctx.match, ctx.run)
        if ctx.status != OPEN:
            raise Conflict(msg("match %(match)s is %(status)s: it cannot be proposed again", match=match_id,
                               status=term(ctx.status)))
        if decision == "confirm":
            _check_confirmable(session, ctx, threshold, rule)
        content = evidence(ctx) | {"step": DECISIONS[decision], "reason": reason}
        signature = signatures.sign(session=session, user=by, password=password, meaning="reviewed",
                                    record_type="match", record_id=match_id, content=content)
        review = _append_step(session, ctx, MatchReview(match_id=match_id, step=DECISIONS[decision], reason=reason,
                                                        by_user_id=by.id or 0, signature_id=signature.id))
        person = ctx.missing_person
        if decision == "confirm" and person is not None and person.status == "missing":
            person.status = "provisionally_matched"  # shown to coordinators; approval makes it identified
            session.add(person)
    return review


def _locked(session: Session, match_id: int) -> MatchContext:
    """Inside the write transaction: lock the match and its remains (PostgreSQL ``FOR UPDATE``;
    SQLite write transactions are serialised already), then read the current state, so that two
    reviewers acting at once cannot both approve or identify the same remains twice."""
    session.expire_all()
    if session.exec(select(Match.id).where(Match.id == match_id).with_for_update()).first() is None:
        raise NotFound(msg("match %(match)s does not exist", match=match_id))
    ctx = load(session, match_id)
    session.exec(select(Remains.id).where(Remains.id == ctx.remains.id).with_for_update()).first()
    return ctx


def _append_step(session: Session, ctx: MatchContext, review: MatchReview) -> MatchReview:
    """Append a review step and keep the match's ``review_status`` in step with the steps (the
    step is written first: the database refuses a status its steps do not give)."""
    session.add(review)
    session.flush()
    ctx.reviews.append(review)
    ctx.match.review_status = ctx.status
    session.add(ctx.match)
    session.flush()
    return review


def _refuse_closed(ctx: MatchContext) -> None:
    if ctx.match.closed_at is not None:
        raise Conflict(msg("candidate %(match)s was closed: %(reason)s", match=ctx.match.id,
                           reason=ctx.match.closed_reason_message))


def _refuse_changed_since(session: Session, ctx: MatchContext, proposal: MatchReview) -> None:
    """The proposal's signature covers the evidence as it was; a later computation changed it."""
    signature = session.get(Signature, proposal.signature_id) if proposal.signature_id else None
    if signature is None:
        return
    signed = evidence(ctx) | {"step": proposal.step, "reason": proposal.reason}
    if signatures.content_sha256(signed) != signature.content_sha256:
        raise Conflict(msg("the evidence of match %(match)s changed after it was proposed (recomputed by match run "
                           "%(run)s); send the proposal back so that it is proposed again on the evidence as it is now",
                           match=ctx.match.id, run=ctx.match.run_id))


_SEX = {"M": 1, "F": 2}


def evidence_check(ctx: MatchContext, rule: EvidenceRule | None,
                   chance: false_positives.FalsePositives | None = None) -> EvidenceCheck | None:
    """The case against the lab's minimum-evidence rule (None without a rule or evidence);
    `chance`: the candidate's false positives (`services.false_positives.for_match`), a reason
    when more unrelated remains than the rule allows would reach its LR by chance."""
    if rule is None or ctx.missing_person is None or ctx.loci_error:
        return None
    check = _structure_check(ctx, rule)
    if chance is not None and chance.weak:
        return replace(check, reasons=(*check.reasons, chance.reason()))
    return check


def _structure_check(ctx: MatchContext, rule: EvidenceRule) -> EvidenceCheck:
    codes = {m.id: m.person_code for m in ctx.members}
    persons = [Person(m.person_code, codes.get(m.father_id or -1), codes.get(m.mother_id or -1), _SEX.get(m.sex, 0),
                      m.person_code if m.donor_id is not None else None, m.missing_person_id is not None)
               for m in ctx.members]
    loci = [locus for locus in ctx.loci if locus.remains and locus.relatives]
    try:
        pedigree = Pedigree.build(ctx.family.code, persons)
        return check_evidence(pedigree, {pid for locus in loci for pid in locus.relatives}, len(loci), rule)
    except (InputError, KeyError, ValueError) as error:
        return EvidenceCheck(len(loci), {}, (msg("the pedigree cannot be checked: %(problem)s", problem=str(error)),))


def _check_confirmable(session: Session, ctx: MatchContext, threshold: float,
                       rule: EvidenceRule | None = None) -> None:
    if ctx.match.near_miss:
        raise Conflict(msg("match %(match)s is a near miss: %(loci)s excludes the family (LR 0); it is listed for a "
                           "person to look at, never to be confirmed", match=ctx.match.id,
                           loci=ctx.match.excluded_loci or msg("a locus")))
    if ctx.missing_person is None:
        raise Conflict(msg("family %(family)s has no missing person in its pedigree", family=ctx.family.code))
    if ctx.loci_error:
        raise Conflict(msg("the per-locus evidence of match %(match)s is unreadable: %(problem)s", match=ctx.match.id,
                           problem=ctx.loci_error))
    if ctx.match.posterior < threshold:
        raise Conflict(msg("posterior %(posterior)s is below the identification threshold %(threshold)s: the match "
                           "cannot be confirmed", posterior=format(ctx.match.posterior, ".6f"),
                           threshold=format(threshold, ".6f")))
    chance = None if rule is None else false_positives.for_match(session, ctx, rule.max_expected_false_positives)
    check = evidence_check(ctx, rule, chance)
    if check is not None and check.weak:
        raise Conflict(msg("family %(family)s is weak evidence for an identification: %(reasons)s. Type another "
                           "relative (see the family's power to identify) before proposing it.",
                           family=ctx.family.code, reasons=joined(check.reasons)))
    _identified_remains_conflict(session, ctx)


def approve(*, session: Session, match_id: int, by: User, password: str, reason: str = "",
            threshold: float = DEFAULT_THRESHOLD, rule: EvidenceRule | None = None) -> Approval:
    """Second analyst: approve the proposal (signed "approved"). Approving a confirmation creates
    the identification (see ``labtrack.services.identification.identify``)."""
    with write(session, actor=by, reason=f"match {match_id}: proposal approved"):
        ctx = _locked(session, match_id)
        _refuse_closed(ctx)
        proposal = ctx.proposal
        if proposal is None:
            raise Conflict(msg("match %(match)s is %(status)s: there is no proposal to approve", match=match_id,
                               status=term(ctx.status)))
        if proposal.by_user_id == by.id:
            raise PermissionDenied(msg("You proposed this decision: a second, different analyst must approve it."))
        _refuse_changed_since(session, ctx, proposal)
        snapshots.check_unchanged(session, ctx.match, ctx.run)  # inputs as computed; consent at signing
        if proposal.step == "propose_confirm":
            _check_confirmable(session, ctx, threshold, rule)
            rivals = competitors(session, ctx)
            if rivals:
                listed = joined(msg("match %(match)s (%(remains)s / %(case)s: %(why)s, %(status)s)", match=c.match_id,
                                    remains=c.remains_accession, case=c.case_number, why=c.why,
                                    status=term(c.status)) for c in rivals)
                raise Conflict(msg("competing candidates are still open; reject them first: %(listed)s", listed=listed))
        content = evidence(ctx) | {"step": "approve", "proposal": proposal.step, "proposal_id": proposal.id,
                                   "reason": reason.strip()}
        created = None
        signature = signatures.sign(session=session, user=by, password=password, meaning="approved",
                                    record_type="match", record_id=match_id, content=content)
        review = _append_step(session, ctx, MatchReview(match_id=match_id, step="approve", reason=reason.strip(),
                                                        by_user_id=by.id or 0, signature_id=signature.id))
        if proposal.step == "propose_confirm":
            assert ctx.missing_person is not None
            created = identification.identify(session=session, match=ctx.match, remains=ctx.remains,
                                              missing_person=ctx.missing_person, by=by)
    return Approval(review, created)


def send_back(*, session: Session, match_id: int, by: User, reason: str) -> MatchReview:
    """Second analyst: send the proposal back for another look (the match is open again)."""
    reason = require_reason(reason, msg("send the proposal back"))
    with write(session, actor=by, reason=f"match {match_id}: proposal sent back"):
        ctx = _locked(session, match_id)
        proposal = ctx.proposal
        if proposal is None:
            raise Conflict(msg("match %(match)s is %(status)s: there is no proposal to send back", match=match_id,
                               status=term(ctx.status)))
        if proposal.by_user_id == by.id:
            raise PermissionDenied(msg("You proposed this decision: a second, different analyst must review it."))
        review = _append_step(session, ctx, MatchReview(match_id=match_id, step="send_back", reason=reason,
                                                        by_user_id=by.id or 0))
        person = ctx.missing_person
        if person is not None and person.status == "provisionally_matched" and proposal.step == "propose_confirm":
            person.status = "missing"
            session.add(person)
    return review


def history(session: Session, match_id: int) -> list[MatchEvidence]:
    """Every distinct computation of the candidate, newest first."""
    return list(session.exec(select(MatchEvidence).where(MatchEvidence.match_id == match_id)
                             .order_by(MatchEvidence.id.desc())))  # type: ignore[union-attr]


def is_confirmed(ctx: MatchContext) -> bool:
    return ctx.status == CONFIRMED


def sites(session: Session) -> list[Site]:
    return list(session.exec(select(Site).order_by(Site.code)))


def user_names(session: Session, user_ids: list[int]) -> dict[int, str]:
    return {uid: (u.full_name if (u := session.get(User, uid)) else f"user {uid}") for uid in set(user_ids)}


def identification_of_match(session: Session, match_id: int) -> Identification | None:
    return identification.active_for_match(session, match_id)
