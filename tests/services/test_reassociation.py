"""Re-association of remains by the worker, stored per run, shown per site and grave with the MNI.

Real profiles: the remains of the public kinship set (tests/data/kinship-public, 13 loci each)
with the NIST 1036 frequencies. One person's body is in three pieces: the whole profile, a piece
typed at the first 9 loci and one at the last 9 (the two pieces share only 5 loci: they are joined
through the first). Two of the pieces lie in grave T1, one in grave T2 of the same site."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session, col, func, select

from labtrack.db import get_engine
from labtrack.models import (
    AuditEntry,
    Job,
    ReassociationGrave,
    ReassociationGroup,
    ReassociationPair,
    ReassociationRun,
    Remains,
    Site,
)
from labtrack.services import audit_deep, audit_seal, direct_matches, frequencies, reassociation
from labtrack.services.transaction import write
from labtrack.services.worker import Worker, WorkerSettings
from tests.review_factories import add_typed_sample

ROOT = Path(__file__).resolve().parents[2]
SETUP = "test-setup"


def _public_profiles() -> dict[str, dict[str, tuple[str, str]]]:
    out: dict[str, dict[str, tuple[str, str]]] = {}
    with (ROOT / "tests" / "data" / "kinship-public" / "genotypes.csv").open() as handle:
        for row in csv.DictReader(handle):
            if row["sample_id"].startswith("PUB-RM"):
                out.setdefault(row["sample_id"], {})[row["marker"]] = (row["allele1"], row["allele2"])
    return out


PROFILES = _public_profiles()


def _site(db: Session, code: str) -> Site:
    with write(db, actor=SETUP, reason="test"):
        site = Site(code=code, name_en=f"{code} mass grave")
        db.add(site)
    return site


def _remains(db: Session, site: Site, grave: str, genotypes: dict[str, tuple[str, str]] | None) -> Remains:
    """Remains in ``grave`` with one sample and, when given, its current profile."""
    with write(db, actor=SETUP, reason="test"):
        db.refresh(site)
        number = site.next_remains_number
        site.next_remains_number += 1
        remains = Remains(accession=f"{site.code}-{number:05d}", site_id=site.id or 0, number=number,
                          remains_type="isolated_part", trench=grave)
        db.add_all([site, remains])
        db.flush()
        if genotypes is not None:
            add_typed_sample(db, remains.id or 0, genotypes, accession=f"{remains.accession}-S01", number=1,
                             sample_type="femur", kit="Identifiler")
    return remains


@pytest.fixture
def worker_app(app: Flask) -> Flask:
    app.config["JOBS_INLINE"] = False  # as in production: only a worker re-associates
    return app


@pytest.fixture
def graves(db: Session) -> dict[str, Remains]:
    frequencies.import_table(session=db, raw=(ROOT / "fixtures" / "freqs" / "nist1036.csv").read_bytes(),
                             filename="nist1036.csv", name="NIST 1036", make_default=True, by=SETUP)
    person = PROFILES["PUB-RM001"]
    loci = list(person)
    qtf, hms = _site(db, "QTF"), _site(db, "HMS")
    return {
        "whole": _remains(db, qtf, "T1", person),
        "upper": _remains(db, qtf, "T1", {locus: person[locus] for locus in loci[:9]}),
        "other": _remains(db, qtf, "T1", PROFILES["PUB-RM002"]),
        "untyped": _remains(db, qtf, "T1", None),
        "lower": _remains(db, qtf, "T2", {locus: person[locus] for locus in loci[-9:]}),
        "third": _remains(db, qtf, "T2", PROFILES["PUB-RM003"]),
        "far": _remains(db, hms, "", PROFILES["PUB-RM004"]),
    }


def _work(app: Flask, db: Session) -> ReassociationRun:
    db.rollback()
    assert Worker(app, WorkerSettings(poll_seconds=0.01)).run(once=True) == 1
    db.rollback()
    run = reassociation.latest(db)
    assert run is not None
    return run


def _mni(db: Session, run: ReassociationRun) -> dict[tuple[str, str], tuple[int, int, int]]:
    rows = db.exec(select(ReassociationGrave).where(ReassociationGrave.run_id == run.id))
    return {(g.site_code, "*" if g.whole_site else g.grave): (g.remains, g.groups, g.mni) for g in rows}


def _request(client: FlaskClient) -> None:
    response = client.post("/profiles/reassociation/run")
    assert response.status_code == 302 and response.location.endswith("/profiles/reassociation/")


def test_body_parts_of_one_person_are_grouped_with_the_mni_per_grave(
        worker_app: Flask, client: FlaskClient, db: Session, graves: dict[str, Remains], login_as) -> None:  # noqa: ANN001
    login_as("analyst")
    _request(client)
    db.rollback()
    assert db.exec(select(Job.status).where(Job.kind == reassociation.JOB_KIND)).one() == "queued"
    assert db.exec(select(func.count()).select_from(ReassociationRun)).one() == 0  # nothing in the request
    assert "A re-association is queued" in client.get("/profiles/reassociation/").get_data(as_text=True)

    run = _work(worker_app, db)
    assert run.groups == 1 and run.profiles == 6
    parts = db.exec(select(ReassociationGroup).where(ReassociationGroup.run_id == run.id)
                    .order_by(col(ReassociationGroup.grave))).all()
    assert [(p.grave, p.remains, p.group_size, p.graves) for p in parts] == [
        ("T1", f"{graves['whole'].accession},{graves['upper'].accession}", 3, 2),
        ("T2", graves["lower"].accession, 3, 2)]
    assert parts[0].min_log10_lr > 6  # the identity LR of 9 shared loci of real allele frequencies
    pairs = db.exec(select(ReassociationPair).where(ReassociationPair.run_id == run.id)).all()
    assert {(p.first_remains_id, p.second_remains_id) for p in pairs} == {
        tuple(sorted((graves["whole"].id, graves[part].id))) for part in ("upper", "lower")}
    assert all(p.group_number == 1 and p.overlap == 9 and not p.mismatched for p in pairs)
    # grave T1: the person (2 pieces), another person, an untyped piece -> 3; T2: the person, another -> 2;
    # the site: 6 remains, 3 of them one person -> 4; the other site: 1
    assert _mni(db, run) == {("QTF", "*"): (6, 1, 4), ("QTF", "T1"): (4, 1, 3), ("QTF", "T2"): (2, 1, 2),
                             ("HMS", "*"): (1, 0, 1), ("HMS", ""): (1, 0, 1)}

    page = client.get("/profiles/reassociation/").get_data(as_text=True)
    assert ('data-site="QTF" data-grave="T1"><td>QTF</td><td><bdi>T1</bdi></td><td>4</td><td>3</td><td>2</td>'
            '<td><a href="/profiles/reassociation/runs/1/groups?site_code=QTF&amp;grave=T1">1</a></td>'
            '<td class="mni">3</td>') in page
    assert '<td class="mni">3</td>' in page and '<td class="mni">4</td>' in page
    groups = client.get(f"/profiles/reassociation/runs/{run.id}/groups?grave=T2").get_data(as_text=True)
    assert graves["lower"].accession in groups and graves["upper"].accession not in groups
    quality = client.get("/profiles/quality").get_data(as_text=True)
    assert graves["upper"].accession + "-S01" in quality and graves["lower"].accession + "-S01" in quality


def test_a_rerun_adds_a_run_and_keeps_the_earlier_ones(worker_app: Flask, client: FlaskClient, db: Session,
                                                       graves: dict[str, Remains], login_as) -> None:  # noqa: ANN001
    login_as("analyst")
    _request(client)
    first = _work(worker_app, db)
    before = _mni(db, first)
    # another piece of PUB-RM003 turns up in grave T1: that person is now in both graves
    site = db.get(Site, graves["third"].site_id)
    assert site is not None
    _remains(db, site, "T1", dict(list(PROFILES["PUB-RM003"].items())[:10]))
    _request(client)
    second = _work(worker_app, db)
    assert second.id != first.id and second.groups == 2
    after = _mni(db, second)
    assert after[("QTF", "T1")] == (5, 2, 4)  # PUB-RM003 is now in T1 as well: one more individual there
    assert after[("QTF", "*")] == (7, 2, 4)  # but not in the site: the new piece is somebody already counted
    assert _mni(db, first) == before  # the first run is kept as it was
    assert [r.id for r in reassociation.runs(db)] == [second.id, first.id]
    page = client.get(f"/profiles/reassociation/runs/{first.id}").get_data(as_text=True)
    assert f"Run {first.id} of" in page and f'href="/profiles/reassociation/runs/{second.id}"' in page
    with pytest.raises(Exception, match="append-only"), get_engine(worker_app).begin() as connection:
        connection.exec_driver_sql("UPDATE reassociation_grave SET mni = 0")
    # the bulk-stored rows are covered by the audit log
    seal = audit_seal.seal_of(get_engine(worker_app))
    found = audit_deep.deep_verify(db, seal=seal)
    assert found.rows and not [d for d in found.discrepancies if d.table.startswith("reassociation")]


def test_the_pages_only_read_the_stored_run(app: Flask, client: FlaskClient, db: Session,
                                            graves: dict[str, Remains], login_as,  # noqa: ANN001
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    login_as("analyst")
    assert "No re-association run yet." in client.get("/profiles/quality").get_data(as_text=True)
    _request(client)  # JOBS_INLINE in tests: the job runs in this process, as the worker would
    db.rollback()
    run = reassociation.latest(db)
    assert run is not None

    def refuse(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("a page computed the direct matches")

    monkeypatch.setattr(direct_matches, "pairs", refuse)
    for url in ("/profiles/quality", "/profiles/reassociation/", f"/profiles/reassociation/runs/{run.id}",
                f"/profiles/reassociation/runs/{run.id}/groups", "/profiles/quality?per=25&page=9",
                "/profiles/reassociation/?export=csv"):
        assert client.get(url).status_code == 200, url
    assert client.get("/profiles/reassociation/runs/999").status_code == 404
    login_as("technician")
    assert client.get("/profiles/reassociation/").status_code == 403


def test_the_run_says_how_far_it_is(worker_app: Flask, db: Session, graves: dict[str, Remains]) -> None:
    """Between the matching and the store the worker's job says what it does (a run at 150,000
    remains takes minutes: benchmarks/README.md)."""
    stages: list[tuple[float, str]] = []
    result = reassociation.compute(db, stage=lambda value, message: stages.append((value, str(message))))
    assert len(result.pairs) == 2 and stages == [(0.7, "grouping the remains of 2 pairs")]
    with worker_app.app_context():
        job = reassociation.request(db, by="test")
        db.commit()
    run = _work(worker_app, db)
    db.rollback()
    done = db.get(Job, job.id)
    assert run.job_id == job.id and done is not None and (done.status, done.progress) == ("done", 1.0)
    stages_audited = [entry.after_json for entry in db.exec(select(AuditEntry).where(
        AuditEntry.entity_type == "job", AuditEntry.entity_id == str(job.id)))]
    for stage in ("grouping the remains of 2 pairs", "storing the result"):
        assert any(stage in after for after in stages_audited), (stage, stages_audited)
