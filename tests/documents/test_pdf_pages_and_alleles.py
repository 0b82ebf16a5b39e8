"""Every page of a PDF says "page N of M", and alleles are printed in numeric order."""

from __future__ import annotations

from labtrack.documents import match_report
from tests.pdf_text import pdf_text


def _params(n_loci: int) -> dict:
    loci = [{"marker": f"M{k:02d}", "remains": ["12", "7"], "relatives": {"FA": ["11", "8"]}, "lr": 2.5,
             "log10_lr": 0.398, "flag": "", "reading": "consistent"} for k in range(n_loci)]
    return {"match_id": 7, "run_id": 3, "remains_accession": "QTF-00001", "sample_accession": "QTF-00001-S01",
            "site_code": "QTF", "family_code": "FAM-0001", "case_number": "MP-1", "log10_lr": 9.2, "prior": 0.001,
            "posterior": 0.9999, "issue_date": "2026-12-02", "relatives": {"FA": "father"}, "loci": loci,
            "frequencies": [["M00", "12", 0.1], ["M00", "7", 0.2], ["M00", "10", 0.3]], "record_path": "/r/7"}


def test_every_page_says_which_of_how_many() -> None:
    text = pdf_text(match_report.render(_params(80), "DOC-1"))
    pages = text.split("\f")
    pages = [p for p in pages if p.strip()]
    assert len(pages) >= 2
    for number, page in enumerate(pages, start=1):
        assert f"page {number} of {len(pages)}" in page
    one = pdf_text(match_report.render(_params(3), "DOC-2"))
    assert "page 1 of 1" in one


def test_alleles_are_in_numeric_order() -> None:
    text = pdf_text(match_report.render(_params(3), "DOC-3"))
    assert "7/12" in text and "8/11" in text and "12/7" not in text and "11/8" not in text
    lines = [line.split() for line in text.splitlines() if line.strip().startswith("M00 ")]
    alleles = [row[1] for row in lines if len(row) == 3 and row[1] in {"7", "10", "12"}]
    assert alleles == ["7", "10", "12"]  # the frequency table too, not as text (10, 12, 7)


def test_the_signature_block_and_headings_never_split_from_what_follows() -> None:
    """Whatever the length of the per-locus table, the signature heading and its table end up on
    the same page, and no page ends with a heading."""
    reviewers = [["propose confirm", "ana1", "2026-12-02 10:00", "a" * 64], ["approve", "ana2", "2026-12-02 11:00",
                                                                           "b" * 64]]
    for n_loci in range(18, 60, 3):
        params = _params(n_loci) | {"reviewers": reviewers}
        pages = [p for p in pdf_text(match_report.render(params, "DOC-9")).split("\f") if p.strip()]
        with_heading = [p for p in pages if "Reviews and signatures" in p]
        assert len(with_heading) == 1, n_loci
        assert "Signed content SHA-256" in with_heading[0] and "ana2" in with_heading[0], n_loci
        for page in pages[:-1]:
            body = [line.strip() for line in page.splitlines() if line.strip() and "page " not in line
                    and not line.strip().startswith(("Verify:", "Audit log"))]
            assert body[-1] not in ("Per-locus results", "Allele frequencies used", "Reviews and signatures"), n_loci


def test_an_arabic_report_says_which_page_of_how_many_and_keeps_alleles_in_numeric_order() -> None:
    text = pdf_text(match_report.render(_params(80) | {"language": "ar"}, "DOC-5"))
    pages = [p for p in text.split("\f") if p.strip()]
    assert len(pages) >= 2
    for number, page in enumerate(pages, start=1):
        # "الصفحة N من M" (pdftotext spaces the mixed line oddly: compared without spaces)
        assert f"الصفحة{number}من{len(pages)}" in page.replace(" ", ""), number
        assert "page " not in page
    assert "7/12" in text and "8/11" in text and "12/7" not in text and "11/8" not in text
    rows = [line.split() for line in text.splitlines() if line.strip().endswith(" M00")]
    assert [row[-2] for row in rows if len(row) == 3 and row[-2] in {"7", "10", "12"}] == ["7", "10", "12"]
