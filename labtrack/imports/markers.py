"""Marker-name normalisation for the profile readers: one table for the whole project, kept in
the kinship core (``labtrack.kinship.markers``). Readers need to know when a name is *not* a
marker, so here ``canonical_marker`` returns None for unknown names.

>>> canonical_marker("PENTA_E"), canonical_marker("VWA"), canonical_marker(" AM"), canonical_marker("D8")
('Penta_E', 'vWA', 'AMEL', 'D8S1179')
"""

from __future__ import annotations

from labtrack.kinship.markers import known_marker as canonical_marker
from labtrack.kinship.markers import marker_key

__all__ = ["canonical_marker", "marker_key"]
