"""Lengths shown with their unit in the reader's language: ``1.4 m`` / ``1.4 م``, ``172 cm`` / ``172 سم``.

The number is isolated left to right (the ``ltr`` filter), the unit is a message of the catalogue, so
a right-to-left page keeps the number whole and the unit on its reading side.

- ``value|metres``: a depth in metres.
- ``value|centimetres``: a stature or a height in centimetres.
"""

from __future__ import annotations

from flask import Flask
from flask_babel import gettext
from markupsafe import Markup, escape

from labtrack.web.bidi import ltr


def metres(value: object) -> Markup:
    """``value`` in metres with its unit; '' for None."""
    if value is None or value == "":
        return Markup("")
    return escape(gettext("%(length)s m")) % {"length": ltr(value)}


def centimetres(value: object) -> Markup:
    """``value`` in centimetres with its unit; '' for None."""
    if value is None or value == "":
        return Markup("")
    return escape(gettext("%(length)s cm")) % {"length": ltr(value)}


def init_app(app: Flask) -> None:
    app.add_template_filter(metres, "metres")
    app.add_template_filter(centimetres, "centimetres")
