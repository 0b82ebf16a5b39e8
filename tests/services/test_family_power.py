"""Identification power of a family's references as a worker job over the demo data: the
stored numbers are those of the kinship engine on the same references (exported through the
exchange files), kept append-only, and shown in words on the family page."""

from __future__ import annotations

import json
import math
import tempfile
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.exc import DatabaseError
from sqlmodel import Session, select

from labtrack.imports.exchange import read_freqs, read_genotypes, read_pedigrees
from labtrack.kinship.power import power
from labtrack.models import Family, FamilyPower, Job, User
from labtrack.services import demo, family_power
from labtrack.services.search_input import build_search_input
from labtrack.services.worker import run_inline


@pytest.fixture
def demo_db(db: Session) -> Session:
    demo.load_demo(db)
    return db


def _user(db: Session, role: str) -> User:
    user = db.exec(select(User).where(User.role == role)).first()
    assert user is not None
    return user


def _family(db: Session) -> Family:
    family = db.exec(select(Family).where(Family.code == "FAM-0001")).first()
    assert family is not None
    return family


def test_power_job_stores_what_the_engine_computes(app: Flask, demo_db: Session) -> None:
    family = _family(demo_db)
    job = family_power.request(demo_db, family_id=family.id or 0, by=_user(demo_db, "coordinator"))
    again = family_power.request(demo_db, family_id=family.id or 0, by=_user(demo_db, "coordinator"))
    assert again.id == job.id  # repeated requests coalesce while one waits
    run_inline(app)
    demo_db.expire_all()
    assert demo_db.get(Job, job.id).status == "done"
    record = demo_db.exec(select(FamilyPower).where(FamilyPower.family_id == family.id)).one()
    # the same references through the exchange files and the engine directly
    with tempfile.TemporaryDirectory() as tmp:
        paths = build_search_input(session=demo_db).write(Path(tmp))
        pedigree = read_pedigrees(paths["pedigrees.csv"])[family.code]
        expected = power(pedigree, read_genotypes(paths["genotypes.csv"]),
                         read_freqs(paths["freqs.csv"], min_freq=1e-3),
                         nsim=family_power.NSIM, seed=family_power.SEED)  # fmt: skip
    assert record.ep_total == pytest.approx(expected.ep_total, abs=1e-12)
    assert record.ip_1e4 == pytest.approx(expected.ip(1e4), abs=1e-12)
    assert record.n_markers == len(expected.markers) > 0
    result = json.loads(record.result_json)
    assert result["ep"] == pytest.approx(list(expected.ep), abs=1e-12)
    assert result["what_if"] and {"relative", "ep", "ip"} <= set(result["what_if"][0])
    assert sorted(record.references.split(",")) == sorted(pedigree.sample_of().values())
    view = family_power.latest(demo_db, family.id or 0)
    assert view is not None and view.best_relative == result["what_if"][0]["relative"]
    # append-only: a computation is never changed
    record.ep_total = 0.5
    demo_db.add(record)
    with pytest.raises(DatabaseError):
        demo_db.commit()
    demo_db.rollback()


def test_family_page_shows_power_in_words(app: Flask, client: FlaskClient, demo_db: Session,
                                          login_as) -> None:  # noqa: ANN001
    family = _family(demo_db)
    login_as("coordinator")
    page = client.get(f"/families/{family.id}").get_data(as_text=True)
    assert "Identification power" in page and "not computed yet" in page
    response = client.post(f"/families/{family.id}/power")
    assert response.status_code == 302  # JOBS_INLINE: the job ran in the request
    html = client.get(f"/families/{family.id}").get_data(as_text=True)
    demo_db.rollback()  # end the test session's read snapshot
    job = demo_db.exec(select(Job).where(Job.kind == family_power.JOB_KIND)).one()
    assert (job.status, job.error) == ("done", "")
    view = family_power.latest(demo_db, family.id or 0)
    assert view is not None
    assert (f"These references can identify the missing person with probability {view.ip:.2f}"
            in html)
    from labtrack.web.families import relative_words

    with app.test_request_context():
        assert relative_words(view.best_relative) in html  # the ranked relatives, in words
    if view.best_ip > view.ip + 0.005:
        assert f"would raise it to {view.best_ip:.2f}" in html
    # the same page in Arabic
    arabic = client.get(f"/families/{family.id}", headers={"Accept-Language": "ar"})
    assert "قوة التعرف" in arabic.get_data(as_text=True)


def test_coordinators_work_list_shows_families_that_cannot_identify(
        client: FlaskClient, demo_db: Session, login_as) -> None:  # noqa: ANN001
    family = _family(demo_db)
    other = demo_db.exec(select(Family).where(Family.code == "FAM-0002")).one()
    from labtrack.services.transaction import write

    with write(demo_db, actor="family-power", reason="test results"):
        demo_db.add(FamilyPower(family_id=family.id or 0, ip_1e4=0.12, ep_total=0.3))
        demo_db.add(FamilyPower(family_id=other.id or 0, ip_1e4=0.2))
        demo_db.flush()
        demo_db.add(FamilyPower(family_id=other.id or 0, ip_1e4=0.97))  # newest
    assert [f.code for f, _ in family_power.weak_families(demo_db)] == ["FAM-0001"]
    login_as("coordinator")
    html = client.get("/notifications/").get_data(as_text=True)
    section = html[html.index('id="weak-references"'):]
    assert "FAM-0001" in section and "0.12" in section and "FAM-0002" not in section


