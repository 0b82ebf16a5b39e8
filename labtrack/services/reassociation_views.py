"""The read side of the re-association pages: lists over a stored run (``services.reassociation``),
paged, sorted and filtered in SQL; nothing is computed when a page is read."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.sql import Select

from labtrack.models import ReassociationGrave, ReassociationGroup, ReassociationPair, ReassociationRun
from labtrack.services.listing import Column, ListSpec


def _c(expr: Any) -> Any:
    return expr


def latest_run_id() -> Any:
    """The newest run's id, as a SQL scalar (None before the first run)."""
    return select(func.max(_c(ReassociationRun.id))).scalar_subquery()


def runs() -> ListSpec:
    """Every stored run, newest first."""
    return ListSpec(
        name="reassociation_runs",
        columns=(
            Column("id", _c(ReassociationRun.id)),
            Column("job_id", _c(ReassociationRun.job_id), sortable=False),
            Column("min_overlap", _c(ReassociationRun.min_overlap), sortable=False),
            Column("max_mismatches", _c(ReassociationRun.max_mismatches), sortable=False),
            Column("min_log10_lr", _c(ReassociationRun.min_log10_lr), sortable=False),
            Column("profiles", _c(ReassociationRun.profiles)),
            Column("pairs", _c(ReassociationRun.pairs)),
            Column("groups", _c(ReassociationRun.groups)),
            Column("computed_at", _c(ReassociationRun.computed_at), sortable=False),
        ),
        build=lambda statement: statement,
        tiebreak=_c(ReassociationRun.id), default_sort="id", default_descending=True,
    )


def graves(run_id: int | None) -> ListSpec:
    """Each grave of the run and each whole site (first), with its MNI."""
    run = latest_run_id() if run_id is None else run_id
    return ListSpec(
        name="reassociation_graves",
        columns=(
            Column("site_code", _c(ReassociationGrave.site_code), exact=True, search=True),
            Column("grave", _c(ReassociationGrave.grave), exact=True, search=True),
            Column("whole_site", _c(ReassociationGrave.whole_site)),
            Column("remains", _c(ReassociationGrave.remains)),
            Column("profiled", _c(ReassociationGrave.profiled)),
            Column("grouped", _c(ReassociationGrave.grouped)),
            Column("groups", _c(ReassociationGrave.groups)),
            Column("mni", _c(ReassociationGrave.mni)),
        ),
        build=lambda statement: statement.where(_c(ReassociationGrave.run_id) == run),
        tiebreak=_c(ReassociationGrave.id), default_sort="site_code",
    )


def groups(run_id: int | None) -> ListSpec:
    """Each group's part in each grave (a group over two graves has two rows)."""
    run = latest_run_id() if run_id is None else run_id
    return ListSpec(
        name="reassociation_groups",
        columns=(
            Column("group_number", _c(ReassociationGroup.group_number), exact=True),
            Column("site_code", _c(ReassociationGroup.site_code), exact=True, search=True),
            Column("grave", _c(ReassociationGroup.grave), exact=True, search=True),
            Column("remains", _c(ReassociationGroup.remains), search=True, sortable=False),
            Column("n_remains", _c(ReassociationGroup.n_remains)),
            Column("group_size", _c(ReassociationGroup.group_size)),
            Column("graves", _c(ReassociationGroup.graves)),
            Column("min_log10_lr", _c(ReassociationGroup.min_log10_lr)),
        ),
        build=lambda statement: statement.where(_c(ReassociationGroup.run_id) == run),
        tiebreak=_c(ReassociationGroup.id), default_sort="group_number",
    )


def _pairs_of(run: Any) -> Any:
    def build(statement: Select[Any]) -> Select[Any]:
        return statement.where(_c(ReassociationPair.run_id) == run)
    return build


def pairs(run_id: int | None = None) -> ListSpec:
    """The identical and near-identical pairs of the run, strongest first."""
    return ListSpec(
        name="reassociation_pairs",
        columns=(
            Column("first_sample", _c(ReassociationPair.first_sample), search=True),
            Column("second_sample", _c(ReassociationPair.second_sample), search=True),
            Column("first_profile_id", _c(ReassociationPair.first_profile_id), sortable=False, export=False),
            Column("second_profile_id", _c(ReassociationPair.second_profile_id), sortable=False, export=False),
            Column("same_remains", _c(ReassociationPair.same_remains)),
            Column("overlap", _c(ReassociationPair.overlap)),
            Column("mismatched", _c(ReassociationPair.mismatched), sortable=False),
            Column("dropout", _c(ReassociationPair.dropout), sortable=False),
            Column("log10_lr", _c(ReassociationPair.log10_lr)),
            Column("group_number", _c(ReassociationPair.group_number), exact=True),
        ),
        build=_pairs_of(latest_run_id() if run_id is None else run_id),
        tiebreak=_c(ReassociationPair.id), default_sort="log10_lr", default_descending=True,
    )
