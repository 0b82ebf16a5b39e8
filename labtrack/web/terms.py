"""Labels of the stored codes (states, statuses, kinds, actions, sexes) shown on pages.

Templates print codes through the ``term`` filter (``{{ sample.state|term }}``), so that an
Arabic page says "مستلَمة" where the database says ``received``. One table for every
vocabulary: a code means the same wherever it appears. A code without a label (a future one)
is shown with its underscores as spaces; a test checks that every code of the models has one.
"""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l

from labtrack.core.terms import WORDS

#: the labels of ``labtrack.core.terms.WORDS``, in the page's language when shown
TERMS = {code: _l(word.id) for code, word in WORDS.items()}


def term(code: object) -> str:
    """The label of a stored code in the page's language (the code itself when unknown)."""
    if code is None:
        return ""
    text = str(code)
    label = TERMS.get(text)
    return str(label) if label is not None else text.replace("_", " ")


def init_app(app: Flask) -> None:
    app.add_template_filter(term, "term")
