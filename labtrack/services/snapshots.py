"""Snapshots of the exact inputs of a candidate's computation, and the checks built on them.

A snapshot (canonical JSON, hashed with SHA-256) holds what the numbers were computed from: the
remains profile (id, version, alleles), the family's pedigree members with, for each typed donor,
the reference profile (id, version, alleles) and whether consent was active, the frequency table
(id, name, file hash and a hash of its entries), the run's parameters and the engine version.

* ``candidates.store`` keeps one with every computation (``MatchEvidence.inputs_json``);
* ``check_unchanged`` (propose, approve) rebuilds it from the database as it is now and refuses,
  naming what changed, when anything differs — a re-typed profile, a withdrawn consent, a pedigree
  edit — and refuses a donor without active consent at the moment of signing;
* ``reproduce`` recomputes the candidate from its snapshot with the engine and compares.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlmodel import Session, select

from labtrack.core.errors import Conflict, NotFound
from labtrack.core.messages import listed, msg
from labtrack.models import (
    Donor,
    Family,
    FrequencyEntry,
    FrequencyTable,
    Match,
    MatchEvidence,
    MatchRun,
    PedigreeMember,
    Profile,
    ProfileAllele,
    Sample,
)
from labtrack.services import consent
from labtrack.services.audit import canonical_json

PARTS = {"remains": msg("the remains profile"), "family": msg("the pedigree, its reference profiles or consents"),
         "frequency_table": msg("the frequency table"), "parameters": msg("the parameters"),
         "engine": msg("the engine version"), "mutation_rates": msg("the per-marker mutation-rate table")}


#: ids per ``IN (...)`` list: PostgreSQL's driver takes at most 65,535 parameters a statement, and a
#: full run at 100,000 families asks for more than that
_CHUNK = 5000


def rows_by_ids(session: Session, ids: Iterable[int], statement: Callable[[list[int]], Any]) -> Iterator[Any]:
    """The rows of ``statement(chunk)`` for the distinct ``ids`` in ascending chunks of ``_CHUNK``
    (the statement filters on ``column.in_(chunk)``), so that no statement carries more ids than
    the driver takes; rows of one id all come from the same statement."""
    ordered = sorted(set(ids))
    for start in range(0, len(ordered), _CHUNK):
        yield from session.exec(statement(ordered[start:start + _CHUNK]))


def digest(snapshot: dict[str, Any]) -> str:
    return hashlib.sha256(canonical_json(snapshot).encode("utf-8")).hexdigest()


def _current_profiles(session: Session, sample_ids: list[int]) -> dict[int, Profile]:
    found: dict[int, Profile] = {}
    if not sample_ids:
        return found
    for profile in rows_by_ids(session, sample_ids, lambda chunk: select(Profile).where(
            Profile.sample_id.in_(chunk), Profile.superseded == False)):  # type: ignore[union-attr]  # noqa: E712
        if profile.sample_id is not None and profile.version >= getattr(found.get(profile.sample_id), "version", 0):
            found[profile.sample_id] = profile
    return found


def _alleles(session: Session, profile_ids: list[int]) -> dict[int, dict[str, list[str]]]:
    found: dict[int, dict[str, list[str]]] = {}
    if not profile_ids:
        return found
    for profile_id, locus, a1, a2 in rows_by_ids(session, profile_ids, lambda chunk: select(
            ProfileAllele.profile_id, ProfileAllele.locus, ProfileAllele.allele1, ProfileAllele.allele2)
            .where(ProfileAllele.profile_id.in_(chunk))):  # type: ignore[attr-defined]
        found.setdefault(profile_id, {})[locus] = [a1, a2]
    return found


def _profile_part(profile: Profile | None, alleles: dict[int, dict[str, list[str]]]) -> dict[str, Any] | None:
    if profile is None:
        return None
    return {"profile_id": profile.id, "version": profile.version, "searchable": profile.searchable,
            "alleles": alleles.get(profile.id or 0, {})}


class Parts:
    """Builds the parts of many snapshots with few queries (one store call, one check)."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.consenting = consent.consenting_donor_ids(session)
        self._tables: dict[int, dict[str, Any]] = {}
        self._families: dict[int, dict[str, Any]] = {}

    def remains(self, sample_ids: list[int]) -> dict[int, dict[str, Any]]:
        profiles = _current_profiles(self.session, sample_ids)
        alleles = _alleles(self.session, [p.id or 0 for p in profiles.values()])
        accessions = dict(rows_by_ids(self.session, sample_ids, lambda chunk: select(
            Sample.id, Sample.accession).where(Sample.id.in_(chunk))))  # type: ignore[union-attr]
        return {sid: {"sample": accessions.get(sid), "profile": _profile_part(profiles.get(sid), alleles)}
                for sid in sample_ids}

    def families(self, family_ids: list[int]) -> dict[int, dict[str, Any]]:
        wanted = [f for f in family_ids if f not in self._families]
        if wanted:
            members = list(rows_by_ids(self.session, wanted, lambda chunk: select(PedigreeMember).where(
                PedigreeMember.family_id.in_(chunk)).order_by(PedigreeMember.id)))  # type: ignore[attr-defined, arg-type]
            codes = dict(rows_by_ids(self.session, wanted, lambda chunk: select(Family.id, Family.code).where(
                Family.id.in_(chunk))))  # type: ignore[union-attr]
            donor_ids = [m.donor_id for m in members if m.donor_id is not None]
            donors = dict(rows_by_ids(self.session, donor_ids, lambda chunk: select(Donor.id, Donor.code).where(
                Donor.id.in_(chunk))))  # type: ignore[union-attr]
            samples: dict[int, Sample] = {}
            for sample in rows_by_ids(self.session, donor_ids, lambda chunk: select(Sample).where(
                    Sample.donor_id.in_(chunk)).order_by(Sample.id)):  # type: ignore[union-attr]
                samples.setdefault(sample.donor_id or 0, sample)
            profiles = _current_profiles(self.session, [s.id or 0 for s in samples.values()])
            alleles = _alleles(self.session, [p.id or 0 for p in profiles.values()])
            by_id = {m.id: m for m in members}
            by_family: dict[int, list[PedigreeMember]] = {}
            for m in members:  # grouped once: a scan per family was quadratic at 100,000 families
                by_family.setdefault(m.family_id, []).append(m)
            for family_id in wanted:
                rows = []
                for m in by_family.get(family_id, []):
                    sample = samples.get(m.donor_id or -1)
                    rows.append({
                        "person": m.person_code, "sex": m.sex,
                        "father": by_id[m.father_id].person_code if m.father_id in by_id else "",
                        "mother": by_id[m.mother_id].person_code if m.mother_id in by_id else "",
                        "missing": m.missing_person_id is not None,
                        "donor": donors.get(m.donor_id) if m.donor_id else None,
                        "consent": (m.donor_id in self.consenting) if m.donor_id else None,
                        "sample": sample.accession if sample else None,
                        "profile": _profile_part(profiles.get(sample.id or 0) if sample else None, alleles),
                    })
                self._families[family_id] = {"code": codes.get(family_id), "members": rows}
        return {f: self._families[f] for f in family_ids}

    def table(self, table_id: int) -> dict[str, Any]:
        if table_id not in self._tables:
            table = self.session.get(FrequencyTable, table_id)
            entries = self.session.exec(
                select(FrequencyEntry.marker, FrequencyEntry.allele, FrequencyEntry.frequency,
                       FrequencyEntry.n_alleles).where(FrequencyEntry.table_id == table_id)
                .order_by(FrequencyEntry.marker, FrequencyEntry.allele)).all()
            self._tables[table_id] = {
                "id": table_id, "name": table.name if table else None,
                "file_sha256": table.file_sha256 if table else None,
                "entries_sha256": hashlib.sha256(canonical_json([list(e) for e in entries]).encode()).hexdigest(),
            }
        return self._tables[table_id]


