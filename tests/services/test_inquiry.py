"""Inquiry codes and the family's page, service side: codes stored as hashes only, re-issue and
revocation, the same answer and the same work for every wrong code, lockouts, every access in the
audit log, milestones, and changes that wait for a coordinator."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import event, text
from sqlmodel import Session, col, select

from labtrack.core import inquiry_codes as core
from labtrack.core.errors import Conflict, ValidationFailed
from labtrack.models import (
    AuditEntry,
    Identification,
    InquiryAccess,
    InquiryChangeRequest,
    InquiryCode,
    MissingPerson,
    metadata,
)
from labtrack.services import (
    consent,
    donors,
    inquiry_access,
    inquiry_codes,
    inquiry_requests,
    inquiry_status,
    missing_persons,
)
from labtrack.services.inquiry_access import LockoutPolicy
from labtrack.services.transaction import write
from tests.inquiry_factories import HASHER, make_case
from tests.review_factories import make_remains, make_site


@pytest.fixture
def coordinator(users: dict):
    return users["coordinator"].user


@pytest.fixture
def case(db: Session, coordinator):
    return make_case(db, coordinator, 1)


def _issue(db: Session, coordinator, case, reason: str = "") -> tuple[InquiryCode, core.InquiryCode]:
    return inquiry_codes.issue(session=db, by=coordinator, hasher=HASHER, missing_person_id=case.person.id,
                               reason=reason)


DEFAULT_POLICY = LockoutPolicy()


def _check(db: Session, typed: str, client: str = "198.51.100.7", policy: LockoutPolicy = DEFAULT_POLICY):
    return inquiry_access.check_code(session=db, typed=typed, client=client, hasher=HASHER, policy=policy)


def _all_stored_text(db: Session) -> str:
    chunks = []
    for table in metadata.sorted_tables:
        for row in db.exec(text(f"SELECT * FROM {table.name}")).all():  # type: ignore[call-overload]
            chunks.append(" ".join(str(value) for value in row))
    return "\n".join(chunks)


def test_only_a_hash_of_the_secret_is_stored(db: Session, coordinator, case) -> None:
    row, code = _issue(db, coordinator, case)
    assert row.reference == code.reference and row.status == "active"
    assert HASHER.verify(code.reference, code.secret, row.secret_hash)
    stored = _all_stored_text(db)
    assert code.secret not in stored and code.text not in stored and code.display not in stored
    assert row.secret_hash not in stored.split("inquiry_code", 1)[0]  # the audit log redacts the hash
    entry = db.exec(select(AuditEntry).where(AuditEntry.entity_type == "inquiry_code")).one()
    # the log keeps a keyed digest of the hash (so a swapped hash is caught), never the hash itself
    assert re.search(r'"secret_hash":"\*\*\*[0-9a-f]{16}"', entry.after_json) and entry.actor == coordinator.username
    assert row.secret_hash not in entry.after_json


def test_reissue_needs_a_reason_and_the_old_code_stops_working(db: Session, coordinator, case) -> None:
    old, old_code = _issue(db, coordinator, case)
    with pytest.raises(ValidationFailed):
        _issue(db, coordinator, case)
    new, new_code = _issue(db, coordinator, case, reason="receipt lost")
    db.refresh(old)
    assert (old.status, old.replaced_by_id, old.end_reason, old.ended_by_id) == ("replaced", new.id, "receipt lost",
                                                                                 coordinator.id)
    assert new_code.reference != old_code.reference
    assert _check(db, old_code.display).outcome == "wrong"
    assert _check(db, new_code.display).accepted


def test_revoke_needs_a_reason_and_the_code_stops_working(db: Session, coordinator, case) -> None:
    row, code = _issue(db, coordinator, case)
    with pytest.raises(ValidationFailed):
        inquiry_codes.revoke(session=db, code_id=row.id, by=coordinator, reason=" ")
    inquiry_codes.revoke(session=db, code_id=row.id, by=coordinator, reason="family asked to stop")
    assert _check(db, code.display).outcome == "wrong"
    with pytest.raises(Conflict, match="revoked already"):
        inquiry_codes.revoke(session=db, code_id=row.id, by=coordinator, reason="again")
    panel = inquiry_codes.panel(db, missing_person_id=case.person.id)
    assert panel.active is None and [c.status for c in panel.ended] == ["revoked"]


def test_every_attempt_is_recorded_and_audited(db: Session, coordinator, case) -> None:
    row, code = _issue(db, coordinator, case)
    wrong_secret = core.InquiryCode(code.reference, "".join(reversed(code.secret)))
    answers = [_check(db, code.display.lower()), _check(db, wrong_secret.display), _check(db, "K7MX-F3A9")]
    assert [a.outcome for a in answers] == ["accepted", "wrong", "malformed"]
    assert answers[0].code_id == row.id and answers[2].problem == core.LENGTH
    accesses = db.exec(select(InquiryAccess).order_by(col(InquiryAccess.id))).all()
    assert [(a.outcome, a.inquiry_code_id) for a in accesses] == [("accepted", row.id), ("wrong", row.id),
                                                                   ("malformed", None)]
    assert len({a.client for a in accesses}) == 1 and "198.51" not in accesses[0].client
    audit = db.exec(select(AuditEntry).where(AuditEntry.entity_type == "inquiry_access")).all()
    assert len(audit) == 3 and {a.actor for a in audit} == {"family inquiry page"}
    assert [a.reason for a in audit] == [f"inquiry code entered: {o}" for o in ("accepted", "wrong", "malformed")]
    db.refresh(row)
    assert row.last_used_at is not None


class CountingHasher(core.SecretHasher):
    runs = 0

    def _derive(self, message: bytes, salt: bytes, n: int, r: int, p: int) -> bytes:
        type(self).runs += 1
        return super()._derive(message, salt, n, r, p)


def test_unknown_and_known_codes_get_the_same_answer_after_the_same_work(app, db: Session, coordinator, case) -> None:
    from labtrack.db import get_engine

    hasher = CountingHasher(HASHER.key, n=16)
    _ = hasher.decoy
    row, code = inquiry_codes.issue(session=db, by=coordinator, hasher=hasher, missing_person_id=case.person.id)
    other = make_case(db, coordinator, 2)
    revoked, revoked_code = inquiry_codes.issue(session=db, by=coordinator, hasher=hasher,
                                                missing_person_id=other.person.id)
    inquiry_codes.revoke(session=db, code_id=revoked.id, by=coordinator, reason="test")
    unknown = core.new_code()
    assert db.exec(select(InquiryCode).where(InquiryCode.reference == unknown.reference)).first() is None
    wrong_secret = core.InquiryCode(code.reference, unknown.secret)
    statements: list[str] = []
    engine = get_engine(app)

    def count(_conn, _cursor, statement, *_args) -> None:  # noqa: ANN001
        statements.append(statement)  # the SQL text; parameters are bound apart

    observed = []
    event.listen(engine, "before_cursor_execute", count)
    try:
        for typed in (unknown.display, wrong_secret.display, revoked_code.display):
            db.rollback()  # each attempt starts like a request: no transaction open
            statements.clear()
            CountingHasher.runs = 0
            answer = inquiry_access.check_code(session=db, typed=typed, client="203.0.113.9", hasher=hasher)
            observed.append((answer, CountingHasher.runs, list(statements)))
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert [a for a, _, _ in observed] == [inquiry_access.Access("wrong")] * 3
    assert [runs for _, runs, _ in observed] == [1, 1, 1]  # one scrypt run each, the decoy for the unknown one
    assert observed[0][2] == observed[1][2] == observed[2][2]  # the same statements, in the same order


def test_lockout_per_code_holds_for_known_and_unknown_references(db: Session, coordinator, case) -> None:
    _row, code = _issue(db, coordinator, case)
    unknown = core.new_code()
    policy = LockoutPolicy(per_code=3, code_window=timedelta(minutes=15), per_client=100)
    for reference in (code.reference, unknown.reference):
        for n in range(3):
            guess = core.InquiryCode(reference, core.new_code().secret)
            assert _check(db, guess.display, client=f"192.0.2.{n}", policy=policy).outcome == "wrong"
    assert _check(db, code.display, client="192.0.2.50", policy=policy).outcome == "locked"  # even the right code
    assert _check(db, unknown.display, client="192.0.2.51", policy=policy).outcome == "locked"
    later = LockoutPolicy(per_code=3, code_window=timedelta(0), per_client=100)  # the failures left the window
    assert _check(db, code.display, client="192.0.2.52", policy=later).accepted
    locked = db.exec(select(InquiryAccess).where(InquiryAccess.outcome == "locked")).all()
    assert len(locked) == 2 and {a.reference for a in locked} == {code.reference, unknown.reference}


def test_lockout_per_client(db: Session, coordinator, case) -> None:
    _row, code = _issue(db, coordinator, case)
    policy = LockoutPolicy(per_code=100, per_client=3)
    for typed in ("nonsense", "K7MX", core.new_code().display):
        assert _check(db, typed, client="198.51.100.1", policy=policy).outcome in ("malformed", "wrong")
    assert _check(db, code.display, client="198.51.100.1", policy=policy).outcome == "locked"
    assert _check(db, code.display, client="198.51.100.2", policy=policy).accepted  # another client


def test_very_long_input_is_refused_calmly_and_recorded(db: Session) -> None:
    answer = _check(db, "A" * 100_000)
    assert (answer.outcome, answer.problem) == ("malformed", core.TOO_LONG)
    assert db.exec(select(InquiryAccess)).one().outcome == "malformed"


def test_access_rows_are_append_only(db: Session) -> None:
    _check(db, "nonsense")
    with pytest.raises(Conflict, match="append-only"):
        with write(db, actor="test", reason="tamper"):
            db.exec(text("UPDATE inquiry_access SET outcome = 'accepted'"))  # type: ignore[call-overload]


def test_milestones_follow_the_case(db: Session, coordinator) -> None:
    untyped = make_case(db, coordinator, 3, typed=False)
    view = inquiry_status.case_milestones(db, untyped.person)
    assert (view.references.received, view.references.typed, view.searching, view.contact_coordinator,
            view.closed) == (1, 0, False, False, False)
    typed = make_case(db, coordinator, 4)
    view = inquiry_status.case_milestones(db, typed.person)
    assert (view.references.received, view.references.typed, view.searching) == (1, 1, True)
    grant = consent.records(db, typed.donor.id)[0]
    consent.withdraw(session=db, grant_id=grant.id, by=coordinator, note="phone call")
    assert inquiry_status.case_milestones(db, typed.person).searching is False  # left out of searches
    site = make_site(db)
    remains = make_remains(db, site)
    with write(db, actor="test-setup", reason="identified"):
        db.add(Identification(remains_id=remains.id, missing_person_id=typed.person.id,
                              approved_by_id=coordinator.id))
    assert inquiry_status.case_milestones(db, typed.person).contact_coordinator is True
    assert inquiry_status.case_milestones(db, untyped.person).contact_coordinator is False  # not another case's
    missing_persons.set_case_status(session=db, person_id=untyped.person.id, status="closed", by=coordinator,
                                    reason="family asked to stop")
    assert inquiry_status.case_milestones(db, db.get(MissingPerson, untyped.person.id)).closed is True


def test_a_donor_code_shows_own_samples_and_own_cases_only(db: Session, coordinator) -> None:
    mine = make_case(db, coordinator, 5)
    make_case(db, coordinator, 6)
    donors.add_reference_sample(session=db, donor_id=mine.donor.id, by=coordinator)
    row, _code = inquiry_codes.issue(session=db, by=coordinator, hasher=HASHER, donor_id=mine.donor.id)
    view = inquiry_status.family_view(db, row)
    assert view.kind == "donor" and (view.own_samples.received, view.own_samples.typed) == (2, 1)
    assert [c.case_number for c in view.cases] == ["MP-INQ-005"]
    assert view.coordinator == coordinator.full_name


def test_changes_wait_for_a_coordinator(db: Session, coordinator, case) -> None:
    row, _code = _issue(db, coordinator, case)
    created = inquiry_requests.submit(session=db, code=row, changes={
        "contact_phone": "٠٩٣٣ ٤٤٤ ٥٥٥", "contact_name": "", "notify_preference": "once_at_end"})
    assert [(r.detail, r.new_value, r.status) for r in created] == [
        ("contact_phone", "0933 444 555", "pending"), ("notify_preference", "once_at_end", "pending")]
    person = db.get(MissingPerson, case.person.id)
    db.refresh(person)
    assert person.contact_phone == "+963 944 001 111" and person.notify_preference == "each_time"  # not applied
    newer = inquiry_requests.submit(session=db, code=row, changes={"contact_phone": "+963 933 444 666"})
    db.refresh(created[0])
    assert created[0].status == "superseded"
    inquiry_requests.confirm(session=db, request_id=newer[0].id, by=coordinator)
    inquiry_requests.confirm(session=db, request_id=created[1].id, by=coordinator)
    db.refresh(person)
    assert (person.contact_phone, person.notify_preference) == ("+963 933 444 666", "once_at_end")
    change = db.exec(select(AuditEntry).where(AuditEntry.entity_type == "missing_person",
                                              AuditEntry.reason.contains("family request"))).all()
    assert any('"contact_phone":"+963 944 001 111"' in e.before_json and '"+963 933 444 666"' in e.after_json
               for e in change)
    with pytest.raises(Conflict, match="confirmed already"):
        inquiry_requests.confirm(session=db, request_id=newer[0].id, by=coordinator)


def test_declined_changes_are_not_applied(db: Session, coordinator, case) -> None:
    row, _code = _issue(db, coordinator, case)
    request = inquiry_requests.submit(session=db, code=row, changes={"contact_name": "Someone else"})[0]
    with pytest.raises(ValidationFailed):
        inquiry_requests.reject(session=db, request_id=request.id, by=coordinator, reason="")
    inquiry_requests.reject(session=db, request_id=request.id, by=coordinator, reason="called: a mistake")
    db.refresh(request)
    assert (request.status, request.decision_note) == ("rejected", "called: a mistake")
    assert db.get(MissingPerson, case.person.id).contact_name == "Hanan 1"


def test_bad_changes_are_refused_with_the_field(db: Session, coordinator, case) -> None:
    row, _code = _issue(db, coordinator, case)
    with pytest.raises(ValidationFailed) as error:
        inquiry_requests.submit(session=db, code=row, changes={"contact_phone": "call me", "phone": "0933 444 555",
                                                               "notify_preference": "weekly"})
    assert sorted(p.field for p in error.value.problems) == ["contact_phone", "notify_preference", "phone"]
    assert db.exec(select(InquiryChangeRequest)).all() == []
    inquiry_codes.revoke(session=db, code_id=row.id, by=coordinator, reason="lost")
    db.refresh(row)
    with pytest.raises(Conflict):
        inquiry_requests.submit(session=db, code=row, changes={"contact_name": "x"})


def test_donor_changes_apply_to_the_donor(db: Session, coordinator, case) -> None:
    row, _code = inquiry_codes.issue(session=db, by=coordinator, hasher=HASHER, donor_id=case.donor.id)
    request = inquiry_requests.submit(session=db, code=row, changes={"phone": "+963 955 000 999",
                                                                     "address": "Douma,\n  near the school"})
    assert [r.new_value for r in request] == ["+963 955 000 999", "Douma,\nnear the school"]
    for r in request:
        inquiry_requests.confirm(session=db, request_id=r.id, by=coordinator)
    donor = donors.get_donor(db, case.donor.id)
    db.refresh(donor)
    assert (donor.phone, donor.address) == ("+963 955 000 999", "Douma,\nnear the school")
    page = inquiry_requests.pending(db)
    assert page.total == 0 and page.lines == []


def test_panel_lists_accesses_and_pending_changes(db: Session, coordinator, case) -> None:
    row, code = _issue(db, coordinator, case)
    _check(db, code.display)
    _check(db, core.InquiryCode(code.reference, core.new_code().secret).display)
    inquiry_requests.submit(session=db, code=row, changes={"contact_name": "Hanan (aunt)"})
    panel = inquiry_codes.panel(db, missing_person_id=case.person.id, accesses=1)
    assert panel.active.id == row.id and panel.accepted == 1 and panel.failed_24h == 1
    assert panel.access_total == 2 and [a.outcome for a in panel.accesses] == ["wrong"]
    assert [(p.detail, p.new_value) for p in panel.pending] == [("contact_name", "Hanan (aunt)")]
    pending = inquiry_requests.pending(db)
    assert pending.total == 1 and pending.lines[0].label == "MP-INQ-001"


def test_receipt_check_accepts_only_the_active_code(db: Session, coordinator, case) -> None:
    row, code = _issue(db, coordinator, case)
    assert inquiry_codes.check_for_receipt(session=db, code_id=row.id, typed=code.display, hasher=HASHER) == code
    with pytest.raises(ValidationFailed):
        inquiry_codes.check_for_receipt(session=db, code_id=row.id, typed="nonsense", hasher=HASHER)
    with pytest.raises(Conflict):
        inquiry_codes.check_for_receipt(session=db, code_id=row.id, typed=core.new_code().display, hasher=HASHER)
    inquiry_codes.record_receipt(session=db, code_id=row.id, by=coordinator)
    entry = db.exec(select(AuditEntry).where(AuditEntry.action == "print_receipt")).one()
    assert entry.entity_id == str(row.id) and code.secret not in entry.after_json
