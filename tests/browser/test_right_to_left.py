"""Right to left done right (issue #12 item 2), in real headless Chromium, in Arabic: the content of
every cell of the main tables lies under its header (an ID, a number or a genotype that reads left to
right starts at the right like its header, not at the far side of its column), a negative number
reads as one (-0.151, never 0.151-), and a Latin name with parentheses keeps them where they belong.
English pages are checked the same way (left edges). Screenshots go to test-artifacts/rtl-*.png."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlmodel import Session

from labtrack.services import demo
from tests import review_factories
from tests.browser.pages import signed_in_page
from tests.pdf_text import ARTIFACTS

pytestmark = pytest.mark.browser
KUNYA_NAME = "(Abu Ahmad) Khalil al-Masri"

# the box of what a cell shows: its written characters (whitespace left out) and images, bars, fields
CONTENT_BOX = """cell => {
  const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT | NodeFilter.SHOW_ELEMENT);
  let left = Infinity, right = -Infinity;
  const add = r => { if (r.width > 0) { left = Math.min(left, r.left); right = Math.max(right, r.right); } };
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (node.nodeType === Node.ELEMENT_NODE) {
      if (['PROGRESS', 'IMG', 'INPUT', 'SELECT', 'BUTTON'].includes(node.tagName)) add(node.getBoundingClientRect());
      continue;
    }
    if (!node.data.trim()) continue;
    const range = document.createRange();
    range.selectNodeContents(node);
    for (const r of range.getClientRects()) add(r);
  }
  return left === Infinity ? null : {left, right};
}"""

# every column of the body rows: the header's text box, the cell's text box, the column's box
COLUMNS = f"""table => {{
  const box = {CONTENT_BOX};
  const heads = [...table.tHead.rows[0].cells];
  const out = [];
  for (const row of table.tBodies[0].rows) {{
    if (row.cells.length !== heads.length) continue;  // a line spanning the table ("no rows")
    [...row.cells].forEach((cell, i) => {{
      const text = box(cell), head = box(heads[i]);
      if (!text || !head) return;
      const column = heads[i].getBoundingClientRect();
      out.push({{header: heads[i].innerText, cell: cell.innerText, text, head,
                 column: {{left: column.left, right: column.right}}}});
    }});
  }}
  return out;
}}"""

# the characters of ``wanted`` inside ``element`` in the order they are seen, top line first, left to right
SEEN_LEFT_TO_RIGHT = """([element, wanted]) => {
  const walker = document.createTreeWalker(element, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const at = node.data.indexOf(wanted);
    if (at < 0) continue;
    const seen = [];
    for (let i = at; i < at + wanted.length; i++) {
      const range = document.createRange();
      range.setStart(node, i); range.setEnd(node, i + 1);
      const r = range.getBoundingClientRect();
      seen.push([Math.round(r.top), r.left, node.data[i]]);
    }
    seen.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    return seen.map(s => s[2]).join('');
  }
  return null;
}"""


@pytest.fixture
def candidate(db: Session, users: dict) -> review_factories.Candidate:
    """The demo data and one candidate match whose total log10 LR is negative."""
    demo.load_demo(db)
    return review_factories.make_candidate(db, users["admin"].user, log10_lr=-0.151)


def _tables(candidate: review_factories.Candidate) -> list[tuple[str, str, str]]:
    """(page, table, short name) of the main tables: lists, the review page's LR tables, genotypes."""
    return [
        ("/review/", "table#queue", "review-queue"),
        ("/samples/", "table#list", "samples"),
        (f"/sites/{candidate.site.code}", "table#list", "remains-of-a-site"),
        (f"/sites/remains/{candidate.remains.accession}", "main table.data", "samples-of-remains"),
        ("/profiles/", "table#list", "profiles"),
        (f"/profiles/{candidate.match.profile_id}", "main table.data", "genotype"),
        (f"/review/matches/{candidate.match.id}", "table#loci", "review-loci"),
        (f"/review/matches/{candidate.match.id}", "table#anthropology", "review-anthropology"),
        ("/matching/", "table#list", "match-runs"),
        ("/missing-persons/", "table#list", "missing-persons"),
        ("/families/", "table#list", "families"),
        ("/donors/", "table#list", "donors"),
        ("/custody/events", "table#list", "custody-events"),
        ("/storage/", "main table.data", "storage"),
    ]


