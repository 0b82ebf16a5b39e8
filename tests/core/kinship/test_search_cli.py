"""`labtrack kinship search` and `labtrack kinship simulate` on the command objects."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from click.testing import CliRunner

from labtrack.cli.kinship_search import search_command, simulate_command


def rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def dataset(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("sim")
    result = CliRunner().invoke(
        simulate_command,
        ["--families", "40", "--remains", "30", "--loci", "15", "--seed", "2", "--out", str(out)],
    )
    assert result.exit_code == 0, result.output
    return out


def args(d: Path, out: Path, *extra: str) -> list[str]:
    return [
        "--freqs", str(d / "freqs.csv"),
        "--genotypes", str(d / "genotypes.csv"),
        "--pedigrees", str(d / "pedigrees.csv"),
        "--remains", str(d / "remains.txt"),
        "--out", str(out),
        *extra,
    ]  # fmt: skip


def test_simulate_writes_the_files(dataset):
    for name in ("freqs.csv", "genotypes.csv", "pedigrees.csv", "remains.txt", "truth.csv"):
        assert (dataset / name).stat().st_size > 0
    assert len((dataset / "remains.txt").read_text().split()) == 30
    assert list(rows(dataset / "truth.csv")[0]) == ["remains_sample_id", "family_id"]


def test_search_writes_ranked_candidates(dataset, tmp_path):
    out, fam, summary, direct = (tmp_path / n for n in ("o.csv", "f.csv", "s.csv", "d.csv"))
    result = CliRunner().invoke(
        search_command,
        args(dataset, out, "--top", "3", "--threads", "2", "--families-out", str(fam),
             "--summary-out", str(summary), "--direct-out", str(direct)),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    got = rows(out)
    assert list(got[0]) == ["remains_sample_id", "rank", "family_id", "log10_lr", "posterior"]
    by_remains: dict[str, list[dict[str, str]]] = {}
    for row in got:
        by_remains.setdefault(row["remains_sample_id"], []).append(row)
    for ranked in by_remains.values():
        assert [int(r["rank"]) for r in ranked] == list(range(1, len(ranked) + 1))
        lrs = [float(r["log10_lr"]) for r in ranked]
        assert lrs == sorted(lrs, reverse=True)
        assert all(0 <= float(r["posterior"]) <= 1 for r in ranked)
    truth = {r["remains_sample_id"]: r["family_id"] for r in rows(dataset / "truth.csv")}
    related = [r for r, f in truth.items() if f]
    hits = sum(by_remains.get(r, [{}])[0].get("family_id") == truth[r] for r in related)
    assert hits >= 0.7 * len(related)
    assert list(rows(fam)[0]) == ["family_id", "rank", "remains_sample_id", "log10_lr", "posterior"]
    assert len(rows(summary)) == 30
    assert list(rows(summary)[0])[1:] == ["loci_typed", "families_above_threshold",
                                          "families_undefined"]  # fmt: skip
    assert rows(direct) == []  # no duplicates simulated
    assert "searched remains: 30/30" in result.stderr


def test_dask_local_gives_the_same_file(dataset, tmp_path):
    one, two = tmp_path / "one.csv", tmp_path / "two.csv"
    assert CliRunner().invoke(search_command, args(dataset, one, "--threads", "1")).exit_code == 0
    result = CliRunner().invoke(search_command, args(dataset, two, "--dask", "local"))
    assert result.exit_code == 0, result.output
    assert one.read_text() == two.read_text()


def test_direct_matches_of_duplicate_remains(dataset, tmp_path):
    d = tmp_path / "dup"
    d.mkdir()
    for name in ("freqs.csv", "pedigrees.csv"):
        (d / name).write_text((dataset / name).read_text())
    geno = rows(dataset / "genotypes.csv")
    first = (dataset / "remains.txt").read_text().split()[0]
    extra = [{**r, "sample_id": "DUP-1"} for r in geno if r["sample_id"] == first]
    # the duplicate was typed from poor bone: one allele seen at the first heterozygous locus
    dropped = next(r for r in extra if r["allele2"] and r["allele1"] != r["allele2"])
    dropped["allele2"] = ""
    with (d / "genotypes.csv").open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(geno[0]))
        writer.writeheader()
        writer.writerows(geno + extra)
    (d / "remains.txt").write_text((dataset / "remains.txt").read_text() + "DUP-1\n")
    direct = tmp_path / "d.csv"
    result = CliRunner().invoke(
        search_command, args(d, tmp_path / "o.csv", "--direct-out", str(direct))
    )
    assert result.exit_code == 0, result.output
    matches = rows(direct)
    assert [(m["remains_sample_id_1"], m["remains_sample_id_2"]) for m in matches] == [
        (first, "DUP-1")
    ]
    assert float(matches[0]["log10_lr"]) > 10
    assert matches[0]["mismatched_loci"] == ""
    assert matches[0]["dropout_loci"] == dropped["marker"]


@pytest.mark.parametrize(
    ("file", "content", "message"),
    [
        ("remains.txt", "NOPE-1\n", "remains.txt, row 1, field sample_id: unknown remains NOPE-1"),
        ("remains.txt", "", "no remains sample ids"),
        ("genotypes.csv", "", "empty file"),
        ("genotypes.csv", "sample_id,marker,allele1,allele2\nRM-000001,FOO9,1,2\n",
         "genotypes.csv, row 2, field marker: marker FOO9 is not in the frequency table"),
        ("genotypes.csv", "sample_id,marker,allele1,allele2\nRM-000001,TH01,,7\n",
         "row 2, field allele1"),
        ("pedigrees.csv", "family_id,person_id\n", "pedigrees.csv"),
    ],
)  # fmt: skip
def test_bad_input_names_file_row_field_and_writes_nothing(dataset, tmp_path, file, content,
                                                           message):  # fmt: skip
    d = tmp_path / "bad"
    d.mkdir()
    for name in ("freqs.csv", "genotypes.csv", "pedigrees.csv", "remains.txt"):
        (d / name).write_text((dataset / name).read_text())
    if file == "genotypes.csv" and content.startswith("sample_id"):
        content = (
            (dataset / "genotypes.csv").read_text().splitlines()[0]
            + "\n"
            + "".join(content.splitlines(keepends=True)[1:])
            + "".join((dataset / "genotypes.csv").read_text().splitlines(keepends=True)[1:])
        )
    (d / file).write_text(content)
    out = tmp_path / "out.csv"
    result = CliRunner().invoke(search_command, args(d, out))
    assert result.exit_code != 0
    assert message in result.output
    assert not out.exists()


def test_theta_lowers_the_evidence(dataset, tmp_path):
    plain, theta = tmp_path / "plain.csv", tmp_path / "theta.csv"
    assert CliRunner().invoke(search_command, args(dataset, plain, "--top", "1")).exit_code == 0
    result = CliRunner().invoke(
        search_command, args(dataset, theta, "--top", "1", "--theta", "0.03")
    )
    assert result.exit_code == 0, result.output
    a = {r["remains_sample_id"]: float(r["log10_lr"]) for r in rows(plain)}
    b = {r["remains_sample_id"]: float(r["log10_lr"]) for r in rows(theta)}
    strong = [r for r, v in a.items() if v > 6]
    assert strong
    assert all(b[r] < a[r] for r in strong if r in b)


@pytest.fixture(scope="module")
def degraded_grave(tmp_path_factory) -> Path:
    """A mass grave as bone gives it: one-step mutations, one allele seen at 30 % of
    heterozygous loci, 10 % of loci failed."""
    out = tmp_path_factory.mktemp("degraded")
    result = CliRunner().invoke(simulate_command, [
        "--families", "150", "--remains", "120", "--loci", "20", "--seed", "8", "--out", str(out),
        "--mutation-rate", "0.02", "--one-seen", "0.3", "--failed-loci", "0.1",
        "--related-fraction", "1",
    ])
    assert result.exit_code == 0, result.output
    return out


def true_family_ranks(d: Path, out: Path) -> dict[str, int | None]:
    truth = {r["remains_sample_id"]: r["family_id"] for r in rows(d / "truth.csv") if r["family_id"]}
    ranks: dict[str, int | None] = dict.fromkeys(truth)
    for row in rows(out):
        if truth.get(row["remains_sample_id"]) == row["family_id"]:
            ranks[row["remains_sample_id"]] = int(row["rank"])
    return ranks


def test_degraded_grave_loses_no_true_family_with_the_models(degraded_grave: Path, tmp_path: Path) -> None:
    d = degraded_grave
    shapes = {r["family_id"]: r for r in rows(d / "pedigrees.csv") if r["missing"] == "1"}
    parents = {r["family_id"] for r in rows(d / "pedigrees.csv")
               if r["person_id"] in ("FA", "MO") and r["sample_id"]}
    # without the models, true families vanish: excluded, and nothing says why
    plain = tmp_path / "plain.csv"
    near = tmp_path / "near.csv"
    result = CliRunner().invoke(search_command, args(d, plain, "--top", "10", "--near-out", str(near)))
    assert result.exit_code == 0, result.output
    lost = [r for r, rank in true_family_ranks(d, plain).items() if rank is None]
    assert lost, "the simulated grave should defeat the search without models"
    # ...but the near-miss list names most of them with the loci that exclude
    truth = {r["remains_sample_id"]: r["family_id"] for r in rows(d / "truth.csv")}
    listed = {(r["remains_sample_id"], r["family_id"]): r for r in rows(near)}
    named = [r for r in lost if (r, truth[r]) in listed]
    assert len(named) >= len(lost) // 2
    assert all(int(listed[(r, truth[r])]["excluded_loci"]) in (1, 2) for r in named)
    # with the models: no true family lost, every family with a typed parent in its top 10
    models = tmp_path / "models.csv"
    result = CliRunner().invoke(search_command, args(
        d, models, "--top", "10", "--mutation-model", "stepwise", "--mutation-rate", "0.02",
        "--dropout", "0.2",
    ))
    assert result.exit_code == 0, result.output
    ranks = true_family_ranks(d, models)
    assert len(ranks) == 120 and len(shapes) == 150
    missing_parents = [r for r, rank in ranks.items() if rank is None and truth[r] in parents]
    assert missing_parents == []
    top1 = sum(rank == 1 for rank in ranks.values())
    plain_top1 = sum(rank == 1 for rank in true_family_ranks(d, plain).values())
    assert top1 > plain_top1


def test_bad_model_files_name_the_row(degraded_grave: Path, tmp_path: Path) -> None:
    rates = tmp_path / "rates.csv"
    rates.write_text("marker,female_rate,male_rate\nD3S1358,0.001,x\nvWA,0.002,1.5\n")
    result = CliRunner().invoke(search_command, args(
        degraded_grave, tmp_path / "o.csv", "--mutation-model", "stepwise", "--mutation-rates", str(rates),
        "--mutation-rate", "0.002"))
    assert result.exit_code != 0
    assert "rates.csv, row 2, field male_rate" in result.output
    assert "rates.csv, row 3, field male_rate" in result.output
    dropout = tmp_path / "dropout.csv"
    dropout.write_text("sample_id,dropout\nRM-000001,1.2\n")
    result = CliRunner().invoke(search_command, args(
        degraded_grave, tmp_path / "o.csv", "--remains-dropout", str(dropout)))
    assert result.exit_code != 0
    assert "dropout.csv, row 2, field dropout" in result.output
    assert not (tmp_path / "o.csv").exists()
    result = CliRunner().invoke(search_command, args(
        degraded_grave, tmp_path / "o.csv", "--mutation-model", "geometric", "--mutation-rate", "0.1"))
    assert result.exit_code == 2 and "geometric" in result.output


def test_theta_with_mutation_refuses_a_family_beyond_the_engine(dataset, tmp_path):
    """A family whose partition sum would exceed the engine's limit is refused before anything is
    computed, naming the file, the family and why; nothing is written."""
    d = tmp_path / "big"
    d.mkdir()
    for name in ("freqs.csv", "genotypes.csv", "remains.txt"):
        (d / name).write_text((dataset / name).read_text())
    references = sorted({r["sample_id"] for r in rows(dataset / "genotypes.csv")} - set(
        (dataset / "remains.txt").read_text().split()))[:4]
    lines = (dataset / "pedigrees.csv").read_text().splitlines()
    header = lines[0].split(",")
    extra = [dict.fromkeys(header, "") | {"family_id": "BIG-1", "person_id": "MP", "sex": "1", "missing": "1"}]
    for k, sample in enumerate(references):
        extra += [dict.fromkeys(header, "") | {"family_id": "BIG-1", "person_id": f"W{k}", "sex": "2", "missing": "0"},
                  dict.fromkeys(header, "") | {"family_id": "BIG-1", "person_id": f"C{k}", "father_id": "MP",
                                               "mother_id": f"W{k}", "sex": "1", "sample_id": sample, "missing": "0"}]
    (d / "pedigrees.csv").write_text("\n".join(lines + [",".join(r[h] for h in header) for r in extra]) + "\n")
    out = tmp_path / "out.csv"
    result = CliRunner().invoke(search_command, args(d, out, "--theta", "0.01", "--mutation-model", "stepwise",
                                                     "--mutation-rate", "0.002"))
    assert result.exit_code != 0
    assert "pedigrees.csv" in result.output and "family BIG-1" in result.output
    assert "12 here, at most 10" in result.output
    assert not out.exists()
