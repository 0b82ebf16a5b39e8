"""Real bone in the app: the demo's true son, re-typed from bone with one mutated locus and one
allele that dropped out, is found by a match run under the lab's default models, and the review
page names the two loci and why they hold; without the models the family is a near miss that
names the excluding loci and cannot be confirmed."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session, select

from labtrack.core.errors import Conflict
from labtrack.imports.exchange import read_freqs, read_genotypes, read_pedigrees
from labtrack.kinship.dropout import DropModel
from labtrack.kinship.lr import case_lr, locus_lr
from labtrack.kinship.mutation import MutationModel
from labtrack.models import Family, Match, MatchRun, Profile, ProfileAllele, Sample
from labtrack.services import demo, review
from labtrack.services.match_parameters import MatchParameters
from labtrack.services.search_input import build_search_input
from labtrack.services.transaction import write

SON = "QTF-00001-S01-S0"


def _degrade_the_son(db: Session, tmp_path: Path) -> tuple[str, str]:
    """Re-type the son's femur sample: one locus one repeat away from both parents, one locus
    showing a single allele the pedigree cannot give twice. Returns (mutated, dropped) markers."""
    folder = tmp_path / "input"
    build_search_input(session=db).write(folder)
    table = read_freqs(folder / "freqs.csv")
    genotypes = read_genotypes(folder / "genotypes.csv")
    family = read_pedigrees(folder / "pedigrees.csv")["FAM-0001"]
    relatives = {pid: genotypes[s] for pid, s in family.sample_of().items() if s in genotypes}
    son = genotypes[SON]
    mutated = dropped = None
    for marker, seen in sorted(son.items()):
        if len(seen) != 2 or seen[0] == seen[1] or marker not in table:
            continue
        rel = {pid: g[marker] for pid, g in relatives.items() if marker in g}
        if not rel:
            continue

        def plain_and_model(observed: tuple[str, ...], rel: dict = rel, marker: str = marker,
                            **models: object) -> tuple[float, float]:
            alleles = [a for g in rel.values() for a in g] + list(observed)
            freqs = table.for_case(marker, alleles)
            return (locus_lr(family, rel, observed, freqs).lr,
                    locus_lr(family, rel, observed, freqs, **models).lr)  # type: ignore[arg-type]

        for x, y in (seen, seen[::-1]):
            if mutated is None and x.isdigit():
                changed = (str(int(x) + 1), y)
                plain, model = plain_and_model(changed, mutation=MutationModel("stepwise", 0.002))
                if plain == 0 and model > 0:
                    mutated, son[marker] = marker, changed
                    break
            if dropped is None and marker != mutated:
                plain, model = plain_and_model((y,), drop=DropModel(0.05))
                if plain == 0 and model > 0:
                    dropped, son[marker] = marker, (y,)
                    break
    assert mutated and dropped, "the demo son should offer a locus of each kind"
    profile = db.exec(select(Profile).join(Sample, Sample.id == Profile.sample_id)  # type: ignore[arg-type]
                      .where(Sample.accession == SON, Profile.superseded == False)).one()  # noqa: E712
    with write(db, actor="test-setup", reason="re-typed from bone"):
        for row in db.exec(select(ProfileAllele).where(ProfileAllele.profile_id == profile.id)).all():
            if row.locus in (mutated, dropped):
                seen = son[row.locus]
                row.allele1, row.allele2 = seen[0], seen[1] if len(seen) == 2 else ""
                db.add(row)
    return mutated, dropped


def _son_match(db: Session, run_id: int) -> Match:
    family = db.exec(select(Family).where(Family.code == "FAM-0001")).one()
    for match in db.exec(select(Match).where(Match.run_id == run_id, Match.family_id == family.id)).all():
        profile = db.get(Profile, match.profile_id)
        sample = db.get(Sample, profile.sample_id) if profile else None
        if sample is not None and sample.accession == SON:
            return match
    raise AssertionError(f"no match of {SON} with FAM-0001 in run {run_id}")


def test_the_degraded_son_is_found_and_the_review_page_says_why(
        app: Flask, client: FlaskClient, db: Session, login_as, tmp_path: Path) -> None:  # noqa: ANN001
    demo.load_demo(db)
    mutated, dropped = _degrade_the_son(db, tmp_path)
    analyst = login_as("analyst")
    form = client.get("/matching/").get_data(as_text=True)
    assert re.search(r'<option[^>]*selected[^>]*value="stepwise"|<option[^>]*value="stepwise"[^>]*selected', form)
    started = client.post("/matching/", data={"top_k": "5", "report_log10_lr": "3"})
    assert started.status_code == 302
    run_page = client.get(started.headers["Location"]).get_data(as_text=True)
    assert "mutation: stepwise, rate 0.002 per meiosis" in run_page and "drop-out 0.05, drop-in 0.0" in run_page
    db.rollback()
    run = db.exec(select(MatchRun).order_by(MatchRun.id.desc())).first()  # type: ignore[attr-defined]
    assert run is not None and run.status == "done"
    match = _son_match(db, run.id or 0)
    assert match.rank == 1 and not match.near_miss and match.posterior > 0.9995
    page = client.get(f"/review/matches/{match.id}").get_data(as_text=True)
    flagged = page[page.index('id="flagged-loci"'):]
    flagged = flagged[:flagged.index("</div>")]
    assert f'data-locus="{mutated}" data-reading="mutation"' in flagged
    assert f'data-locus="{dropped}" data-reading="dropout"' in flagged
    assert "consistent only through a mutation" in flagged and "(1.0 repeat steps)" in flagged
    assert "consistent only through allelic drop-out" in flagged
    assert "one allele seen" in page
    client.get("/language/ar")
    arabic = client.get(f"/review/matches/{match.id}").get_data(as_text=True)
    assert "متوافق عبر طفرة فقط" in arabic and "متوافق عبر فقدان أليل فقط" in arabic
    client.get("/language/en")

    # the same run without the models: the family is a near miss that names both loci
    plain = client.post("/matching/", data={"top_k": "5", "report_log10_lr": "3", "mutation_model": "none",
                                            "dropout": "0", "dropin": "0"})
    assert plain.status_code == 302
    assert "no mutation model" in client.get(plain.headers["Location"]).get_data(as_text=True)
    db.rollback()
    run = db.exec(select(MatchRun).order_by(MatchRun.id.desc())).first()  # type: ignore[attr-defined]
    near = _son_match(db, run.id or 0)  # type: ignore[union-attr]
    assert near.near_miss and near.posterior == 0.0
    assert set(near.excluded_loci.split(",")) == {mutated, dropped}
    page = client.get(f"/review/matches/{near.id}").get_data(as_text=True)
    assert 'id="near-miss"' in page and mutated in page and dropped in page
    with pytest.raises(Conflict, match="near miss"):
        review.propose(session=db, match_id=near.id or 0, by=analyst.user, decision="confirm",
                       reason="looks right", password=analyst.password)


def test_bad_model_parameters_are_refused_on_the_form(client: FlaskClient, db: Session, login_as) -> None:  # noqa: ANN001
    demo.load_demo(db)
    login_as("analyst")
    bad = client.post("/matching/", data={"top_k": "5", "report_log10_lr": "3", "dropout": "1.5"})
    assert bad.status_code == 422
    unknown = client.post("/matching/", data={"top_k": "5", "report_log10_lr": "3", "mutation_model": "geometric"})
    assert unknown.status_code == 422 and "geometric" in unknown.get_data(as_text=True)
    db.rollback()
    assert db.exec(select(MatchRun)).all() == []


def test_theta_with_the_lab_mutation_model_finds_the_degraded_son(
        client: FlaskClient, db: Session, login_as, tmp_path: Path) -> None:  # noqa: ANN001
    """theta together with the lab's mutation and drop-out models (the search tables sum over the
    identity-by-descent partitions of the founder alleles): the run ends, the son is still first,
    and his stored LR is the exact case LR under the same theta and models."""
    demo.load_demo(db)
    mutated, dropped = _degrade_the_son(db, tmp_path)
    login_as("analyst")
    started = client.post("/matching/", data={"top_k": "5", "report_log10_lr": "3", "theta": "0.02"})
    assert started.status_code == 302
    db.rollback()
    run = db.exec(select(MatchRun).order_by(MatchRun.id.desc())).first()  # type: ignore[attr-defined]
    assert run is not None and run.status == "done", run.error
    params = MatchParameters.from_json(run.params_json)
    assert params.theta == 0.02 and params.mutation_model == "stepwise"
    match = _son_match(db, run.id or 0)
    assert match.rank == 1 and not match.near_miss
    folder = tmp_path / "after"
    build_search_input(session=db).write(folder)
    exact = case_lr(read_pedigrees(folder / "pedigrees.csv")["FAM-0001"], read_genotypes(folder / "genotypes.csv"),
                    SON, read_freqs(folder / "freqs.csv"), theta=0.02, mutation=params.mutation(), drop=params.drop())
    assert match.log10_lr == pytest.approx(exact.log10_lr, abs=1e-6)
    without_theta = case_lr(read_pedigrees(folder / "pedigrees.csv")["FAM-0001"],
                            read_genotypes(folder / "genotypes.csv"), SON, read_freqs(folder / "freqs.csv"),
                            mutation=params.mutation(), drop=params.drop())
    assert exact.log10_lr < without_theta.log10_lr  # theta made a (conservative) difference
    by_marker = {row.marker: row for row in exact.loci}
    assert by_marker[mutated].lr > 0 and by_marker[dropped].lr > 0  # neither locus excludes the son


def test_a_weak_family_is_flagged_and_cannot_be_proposed(
        app: Flask, client: FlaskClient, db: Session, login_as) -> None:  # noqa: ANN001
    from labtrack.kinship.evidence import EvidenceRule

    demo.load_demo(db)
    analyst = login_as("analyst")
    assert client.post("/matching/", data={"top_k": "5", "report_log10_lr": "3"}).status_code == 302
    db.rollback()
    run = db.exec(select(MatchRun)).one()
    match = _son_match(db, run.id or 0)
    app.config.update(EVIDENCE_RULE=True, EVIDENCE_MIN_LOCI=12)
    page = client.get(f"/review/matches/{match.id}").get_data(as_text=True)
    assert 'id="weak-family"' not in page  # both parents typed, 20+ loci: not weak
    app.config["EVIDENCE_MIN_LOCI"] = 99
    page = client.get(f"/review/matches/{match.id}").get_data(as_text=True)
    assert 'id="weak-family"' in page and "the rule asks for 99" in page
    with pytest.raises(Conflict, match="weak evidence for an identification"):
        review.propose(session=db, match_id=match.id or 0, by=analyst.user, decision="confirm",
                       reason="strong LR", password=analyst.password, rule=EvidenceRule(min_loci=99))
    refused = client.post(f"/review/matches/{match.id}/propose",
                          data={"decision": "confirm", "reason": "strong LR", "password": analyst.password},
                          follow_redirects=True).get_data(as_text=True)
    assert "weak evidence for an identification" in refused


def test_a_badly_degraded_sample_gets_its_own_drop_out(
        app: Flask, client: FlaskClient, db: Session, login_as, tmp_path: Path) -> None:  # noqa: ANN001
    import json

    from labtrack.models import AuditEntry

    demo.load_demo(db)
    _degrade_the_son(db, tmp_path)
    login_as("analyst")
    profile = db.exec(select(Profile).join(Sample, Sample.id == Profile.sample_id)  # type: ignore[arg-type]
                      .where(Sample.accession == SON, Profile.superseded == False)).one()  # noqa: E712
    assert client.post(f"/profiles/{profile.id}/dropout", data={"dropout": "1.5", "reason": "x"}).status_code == 422
    assert client.post(f"/profiles/{profile.id}/dropout", data={"dropout": "0.3"}).status_code == 422
    saved = client.post(f"/profiles/{profile.id}/dropout", data={"dropout": "0.3", "reason": "burnt femur"},
                        follow_redirects=True).get_data(as_text=True)
    assert "later match runs use it" in saved and 'data-dropout>0.3' in saved
    # the page suggests a value from the profile itself: one allele seen at some loci
    estimate = re.search(r'id="dropout-estimate" data-estimate="([^"]+)"', saved)
    assert estimate, "the profile page shows the drop-out estimate"
    rows = db.exec(select(ProfileAllele).where(ProfileAllele.profile_id == profile.id)).all()
    one_seen = sum(1 for r in rows if r.allele1 and not r.allele2)
    assert f"{one_seen} of" in saved and 0.0 <= float(estimate.group(1)) < 0.95
    db.rollback()
    assert db.get(Profile, profile.id).dropout == 0.3  # type: ignore[union-attr]
    assert db.exec(select(AuditEntry).where(AuditEntry.reason == "burnt femur")).first() is not None
    reference = db.exec(select(Profile).where(Profile.origin == "reference")).first()
    assert client.post(f"/profiles/{reference.id}/dropout",  # type: ignore[union-attr]
                       data={"dropout": "0.3", "reason": "x"}).status_code == 409
    assert client.post("/matching/", data={"top_k": "5", "report_log10_lr": "3"}).status_code == 302
    db.rollback()
    run = db.exec(select(MatchRun)).one()
    rows = json.loads(_son_match(db, run.id or 0).per_locus_json)
    assert {row["dropout"] for row in rows} == {0.3}  # stored with each LR


def test_the_dna_match_report_names_the_loci_that_hold_only_through_a_model(
        app: Flask, client: FlaskClient, db: Session, login_as, tmp_path: Path) -> None:  # noqa: ANN001
    from labtrack.services import identification_documents
    from tests.pdf_text import pdf_text

    demo.load_demo(db)
    mutated, dropped = _degrade_the_son(db, tmp_path)
    analyst = login_as("analyst")
    assert client.post("/matching/", data={"top_k": "5", "report_log10_lr": "3"}).status_code == 302
    db.rollback()
    match = _son_match(db, db.exec(select(MatchRun)).one().id or 0)
    _, pdf = identification_documents.issue_match_report(session=db, match_id=match.id or 0, by=analyst.user)
    text = " ".join(pdf_text(pdf).split())
    assert "Loci that hold only through the mutation or drop-out model:" in text
    assert f"{mutated}: only through a mutation (1 repeat step)" in text
    assert f"{dropped}: only through allelic drop-out" in text
    assert re.search(r"\(one( \S+)* seen\)", text) and "mutation_model=stepwise" in text  # cells wrap


def test_the_review_page_says_how_many_unrelated_remains_would_reach_the_lr_by_chance(
        app: Flask, client: FlaskClient, db: Session, login_as) -> None:  # noqa: ANN001
    from labtrack.kinship.evidence import EvidenceRule

    demo.load_demo(db)
    analyst = login_as("analyst")
    assert client.post("/matching/", data={"top_k": "5", "report_log10_lr": "3"}).status_code == 302
    db.rollback()
    match = _son_match(db, db.exec(select(MatchRun)).one().id or 0)
    page = client.get(f"/review/matches/{match.id}").get_data(as_text=True)
    found = re.search(r'id="false-positives" data-probability="([^"]+)" data-expected="([^"]+)"', page)
    assert found, "the statistics name the false positives"
    probability, expected = float(found.group(1)), float(found.group(2))
    remains = len(db.exec(select(Profile).where(Profile.origin == "remains", Profile.superseded == False)).all())  # noqa: E712
    assert 0 < probability <= 1.1 * 10 ** -match.log10_lr  # never above 1/LR (E[LR | unrelated] = 1)
    assert expected == pytest.approx(probability * remains, rel=1e-4)
    app.config.update(EVIDENCE_RULE=True, EVIDENCE_MIN_LOCI=12)
    assert 'id="weak-family"' not in client.get(f"/review/matches/{match.id}").get_data(as_text=True)
    # a lab that tolerates no chance at all: the same family is now weak, and cannot be proposed
    app.config["EVIDENCE_MAX_EXPECTED_FALSE_POSITIVES"] = expected / 10
    page = client.get(f"/review/matches/{match.id}").get_data(as_text=True)
    assert 'id="weak-family"' in page and "would be expected to by chance" in page
    with pytest.raises(Conflict, match="would be expected to by chance"):
        review.propose(session=db, match_id=match.id or 0, by=analyst.user, decision="confirm", reason="strong LR",
                       password=analyst.password, rule=EvidenceRule(max_expected_false_positives=expected / 10))


def test_the_shipped_per_marker_rates_find_the_degraded_son(
        client: FlaskClient, db: Session, login_as, tmp_path: Path) -> None:  # noqa: ANN001
    """A run with the shipped AABB 2003 table (fixtures/mutation_rates/aabb2003_strbase.csv): it
    ends, the son is first, his stored LR is the exact case LR under the table's per-marker
    maternal and paternal rates, and not the one under the flat rate."""
    demo.load_demo(db)
    mutated, _ = _degrade_the_son(db, tmp_path)
    login_as("analyst")
    started = client.post("/matching/", data={"top_k": "5", "report_log10_lr": "3",
                                               "mutation_rate_table": "aabb2003_strbase"})
    assert started.status_code == 302
    assert "rates per marker from the table aabb2003_strbase, the rate above" in client.get(
        started.headers["Location"]).get_data(as_text=True)
    db.rollback()
    run = db.exec(select(MatchRun).order_by(MatchRun.id.desc())).first()  # type: ignore[attr-defined]
    assert run is not None and run.status == "done", run.error
    params = MatchParameters.from_json(run.params_json)
    assert params.mutation_rate_table == "aabb2003_strbase"
    match = _son_match(db, run.id or 0)
    assert match.rank == 1 and not match.near_miss
    folder = tmp_path / "after"
    build_search_input(session=db).write(folder)
    family = read_pedigrees(folder / "pedigrees.csv")["FAM-0001"]
    genotypes, freqs = read_genotypes(folder / "genotypes.csv"), read_freqs(folder / "freqs.csv")
    exact = case_lr(family, genotypes, SON, freqs, mutation=params.mutation(), drop=params.drop())
    assert match.log10_lr == pytest.approx(exact.log10_lr, abs=1e-6)
    flat = case_lr(family, genotypes, SON, freqs, mutation=MatchParameters().mutation(), drop=params.drop())
    assert abs(flat.log10_lr - exact.log10_lr) > 1e-3
    assert {row.marker: row for row in exact.loci}[mutated].lr > 0