def rate_table_part(parameters: dict[str, Any]) -> dict[str, Any] | None:
    """The rates of the per-marker mutation-rate table the parameters name (None: no table). The
    run stores only the table's name; its numbers go into the snapshot, so an edit of the shipped
    file later shows as a changed input and ``reproduce`` recomputes with the numbers used."""
    from labtrack.services.mutation_rate_tables import NO_TABLE, load_table

    name = parameters.get("mutation_rate_table") or NO_TABLE
    if name == NO_TABLE or parameters.get("mutation_model", "none") == "none":
        return None
    try:
        rates = load_table(name)
    except KeyError:
        return {"name": name, "female": None, "male": None}
    return {"name": name, "female": dict(sorted(rates.female.items())), "male": dict(sorted(rates.male.items()))}


def build(remains: dict[str, Any], family: dict[str, Any], table: dict[str, Any], run: MatchRun) -> dict[str, Any]:
    parameters = json.loads(run.params_json or "{}")
    snapshot = {"remains": remains, "family": family, "frequency_table": table,
                "parameters": parameters, "engine": run.engine_version}
    rates = rate_table_part(parameters)
    if rates is not None:  # absent without a table: snapshots of runs without one are as before
        snapshot["mutation_rates"] = rates
    return snapshot


def latest_evidence(session: Session, match_id: int) -> MatchEvidence | None:
    return session.exec(select(MatchEvidence).where(MatchEvidence.match_id == match_id)
                        .order_by(MatchEvidence.id.desc())).first()  # type: ignore[union-attr]


