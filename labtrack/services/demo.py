"""Load the demo data of ``fixtures/demo/demo.json`` into a database, idempotently."""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from sqlmodel import Session, select

from labtrack.core import ids
from labtrack.fixtures_path import fixtures_dir
from labtrack.models import (
    ConsentRecord,
    CustodyItem,
    Donor,
    Family,
    FrequencyTable,
    MissingPerson,
    PedigreeMember,
    ProfileImport,
    Remains,
    Sample,
    Site,
    StaffMember,
    StorageLocation,
    User,
)
from labtrack.services import accounts, frequencies, intake, profile_import, quality, samples, storage
from labtrack.services.custody_registration import add_first_event
from labtrack.services.transaction import write

DEMO_ACTOR = "demo-loader"


@dataclass
class DemoReport:
    created: dict[str, int] = field(default_factory=dict)
    logins: dict[str, str] = field(default_factory=dict)

    def count(self, kind: str) -> None:
        self.created[kind] = self.created.get(kind, 0) + 1


def _date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def load_frequency_table(session: Session, path: Path, *, name: str, source: str,
                         make_default: bool, actor: User | str) -> FrequencyTable | None:
    """Load a validated ``freqs.csv`` (see ``labtrack.services.frequencies``) unless a table of
    that name exists."""
    if session.exec(select(FrequencyTable).where(FrequencyTable.name == name)).first():
        return None
    return frequencies.import_table(session=session, raw=path.read_bytes(), filename=path.name,
                                    name=name, source=source, make_default=make_default, by=actor)


def _profiles(session: Session, report: DemoReport, admin: User) -> None:
    """Staff elimination profiles, then the demo samples' profiles (``fixtures/demo/*.csv``,
    simulated by ``labtrack.simulation``), each file once."""
    folder = fixtures_dir() / "demo"
    for code, role in (("STAFF-01", "DNA analyst"), ("STAFF-02", "field team, exhumation")):
        if not session.exec(select(StaffMember).where(StaffMember.code == code)).first():
            quality.add_staff_member(session=session, code=code, role_description=role, by=admin)
            report.count("staff_members")
    for filename, origin in (("staff_profiles.csv", "staff"), ("profiles.csv", None)):
        raw = (folder / filename).read_bytes()
        digest = hashlib.sha256(raw).hexdigest()
        if session.exec(select(ProfileImport).where(ProfileImport.file_sha256 == digest)).first():
            continue
        record = profile_import.import_profiles(session=session, raw=raw, filename=filename,
                                                by=admin, origin=origin)
        report.created["profiles"] = report.created.get("profiles", 0) + record.n_profiles


def _users(session: Session, data: list[dict[str, Any]], report: DemoReport) -> None:
    for number, spec in enumerate(data, start=1):
        if session.exec(select(User).where(User.username == spec["username"])).first():
            continue
        password = secrets.token_urlsafe(9)
        accounts.create_user(session=session, username=spec["username"], full_name=spec["full_name"],
                             role=spec["role"], password=password, by=DEMO_ACTOR,
                             badge=ids.badge_id(number))
        report.logins[spec["username"]] = password
        report.count("users")


def _sites_and_remains(session: Session, data: dict[str, Any], report: DemoReport, admin: User) -> None:
    sites: dict[str, Site] = {}
    for spec in data["sites"]:
        site = session.exec(select(Site).where(Site.code == spec["code"])).first()
        if site is None:
            site = Site(**spec)
            session.add(site)
            session.flush()
            report.count("sites")
        sites[spec["code"]] = site
    if session.exec(select(Remains)).first() is not None:
        return
    for spec in data["remains"]:
        fields = {k: v for k, v in spec.items() if k not in ("site", "samples", "recovered_on")}
        remains = intake.add_remains(session=session, site=sites[spec["site"]], by=admin,
                                     data=intake.RemainsInput(recovered_on=_date(spec.get("recovered_on")),
                                                              **fields))
        add_first_event(session=session, accession=remains.accession, by=admin,
                        to_party=remains.recovery_team or "field team")
        report.count("remains")
        for sample_spec in spec.get("samples", []):
            samples.add_sample(session, remains=remains, sample_type=sample_spec["sample_type"], by=admin,
                               collected_on=remains.recovered_on, notes="", resampled_from=None)
            report.count("samples")


