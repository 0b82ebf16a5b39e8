"""Closed events over the demo data: defined by a coordinator, analysed by the joint DVI as a
worker job (the stored numbers are the pure core's on the same input), identifications proposed
from the analysis and approved by a second analyst (four eyes), all append-only and audited."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from flask import Flask
from sqlalchemy.exc import DatabaseError
from sqlmodel import Session, col, select

from labtrack.core.errors import Conflict, PermissionDenied, ValidationFailed
from labtrack.kinship.dvi import EventLikelihood, joint, pairwise_log_lr
from labtrack.kinship.markers import canonical_marker
from labtrack.models import (
    AuditEntry,
    DviAnalysis,
    DviEventMissing,
    DviEventRemains,
    DviProposal,
    DviReview,
    Identification,
    Job,
    MissingPerson,
    Remains,
    User,
)
from labtrack.services import demo, dvi_events, dvi_review
from labtrack.services.dvi_input import event_input
from labtrack.services.search_input import searchable_genotypes
from labtrack.services.worker import run_inline
from tests import factories

CASES = ["MP-2025-0001", "MP-2025-0002", "MP-2025-0003", "MP-2025-0004"]


@pytest.fixture
def demo_db(db: Session) -> Session:
    demo.load_demo(db)
    return db


def _user(db: Session, role: str) -> User:
    user = db.exec(select(User).where(User.role == role)).first()
    assert user is not None
    return user


def _event(app: Flask, db: Session) -> int:
    coordinator = _user(db, "coordinator")
    event = dvi_events.create_event(db, code="GRAVE-1", name="Grave one", kind="grave", description="", by=coordinator)
    added = dvi_events.add_members(db, event_id=event.id or 0, site_code="QTF",
                                   remains=f"{_acc(db, 'NJH-00001')} {_acc(db, 'NJH-00002')}",
                                   case_numbers=" ".join(CASES), by=coordinator)
    assert added[1] == 4
    return event.id or 0


def _remains(db: Session, prefix: str) -> Remains:
    """The demo remains whose accession starts with `prefix` (e.g. QTF-00001; check characters follow)."""
    return db.exec(select(Remains).where(col(Remains.accession).startswith(prefix + "-"))).one()


def _acc(db: Session, prefix: str) -> str:
    return _remains(db, prefix).accession


def _person(db: Session, case: str) -> MissingPerson:
    return db.exec(select(MissingPerson).where(MissingPerson.case_number == case)).one()


def test_event_members_all_or_nothing(app: Flask, demo_db: Session) -> None:
    event_id = _event(app, demo_db)
    rows = demo_db.exec(select(DviEventRemains).where(DviEventRemains.event_id == event_id)).all()
    site_remains = demo_db.exec(select(Remains)).all()
    assert len(rows) == len(site_remains)  # QTF's four and the two of NJH named
    with pytest.raises(ValidationFailed) as caught:
        dvi_events.add_members(demo_db, event_id=event_id, remains="NOPE-1", case_numbers="MP-0000",
                               by=_user(demo_db, "coordinator"))
    assert {p.message for p in caught.value.problems} == {"no remains NOPE-1",
                                                          "no missing person with case number MP-0000"}
    assert len(demo_db.exec(select(DviEventMissing).where(DviEventMissing.event_id == event_id)).all()) == 4
    with pytest.raises(Conflict):
        dvi_events.create_event(demo_db, code="GRAVE-1", name="", kind="grave", description="",
                                by=_user(demo_db, "coordinator"))
    # every change is in the audit log
    audited = set(demo_db.exec(select(AuditEntry.entity_type)).all())
    assert {"dvi_event", "dvi_event_remains", "dvi_event_missing"} <= audited


def test_analysis_job_stores_what_the_core_computes(app: Flask, demo_db: Session) -> None:
    event_id = _event(app, demo_db)
    event = dvi_events.get_event(demo_db, event_id)
    job = dvi_events.request_analysis(demo_db, event_id=event_id, by=_user(demo_db, "analyst"),
                                config=app.config, app=app)
    demo_db.expire_all()
    job = demo_db.get(Job, job.id)
    assert (job.status, job.error, job.progress) == ("done", "", 1.0)
    analysis = demo_db.exec(select(DviAnalysis).where(DviAnalysis.event_id == event_id)).one()
    result = json.loads(analysis.result_json)
    data = event_input(demo_db, event, app.config)
    assert analysis.input_sha256 == data.sha256
    # QTF-00004 is contamination (not searchable), NJH's second sample has 8 loci: left out or not
    assert _acc(demo_db, "QTF-00004") in result["left_out"]
    # the genotypes are those a match run searches (search_input), read back independently
    frame, _ = searchable_genotypes(demo_db)
    searched: dict[str, dict[str, tuple[str, str]]] = {}
    for sample, marker, a1, a2 in frame.itertuples(index=False):
        searched.setdefault(sample, {})[canonical_marker(marker)] = (a1, a2)
    references = {s for f in data.problem.families for s in f.references.values()}
    assert references and all(data.problem.genotypes[s] == searched[s] for s in references)
    for victim in data.problem.victim_ids:
        assert data.problem.genotypes[victim] in list(searched.values())
    lik = EventLikelihood(data.problem)
    expected = joint(data.problem, lik, top=dvi_events.TOP, max_states=dvi_events.MAX_STATES)
    assert result["method"] == expected.method == "exact"
    assert result["victims"] == list(expected.victims)
    assert [r["loglik"] for r in result["joint"]] == pytest.approx(list(expected.loglik[:dvi_events.TOP]), abs=1e-9)
    np.testing.assert_allclose(np.array(result["pairing"], dtype=float), expected.pairing, rtol=0, atol=1e-12)
    pair = pairwise_log_lr(lik) / math.log(10)
    qtf1 = _acc(demo_db, "QTF-00001")
    row = next(r for r in result["pairwise"] if r["victim"] == qtf1 and r["missing"] == "MP-2025-0001")
    i, j = result["victims"].index(_acc(demo_db, "QTF-00001")), result["missing"].index("MP-2025-0001")
    assert row["log10_lr"] == pytest.approx(pair[i, j], abs=1e-9) and row["log10_lr"] > 6
    assert dvi_events.pairing_probability(result, _acc(demo_db, "QTF-00001"), "MP-2025-0001") > 0.9995
    assert result["thresholds"] == {"lr": 1e4, "lr_second_step": 1e3, "max_incompatible_markers": 2}
    assert {c["conclusion"] for c in result["conclusions"]} & {"Undisputed", "Probable"}
    # the best assignment names the demo's true identities
    best = dict(zip(result["victims"], result["joint"][0]["assignment"], strict=True))
    assert best[_acc(demo_db, "QTF-00001")] == "MP-2025-0001" and best[_acc(demo_db, "NJH-00001")] == "MP-2025-0003"
    assert best[_acc(demo_db, "NJH-00002")] == "*"
    # append-only
    analysis.method = "exact!"
    demo_db.add(analysis)
    with pytest.raises(DatabaseError):
        demo_db.commit()
    demo_db.rollback()


def test_an_event_that_cannot_be_analysed_says_why(app: Flask, demo_db: Session) -> None:
    coordinator = _user(demo_db, "coordinator")
    event = dvi_events.create_event(demo_db, code="LIST-7", name="", kind="prison_list", description="",
                                    by=coordinator)
    with pytest.raises(ValidationFailed) as caught:
        dvi_events.request_analysis(demo_db, event_id=event.id or 0, by=_user(demo_db, "analyst"),
                                config=app.config, app=app)
    assert {p.field for p in caught.value.problems} == {"remains", "missing_persons"}
    assert demo_db.exec(select(Job).where(Job.kind == dvi_events.JOB_KIND)).first() is None


def test_four_eyes_identification_from_the_joint_analysis(app: Flask, demo_db: Session) -> None:
    event_id = _event(app, demo_db)
    dvi_events.request_analysis(demo_db, event_id=event_id, by=_user(demo_db, "analyst"),
                                config=app.config, app=app)
    analysis = dvi_events.latest_analysis(demo_db, event_id)
    assert analysis is not None
    first = factories.make_user(demo_db, "analyst", "dvi-first")
    second = factories.make_user(demo_db, "analyst", "dvi-second")
    remains, person = _remains(demo_db, "QTF-00001"), _person(demo_db, "MP-2025-0001")
    # a pairing below the threshold cannot be proposed
    with pytest.raises(Conflict, match="below the identification threshold|cannot be proposed"):
        dvi_review.propose(session=demo_db, analysis_id=analysis.id or 0, remains_id=remains.id or 0,
                           missing_person_id=_person(demo_db, "MP-2025-0002").id or 0, by=first.user,
                           reason="x", password=first.password, config=app.config)
    proposal = dvi_review.propose(session=demo_db, analysis_id=analysis.id or 0, remains_id=remains.id or 0,
                                  missing_person_id=person.id or 0, by=first.user, reason="joint DVI: undisputed",
                                  password=first.password, config=app.config)
    demo_db.expire_all()
    assert _person(demo_db, "MP-2025-0001").status == "provisionally_matched"
    assert proposal.pairing_probability > 0.9995 and proposal.conclusion
    with pytest.raises(PermissionDenied):
        dvi_review.approve(session=demo_db, proposal_id=proposal.id or 0, by=first.user, password=first.password,
                           config=app.config)
    with pytest.raises(Conflict, match="waiting for its review"):
        dvi_review.propose(session=demo_db, analysis_id=analysis.id or 0, remains_id=remains.id or 0,
                           missing_person_id=person.id or 0, by=second.user, reason="again",
                           password=second.password, config=app.config)
    made = dvi_review.approve(session=demo_db, proposal_id=proposal.id or 0, by=second.user,
                              password=second.password, config=app.config)
    demo_db.expire_all()
    ident = demo_db.get(Identification, made.id)
    assert (ident.remains_id, ident.missing_person_id, ident.match_id) == (remains.id, person.id, None)
    assert ident.posterior == pytest.approx(proposal.pairing_probability)
    assert "closed event GRAVE-1" in ident.basis and ident.approved_by_id == second.id
    review = demo_db.exec(select(DviReview).where(DviReview.proposal_id == proposal.id)).one()
    assert (review.step, review.identification_id) == ("approve", ident.id)
    assert _person(demo_db, "MP-2025-0001").status == "identified"
    with pytest.raises(Conflict, match="already approved"):
        dvi_review.approve(session=demo_db, proposal_id=proposal.id or 0, by=second.user,
                           password=second.password, config=app.config)
    audited = {(e.entity_type, e.action) for e in demo_db.exec(select(AuditEntry).order_by(col(AuditEntry.id)))}
    assert {"dvi_proposal", "dvi_review", "identification", "signature"} <= {t for t, _ in audited}


def test_a_changed_event_must_be_analysed_again(app: Flask, demo_db: Session) -> None:
    event_id = _event(app, demo_db)
    dvi_events.request_analysis(demo_db, event_id=event_id, by=_user(demo_db, "analyst"),
                                config=app.config, app=app)
    analysis = dvi_events.latest_analysis(demo_db, event_id)
    assert analysis is not None
    first = factories.make_user(demo_db, "analyst", "dvi-first")
    njh = _remains(demo_db, "NJH-00002")
    dvi_events.remove_member(demo_db, event_id=event_id, remains_id=njh.id, by=_user(demo_db, "coordinator"))
    with pytest.raises(Conflict, match="changed since analysis"):
        dvi_review.propose(session=demo_db, analysis_id=analysis.id or 0,
                           remains_id=_remains(demo_db, "QTF-00001").id or 0,
                           missing_person_id=_person(demo_db, "MP-2025-0001").id or 0, by=first.user,
                           reason="r", password=first.password, config=app.config)
    assert demo_db.exec(select(DviProposal)).first() is None


def test_send_back_reopens_the_pairing(app: Flask, demo_db: Session) -> None:
    event_id = _event(app, demo_db)
    dvi_events.request_analysis(demo_db, event_id=event_id, by=_user(demo_db, "analyst"),
                                config=app.config, app=app)
    analysis = dvi_events.latest_analysis(demo_db, event_id)
    first = factories.make_user(demo_db, "analyst", "dvi-first")
    second = factories.make_user(demo_db, "analyst", "dvi-second")
    ids = dict(analysis_id=analysis.id or 0, remains_id=_remains(demo_db, "QTF-00001").id or 0,
               missing_person_id=_person(demo_db, "MP-2025-0001").id or 0)
    proposal = dvi_review.propose(session=demo_db, **ids, by=first.user, reason="r", password=first.password,
                                  config=app.config)
    with pytest.raises(PermissionDenied):
        dvi_review.send_back(session=demo_db, proposal_id=proposal.id or 0, by=first.user, reason="mine")
    dvi_review.send_back(session=demo_db, proposal_id=proposal.id or 0, by=second.user, reason="look at NJH")
    demo_db.expire_all()
    assert _person(demo_db, "MP-2025-0001").status == "missing"
    again = dvi_review.propose(session=demo_db, **ids, by=second.user, reason="r2", password=second.password,
                               config=app.config)
    assert again.id != proposal.id
    assert [v.status for v in dvi_review.proposals(demo_db, event_id)] == ["proposed", "sent_back"]


def test_the_worker_path_with_progress(app: Flask, demo_db: Session) -> None:
    """Queued without JOBS_INLINE, run by a worker: progress steps stored, the job ends done."""
    app.config["JOBS_INLINE"] = False
    event_id = _event(app, demo_db)
    job = dvi_events.request_analysis(demo_db, event_id=event_id, by=_user(demo_db, "analyst"), config=app.config,
                                      app=app)
    demo_db.expire_all()
    assert demo_db.get(Job, job.id).status == "queued"
    assert dvi_events.pending(demo_db, event_id) is not None
    demo_db.rollback()
    assert run_inline(app) == 1
    demo_db.expire_all()
    done = demo_db.get(Job, job.id)
    assert (done.status, done.progress) == ("done", 1.0)
    stages = [e for e in demo_db.exec(select(AuditEntry)).all() if "joint DVI progress" in (e.reason or "")]
    assert stages, "progress was stored while the job ran"
    assert dvi_events.latest_analysis(demo_db, event_id).job_id == job.id


def test_an_event_too_large_to_enumerate_says_so_and_cannot_be_proposed_from(
        app: Flask, demo_db: Session, client, login_as, monkeypatch) -> None:  # noqa: ANN001
    """With a cap of one partial assignment every part takes the sequential route: the analysis
    says so (which part, why, the memory bound), has no pairing probabilities, and the page
    and the four-eyes path say that nothing can be proposed from it."""
    monkeypatch.setattr(dvi_events, "MAX_STATES", 1)
    event_id = _event(app, demo_db)
    dvi_events.request_analysis(demo_db, event_id=event_id, by=_user(demo_db, "analyst"),
                                config=app.config, app=app)
    analysis = dvi_events.latest_analysis(demo_db, event_id)
    result = dvi_events.result_of(analysis)
    assert analysis.method == result["method"] == "sequential"
    assert "sequential route was used" in analysis.message and "MiB per part" in analysis.message
    assert result["pairing"] is None and all(r["posterior"] is None for r in result["joint"])
    assert result["joint"][0]["assignment"]  # the one assignment of the sequential route
    first = factories.make_user(demo_db, "analyst", "dvi-first")
    with pytest.raises(Conflict, match="sequential route"):
        dvi_review.propose(session=demo_db, analysis_id=analysis.id or 0,
                           remains_id=_remains(demo_db, "QTF-00001").id or 0,
                           missing_person_id=_person(demo_db, "MP-2025-0001").id or 0, by=first.user,
                           reason="r", password=first.password, config=app.config)
    login_as("analyst")
    page = client.get(f"/events/{event_id}").get_data(as_text=True)
    assert 'id="sequential-route"' in page and "too large to enumerate" in page
    assert 'id="pairing"' not in page
    assert "No pairing of this analysis reaches the identification threshold." in page
    # the route message is kept as a message: said in Arabic on an Arabic page
    kept = result["messages"]["message"]
    assert kept["msg"].startswith("too many joint assignments to enumerate") and "mib" in kept["params"]
    arabic = client.get(f"/events/{event_id}", headers={"Accept-Language": "ar"}).get_data(as_text=True)
    assert "التعيينات المشتركة أكثر من أن تُعدَّد في جزء من الحدث" in arabic and "MiB per part" not in arabic
    api = client.get(f"/api/v1/events/{event_id}/analysis", headers={"Accept-Language": "ar"}).get_json()
    assert api["message"].startswith("التعيينات المشتركة أكثر من أن تُعدَّد")
    english = client.get(f"/api/v1/events/{event_id}/analysis", headers={"Accept-Language": "en"}).get_json()
    assert english["message"] == analysis.message


def test_certificate_and_notification_of_an_identification_from_a_closed_event(app: Flask, demo_db: Session) -> None:
    """An identification made from a closed event is documented like any other: the certificate
    names the event and the analysis as its basis and carries both signatures of its review."""
    from labtrack.services import identification_documents as docs
    from tests.pdf_text import pdf_text

    event_id = _event(app, demo_db)
    dvi_events.request_analysis(demo_db, event_id=event_id, by=_user(demo_db, "analyst"),
                                config=app.config, app=app)
    analysis = dvi_events.latest_analysis(demo_db, event_id)
    first = factories.make_user(demo_db, "analyst", "dvi-first")
    second = factories.make_user(demo_db, "analyst", "dvi-second")
    proposal = dvi_review.propose(session=demo_db, analysis_id=analysis.id or 0,
                                  remains_id=_remains(demo_db, "QTF-00001").id or 0,
                                  missing_person_id=_person(demo_db, "MP-2025-0001").id or 0, by=first.user,
                                  reason="undisputed", password=first.password, config=app.config)
    ident = dvi_review.approve(session=demo_db, proposal_id=proposal.id or 0, by=second.user,
                               password=second.password, config=app.config)
    signed = dvi_review.approval_signatures(demo_db, ident.id or 0)
    assert [(s.meaning, s.user_id) for s in signed] == [("reviewed", first.id), ("approved", second.id)]
    document, pdf = docs.issue_certificate(session=demo_db, identification_id=ident.id or 0, by=second.user)
    text = pdf_text(pdf)
    for expected in (document.number, "أحمد خليل المصري", _acc(demo_db, "QTF-00001"), "MP-2025-0001",
                     "joint DVI of closed event GRAVE-1", f"(analysis {analysis.id})", "reviewed", "approved",
                     signed[0].content_sha256[:16]):
        assert expected in text, expected
    assert "match #" not in text
    coordinator = _user(demo_db, "coordinator")
    note, pdf = docs.issue_notification(session=demo_db, identification_id=ident.id or 0, by=coordinator)
    assert note.number in pdf_text(pdf)


def test_a_queued_analysis_can_be_cancelled(app: Flask, demo_db: Session, client, login_as) -> None:  # noqa: ANN001
    app.config["JOBS_INLINE"] = False
    event_id = _event(app, demo_db)
    job = dvi_events.request_analysis(demo_db, event_id=event_id, by=_user(demo_db, "analyst"),
                                      config=app.config, app=app)
    analyst = login_as("analyst")
    page = client.get(f"/events/{event_id}").get_data(as_text=True)
    assert "The joint analysis is queued: 0 % done" in page and "Cancel the joint analysis" in page
    assert '<meta http-equiv="refresh" content="5">' in page  # the page follows the job by itself
    assert client.post(f"/events/{event_id}/cancel").status_code == 302
    demo_db.rollback()
    cancelled = demo_db.get(Job, job.id)
    assert cancelled.status == "cancelled" and cancelled.cancelled_by_id == analyst.id
    assert run_inline(app) == 0 and dvi_events.latest_analysis(demo_db, event_id) is None
    response = client.post(f"/events/{event_id}/cancel")  # nothing left to cancel: a clear 409
    assert response.status_code == 409 and "no joint analysis" in response.get_data(as_text=True)
    page = client.get(f"/events/{event_id}").get_data(as_text=True)
    assert "The last joint analysis ended cancelled" in page
    assert 'http-equiv="refresh"' not in page
