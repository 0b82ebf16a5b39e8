"""Server-side SVG: pedigree drawing and bar charts escape every label and place generations."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from labtrack.documents import charts, pedigree_svg

NS = "{http://www.w3.org/2000/svg}"


def test_pedigree_generations_and_escaping() -> None:
    svg = pedigree_svg.draw([(1, "F <father>", "M", None, None, "typed"), (2, "M & mother", "F", None, None, "typed"),
                             (3, "MP", "M", 1, 2, "missing"), (4, "?", "U", None, None, "untyped")])
    root = ET.fromstring(svg)  # well-formed: labels escaped
    assert len(root.findall(f"{NS}rect")) == 2 and len(root.findall(f"{NS}circle")) == 1
    assert len(root.findall(f"{NS}polygon")) == 1 and len(root.findall(f"{NS}line")) == 2
    texts = {t.text: float(t.get("y")) for t in root.findall(f"{NS}text")}
    assert texts["MP"] > texts["F <father>"]  # the child is drawn below its parents
    assert pedigree_svg.draw([]) == ""


def test_bar_chart() -> None:
    svg = charts.bar_chart("Funnel <all>", ["recovered", "identified"], [10, 5])
    root = ET.fromstring(svg)
    widths = [float(r.get("width")) for r in root.findall(f"{NS}rect")]
    assert widths[0] == 2 * widths[1]
    assert root.get("aria-label") == "Funnel <all>"
