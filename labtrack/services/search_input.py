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
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from sqlmodel import Session, select

from labtrack.core.kits import is_autosomal
from labtrack.imports.pedigrees import SEX_CODE
from labtrack.models import Profile, ProfileAllele, Sample
from labtrack.services import consent, families, frequencies

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

    def write(self, directory: Path | str) -> dict[str, Path]:
        """Write ``genotypes.csv``, ``pedigrees.csv``, ``remains.txt`` and ``freqs.csv``."""
        folder = Path(directory)
        folder.mkdir(parents=True, exist_ok=True)
        paths = {name: folder / name for name in ("genotypes.csv", "pedigrees.csv", "remains.txt", "freqs.csv")}
        self.genotypes.to_csv(paths["genotypes.csv"], index=False, lineterminator="\n")
        self.pedigrees.to_csv(paths["pedigrees.csv"], index=False, lineterminator="\n")
        paths["remains.txt"].write_text("".join(f"{s}\n" for s in self.remains), encoding="utf-8")
        self.freqs.to_csv(paths["freqs.csv"], index=False, lineterminator="\n")
        return paths


def searchable_genotypes(session: Session) -> tuple[pd.DataFrame, list[str]]:
    """Genotype rows of the search set and the remains sample accessions among them."""
    consenting = consent.consenting_donor_ids(session)
    rows = session.exec(
        select(Sample.accession, Sample.remains_id, Sample.donor_id, ProfileAllele.locus,
               ProfileAllele.allele1, ProfileAllele.allele2)
        .join(Profile, Profile.sample_id == Sample.id)  # type: ignore[arg-type]
        .join(ProfileAllele, ProfileAllele.profile_id == Profile.id)  # type: ignore[arg-type]
        .where(Profile.searchable == True, Profile.superseded == False,  # noqa: E712
               Profile.is_mixture == False, Profile.origin.in_(("remains", "reference")))  # type: ignore[attr-defined]  # noqa: E712
        .order_by(Sample.accession, ProfileAllele.locus)
    ).all()
    records = []
    remains: dict[str, None] = {}
    for accession, remains_id, donor_id, locus, a1, a2 in rows:
        if donor_id is not None and donor_id not in consenting:
            continue
        if not is_autosomal(locus) or not a1 or "OL" in (a1, a2) or a1[0] in "<>" or a2[:1] in ("<", ">"):
            continue  # an empty allele2 is kept: one allele seen (a possible drop-out)
        records.append((accession, locus, a1, a2))
        if remains_id is not None:
            remains[accession] = None
    return pd.DataFrame(records, columns=GENOTYPE_COLUMNS), list(remains)


def build_search_input(*, session: Session, frequency_table_id: int | None = None) -> SearchInput:
    genotypes, remains = searchable_genotypes(session)
    typed = set(genotypes["sample_id"])
    pedigree_records = [
        (r.family_id, r.person_id, r.father_id, r.mother_id, SEX_CODE[r.sex],
         r.sample_id if r.sample_id in typed else "", 1 if r.missing else 0)
        for r in families.pedigree_rows(session)
    ]
    table = frequencies.get_table(session, frequency_table_id)
    return SearchInput(
        genotypes=genotypes,
        pedigrees=pd.DataFrame(pedigree_records, columns=PEDIGREE_COLUMNS),
        remains=remains,
        freqs=frequencies.table_frame(session, table),
        frequency_table_id=table.id or 0,
        frequency_table_name=table.name,
    )
