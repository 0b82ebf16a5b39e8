"""The Familias import page: coordinators upload a .fam file and name the missing person; a bad
file or choice is a 422 naming the problem, and nothing is stored."""

from __future__ import annotations

import io
from pathlib import Path

from flask.testing import FlaskClient
from sqlmodel import Session, col, select

from labtrack.models import Donor, Family

PATERNITY = (Path(__file__).resolve().parents[1] / "data" / "familias-public" / "fam"
             / "pedFamilias__inst__extdata__paternity.fam")


def _post(client: FlaskClient, raw: bytes, **fields: str):  # noqa: ANN202
    data = {"file": (io.BytesIO(raw), "paternity.fam"), "family_code": "FAM-FAM", "missing": "MO",
            "case_number": "MP-2031-0001", "pedigree": ""} | fields
    return client.post("/familias/import", data=data, content_type="multipart/form-data")


def test_import_page(client: FlaskClient, db: Session, login_as) -> None:  # noqa: ANN001
    login_as("technician")
    assert client.get("/familias/import").status_code == 403
    login_as("analyst")
    assert _post(client, PATERNITY.read_bytes()).status_code == 403
    login_as("coordinator")
    assert "Import a Familias file" in client.get("/families/").get_data(as_text=True)
    assert client.get("/familias/import").status_code == 200
    bad = _post(client, PATERNITY.read_bytes(), missing="AF")
    assert bad.status_code == 422 and "person AF is typed in the file" in bad.get_data(as_text=True)
    truncated = _post(client, PATERNITY.read_bytes()[:300])
    assert truncated.status_code == 422 and "paternity.fam" in truncated.get_data(as_text=True)
    missing_file = client.post("/familias/import", data={"family_code": "X", "missing": "MO", "case_number": "C"},
                               content_type="multipart/form-data")
    assert missing_file.status_code == 422
    db.rollback()
    assert db.exec(select(Family)).first() is None
    response = _post(client, PATERNITY.read_bytes())
    assert response.status_code == 302
    db.rollback()
    family = db.exec(select(Family).where(Family.code == "FAM-FAM")).one()
    assert response.headers["Location"].endswith(f"/families/{family.id}")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "imported from the Familias file" in page and "FAM-FAM-AF" in page
    arabic = client.get("/familias/import", headers={"Accept-Language": "ar"}).get_data(as_text=True)
    assert "استيراد ملف Familias" in arabic


def test_import_through_the_api(client: FlaskClient, db: Session, login_as) -> None:  # noqa: ANN001
    import base64

    body = {"filename": "paternity.fam", "content_base64": base64.b64encode(PATERNITY.read_bytes()).decode(),
            "family_code": "FAM-API", "missing": "MO", "case_number": "MP-2031-0009"}
    login_as("analyst")
    assert client.post("/api/v1/familias/import", json=body).status_code == 403
    login_as("coordinator")
    bad = client.post("/api/v1/familias/import", json=body | {"content_base64": "not base64!"})
    assert bad.status_code == 422 and bad.get_json()["problems"][0]["field"] == "content_base64"
    typed = client.post("/api/v1/familias/import", json=body | {"missing": "CH"})
    assert typed.status_code == 422
    assert any("person CH is typed in the file" in p["message"] for p in typed.get_json()["problems"])
    response = client.post("/api/v1/familias/import", json=body)
    assert response.status_code == 201, response.get_json()
    out = response.get_json()
    db.rollback()
    family = db.exec(select(Family).where(Family.code == "FAM-API")).one()
    assert out["family_id"] == family.id and [d["person"] for d in out["donors"]] == ["AF", "CH"]
    assert out["profiles"] == 2 and out["case_number"] == "MP-2031-0009"
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert "post" in paths["/api/v1/familias/import"]


KETP = PATERNITY.parent / "dvir__data-raw__KETPex498.fam"


