"""Imports as worker jobs: the uploaded file is kept in the database (``Upload`` and its
``UploadContent``), a job is queued, and ``labtrack worker`` imports it with stored progress. The
job ends in the transaction that stores the import (``imported``) — or, when the file has
problems, in one that stores every problem (``refused``: the import itself stored nothing).

Every uploaded file goes this way, whatever its size: no web request imports one.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from flask import Flask
from sqlalchemy import insert
from sqlmodel import Session, select

from labtrack.core.errors import Busy, DomainError, InputProblem, NotFound, ProblemList
from labtrack.core.messages import from_data, msg, to_data
from labtrack.db import standalone_session
from labtrack.models import Job, Upload, UploadContent, User
from labtrack.services import jobs, listing
from labtrack.services.transaction import write

if TYPE_CHECKING:
    from labtrack.services.worker import JobContext

JOB_KIND = "import_upload"
#: problems kept with a refused upload (the count of all of them is kept too)
MAX_STORED_PROBLEMS = 5000
_CONTENT = UploadContent.__table__  # type: ignore[attr-defined]

#: kind -> the import: (session, raw bytes, upload, by, context, finish) -> None; it calls
#: ``finish(session, summary)`` inside the write that stores the import
Importer = Callable[..., None]


def shown_filename(filename: str | None) -> str:
    """A file's name as it is kept and shown: control characters (NUL, which PostgreSQL refuses in
    text) and lone surrogates dropped, at most 255 characters; "upload" when nothing is left."""
    return listing.printable_text(filename)[:255] or "upload"


def submit(session: Session, *, kind: str, raw: bytes, filename: str, options: dict[str, Any], by: User,
           app: Flask | None = None) -> Upload:
    """Keep the file and queue its import. With ``JOBS_INLINE`` the job runs before returning."""
    filename = shown_filename(filename)
    problems = ProblemList()
    if not raw:
        problems.add(msg("the file is empty"), field="file", file=filename)
    problems.raise_if_any(msg("Nothing was imported"))
    purpose = "a check" if options.get("check_only") else "import"
    with write(session, actor=by, reason=f"{kind} file {filename} uploaded for {purpose} by the worker"):
        upload = Upload(kind=kind, filename=filename, sha256=hashlib.sha256(raw).hexdigest(),
                        size_bytes=len(raw), options_json=json.dumps(options, sort_keys=True),
                        created_by_id=by.id or 0)
        session.add(upload)
        session.flush()
        session.execute(insert(_CONTENT).values(upload_id=upload.id, content=raw))
        jobs.enqueue(session, kind=JOB_KIND, payload={"upload_id": upload.id}, by=by, subject_type="upload",
                     subject_id=upload.id, max_attempts=2)
    if app is not None and app.config.get("JOBS_INLINE"):
        from labtrack.services.worker import run_inline

        run_inline(app)
    return upload


@dataclass(frozen=True)
class UploadView:
    upload: Upload
    job: Job | None
    result: dict[str, Any]

    @property
    def status(self) -> str:
        """queued | running | imported | refused | checked | failed | cancelled"""
        if self.result.get("outcome"):
            return str(self.result["outcome"])
        return self.job.status if self.job is not None else "queued"

    @property
    def ended(self) -> bool:
        return self.status not in ("queued", "running")

    @property
    def problems(self) -> list[InputProblem]:
        return [InputProblem(**(p | {"message": from_data(p.get("message", ""))}))
                for p in self.result.get("problems", [])]

    @property
    def message(self) -> object:
        """Why the upload was refused (a message, in the reader's language on the page)."""
        return from_data(self.result.get("message", ""))


def get_upload(session: Session, upload_id: int, kind: str | None = None) -> UploadView:
    upload = session.get(Upload, upload_id, populate_existing=True)
    if upload is None or (kind is not None and upload.kind != kind):
        raise NotFound(msg("no upload %(id)s", id=upload_id))
    return UploadView(upload, jobs.job_for(session, "upload", upload_id), _result(upload))


def recent(session: Session, kind: str, limit: int = 10) -> list[UploadView]:
    rows = session.exec(select(Upload).where(Upload.kind == kind)
                        .order_by(Upload.id.desc()).limit(limit)).all()  # type: ignore[union-attr]
    return [UploadView(u, jobs.job_for(session, "upload", u.id or 0), _result(u)) for u in rows]


def _result(upload: Upload) -> dict[str, Any]:
    try:
        value = json.loads(upload.result_json or "{}")
    except json.JSONDecodeError:
        return {}
    return value if isinstance(value, dict) else {}


def refusal(error: DomainError) -> dict[str, Any]:
    """What a refused upload keeps: the message and its problems (at most ``MAX_STORED_PROBLEMS``)."""
    return {"outcome": "refused", "message": to_data(error.message), **stored_problems(error.problems)}


def stored_problems(problems: list[InputProblem]) -> dict[str, Any]:
    """How an upload's result keeps problems (or notes) for its page: how many, and the first
    ``MAX_STORED_PROBLEMS`` with their messages as data (shown in the reader's language)."""
    return {"n_problems": len(problems),
            "problems": [p.as_dict() | {"message": to_data(p.message)} for p in problems[:MAX_STORED_PROBLEMS]]}


def importers() -> dict[str, Importer]:
    from labtrack.services import familias_import, pedigree_exchange, profile_import

    return {"profiles": profile_import.import_upload, "pedigrees": pedigree_exchange.import_upload,
            familias_import.UPLOAD_KIND: familias_import.import_upload}


def run_job(context: JobContext) -> None:
    """The worker's handler: import the upload; a refusal (every problem) ends the job as done,
    with the import's transaction never committed."""
    app = context.app
    with app.app_context(), standalone_session(app) as session:
        upload = session.get(Upload, int(context.payload["upload_id"]))
        content = session.get(UploadContent, int(context.payload["upload_id"]))
        if upload is None or content is None:
            raise NotFound(msg("upload %(id)s does not exist", id=context.payload["upload_id"]))
        by = session.get(User, upload.created_by_id)
        if by is None:
            raise NotFound(msg("user %(id)s does not exist", id=upload.created_by_id))
        raw = bytes(content.content)
        session.rollback()
        importer = importers()[upload.kind]

        def finish(inner: Session, summary: dict[str, Any]) -> None:
            """Inside the import's write: the outcome and the end of the job."""
            stored = inner.get(Upload, upload.id)
            assert stored is not None
            stored.result_json = json.dumps(summary, sort_keys=True)
            inner.add(stored)
            context.done(inner)

        try:
            importer(session=session, raw=raw, upload=upload, by=by, context=context, finish=finish)
        except Busy:
            raise  # the job fails with the reason; nothing was stored
        except DomainError as error:
            session.rollback()
            with write(session, actor=by, reason=f"{upload.kind} file {upload.filename} refused"):
                finish(session, refusal(error))
