"""Marker-name normalisation: every spelling that real exports use → one canonical name.

``D8``/``D8S1179``, ``VWA``/``vWA``, ``Penta E``/``PentaE``/``PENTA_E``, ``AM``/``AMEL``/
``Amelogenin``. Canonical names are those of the allele-frequency tables (see ``labtrack.kits``).
"""

from __future__ import annotations

import re

_CANONICAL = (
    "CSF1PO", "D1S1656", "D2S441", "D2S1338", "D3S1358", "D5S818", "D6S1043", "D7S820",
    "D8S1179", "D10S1248", "D12S391", "D13S317", "D16S539", "D18S51", "D19S433", "D21S11",
    "D22S1045", "FGA", "SE33", "TH01", "TPOX", "vWA", "Penta_C", "Penta_D", "Penta_E",
    "F13A01", "F13B", "FESFPS", "LPL", "AMEL", "DYS391", "DYS570", "DYS576", "Yindel",
    "QS1", "QS2",
)
_BY_KEY: dict[str, str] = {re.sub(r"[^A-Z0-9]", "", name.upper()): name for name in _CANONICAL}
_ALIASES = {
    "AM": "AMEL", "AMELOGENIN": "AMEL", "AMELO": "AMEL", "THO1": "TH01", "FIBRA": "FGA",
    "CSF": "CSF1PO", "ACTBP2": "SE33", "YINDEL": "Yindel",
    "D1": "D1S1656", "D2": "D2S1338", "D3": "D3S1358", "D5": "D5S818", "D7": "D7S820",
    "D8": "D8S1179", "D10": "D10S1248", "D12": "D12S391", "D13": "D13S317", "D16": "D16S539",
    "D18": "D18S51", "D19": "D19S433", "D21": "D21S11", "D22": "D22S1045",
}


def marker_key(name: str) -> str:
    return re.sub(r"[^A-Z0-9]", "", name.strip().upper())


def canonical_marker(name: str) -> str | None:
    """The canonical name of a marker, or None when the name is not a known marker.

    >>> canonical_marker("PENTA_E"), canonical_marker("VWA"), canonical_marker(" AM"), canonical_marker("D8")
    ('Penta_E', 'vWA', 'AMEL', 'D8S1179')
    """
    key = marker_key(name)
    return _ALIASES.get(key) or _BY_KEY.get(key)
