"""Verification of the audit chain as a worker job, incremental from a verified high-water mark.

Every run is kept (append-only ``audit_verification``, itself audited). A run that verifies
records its mark: the last entry it checked (seq, id, chain hash), signed with the audit key.
The next incremental run starts there: it first checks that the mark's entry still has the
recorded hash (and that its content, key signature and any checkpoint of it agree), then walks
only the entries after it. A full run walks the whole chain from the first entry
(``labtrack audit verify`` does the same on the command line).

What an incremental run can and cannot see:

- it sees any change to the entries after the mark, forged or deleted entries after it, a
  deleted tail (checkpoints beyond the end), and any change to the mark's own entry;
- it sees an edit below the mark when the chain was re-hashed from there on (that changes the
  mark entry's hash);
- it does NOT see an entry below the mark altered, deleted or re-ordered while the hashes of the
  entries at and after the mark were left as they were: those entries are not read. Only a full
  verification sees that, so run one regularly (and after any doubt).

A mark whose key signature does not match is not used: the run reports it (somebody forged or
altered a verification record) instead of trusting it.
"""

from __future__ import annotations

import hmac
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from flask import Flask
from sqlmodel import Session, col, select

from labtrack.core.messages import msg
from labtrack.db import standalone_session
from labtrack.models import AuditVerification, Job, User
from labtrack.services import audit, audit_seal, jobs
from labtrack.services.transaction import write

if TYPE_CHECKING:
    from labtrack.services.worker import JobContext

JOB_KIND = "audit_verify"
ACTOR = "audit verification"
#: Seconds between two stored progress steps (each step is a write, itself audited).
PROGRESS_SECONDS = 2.0


def _mark_mac(seal: audit_seal.Seal | None, seq: int, entry_hash: str) -> str | None:
    return seal.checkpoint_mac(seq, entry_hash) if seal is not None else None


def instance_checkpoints(seal: audit_seal.Seal | None) -> list[audit_seal.Checkpoint]:
    """The checkpoints of the instance's checkpoint file (none without a seal or a file);
    ``CheckpointError`` when a line is not signed with the key."""
    if seal is None or seal.checkpoint_file is None or not Path(seal.checkpoint_file).is_file():
        return []
    return list(seal.read_checkpoints(Path(seal.checkpoint_file)))


def latest_mark(session: Session) -> AuditVerification | None:
    """The newest verification that verified (the high-water mark), or None."""
    return session.exec(select(AuditVerification).where(col(AuditVerification.ok).is_(True))
                        .order_by(col(AuditVerification.id).desc())).first()


def latest(session: Session) -> AuditVerification | None:
    """The newest verification, verified or broken."""
    return session.exec(select(AuditVerification).order_by(col(AuditVerification.id).desc())).first()


def pending(session: Session) -> Job | None:
    """A queued or running verification job."""
    return session.exec(select(Job).where(Job.kind == JOB_KIND, col(Job.status).in_(("queued", "running")))
                        .order_by(col(Job.id)).execution_options(populate_existing=True)).first()


def request(session: Session, *, full: bool, by: User, app: Flask | None = None) -> Job:
    """Queue a verification (repeated requests of one kind while one waits coalesce). With
    ``app.config["JOBS_INLINE"]`` queued jobs run at once in this process (tests, demo)."""
    job = jobs.enqueue(session, kind=JOB_KIND, payload={"full": full}, by=by, subject_type="audit_chain",
                       dedupe_key=f"{JOB_KIND}:{'full' if full else 'incremental'}")
    if app is not None and app.config.get("JOBS_INLINE"):
        from labtrack.services.worker import run_inline

        run_inline(app)
    return job


@dataclass(frozen=True)
class Start:
    """Where a run starts: the mark to continue from (None: the first entry), or a reason it cannot."""

    mark: audit.Mark | None
    record: AuditVerification | None
    problem: str | None = None


def starting_point(session: Session, seal: audit_seal.Seal | None, *, full: bool) -> Start:
    """The mark an incremental run continues from, after checking its key signature."""
    record = None if full else latest_mark(session)
    if record is None:
        return Start(None, None)
    source = f"verification #{record.id}"
    expected = _mark_mac(seal, record.to_seq, record.to_hash)
    if expected is not None and (record.mac is None or not hmac.compare_digest(record.mac, expected)):
        return Start(None, record, f"the verified mark of {source} (seq {record.to_seq}) is not signed with the "
                                   "audit key: the verification record was forged or altered; run a full "
                                   "verification")
    return Start(audit.Mark(record.to_seq, record.to_hash, source), record)


def verify(session: Session, *, full: bool, on_progress: audit.Progress | None = None) -> audit.VerifyResult:
    """One verification (full, or from the latest mark), not stored: the job stores it."""
    seal = audit_seal.seal_of(session.get_bind().engine)  # type: ignore[union-attr]
    try:
        anchors = instance_checkpoints(seal)
    except audit_seal.CheckpointError as error:
        return audit.VerifyResult(0, audit.ChainBreak(0, None, str(error)))
    start = starting_point(session, seal, full=full)
    if start.problem is not None:
        assert start.record is not None
        return audit.VerifyResult(0, audit.ChainBreak(start.record.to_seq, start.record.to_entry_id,
                                                      start.problem), from_seq=start.record.to_seq)
    return audit.verify_chain(session, seal=seal, checkpoints=anchors, mark=start.mark, progress=on_progress)


def record(session: Session, result: audit.VerifyResult, *, full: bool, job_id: int | None) -> AuditVerification:
    """Store a result (inside the caller's write)."""
    seal = audit_seal.seal_of(session.get_bind().engine)  # type: ignore[union-attr]
    brk = result.first_break
    row = AuditVerification(
        job_id=job_id, full=full, from_seq=result.from_seq, ok=result.ok, entries=result.entries,
        to_seq=result.last_seq, to_entry_id=result.last_id, to_hash=result.last_hash,
        mac=_mark_mac(seal, result.last_seq, result.last_hash) if result.ok else None,
        break_seq=brk.seq if brk else None, break_entry_id=brk.entry_id if brk else None,
        problem=brk.problem if brk else "")
    session.add(row)
    return row


def run_job(context: JobContext) -> None:
    """The worker's handler: verify with stored progress, then store the result and end the job
    in one write."""
    app = context.app
    full = bool(context.payload.get("full"))
    with app.app_context(), standalone_session(app) as session:
        last = [time.monotonic()]

        def step(seq: int, head_seq: int) -> None:
            context.check()
            if time.monotonic() - last[0] >= PROGRESS_SECONDS:
                context.progress(session, seq / max(head_seq, 1), msg("entry %(seq)s of %(head)s", seq=seq,
                                                                      head=head_seq))
                last[0] = time.monotonic()

        with write(session, actor=ACTOR, reason="audit chain verification started"):
            context.progress(session, 0.0, msg("the whole chain") if full else msg("from the verified mark"))
        result = verify(session, full=full, on_progress=step)
        session.rollback()
        context.check()
        outcome = "verified" if result.ok else f"broken at seq {result.first_break.seq}"  # type: ignore[union-attr]
        with write(session, actor=ACTOR, reason=f"audit chain {outcome}"):
            record(session, result, full=full, job_id=context.job_id)
            context.done(session)