def test_a_changed_family_gets_its_power_recomputed(app: Flask, demo_db: Session) -> None:
    """Once computed, a family's power is queued again when its pedigree or references change
    (the continuous-matching hook); families never computed are left alone."""
    from labtrack.models import PedigreeMember
    from labtrack.services.transaction import write

    family = _family(demo_db)
    other = demo_db.exec(select(Family).where(Family.code == "FAM-0002")).one()
    family_power.request(demo_db, family_id=family.id or 0, by=_user(demo_db, "coordinator"))
    run_inline(app)
    demo_db.rollback()
    app.config["CONTINUOUS_MATCHING"] = True  # the hook is off in tests unless turned on
    with write(demo_db, actor=_user(demo_db, "coordinator"), reason="tree grows"):
        demo_db.add(PedigreeMember(family_id=family.id or 0, person_code="NEW1", sex="F"))
        demo_db.add(PedigreeMember(family_id=other.id or 0, person_code="NEW2", sex="M"))
    queued = demo_db.exec(select(Job).where(Job.kind == family_power.JOB_KIND,
                                            Job.status == "queued")).all()  # fmt: skip
    assert [j.subject_id for j in queued] == [family.id]


def test_family_downloads_as_a_familias_file(client: FlaskClient, demo_db: Session,
                                             login_as) -> None:  # noqa: ANN001
    """The .fam file of a family reads back (our reader follows pedFamilias::readFam) with its
    tree, the references' genotypes and the frequency table; its likelihood is the engine's."""
    from labtrack.kinship.familias import hypothesis_logliks, parse_fam
    from labtrack.kinship.likelihood import pedigree_likelihood

    family = _family(demo_db)
    login_as("analyst")
    response = client.get(f"/families/{family.id}/familias.fam")
    assert response.status_code == 200
    assert f'filename="{family.code}.fam"' in response.headers["Content-Disposition"]
    fam = parse_fam(response.get_data(as_text=True), "download.fam")
    pedigree, genotypes, table, _ = family_power.family_input(demo_db, family)
    assert [p.name for p in fam.pedigrees] == [family.code]
    assert {p.person_id for p in fam.persons} == set(pedigree.person_ids)
    samples = pedigree.sample_of()
    for person in fam.persons:
        want = genotypes.get(samples.get(person.person_id, ""), {})
        assert dict(person.genotypes) == {m: g for m, g in want.items() if m in table}
    logliks = hypothesis_logliks(fam, fam.pedigrees[0], {p.person_id: p.genotypes for p in fam.persons})
    marker = next(m for m, v in logliks.items() if v != 0)
    locus = fam.locus(marker)
    index = {a: k for k, a in enumerate(locus.alleles)}
    typed = {p.person_id: (index[p.genotypes[marker][0]], index[p.genotypes[marker][1]])
             for p in fam.persons if marker in p.genotypes}  # fmt: skip
    direct = pedigree_likelihood(pedigree, typed, locus.freqs / locus.freqs.sum())
    assert logliks[marker] == pytest.approx(math.log(direct), abs=1e-12)


def test_power_through_the_api(client: FlaskClient, demo_db: Session, login_as) -> None:  # noqa: ANN001
    family = _family(demo_db)
    login_as("technician")
    before = client.get(f"/api/v1/families/{family.id}/power").get_json()
    assert before["computed_at"] is None and before["what_if"] == []
    assert client.post(f"/api/v1/families/{family.id}/power").status_code == 403
    login_as("coordinator")
    response = client.post(f"/api/v1/families/{family.id}/power")
    assert response.status_code == 202  # JOBS_INLINE: computed in the request
    body = client.get(f"/api/v1/families/{family.id}/power").get_json()
    demo_db.rollback()
    view = family_power.latest(demo_db, family.id or 0)
    assert view is not None
    assert body["ep_total"] == view.ep and body["ip"]["10000"] == view.ip
    assert body["what_if"][0]["relative"] == view.best_relative
    assert client.get("/api/v1/families/999999/power").status_code == 404
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert {"get", "post"} <= set(paths["/api/v1/families/{family_id}/power"])


def test_a_change_touching_more_families_than_one_statement_holds_queues_the_computed_ones(
        app: Flask, demo_db: Session) -> None:
    """A bulk import of references touches every family: the families are looked up in chunks
    (PostgreSQL refuses a statement with more than 65,535 parameters: 100,000 families failed the
    import there); the one with a computation is queued, whichever chunk it falls in."""
    from labtrack.services.transaction import write

    family = _family(demo_db)
    family_power.request(demo_db, family_id=family.id or 0, by=_user(demo_db, "coordinator"))
    run_inline(app)
    demo_db.rollback()
    touched = set(range(1_000_000, 1_070_000)) | {family.id or 0}  # ids past every family, and the one
    with write(demo_db, actor=_user(demo_db, "coordinator"), reason="bulk import of references"):
        family_power.queue_refresh(demo_db, touched, _user(demo_db, "coordinator"))
    queued = demo_db.exec(select(Job).where(Job.kind == family_power.JOB_KIND,
                                            Job.status == "queued")).all()  # fmt: skip
    assert [j.subject_id for j in queued] == [family.id]
