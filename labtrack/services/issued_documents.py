"""Numbering, hashing and recording of every document that leaves labtrack."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, select

from labtrack.core import ids
from labtrack.core.errors import Conflict, NotFound
from labtrack.core.messages import message_of, msg
from labtrack.models import IssuedDocument, IssuedDocumentContent, User, utcnow
from labtrack.services import audit, counters
from labtrack.services.audit import record_event
from labtrack.services.transaction import write


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def reserve_number(session: Session) -> str:
    """``DOC-<year>-<n>-<check>``, the number of the next issued document (to print it on the
    document itself): numbered per year, with check characters like every ID.

    Call inside the same ``write`` transaction as ``record_issue``: the year's counter is taken
    there, so the number cannot be taken in between (and the number column is unique anyway).
    """
    year = utcnow().year
    try:
        return ids.document_number(year, counters.next_document_number(session, year))
    except ids.CapacityExceeded as error:
        raise Conflict(msg("no document numbers are left for %(year)s: %(problem)s", year=year,
                           problem=message_of(error))) from error


def language_params(language: str) -> dict[str, str]:
    """The language a document is issued in, among its parameters, so that re-rendering and a
    re-issue say the same words (English documents, as before, without it)."""
    return {} if language == "en" else {"language": language}


def record_issue(session: Session, *, number: str, kind: str, record_type: str, record_id: int | None,
                 pdf: bytes, by: User, params: dict[str, Any] | None = None, language: str = "en",
                 reissue_of: IssuedDocument | None = None) -> IssuedDocument:
    """Store the document's number, SHA-256 and bytes, and write the hash to the audit log.

    Must run inside ``transaction.write``. The bytes are what every later download serves;
    ``params`` (enough to re-render the same bytes) document what the PDF says.
    """
    document = IssuedDocument(
        number=number, kind=kind, record_type=record_type, record_id=record_id, sha256=sha256_hex(pdf),
        language=language, params_json=json.dumps(params or {}, sort_keys=True, default=str),
        reissue_of_id=reissue_of.id if reissue_of else None, issued_by_id=by.id or 0,
    )
    session.add(document)
    session.flush()
    session.add(IssuedDocumentContent(document_id=document.id or 0, pdf=pdf))
    record_event(session, action="issue_document", entity_type="issued_document", entity_id=str(document.id),
                 details={"number": number, "kind": kind, "sha256": document.sha256,
                          "record_type": record_type, "record_id": record_id,
                          "reissue_of": reissue_of.number if reissue_of else None})
    return document


def issue(session: Session, *, kind: str, record_type: str, record_id: int | None, by: User,
          render: Any, params: dict[str, Any] | None = None, language: str = "en",
          reissue_of: IssuedDocument | None = None, reason: str = "") -> tuple[IssuedDocument, bytes]:
    """Reserve a number, render the PDF with it (``render(number) -> bytes``) and record it, in one
    transaction. ``params`` (the dict the renderer reads) gets ``audit_head``: the audit log's head
    (``SEQ:HASH``) printed on the document, a checkpoint for ``labtrack audit verify --checkpoint``.
    Returns the stored record and the PDF bytes."""
    with write(session, actor=by, reason=reason or f"{kind} issued"):
        number = reserve_number(session)
        if params is not None:
            # the renderer reads this same dict: the audit log's head is printed on the document
            # (and stored with the params, so re-rendering gives the same bytes)
            head = audit.head(session)
            params["audit_head"] = head.printed() if head else ""
        pdf = render(number)
        document = record_issue(session, number=number, kind=kind, record_type=record_type,
                                record_id=record_id, pdf=pdf, by=by, params=params, language=language,
                                reissue_of=reissue_of)
    return document, pdf


def logged_sha256(session: Session, document: IssuedDocument) -> str | None:
    """The SHA-256 the audit log recorded when the document was issued (its register row as
    created), so that swapping a document's bytes and its hash column together is still seen."""
    try:
        state = audit.logged_state(session, "issued_document", str(document.id))
    except audit.LogEntryTampered:
        return None
    return str(state["sha256"]) if state and "sha256" in state else None


def get_by_number(session: Session, number: str) -> IssuedDocument:
    document = session.exec(select(IssuedDocument).where(IssuedDocument.number == number)).first()
    if document is None:
        raise NotFound(msg("no document numbered %(number)s", number=repr(number)))
    return document


def stored_pdf(session: Session, document: IssuedDocument) -> bytes | None:
    """The bytes stored when the document was issued (None for documents issued before labtrack
    kept them)."""
    row = session.get(IssuedDocumentContent, document.id)
    return bytes(row.pdf) if row is not None else None


@dataclass(frozen=True)
class Verification:
    """What the public verification page may say about a document number, and nothing else:
    whether it was issued, its kind and date, and whether its stored bytes, its register row and
    the audit log agree on its SHA-256 (and, for an uploaded file, whether the file is that
    document). No names, no case data."""

    number: str
    found: bool
    kind: str = ""
    issued_on: str = ""
    sha256: str = ""
    genuine: bool = False
    reissue_of: str = ""
    file_matches: bool | None = None


def verify_number(session: Session, number: str, uploaded: bytes | None = None) -> Verification:
    """Check a document number (and an uploaded copy of the PDF, if given)."""
    number = (number or "").strip()[:40]
    document = session.exec(select(IssuedDocument).where(IssuedDocument.number == number)).first()
    if document is None:
        return Verification(number, False)
    stored = stored_pdf(session, document)
    logged = logged_sha256(session, document)
    genuine = (logged == document.sha256 and (stored is None or hashlib.sha256(stored).hexdigest() == document.sha256))
    original = session.get(IssuedDocument, document.reissue_of_id) if document.reissue_of_id else None
    matches = None if uploaded is None else hashlib.sha256(uploaded).hexdigest() == document.sha256
    return Verification(number, True, document.kind, f"{document.at:%Y-%m-%d}", document.sha256, genuine,
                        original.number if original else "", matches)
