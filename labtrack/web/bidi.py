"""Right-to-left pages done right: isolate what reads left to right inside Arabic text.

In an Arabic (right-to-left) page the Unicode bidirectional algorithm reorders characters that
have no direction of their own by their neighbours: ``-0.151`` shows as ``0.151-``, ``12, 13`` as
``13 ,12``, and a Latin name ending in a parenthesis (``Ahmad (fictional)``) loses it to the far
side. Putting such a value in an isolate (``<bdi>``) fixes its order without changing the cell it
sits in, so the cell keeps the table's direction and lines up under its header.

- ``value|ltr``: numbers, IDs, genotypes, codes, dates: always left to right.
- ``value|bidi``: names and free text, in either script: the direction of its first letter.
"""

from __future__ import annotations

from flask import Flask
from markupsafe import Markup

from labtrack.core.messages import Message
from labtrack.web.messages import text


def ltr(value: object) -> Markup:
    """``value`` (escaped unless it is markup already) isolated, read left to right; '' for None."""
    if value is None or value == "":
        return Markup("")
    if isinstance(value, Message):
        value = text(value)  # a filter sees the value before the template's finalize renders it
    return Markup('<bdi dir="ltr">%s</bdi>') % (value,)


def isolate(value: object) -> Markup:
    """``value`` isolated, in the direction of its first strong letter (a name in either script)."""
    if value is None or value == "":
        return Markup("")
    if isinstance(value, Message):
        value = text(value)
    return Markup("<bdi>%s</bdi>") % (value,)


def init_app(app: Flask) -> None:
    app.add_template_filter(ltr, "ltr")
    app.add_template_filter(isolate, "bidi")
