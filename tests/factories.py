"""Small typed builders for tests."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from labtrack.models import ROLES, User
from labtrack.services import accounts

PASSWORD = "correct horse battery"


@dataclass
class UserWithPassword:
    user: User
    password: str

    @property
    def username(self) -> str:
        return self.user.username

    @property
    def id(self) -> int:
        assert self.user.id is not None
        return self.user.id


def make_user(db: Session, role: str, username: str | None = None) -> UserWithPassword:
    user = accounts.create_user(session=db, username=username or f"{role}1",
                                full_name=f"Test {role.title()}", role=role, password=PASSWORD,
                                by="test-setup")
    return UserWithPassword(user, PASSWORD)


def users_of_every_role(db: Session) -> dict[str, UserWithPassword]:
    return {role: make_user(db, role) for role in ROLES}


def make_site(db: Session, by: User, code: str = "QTF") -> object:
    from labtrack.services import intake

    return intake.create_site(session=db, data=intake.SiteInput(code=code, name_en=f"Site {code}"), by=by)


def make_remains(db: Session, by: User, site_code: str = "QTF") -> object:
    from labtrack.services import intake

    return intake.register_remains(session=db, site_code=site_code, by=by,
                                   data=intake.RemainsInput(remains_type="complete_body",
                                                            recovery_team="Field team 1"))


def make_box(db: Session, by: User, number: int = 1) -> object:
    """A room R01 > freezer F01 > shelf S01 > box B<number> (created as needed); returns the box."""
    from labtrack.services import storage

    parts = [("room", 1, "Bone room"), ("freezer", 1, "Freezer 1"), ("shelf", 1, "Shelf 1")]
    parent = None
    for level, n, name in parts:
        accession = storage.ids.location_id(*(["R01", "F01", "S01"][: len(storage._parts(parent)) + 1]))
        try:
            parent = storage.get_location(db, accession)
        except Exception:
            parent = storage.create_location(session=db, name=name, level=level, number=n,
                                             parent_accession=parent.accession if parent else None, by=by)
    return storage.create_location(session=db, name=f"Box {number}", level="box", number=number,
                                   parent_accession=parent.accession if parent else None, by=by)


def demo_genotypes(mapping: dict[str, str]) -> bytes:
    """A genotypes CSV of the demo's rows for the samples in ``mapping`` (a son and his two parents,
    Mendelian), each renamed to the sample ID it maps to."""
    import csv
    import io

    from labtrack.fixtures_path import fixtures_dir

    rows = csv.DictReader(io.StringIO((fixtures_dir() / "demo" / "profiles.csv").read_text()))
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["sample_id", "marker", "allele1", "allele2"])
    for row in rows:
        if row["sample_id"] in mapping:
            writer.writerow([mapping[row["sample_id"]], row["marker"], row["allele1"], row["allele2"]])
    return out.getvalue().encode()
