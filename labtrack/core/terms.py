"""The words for the stored codes (states, statuses, kinds, actions, sexes), as messages (pure).

One table for every vocabulary: a code means the same wherever it appears. The web shows them in
the page's language (``labtrack.web.terms``), documents in theirs (``labtrack.documents.wording``).
"""

from __future__ import annotations

from labtrack.core.messages import msg

WORDS = {
    # kinds of a profile's quality remarks (labtrack.core.qc_remarks)
    "qc_mixture": msg("possible mixture"), "qc_off_ladder": msg("off-ladder peak"),
    "qc_one_allele_seen": msg("one allele seen (possible drop-out)"), "qc_few_loci": msg("too few typed loci"),
    "qc_replicate": msg("replicate run differing from an earlier run"),
    "qc_staff_match": msg("staff match (contamination?)"),
    # sexes (remains estimates, missing persons, donors, pedigree members)
    "M": msg("male"), "F": msg("female"), "U": msg("unknown"),
    # sites
    "reported": msg("reported"), "active": msg("active"), "closed": msg("closed"),
    # remains
    "complete_body": msg("complete body"), "partial": msg("partial body"), "isolated_part": msg("isolated part"),
    "commingled": msg("commingled"),
    # samples
    "femur": msg("femur"), "tibia": msg("tibia"), "petrous": msg("petrous bone"), "tooth": msg("tooth"),
    "other_bone": msg("other bone"), "tissue": msg("tissue"), "buccal_swab": msg("buccal swab"),
    "blood": msg("blood"), "personal_effect": msg("personal effect"),
    "collected": msg("collected"), "sealed": msg("sealed"), "in_transit": msg("in transit"),
    "received": msg("received"), "prepared": msg("prepared"), "extracted": msg("extracted"),
    "quantified": msg("quantified"), "amplified": msg("amplified"), "profiled": msg("profiled"),
    "failed": msg("failed"), "consumed": msg("consumed"),
    # storage and custody
    "room": msg("room"), "freezer": msg("freezer"), "shelf": msg("shelf"), "box": msg("box"),
    "position": msg("position"), "remains": msg("remains"), "sample": msg("sample"), "location": msg("location"),
    "register": msg("registered"), "receive": msg("received"), "store": msg("stored"), "handover": msg("handed over"),
    "ship": msg("sent out"), "return": msg("returned"), "release": msg("released to the family"),
    "correction": msg("correction"), "scanned": msg("scanned"), "typed": msg("typed"), "api": msg("API"),
    "system": msg("system"),
    # missing persons and families
    "missing": msg("missing"), "provisionally_matched": msg("provisionally matched"),
    "identified": msg("identified"), "each_time": msg("each time a part is identified"),
    "once_at_end": msg("once, at the end"), "not_at_all": msg("not at all"), "grant": msg("consent given"),
    "withdrawal": msg("consent withdrawn"), "reference": msg("reference"), "staff": msg("staff"),
    # match runs and review
    "queued": msg("queued"), "running": msg("running"), "done": msg("done"), "open": msg("open"),
    "cancelled": msg("cancelled"), "match_run": msg("match run"), "new": msg("new"), "updated": msg("updated"),
    "after_review": msg("recomputed after the decision"),
    "proposed_confirm": msg("proposed: confirm"), "proposed_reject": msg("proposed: reject"),
    "confirmed": msg("confirmed"), "rejected": msg("rejected"), "propose_confirm": msg("proposed to confirm"),
    "propose_reject": msg("proposed to reject"), "approve": msg("approved"), "send_back": msg("sent back"),
    "extremely_strong": msg("extremely strong"), "very_strong": msg("very strong"), "moderate": msg("moderate"),
    "weak": msg("weak"),
    # documents, signatures, notifications
    "labels": msg("labels"), "custody_form": msg("chain-of-custody form"),
    "transfer_manifest": msg("transfer manifest"), "match_report": msg("DNA match report"),
    "certificate": msg("identification certificate"), "notification": msg("family notification report"),
    "reviewed": msg("reviewed"), "approved": msg("approved"), "issued": msg("issued"),
    "in_person": msg("in person"), "phone": msg("by phone"), "letter": msg("by letter"), "other": msg("other"),
    # families' inquiry codes, accesses and requested changes
    "replaced": msg("replaced by a new code"), "revoked": msg("revoked"), "accepted": msg("code accepted"),
    "viewed": msg("page viewed"), "wrong": msg("wrong code"), "malformed": msg("mistyped code"),
    "locked": msg("refused: locked"), "pending": msg("waiting for confirmation"), "superseded": msg("superseded"),
    # closed events and their joint DVI
    "grave": msg("grave"), "prison_list": msg("prison list"), "exact": msg("exact enumeration"),
    "branch-and-bound": msg("branch and bound"), "sequential": msg("sequential route"),
    "proposed": msg("proposed"), "sent_back": msg("sent back"),
}
