"""Server-side SVG: pedigree drawing and bar charts escape every label and place generations."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from labtrack.documents import charts, pedigree_svg

NS = "{http://www.w3.org/2000/svg}"


def test_pedigree_generations_and_escaping() -> None:
    member = pedigree_svg.DrawnMember
    svg = pedigree_svg.draw([member("F", "M", "", "", typed=True, missing=False, label="father <F>"),
                             member("M", "F", "", "", typed=True, missing=False, label="mother & co"),
                             member("MP", "M", "F", "M", typed=False, missing=True),
                             member("U1", "U", "", "", typed=False, missing=False)], title="Family <1>")
    root = ET.fromstring(svg)  # well-formed: labels escaped
    texts = {t.text: float(t.get("y")) for t in root.iter(f"{NS}text") if t.text}
    assert "father <F>" in texts and "mother & co" in texts
    assert texts["MP"] > texts["F"]  # the child is drawn below its parents


def test_bar_chart() -> None:
    svg = charts.bar_chart("Funnel <all>", ["recovered", "identified"], [10, 5])
    root = ET.fromstring(svg)
    widths = [float(r.get("width")) for r in root.findall(f"{NS}rect")]
    assert widths[0] == 2 * widths[1]
    assert root.get("aria-label") == "Funnel <all>"
