"""The examples in the kinship core's docstrings run and hold; the lr command is registered."""

import doctest

import pytest
from click.testing import CliRunner

from labtrack.cli.kinship import kinship
from labtrack.kinship import _partitions, markers, tables


@pytest.mark.parametrize("module", [markers, tables, _partitions], ids=lambda m: m.__name__)
def test_docstring_examples(module) -> None:
    result = doctest.testmod(module)
    assert result.attempted > 0
    assert result.failed == 0


def test_lr_is_a_kinship_subcommand() -> None:
    result = CliRunner().invoke(kinship, ["lr", "--help"])
    assert result.exit_code == 0
    for option in ("--freqs", "--genotypes", "--pedigrees", "--cases", "--out", "--theta",
                   "--mutation-model", "--mutation-rate", "--mutation-rate2",
                   "--mutation-range", "--per-locus", "--min-freq"):
        assert option in result.output
