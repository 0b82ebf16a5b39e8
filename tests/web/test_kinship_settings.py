"""The lab's default kinship models: set on the settings page or through the API by an
administrator (with a reason, audited, kept as a history), used by every new match run that
does not choose its own; bad values are refused field by field and nothing is stored."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session, select

from labtrack.models import AuditEntry, LabMatchSetting, MatchRun
from labtrack.services import accounts, demo, lab_settings, mutation_rate_tables
from labtrack.services.match_parameters import MatchParameters


def _token(db: Session, user) -> dict[str, str]:  # noqa: ANN001
    return {"Authorization": f"Bearer {accounts.issue_token(session=db, user=user.user, name='t', by='test')}"}


def test_without_a_setting_the_environment_and_built_in_defaults_apply(app: Flask, db: Session) -> None:
    defaults = lab_settings.current(db, app.config)
    assert defaults.setting is None and defaults.source == "environment"
    assert defaults.values["mutation_model"] == "stepwise" and defaults.values["dropout"] == 0.05
    app.config["DROPOUT"] = 0.2
    assert lab_settings.current(db, app.config).values["dropout"] == 0.2


def test_an_administrator_changes_the_defaults_and_new_runs_use_them(
        app: Flask, client: FlaskClient, db: Session, login_as) -> None:  # noqa: ANN001
    demo.load_demo(db)
    admin = login_as("admin")
    page = client.get("/matching/settings").get_data(as_text=True)
    assert "stepwise" in page and "From the environment" in page
    answer = client.post("/matching/settings", data={
        "mutation_model": "proportional", "mutation_rate": "0.003", "mutation_rate_female": "",
        "mutation_rate_male": "0.004", "mutation_rate2": "0", "mutation_range": "0.1", "dropout": "0.12",
        "dropin": "0.01", "near_k": "4", "reason": "validation study 2026-11"})
    assert answer.status_code == 302
    db.rollback()
    setting = db.exec(select(LabMatchSetting)).one()
    assert json.loads(setting.values_json) == {
        "dropin": 0.01, "dropout": 0.12, "mutation_model": "proportional", "mutation_range": 0.1,
        "mutation_rate": 0.003, "mutation_rate2": 0.0, "mutation_rate_female": None, "mutation_rate_male": 0.004,
        "mutation_rate_table": "none", "near_k": 4}
    assert setting.set_by_id == admin.user.id and setting.reason == "validation study 2026-11"
    audit = db.exec(select(AuditEntry).where(AuditEntry.entity_type == "lab_match_setting")).one()
    assert audit.action == "create" and "proportional" in audit.after_json
    shown = client.get("/matching/settings").get_data(as_text=True)
    assert "validation study 2026-11" in shown and admin.username in shown and "proportional" in shown
    client.get("/language/ar")
    arabic = client.get("/matching/settings").get_data(as_text=True)
    assert "نماذج القرابة الافتراضية للمختبر" in arabic and "سبب التغيير" in arabic
    client.get("/language/en")
    # a run that chooses nothing uses the lab's new defaults; one that chooses keeps its choice
    client.post("/matching/", data={"top_k": "3", "report_log10_lr": "3"})
    client.post("/matching/", data={"top_k": "3", "report_log10_lr": "3", "dropout": "0.3"})
    db.rollback()
    runs = [MatchParameters.from_json(r.params_json)
            for r in db.exec(select(MatchRun).order_by(MatchRun.id)).all()]  # type: ignore[arg-type]
    assert [(p.mutation_model, p.mutation_rate_male, p.dropout, p.dropin, p.near_k) for p in runs] == [
        ("proportional", 0.004, 0.12, 0.01, 4), ("proportional", 0.004, 0.3, 0.01, 4)]
    # a second change names the one it replaces; both stay
    client.post("/matching/settings", data={
        "mutation_model": "stepwise", "mutation_rate": "0.002", "mutation_rate2": "0", "mutation_range": "0.1",
        "dropout": "0.05", "dropin": "0", "near_k": "3", "reason": "back to the validated defaults"})
    db.rollback()
    first, second = db.exec(select(LabMatchSetting).order_by(LabMatchSetting.id)).all()  # type: ignore[arg-type]
    assert second.supersedes_id == first.id
    assert lab_settings.current(db, app.config).values["mutation_model"] == "stepwise"


def test_bad_values_are_refused_by_field_and_nothing_is_stored(
        client: FlaskClient, db: Session, login_as) -> None:  # noqa: ANN001
    login_as("admin")
    answer = client.post("/matching/settings", data={
        "mutation_model": "fancy", "mutation_rate": "1.5", "mutation_rate2": "0", "mutation_range": "0.1",
        "dropout": "abc", "dropin": "0", "near_k": "3", "reason": ""})
    assert answer.status_code == 422
    text = answer.get_data(as_text=True)
    assert 'value="abc"' in text  # what was typed is kept
    assert text.count('class="field-error"') >= 3  # rate, drop-out, reason
    unknown = client.post("/matching/settings", data={
        "mutation_model": "fancy", "mutation_rate": "0.002", "mutation_rate2": "0", "mutation_range": "0.1",
        "dropout": "0.05", "dropin": "0", "near_k": "3", "reason": "try"})
    assert unknown.status_code == 422 and "unknown mutation model &#39;fancy&#39;" in unknown.get_data(as_text=True)
    db.rollback()
    assert db.exec(select(LabMatchSetting)).all() == []


def test_analysts_see_the_defaults_but_cannot_change_them(client: FlaskClient, db: Session, login_as) -> None:  # noqa: ANN001
    login_as("analyst")
    page = client.get("/matching/settings")
    assert page.status_code == 200 and "Save new defaults" not in page.get_data(as_text=True)
    refused = client.post("/matching/settings", data={"mutation_model": "none", "reason": "x"})
    assert refused.status_code == 403
    login_as("technician")
    assert client.get("/matching/settings").status_code == 403
    db.rollback()
    assert db.exec(select(LabMatchSetting)).all() == []


def test_the_api_reads_and_changes_the_defaults(app: Flask, client: FlaskClient, db: Session, users) -> None:  # noqa: ANN001
    admin, analyst = _token(db, users["admin"]), _token(db, users["analyst"])
    read = client.get("/api/v1/settings/kinship", headers=analyst).get_json()
    assert read["source"] == "environment" and read["mutation_model"] == "stepwise" and read["setting_id"] is None
    assert client.put("/api/v1/settings/kinship", json={"dropout": 0.1, "reason": "x"},
                      headers=analyst).status_code == 403
    bad = client.put("/api/v1/settings/kinship", json={"dropout": 1.2, "mutation_model": "fancy"}, headers=admin)
    assert bad.status_code == 422
    assert {p["field"] for p in bad.get_json()["problems"]} >= {"dropout", "mutation_model", "reason"}
    changed = client.put("/api/v1/settings/kinship", json={"dropout": 0.1, "reason": "study"}, headers=admin)
    assert changed.status_code == 200
    body = changed.get_json()
    assert body["dropout"] == 0.1 and body["mutation_model"] == "stepwise" and body["source"] == "settings"
    assert body["reason"] == "study" and "drop-out 0.1" in body["described"]
    db.rollback()
    assert lab_settings.run_parameters(db, app.config).dropout == 0.1
    document = client.get("/api/v1/openapi.json").get_json()
    assert {"get", "put"} <= set(document["paths"]["/api/v1/settings/kinship"])


@pytest.mark.parametrize("values", [{"near_k": 99}, {"mutation_rate_female": -0.1}, {"colour": "blue"},
                                    {"mutation_rate_table": "../freqs/nist1036"}])
def test_the_service_refuses_each_bad_value(app: Flask, db: Session, users, values) -> None:  # noqa: ANN001
    from labtrack.core.errors import ValidationFailed

    with pytest.raises(ValidationFailed) as raised:
        lab_settings.change(db, app.config, values=values, by=users["admin"].user, reason="test")
    assert [p.field for p in raised.value.problems] == list(values)
    assert db.exec(select(LabMatchSetting)).all() == []


def test_the_shipped_rate_table_is_chosen_in_the_settings_and_per_run(
        app: Flask, client: FlaskClient, db: Session, login_as, users) -> None:  # noqa: ANN001
    """fixtures/mutation_rates/aabb2003_strbase.csv (AABB 2003 via NIST STRBase): the lab chooses it
    on the settings page; a new run stores its name, and its model gives each marker the table's
    maternal and paternal rate (the other markers keep the mutation rate); a run may choose none."""
    demo.load_demo(db)
    login_as("admin")
    page = client.get("/matching/settings").get_data(as_text=True)
    assert "Per-marker mutation rates" in page and 'value="aabb2003_strbase"' in page
    answer = client.post("/matching/settings", data={
        "mutation_model": "stepwise", "mutation_rate": "0.002", "mutation_rate2": "0.000001",
        "mutation_range": "0.1", "mutation_rate_table": "aabb2003_strbase", "dropout": "0.05", "dropin": "0",
        "near_k": "3", "reason": "published per-marker rates"})
    assert answer.status_code == 302
    db.rollback()
    described = client.get("/matching/settings").get_data(as_text=True)
    assert "rates per marker from the table aabb2003_strbase (other markers 0.002)" in described
    client.get("/language/ar")
    assert "معدلات الطفرة لكل واسم" in client.get("/matching/settings").get_data(as_text=True)
    client.get("/language/en")
    client.post("/matching/", data={"top_k": "3", "report_log10_lr": "3"})
    client.post("/matching/", data={"top_k": "3", "report_log10_lr": "3", "mutation_rate_table": "none"})
    db.rollback()
    lab_run, plain_run = [MatchParameters.from_json(r.params_json)
                          for r in db.exec(select(MatchRun).order_by(MatchRun.id)).all()]  # type: ignore[arg-type]
    assert lab_run.mutation_rate_table == "aabb2003_strbase" and plain_run.mutation_rate_table == "none"
    rows = {}
    for line in _table_path().read_text(encoding="utf-8").splitlines():
        if not line.startswith(("#", "marker,")):
            marker, female, male = line.strip().split(",")
            rows[marker] = (float(female), float(male))
    model = lab_run.mutation()
    assert model is not None
    for marker, (female, male) in rows.items():
        assert (model.rate_for(marker, "female"), model.rate_for(marker, "male")) == (female, male)
    assert model.rate_for("D1S1656", "male") == model.rate_for("D1S1656", "female") == 0.002  # not in the table
    assert plain_run.mutation() is not None and plain_run.mutation().rate_for("FGA", "male") == 0.002  # type: ignore[union-attr]
    # through the API too: the name is checked against the shipped tables
    admin = _token(db, users["admin"])
    bad = client.put("/api/v1/settings/kinship", json={"mutation_rate_table": "nope", "reason": "x"}, headers=admin)
    assert bad.status_code == 422 and [p["field"] for p in bad.get_json()["problems"]] == ["mutation_rate_table"]
    off = client.put("/api/v1/settings/kinship", json={"mutation_rate_table": "none", "reason": "x"}, headers=admin)
    assert off.status_code == 200 and off.get_json()["mutation_rate_table"] == "none"


def _table_path() -> Path:
    return mutation_rate_tables.tables_dir() / "aabb2003_strbase.csv"