@pytest.mark.parametrize("language", ["ar", "en"])
def test_every_cell_lies_under_its_header(app: Flask, users: dict, candidate: review_factories.Candidate,
                                          live_server: str, chromium, language: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page = signed_in_page(chromium, live_server, users["admin"], language=language, width=1280)
    for path, selector, name in _tables(candidate):
        page.goto(live_server + path)
        assert page.get_attribute("html", "dir") == ("rtl" if language == "ar" else "ltr")
        columns = page.locator(selector).first.evaluate(COLUMNS)
        assert len(columns) >= 3, f"{path} {selector}: too few cells to compare"
        for c in columns:
            where = f"{path} {selector}: {c['cell']!r} under {c['header']!r}"
            # the cell's text begins where its header's text begins: the right edge in Arabic
            edge = "right" if language == "ar" else "left"
            assert abs(c["text"][edge] - c["head"][edge]) <= 1.5, where
            column, text = c["column"], c["text"]
            assert column["left"] - 0.5 <= text["left"] and text["right"] <= column["right"] + 0.5, where
        if language == "ar":
            page.locator(selector).first.screenshot(path=str(ARTIFACTS / f"rtl-{name}.png"))


def _seen(page, selector: str, wanted: str) -> str | None:  # noqa: ANN001
    element = page.locator(selector).first.element_handle()
    return page.evaluate(SEEN_LEFT_TO_RIGHT, [element, wanted])


def test_negative_numbers_ids_and_latin_names_read_in_order_in_arabic(
        app: Flask, db: Session, users: dict, candidate: review_factories.Candidate, live_server: str,
        chromium) -> None:
    kunya = review_factories.make_family(db, name_latin=KUNYA_NAME, name_ar="أبو أحمد خليل المصري")
    page = signed_in_page(chromium, live_server, users["admin"], language="ar", width=1280)
    match = candidate.match.id

    page.goto(f"{live_server}/review/")
    row = f"table#queue tr[data-match='{match}']"
    assert _seen(page, row, "-0.15") == "-0.15"  # the minus in front, not "0.15-"
    assert _seen(page, row, candidate.remains.accession) == candidate.remains.accession
    assert _seen(page, row, f"#{match}") == f"#{match}"
    assert page.locator(f"{row} bdi[dir=ltr]", has_text="-0.15").count() == 1

    page.goto(f"{live_server}/review/matches/{match}")
    assert _seen(page, "#total-log10-lr", "-0.1510") == "-0.1510"
    th01 = "table#loci tr[data-marker='TH01']"
    assert _seen(page, th01, "-1.699") == "-1.699"  # the per-locus log10 LR
    assert _seen(page, th01, "9.3/9.3") == "9.3/9.3"  # the genotype of the remains
    heading = page.locator("h1").inner_text()
    assert candidate.remains.accession in heading and candidate.family.family.code in heading
    # the remains come first in reading order (at the right), the family after them (to their left)
    remains_box = page.locator("h1 span.mono").nth(0).bounding_box()
    family_box = page.locator("h1 span.mono").nth(1).bounding_box()
    assert remains_box is not None and family_box is not None and family_box["x"] < remains_box["x"]
    page.screenshot(path=str(ARTIFACTS / "rtl-review-match.png"), full_page=True)

    # Latin names in an Arabic page read as written: a name that begins with a parenthesis (a kunya)
    # would otherwise show as "Khalil al-Masri (Abu Ahmad)" swapped round; the parentheses stay put
    page.goto(f"{live_server}/missing-persons/")
    for case_number, name in ((kunya.missing_person.case_number, KUNYA_NAME),
                              ("MP-2025-0001", "Ahmad Khalil al-Masri (fictional)")):
        row = page.locator("table#list tbody tr", has_text=case_number).element_handle()
        assert page.evaluate(SEEN_LEFT_TO_RIGHT, [row, name]) == name
        assert page.evaluate(SEEN_LEFT_TO_RIGHT, [row, case_number]) == case_number
    page.screenshot(path=str(ARTIFACTS / "rtl-missing-persons.png"), full_page=True)
