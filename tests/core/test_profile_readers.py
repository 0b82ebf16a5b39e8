"""Profile readers on the real public exports (tests/data/real-exports) and on edge cases."""

from __future__ import annotations

from pathlib import Path

import pytest

from labtrack.core.kits import KITS, detect_kit
from labtrack.imports.markers import canonical_marker
from labtrack.imports.profiles import UnreadableFile
from labtrack.imports.reader import read_profiles

REAL = Path(__file__).resolve().parents[1] / "data" / "real-exports"


def read(relative: str, **options: str) -> object:
    return read_profiles((REAL / relative).read_bytes(), filename=relative, **options)


# file, kit, number of profiles, number flagged as possible mixture (stutter/extra peaks called)
SINGLE_SOURCE = [
    ("strvalidator/ESX17_ref1_positive_control.txt", "PowerPlex ESX 17", 1, 0),
    ("strvalidator/ESX17_ref3_references_as_shipped.txt", "PowerPlex ESX 17", 3, 0),
    ("strvalidator/ESX17_ref5_mixture_contributors.txt", "PowerPlex ESX 17", 2, 0),
    ("strvalidator/ESX17_set1_positive_controls.txt", "PowerPlex ESX 17", 9, 9),
    ("strvalidator/ESX17_set3_dilution_as_shipped.txt", "PowerPlex ESX 17", 37, 28),
    ("strvalidator/Fusion_set6_dilution_series.txt", "PowerPlex Fusion", 48, 0),
    ("strvalidator/Fusion_ref62_references.txt", "PowerPlex Fusion", 2, 0),
    ("strvalidator/ESSplexSEQS_set7_inhibition.txt", "ESSplex SE QS", 21, 19),
    ("strvalidator/ESSplexSEQS_ref7_reference.txt", "ESSplex SE QS", 1, 0),
    ("strvalidator/SGMPlus_set2_replicates.txt", "SGM Plus", 2, 0),
    ("strvalidator/SGMPlus_ref2_reference.txt", "SGM Plus", 1, 0),
    ("labretriever/sample_for_LR_more_data.csv", "Identifiler Plus", 8, 8),
    ("lrmixstudio/5716083_RAAK1234NL.txt", "NGM", 1, 1),
    ("lrmixstudio/5716083_RAAK1234NL_emptyLines.txt", "NGM", 1, 1),
    ("lrmixstudio/eDNASample.csv", "NGM", 1, 0),
    ("smartrank/GeneMapperExampleWithHeights.txt", "NGM", 4, 3),
    ("euroformix/ESX17_tutorial_refs.csv", "PowerPlex ESX 17", 2, 0),
    ("euroformix/ESX17_tutorial_reference_database.txt", "PowerPlex ESX 17", 77, 0),
    ("euroformix/GF_refs.csv", "GlobalFiler", 4, 0),
    ("kongoh/Experimental-data_GF_Example.csv", "GlobalFiler", 120, 120),
    ("kongoh/Genotype-data_GF_Example.csv", "GlobalFiler", 120, 0),
    ("osiris/CODIS-32.AppendixAexample.xml", "PowerPlex 16", 2, 1),
    ("osiris/CODIS-Rapid-CMF-R16-AppendixA-example.xml", "GlobalFiler", 2, 0),
    ("smartrank/Codis-Single-Profile.xml", "NGM", 1, 0),
]
MIXTURES = [
    "strvalidator/ESX17_set5_mixture_experiment.txt", "lrmixstudio/genemapperSample.txt",
    "euroformix/ESX17_tutorial_stain.txt", "euroformix/GF_evid.csv", "kongoh/CSP_GF_Example.csv",
]


@pytest.mark.parametrize(("relative", "kit", "n_profiles", "n_mixtures"), SINGLE_SOURCE)
def test_every_real_export_reads_without_problems(relative: str, kit: str, n_profiles: int,
                                                  n_mixtures: int) -> None:
    parsed = read(relative)
    assert parsed.problems == []
    assert parsed.kit == kit
    assert len(parsed.profiles) == n_profiles
    assert sum(p.is_mixture for p in parsed.profiles) == n_mixtures


@pytest.mark.parametrize("relative", MIXTURES)
def test_every_mixture_is_flagged(relative: str) -> None:
    parsed = read(relative)
    assert parsed.problems == []
    assert parsed.profiles and all(p.is_mixture for p in parsed.profiles)
    assert all("possible mixture" in p.qc_notes() for p in parsed.profiles)


