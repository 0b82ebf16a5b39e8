"""`labtrack labels ...` prints from the shell and records the print."""

from __future__ import annotations

from pathlib import Path

from sqlmodel import Session, select

from labtrack.models import LabelPrint
from tests import factories


def test_labels_command_writes_pdf_and_zpl(runner, db: Session, users: dict, tmp_path: Path) -> None:
    tech = users["technician"].user
    factories.make_site(db, tech)
    remains = factories.make_remains(db, tech)
    out = tmp_path / "labels.pdf"
    result = runner.invoke(args=["labels", remains.accession, "--layout", "roll", "--out", str(out),
                                 "--by", tech.username])
    assert result.exit_code == 0, result.output
    assert out.read_bytes().startswith(b"%PDF")
    zpl = tmp_path / "labels.zpl"
    result = runner.invoke(args=["labels", remains.accession, "--layout", "zpl", "--out", str(zpl),
                                 "--by", tech.username])
    assert result.exit_code != 0 and "reprint needs a reason" in result.output
    result = runner.invoke(args=["labels", remains.accession, "--layout", "zpl", "--out", str(zpl),
                                 "--by", tech.username, "--reason", "ribbon ran out"])
    assert result.exit_code == 0 and remains.accession in zpl.read_text()
    assert len(db.exec(select(LabelPrint)).all()) == 2


def test_labels_command_reports_bad_ids(runner, users: dict, tmp_path: Path) -> None:
    result = runner.invoke(args=["labels", "QTF-00001-XX", "--out", str(tmp_path / "x.pdf"),
                                 "--by", users["technician"].username])
    assert result.exit_code != 0 and "mistyped or misread" in result.output
    assert not (tmp_path / "x.pdf").exists()
