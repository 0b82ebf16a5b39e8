"""Builders for review/identification tests: a site, remains, a family and a candidate match."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date

from sqlmodel import Session, select

from labtrack.core import genotype_digest, ids
from labtrack.models import (
    CustodyItem,
    Donor,
    Family,
    FrequencyTable,
    Match,
    MatchRun,
    MissingPerson,
    PedigreeMember,
    Profile,
    ProfileAllele,
    ProfileGenotype,
    Remains,
    Sample,
    Site,
    User,
)
from labtrack.services.transaction import write
from tests.factories import PASSWORD  # noqa: F401  (re-exported for review tests)

SETUP = "test-setup"

PER_LOCUS = [
    {"marker": "D3S1358", "remains": ["15", "16"], "relatives": {}, "lr": 4.1, "log10_lr": 0.6128, "flag": ""},
    {"marker": "vWA", "remains": ["17", "18"], "relatives": {}, "lr": 6.3, "log10_lr": 0.7993, "flag": ""},
    {"marker": "TH01", "remains": ["9.3", "9.3"], "relatives": {}, "lr": 0.02, "log10_lr": -1.699,
     "flag": "mutation"},
]


def make_site(db: Session, code: str = "QTF", name_ar: str = "مقبرة القطيفة") -> Site:
    site = db.exec(select(Site).where(Site.code == code)).first()
    if site is None:
        site = Site(code=code, name_en=f"{code} mass grave", name_ar=name_ar)
        with write(db, actor=SETUP, reason="test"):
            db.add(site)
    return site


def add_typed_sample(db: Session, remains_id: int, genotypes: dict[str, tuple[str, str]], *, accession: str,
                     number: int, sample_type: str, kit: str) -> Sample:
    """A profiled sample of the remains with its searchable remains profile of ``genotypes``
    (locus -> (allele1, allele2)); call it inside the caller's ``write`` block."""
    sample = Sample(accession=accession, remains_id=remains_id, number=number, sample_type=sample_type,
                    state="profiled")
    db.add(sample)
    db.flush()
    profile = Profile(sample_id=sample.id, origin="remains", kit=kit, n_autosomal_loci=len(genotypes),
                      searchable=True)
    db.add(profile)
    db.flush()
    for locus, (a1, a2) in genotypes.items():
        db.add(ProfileAllele(profile_id=profile.id or 0, locus=locus, allele1=a1, allele2=a2))
    add_genotype_digest(db, profile.id or 0, [(locus, a1, a2) for locus, (a1, a2) in genotypes.items()])
    return sample


def add_genotype_digest(db: Session, profile_id: int, calls: list[tuple[str, str, str]]) -> None:
    """The profile's genotype digest, as the profile import writes it with the alleles."""
    db.add(ProfileGenotype(profile_id=profile_id, digest=genotype_digest.digest(calls)))


def make_remains(db: Session, site: Site, *, remains_type: str = "complete_body", est_sex: str = "M",
                 est_age_min: int | None = 18, est_age_max: int | None = 30,
                 est_stature_cm: float | None = 172, recovered_on: date | None = date(2025, 3, 2)) -> Remains:
    """Remains with one sample and one profile (and the remains' custody item)."""
    with write(db, actor=SETUP, reason="test"):
        db.refresh(site)
        number = site.next_remains_number
        site.next_remains_number += 1
        remains = Remains(accession=ids.remains_id(site.code, number), site_id=site.id or 0, number=number,
                          remains_type=remains_type, est_sex=est_sex, est_age_min=est_age_min,
                          est_age_max=est_age_max, est_stature_cm=est_stature_cm, recovered_on=recovered_on,
                          anatomical_elements="skeleton", next_sample_number=2)
        db.add_all([site, remains])
        db.flush()
        sample = Sample(accession=ids.sample_id(remains.accession, 1), remains_id=remains.id, number=1,
                        sample_type="femur", state="profiled")
        db.add_all([sample, CustodyItem(accession=remains.accession, kind="remains", remains_id=remains.id)])
        db.flush()
        profile = Profile(sample_id=sample.id, origin="remains", kit="GlobalFiler", n_autosomal_loci=3,
                          searchable=True)
        db.add(profile)
        db.flush()
        for locus in PER_LOCUS:
            db.add(ProfileAllele(profile_id=profile.id or 0, locus=locus["marker"], allele1=locus["remains"][0],
                                 allele2=locus["remains"][1]))
        add_genotype_digest(db, profile.id or 0, [(locus["marker"], *locus["remains"]) for locus in PER_LOCUS])
    return remains


