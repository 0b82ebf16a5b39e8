"""What a profile reader returns: typed profiles and problems (pure: no database).

Allele handling, the same for every format:

* allele tokens are kept as strings: repeat numbers with microvariants (``9.3``, ``13.2``),
  ``X``/``Y`` at Amelogenin, ``Q``/``S`` at quality sensors, CODIS bounds (``<6``, ``>15``);
* ``NA`` and empty cells are no call; a homozygote written twice (``15, 15``) is one allele;
* ``OL`` (off-ladder peak) is kept, never dropped silently: the locus stores it, is flagged in the
  profile's QC notes and is not counted as typed (a locus whose genotype is uncertain);
* more than two different alleles at an autosomal STR locus marks the profile as a possible
  mixture (it is stored, but never enters the search set);
* anything else (``abc``, ``1O``) is a problem naming file, row and field.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from labtrack.core.errors import InputProblem
from labtrack.core.kits import NOT_AUTOSOMAL, QUALITY_SENSORS, SEX_MARKER, Y_MARKERS
from labtrack.core.messages import msg

OFF_LADDER = "OL"
NO_CALL = frozenset({"", "NA", "N/A", "NAN"})
_LETTER_ALLELES = frozenset({"X", "Y", "OL", "Q", "S"})
_REPEAT = re.compile(r"^\d{1,2}(\.\d)?$")
_BOUND = re.compile(r"^[<>]\d{1,2}(\.\d)?$")


def check_allele(locus: str, token: str) -> str | None:
    """None if ``token`` is a valid allele at ``locus``, else the reason it is not."""
    if token == OFF_LADDER:
        return None
    if locus == SEX_MARKER:
        return None if token in ("X", "Y") else msg("allele %(allele)s at Amelogenin is not X or Y", allele=repr(token))
    if locus in QUALITY_SENSORS:
        return None if token in ("Q", "S") else msg("allele %(allele)s at a quality sensor is not Q or S",
                                                  allele=repr(token))
    if locus in Y_MARKERS and token in ("1", "2"):
        return None
    if _REPEAT.match(token) or _BOUND.match(token):
        return None
    return msg("allele %(allele)s is not a repeat number (e.g. 12, 9.3) or OL", allele=repr(token))


def clean_token(raw: object) -> str:
    text = str(raw if raw is not None else "").strip()
    upper = text.upper()
    if upper in NO_CALL:
        return ""
    return upper if upper in _LETTER_ALLELES else text


@dataclass
class LocusCall:
    """The alleles seen at one locus of one sample (distinct, in file order)."""

    locus: str
    alleles: tuple[str, ...]
    off_ladder: int = 0
    row: int | None = None
    #: the file wrote the single allele twice (a homozygote call), not once (a single peak)
    homozygote_call: bool = False

    @property
    def is_mixed(self) -> bool:
        return len(self.alleles) > 2 and self.locus not in NOT_AUTOSOMAL

    @property
    def is_typed(self) -> bool:
        """A usable genotype: one or two alleles, no off-ladder peak making it uncertain."""
        return 1 <= len(self.alleles) <= 2 and (self.off_ladder == 0 or len(self.alleles) == 2)

    def stored(self, one_seen: bool = False) -> tuple[str, str, str]:
        """(allele1, allele2, extra) as stored: homozygote twice; OL kept; >2 alleles in extra.

        one_seen : a single peak (one allele written once) is stored as one allele seen (allele2
        empty: a possible drop-out) instead of a homozygote; a homozygote call (the allele
        written twice) stays a homozygote."""
        if len(self.alleles) == 2 and not self.off_ladder:  # the common case
            return self.alleles[0], self.alleles[1], ""
        if one_seen and len(self.alleles) == 1 and not self.off_ladder and not self.homozygote_call:
            return self.alleles[0], "", ""
        alleles = list(self.alleles)
        if len(alleles) == 1:
            alleles.append(OFF_LADDER if self.off_ladder else alleles[0])
        elif not alleles:
            alleles = [OFF_LADDER, OFF_LADDER]
        extra = list(alleles[2:]) + [OFF_LADDER] * (self.off_ladder if len(self.alleles) >= 2 else 0)
        return alleles[0], alleles[1], ",".join(extra)


@dataclass
class ParsedProfile:
    """One sample's profile as read from a file (``row``: the first row that mentions it)."""

    sample_id: str
    row: int | None
    loci: dict[str, LocusCall] = field(default_factory=dict)
    replicate_of: str = ""  # set on a second, different run of the same sample name

    @property
    def is_mixture(self) -> bool:
        return any(call.is_mixed for call in self.loci.values())

    @property
    def n_autosomal_loci(self) -> int:
        return sum(1 for call in self.loci.values()
                   if call.locus not in NOT_AUTOSOMAL and call.is_typed)

    def qc_notes(self) -> str:
        """The quality remarks as English text ("; " between them)."""
        return "; ".join(self.qc_remarks())

    def qc_remarks(self) -> list[str]:
        """The quality remarks, each a message (said in the reader's language in the app)."""
        if not self.replicate_of and all(len(c.alleles) <= 2 and not c.off_ladder
                                         for c in self.loci.values()):
            return []  # the common case, checked cheaply
        notes = []
        if self.replicate_of:
            notes.append(msg("replicate run (%(run)s) differing from an earlier run", run=self.replicate_of))
        mixed = [c.locus for c in self.loci.values() if c.is_mixed]
        if mixed:
            notes.append(msg("possible mixture: more than two alleles at %(loci)s", loci=", ".join(mixed)))
        off = [c.locus for c in self.loci.values() if c.off_ladder]
        if off:
            notes.append(msg("off-ladder (OL) peak at %(loci)s", loci=", ".join(off)))
        return notes

    def genotype_key(self) -> tuple[tuple[str, tuple[str, ...]], ...]:
        """Comparable genotype (sorted loci, sorted alleles) to find duplicates."""
        return tuple(sorted((c.locus, tuple(sorted(c.alleles))) for c in self.loci.values()))


