"""Printed barcodes decode, with a real decoder (zbarimg on pdftoppm's rendering), to exactly the IDs."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from labtrack.core import ids
from labtrack.documents import labels

pytestmark = pytest.mark.tools

ACCESSIONS = [
    ids.remains_id("QTF", 1), ids.remains_id("NJH", 12345), ids.sample_id(ids.remains_id("QTF", 42), 3),
    ids.reference_id(1234, "A"), ids.location_id("R01", "F02", "S03", "B07", "P12"), ids.badge_id(7),
    # the longest IDs of each kind, past the widths of the first labels
    ids.sample_id(ids.remains_id("QTF", ids.CAPACITY["remains"]), 99),
    ids.reference_id(ids.CAPACITY["reference"], "Z"), ids.badge_id(ids.CAPACITY["badge"]),
]


def decode(pdf: bytes, tmp_path: Path, dpi: int) -> list[str]:
    if not (shutil.which("zbarimg") and shutil.which("pdftoppm")):
        pytest.skip("zbarimg / pdftoppm not installed")
    (tmp_path / "labels.pdf").write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", str(dpi), "-gray", "-png", str(tmp_path / "labels.pdf"),
                    str(tmp_path / "page")], check=True)
    found: list[str] = []
    for page in sorted(tmp_path.glob("page*.png")):
        out = subprocess.run(["zbarimg", "-q", "--raw", str(page)], capture_output=True, text=True)
        found.extend(line for line in out.stdout.splitlines() if line)
    return found


def _data() -> list[labels.LabelData]:
    return [labels.LabelData(a, "sample: femur", "QTF al-Qutayfah mass grave") for a in ACCESSIONS]


def test_sheet_decodes_to_exactly_the_ids(tmp_path: Path) -> None:
    assert sorted(decode(labels.render_sheet(_data()), tmp_path, 300)) == sorted(ACCESSIONS)


def test_sheet_with_several_pages(tmp_path: Path) -> None:
    many = [ids.remains_id("QTF", n) for n in range(1, 31)]
    pdf = labels.render_sheet([labels.LabelData(a, "remains", "QTF") for a in many])
    assert sorted(decode(pdf, tmp_path, 300)) == sorted(many)


def test_roll_decodes_to_exactly_the_ids(tmp_path: Path) -> None:
    assert sorted(decode(labels.render_roll(_data()), tmp_path, 600)) == sorted(ACCESSIONS)


def test_tube_qr_decodes_to_exactly_the_ids(tmp_path: Path) -> None:
    assert sorted(decode(labels.render_tube(_data()), tmp_path, 600)) == sorted(ACCESSIONS)


def test_label_text_shows_the_id(tmp_path: Path) -> None:
    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext not installed")
    (tmp_path / "roll.pdf").write_bytes(labels.render_roll(_data()[:1]))
    text = subprocess.run(["pdftotext", str(tmp_path / "roll.pdf"), "-"], capture_output=True, text=True).stdout
    assert ACCESSIONS[0] in text and "QTF al-Qutayfah" in text


def test_zpl_has_one_label_per_id_with_code128() -> None:
    zpl = labels.render_zpl(_data()).decode("ascii")
    assert zpl.count("^XA") == len(ACCESSIONS) == zpl.count("^XZ")
    for accession in ACCESSIONS:
        assert f"^BCN,80,Y,N,N^FD{accession}^FS" in zpl


def test_rendering_is_reproducible() -> None:
    assert labels.render_sheet(_data()) == labels.render_sheet(_data())


def test_unknown_layout() -> None:
    with pytest.raises(ValueError, match="unknown label layout"):
        labels.render(_data(), "poster")


def _arabic_data() -> list[labels.LabelData]:
    return [labels.LabelData(a, "sample: femur", "QTF al-Qutayfah", "مقبرة القطيفة", "QTF") for a in ACCESSIONS]


@pytest.mark.parametrize(("render", "dpi"), [(labels.render_sheet, 300), (labels.render_roll, 600)])
def test_arabic_site_names_print_and_the_bars_still_decode(render, dpi: int, tmp_path: Path) -> None:
    from tests.pdf_text import pdf_text, render_png

    pdf = render(_arabic_data())
    assert sorted(decode(pdf, tmp_path, dpi)) == sorted(ACCESSIONS)
    text = pdf_text(pdf)
    assert text.count("مقبرة القطيفة") == len(ACCESSIONS)
    assert "QTF" in text
    render_png(pdf, f"labels-arabic-{render.__name__}")


def test_latin_site_name_gives_way_when_both_do_not_fit(tmp_path: Path) -> None:
    from tests.pdf_text import pdf_text

    label = labels.LabelData(ACCESSIONS[0], "remains: partial", "NJH Najha mass grave, eastern trench complex",
                             "مقبرة نجها الجماعية، مجمّع الخندق الشرقي", "NJH")
    text = pdf_text(labels.render_roll([label]))
    assert "Najha" not in text and "NJH" in text and "مقبرة نجها الجماعية" in text
    assert decode(labels.render_roll([label]), tmp_path, 600) == [ACCESSIONS[0]]
