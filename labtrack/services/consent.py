"""Donor consent: append-only grants and withdrawals.

A withdrawal is a new record referencing the grant it withdraws (never an edit or a delete), so
the audit trail stays whole. A donor whose every grant is withdrawn (or who has none) has no
active consent: their reference profiles are left out of every search from then on
(``labtrack.services.search_input``).
"""

from __future__ import annotations

from datetime import date

from sqlmodel import Session, select

from labtrack.core.errors import Conflict, NotFound
from labtrack.core.messages import msg
from labtrack.models import ConsentRecord, Donor, User
from labtrack.services.transaction import write


def grant(*, session: Session, donor_id: int, by: User, identification_only: bool = True,
          retention_years: int | None = None, contact_for_results: bool = True,
          given_on: date | None = None, collected_by: str = "", note: str = "") -> ConsentRecord:
    if session.get(Donor, donor_id) is None:
        raise NotFound(msg("No donor #%(id)s.", id=donor_id))
    with write(session, actor=by, reason="consent recorded"):
        record = ConsentRecord(donor_id=donor_id, kind="grant", identification_only=identification_only,
                               retention_years=retention_years, contact_for_results=contact_for_results,
                               given_on=given_on, collected_by=collected_by, note=note,
                               recorded_by_id=by.id or 0)
        session.add(record)
    return record


def withdraw(*, session: Session, grant_id: int, by: User, note: str = "",
             given_on: date | None = None) -> ConsentRecord:
    """Record the withdrawal of the grant ``grant_id`` (a new record; the grant stays)."""
    granted = session.get(ConsentRecord, grant_id)
    if granted is None or granted.kind != "grant":
        raise NotFound(msg("No consent grant #%(id)s.", id=grant_id))
    if session.exec(select(ConsentRecord).where(ConsentRecord.withdraws_id == grant_id)).first():
        raise Conflict(msg("Consent grant #%(id)s was withdrawn already.", id=grant_id))
    with write(session, actor=by, reason=f"consent #{grant_id} withdrawn"):
        record = ConsentRecord(donor_id=granted.donor_id, kind="withdrawal", withdraws_id=grant_id,
                               identification_only=granted.identification_only,
                               retention_years=granted.retention_years,
                               contact_for_results=granted.contact_for_results,
                               given_on=given_on or date.today(), note=note,
                               recorded_by_id=by.id or 0)
        session.add(record)
    return record


def records(session: Session, donor_id: int) -> list[ConsentRecord]:
    return list(session.exec(select(ConsentRecord).where(ConsentRecord.donor_id == donor_id)
                             .order_by(ConsentRecord.id)))  # type: ignore[arg-type]


def consenting_donor_ids(session: Session) -> set[int]:
    """Donors with at least one grant that has not been withdrawn."""
    rows = session.exec(select(ConsentRecord.id, ConsentRecord.donor_id, ConsentRecord.kind,
                               ConsentRecord.withdraws_id)).all()
    withdrawn = {withdraws for _, _, kind, withdraws in rows if kind == "withdrawal"}
    return {donor for record_id, donor, kind, _ in rows if kind == "grant" and record_id not in withdrawn}


def has_consent(session: Session, donor_id: int) -> bool:
    return donor_id in consenting_donor_ids(session)
