"""Reading stored profiles: lists, one profile with its alleles, reference profiles for CMF."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, select

from labtrack.core.errors import Conflict, NotFound, require_reason
from labtrack.core.messages import msg
from labtrack.kinship.dropout_estimate import DropoutEstimate, estimate_dropout
from labtrack.models import Profile, ProfileAllele, ProfileImport, Sample, StaffMember, User
from labtrack.services import frequencies
from labtrack.services.transaction import write


@dataclass(frozen=True)
class ProfileRow:
    profile: Profile
    owner: str  # sample accession or staff code


def list_profiles(session: Session, *, include_superseded: bool = False, limit: int = 500) -> list[ProfileRow]:
    statement = (select(Profile, Sample.accession, StaffMember.code)
                 .join(Sample, Sample.id == Profile.sample_id, isouter=True)  # type: ignore[arg-type]
                 .join(StaffMember, StaffMember.id == Profile.staff_member_id, isouter=True)  # type: ignore[arg-type]
                 .order_by(Profile.id.desc()).limit(limit))  # type: ignore[union-attr]
    if not include_superseded:
        statement = statement.where(Profile.superseded == False)  # noqa: E712
    return [ProfileRow(p, accession or code or "") for p, accession, code in session.exec(statement)]


def get_profile(session: Session, profile_id: int) -> tuple[ProfileRow, list[ProfileAllele]]:
    profile = session.get(Profile, profile_id)
    if profile is None:
        raise NotFound(msg("No profile #%(id)s.", id=profile_id))
    owner = ""
    if profile.sample_id:
        sample = session.get(Sample, profile.sample_id)
        owner = sample.accession if sample else ""
    elif profile.staff_member_id:
        member = session.get(StaffMember, profile.staff_member_id)
        owner = member.code if member else ""
    alleles = list(session.exec(select(ProfileAllele).where(ProfileAllele.profile_id == profile_id)
                                .order_by(ProfileAllele.locus)))
    return ProfileRow(profile, owner), alleles


def list_imports(session: Session, limit: int = 50) -> list[ProfileImport]:
    return list(session.exec(select(ProfileImport).order_by(ProfileImport.id.desc()).limit(limit)))  # type: ignore[union-attr]


def reference_profiles(session: Session) -> list[tuple[str, dict[str, tuple[str, ...]]]]:
    """(reference sample accession, {locus: alleles}) of current reference profiles (for CMF)."""
    rows = session.exec(
        select(Sample.accession, ProfileAllele.locus, ProfileAllele.allele1, ProfileAllele.allele2)
        .join(Profile, Profile.sample_id == Sample.id)  # type: ignore[arg-type]
        .join(ProfileAllele, ProfileAllele.profile_id == Profile.id)  # type: ignore[arg-type]
        .where(Profile.origin == "reference", Profile.superseded == False)  # noqa: E712
        .order_by(Sample.accession, ProfileAllele.locus)
    ).all()
    result: dict[str, dict[str, tuple[str, ...]]] = {}
    for accession, locus, a1, a2 in rows:
        result.setdefault(accession, {})[locus] = (a1,) if a1 == a2 else (a1, a2)
    return list(result.items())


def set_dropout(session: Session, *, profile_id: int, dropout: float | None, by: User, reason: str) -> Profile:
    """Give a badly degraded remains sample its own drop-out probability (None: the run's),
    with a reason; audited. Later match runs use it for this sample's LRs."""
    reason = require_reason(reason, msg("change a sample's drop-out probability"))
    if dropout is not None and not 0.0 <= dropout < 1.0:
        raise Conflict(msg("drop-out probability %(value)s is not at least 0 and below 1", value=dropout))
    with write(session, actor=by, reason=reason):
        profile = session.get(Profile, profile_id)
        if profile is None:
            raise NotFound(msg("no profile %(id)s", id=profile_id))
        if profile.origin != "remains":
            raise Conflict(msg("only remains profiles have a drop-out probability (references are taken as typed)"))
        if profile.superseded:
            raise Conflict(msg("profile %(id)s was superseded by a re-typing: change the current version",
                                   id=profile_id))
        profile.dropout = dropout
        session.add(profile)
    return profile


def dropout_estimate(session: Session, profile: Profile, alleles: list[ProfileAllele]) -> DropoutEstimate | None:
    """The drop-out probability this remains profile suggests (`labtrack.kinship.dropout_estimate`),
    against the default frequency table; None for references, without a table or with too few loci."""
    if profile.origin != "remains":
        return None
    table = frequencies.default_table(session)
    if table is None:
        return None
    seen = {a.locus: (a.allele1, a.allele2) if a.allele2 else (a.allele1,) for a in alleles if a.allele1}
    return estimate_dropout(seen, frequencies.engine_table(session, table))
