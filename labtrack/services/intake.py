"""Exhumation sites and the remains recovered there; every remains gets a custody item."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlmodel import Session, select

from labtrack.core import ids
from labtrack.core.errors import Conflict, NotFound, ProblemList
from labtrack.core.messages import msg, terms
from labtrack.models import CustodyItem, Remains, Site, User
from labtrack.models.sites import REMAINS_TYPES, SEXES, SITE_STATUSES
from labtrack.services.custody_registration import add_first_event
from labtrack.services.transaction import write


@dataclass
class SiteInput:
    code: str
    name_en: str
    name_ar: str = ""
    governorate: str = ""
    latitude: float | None = None
    longitude: float | None = None
    legal_case_ref: str = ""
    status: str = "active"


@dataclass
class RemainsInput:
    remains_type: str
    anatomical_elements: str = ""
    trench: str = ""
    grid: str = ""
    depth_m: float | None = None
    recovered_on: date | None = None
    recovery_team: str = ""
    est_sex: str = "U"
    est_age_min: int | None = None
    est_age_max: int | None = None
    est_stature_cm: float | None = None
    personal_effects: str = ""
    notes: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def check_site(data: SiteInput, *, message: str = msg("The site cannot be registered")) -> None:
    """Every problem of a site's values (at registration and at a correction)."""
    problems = ProblemList()
    code = data.code.strip().upper()
    if len(code) != 3 or not code.isalpha() or not code.isascii():
        problems.add(msg("a site code is three letters A-Z (e.g. QTF)"), field="code")
    elif code in ("REF", "LOC", "USR", "DOC"):
        problems.add(msg("%(code)s is reserved for other IDs", code=code), field="code")
    if not data.name_en.strip():
        problems.add(msg("an English name is required"), field="name_en")
    if data.status not in SITE_STATUSES:
        problems.add(msg("status must be one of %(statuses)s", statuses=terms(SITE_STATUSES)), field="status")
    if data.latitude is not None and not -90 <= data.latitude <= 90:
        problems.add(msg("latitude must be between -90 and 90"), field="latitude")
    if data.longitude is not None and not -180 <= data.longitude <= 180:
        problems.add(msg("longitude must be between -180 and 180"), field="longitude")
    problems.raise_if_any(message)


def create_site(*, session: Session, data: SiteInput, by: User | str) -> Site:
    """Register an exhumation site; its three-letter code prefixes every remains ID found there."""
    check_site(data)
    code = data.code.strip().upper()
    if session.exec(select(Site).where(Site.code == code)).first():
        raise Conflict(msg("a site with code %(code)s exists already", code=code))
    with write(session, actor=by, reason=f"site {code} registered"):
        site = Site(code=code, name_en=data.name_en.strip(), name_ar=data.name_ar.strip(),
                    governorate=data.governorate.strip(), latitude=data.latitude,
                    longitude=data.longitude, legal_case_ref=data.legal_case_ref.strip(),
                    status=data.status)
        session.add(site)
    return site


def get_site(session: Session, code: str) -> Site:
    site = session.exec(select(Site).where(Site.code == code.strip().upper())).first()
    if site is None:
        raise NotFound(msg("no site with code %(code)s", code=repr(code)))
    return site


def list_sites(session: Session) -> list[Site]:
    return list(session.exec(select(Site).order_by(Site.code)))


def check_remains(data: RemainsInput, *, message: str = msg("The remains cannot be registered")) -> None:
    """Every problem of remains' values (at registration and at a correction)."""
    problems = ProblemList()
    if data.remains_type not in REMAINS_TYPES:
        problems.add(msg("type must be one of %(types)s", types=terms(REMAINS_TYPES)), field="remains_type")
    if data.est_sex not in SEXES:
        problems.add(msg("estimated sex must be M, F or U"), field="est_sex")
    if data.depth_m is not None and data.depth_m < 0:
        problems.add(msg("depth cannot be negative"), field="depth_m")
    for name in ("est_age_min", "est_age_max"):
        value = getattr(data, name)
        if value is not None and not 0 <= value <= 120:
            problems.add(msg("age must be between 0 and 120 years"), field=name)
    if (data.est_age_min is not None and data.est_age_max is not None
            and data.est_age_min > data.est_age_max):
        problems.add(msg("the minimum age is above the maximum age"), field="est_age_min")
    if data.est_stature_cm is not None and not 50 <= data.est_stature_cm <= 250:
        problems.add(msg("stature must be between 50 and 250 cm"), field="est_stature_cm")
    problems.raise_if_any(message)


def add_remains(*, session: Session, site: Site, data: RemainsInput, by: User | str) -> Remains:
    """Register remains at ``site`` under the site's next accession ID (inside an open write)."""
    check_remains(data)
    number = site.next_remains_number
    if number > ids.CAPACITY["remains"]:
        raise Conflict(msg("site %(code)s has %(count)s remains, as many as its IDs can number", code=site.code,
                           count=format(ids.CAPACITY["remains"], ",")))
    site.next_remains_number = number + 1
    values = {k: v for k, v in vars(data).items() if k != "extra"}
    remains = Remains(accession=ids.remains_id(site.code, number), site_id=site.id or 0,
                      number=number, **values)
    session.add_all([site, remains])
    session.flush()
    session.add(CustodyItem(accession=remains.accession, kind="remains", remains_id=remains.id))
    session.flush()
    return remains


def register_remains(*, session: Session, site_code: str, data: RemainsInput, by: User,
                     first_custodian: str = "") -> Remains:
    """Register remains with the next accession ID of their site and record the first custody
    event (``register``: label attached, held by the recovery team)."""
    check_remains(data)
    site = get_site(session, site_code)
    if site.status == "closed":
        raise Conflict(msg("site %(code)s is closed: no new remains can be registered there", code=site.code))
    with write(session, actor=by, reason=f"remains registered at {site.code}"):
        remains = add_remains(session=session, site=site, data=data, by=by)
        add_first_event(session=session, accession=remains.accession, by=by,
                        to_party=first_custodian or data.recovery_team or "field team")
    return remains


def get_remains(session: Session, accession: str) -> Remains:
    remains = session.exec(select(Remains).where(Remains.accession == ids.normalise(accession))).first()
    if remains is None:
        raise NotFound(msg("no remains with ID %(accession)s", accession=repr(accession)))
    return remains


def remains_of_site(session: Session, site: Site) -> list[Remains]:
    return list(session.exec(select(Remains).where(Remains.site_id == site.id).order_by(Remains.number)))


def get_site_by_id(session: Session, site_id: int) -> Site:
    site = session.get(Site, site_id)
    if site is None:
        raise NotFound(msg("no site %(site)s", site=site_id))
    return site