def test_real_reference_genotypes_are_read_exactly() -> None:
    ref = read("strvalidator/ESX17_ref3_references_as_shipped.txt").profiles
    a2 = next(p for p in ref if p.sample_id == "A2")
    assert a2.loci["AMEL"].stored()[:2] == ("X", "X")  # homozygote written twice
    assert a2.loci["D3S1358"].stored()[:2] == ("15", "16")
    f2 = next(p for p in ref if p.sample_id == "F2")
    homozygous = [c for c in f2.loci.values() if len(c.alleles) == 1]
    assert homozygous and all(c.stored()[0] == c.stored()[1] for c in homozygous)  # written once
    db = read("euroformix/ESX17_tutorial_reference_database.txt").profiles[0]
    assert db.loci["TH01"].stored()[:2] == ("7", "9.3")  # microvariant kept
    assert "vWA" in db.loci  # VWA normalised


def test_off_ladder_peaks_are_kept_and_not_counted() -> None:
    pc1 = next(p for p in read("strvalidator/ESX17_set1_positive_controls.txt").profiles if p.sample_id == "PC1")
    amel = pc1.loci["AMEL"]
    assert amel.off_ladder == 1 and set(amel.alleles) == {"X", "Y"}
    assert "OL" in amel.stored()[2]
    assert "off-ladder" in pc1.qc_notes()


def test_quality_sensors_and_am_are_not_autosomal() -> None:
    ref = read("strvalidator/ESSplexSEQS_ref7_reference.txt").profiles[0]
    assert {"QS1", "QS2", "AMEL"} <= set(ref.loci)
    assert ref.n_autosomal_loci == 16


def test_cmf_examples_keep_bounds_and_flag_four_alleles() -> None:
    parsed = read("osiris/CODIS-32.AppendixAexample.xml")
    b = next(p for p in parsed.profiles if p.sample_id == "IMP_0001B")
    assert len(b.loci["D16S539"].alleles) == 4 and b.is_mixture
    tokens = {a for p in parsed.profiles for c in p.loci.values() for a in c.alleles}
    assert {"<6", ">15"} & tokens
    assert {"Penta_E", "Penta_D", "AMEL"} <= {locus for p in parsed.profiles for locus in p.loci}


@pytest.mark.parametrize(("relative", "expected"), [
    ("smartrank/errorhandling/broken-allele.xml", "ALLELE 1 has no ALLELEVALUE"),
    ("smartrank/errorhandling/broken-locus.xml", "LOCUSNAME is missing or empty"),
    ("smartrank/errorhandling/no-profiles.xml", "no SPECIMEN element"),
])
def test_smartrank_broken_files_give_clear_problems(relative: str, expected: str) -> None:
    parsed = read(relative)
    assert any(expected in p.message for p in parsed.problems), parsed.problems
    assert all(p.file == relative for p in parsed.problems)


def test_a_file_that_is_not_cmf_is_unreadable_with_the_reason() -> None:
    with pytest.raises(UnreadableFile, match="root element is <rootnode>"):
        read("smartrank/errorhandling/not-a-codis-file.xml")


def test_marker_names_are_normalised() -> None:
    for name in ("D8S1179", "D8", "d8s1179 "):
        assert canonical_marker(name) == "D8S1179"
    for name in ("vWA", "VWA", "vwa"):
        assert canonical_marker(name) == "vWA"
    for name in ("Penta E", "PentaE", "PENTA_E", "Penta_E"):
        assert canonical_marker(name) == "Penta_E"
    for name in ("AMEL", "AM", "Amelogenin"):
        assert canonical_marker(name) == "AMEL"
    assert canonical_marker("D99S999") is None


def test_kits_and_detection() -> None:
    for name in ("GlobalFiler", "PowerPlex Fusion 6C", "Identifiler Plus", "PowerPlex ESX 17",
                 "PowerPlex Fusion", "NGM", "NGM SElect", "SGM Plus", "ESSplex SE QS", "Identifiler"):
        assert name in KITS
    assert len(KITS["GlobalFiler"].autosomal) == 21
    assert len(KITS["PowerPlex Fusion 6C"].autosomal) == 23
    assert detect_kit({"D3S1358", "SE33", "Penta_E"}).name == "PowerPlex Fusion 6C"


def test_chosen_kit_refuses_loci_outside_it() -> None:
    parsed = read("euroformix/GF_refs.csv", kit="Identifiler")
    assert parsed.kit == "Identifiler"
    assert any("SE33 is not a locus of kit Identifiler" in p.message for p in parsed.problems)
