"""Labels of the stored codes (states, statuses, kinds, actions, sexes) shown on pages.

Templates print codes through the ``term`` filter (``{{ sample.state|term }}``), so that an
Arabic page says "مستلَمة" where the database says ``received``. One table for every
vocabulary: a code means the same wherever it appears. A code without a label (a future one)
is shown with its underscores as spaces; a test checks that every code of the models has one.
"""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l

TERMS = {
    # sexes (remains estimates, missing persons, donors, pedigree members)
    "M": _l("male"), "F": _l("female"), "U": _l("unknown"),
    # sites
    "reported": _l("reported"), "active": _l("active"), "closed": _l("closed"),
    # remains
    "complete_body": _l("complete body"), "partial": _l("partial body"), "isolated_part": _l("isolated part"),
    "commingled": _l("commingled"),
    # samples
    "femur": _l("femur"), "tibia": _l("tibia"), "petrous": _l("petrous bone"), "tooth": _l("tooth"),
    "other_bone": _l("other bone"), "tissue": _l("tissue"), "buccal_swab": _l("buccal swab"),
    "blood": _l("blood"), "personal_effect": _l("personal effect"),
    "collected": _l("collected"), "sealed": _l("sealed"), "in_transit": _l("in transit"),
    "received": _l("received"), "prepared": _l("prepared"), "extracted": _l("extracted"),
    "quantified": _l("quantified"), "amplified": _l("amplified"), "profiled": _l("profiled"),
    "failed": _l("failed"), "consumed": _l("consumed"),
    # storage and custody
    "room": _l("room"), "freezer": _l("freezer"), "shelf": _l("shelf"), "box": _l("box"),
    "position": _l("position"), "remains": _l("remains"), "sample": _l("sample"), "location": _l("location"),
    "register": _l("registered"), "receive": _l("received"), "store": _l("stored"), "handover": _l("handed over"),
    "ship": _l("sent out"), "return": _l("returned"), "release": _l("released to the family"),
    "correction": _l("correction"), "scanned": _l("scanned"), "typed": _l("typed"), "api": _l("API"),
    "system": _l("system"),
    # missing persons and families
    "missing": _l("missing"), "provisionally_matched": _l("provisionally matched"),
    "identified": _l("identified"), "each_time": _l("each time a part is identified"),
    "once_at_end": _l("once, at the end"), "not_at_all": _l("not at all"), "grant": _l("consent given"),
    "withdrawal": _l("consent withdrawn"), "reference": _l("reference"), "staff": _l("staff"),
    # match runs and review
    "queued": _l("queued"), "running": _l("running"), "done": _l("done"), "open": _l("open"),
    "cancelled": _l("cancelled"), "match_run": _l("match run"), "new": _l("new"), "updated": _l("updated"),
    "after_review": _l("recomputed after the decision"),
    "proposed_confirm": _l("proposed: confirm"), "proposed_reject": _l("proposed: reject"),
    "confirmed": _l("confirmed"), "rejected": _l("rejected"), "propose_confirm": _l("proposed to confirm"),
    "propose_reject": _l("proposed to reject"), "approve": _l("approved"), "send_back": _l("sent back"),
    "extremely_strong": _l("extremely strong"), "very_strong": _l("very strong"), "moderate": _l("moderate"),
    "weak": _l("weak"),
    # documents, signatures, notifications
    "labels": _l("labels"), "custody_form": _l("chain-of-custody form"),
    "transfer_manifest": _l("transfer manifest"), "match_report": _l("DNA match report"),
    "certificate": _l("identification certificate"), "notification": _l("family notification report"),
    "reviewed": _l("reviewed"), "approved": _l("approved"), "issued": _l("issued"),
    "in_person": _l("in person"), "phone": _l("by phone"), "letter": _l("by letter"), "other": _l("other"),
    # families' inquiry codes, accesses and requested changes
    "replaced": _l("replaced by a new code"), "revoked": _l("revoked"), "accepted": _l("code accepted"),
    "viewed": _l("page viewed"), "wrong": _l("wrong code"), "malformed": _l("mistyped code"),
    "locked": _l("refused: locked"), "pending": _l("waiting for confirmation"), "superseded": _l("superseded"),
    # closed events and their joint DVI
    "grave": _l("grave"), "prison_list": _l("prison list"), "exact": _l("exact enumeration"),
    "branch-and-bound": _l("branch and bound"), "sequential": _l("sequential route"),
    "proposed": _l("proposed"), "sent_back": _l("sent back"),
}


def term(code: object) -> str:
    """The label of a stored code in the page's language (the code itself when unknown)."""
    if code is None:
        return ""
    text = str(code)
    label = TERMS.get(text)
    return str(label) if label is not None else text.replace("_", " ")


def init_app(app: Flask) -> None:
    app.add_template_filter(term, "term")
