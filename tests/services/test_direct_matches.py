"""Identical and near-identical remains profiles by the engine's direct matching: the same pairs
as comparing every pair with ``quality.same_source`` (the old report), found without the pair loop;
one differing locus reported as such; the quality page lists them."""

from __future__ import annotations

import itertools
import random

import pytest
from flask.testing import FlaskClient
from sqlmodel import Session

from labtrack.models import Sample
from labtrack.services import direct_matches, quality
from labtrack.services.transaction import write
from tests.review_factories import SETUP, add_typed_sample, make_remains, make_site

LOCI = ["CSF1PO", "D13S317", "D16S539", "D18S51", "D21S11", "D3S1358", "D5S818", "D7S820", "D8S1179", "FGA",
        "TH01", "TPOX", "vWA", "D2S1338", "D19S433"]


def _random_genotypes(rng: random.Random) -> dict[str, tuple[str, str]]:
    return {locus: tuple(sorted((str(rng.randint(6, 14)), str(rng.randint(6, 14))))) for locus in LOCI}


def _add_profile(db: Session, remains_id: int, genotypes: dict[str, tuple[str, str]], number: int) -> Sample:
    with write(db, actor=SETUP, reason="test"):
        sample = add_typed_sample(db, remains_id, genotypes, accession=f"T-{remains_id:05d}-S{number:02d}",
                                  number=number, sample_type="tooth", kit="GlobalFiler")
    return sample


@pytest.fixture
def set_of_profiles(db: Session) -> dict[str, dict[str, tuple[str, str]]]:
    """40 remains; some typed twice (duplicate samples), some body parts of one person (partial
    profiles: 8–12 loci), one with a typing difference at one locus."""
    rng = random.Random(5)
    site = make_site(db, "QTF")
    people = [_random_genotypes(rng) for _ in range(30)]
    genotypes_of: dict[str, dict[str, tuple[str, str]]] = {}
    for n in range(40):
        remains = make_remains(db, site)
        person = people[n % 30]  # remains 30-39 are parts of people 0-9
        if n >= 30:
            kept = rng.sample(LOCI, rng.randint(8, 12))
            person = {locus: person[locus] for locus in kept}
        sample = _add_profile(db, remains.id, person, 2)
        genotypes_of[sample.accession] = person
        if n % 10 == 3:  # a second sample of the same remains
            again = _add_profile(db, remains.id, dict(person), 3)
            genotypes_of[again.accession] = person
        if n == 35:  # a third piece of person 5 with one allele misread
            differing = dict(person)
            first = next(iter(differing))
            differing[first] = ("5", "99")
            piece = make_remains(db, site)
            odd = _add_profile(db, piece.id, differing, 2)
            genotypes_of[odd.accession] = differing
    return genotypes_of


def test_the_same_pairs_as_comparing_every_pair(db: Session, set_of_profiles) -> None:
    expected = set()
    for (a, ga), (b, gb) in itertools.combinations(sorted(set_of_profiles.items()), 2):
        if quality.same_source(ga, gb, min_overlap=8):
            expected.add((a, b))
    found = direct_matches.pairs(db, min_overlap=8, max_mismatches=0)
    assert {(p.first, p.second) for p in found} == expected
    assert len(expected) >= 14  # duplicates (4) + parts (10) + more
    assert all(p.identical and p.log10_lr > 5 for p in found)
    assert {(d.first, d.second) for d in quality.duplicate_report(db)} == expected
    same_remains = {(p.first, p.second) for p in found if p.same_remains}
    assert same_remains and all(a.endswith("S02") and b.endswith("S03") for a, b in same_remains)


def test_one_differing_locus_is_a_near_identical_pair(db: Session, set_of_profiles) -> None:
    odd = next(acc for acc, g in set_of_profiles.items() if ("5", "99") in g.values())
    near = [p for p in direct_matches.pairs(db, max_mismatches=1) if not p.identical]
    assert near and all(odd in (p.first, p.second) for p in near)
    assert all(len(p.mismatched) == 1 and p.loci == p.overlap - 1 for p in near)
    assert not any(odd in (p.first, p.second) for p in direct_matches.pairs(db, max_mismatches=0))


def test_the_quality_page_lists_the_pairs(client: FlaskClient, db: Session, set_of_profiles, login_as) -> None:
    login_as("analyst")
    client.post("/profiles/reassociation/run")  # the worker's job (inline in tests) stores the pairs
    html = client.get("/profiles/quality?per=200").get_data(as_text=True)
    for pair in direct_matches.pairs(db):
        assert pair.first in html and pair.second in html
    assert html.count('class="near-identical"') == len([p for p in direct_matches.pairs(db) if not p.identical])
    login_as("technician")
    assert client.get("/profiles/quality").status_code == 403


def test_a_body_part_typed_from_poor_bone_is_still_paired(db: Session, set_of_profiles) -> None:
    """A piece showing one allele at two heterozygous loci (drop-out) is paired with its person,
    the two loci named as possible drop-outs (not mismatches, not a fake allele "")."""
    site_remains = next(iter(set_of_profiles))
    person = set_of_profiles[site_remains]
    hets = [locus for locus, (a, b) in person.items() if a != b][:2]
    degraded = {locus: ((a, "") if locus in hets else (a, b)) for locus, (a, b) in person.items()}
    from sqlmodel import select

    from labtrack.models import Remains, Site

    remains = db.get(Remains, db.exec(select(Sample).where(Sample.accession == site_remains)).one().remains_id)
    site = db.get(Site, remains.site_id)  # type: ignore[union-attr]
    piece = _add_profile(db, make_remains(db, site).id, degraded, 2)
    pairs = [p for p in direct_matches.pairs(db, max_mismatches=0) if piece.accession in (p.first, p.second)]
    partner = [p for p in pairs if site_remains in (p.first, p.second)]
    assert partner, "the degraded piece is paired with its person"
    assert set(partner[0].dropout) == set(hets) and partner[0].mismatched == ()
    assert not partner[0].identical and partner[0].loci == partner[0].overlap - 2