@dataclass
class FamilySetup:
    family: Family
    missing_person: MissingPerson
    members: list[PedigreeMember] = field(default_factory=list)


def make_family(db: Session, *, name_ar: str = "أحمد خليل المصري", name_latin: str = "Ahmad Khalil al-Masri",
                sex: str = "M", birth_year: int | None = 1992, disappeared_on: date | None = date(2013, 8, 14),
                height_cm: float | None = 174, notify_preference: str = "each_time",
                wait_for_more_parts: bool = False) -> FamilySetup:
    """A family: father and mother (typed donors) and their missing son/daughter."""
    n = len(db.exec(select(Family)).all()) + 1
    with write(db, actor=SETUP, reason="test"):
        person = MissingPerson(case_number=f"MP-T-{n:04d}", name_ar=name_ar, name_latin=name_latin, sex=sex,
                               birth_year=birth_year, disappeared_on=disappeared_on, height_cm=height_cm,
                               contact_name="Mariam (mother)", contact_phone="+000 000 0001",
                               contact_relation="mother", notify_preference=notify_preference,
                               wait_for_more_parts=wait_for_more_parts)
        family = Family(code=f"FAM-T{n:04d}")
        db.add_all([person, family])
        db.flush()
        members = []
        for code, member_sex, label in (("F", "M", "father"), ("M", "F", "mother")):
            donor = Donor(code=f"D-T{n:04d}-{code}", name_latin=f"{label} {n}", sex=member_sex)
            db.add(donor)
            db.flush()
            member = PedigreeMember(family_id=family.id or 0, person_code=code, sex=member_sex,
                                    donor_id=donor.id, relation_label=label)
            db.add(member)
            db.flush()
            members.append(member)
        child = PedigreeMember(family_id=family.id or 0, person_code="MP", sex=sex, father_id=members[0].id,
                               mother_id=members[1].id, missing_person_id=person.id,
                               relation_label="missing person")
        db.add(child)
        db.flush()
        members.append(child)
    return FamilySetup(family, person, members)


def make_run(db: Session, by: User) -> MatchRun:
    with write(db, actor=SETUP, reason="test"):
        table = db.exec(select(FrequencyTable)).first()
        if table is None:
            table = FrequencyTable(name="test freqs", source="test", is_default=True)
            db.add(table)
            db.flush()
        run = MatchRun(started_by_id=by.id or 0, status="done", progress=1.0, frequency_table_id=table.id or 0,
                       params_json=json.dumps({"theta": 0.01, "min_frequency": 0.001, "mutation_rate": 0.002,
                                               "prior": "1/1000"}), engine_version="labtrack-kinship 0.1.0")
        db.add(run)
    return run


def make_match(db: Session, *, run: MatchRun, remains: Remains, family: FamilySetup, log10_lr: float = 9.2,
               posterior: float = 0.999999, prior: float = 0.001) -> Match:
    profile = db.exec(select(Profile).join(Sample, Sample.id == Profile.sample_id)  # type: ignore[arg-type]
                      .where(Sample.remains_id == remains.id)).first()
    assert profile is not None
    father, mother = family.members[0], family.members[1]
    loci = [dict(locus, relatives={str(father.id): [locus["remains"][0], "20"],
                                   str(mother.id): [locus["remains"][1], "21"]}) for locus in PER_LOCUS]
    # the match-run writer sets sample_id (one open candidate per remains sample and family); a test
    # that adds a second candidate for a pair gets one without it, as rows from before migration 0006
    taken = db.exec(select(Match.id).where(Match.sample_id == profile.sample_id, Match.family_id == family.family.id,
                                           Match.closed_at == None)).first()  # type: ignore[arg-type]  # noqa: E711
    with write(db, actor=SETUP, reason="test"):
        match = Match(run_id=run.id or 0, profile_id=profile.id or 0, family_id=family.family.id or 0,
                      sample_id=None if taken else profile.sample_id, log10_lr=log10_lr, posterior=posterior,
                      prior=prior, loci_used=len(loci),
                      per_locus_json=json.dumps(loci))
        db.add(match)
    return match


@dataclass
class Candidate:
    match: Match
    remains: Remains
    family: FamilySetup
    run: MatchRun
    site: Site


def make_candidate(db: Session, by: User, *, site_code: str = "QTF", **match_args: float) -> Candidate:
    """Site → remains (sample, profile) → family with a missing person → run → one match."""
    site = make_site(db, site_code)
    remains = make_remains(db, site)
    family = make_family(db)
    run = make_run(db, by)
    return Candidate(make_match(db, run=run, remains=remains, family=family, **match_args), remains, family, run,
                     site)
