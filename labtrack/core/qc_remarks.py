"""The kinds of a profile's quality remarks (pure): each kind is the message id of its remark, as
the profile import keeps it in ``profile.qc_notes_json`` (migration 0028). The profiles list filters
by kind (``labtrack.services.lists``) and names each kind in the reader's language
(``labtrack.core.terms``); a test checks that every remark the import writes has its kind here."""

from __future__ import annotations

import re

#: kind -> message id of the remark (the English text with its placeholders)
QC_REMARK_KINDS: dict[str, str] = {
    "qc_mixture": "possible mixture: more than two alleles at %(loci)s",
    "qc_off_ladder": "off-ladder (OL) peak at %(loci)s",
    "qc_one_allele_seen": "one allele seen (possible drop-out) at %(loci)s",
    "qc_few_loci": "%(count)s typed autosomal loci, fewer than %(least)s: not searched",
    "qc_replicate": "replicate run (%(run)s) differing from an earlier run",
    "qc_staff_match": "STAFF MATCH: matches staff member %(staff)s at %(loci)s loci (contamination?)",
}

_PLACEHOLDER = re.compile(r"%\(\w+\)[sd]")


def english_fragment(message_id: str) -> str:
    """The longest fixed part of a remark's English text: what finds it in the English column of
    profiles imported before the remarks were kept as messages."""
    return max(_PLACEHOLDER.split(message_id), key=len)