def test_a_dvi_file_through_the_page_shows_the_report(client: FlaskClient, db: Session, login_as) -> None:  # noqa: ANN001
    login_as("coordinator")
    data = {"file": (io.BytesIO(KETP.read_bytes()), "KETPex498.fam"), "family_code": "KW", "missing": "",
            "case_number": "MP-2035", "pedigree": ""}
    response = client.post("/familias/import", data=data, content_type="multipart/form-data")
    page = response.get_data(as_text=True)
    assert response.status_code == 200, page
    db.rollback()
    codes = sorted(f.code for f in db.exec(select(Family).where(col(Family.code).startswith("KW-"))))
    assert codes == ["KW-M1", "KW-M2", "KW-M3"]
    for code in codes:
        assert code in page
    assert "MP-2035-M2 (Missing male 1)" in page and "KW-R1" in page
    assert "3 unidentified persons of the file were left out (V1, V2, V3)" in page and "custody" in page
    assert "reference family Exercise_4_9_8_am_data, pedigree am, Missing male 1 (M2)" in page
    assert "EF1 of reference family Exercise_4_9_8_am_data: not in the connected part of pedigree am" in page
    assert db.exec(select(Donor).where(Donor.code == "KW-R1")).one() is not None
    broken = client.post("/familias/import", data=data | {"file": (io.BytesIO(KETP.read_bytes()[:-400]), "cut.fam"),
                                                          "family_code": "KX"}, content_type="multipart/form-data")
    assert broken.status_code == 422 and "Parent without Child" in broken.get_data(as_text=True)
    db.rollback()
    assert db.exec(select(Family).where(col(Family.code).startswith("KX"))).first() is None
    arabic = client.post("/familias/import", headers={"Accept-Language": "ar"}, content_type="multipart/form-data",
                         data=data | {"file": (io.BytesIO(KETP.read_bytes()), "KETPex498.fam"),
                                      "family_code": "KA", "case_number": "MP-2036"})
    assert arabic.status_code == 200 and "V1, V2, V3" in arabic.get_data(as_text=True)
    assert "unidentified persons" not in arabic.get_data(as_text=True)
    assert "العائلة المرجعية Exercise_4_9_8_am_data" in arabic.get_data(as_text=True)


def test_a_dvi_file_through_the_api(client: FlaskClient, db: Session, login_as) -> None:  # noqa: ANN001
    import base64

    login_as("coordinator")
    body = {"filename": "KETPex498.fam", "content_base64": base64.b64encode(KETP.read_bytes()).decode(),
            "family_code": "KAPI", "case_number": "MP-2037"}
    response = client.post("/api/v1/familias/import", json=body)
    assert response.status_code == 201, response.get_json()
    out = response.get_json()
    assert out["dvi"] is True and [f["family_code"] for f in out["families"]] == ["KAPI-M1", "KAPI-M2", "KAPI-M3"]
    assert [f["missing"] for f in out["families"]] == ["Missing female 2", "Missing male 1", "Missing person"]
    assert all([d["donor_code"] for d in f["donors"]] == ["KAPI-R1"] for f in out["families"])
    assert out["victims_left_out"] == ["V1", "V2", "V3"] and "custody" in out["victims_left_out_reason"]
    assert out["profiles"] == 1
    assert [x.split(": ")[1] for x in out["left_out"]] == [
        "EF1 is not in the reference pedigree's connected part",
        "Missing female 1 is not in the reference pedigree's connected part"]
    db.rollback()
    ids = {f.code: f.id for f in db.exec(select(Family).where(col(Family.code).startswith("KAPI-")))}
    assert ids == {f["family_code"]: f["family_id"] for f in out["families"]}
    again = client.post("/api/v1/familias/import", json=body)
    assert again.status_code == 422
    assert any("family KAPI-M1 exists already" in p["message"] for p in again.get_json()["problems"])
    schema = client.get("/api/v1/openapi.json").get_json()["components"]["schemas"]
    assert "victims_left_out" in schema["FamImportOut"]["properties"]
