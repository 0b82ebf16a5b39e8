"""Quality control of DNA profiles: minimum loci, staff elimination, duplicates."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlmodel import Session, select

from labtrack.core.kits import is_autosomal
from labtrack.models import Profile, ProfileAllele, Sample, StaffMember, User
from labtrack.services.transaction import write

DEFAULT_MIN_SEARCH_LOCI = 12
MIN_STAFF_OVERLAP = 8  # common typed autosomal loci needed to call a staff match

Genotypes = dict[str, tuple[str, str]]


def typed_autosomal(genotypes: Genotypes) -> Genotypes:
    """Loci usable for comparison: autosomal STRs with two numeric/microvariant alleles."""
    return {locus: pair for locus, pair in genotypes.items()
            if is_autosomal(locus) and "OL" not in pair}


def same_source(a: Genotypes, b: Genotypes, *, min_overlap: int = MIN_STAFF_OVERLAP) -> int:
    """Number of shared loci when every shared typed locus has the same genotype (0 otherwise).

    >>> same_source({"TH01": ("6", "9.3")}, {"TH01": ("9.3", "6")}, min_overlap=1)
    1
    """
    a, b = typed_autosomal(a), typed_autosomal(b)
    shared = a.keys() & b.keys()
    if len(shared) < min_overlap:
        return 0
    if all(sorted(a[locus]) == sorted(b[locus]) for locus in shared):
        return len(shared)
    return 0


def staff_genotypes(session: Session) -> dict[str, Genotypes]:
    """Staff code → genotypes of that staff member's current profile. Two indexed reads (the staff
    profiles, then their alleles): one join let SQLite scan every allele of the lab (2 s at 100,000
    families, on every profile import)."""
    code_of = dict(session.exec(
        select(Profile.id, StaffMember.code).join(StaffMember, Profile.staff_member_id == StaffMember.id)  # type: ignore[arg-type]
        .where(Profile.superseded == False)  # noqa: E712
    ).all())
    result: dict[str, Genotypes] = defaultdict(dict)
    ids = sorted(code_of)
    for start in range(0, len(ids), 500):
        for profile_id, locus, a1, a2 in session.exec(
                select(ProfileAllele.profile_id, ProfileAllele.locus, ProfileAllele.allele1, ProfileAllele.allele2)
                .where(ProfileAllele.profile_id.in_(ids[start:start + 500]))):  # type: ignore[attr-defined]
            result[code_of[profile_id]][locus] = (a1, a2)
    return dict(result)


def staff_match(genotypes: Genotypes, staff: dict[str, Genotypes]) -> tuple[str, int] | None:
    """(staff code, loci compared) of the first staff member whose profile matches, or None."""
    for code, theirs in staff.items():
        loci = same_source(genotypes, theirs)
        if loci:
            return code, loci
    return None


def add_staff_member(*, session: Session, code: str, role_description: str = "",
                     by: User | str) -> StaffMember:
    with write(session, actor=by, reason=f"staff member {code} added to the elimination database"):
        member = StaffMember(code=code.strip(), role_description=role_description)
        session.add(member)
    return member


@dataclass(frozen=True)
class DuplicateProfiles:
    """Two current profiles with the same genotype (same or different remains)."""

    first: str
    second: str
    loci: int
    same_remains: bool

    @property
    def kind(self) -> str:
        return "duplicate sample of one remains" if self.same_remains else "re-association of body parts"


def current_genotypes(session: Session, *, origin: str) -> dict[int, tuple[Sample, Genotypes]]:
    """profile id → (sample, genotypes) for current profiles of ``origin`` with a sample."""
    rows = session.exec(
        select(Profile.id, Sample, ProfileAllele.locus, ProfileAllele.allele1, ProfileAllele.allele2)
        .join(Sample, Sample.id == Profile.sample_id)  # type: ignore[arg-type]
        .join(ProfileAllele, ProfileAllele.profile_id == Profile.id)  # type: ignore[arg-type]
        .where(Profile.origin == origin, Profile.superseded == False,  # noqa: E712
               Profile.is_mixture == False)  # noqa: E712
    ).all()
    result: dict[int, tuple[Sample, Genotypes]] = {}
    for profile_id, sample, locus, a1, a2 in rows:
        result.setdefault(profile_id, (sample, {}))[1][locus] = (a1, a2)
    return result


def duplicate_report(session: Session, *, min_overlap: int = MIN_STAFF_OVERLAP) -> list[DuplicateProfiles]:
    """Pairs of remains profiles with identical genotypes at >= ``min_overlap`` shared loci (the
    engine's direct matching with blocking keys: ``services.direct_matches``, no pair loop)."""
    from labtrack.services import direct_matches

    return [DuplicateProfiles(p.first, p.second, p.loci, p.same_remains)
            for p in direct_matches.pairs(session, min_overlap=min_overlap, max_mismatches=0)]