@dataclass
class ParsedFile:
    """A read file: its profiles, the kit and every problem found (empty when it is clean)."""

    filename: str
    file_format: str
    sha256: str
    kit: str = ""
    profiles: list[ParsedProfile] = field(default_factory=list)
    problems: list[InputProblem] = field(default_factory=list)
    empty_samples: list[str] = field(default_factory=list)

    def problem(self, message: str, *, row: int | None = None, field: str | None = None) -> None:
        self.problems.append(InputProblem(message=message, field=field, row=row, file=self.filename))

    def report(self) -> dict[str, object]:
        """The JSON report of ``labtrack profiles check --json``."""
        return {
            "format": self.file_format,
            "kit": self.kit,
            "profiles": [{"sample_id": p.sample_id, "loci": p.n_autosomal_loci,
                          "mixture": p.is_mixture} for p in self.profiles],
            "problems": [{"file": p.file, "row": p.row, "field": p.field, "message": p.message}
                         for p in self.problems],
        }


class UnreadableFile(ValueError):
    """The file cannot be read at all (not text, no header, not XML...)."""


class ProfileBuilder:
    """Collects allele calls per sample and locus, checking every token."""

    def __init__(self, parsed: ParsedFile) -> None:
        self.parsed = parsed
        self.by_sample: dict[tuple[str, str], ParsedProfile] = {}
        self.run_of: dict[int, str] = {}  # row -> run (GeneMapper 'Sample File'), when known

    def add(self, sample_id: str, marker_name: str, tokens: list[str], *, row: int | None,
            field_name: str, canonical: str | None) -> None:
        """One sample x marker with its (cleaned) allele tokens."""
        run = self.run_of.get(row, "") if row is not None else ""
        self.add_rows([row], [sample_id], [marker_name], [canonical], [tokens], [run],
                      field_name=field_name)

    def add_rows(self, rows: Sequence[int | None], samples: Sequence[str], markers: Sequence[str],
                 canonical: Sequence[str | None], tokens: Sequence[Sequence[str]],
                 runs: Sequence[str], *, field_name: str) -> None:
        """Many sample x marker rows at once (the fast path of large files: each distinct
        (locus, token) is checked once)."""
        problem = self.parsed.problem
        by_sample = self.by_sample
        verdicts: dict[tuple[str, str], str | None] = {}
        for row, sample_id, marker_name, locus, cells, run in zip(
                rows, samples, markers, canonical, tokens, runs, strict=True):
            if not sample_id:
                problem(msg("the sample name is empty"), row=row, field="sample")
                continue
            if locus is None:
                problem(msg("unknown marker %(marker)s", marker=repr(marker_name)), row=row, field=field_name)
                continue
            profile = by_sample.get((sample_id, run))
            if profile is None:
                profile = by_sample[(sample_id, run)] = ParsedProfile(sample_id, row)
            if locus in profile.loci:
                problem(msg("marker %(marker)s of sample %(sample)s appears twice (first in row %(first)s)",
                            marker=locus, sample=sample_id, first=profile.loci[locus].row), row=row, field=field_name)
                continue
            alleles: list[str] = []
            off_ladder = 0
            bad = False
            written = 0
            for token in cells:
                if not token:
                    continue
                written += 1
                key = (locus, token)
                if key not in verdicts:
                    verdicts[key] = check_allele(locus, token)
                reason = verdicts[key]
                if reason:
                    problem(reason, row=row, field=f"{locus} alleles")
                    bad = True
                elif token == OFF_LADDER:
                    off_ladder += 1
                elif token not in alleles:
                    alleles.append(token)
            if bad or (not alleles and not off_ladder):
                continue
            profile.loci[locus] = LocusCall(locus, tuple(alleles), off_ladder, row,
                                            homozygote_call=len(alleles) == 1 and written >= 2)

    def finish(self) -> None:
        """Keep the profiles with at least one call. Replicate runs of one sample (another
        'Sample File', or a later block of rows) that agree are one profile; runs that differ are
        kept as separate profiles of that sample (stored as successive versions)."""
        kept: dict[str, list[ParsedProfile]] = {}
        for (sample_id, run), profile in self.by_sample.items():
            if not profile.loci:
                self.parsed.empty_samples.append(sample_id)
                continue
            runs = kept.setdefault(sample_id, [])
            if any(other.genotype_key() == profile.genotype_key() for other in runs):
                continue
            if runs:
                profile.replicate_of = run or "a later run"
            runs.append(profile)
            self.parsed.profiles.append(profile)
