"""Canonical marker names, so that `vWA`/`VWA` or `Penta E`/`PENTA_E`/`Penta_E` are one marker."""

from __future__ import annotations

import re

# Spellings of the usual forensic STR markers, keyed by the name reduced to upper-case letters and
# digits. Names not listed fall back to upper case with separators turned into "_".
_KNOWN = (
    "CSF1PO D10S1248 D12S391 D13S317 D16S539 D18S51 D19S433 D1S1656 D21S11 D22S1045 D2S1338 "
    "D2S441 D3S1358 D5S818 D6S1043 D7S820 D8S1179 FGA SE33 TH01 TPOX vWA Penta_C Penta_D "
    "Penta_E F13A01 F13B FESFPS LPL D17S1301 D20S482 D9S1122 D4S2408 D6S474 D1GATA113 D14S1434"
).split()
_BY_KEY = {re.sub(r"[^0-9A-Z]", "", name.upper()): name for name in _KNOWN}


def marker_key(name: str) -> str:
    """The comparison key of a marker name: upper case, letters and digits only (`Penta E` ->
    `PENTAE`)."""
    return re.sub(r"[^0-9A-Z]", "", name.strip().upper())


def canonical_marker(name: str) -> str:
    """The canonical spelling of a marker name.

    >>> canonical_marker("VWA"), canonical_marker("PENTA E"), canonical_marker("penta_e")
    ('vWA', 'Penta_E', 'Penta_E')
    >>> canonical_marker("d21s11")
    'D21S11'
    """
    key = marker_key(name)
    if key in _BY_KEY:
        return _BY_KEY[key]
    return re.sub(r"[\s\-.]+", "_", name.strip().upper())
