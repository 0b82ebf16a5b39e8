"""The kinship models a command can take: mutation (equal / proportional / stepwise, per sex
and per marker) and allelic drop-out / drop-in of the unknown profile. One set of options,
shared by `labtrack kinship lr` and `labtrack kinship search`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from labtrack.core.errors import InputError
from labtrack.imports.mutation_rates import read_mutation_rates
from labtrack.kinship.dropout import DropModel
from labtrack.kinship.mutation import MODELS, MutationModel

_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)

_OPTIONS = [
    click.option(
        "--mutation-model", type=click.Choice(["none", *MODELS]), default="none",
        show_default=True, help="mutation model of every transmission",
    ),
    click.option("--mutation-rate", type=float, default=None,
                 help="rate per meiosis, all loci and both sexes"),
    click.option("--mutation-rate-female", type=float, default=None,
                 help="rate of maternal transmissions (replaces --mutation-rate for them)"),
    click.option("--mutation-rate-male", type=float, default=None,
                 help="rate of paternal transmissions (replaces --mutation-rate for them)"),
    click.option("--mutation-rates", "mutation_rates_path", type=_FILE, default=None,
                 help="CSV marker,rate or marker,female_rate,male_rate: per-marker rates; "
                      "needs --mutation-rate for the markers not in it (0 only if you mean it)"),
    click.option("--mutation-rate2", type=float, default=1e-6, show_default=True,
                 help="stepwise: rate of changes between microvariant groups"),
    click.option("--mutation-range", type=float, default=0.1, show_default=True,
                 help="stepwise: decay per repeat step"),
    click.option("--dropout", type=float, default=0.0, show_default=True,
                 help="drop-out probability d of each allele of the unknown (remains) profile"),
    click.option("--dropout-hom", type=float, default=None,
                 help="drop-out probability of a homozygote's allele (default d²)"),
    click.option("--dropin", type=float, default=0.0, show_default=True,
                 help="drop-in probability c in the unknown (remains) profile"),
]

MODEL_PARAMETERS = (
    "mutation_model", "mutation_rate", "mutation_rate_female", "mutation_rate_male",
    "mutation_rates_path", "mutation_rate2", "mutation_range", "dropout", "dropout_hom", "dropin",
)


def model_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """Add the model options to a click command (its function receives them as keywords)."""
    for option in reversed(_OPTIONS):
        command = option(command)
    return command


def build_models(
    mutation_model: str = "none",
    mutation_rate: float | None = None,
    mutation_rate_female: float | None = None,
    mutation_rate_male: float | None = None,
    mutation_rates_path: Path | None = None,
    mutation_rate2: float = 1e-6,
    mutation_range: float = 0.1,
    dropout: float = 0.0,
    dropout_hom: float | None = None,
    dropin: float = 0.0,
) -> tuple[MutationModel | None, DropModel | None]:
    """The models the options ask for; a clear usage error for anything out of range."""
    return (
        _mutation(mutation_model, mutation_rate, mutation_rate_female, mutation_rate_male,
                  mutation_rates_path, mutation_rate2, mutation_range),
        _drop(dropout, dropout_hom, dropin),
    )


def pop_models(parameters: dict[str, Any]) -> tuple[MutationModel | None, DropModel | None]:
    """Take the model options out of a command's keyword arguments and build the models."""
    return build_models(**{name: parameters.pop(name) for name in MODEL_PARAMETERS})


def _mutation(
    kind: str,
    rate: float | None,
    female: float | None,
    male: float | None,
    rates_path: Path | None,
    rate2: float,
    range_: float,
) -> MutationModel | None:
    given = [rate, female, male, rates_path]
    if kind == "none":
        if any(value is not None for value in given):
            raise click.BadParameter(
                "a mutation rate needs --mutation-model", param_hint="--mutation-model"
            )
        return None
    if all(value is None for value in given):
        raise click.BadParameter(
            "--mutation-model needs --mutation-rate, --mutation-rate-female/--mutation-rate-male "
            "or --mutation-rates",
            param_hint="--mutation-rate",
        )
    if rates_path is not None and rate is None:
        # a marker missing from the table would otherwise get rate 0: one mutation there is an
        # exclusion, and a true relative vanishes without a word
        raise click.BadParameter(
            "--mutation-rates needs --mutation-rate for the markers the table does not list "
            "(e.g. 0.002; 0 makes any mismatch at those markers an exclusion)",
            param_hint="--mutation-rate",
        )
    try:
        if rates_path is not None:
            try:
                table = read_mutation_rates(rates_path)
            except InputError as exc:
                raise click.ClickException(str(exc)) from exc
            default = float(rate or 0.0)
            return MutationModel(
                kind, table.female, rate2, range_, default_rate=default,
                female_rate=table.female, male_rate=table.male,
            )
        return MutationModel(
            kind, float(rate or 0.0), rate2, range_, female_rate=female, male_rate=male
        )
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--mutation-rate") from exc


def _drop(dropout: float, dropout_hom: float | None, dropin: float) -> DropModel | None:
    try:
        model = DropModel(dropout, dropin, dropout_hom)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--dropout/--dropin") from exc
    return model if model.is_active else None
