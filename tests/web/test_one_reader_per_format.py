"""One reader per exchange format: the same malformed ``pedigrees.csv`` or ``freqs.csv`` given to the
command line (``labtrack kinship search``) and to the page that imports it (Families, Frequencies)
gets the same problems, at the same file, row and field, with the same words
(``labtrack.imports.pedigrees.read_pedigrees`` and ``labtrack.imports.frequencies.read_frequencies``
serve both)."""

from __future__ import annotations

import html
import io
import re
from pathlib import Path

from click.testing import CliRunner
from flask.testing import FlaskClient
from sqlmodel import Session, func, select

from labtrack.cli.kinship_search import search_command, simulate_command
from labtrack.models import Family, FrequencyTable

MALFORMED = ("family_id,person_id,father_id,mother_id,sex,sample_id,missing\n"
             "F1,A,,,1,,0\n"
             "F1,B,,,X,,0\n"        # row 3: a sex that is not one
             "F1,MP,A,B,1,,2\n"     # row 4: missing is not 0 or 1
             "F2,C,,,2,,0\n"
             "F2,MP,C,C,1,,1\n"     # row 6: C as father (a woman) and mother
             ",D,,,1,,0\n")         # row 7: no family


MALFORMED_FREQS = ("marker,allele,frequency,count\n"
                   "D3S1358,15,0.5,\n"
                   "D3S1358,16,abc,\n"    # row 3: not a number
                   "vWA,Q,1,\n"           # row 4: not an allele of vWA
                   "TH01,6,0.5,-2\n"      # row 5: not a count
                   "TH01,7,0.5,\n"
                   "D3S1358,15,0.5,\n")   # row 7: the allele twice
PROBLEM = re.compile(r"(pedigrees\.csv|freqs\.csv)(?:, row (\d+))?, field ([\w-]+): (.+)")
CELLS = re.compile(r"<tr><td>(pedigrees\.csv|freqs\.csv)</td><td>(\d*)</td><td>([\w-]+)</td><td>(.*?)</td></tr>")


def _problem_set(found: list[tuple[str, str, str, str]]) -> set[tuple[str, int | None, str, str]]:
    return {(file, int(row) if row else None, field, html.unescape(message)) for file, row, field, message in found}


def _cli_problems(tmp_path: Path, name: str = "pedigrees.csv", content: str = MALFORMED
                  ) -> set[tuple[str, int | None, str, str]]:
    data = tmp_path / "data"
    simulated = CliRunner().invoke(simulate_command, ["--families", "3", "--remains", "2", "--loci", "8", "--seed",
                                                      "1", "--out", str(data)])
    assert simulated.exit_code == 0, simulated.output
    (data / name).write_text(content)
    out = tmp_path / "out.csv"
    result = CliRunner().invoke(search_command, ["--freqs", str(data / "freqs.csv"), "--genotypes",
                                                 str(data / "genotypes.csv"), "--pedigrees",
                                                 str(data / "pedigrees.csv"), "--remains", str(data / "remains.txt"),
                                                 "--out", str(out)])
    assert result.exit_code != 0 and not out.exists()
    return _problem_set(PROBLEM.findall(result.output))


def _page_problems(client: FlaskClient) -> set[tuple[str, int | None, str, str]]:
    response = client.post("/families/import", data={"file": (io.BytesIO(MALFORMED.encode()), "pedigrees.csv")},
                           content_type="multipart/form-data")
    assert response.status_code == 302  # the worker's job (run inline in tests) refused the file
    page = client.get(response.location).get_data(as_text=True)
    assert 'data-upload-status="refused"' in page
    return _problem_set(CELLS.findall(page))


def test_the_cli_and_the_page_report_the_same_problems_of_one_file(tmp_path: Path, client: FlaskClient,
                                                                   db: Session, login_as) -> None:  # noqa: ANN001
    login_as("coordinator")
    on_the_page = _page_problems(client)
    on_the_command_line = _cli_problems(tmp_path)
    assert on_the_page == on_the_command_line
    assert {(row, field) for _file, row, field, _message in on_the_page} >= {
        (3, "sex"), (4, "missing"), (6, "father_id"), (6, "mother_id"), (7, "family_id")}
    assert (3, "sex", "sex 'X' is not 1/M, 2/F or 0/blank") in {p[1:] for p in on_the_page}
    assert db.exec(select(func.count()).select_from(Family)).one() == 0


def test_the_cli_and_the_page_report_the_same_problems_of_one_frequency_table(
        tmp_path: Path, client: FlaskClient, db: Session, login_as) -> None:  # noqa: ANN001
    login_as("analyst")
    response = client.post("/frequencies/", data={"name": "bad", "file": (io.BytesIO(MALFORMED_FREQS.encode()),
                                                                          "freqs.csv")},
                           content_type="multipart/form-data")
    assert response.status_code == 422
    on_the_page = _problem_set(CELLS.findall(response.get_data(as_text=True)))
    on_the_command_line = _cli_problems(tmp_path, "freqs.csv", MALFORMED_FREQS)
    assert on_the_page == on_the_command_line
    assert {(row, field) for _file, row, field, _message in on_the_page} >= {
        (3, "frequency"), (4, "allele"), (5, "count"), (7, "allele")}
    assert (3, "frequency", "frequency 'abc' is not a number") in {p[1:] for p in on_the_page}
    assert db.exec(select(func.count()).select_from(FrequencyTable)).one() == 0
