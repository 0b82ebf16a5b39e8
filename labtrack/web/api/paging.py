"""Numbered pages of a server-side list (``services.listing``) for the API: ``page`` and ``per``
in the query, the rows with the total and the page actually shown in the answer."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, Field

from labtrack.db import get_session
from labtrack.services import listing
from labtrack.services.listing import ListSpec

MAX_PER = 500


class PageQuery(BaseModel):
    page: int = Field(default=1, ge=1, le=1_000_000, description="page number (a page past the end shows the last)")
    per: int = Field(default=listing.DEFAULT_PER_PAGE, ge=1, le=MAX_PER, description=f"rows per page (1 to {MAX_PER})")


class PageInfo(BaseModel):
    total: int = Field(description="rows of the filtered list (all pages)")
    page: int = Field(description="the page shown")
    per: int
    pages: int


def list_page(spec: ListSpec, query: PageQuery, filters: Mapping[str, object] | None = None) -> dict[str, Any]:
    """One page of ``spec`` in its default order, filtered to ``filters`` (the ones given), as
    ``{"items": rows, "total", "page", "per", "pages"}``."""
    given = {key: str(value) for key, value in (filters or {}).items() if value is not None}
    request = listing.ListRequest(page=query.page, per=query.per, sort=spec.default_sort,
                                  descending=spec.default_descending, filters=given)
    shown = listing.page(get_session(), spec, request, identities=False)
    return {"items": shown.rows, "total": shown.total, "page": shown.page, "per": query.per, "pages": shown.pages}
