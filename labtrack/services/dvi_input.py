"""What a closed event's joint DVI analyses: the event's remains (victims: each with its best
searchable profile and estimated sex) against the families of its missing persons (references:
searchable profiles of consenting donors), the default frequency table and the lab's mutation
model, as a checked `DVIProblem` with the SHA-256 of exactly that input.

Names in the problem: a victim is its remains accession, a missing person its case number;
other pedigree members are `<family code>/<person code>`, typed ones carry their reference
sample accession. A family's missing persons who are not in the event stay in the tree
untyped (they are nobody's candidate in this event).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session, col, select

from labtrack.core.errors import InputError, InputProblem, ValidationFailed
from labtrack.core.messages import msg
from labtrack.kinship.dvi import DVIProblem, MutationSpec, Victim
from labtrack.kinship.freqs import FrequencyTable
from labtrack.kinship.markers import canonical_marker
from labtrack.kinship.pedigree import FEMALE, MALE, Person
from labtrack.models import DviEvent, DviEventMissing, DviEventRemains, Family, MissingPerson, PedigreeMember, Remains
from labtrack.services import consent, frequencies, lab_settings
from labtrack.services import families as families_service
from labtrack.services.match_parameters import MatchParameters
from labtrack.services.search_input import searched_call

_SEX = {"M": MALE, "F": FEMALE}


@dataclass
class EventInput:
    """A closed event ready for the joint DVI."""

    problem: DVIProblem
    #: remains accession -> remains id; case number -> (missing person id, family id, family code)
    remains: dict[str, int]
    missing: dict[str, tuple[int, int, str]]
    frequency_table_id: int
    params: dict[str, Any]
    sha256: str
    #: remains of the event left out (no searchable profile), by accession, with the reason
    left_out: dict[str, str] = field(default_factory=dict)


def _mutation_specs(params: MatchParameters, markers: list[str]) -> dict[tuple[str, int], MutationSpec] | None:
    """The lab's mutation model per marker and sex (its per-marker table, if it chose one)."""
    model = params.mutation()
    if model is None:
        return None
    return {(m, sex): MutationSpec(params.mutation_model, model.rate_for(m, name), params.mutation_rate2,
                                   params.mutation_range)
            for m in markers for sex, name in ((FEMALE, "female"), (MALE, "male"))}


def event_input(session: Session, event: DviEvent, config: Mapping[str, Any]) -> EventInput:
    """Build the event's problem from the database as it is now. ValidationFailed names every
    problem (no remains with a profile, a missing person in no family or in two, ...)."""
    problems: list[InputProblem] = []
    remains_rows = list(session.exec(
        select(Remains).join(DviEventRemains, DviEventRemains.remains_id == Remains.id)  # type: ignore[arg-type]
        .where(DviEventRemains.event_id == event.id).order_by(Remains.accession)))
    missing_rows = list(session.exec(
        select(MissingPerson).join(DviEventMissing, DviEventMissing.missing_person_id == MissingPerson.id)  # type: ignore[arg-type]
        .where(DviEventMissing.event_id == event.id).order_by(MissingPerson.case_number)))
    if not remains_rows:
        problems.append(InputProblem(message=msg("the event has no remains yet"), field="remains"))
    if not missing_rows:
        problems.append(InputProblem(message=msg("the event has no missing persons yet"), field="missing_persons"))
    samples_of = _remains_samples(session, [r.id or 0 for r in remains_rows])
    wanted = {s for accessions in samples_of.values() for s in accessions}
    for person in missing_rows:
        for family in families_service.families_of_missing_person(session, person.id or 0):
            wanted |= {m.sample_accession for m in families_service.members(session, family) if m.sample_accession}
    by_sample = searchable_profiles(session, wanted)
    genotypes: dict[str, dict[str, tuple[str, str]]] = {}
    victims: list[Victim] = []
    remains_ids: dict[str, int] = {}
    victim_samples: dict[str, str] = {}
    left_out: dict[str, str] = {}
    for remains in remains_rows:
        typed = [(len(by_sample[s]), s) for s in samples_of.get(remains.id or 0, []) if s in by_sample]
        if not typed:
            left_out[remains.accession] = "no searchable profile"
            continue
        best = sorted(typed, key=lambda t: (-t[0], t[1]))[0][1]
        genotypes[remains.accession] = by_sample[best]
        victim_samples[remains.accession] = best
        victims.append(Victim(remains.accession, _SEX.get(remains.est_sex, 0)))
        remains_ids[remains.accession] = remains.id or 0
    if remains_rows and not victims:
        problems.append(InputProblem(message=msg("none of the event's remains has a searchable profile"),
                                     field="remains"))
    persons_by_family: dict[str, list[Person]] = {}
    missing: dict[str, tuple[int, int, str]] = {}
    in_event = {p.id for p in missing_rows}
    for person in missing_rows:
        fams = families_service.families_of_missing_person(session, person.id or 0)
        if not fams:
            problems.append(InputProblem(
                message=msg("missing person %(case)s is in no family: there are no references to compare with",
                            case=person.case_number), field="missing_persons"))
            continue
        if len(fams) > 1:
            problems.append(InputProblem(
                message=msg("missing person %(case)s is in %(count)s families (%(families)s): keep "
                            "one tree per missing person", case=person.case_number, count=len(fams),
                            families=", ".join(f.code for f in fams)), field="missing_persons"))
            continue
        family = fams[0]
        missing[person.case_number] = (person.id or 0, family.id or 0, family.code)
        if family.code not in persons_by_family:
            persons_by_family[family.code] = _persons(session, family, in_event, by_sample, genotypes)
    if problems:
        raise ValidationFailed(msg("Event %(event)s cannot be analysed", event=event.code), problems)
    params = lab_settings.run_parameters(session, config)
    table_row = frequencies.get_table(session)
    freq = frequencies.table_frame(session, table_row)
    table = FrequencyTable.from_rows(
        [(m, a, float(f), int(n) if n == n and n is not None else None)
         for m, a, f, n in freq[["marker", "allele", "frequency", "n_alleles"]].itertuples(index=False)],
        min_freq=1e-3)  # fmt: skip
    mutation = _mutation_specs(params, sorted({m for g in genotypes.values() for m in g}))
    try:
        problem = DVIProblem.build(victims=victims, families=persons_by_family, genotypes=genotypes, freqs=table,
                                   mutation=mutation, source=f"event {event.code}", allow_unknown_sex=True)
    except InputError as error:
        raise ValidationFailed(msg("Event %(event)s cannot be analysed", event=event.code), error.problems) from error
    used = {"mutation_model": params.mutation_model, "mutation_rate": params.mutation_rate,
            "mutation_rate_female": params.mutation_rate_female, "mutation_rate_male": params.mutation_rate_male,
            "mutation_rate2": params.mutation_rate2, "mutation_range": params.mutation_range,
            "frequency_table": table_row.name, "min_freq": 1e-3}
    if params.mutation_rate_table != "none":  # only then: the SHA-256 of earlier analyses stays the same
        used["mutation_rate_table"] = params.mutation_rate_table
    canonical = {
        "victims": [[v.sample_id, v.sex, victim_samples[v.sample_id], sorted(genotypes[v.sample_id].items())]
                    for v in victims],
        "families": {code: [[p.person_id, p.father_id, p.mother_id, p.sex, p.sample_id, p.missing] for p in persons]
                     for code, persons in sorted(persons_by_family.items())},
        "references": {s: sorted(genotypes[s].items()) for code, persons in sorted(persons_by_family.items())
                       for p in persons if (s := p.sample_id)},
        "frequency_table": [table_row.id, table_row.file_sha256], "params": used,
    }  # fmt: skip
    digest = hashlib.sha256(json.dumps(canonical, sort_keys=True, separators=(",", ":")).encode()).hexdigest()
    return EventInput(problem, remains_ids, missing, table_row.id or 0, used, digest, left_out)


