"""Four-eyes review: proposals, approvals, refusals, identification, commingled remains."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from labtrack.core.errors import AuthenticationFailed, Conflict, PermissionDenied, ValidationFailed
from labtrack.models import Identification, Individual, MatchReview, MissingPerson, Remains, Signature
from labtrack.services import review, signatures
from tests import factories
from tests.factories import PASSWORD
from tests.review_factories import make_candidate, make_family, make_match, make_remains


@pytest.fixture
def analysts(db: Session) -> tuple[factories.UserWithPassword, factories.UserWithPassword]:
    return factories.make_user(db, "analyst", "ana1"), factories.make_user(db, "analyst", "ana2")


def _propose(db: Session, match_id: int, who: factories.UserWithPassword, decision: str = "confirm") -> None:
    review.propose(session=db, match_id=match_id, by=who.user, decision=decision, reason="all loci consistent",
                   password=PASSWORD)


def test_confirm_then_approve_identifies_and_signs(db: Session, analysts) -> None:
    first, second = analysts
    c = make_candidate(db, first.user)
    _propose(db, c.match.id, first)
    assert review.load(db, c.match.id).status == "proposed_confirm"
    approval = review.approve(session=db, match_id=c.match.id, by=second.user, password=PASSWORD)
    ctx = review.load(db, c.match.id)
    assert ctx.status == "confirmed"
    ident = approval.identification
    assert ident is not None and ident.remains_id == c.remains.id
    assert db.get(MissingPerson, c.family.missing_person.id).status == "identified"
    remains = db.get(Remains, c.remains.id)
    individual = db.get(Individual, remains.individual_id)
    assert individual.missing_person_id == c.family.missing_person.id
    sigs = db.exec(select(Signature).order_by(Signature.id)).all()
    assert [(s.meaning, s.user_id) for s in sigs] == [("reviewed", first.id), ("approved", second.id)]
    expected = signatures.content_sha256(review.evidence(ctx) | {
        "step": "approve", "proposal": "propose_confirm", "proposal_id": ctx.reviews[0].id, "reason": ""})
    assert sigs[1].content_sha256 == expected
    assert ctx.reviews[1].signature_id == sigs[1].id


def test_approving_own_proposal_is_refused(db: Session, analysts) -> None:
    first, _ = analysts
    c = make_candidate(db, first.user)
    _propose(db, c.match.id, first)
    with pytest.raises(PermissionDenied, match="second, different analyst"):
        review.approve(session=db, match_id=c.match.id, by=first.user, password=PASSWORD)
    assert review.load(db, c.match.id).status == "proposed_confirm"
    assert db.exec(select(Identification)).all() == []


def test_wrong_password_signs_nothing(db: Session, analysts) -> None:
    first, second = analysts
    c = make_candidate(db, first.user)
    with pytest.raises(AuthenticationFailed, match="password is not correct"):
        review.propose(session=db, match_id=c.match.id, by=first.user, decision="confirm", reason="ok",
                       password="wrong password")
    assert db.exec(select(MatchReview)).all() == [] and db.exec(select(Signature)).all() == []
    _propose(db, c.match.id, first)
    with pytest.raises(AuthenticationFailed):
        review.approve(session=db, match_id=c.match.id, by=second.user, password="nope")
    assert len(db.exec(select(Signature)).all()) == 1
    assert db.exec(select(Identification)).all() == []
    assert db.get(MissingPerson, c.family.missing_person.id).status == "provisionally_matched"  # not identified


def test_below_threshold_cannot_be_confirmed(db: Session, analysts) -> None:
    first, _ = analysts
    c = make_candidate(db, first.user, log10_lr=3.0, posterior=0.99)
    with pytest.raises(Conflict, match="below the identification threshold"):
        _propose(db, c.match.id, first)
    _propose(db, c.match.id, first, decision="reject")  # rejecting is always possible
    assert review.load(db, c.match.id).status == "proposed_reject"


def test_threshold_is_configurable(db: Session, analysts) -> None:
    first, _ = analysts
    c = make_candidate(db, first.user, log10_lr=3.0, posterior=0.99)
    review.propose(session=db, match_id=c.match.id, by=first.user, decision="confirm", reason="ok",
                   password=PASSWORD, threshold=0.98)
    assert review.load(db, c.match.id).status == "proposed_confirm"


def test_reason_is_required(db: Session, analysts) -> None:
    first, _ = analysts
    c = make_candidate(db, first.user)
    with pytest.raises(ValidationFailed) as info:
        review.propose(session=db, match_id=c.match.id, by=first.user, decision="reject", reason="  ",
                       password=PASSWORD)
    assert info.value.problems[0].field == "reason"


def test_competing_candidate_must_be_rejected_first(db: Session, analysts) -> None:
    first, second = analysts
    c = make_candidate(db, first.user)
    other_family = make_family(db, name_ar="يوسف عمر", name_latin="Yusuf Omar")
    rival = make_match(db, run=c.run, remains=c.remains, family=other_family, log10_lr=5.0, posterior=0.99)
    assert {r.match_id: r.competing for r in review.queue(db)} == {c.match.id: 1, rival.id: 1}
    _propose(db, c.match.id, first)
    with pytest.raises(Conflict, match=f"match {rival.id}.*same remains, another family"):
        review.approve(session=db, match_id=c.match.id, by=second.user, password=PASSWORD)
    assert db.exec(select(Identification)).all() == []
    assert db.exec(select(Signature).where(Signature.meaning == "approved")).all() == []
    _propose(db, rival.id, first, decision="reject")
    review.approve(session=db, match_id=rival.id, by=second.user, password=PASSWORD)
    assert review.load(db, rival.id).status == "rejected"
    assert review.approve(session=db, match_id=c.match.id, by=second.user, password=PASSWORD).identification


def test_send_back_reopens(db: Session, analysts) -> None:
    first, second = analysts
    c = make_candidate(db, first.user)
    _propose(db, c.match.id, first)
    with pytest.raises(PermissionDenied):
        review.send_back(session=db, match_id=c.match.id, by=first.user, reason="check TH01")
    review.send_back(session=db, match_id=c.match.id, by=second.user, reason="check TH01")
    assert review.load(db, c.match.id).status == "open"
    with pytest.raises(Conflict, match="no proposal to approve"):
        review.approve(session=db, match_id=c.match.id, by=second.user, password=PASSWORD)


def test_commingled_parts_become_one_individual(db: Session, analysts) -> None:
    first, second = analysts
    c = make_candidate(db, first.user)
    part = make_remains(db, c.site, remains_type="isolated_part", est_sex="U", est_stature_cm=None)
    second_match = make_match(db, run=c.run, remains=part, family=c.family)
    # the part's match competes while it is merely open ...
    _propose(db, c.match.id, first)
    with pytest.raises(Conflict, match="same missing person, other remains"):
        review.approve(session=db, match_id=c.match.id, by=second.user, password=PASSWORD)
    # ... but not once it is proposed for confirmation too: the two are parts of one individual
    _propose(db, second_match.id, first)
    review.approve(session=db, match_id=c.match.id, by=second.user, password=PASSWORD)
    review.approve(session=db, match_id=second_match.id, by=second.user, password=PASSWORD)
    first_remains, part_remains = db.get(Remains, c.remains.id), db.get(Remains, part.id)
    assert first_remains.individual_id == part_remains.individual_id is not None
    assert len(db.exec(select(Individual)).all()) == 1
    assert len(db.exec(select(Identification)).all()) == 2


def test_queue_orders_and_filters(db: Session, analysts) -> None:
    first, _ = analysts
    c = make_candidate(db, first.user)
    weak = make_match(db, run=c.run, remains=make_remains(db, c.site), family=c.family, log10_lr=2.5,
                      posterior=0.5)
    rows = review.queue(db)
    assert [r.match_id for r in rows] == [c.match.id, weak.id]
    assert [r.match_id for r in review.queue(db, strength="moderate")] == [weak.id]
    _propose(db, c.match.id, first)
    assert [r.match_id for r in review.queue(db, status="open")] == [weak.id]
    assert review.queue(db, site_id=c.site.id + 100) == []


def test_two_approvers_at_once_identify_only_once(app, db: Session, analysts) -> None:
    import threading

    from labtrack.db import get_engine

    first, second = analysts
    third = factories.make_user(db, "analyst", "ana3")
    c = make_candidate(db, first.user)
    _propose(db, c.match.id, first)
    outcomes: list[str] = []
    barrier = threading.Barrier(2, timeout=30)
    match_id, user_type = c.match.id, type(second.user)

    def approve_as(user_id: int) -> None:
        try:
            with Session(get_engine(app), expire_on_commit=False) as own:
                me = own.get(user_type, user_id)
                barrier.wait()
                review.approve(session=own, match_id=match_id, by=me, password=PASSWORD)
                outcomes.append("approved")
        except Conflict as error:
            outcomes.append(f"refused: {error.message}")
        except Exception as error:  # noqa: BLE001 - reported by the assertion below
            outcomes.append(f"error: {error!r}")

    threads = [threading.Thread(target=approve_as, args=(u.id,)) for u in (second, third)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes)[0] == "approved" and sorted(outcomes)[1].startswith("refused")
    db.rollback()
    assert len(db.exec(select(Identification)).all()) == 1
    assert [r.step for r in db.exec(select(MatchReview).order_by(MatchReview.id))] == ["propose_confirm", "approve"]


def test_unreadable_per_locus_evidence_blocks_confirmation(db: Session, analysts) -> None:
    from labtrack.models import Match
    from labtrack.services.transaction import write

    first, _ = analysts
    c = make_candidate(db, first.user)
    other = make_family(db)
    with write(db, actor="t"):
        bad = Match(run_id=c.run.id, profile_id=c.match.profile_id, family_id=other.family.id,
                    sample_id=c.match.sample_id,
                    log10_lr=9.0, posterior=0.99999, prior=0.001, per_locus_json='[{"marker": "FGA"}]')
        db.add(bad)
    ctx = review.load(db, bad.id)
    assert "locus 1 (FGA): 'remains' must be a list" in ctx.loci_error
    with pytest.raises(Conflict, match="per-locus evidence .* is unreadable"):
        _propose(db, bad.id, first)


def test_proposal_marks_the_person_provisionally_matched_and_send_back_reverts(db: Session, analysts) -> None:
    first, second = analysts
    c = make_candidate(db, first.user)
    person_id = c.family.missing_person.id
    _propose(db, c.match.id, first)
    assert db.get(MissingPerson, person_id).status == "provisionally_matched"
    review.send_back(session=db, match_id=c.match.id, by=second.user, reason="check D8 again")
    assert db.get(MissingPerson, person_id).status == "missing"
    _propose(db, c.match.id, first)
    review.approve(session=db, match_id=c.match.id, by=second.user, password=PASSWORD)
    assert db.get(MissingPerson, person_id).status == "identified"


def test_competitors_of_both_kinds_at_once(db: Session, analysts) -> None:
    """The rivals of a candidate are found through the remains and through the missing person's
    families together (one set of ids each, united): both kinds at once, an unrelated candidate not."""
    first, _ = analysts
    c = make_candidate(db, first.user)
    other_family = make_family(db, name_ar="يوسف عمر", name_latin="Yusuf Omar")
    same_remains = make_match(db, run=c.run, remains=c.remains, family=other_family, log10_lr=5.0, posterior=0.99)
    part = make_remains(db, c.site, remains_type="isolated_part", est_sex="U", est_stature_cm=None)
    same_person = make_match(db, run=c.run, remains=part, family=c.family)
    make_match(db, run=c.run, remains=part, family=other_family)  # neither these remains nor this person
    rivals = review.competitors(db, review.load(db, c.match.id))
    assert sorted((r.match_id, r.why) for r in rivals) == sorted(
        [(same_remains.id, "same remains, another family"), (same_person.id, "same missing person, other remains")])
