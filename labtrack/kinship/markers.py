"""Canonical marker names, so that `vWA`/`VWA`, `Penta E`/`PENTA_E`/`Penta_E`, `D8`/`D8S1179` or
`AM`/`AMEL`/`Amelogenin` are one marker everywhere (readers, kits, frequency tables, engine).
Canonical spellings are those of the NIST allele-frequency tables."""

from __future__ import annotations

import re
from functools import lru_cache

_KNOWN = (
    "CSF1PO D10S1248 D12S391 D13S317 D16S539 D18S51 D19S433 D1S1656 D21S11 D22S1045 D2S1338 "
    "D2S441 D3S1358 D5S818 D6S1043 D7S820 D8S1179 FGA SE33 TH01 TPOX vWA Penta_C Penta_D "
    "Penta_E F13A01 F13B FESFPS LPL D17S1301 D20S482 D9S1122 D4S2408 D6S474 D1GATA113 D14S1434 "
    "AMEL DYS391 DYS570 DYS576 Yindel QS1 QS2"
).split()
_BY_KEY = {re.sub(r"[^0-9A-Z]", "", name.upper()): name for name in _KNOWN}
# Short and historical names written by analysers and older exports.
_ALIASES = {
    "AM": "AMEL", "AMELOGENIN": "AMEL", "AMELO": "AMEL", "THO1": "TH01", "FIBRA": "FGA",
    "CSF": "CSF1PO", "ACTBP2": "SE33", "D1": "D1S1656", "D2": "D2S1338", "D3": "D3S1358",
    "D5": "D5S818", "D7": "D7S820", "D8": "D8S1179", "D10": "D10S1248", "D12": "D12S391",
    "D13": "D13S317", "D16": "D16S539", "D18": "D18S51", "D19": "D19S433", "D21": "D21S11",
    "D22": "D22S1045",
}


def marker_key(name: str) -> str:
    """The comparison key of a marker name: upper case, letters and digits only (`Penta E` ->
    `PENTAE`)."""
    return re.sub(r"[^0-9A-Z]", "", name.strip().upper())


@lru_cache(maxsize=4096)  # readers call it once per row: millions of rows, a few names
def known_marker(name: str) -> str | None:
    """The canonical name of a known marker, or None when the name is not one.

    >>> known_marker("PENTA_E"), known_marker("VWA"), known_marker(" AM"), known_marker("D8")
    ('Penta_E', 'vWA', 'AMEL', 'D8S1179')
    >>> known_marker("XYZ") is None
    True
    """
    key = marker_key(name)
    return _ALIASES.get(key) or _BY_KEY.get(key)


@lru_cache(maxsize=4096)
def canonical_marker(name: str) -> str:
    """The canonical spelling of a marker name; unknown names are upper-cased with separators
    turned into "_" (so that files naming the same unknown marker still agree).

    >>> canonical_marker("VWA"), canonical_marker("PENTA E"), canonical_marker("penta_e")
    ('vWA', 'Penta_E', 'Penta_E')
    >>> canonical_marker("d21s11"), canonical_marker("Amelogenin")
    ('D21S11', 'AMEL')
    """
    return known_marker(name) or re.sub(r"[\s\-.]+", "_", name.strip().upper())


#: X-chromosome STRs that are not named DX...: Investigator Argus X-12 and common panels.
_X_NAMES = {"HPRTB", "GATA172D05", "GATA31E08", "GATA165B12", "GATA144D04", "ARA"}


def is_x_marker(name: str) -> bool:
    """Whether `name` is an X-chromosome STR (DXS..., HPRTB, GATA172D05, ...).

    >>> is_x_marker("DXS10135"), is_x_marker("HPRTB"), is_x_marker("D3S1358")
    (True, True, False)
    """
    key = marker_key(name)
    return key.startswith("DXS") or key in _X_NAMES


def x_marker_message(name: str) -> str:
    """Why an X-chromosome marker is refused."""
    return (
        f"{name} is an X-chromosome marker: X-linked inheritance is not modelled (read as "
        "autosomal it would give wrong LRs, e.g. father–son); remove it from the file"
    )