def searchable_profiles(session: Session, accessions: set[str]) -> dict[str, dict[str, tuple[str, str]]]:
    """The searchable genotypes (as a match run takes them: current, not a mixture, enough loci,
    consenting donors, ladder alleles of autosomal loci) of these samples only, by accession.
    One allele seen is read as a homozygote (the joint DVI has no drop-out model)."""
    from labtrack.models import Profile, ProfileAllele, Sample

    out: dict[str, dict[str, tuple[str, str]]] = {}
    if not accessions:
        return out
    consenting = consent.consenting_donor_ids(session)
    chosen = sorted(accessions)
    for start in range(0, len(chosen), 500):
        rows = session.exec(
            select(Sample.accession, Sample.donor_id, ProfileAllele.locus, ProfileAllele.allele1,
                   ProfileAllele.allele2)
            .join(Profile, Profile.sample_id == Sample.id)  # type: ignore[arg-type]
            .join(ProfileAllele, ProfileAllele.profile_id == Profile.id)  # type: ignore[arg-type]
            .where(col(Sample.accession).in_(chosen[start:start + 500]), Profile.searchable == True,  # noqa: E712
                   Profile.superseded == False, Profile.is_mixture == False,  # noqa: E712
                   col(Profile.origin).in_(("remains", "reference")))).all()
        for accession, donor_id, locus, a1, a2 in rows:
            if donor_id is not None and donor_id not in consenting:
                continue
            if searched_call(locus, a1, a2):
                out.setdefault(accession, {})[canonical_marker(locus)] = (a1, a2 or a1)
    return out


def _remains_samples(session: Session, remains_ids: list[int]) -> dict[int, list[str]]:
    from labtrack.models import Sample

    out: dict[int, list[str]] = {}
    if not remains_ids:
        return out
    for remains_id, accession in session.exec(select(Sample.remains_id, Sample.accession)
                                              .where(Sample.remains_id.in_(remains_ids))):  # type: ignore[union-attr]
        out.setdefault(remains_id or 0, []).append(accession)
    return out


def _persons(session: Session, family: Family, in_event: set[int | None],
             by_sample: dict[str, dict[str, tuple[str, str]]],
             genotypes: dict[str, dict[str, tuple[str, str]]]) -> list[Person]:
    """The family's tree for the event: its missing persons of the event by case number."""
    members = families_service.members(session, family)
    rows = {m.id: m for m in session.exec(select(PedigreeMember).where(PedigreeMember.family_id == family.id))}
    names: dict[str, str] = {}
    for m in members:
        row = rows[m.id]
        names[m.person_code] = (m.case_number if row.missing_person_id in in_event and m.case_number
                                else f"{family.code}/{m.person_code}")
    persons = []
    for m in members:
        row = rows[m.id]
        sample = m.sample_accession if m.sample_accession in by_sample else None
        if sample is not None:
            genotypes[sample] = by_sample[sample]
        persons.append(Person(names[m.person_code], names.get(m.father) if m.father else None,
                              names.get(m.mother) if m.mother else None, _SEX.get(m.sex, 0), sample,
                              row.missing_person_id in in_event))
    return persons
