"""The ltr and bidi template filters isolate a value, escape it, and leave nothing for nothing."""

from __future__ import annotations

from flask import Flask, render_template_string
from markupsafe import Markup

from labtrack.web.bidi import isolate, ltr


def test_values_are_isolated_and_escaped() -> None:
    assert ltr(-0.151) == '<bdi dir="ltr">-0.151</bdi>'
    assert ltr("<b>QTF-00001</b>") == '<bdi dir="ltr">&lt;b&gt;QTF-00001&lt;/b&gt;</bdi>'
    assert ltr(Markup("<a>x</a>")) == '<bdi dir="ltr"><a>x</a></bdi>'  # markup already safe stays markup
    assert isolate("(Abu Ahmad) Khalil") == "<bdi>(Abu Ahmad) Khalil</bdi>"
    assert ltr(None) == "" and ltr("") == "" and isolate(None) == ""
    assert ltr(0) == '<bdi dir="ltr">0</bdi>'  # zero is a value


def test_filters_in_templates(app: Flask) -> None:
    with app.test_request_context():
        html = render_template_string("<td>{{ '%.2f'|format(x)|ltr }}</td><td>{{ name|bidi }}</td>",
                                      x=-0.151, name="<Ahmad>")
    assert html == '<td><bdi dir="ltr">-0.15</bdi></td><td><bdi>&lt;Ahmad&gt;</bdi></td>'
