"""Public verification of an issued document: the number printed (and in the QR code) on every
PDF leads here. It says only whether the document was issued and is intact (its stored bytes,
its register row and the audit log agree on its SHA-256), and whether an uploaded file is that
document; no names and no case data. Rate-limited, open to everyone."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request

from labtrack.db import get_session
from labtrack.services import issued_documents
from labtrack.web.access import public
from labtrack.web.extensions import limiter

bp = Blueprint("verify", __name__, url_prefix="/verify")
#: The largest upload compared (a PDF of a few pages is well below).
MAX_UPLOAD = 20 * 1024 * 1024


@bp.route("/<number>", methods=["GET", "POST"])
@limiter.limit("30 per minute")
@public
def document(number: str) -> Any:
    uploaded = None
    too_large = False
    if request.method == "POST":
        file = request.files.get("file")
        if file is not None and file.filename:
            data = file.stream.read(MAX_UPLOAD + 1)
            too_large = len(data) > MAX_UPLOAD
            uploaded = None if too_large else data
    result = issued_documents.verify_number(get_session(), number, uploaded)
    status = 200 if result.found else 404
    return render_template("verify/document.html", result=result, too_large=too_large), status
