"""Allele frequency tables and the per-case rule for alleles that the table has not seen."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from labtrack.core.errors import InputError, InputProblem
from labtrack.kinship.markers import canonical_marker

#: |sum of a marker's frequencies - 1| above this is an error.
SUM_TOLERANCE = 0.05
#: NRC II: an unseen allele gets 5 / (2N).
UNSEEN_NUMERATOR = 5.0


@dataclass(frozen=True)
class MarkerFrequencies:
    """Frequencies of one marker, as used for one case.

    alleles : tuple of str, length n (table order, then the unseen alleles of the case)
    freqs : ndarray, float64, shape (n,), sums to 1 when `unseen` is non-empty (renormalised)
    unseen : tuple of str, the alleles that were added for this case
    """

    marker: str
    alleles: tuple[str, ...]
    freqs: np.ndarray
    unseen: tuple[str, ...] = ()

    def index(self, allele: str) -> int:
        """Position of `allele` in `alleles` (KeyError if absent)."""
        return self.alleles.index(allele)


@dataclass(frozen=True)
class MarkerTable:
    """One marker of a frequency table: alleles, frequencies, 2N (None if the table lacks it)."""

    marker: str
    alleles: tuple[str, ...]
    freqs: np.ndarray
    n_alleles: int | None = None


@dataclass
class FrequencyTable:
    """A population frequency table, markers keyed by their canonical name.

    `min_freq` is the frequency given to an unseen allele when the marker has no `n_alleles`
    (2N); with `n_alleles` the unseen allele gets 5 / (2N). Then the marker's frequencies are
    divided by their sum (per case).
    """

    markers: dict[str, MarkerTable]
    min_freq: float | None = None
    source: str = "freqs"
    _lookup: dict[str, dict[str, int]] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self._lookup = {m: {a: i for i, a in enumerate(t.alleles)} for m, t in self.markers.items()}

    @classmethod
    def from_rows(
        cls,
        records: Iterable[tuple[str, str, float, int | None]],
        *,
        min_freq: float | None = None,
        source: str = "freqs",
        rows: Sequence[int] | None = None,
    ) -> FrequencyTable:
        """Build and validate a table from (marker, allele, frequency, n_alleles) records
        (`rows`: their line numbers in `source`, for the problem list).

        Raises InputError listing every problem: frequency not in (0, 1], duplicate allele,
        a marker whose frequencies do not sum to 1 within `SUM_TOLERANCE`.
        """
        problems: list[InputProblem] = []
        alleles: dict[str, list[str]] = {}
        freqs: dict[str, list[float]] = {}
        two_n: dict[str, int | None] = {}
        records = list(records)
        line = list(rows) if rows is not None else [None] * len(records)
        for k, (marker, allele, freq, n_alleles) in enumerate(records):
            m = canonical_marker(marker)
            if allele in alleles.setdefault(m, []):
                message = f"{m} allele {allele} twice"
                problems.append(InputProblem(file=source, row=line[k], field="allele", message=message))
                continue
            if not np.isfinite(freq) or not 0 < freq <= 1:
                message = f"{m} allele {allele}: frequency {freq} is not in (0, 1]"
                problems.append(InputProblem(file=source, row=line[k], field="frequency", message=message))
            alleles[m].append(allele)
            freqs.setdefault(m, []).append(float(freq))
            if n_alleles is not None:
                two_n[m] = max(two_n.get(m) or 0, int(n_alleles))
            else:
                two_n.setdefault(m, None)
        for m, values in freqs.items():
            total = float(np.sum(values))
            if abs(total - 1.0) > SUM_TOLERANCE:
                problems.append(
                    InputProblem(file=source, field="frequency", message=f"{m}: frequencies sum to {total:.4f}")
                )
        if min_freq is not None and not 0 < min_freq < 1:
            problems.append(InputProblem(file=source, field="min_freq", message=f"{min_freq} not in (0, 1)"))
        if problems:
            raise InputError(problems)
        tables = {
            m: MarkerTable(m, tuple(alleles[m]), np.asarray(freqs[m], dtype=np.float64), two_n[m])
            for m in alleles
        }
        return cls(tables, min_freq=min_freq, source=source)

    def __contains__(self, marker: str) -> bool:
        return canonical_marker(marker) in self.markers

    def marker_names(self) -> list[str]:
        """Canonical names of the markers in the table."""
        return list(self.markers)

    def alleles_and_freqs(self, marker: str) -> tuple[tuple[str, ...], np.ndarray]:
        """Table alleles and frequencies of a marker, shape (n,), no unseen-allele rule applied."""
        table = self.markers[canonical_marker(marker)]
        return table.alleles, table.freqs.copy()

    def unseen_frequency(self, marker: str) -> float:
        """Frequency of an unseen allele at this marker: 5/(2N), else `min_freq`.

        Raises InputError when neither is available.
        """
        table = self.markers[canonical_marker(marker)]
        if table.n_alleles:
            return UNSEEN_NUMERATOR / table.n_alleles
        if self.min_freq is not None:
            return self.min_freq
        raise InputError(
            [
                InputProblem(
                    file=self.source,
                    field="n_alleles",
                    message=f"{table.marker}: unseen allele but no n_alleles column and no minimum "
                    "frequency given",
                )
            ]
        )

    def for_case(self, marker: str, observed: Iterable[str]) -> MarkerFrequencies:
        """Frequencies of `marker` for a case whose typed persons carry the `observed` alleles.

        Alleles absent from the table are appended with `unseen_frequency`, then all the marker's
        frequencies are divided by their sum. Without unseen alleles the table is used as is.
        """
        m = canonical_marker(marker)
        table = self.markers[m]
        known = self._lookup[m]
        unseen = tuple(sorted({a for a in observed if a not in known}, key=allele_sort_key))
        if not unseen:
            return MarkerFrequencies(m, table.alleles, table.freqs.copy())
        extra = np.full(len(unseen), self.unseen_frequency(m))
        freqs = np.concatenate([table.freqs, extra])
        return MarkerFrequencies(m, table.alleles + unseen, freqs / freqs.sum(), unseen)


def allele_sort_key(allele: str) -> tuple[int, float, str]:
    """Alleles in numeric order (7, 8, 9.3, 12), then non-numeric labels alphabetically."""
    try:
        return (0, float(allele), allele)
    except ValueError:
        return (1, 0.0, allele)


def marker_frequencies(
    marker: str, alleles: Sequence[str], freqs: Sequence[float] | np.ndarray
) -> MarkerFrequencies:
    """Wrap explicit alleles and frequencies (e.g. in tests) as `MarkerFrequencies`."""
    return MarkerFrequencies(
        canonical_marker(marker), tuple(alleles), np.asarray(freqs, dtype=np.float64)
    )