def current(session: Session, match: Match, run: MatchRun) -> dict[str, Any]:
    """The snapshot of ``match`` as the database is now (with the run's table and parameters)."""
    parts = Parts(session)
    sample_id = match.sample_id or session.get(Profile, match.profile_id).sample_id  # type: ignore[union-attr]
    return build(parts.remains([sample_id])[sample_id], parts.families([match.family_id])[match.family_id],
                 parts.table(run.frequency_table_id), run)


def check_unchanged(session: Session, match: Match, run: MatchRun) -> None:
    """Refuse (Conflict) when an input of the match changed after it was computed, or a donor of
    the family has no active consent now."""
    stored = latest_evidence(session, match.id or 0)
    now = current(session, match, run)
    withdrawn = [m["donor"] for m in now["family"]["members"] if m["donor"] and m["consent"] is False
                 and m["profile"] is not None]
    if withdrawn:
        raise Conflict(msg("consent is not active for donor(s) %(donors)s of family %(family)s: the match cannot be "
                           "signed", donors=", ".join(withdrawn), family=now["family"]["code"]))
    if stored is None or not stored.inputs_json:
        return  # computed before snapshots were kept
    before = json.loads(stored.inputs_json)
    if digest(now) != stored.inputs_sha256 or digest(before) != stored.inputs_sha256:
        changed = [label for key, label in PARTS.items()
                   if canonical_json(before.get(key)) != canonical_json(now.get(key))]
        raise Conflict(msg("the inputs of match %(match)s changed after it was computed (%(changed)s); it needs a new "
                           "computation (a match run) before it can be reviewed", match=match.id,
                           changed=listed(changed) if changed else msg("the snapshot")))


def _searched_calls(profile: dict[str, Any] | None) -> dict[str, tuple[str, ...]]:
    from labtrack.kinship.markers import canonical_marker
    from labtrack.services.search_input import searched_call

    return {canonical_marker(locus): (a1, a2) if a2 else (a1,)
            for locus, (a1, a2) in ((profile or {}).get("alleles") or {}).items() if searched_call(locus, a1, a2)}


def matches_search(snapshot: dict[str, Any], genotypes: Any, pedigree: Any) -> bool:
    """Whether the snapshot (taken when the results are stored) describes what the run searched:
    the same calls of the remains and of the consenting typed relatives, the same tree. False when
    something changed while the run computed (the change has queued a new run)."""
    remains = snapshot["remains"]
    if _searched_calls(remains["profile"]) != dict(genotypes.get(remains["sample"], {})):
        return False
    sex = {"M": 1, "F": 2, "U": 0}
    typed = {}
    for m in snapshot["family"]["members"]:
        calls = _searched_calls(m["profile"]) if m["profile"] and m["consent"] else {}
        if calls:
            typed[m["sample"]] = calls
    expected = {(m["person"], m["father"] or None, m["mother"] or None, sex[m["sex"]],
                 m["sample"] if m["sample"] in typed else None, bool(m["missing"]))
                for m in snapshot["family"]["members"]}
    searched = {(p.person_id, p.father_id, p.mother_id, p.sex, p.sample_id, p.missing) for p in pedigree.persons}
    return expected == searched and all(dict(genotypes.get(sample, {})) == calls for sample, calls in typed.items())


