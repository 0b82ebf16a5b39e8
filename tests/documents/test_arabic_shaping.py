"""Arabic text in drawing order (labtrack.documents.pdf_base.shape): brackets around mixed
Arabic/Latin text stay with what they enclose, paths and "SEQ:HASH" stay one left-to-right piece.

``shape`` returns the characters left to right as they are drawn (Arabic reshaped into its
presentation forms, so the Arabic below is compared through ``shape`` of the Arabic word alone)."""

from __future__ import annotations

import html
import re
import subprocess
import tempfile
from pathlib import Path

import pytest

from labtrack.documents import custody_forms
from labtrack.documents.pdf_base import shape
from tests.pdf_text import pdf_text, render_png


def ar(word: str) -> str:
    """An Arabic word as drawn (reshaped, right to left)."""
    return shape(word, rtl=True)


@pytest.mark.parametrize(("logical", "drawn"), [
    # a Latin name and its username in brackets, then an Arabic place: the name reads as one piece
    # (python-bidi alone drew "(Ali Hasan (ali")
    ("Ali Hasan (ali)؛ صندوق BOX-1", lambda: f"BOX-1 {ar('صندوق')} ؛Ali Hasan (ali)"),
    # two bracketed Latin codes after an Arabic word keep their order from the right
    # (python-bidi alone drew "(FA) (FA-2)", the first code on the left)
    ("الأب (FA) (FA-2)", lambda: f"(FA-2) (FA) {ar('الأب')}"),
    # Arabic in brackets after an ID, Latin in brackets after Arabic: as before
    ("SEAL-778 (سليم)", lambda: f"({ar('سليم')}) SEAL-778"),
    ("أحمد (ana1)", lambda: f"(ana1) {ar('أحمد')}"),
])
def test_brackets_stay_with_what_they_enclose(logical: str, drawn) -> None:  # noqa: ANN001
    assert shape(logical, rtl=True) == drawn()


def test_a_path_and_a_checkpoint_stay_one_left_to_right_piece() -> None:
    assert shape("للتحقق: /review/matches/7?doc=DOC-2026-000001-HA", rtl=True) == \
        f"/review/matches/7?doc=DOC-2026-000001-HA :{ar('للتحقق')}"
    assert shape("نقطة التحقق: 40:28efb4", rtl=True).startswith("40:28efb4 :")


def test_no_direction_mark_is_drawn_and_latin_text_passes_unchanged() -> None:
    drawn = shape("الأب (FA) (FA-2)", rtl=True)
    assert not set(drawn) & set("\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
    assert shape("Ali Hasan (ali); BOX-1 (shelf)") == "Ali Hasan (ali); BOX-1 (shelf)"


def drawn_lines(pdf: bytes) -> list[str]:
    """Each printed line's words as they sit on the page, left to right (pdftotext -bbox gives
    each word's position; its plain text output re-applies its own bidi reordering)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "doc.pdf"
        path.write_bytes(pdf)
        out = subprocess.run(["pdftotext", "-bbox", str(path), "-"], capture_output=True, check=True).stdout
    lines: dict[float, list[tuple[float, str]]] = {}
    for x, y, word in re.findall(r'<word xMin="([\d.]+)" yMin="([\d.]+)"[^>]*>([^<]*)</word>', out.decode()):
        lines.setdefault(round(float(y)), []).append((float(x), html.unescape(word)))
    return [" ".join(word for _, word in sorted(words)) for _, words in sorted(lines.items())]


def test_an_arabic_custody_form_prints_a_name_and_its_username_in_place() -> None:
    line = custody_forms.EventLine(event_id=3, at="2026-12-03 10:00:00", action="ship",
                                   source="Ali Hasan (ali)؛ صندوق BOX-1", destination="الأب (FA) (FA-2)",
                                   seal="SEAL-778", recorded_by="ali", note="")
    pdf = custody_forms.render_custody_form(number="DOC-2026-000009-ZZ", lab_name="Lab", accession="QTF-00001",
                                            item_type="رفات", origin="QTF", current_place="صندوق BOX-1",
                                            events=[line], language="ar")
    render_png(pdf, "custody-form-arabic-brackets")
    [row] = [line for line in drawn_lines(pdf) if "SEAL-778" in line]
    assert "Ali Hasan (ali)" in row and "(Ali" not in row
    assert "(FA-2) (FA)" in row  # read from the right: (FA) first
    assert "QTF-00001" in pdf_text(pdf)
