"""The lists of labtrack as ``listing.ListSpec``: what each list selects, joins, filters and sorts.

Every column that a list sorts by by default is indexed (migrations 0001 and 0011), and every sort
ends with the row id, so paging is an indexed ``ORDER BY … LIMIT … OFFSET``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from sqlalchemy import and_, func, literal_column, or_, select
from sqlalchemy.orm import aliased
from sqlalchemy.sql import Select

from labtrack.core.lifecycle import SAMPLE_STATES
from labtrack.core.qc_remarks import QC_REMARK_KINDS, english_fragment
from labtrack.models import (
    AuditEntry,
    AuditVerification,
    CustodyEvent,
    CustodyItem,
    Donor,
    Family,
    IssuedDocument,
    MatchRun,
    MissingPerson,
    PedigreeMember,
    Profile,
    Remains,
    Sample,
    Site,
    StaffMember,
    User,
)
from labtrack.models.custody import CAPTURE_METHODS, CUSTODY_ACTIONS, ITEM_KINDS
from labtrack.models.families import MISSING_STATUSES, PERSON_SEXES
from labtrack.models.identification import DOCUMENT_KINDS
from labtrack.models.matching import RUN_STATUSES
from labtrack.models.profiles import PROFILE_ORIGINS
from labtrack.models.samples import SAMPLE_TYPES
from labtrack.models.sites import REMAINS_TYPES, SEXES, SITE_STATUSES
from labtrack.services.listing import Column, ListRequest, ListSpec, contains_text


def _c(expr: Any) -> Any:
    """A model attribute as a SQL column expression (for the type checker)."""
    return expr


def _same(statement: Select[Any]) -> Select[Any]:
    return statement


_remains_count = (select(func.count()).where(_c(Remains.site_id) == _c(Site.id))
                  .correlate(Site).scalar_subquery())

SITES = ListSpec(
    name="sites",
    columns=(
        Column("code", _c(Site.code), search=True),
        Column("name_en", _c(Site.name_en), search=True),
        Column("name_ar", _c(Site.name_ar), search=True),
        Column("governorate", _c(Site.governorate), search=True, exact=True),
        Column("legal_case_ref", _c(Site.legal_case_ref), search=True),
        Column("status", _c(Site.status), choices=SITE_STATUSES),
        Column("remains", _remains_count),
        Column("id", _c(Site.id), sortable=False, export=False),
    ),
    build=lambda s: s.select_from(Site),
    tiebreak=_c(Site.id), default_sort="code",
)


def remains_of_site(site_id: int) -> ListSpec:
    """The remains of one site, in the order of their numbers."""
    return ListSpec(
        name="remains",
        columns=(
            Column("accession", _c(Remains.accession), search=True),
            Column("number", _c(Remains.number)),
            Column("remains_type", _c(Remains.remains_type), choices=REMAINS_TYPES),
            Column("est_sex", _c(Remains.est_sex), choices=SEXES),
            Column("trench", _c(Remains.trench), search=True, exact=True),
            Column("grid", _c(Remains.grid), search=True),
            Column("depth_m", _c(Remains.depth_m)),
            Column("recovered_on", _c(Remains.recovered_on)),
            Column("recovery_team", _c(Remains.recovery_team), search=True, exact=True),
            Column("est_age_min", _c(Remains.est_age_min)),
            Column("est_age_max", _c(Remains.est_age_max)),
            Column("est_stature_cm", _c(Remains.est_stature_cm)),
            Column("anatomical_elements", _c(Remains.anatomical_elements), search=True, sortable=False),
            Column("id", _c(Remains.id), sortable=False, export=False),
        ),
        build=lambda s: s.select_from(Remains).where(_c(Remains.site_id) == site_id),
        tiebreak=_c(Remains.id), default_sort="number",
    )


def _own_columns_seek(sorts: dict[str, Any], filters: dict[str, Any], tiebreak: Any,
                      *conditions: Any) -> Callable[[ListRequest], Select[Any] | None]:
    """A ``ListSpec.seek`` on one table: for a request that sorts by one of ``sorts`` and filters
    on ``filters`` only (keys -> the table's columns), without a text search, the table's rows
    under ``conditions`` — the rows the list's query gives when its joins neither add nor drop
    any (inner joins on non-null foreign keys, outer joins)."""

    def seek(request: ListRequest) -> Select[Any] | None:
        if request.q or request.sort not in sorts or not set(request.filters) <= set(filters):
            return None
        return (select(sorts[request.sort].label("sort_key"), tiebreak.label("tiebreak"))
                .where(*conditions, *(filters[key] == value for key, value in request.filters.items())))

    return seek


_SAMPLE_COLUMNS = {"accession": _c(Sample.accession), "sample_type": _c(Sample.sample_type),
                   "state": _c(Sample.state), "collected_on": _c(Sample.collected_on)}

SAMPLES = ListSpec(
    name="samples",
    columns=(
        Column("accession", _c(Sample.accession), search=True),
        Column("site", _c(Site.code), exact=True),
        Column("sample_type", _c(Sample.sample_type), choices=SAMPLE_TYPES),
        Column("state", _c(Sample.state), choices=SAMPLE_STATES),
        Column("failure_reason", _c(Sample.failure_reason), sortable=False, search=True),
        Column("collected_on", _c(Sample.collected_on)),
        Column("id", _c(Sample.id), sortable=False, export=False),
    ),
    build=lambda s: (s.select_from(Sample).join(Remains, _c(Remains.id) == _c(Sample.remains_id))
                     .join(Site, _c(Site.id) == _c(Remains.site_id))),
    tiebreak=_c(Sample.id), default_sort="accession",
    # the remains samples on the sample table alone (remains.site_id is not null): a far page
    # of 150,000 on PostgreSQL 410 -> ~190 ms
    seek=_own_columns_seek(_SAMPLE_COLUMNS, {k: _SAMPLE_COLUMNS[k] for k in ("sample_type", "state")},
                           _c(Sample.id), _c(Sample.remains_id).is_not(None)),
)

_owner = func.coalesce(_c(Sample.accession), _c(StaffMember.code), "")
_NONE = literal_column("''")  # written out, not a parameter: the partial index ix_profile_qc_remarked matches it


def _has_qc_remark(kind: str) -> Any:
    """Profiles with a remark of ``kind``: its message id in the kept messages (``"msg": "<id>"`` as
    the import writes them), or, for a profile imported before they were kept (migration 0028), the
    fixed part of its English text. Only profiles with a remark are read, through the partial index
    ix_profile_qc_remarked (migration 0030), not every profile."""
    message_id = QC_REMARK_KINDS[kind]
    kept = json.dumps({"msg": message_id})[1:-1]
    return and_(_c(Profile.qc_notes) != _NONE,
                or_(contains_text(_c(Profile.qc_notes_json), kept),
                    and_(_c(Profile.qc_notes_json) == _NONE,
                         contains_text(_c(Profile.qc_notes), english_fragment(message_id)))))


PROFILES = ListSpec(
    name="profiles",
    columns=(
        Column("id", _c(Profile.id)),
        Column("owner", _owner, search=True),
        Column("origin", _c(Profile.origin), choices=PROFILE_ORIGINS),
        Column("version", _c(Profile.version)),
        Column("kit", _c(Profile.kit), exact=True),
        Column("n_autosomal_loci", _c(Profile.n_autosomal_loci)),
        Column("is_mixture", _c(Profile.is_mixture)),
        Column("searchable", _c(Profile.searchable)),
        Column("qc_notes", _c(Profile.qc_notes), search=True, sortable=False),
        Column("qc_notes_json", _c(Profile.qc_notes_json), sortable=False, export=False),
        Column("qc_remark", None, sortable=False, export=False, choices=tuple(QC_REMARK_KINDS),
               where=_has_qc_remark),
    ),
    build=lambda s: (s.select_from(Profile)
                     .join(Sample, _c(Sample.id) == _c(Profile.sample_id), isouter=True)
                     .join(StaffMember, _c(StaffMember.id) == _c(Profile.staff_member_id), isouter=True)
                     .where(_c(Profile.superseded).is_(False))),
    tiebreak=_c(Profile.id), default_sort="id", default_descending=True,
    # the current profiles on the profile table alone (the list's joins are outer joins)
    seek=_own_columns_seek({key: _c(getattr(Profile, key)) for key in
                            ("id", "origin", "version", "kit", "n_autosomal_loci", "is_mixture", "searchable")},
                           {"origin": _c(Profile.origin), "kit": _c(Profile.kit)},
                           _c(Profile.id), _c(Profile.superseded).is_(False)),
)

MISSING_PERSONS = ListSpec(
    name="missing_persons",
    columns=(
        Column("case_number", _c(MissingPerson.case_number), search=True),
        Column("sex", _c(MissingPerson.sex), choices=PERSON_SEXES),
        Column("birth_year", _c(MissingPerson.birth_year)),
        Column("status", _c(MissingPerson.status), choices=MISSING_STATUSES),
        Column("name_ar", _c(MissingPerson.name_ar), search=True, identity=True),
        Column("name_latin", _c(MissingPerson.name_latin), search=True, identity=True),
        Column("disappeared_on", _c(MissingPerson.disappeared_on), identity=True),
        Column("disappearance_place", _c(MissingPerson.disappearance_place), search=True, identity=True,
               exact=True),
        Column("circumstances", _c(MissingPerson.circumstances), sortable=False, identity=True),
        Column("contact_name", _c(MissingPerson.contact_name), identity=True),
        Column("contact_phone", _c(MissingPerson.contact_phone), sortable=False, identity=True),
        Column("contact_relation", _c(MissingPerson.contact_relation), sortable=False, identity=True),
        Column("id", _c(MissingPerson.id), sortable=False, export=False),
    ),
    build=lambda s: s.select_from(MissingPerson),
    tiebreak=_c(MissingPerson.id), default_sort="case_number",
    # a far page sorted or skipped on two narrow columns, not on every column of the skipped rows
    seek=_own_columns_seek({key: _c(getattr(MissingPerson, key)) for key in
                            ("case_number", "sex", "birth_year", "status", "name_ar", "name_latin",
                             "disappeared_on", "disappearance_place", "contact_name")},
                           {key: _c(getattr(MissingPerson, key)) for key in ("sex", "status", "disappearance_place")},
                           _c(MissingPerson.id)),
)

DONORS = ListSpec(
    name="donors",
    columns=(
        Column("code", _c(Donor.code), search=True),
        Column("sex", _c(Donor.sex), choices=PERSON_SEXES),
        Column("birth_year", _c(Donor.birth_year)),
        Column("name_ar", _c(Donor.name_ar), search=True, identity=True),
        Column("name_latin", _c(Donor.name_latin), search=True, identity=True),
        Column("phone", _c(Donor.phone), sortable=False, search=True, identity=True),
        Column("address", _c(Donor.address), sortable=False, identity=True),
        Column("id", _c(Donor.id), sortable=False, export=False),
    ),
    build=lambda s: s.select_from(Donor),
    tiebreak=_c(Donor.id), default_sort="code",
    seek=_own_columns_seek({key: _c(getattr(Donor, key)) for key in ("code", "sex", "birth_year", "name_ar",
                                                                      "name_latin")},
                           {"sex": _c(Donor.sex)}, _c(Donor.id)),
)

_members = (select(func.count()).where(_c(PedigreeMember.family_id) == _c(Family.id))
            .correlate(Family).scalar_subquery())
_typed = (select(func.count()).where(_c(PedigreeMember.family_id) == _c(Family.id),
                                     _c(PedigreeMember.donor_id).is_not(None))
          .correlate(Family).scalar_subquery())
_missing_cases = (select(func.aggregate_strings(_c(MissingPerson.case_number), " "))
                  .where(_c(PedigreeMember.family_id) == _c(Family.id),
                         _c(PedigreeMember.missing_person_id) == _c(MissingPerson.id))
                  .correlate(Family).scalar_subquery())
FAMILIES = ListSpec(
    name="families",
    columns=(
        Column("code", _c(Family.code), search=True),
        Column("members", _members),
        Column("typed_members", _typed),
        Column("case_number", _missing_cases, sortable=False),
        Column("id", _c(Family.id), sortable=False, export=False),
    ),
    build=lambda s: s.select_from(Family),
    tiebreak=_c(Family.id), default_sort="code",
    # the members are counted for the page's families only, not for every family the page skips
    # (PostgreSQL computes the select list of each skipped row: page 1,000 of 100,000 719 -> ~70 ms)
    seek=_own_columns_seek({"code": _c(Family.code)}, {}, _c(Family.id)),
)

MATCH_RUNS = ListSpec(
    name="match_runs",
    columns=(
        Column("id", _c(MatchRun.id)),
        Column("created_at", _c(MatchRun.created_at)),
        Column("status", _c(MatchRun.status), choices=RUN_STATUSES),
        Column("progress", _c(MatchRun.progress), sortable=False),
        Column("n_remains", _c(MatchRun.n_remains)),
        Column("n_families", _c(MatchRun.n_families)),
        Column("n_matches", _c(MatchRun.n_matches)),
        Column("engine_version", _c(MatchRun.engine_version), exact=True),
        Column("finished_at", _c(MatchRun.finished_at)),
    ),
    build=lambda s: s.select_from(MatchRun),
    tiebreak=_c(MatchRun.id), default_sort="id", default_descending=True,
)

_issuer = aliased(User)


def documents(kinds: tuple[str, ...] = DOCUMENT_KINDS) -> ListSpec:
    """Issued documents of ``kinds`` (the kinds the role may download), newest first."""
    return ListSpec(
        name="documents",
        columns=(
            Column("number", _c(IssuedDocument.number), search=True),
            Column("kind", _c(IssuedDocument.kind), choices=kinds),
            Column("record_type", _c(IssuedDocument.record_type), exact=True),
            Column("record_id", _c(IssuedDocument.record_id)),
            Column("language", _c(IssuedDocument.language), choices=("en", "ar")),
            Column("issued_at", _c(IssuedDocument.at)),
            Column("issued_by", _c(_issuer.username), exact=True),
            Column("reissue_of_id", _c(IssuedDocument.reissue_of_id), sortable=False),
            Column("sha256", _c(IssuedDocument.sha256), sortable=False),
            Column("id", _c(IssuedDocument.id), sortable=False, export=False),
        ),
        build=lambda s: (s.select_from(IssuedDocument)
                         .join(_issuer, _c(_issuer.id) == _c(IssuedDocument.issued_by_id))
                         .where(_c(IssuedDocument.kind).in_(kinds))),
        tiebreak=_c(IssuedDocument.id), default_sort="issued_at", default_descending=True,
    )


_recorder = aliased(User)
_to_user = aliased(User)
_EVENT_SORTS = {"id": _c(CustodyEvent.id), "at": _c(CustodyEvent.at)}
_EVENT_FILTERS = {"action": _c(CustodyEvent.action), "method": _c(CustodyEvent.method),
                  "batch_ref": _c(CustodyEvent.batch_ref)}


def _custody_events_seek(request: ListRequest) -> Select[Any] | None:
    """The events on their own table (``ListSpec.seek``) when the request sorts and filters by the
    event's own columns only: the list's joins are inner joins on non-null foreign keys (the item,
    the recorder) and one outer join, so the rows are the same; the total is counted and the page's
    keys found without the joins (1,000,000 events on SQLite: the count 410 ms -> 18 ms)."""
    if request.q or request.sort not in _EVENT_SORTS or not set(request.filters) <= set(_EVENT_FILTERS):
        return None
    return (select(_EVENT_SORTS[request.sort].label("sort_key"), _c(CustodyEvent.id).label("tiebreak"))
            .where(*(_EVENT_FILTERS[key] == value for key, value in request.filters.items())))


CUSTODY_EVENTS = ListSpec(
    name="custody_events",
    columns=(
        Column("at", _c(CustodyEvent.at)),
        Column("accession", _c(CustodyItem.accession), search=True),
        Column("kind", _c(CustodyItem.kind), choices=ITEM_KINDS),
        Column("action", _c(CustodyEvent.action), choices=CUSTODY_ACTIONS),
        Column("to_user", _c(_to_user.username), exact=True),
        Column("to_party", _c(CustodyEvent.to_party), search=True),
        Column("batch_ref", _c(CustodyEvent.batch_ref), search=True, exact=True),
        Column("seal_number", _c(CustodyEvent.seal_number), search=True),
        Column("recorded_by", _c(_recorder.username), exact=True),
        Column("method", _c(CustodyEvent.method), choices=CAPTURE_METHODS),
        Column("reason", _c(CustodyEvent.reason), sortable=False, search=True),
        Column("id", _c(CustodyEvent.id)),
    ),
    build=lambda s: (s.select_from(CustodyEvent)
                     .join(CustodyItem, _c(CustodyItem.id) == _c(CustodyEvent.item_id))
                     .join(_recorder, _c(_recorder.id) == _c(CustodyEvent.recorded_by_id))
                     .join(_to_user, _c(_to_user.id) == _c(CustodyEvent.to_user_id), isouter=True)),
    tiebreak=_c(CustodyEvent.id), default_sort="id", default_descending=True,
    seek=_custody_events_seek,
)

AUDIT_LOG = ListSpec(
    name="audit_log",
    columns=(
        Column("seq", _c(AuditEntry.seq)),
        Column("at", _c(AuditEntry.at), sortable=False),
        Column("actor", _c(AuditEntry.actor), search=True, exact=True),
        Column("action", _c(AuditEntry.action), exact=True),
        Column("entity_type", _c(AuditEntry.entity_type), exact=True),
        Column("entity_id", _c(AuditEntry.entity_id), exact=True),
        Column("reason", _c(AuditEntry.reason), search=True, sortable=False),
        Column("entry_hash", _c(AuditEntry.entry_hash), sortable=False),
    ),
    build=_same,
    tiebreak=_c(AuditEntry.seq), default_sort="seq", default_descending=True,
    # the page's entries found on the seq index alone (an index-only scan), then read
    seek=_own_columns_seek({"seq": _c(AuditEntry.seq), "actor": _c(AuditEntry.actor),
                            "action": _c(AuditEntry.action), "entity_type": _c(AuditEntry.entity_type),
                            "entity_id": _c(AuditEntry.entity_id)},
                           {"actor": _c(AuditEntry.actor), "action": _c(AuditEntry.action),
                            "entity_type": _c(AuditEntry.entity_type), "entity_id": _c(AuditEntry.entity_id)},
                           _c(AuditEntry.seq)),
)

AUDIT_VERIFICATIONS = ListSpec(
    name="audit_verifications",
    columns=(
        Column("id", _c(AuditVerification.id)),
        Column("job_id", _c(AuditVerification.job_id), sortable=False),
        Column("full", _c(AuditVerification.full)),
        Column("ok", _c(AuditVerification.ok)),
        Column("from_seq", _c(AuditVerification.from_seq)),
        Column("entries", _c(AuditVerification.entries)),
        Column("to_seq", _c(AuditVerification.to_seq)),
        Column("to_entry_id", _c(AuditVerification.to_entry_id), sortable=False),
        Column("to_hash", _c(AuditVerification.to_hash), sortable=False),
        Column("break_seq", _c(AuditVerification.break_seq), sortable=False),
        Column("break_entry_id", _c(AuditVerification.break_entry_id), sortable=False),
        Column("problem", _c(AuditVerification.problem), sortable=False),
        Column("verified_at", _c(AuditVerification.verified_at), sortable=False),
    ),
    build=_same,
    tiebreak=_c(AuditVerification.id), default_sort="id", default_descending=True,
)
