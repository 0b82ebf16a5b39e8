"""The pages-at-scale benchmark's builder writes rows the app accepts: at a tiny size, the audit
chain it continued still verifies, the name index and its text index are what the app would
have written, the database's triggers did their part (the family side's version, the review
status), and every page it times answers for a role that may open it (the timings themselves
are for ``benchmarks/README.md``, not for a test). On PostgreSQL the builder loads with COPY and
builds the trigram index after the load: the same checks hold there."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import func, text
from sqlmodel import Session, col, select

from benchmarks import pages_at_scale
from labtrack.core import names
from labtrack.db import get_engine
from labtrack.models import Donor, Match, MatchReview, MissingPerson, NameIndex, family_side
from labtrack.services import audit, audit_seal, audit_verification, name_index, name_search


def test_bulk_rows_are_valid_for_the_app(app: Flask) -> None:
    sizes = pages_at_scale.SCALES["tiny"]
    marks, _ = pages_at_scale.build(app, sizes)

    engine = get_engine(app)
    seal = audit_seal.seal_of(engine)
    with Session(engine) as session:
        result = audit.verify_chain(session, seal=seal, checkpoints=audit_verification.instance_checkpoints(seal))
    assert result.ok, result
    assert result.entries > sizes.audit_entries and result.unkeyed == 0
    assert result.last_checkpoint == result.last_seq  # the builder signed a checkpoint of its new head

    dialect = engine.dialect.name
    with Session(engine) as session:
        # the name index holds the app's own key of every person and donor (services.name_index)
        keys = {(row.kind, row.person_id): (row.search_key, row.birth_year) for row in session.exec(select(NameIndex))}
        people = [*session.exec(select(MissingPerson)), *session.exec(select(Donor))]
        assert len(people) == sizes.persons + sizes.donors
        assert keys == {(name_index.KINDS[type(p)], p.id): (name_index.key_of(p), p.birth_year) for p in people}
        # and its text index is there and finds them (FTS5 kept by triggers; the GIN index made after the load)
        assert name_search.text_index(session) == {"sqlite": "fts5", "postgresql": "trgm"}[dialect]
        person = session.get(MissingPerson, marks.person_id)
        assert person is not None
        found = name_search.search(session, names.keys(f"{person.name_ar} {person.name_latin}"), [])
        assert ("missing_person", person.id) in {(row.kind, row.person_id) for row in found}
        # the family side's triggers advanced its version (families, pedigrees, reference samples, profiles)
        version, triggers = session.execute(text(family_side.version_sql(dialect))).one()
        assert version is not None and version > 0 and triggers == family_side.expected_triggers(dialect)
        # the review-status trigger followed the review steps (every 20th candidate proposed)
        proposed = session.exec(select(func.count()).select_from(Match)
                                .where(col(Match.review_status) == "proposed_confirm")).one()
        assert proposed == session.exec(select(func.count()).select_from(MatchReview)).one() == sizes.candidates // 20

    entries_list = pages_at_scale.pages(sizes, marks)
    requested = {path.split("?")[0] for _, path, _ in entries_list}
    for role, paths in pages_at_scale.navigation_paths(app).items():
        assert set(paths) <= requested, (role, set(paths) - requested)

    # the dashboard's figures as its worker job computes them, before the pages are requested
    assert len(pages_at_scale.refresh_dashboard(app, times=2)) == 2
    # the admin opens every page; the technician is refused the coordinator's pages
    results = pages_at_scale.measure(app, entries_list, repeat=0, roles=("admin", "technician"))
    admin = results["admin"]
    assert all("status" not in timing for timing in admin.values()), admin
    assert admin["audit log, far page"]["kb"] > 5
    assert admin["find: remains ID"]["redirect"].endswith(f"/sites/remains/{marks.remains_accession}")
    assert results["technician"]["users"] == {"status": 403, "path": "/admin/users"}
