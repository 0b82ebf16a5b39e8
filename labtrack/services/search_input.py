"""What a match run feeds to the kinship engine, in the exchange format of the design.

``build_search_input`` collects:

* ``genotypes`` (``sample_id,marker,allele1,allele2``): current (not superseded), searchable
  profiles — not mixtures, at least the minimum number of typed autosomal loci, not flagged by the
  staff elimination check — of remains samples and of reference samples of donors whose consent
  is active (withdrawn consent excludes the donor). Only autosomal STR loci with two alleles from
  the ladder (no ``OL``) are given;
* ``pedigrees`` (``family_id,person_id,father_id,mother_id,sex,sample_id,missing``): every family;
  ``sample_id`` is the reference sample accession of a typed member (blank when the donor has no
  profile in ``genotypes``, e.g. consent withdrawn);
* ``remains``: the remains sample accessions to search;
* ``freqs`` (``marker,allele,frequency,count,n_alleles``) of the chosen or default table.

A run may search part of it: some remains against every family, or every remains against some
families (continuous matching). ``engine_input()`` hands the rows straight to the kinship engine
(no files); ``sha256()`` is the hash of exactly what was searched: the four exchange files as
``write()`` would write them, so that the search can be repeated from an export.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from operator import itemgetter
from pathlib import Path

import pandas as pd
from sqlalchemy import or_
from sqlmodel import Session, select

from labtrack.core.errors import InputError, InputProblem
from labtrack.core.kits import is_autosomal
from labtrack.core.messages import joined, msg
from labtrack.imports.pedigrees import SEX_CODE
from labtrack.kinship.freqs import FrequencyTable
from labtrack.kinship.markers import canonical_marker
from labtrack.kinship.pedigree import FEMALE, MALE, UNKNOWN_SEX, Pedigree, Person
from labtrack.models import Profile, ProfileAllele, Sample
from labtrack.services import consent, frequencies, pedigree_exchange

GENOTYPE_COLUMNS = ["sample_id", "marker", "allele1", "allele2"]
PEDIGREE_COLUMNS = ["family_id", "person_id", "father_id", "mother_id", "sex", "sample_id", "missing"]


@dataclass
class SearchInput:
    genotypes: pd.DataFrame
    pedigrees: pd.DataFrame
    remains: list[str]
    freqs: pd.DataFrame
    frequency_table_id: int
    frequency_table_name: str
    #: remains sample accession -> its own drop-out probability (badly degraded samples)
    remains_dropout: dict[str, float] = field(default_factory=dict)

    def files(self) -> dict[str, bytes]:
        """The exchange files' bytes: ``genotypes.csv``, ``pedigrees.csv``, ``remains.txt``, ``freqs.csv``
        and, when some remains have their own drop-out probability, ``remains_dropout.csv``."""
        files = {
            "genotypes.csv": self.genotypes.to_csv(index=False, lineterminator="\n").encode("utf-8"),
            "pedigrees.csv": self.pedigrees.to_csv(index=False, lineterminator="\n").encode("utf-8"),
            "remains.txt": "".join(f"{s}\n" for s in self.remains).encode("utf-8"),
            "freqs.csv": self.freqs.to_csv(index=False, lineterminator="\n").encode("utf-8"),
        }
        if self.remains_dropout:
            files["remains_dropout.csv"] = dropout_csv(self.remains_dropout)
        return files

    def write(self, directory: Path | str) -> dict[str, Path]:
        """Write ``genotypes.csv``, ``pedigrees.csv``, ``remains.txt`` and ``freqs.csv``."""
        folder = Path(directory)
        folder.mkdir(parents=True, exist_ok=True)
        paths = {}
        for name, data in self.files().items():
            paths[name] = folder / name
            paths[name].write_bytes(data)
        return paths

    def sha256(self) -> str:
        """SHA-256 over the four files in a fixed order, each as ``name\\n<size>\\n<bytes>``."""
        return files_sha256(self.files())

    def engine_input(self) -> EngineInput:
        """The engine's objects, built from the rows (no files). A family the engine cannot use is
        left out and named in ``problems`` (the run goes on with the others)."""
        if self.freqs.empty:
            raise InputError([InputProblem(file=f"frequency table {self.frequency_table_name}",
                                           message="no frequencies in the table")])
        table = FrequencyTable.from_rows(
            ((m, a, float(f), None if n is pd.NA or n is None else int(n))
             for m, a, f, n in zip(self.freqs["marker"], self.freqs["allele"], self.freqs["frequency"],
                                   self.freqs["n_alleles"], strict=True)),
            source=f"frequency table {self.frequency_table_name}")
        genotypes = engine_genotypes(self.genotypes)
        persons: dict[str, list[Person]] = {}
        for family, person, father, mother, sex, sample, missing in zip(
                *(self.pedigrees[c].tolist() for c in PEDIGREE_COLUMNS), strict=True):
            persons.setdefault(family, []).append(Person(
                person_id=person, father_id=father or None, mother_id=mother or None,
                sex=_ENGINE_SEX.get(str(sex), UNKNOWN_SEX), sample_id=sample or None, missing=bool(missing)))
        pedigrees, problems = [], []
        for family, members in persons.items():
            try:
                pedigrees.append(Pedigree.build(family, members, source=msg("family %(family)s", family=family)))
            except InputError as error:
                problems.append(msg("family %(family)s was skipped: %(problems)s", family=family,
                                    problems=joined(p.describe() for p in error.problems)))
        return EngineInput(table=table, pedigrees=pedigrees, genotypes=genotypes, remains=list(self.remains),
                           problems=problems, remains_dropout=dict(self.remains_dropout))


_ENGINE_SEX = {"1": MALE, "2": FEMALE, "0": UNKNOWN_SEX}


def dropout_csv(remains_dropout: dict[str, float]) -> bytes:
    """``remains_dropout.csv``: the remains with their own drop-out probability."""
    return ("sample_id,dropout\n" + "".join(f"{s},{d!r}\n" for s, d in sorted(remains_dropout.items()))).encode()


def files_sha256(files: dict[str, bytes]) -> str:
    """SHA-256 of exchange files (in the order given), each as ``name\\n<size>\\n<bytes>``."""
    digest = hashlib.sha256()
    for name, data in files.items():
        digest.update(f"{name}\n{len(data)}\n".encode())
        digest.update(data)
    return digest.hexdigest()


def engine_genotypes(frame: pd.DataFrame) -> dict[str, dict[str, tuple[str] | tuple[str, str]]]:
    """The engine's genotypes from ``genotypes`` rows (an empty allele2: one allele seen, a
    possible drop-out, as the exchange reader reads it)."""
    genotypes: dict[str, dict[str, tuple[str] | tuple[str, str]]] = {}
    for sample, marker, a1, a2 in zip(*(frame[c].tolist() for c in GENOTYPE_COLUMNS), strict=True):
        genotypes.setdefault(sample, {})[canonical_marker(marker)] = (a1, a2) if a2 else (a1,)
    return genotypes


@dataclass
class EngineInput:
    table: FrequencyTable
    pedigrees: list[Pedigree]
    genotypes: dict[str, dict[str, tuple[str] | tuple[str, str]]]
    remains: list[str]
    problems: list[str] = field(default_factory=list)
    remains_dropout: dict[str, float] = field(default_factory=dict)


def searched_call(locus: str, allele1: str, allele2: str) -> bool:
    """Whether a call enters the search: autosomal STR, alleles from the ladder (no ``OL``, no
    ``<``/``>``); an empty allele2 is kept: one allele seen (a possible drop-out)."""
    return (is_autosomal(locus) and bool(allele1) and "OL" not in (allele1, allele2) and allele1[0] not in "<>"
            and allele2[:1] not in ("<", ">"))


def searchable_genotypes(session: Session, remains: list[str] | None = None,
                         references: bool = True) -> tuple[pd.DataFrame, list[str]]:
    """Genotype rows of the search set and the remains sample accessions among them; with
    ``remains``, of the references and of those remains only (a run of a few new remains does
    not read every other remains profile); without ``references``, of those remains only. Rows
    are in the order of (sample accession, locus) as Python compares strings (the same on every
    database, whatever its collation: ``services.family_side`` merges rows in that order)."""
    consenting = consent.consenting_donor_ids(session) if references else set()
    statement = (
        select(Sample.accession, Sample.remains_id, Sample.donor_id, ProfileAllele.locus,
               ProfileAllele.allele1, ProfileAllele.allele2)
        .join(Profile, Profile.sample_id == Sample.id)  # type: ignore[arg-type]
        .join(ProfileAllele, ProfileAllele.profile_id == Profile.id)  # type: ignore[arg-type]
        .where(Profile.searchable == True, Profile.superseded == False,  # noqa: E712
               Profile.is_mixture == False, Profile.origin.in_(("remains", "reference")))  # type: ignore[attr-defined]  # noqa: E712
        .order_by(Sample.accession, ProfileAllele.locus))
    if remains is not None:
        chosen = Sample.accession.in_(sorted(set(remains)))  # type: ignore[attr-defined]
        statement = statement.where(or_(Profile.origin == "reference", chosen) if references else chosen)
    rows = session.exec(statement).all()
    records = []
    remains: dict[str, None] = {}
    for accession, remains_id, donor_id, locus, a1, a2 in rows:
        if donor_id is not None and donor_id not in consenting:
            continue
        if not searched_call(locus, a1, a2):
            continue
        records.append((accession, locus, a1, a2))
        if remains_id is not None:
            remains[accession] = None
    records.sort(key=itemgetter(0, 1))  # (already in this order on SQLite: then linear)
    return pd.DataFrame(records, columns=GENOTYPE_COLUMNS), sorted(remains)


def build_search_input(*, session: Session, frequency_table_id: int | None = None,
                       remains: list[str] | None = None, families: list[str] | None = None) -> SearchInput:
    """Everything searchable, or only ``remains`` (sample accessions) against every family, or
    every remains against ``families`` (family codes)."""
    genotypes, searchable = searchable_genotypes(session, remains)
    families_rows = pedigree_exchange.pedigree_rows(session)
    if families is not None:
        wanted = set(families)
        families_rows = [r for r in families_rows if r.family_id in wanted]
    if remains is not None:
        chosen = set(remains)
        searchable = [accession for accession in searchable if accession in chosen]
    typed = set(genotypes["sample_id"])
    pedigree_records = [
        (r.family_id, r.person_id, r.father_id, r.mother_id, SEX_CODE[r.sex],
         r.sample_id if r.sample_id in typed else "", 1 if r.missing else 0)
        for r in families_rows
    ]
    if remains is not None or families is not None:  # only the genotypes this search reads
        used = set(searchable) | {record[5] for record in pedigree_records if record[5]}
        genotypes = genotypes[genotypes["sample_id"].isin(used)].reset_index(drop=True)
    table = frequencies.get_table(session, frequency_table_id)
    return SearchInput(
        genotypes=genotypes,
        pedigrees=pd.DataFrame(pedigree_records, columns=PEDIGREE_COLUMNS),
        remains=searchable,
        freqs=frequencies.table_frame(session, table),
        frequency_table_id=table.id or 0,
        frequency_table_name=table.name,
        remains_dropout=own_dropout(session, set(searchable)),
    )


_FEW = 500


def own_dropout(session: Session, searched: set[str]) -> dict[str, float]:
    """Searched remains samples whose current profile has its own drop-out probability."""
    statement = (
        select(Sample.accession, Profile.dropout).join(Profile, Profile.sample_id == Sample.id)  # type: ignore[arg-type]
        .where(Profile.superseded == False, Profile.dropout != None))  # type: ignore[arg-type]  # noqa: E711, E712
    if len(searched) <= _FEW:  # a run of a few remains reads only theirs
        statement = statement.where(Sample.accession.in_(sorted(searched)))  # type: ignore[attr-defined]
    rows = session.exec(statement).all()
    return {accession: float(dropout) for accession, dropout in rows if accession in searched}
