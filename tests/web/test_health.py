"""/healthz is a ping: one ``SELECT 1``, whatever the size of the tables."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event

from labtrack.db import get_engine


def test_health_is_one_ping(app: Flask, client: FlaskClient) -> None:
    client.get("/healthz")  # the schema check of the first request
    statements: list[str] = []
    with app.app_context():
        engine = get_engine()

        def record(_conn, _cursor, statement, *_args) -> None:  # noqa: ANN001
            statements.append(statement)

        event.listen(engine, "before_cursor_execute", record)
        try:
            answer = client.get("/healthz")
        finally:
            event.remove(engine, "before_cursor_execute", record)
    assert answer.status_code == 200 and answer.get_json() == {"status": "ok"}
    queries = [s.strip().upper() for s in statements if s.strip().upper() not in ("BEGIN", "COMMIT", "ROLLBACK")]
    assert queries == ["SELECT 1"]
