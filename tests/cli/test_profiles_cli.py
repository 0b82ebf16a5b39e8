"""CLI: profiles check/import/export, pedigrees import/export, freqs import."""

from __future__ import annotations

import json
from pathlib import Path

from flask.testing import FlaskCliRunner
from sqlmodel import Session, func, select

from labtrack.models import FrequencyTable, Profile, ProfileImport
from labtrack.services import demo

ROOT = Path(__file__).resolve().parents[2]
REAL = ROOT / "tests" / "data" / "real-exports"


def test_check_json_report(runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["profiles", "check", str(REAL / "osiris" / "CODIS-32.AppendixAexample.xml"), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["format"] == "cmf" and report["kit"] == "PowerPlex 16"
    assert report["profiles"] == [{"sample_id": "IMP_0001A", "loci": 13, "mixture": False},
                                  {"sample_id": "IMP_0001B", "loci": 13, "mixture": True}]
    assert report["problems"] == []


def test_check_lists_problems_but_exits_zero_when_the_file_was_read(runner: FlaskCliRunner) -> None:
    path = ROOT / "fixtures" / "malformed" / "long_errors.csv"
    result = runner.invoke(args=["profiles", "check", str(path), "--json", "--format", "long"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["format"] == "long"
    assert {(p["row"], p["field"]) for p in report["problems"]} >= {(3, "vWA alleles"), (4, "Marker")}
    assert all(p["file"] == "long_errors.csv" for p in report["problems"])


def test_check_fails_on_an_unreadable_file(runner: FlaskCliRunner) -> None:
    path = REAL / "smartrank" / "errorhandling" / "not-a-codis-file.xml"
    result = runner.invoke(args=["profiles", "check", str(path), "--json"])
    assert result.exit_code != 0
    report = json.loads(result.output.splitlines()[0])
    assert "root element is <rootnode>" in report["problems"][0]["message"]
    text = runner.invoke(args=["profiles", "check", str(REAL / "kongoh" / "CSP_GF_Example.csv")])
    assert text.exit_code == 0 and "MIXTURE" in text.output and "GlobalFiler" in text.output


def test_import_all_or_nothing_and_twice(runner: FlaskCliRunner, db: Session, tmp_path: Path) -> None:
    demo.load_demo(db)
    before = db.exec(select(func.count()).select_from(Profile)).one()
    bad = runner.invoke(args=["profiles", "import", str(ROOT / "fixtures" / "malformed" / "long_errors.csv")])
    assert bad.exit_code != 0 and "row 3" in bad.output and "unknown sample barcode" in bad.output
    assert db.exec(select(func.count()).select_from(Profile)).one() == before
    good = tmp_path / "retype.csv"
    good.write_text("sample_id,marker,allele1,allele2\nNJH-00002-S01-JA,TH01,6,9.3\n")
    first = runner.invoke(args=["profiles", "import", str(good)])
    assert first.exit_code == 0 and "Imported 1 profile(s)" in first.output
    again = runner.invoke(args=["profiles", "import", str(good)])
    assert again.exit_code != 0 and "imported already" in again.output
    db.rollback()  # end the test session's read transaction to see the CLI's commits
    assert db.exec(select(func.count()).select_from(ProfileImport)).one() == 3
    out = tmp_path / "profiles.xlsx"
    assert runner.invoke(args=["profiles", "export", str(out)]).exit_code == 0
    assert out.read_bytes()[:2] == b"PK"


def test_pedigrees_and_freqs_commands(runner: FlaskCliRunner, db: Session, tmp_path: Path) -> None:
    demo.load_demo(db)
    exported = tmp_path / "pedigrees.csv"
    assert runner.invoke(args=["pedigrees", "export", str(exported)]).exit_code == 0
    lines = exported.read_text().splitlines()
    assert lines[0] == "family_id,person_id,father_id,mother_id,sex,sample_id,missing"
    assert "FAM-0001,F,,,1,REF-00002-A-KP,0" in lines
    again = runner.invoke(args=["pedigrees", "import", str(exported)])
    assert again.exit_code != 0 and "family FAM-0001 exists already" in again.output
    loop = runner.invoke(args=["pedigrees", "import", str(ROOT / "fixtures" / "malformed" / "pedigree_loop.csv")])
    assert loop.exit_code != 0 and "own ancestor" in loop.output
    freqs = runner.invoke(args=["freqs", "import", str(ROOT / "fixtures" / "freqs" / "nist1036.csv"),
                                "--name", "NIST copy", "--default"])
    assert freqs.exit_code == 0, freqs.output
    db.rollback()
    assert db.exec(select(FrequencyTable).where(FrequencyTable.is_default == True)).one().name == "NIST copy"  # noqa: E712
    bad = runner.invoke(args=["freqs", "import", str(ROOT / "fixtures" / "malformed" / "freqs_errors.csv"),
                              "--name", "bad"])
    assert bad.exit_code != 0 and "sum to 0.8000" in bad.output
