"""`labtrack kinship dvi` on bad datasets: a clear message naming file and problem, no
traceback, nothing written."""

from __future__ import annotations

import shutil
from pathlib import Path

from click.testing import CliRunner

from labtrack.cli.kinship_dvi import dvi_command

DATA = Path(__file__).resolve().parents[2] / "data" / "dvi-public" / "example2"


def dataset(tmp_path: Path, **replace: str) -> Path:
    folder = tmp_path / "event"
    shutil.copytree(DATA, folder)
    for name, text in replace.items():
        (folder / f"{name}.csv").write_text(text, encoding="utf-8")
    return folder


def run(folder: Path, out: Path):
    return CliRunner().invoke(dvi_command, [str(folder), "--out", str(out)])


def test_unknown_victim_sex_and_family_without_missing(tmp_path: Path) -> None:
    pedigrees = (DATA / "pedigrees.csv").read_text().replace('"M3","R2","MO2",2,"",1',
                                                              '"M3","R2","MO2",2,"",0')
    folder = dataset(tmp_path, victims='sample_id,sex\nV1,1\nV2,1\nV3,0\n', pedigrees=pedigrees)
    out = tmp_path / "out"
    result = run(folder, out)
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert "victims.csv, row 4, field sex: victim V3: unknown sex '0'" in result.output
    assert "family F2: no missing person" in result.output
    assert not out.exists()


def test_impossible_pedigree_and_missing_file(tmp_path: Path) -> None:
    pedigrees = (DATA / "pedigrees.csv").read_text().replace('"F1","R1","","",2', '"F1","R1","","",1')
    folder = dataset(tmp_path, pedigrees=pedigrees)
    result = run(folder, tmp_path / "out")
    assert result.exit_code == 1
    assert "mother R1 of M2 has the wrong sex" in result.output
    (folder / "freqs.csv").unlink()
    result = run(folder, tmp_path / "out")
    assert "freqs.csv: file missing" in result.output


def test_outputs_of_a_small_event(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = run(DATA, out)
    assert result.exit_code == 0, result.output
    assert "10 assignments in 2 independent parts (exact" in result.output
    header = (out / "joint.csv").read_text().splitlines()[0]
    assert header == "rank,V1,V2,V3,loglik,log10_lr_vs_best,log10_lr_vs_null,posterior"
    assert (out / "pairwise_lr.csv").read_text().splitlines()[0] == (
        "victim,missing_person_id,family_id,log10_lr")
    assert (out / "bmarginal.csv").read_text().splitlines()[0] == "victim,M1,M2,M3,*"


def test_a_stated_prior(tmp_path: Path) -> None:
    """--prior weights each pairing; the posteriors are those of the API with the same prior,
    and differ from the flat ones."""
    import math

    import pandas as pd

    from labtrack.imports.dvi_dataset import read_dvi_dataset
    from labtrack.kinship.dvi import joint

    prior = tmp_path / "prior.csv"
    prior.write_text("victim,candidate,weight\nV1,*,9\nV2,M2,0.5\n", encoding="utf-8")
    out = tmp_path / "out"
    result = CliRunner().invoke(dvi_command, [str(DATA), "--out", str(out), "--prior", str(prior)])
    assert result.exit_code == 0, result.output
    got = pd.read_csv(out / "joint.csv", dtype=str, keep_default_na=False)
    api = joint(read_dvi_dataset(DATA), prior={("V1", "*"): math.log(9), ("V2", "M2"): math.log(0.5)})
    flat = joint(read_dvi_dataset(DATA))
    assert [float(x) for x in got["posterior"]] == list(api.posterior())
    assert abs(api.marginals()[0, -1] - flat.marginals()[0, -1]) > 0.1
    bad = tmp_path / "bad.csv"
    bad.write_text("victim,candidate,weight\nV9,M1,1\nV1,M1,-2\n", encoding="utf-8")
    result = CliRunner().invoke(dvi_command, [str(DATA), "--out", str(tmp_path / "o2"),
                                              "--prior", str(bad)])  # fmt: skip
    assert result.exit_code == 1
    assert "unknown victim 'V9'" in result.output and "not a positive number: '-2'" in result.output