def _locations(session: Session, data: list[dict[str, Any]], report: DemoReport, admin: User) -> None:
    by_parts: dict[tuple[str, ...], StorageLocation] = {}
    for spec in data:
        parts = tuple(spec["parts"])
        accession = ids.location_id(*parts)
        location = session.exec(select(StorageLocation).where(StorageLocation.accession == accession)).first()
        if location is None:
            parent = by_parts.get(parts[:-1])
            location = storage.add_location(session=session, name=spec["name"], level=spec["level"],
                                            number=int(parts[-1][1:]), parent=parent)
            add_first_event(session=session, accession=accession, by=admin, to_location=parent,
                            to_party="" if parent else "lab")
            report.count("locations")
        by_parts[parts] = location


def _families(session: Session, data: dict[str, Any], report: DemoReport, actor: User) -> None:
    actor_id = actor.id or 0
    missing: dict[str, MissingPerson] = {}
    for spec in data["missing_persons"]:
        person = session.exec(select(MissingPerson).where(MissingPerson.case_number == spec["case_number"])).first()
        if person is None:
            values = {**spec, "disappeared_on": _date(spec.get("disappeared_on"))}
            person = MissingPerson(**values)
            session.add(person)
            session.flush()
            report.count("missing_persons")
        missing[spec["case_number"]] = person
    donors: dict[str, Donor] = {}
    for number, spec in enumerate(data["donors"], start=1):
        donor = session.exec(select(Donor).where(Donor.code == spec["code"])).first()
        if donor is None:
            donor = Donor(**spec)
            session.add(donor)
            session.flush()
            accession = ids.reference_id(number, "A")
            sample = Sample(accession=accession, donor_id=donor.id, sample_type="buccal_swab")
            session.add(sample)
            session.flush()
            session.add(CustodyItem(accession=accession, kind="sample", sample_id=sample.id))
            session.flush()
            add_first_event(session=session, accession=accession, by=actor, to_party="family coordinator")
            session.add(ConsentRecord(donor_id=donor.id or 0, identification_only=True, retention_years=25,
                                      contact_for_results=True, given_on=date(2025, 6, 1),
                                      collected_by="Demo coordinator", recorded_by_id=actor_id))
            report.count("donors")
        donors[spec["code"]] = donor
    for spec in data["families"]:
        if session.exec(select(Family).where(Family.code == spec["code"])).first():
            continue
        family = Family(code=spec["code"])
        session.add(family)
        session.flush()
        members: dict[str, PedigreeMember] = {}
        for m in spec["members"]:
            member = PedigreeMember(
                family_id=family.id or 0, person_code=m["person"], sex=m["sex"],
                father_id=members[m["father"]].id if m.get("father") else None,
                mother_id=members[m["mother"]].id if m.get("mother") else None,
                donor_id=donors[m["donor"]].id if m.get("donor") else None,
                missing_person_id=missing[m["missing"]].id if m.get("missing") else None,
                relation_label=m.get("relation", "missing person" if m.get("missing") else ""),
            )
            session.add(member)
            session.flush()
            members[m["person"]] = member
        report.count("families")


def load_demo(session: Session, path: Path | None = None) -> DemoReport:
    """Load the demo data; running it again adds nothing that is there already."""
    path = path or fixtures_dir() / "demo" / "demo.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    report = DemoReport()
    _users(session, data["users"], report)
    admin = session.exec(select(User).where(User.role == "admin")).first()
    assert admin is not None and admin.id is not None
    with write(session, actor=admin, reason="demo data loaded"):
        _sites_and_remains(session, data, report, admin)
        _locations(session, data["locations"], report, admin)
        _families(session, data, report, admin)
    if load_frequency_table(session, fixtures_dir() / "freqs" / "nist1036.csv", name="NIST 1036 (all)",
                            source="NIST STRBase 1036 U.S. population, revised 2017 (public domain)",
                            make_default=True, actor=admin):
        report.count("frequency_tables")
    _profiles(session, report, admin)
    return report
