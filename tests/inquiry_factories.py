"""Builders for the family inquiry tests: a case with a family, a typed and consenting donor, and
details that must never reach the family page (names, circumstances, alleles, accessions)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlmodel import Session

from labtrack.core.inquiry_codes import SecretHasher
from labtrack.models import Donor, MissingPerson, Profile, ProfileAllele, Sample, User
from labtrack.services import consent, donors, families, missing_persons
from labtrack.services.transaction import write
from tests.review_factories import add_genotype_digest

HASHER = SecretHasher(b"test-inquiry-key-not-for-production", n=16)  # the key of tests/conftest.py
# genotypes no page may ever show (unusual microvariants, easy to search for)
ALLELES = [("D21S11", "31.2", "33.2"), ("FGA", "26.2", "47.2"), ("D2S1338", "17.3", "28.1")]


@dataclass
class CaseSetup:
    person: MissingPerson
    donor: Donor
    sample: Sample

    @property
    def secrets(self) -> list[str]:
        """Text of this case that is not for the family page."""
        return [self.person.name_ar, self.person.name_latin, self.person.circumstances,
                self.person.contact_phone, self.person.distinguishing_marks, self.donor.name_latin,
                self.donor.phone, self.sample.accession, self.donor.code]


def type_sample(db: Session, sample: Sample, *, searchable: bool = True) -> Profile:
    with write(db, actor="test-setup", reason="test profile"):
        profile = Profile(sample_id=sample.id, origin="reference", kit="GlobalFiler", n_autosomal_loci=21,
                          searchable=searchable)
        db.add(profile)
        db.flush()
        for locus, first, second in ALLELES:
            db.add(ProfileAllele(profile_id=profile.id or 0, locus=locus, allele1=first, allele2=second))
        add_genotype_digest(db, profile.id or 0, ALLELES)
    return profile


def make_case(db: Session, coordinator: User, n: int, *, typed: bool = True, consenting: bool = True) -> CaseSetup:
    """Missing person MP-INQ-<n>, family FAM-INQ-<n> with the mother as a donor (reference sample,
    typed when ``typed``, consent when ``consenting``)."""
    person = missing_persons.register_missing_person(
        session=db, by=coordinator, case_number=f"MP-INQ-{n:03d}", sex="M", name_ar=f"سامر الحلبي {n}",
        name_latin=f"Samer al-Halabi {n}", circumstances=f"Taken at checkpoint {n}",
        contact_name=f"Hanan {n}", contact_phone=f"+963 944 {n:03d} 111", distinguishing_marks=f"scar {n}",
        disappeared_on=date(2013, 5, n % 28 + 1))
    family = families.create_family(session=db, code=f"FAM-INQ-{n:03d}", by=coordinator)
    donor, sample = donors.register_donor(session=db, by=coordinator, code=f"D-INQ-{n:03d}", sex="F",
                                          name_latin=f"Hanan Donor {n}", phone=f"+963 955 {n:03d} 222")
    families.add_member(session=db, family_id=family.id or 0, by=coordinator, person_code="M", sex="F",
                        donor_code=donor.code, relation="mother")
    families.add_member(session=db, family_id=family.id or 0, by=coordinator, person_code="MP", sex="M",
                        mother="M", case_number=person.case_number)
    if consenting:
        consent.grant(session=db, donor_id=donor.id or 0, by=coordinator, given_on=date(2024, 1, 5),
                      collected_by="field team")
    if typed:
        type_sample(db, sample)
    return CaseSetup(person, donor, sample)