@dataclass(frozen=True)
class Reproduction:
    match_id: int
    snapshot_ok: bool
    stored_log10_lr: float
    recomputed_log10_lr: float | None
    same_per_locus: bool

    @property
    def identical(self) -> bool:
        return self.snapshot_ok and self.recomputed_log10_lr == self.stored_log10_lr and self.same_per_locus


def reproduce(session: Session, match_id: int) -> Reproduction:
    """Recompute the match's latest computation from its snapshot alone (and the frequency table
    the snapshot names, checked against its hash) and compare, bit for bit."""
    from labtrack.imports.mutation_rates import MutationRates
    from labtrack.kinship.candidates import find_candidates
    from labtrack.services import frequencies
    from labtrack.services.match_parameters import MatchParameters
    from labtrack.services.search_input import (
        GENOTYPE_COLUMNS,
        PEDIGREE_COLUMNS,
        SearchInput,
        searched_call,
    )

    evidence = latest_evidence(session, match_id)
    if evidence is None or not evidence.inputs_json:
        raise NotFound(msg("match %(match)s has no snapshot of its inputs", match=match_id))
    snapshot = json.loads(evidence.inputs_json)
    table_part = snapshot["frequency_table"]
    table = session.get(FrequencyTable, table_part["id"])
    if table is None:
        raise NotFound(msg("frequency table %(table)s of match %(match)s no longer exists", table=table_part["id"],
                           match=match_id))
    snapshot_ok = digest(snapshot) == evidence.inputs_sha256 and Parts(session).table(table.id or 0) == table_part
    remains = snapshot["remains"]
    genotypes = []
    for sample, profile in [(remains["sample"], remains["profile"])] + [
            (m["sample"], m["profile"]) for m in snapshot["family"]["members"] if m["profile"] and m["consent"]]:
        for locus, (a1, a2) in sorted((profile or {}).get("alleles", {}).items()):
            if searched_call(locus, a1, a2):
                genotypes.append((sample, locus, a1, a2))
    typed = {g[0] for g in genotypes}
    code = snapshot["family"]["code"]
    sex_code = {"M": "1", "F": "2", "U": "0"}
    pedigree = [(code, m["person"], m["father"], m["mother"], sex_code[m["sex"]],
                 m["sample"] if m["sample"] in typed and m["consent"] else "", 1 if m["missing"] else 0)
                for m in snapshot["family"]["members"]]
    search_input = SearchInput(genotypes=pd.DataFrame(genotypes, columns=GENOTYPE_COLUMNS),
                               pedigrees=pd.DataFrame(pedigree, columns=PEDIGREE_COLUMNS),
                               remains=[remains["sample"]], freqs=frequencies.table_frame(session, table),
                               frequency_table_id=table.id or 0, frequency_table_name=table.name)
    engine = search_input.engine_input()
    params = MatchParameters.from_json(json.dumps(snapshot["parameters"]))
    kwargs = params.engine_kwargs() | {"prior": evidence.prior, "top_k": 1, "report_log10_lr": -1e30, "near_k": 1}
    rates = snapshot.get("mutation_rates")
    if rates and rates["female"] is not None:  # the numbers the computation used, not today's file
        kwargs["mutation"] = params.mutation(MutationRates(female=rates["female"], male=rates["male"]))
    found = find_candidates(engine.table, engine.pedigrees, engine.genotypes, engine.remains, **kwargs)
    again = next((c for c in found if c.family_id == code), None)
    return Reproduction(match_id=match_id, snapshot_ok=snapshot_ok, stored_log10_lr=evidence.log10_lr,
                        recomputed_log10_lr=again.log10_lr if again else None,
                        same_per_locus=again is not None and again.per_locus_json == evidence.per_locus_json)
