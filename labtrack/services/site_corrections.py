"""Corrections of exhumation sites and remains: audited updates with a reason (the audit log keeps
the values before and after), checked by the same rules as at registration.

A site's code and a remains' accession, site and number are never corrected: they are printed on
labels and carried by every sample ID. A closed site takes no new remains (``intake``); it can be
reopened, with a reason. Samples of remains already registered may still be taken at a closed site
(the laboratory's work goes on after the exhumation).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, replace
from typing import Any

from sqlmodel import Session

from labtrack.core.errors import Conflict, InputProblem, ProblemList, ValidationFailed
from labtrack.core.messages import msg, terms
from labtrack.models import Remains, Site, User
from labtrack.models.sites import SITE_STATUSES
from labtrack.services import intake
from labtrack.services.transaction import write

#: fields of a site that may be corrected (not its code nor its status: ``set_site_status``)
SITE_FIELDS: tuple[str, ...] = ("name_en", "name_ar", "governorate", "latitude", "longitude", "legal_case_ref")
#: fields of remains that may be corrected: type, anthropology, grave location, recovery
REMAINS_FIELDS: tuple[str, ...] = (
    "remains_type", "anatomical_elements", "trench", "grid", "depth_m", "recovered_on", "recovery_team",
    "est_sex", "est_age_min", "est_age_max", "est_stature_cm", "personal_effects", "notes")


def _reason(reason: str, problems: ProblemList) -> str:
    reason = (reason or "").strip()
    if not reason:
        problems.add(msg("say why the record is corrected"), field="reason")
    return reason


def _unknown_fields(details: dict[str, Any], allowed: tuple[str, ...], problems: ProblemList) -> None:
    for name in sorted(set(details) - set(allowed)):
        problems.add(msg("%(field)s cannot be changed here", field=name), field=name)


def too_long(model: Any, details: dict[str, Any], problems: ProblemList) -> None:
    """Text longer than its column holds (PostgreSQL would refuse it with an error, not a message)."""
    for name, value in details.items():
        column = model.__table__.c.get(name)
        length = getattr(getattr(column, "type", None), "length", None)
        if isinstance(value, str) and length is not None and len(value) > length:
            problems.add(msg("at most %(length)s characters", length=length), field=name)


def _collect(problems: ProblemList, check: Callable[[], None]) -> None:
    """Add the problems of a registration check to ``problems`` (every problem is reported at once)."""
    try:
        check()
    except ValidationFailed as error:
        problems.problems.extend(p for p in error.problems if p not in problems.problems)


def _strip(details: dict[str, Any]) -> dict[str, Any]:
    return {k: v.strip() if isinstance(v, str) else v for k, v in details.items()}


def _apply(session: Session, row: Any, details: dict[str, Any]) -> dict[str, Any]:
    changed = {k: v for k, v in details.items() if getattr(row, k) != v}
    for name, value in changed.items():
        setattr(row, name, value)
    if changed:
        session.add(row)
    return changed


def correct_site(*, session: Session, site_code: str, by: User | str, reason: str, **details: Any) -> Site:
    """Correct a site's names, governorate, coordinates or legal case reference."""
    details = _strip(details)
    problems = ProblemList()
    _unknown_fields(details, SITE_FIELDS, problems)
    too_long(Site, details, problems)
    reason = _reason(reason, problems)
    site = intake.get_site(session, site_code)
    if not set(details) - set(SITE_FIELDS):
        current = intake.SiteInput(**{k: getattr(site, k) for k in ("code", *SITE_FIELDS, "status")})
        _collect(problems, lambda: intake.check_site(replace(current, **details)))
    problems.raise_if_any(msg("The site was not corrected"))
    with write(session, actor=by, reason=f"site {site.code} corrected: {reason}"):
        site = intake.get_site(session, site_code)  # read inside the transaction: the log keeps the values before
        _apply(session, site, details)
    return site


def set_site_status(*, session: Session, site_code: str, status: str, by: User | str, reason: str) -> Site:
    """Close a site (no new remains), reopen it, or mark a reported site active."""
    problems = ProblemList()
    reason = _reason(reason, problems)
    if status not in SITE_STATUSES:
        problems.add(msg("status must be one of %(statuses)s", statuses=terms(SITE_STATUSES)), field="status")
    problems.raise_if_any(msg("The site's status was not changed"))
    site = intake.get_site(session, site_code)
    if site.status == status:
        problem = msg("the site has this status already")
        raise Conflict(problem, [InputProblem(message=problem, field="status")])
    with write(session, actor=by, reason=f"site {site.code}: {site.status} -> {status}: {reason}"):
        site = intake.get_site(session, site_code)
        site.status = status
        session.add(site)
    return site


def correct_remains(*, session: Session, accession: str, by: User | str, reason: str, **details: Any) -> Remains:
    """Correct remains' type, anthropological estimates, grave location or recovery details."""
    details = _strip(details)
    problems = ProblemList()
    _unknown_fields(details, REMAINS_FIELDS, problems)
    too_long(Remains, details, problems)
    reason = _reason(reason, problems)
    remains = intake.get_remains(session, accession)
    if not set(details) - set(REMAINS_FIELDS):
        current = intake.RemainsInput(**{k: getattr(remains, k) for k in REMAINS_FIELDS})
        _collect(problems, lambda: intake.check_remains(replace(current, **details)))
    problems.raise_if_any(msg("The remains were not corrected"))
    with write(session, actor=by, reason=f"remains {remains.accession} corrected: {reason}"):
        remains = intake.get_remains(session, accession)
        _apply(session, remains, details)
    return remains


def site_values(site: Site) -> dict[str, Any]:
    return {k: getattr(site, k) for k in SITE_FIELDS}


def remains_values(remains: Remains) -> dict[str, Any]:
    return asdict(intake.RemainsInput(**{k: getattr(remains, k) for k in REMAINS_FIELDS}))
