"""The pages-at-scale benchmark's builder writes rows the app accepts: at a tiny size, the audit
chain it continued still verifies, and every page it times answers for a role that may open it
(the timings themselves are for ``benchmarks/README.md``, not for a test)."""

from __future__ import annotations

from flask import Flask
from sqlmodel import Session

from benchmarks import pages_at_scale
from labtrack.db import get_engine
from labtrack.services import audit, audit_seal, audit_verification


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

    entries_list = pages_at_scale.pages(sizes, marks)
    requested = {path.split("?")[0] for _, path, _ in entries_list}
    for role, paths in pages_at_scale.navigation_paths(app).items():
        assert set(paths) <= requested, (role, set(paths) - requested)

    # the admin opens every page; the technician is refused the coordinator's pages
    results = pages_at_scale.measure(app, entries_list, repeat=0, roles=("admin", "technician"))
    admin = results["admin"]
    assert all("status" not in timing for timing in admin.values()), admin
    assert admin["audit log, far page"]["kb"] > 5
    assert admin["find: remains ID"]["redirect"].endswith(f"/sites/remains/{marks.remains_accession}")
    assert results["technician"]["users"] == {"status": 403, "path": "/admin/users"}
