"""STR kit definitions and their loci (pure data).

Locus names are canonical (see ``labtrack.imports.markers.canonical_marker``): they are the names
of the allele-frequency tables (NIST 1036) and of the kinship exchange format, e.g. ``vWA``,
``Penta_E``, ``AMEL``. A locus is an *autosomal STR* (used for kinship and counted for the
minimum-loci rule), ``AMEL`` (sex), a Y-chromosome marker (``DYS391``, ``Yindel``) or a quality
sensor (``QS1``/``QS2``: amplification controls, not genetic markers).
"""

from __future__ import annotations

from dataclasses import dataclass

SEX_MARKER = "AMEL"
Y_MARKERS: frozenset[str] = frozenset({"DYS391", "DYS570", "DYS576", "Yindel"})
QUALITY_SENSORS: frozenset[str] = frozenset({"QS1", "QS2"})

_ESS = ("D3S1358", "vWA", "D8S1179", "D21S11", "D18S51", "TH01", "FGA",
        "D1S1656", "D2S441", "D10S1248", "D12S391", "D22S1045")
_CODIS_CORE_13 = ("CSF1PO", "D3S1358", "D5S818", "D7S820", "D8S1179", "D13S317", "D16S539",
                  "D18S51", "D21S11", "FGA", "TH01", "TPOX", "vWA")
_CODIS_20 = (*_CODIS_CORE_13, "D1S1656", "D2S441", "D2S1338", "D10S1248", "D12S391",
             "D19S433", "D22S1045")


@dataclass(frozen=True)
class Kit:
    """A commercial STR amplification kit: its name and the loci it types."""

    name: str
    loci: tuple[str, ...]

    @property
    def autosomal(self) -> tuple[str, ...]:
        return tuple(locus for locus in self.loci if is_autosomal(locus))


NOT_AUTOSOMAL: frozenset[str] = frozenset({SEX_MARKER}) | Y_MARKERS | QUALITY_SENSORS


def is_autosomal(locus: str) -> bool:
    """True for autosomal STR loci (not Amelogenin, Y markers or quality sensors)."""
    return locus not in NOT_AUTOSOMAL


def _kit(name: str, *loci: str) -> Kit:
    return Kit(name, tuple(dict.fromkeys(loci)))


KITS: dict[str, Kit] = {kit.name: kit for kit in (
    _kit("GlobalFiler", *_CODIS_20, "SE33", "AMEL", "Yindel", "DYS391"),
    _kit("PowerPlex Fusion 6C", *_CODIS_20, "Penta_E", "Penta_D", "SE33", "AMEL", "DYS391",
         "DYS570", "DYS576"),
    _kit("PowerPlex Fusion", *_CODIS_20, "Penta_E", "Penta_D", "AMEL", "DYS391"),
    _kit("Identifiler Plus", *_CODIS_CORE_13, "D2S1338", "D19S433", "AMEL"),
    _kit("Identifiler", *_CODIS_CORE_13, "D2S1338", "D19S433", "AMEL"),
    _kit("PowerPlex 16", *_CODIS_CORE_13, "Penta_E", "Penta_D", "AMEL"),
    _kit("PowerPlex ESX 17", *_ESS, "D2S1338", "D16S539", "D19S433", "SE33", "AMEL"),
    _kit("NGM", *_ESS, "D2S1338", "D16S539", "D19S433", "AMEL"),
    _kit("NGM SElect", *_ESS, "D2S1338", "D16S539", "D19S433", "SE33", "AMEL"),
    _kit("SGM Plus", "D3S1358", "vWA", "D16S539", "D2S1338", "D8S1179", "D21S11", "D18S51",
         "D19S433", "TH01", "FGA", "AMEL"),
    _kit("ESSplex SE QS", *_ESS, "D2S1338", "D16S539", "D19S433", "SE33", "AMEL", "QS1", "QS2"),
    # CMF files and long CSVs from other programmes: any CODIS/ESS locus
    _kit("CODIS", *_CODIS_20, "Penta_E", "Penta_D", "SE33", "AMEL", "Yindel", "DYS391"),
)}
GENERIC_KIT = "CODIS"


def get_kit(name: str) -> Kit | None:
    """The kit called ``name`` (case and spaces ignored), or None."""
    wanted = name.replace(" ", "").casefold()
    for kit in KITS.values():
        if kit.name.replace(" ", "").casefold() == wanted:
            return kit
    return None


def detect_kit(loci: set[str]) -> Kit | None:
    """The smallest commercial kit whose loci include every locus in ``loci`` (else the generic
    CODIS set); None if no kit does.

    >>> detect_kit({"D3S1358", "vWA", "SE33", "QS1"}).name
    'ESSplex SE QS'
    """
    candidates = [kit for kit in KITS.values() if loci <= set(kit.loci)]
    if not candidates:
        return None
    return min(candidates, key=lambda kit: (kit.name == GENERIC_KIT, len(kit.loci)))
