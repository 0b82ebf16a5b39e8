"""A bounded schemathesis run against /api/v1/openapi.json with an admin's token: for every
operation of the document, generated requests (valid and invalid) never get a server error, and
answers keep to what the document says (status codes, content types, response schemas).
Deterministic (``derandomize``) and bounded (a few examples per operation) so CI stays fast."""

from __future__ import annotations

import pytest
from flask import Flask
from hypothesis import HealthCheck, given, settings
from sqlmodel import Session

from labtrack.services import accounts

schemathesis = pytest.importorskip("schemathesis", reason="schemathesis is in the test extras (pip install -e .[test])")

CHECKS = [schemathesis.checks.not_a_server_error, schemathesis.checks.status_code_conformance,
          schemathesis.checks.content_type_conformance, schemathesis.checks.response_schema_conformance]
EXAMPLES = settings(max_examples=15, deadline=None, derandomize=True, database=None,
                    suppress_health_check=list(HealthCheck))


def test_every_api_operation_answers_generated_requests_as_documented(app: Flask, db: Session, users: dict) -> None:
    token = accounts.issue_token(session=db, user=users["admin"].user, name="schemathesis", by="test")
    headers = {"Authorization": f"Bearer {token}"}
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    failures: list[str] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 20  # the whole document, not an empty schema

    for operation in operations:
        @EXAMPLES
        @given(case=operation.as_strategy())
        def run(case: object) -> None:
            case.call_and_validate(headers=headers, checks=CHECKS)  # type: ignore[attr-defined]

        try:
            run()
        except (Exception, BaseExceptionGroup) as error:  # noqa: BLE001 - collected, every operation is tried
            failures.append(f"{operation.method.upper()} {operation.path}: {str(error)[:1500]}")
    assert failures == [], "\n\n".join(failures)


def _admin_headers(db: Session, users: dict) -> dict[str, str]:
    token = accounts.issue_token(session=db, user=users["admin"].user, name="t", by="test")
    return {"Authorization": f"Bearer {token}"}


def test_a_post_to_an_id_out_of_range_is_404_not_405(client: object, db: Session, users: dict) -> None:
    # found by schemathesis: werkzeug answered 405 "allowed: GET" (the GET rule's path, the id refused)
    headers = _admin_headers(db, users)
    answer = client.post("/api/v1/families/582095309863/power", headers=headers)  # type: ignore[attr-defined]
    assert answer.status_code == 404 and answer.get_json()["error"] == "not_found"
    assert client.delete("/api/v1/me", headers=headers).status_code == 405  # type: ignore[attr-defined]


def test_kinship_defaults_given_nulls_keep_the_values_in_force_not_a_500(client: object, db: Session,
                                                                          users: dict) -> None:
    # found by schemathesis: explicit nulls were stored (dropin None), then describing them failed: a
    # 500 that said "nothing was saved" after the change was saved
    headers = _admin_headers(db, users)
    before = client.get("/api/v1/settings/kinship", headers=headers).get_json()  # type: ignore[attr-defined]
    answer = client.put("/api/v1/settings/kinship", headers=headers,  # type: ignore[attr-defined]
                        json={"reason": "per-sex rates", "mutation_rate": None, "dropin": None,
                              "mutation_rate_female": 0.001, "mutation_rate_male": 0.003})
    assert answer.status_code == 200, answer.get_data(as_text=True)
    body = answer.get_json()
    assert (body["mutation_rate_female"], body["mutation_rate_male"]) == (0.001, 0.003)
    assert (body["mutation_rate"], body["dropin"]) == (before["mutation_rate"], before["dropin"])
    assert client.get("/api/v1/settings/kinship", headers=headers).status_code == 200  # type: ignore[attr-defined]


@pytest.mark.parametrize(("body", "field"), [({"frequency_table_id": -12410581462}, "frequency_table_id"),
                                             ({"frequency_table_id": 2**31}, "frequency_table_id"),
                                             ({"top_k": 2**64}, "top_k")])
def test_numbers_no_column_holds_are_422_naming_the_field(client: object, db: Session, users: dict,
                                                          body: dict, field: str) -> None:
    # found by schemathesis on PostgreSQL: "integer out of range" from the database, a 500
    answer = client.post("/api/v1/match-runs", json=body, headers=_admin_headers(db, users))  # type: ignore[attr-defined]
    assert answer.status_code == 422
    assert [p["field"] for p in answer.get_json()["problems"]] == [field]
