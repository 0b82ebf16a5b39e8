"""The search box of every page: an ID goes straight to its item; codes and (for those who may see
them) names give a ranked list."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, redirect, render_template, request, url_for
from flask_babel import gettext as _

from labtrack.db import get_session
from labtrack.services import find as finder
from labtrack.web.access import ALL_ROLES, can_see_identities, roles_required

bp = Blueprint("find", __name__, url_prefix="/find")

_PAGES = {
    "remains": lambda key: url_for("sites.remains", accession=key),
    "sample": lambda key: url_for("samples.detail", sample_accession=key),
    "location": lambda key: url_for("storage.detail", location_accession=key),
    "document": lambda key: url_for("documents.download", document_id=key),
    "missing_person": lambda key: url_for("missing_persons.detail", person_id=key),
    "donor": lambda key: url_for("donors.detail", donor_id=key),
    "family": lambda key: url_for("families.detail", family_id=key),
    "site": lambda key: url_for("sites.detail", site_code=key),
}


@bp.route("/")
@roles_required(*ALL_ROLES)
def index() -> Any:
    identities = can_see_identities()
    result = finder.find(get_session(), request.args.get("q", ""), identities=identities)
    if result.target is not None:
        return redirect(_PAGES[result.target.kind](result.target.key))
    message = ""
    if result.id_problem:
        message = _("Not found as an ID: %(problem)s", problem=result.id_problem)
    elif result.query and not identities:
        message = _("Nothing has this ID or code. Names are searched by coordinators only "
                    "(blind processing): search by accession ID, case number or code.")
    elif result.query and not result.hits:
        message = _("Nothing matches “%(query)s”.", query=result.query)
    return render_template("find/results.html", result=result, message=message, page_for=_PAGES)
