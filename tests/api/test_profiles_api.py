"""API: profile check/import (all or nothing, JSON problems), profiles and families."""

from __future__ import annotations

from pathlib import Path

from flask.testing import FlaskClient
from sqlmodel import Session

from labtrack.services import accounts, demo

ROOT = Path(__file__).resolve().parents[2]


def test_profile_api(client: FlaskClient, db: Session, users: dict) -> None:
    demo.load_demo(db)
    headers = {"Authorization": "Bearer " + accounts.issue_token(session=db, user=users["analyst"].user,
                                                                  name="t", by="test")}
    cmf = (ROOT / "tests/data/real-exports/osiris/CODIS-Rapid-CMF-R16-AppendixA-example.xml").read_text()
    checked = client.post("/api/v1/profiles/check", json={"filename": "rapid.xml", "content": cmf}, headers=headers)
    assert checked.status_code == 200, checked.get_json()
    assert checked.get_json()["kit"] == "GlobalFiler" and len(checked.get_json()["profiles"]) == 2
    bad = (ROOT / "fixtures" / "malformed" / "long_errors.csv").read_text()
    refused = client.post("/api/v1/profiles/import", json={"filename": "bad.csv", "content": bad}, headers=headers)
    assert refused.status_code == 422
    body = refused.get_json()
    assert body["error"] == "ValidationFailed"
    assert {(p["row"], p["file"]) for p in body["problems"]} >= {(3, "bad.csv"), (6, "bad.csv")}
    good = "sample_id,marker,allele1,allele2\nNJH-00002-S01-JA,TH01,6,9.3\n"
    created = client.post("/api/v1/profiles/import", json={"filename": "g.csv", "content": good}, headers=headers)
    assert created.status_code == 201 and created.get_json()["n_profiles"] == 1
    again = client.post("/api/v1/profiles/import", json={"filename": "g.csv", "content": good}, headers=headers)
    assert again.status_code == 409 and "imported already" in again.get_json()["message"]
    listed = client.get("/api/v1/profiles", headers=headers).get_json()
    newest = listed[0]
    assert newest["owner"] == "NJH-00002-S01-JA" and newest["version"] == 2 and not newest["searchable"]
    detail = client.get(f"/api/v1/profiles/{newest['id']}", headers=headers).get_json()
    assert detail["alleles"] == [{"locus": "TH01", "allele1": "6", "allele2": "9.3", "extra_alleles": ""}]
    family = client.get("/api/v1/families/1", headers=headers).get_json()
    assert {m["person_code"] for m in family["members"]} == {"F", "M", "MP"}
    assert "name_latin" not in str(family)
