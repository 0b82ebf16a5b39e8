"""API: the OpenAPI document, who am I, counts per area."""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask_login import current_user
from pydantic import BaseModel

from labtrack.db import get_session
from labtrack.services import overview
from labtrack.web.access import ALL_ROLES
from labtrack.web.api import bp
from labtrack.web.api.openapi import build_document, documented_json, operation, respond


class Me(BaseModel):
    id: int
    username: str
    full_name: str
    role: str


class Overview(BaseModel):
    sites: int
    remains: int
    samples: int
    custody_events: int
    profiles: int
    missing_persons: int
    families: int
    matches: int
    identifications: int


@operation(bp, "/openapi.json", summary="This OpenAPI document", tag="system", roles=None)
def openapi_document() -> Any:
    from labtrack.version import __version__

    return documented_json(build_document(current_app.config.get("API_TITLE", "labtrack API"), __version__))


@operation(bp, "/me", summary="The authenticated user", tag="system", roles=ALL_ROLES, response=Me)
def me() -> Any:
    return respond(Me, current_user)


@operation(bp, "/overview", summary="Number of records per area", tag="system", roles=ALL_ROLES,
           response=Overview)
def overview_counts() -> Any:
    return respond(Overview, overview.area_counts(get_session()))
