"""The web side of server lists: read the request, render a page with ``view`` or stream an export.

A list route calls ``show(spec, template, **context)``. ``?export=csv`` or ``?export=xlsx`` (with
the same filters and sort as the page) streams exactly the filtered rows instead of the page.
Templates draw the controls with the macros of ``templates/_macros/lists.html``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any

from flask import Response, render_template, request, stream_with_context, url_for
from flask_babel import gettext as _
from sqlmodel import Session

from labtrack.db import get_session, standalone_session
from labtrack.services import exports, listing
from labtrack.services.listing import ListPage, ListSpec, Notice
from labtrack.web.access import can_see_identities

EXPORT_FORMATS = ("csv", "xlsx")


@dataclass(frozen=True)
class ListView:
    """A page of a list and the links of its controls (sort headers, pager, exports)."""

    page: ListPage
    endpoint: str
    view_args: dict[str, Any]

    @property
    def rows(self) -> list[Any]:
        return self.page.rows

    @property
    def request(self) -> listing.ListRequest:
        return self.page.request

    def url(self, **changes: object) -> str:
        return url_for(self.endpoint, **self.view_args, **self.request.params(**changes))

    def sort_url(self, key: str) -> str:
        descending = self.request.sort == key and not self.request.descending
        return self.url(sort=("-" if descending else "") + key, page=None)

    def sorted_by(self, key: str) -> str:
        """``ascending``/``descending`` for the sort column (``aria-sort``), else ``none``."""
        if self.request.sort != key:
            return "none"
        return "descending" if self.request.descending else "ascending"

    def page_url(self, number: int) -> str:
        return self.url(page=number if number > 1 else None)

    def export_url(self, fmt: str) -> str:
        return self.url(page=None, per=None, export=fmt)

    def has(self, key: str) -> bool:
        """True when the role sees column ``key`` (blind processing leaves identity columns out)."""
        return any(c.key == key for c in self.page.columns)

    @property
    def notices(self) -> list[str]:
        return [_notice(n, self.page) for n in self.page.notices]


def _notice(notice: Notice, page: ListPage) -> str:
    if notice.kind == "page":
        return _("There is no page “%(value)s”: showing page %(page)d of %(pages)d.",
                 value=notice.value, page=page.page, pages=page.pages)
    if notice.kind == "per":
        return _("“%(value)s” rows per page is not offered: showing %(per)d.", value=notice.value,
                 per=page.request.per)
    if notice.kind == "sort":
        return _("The list cannot be sorted by “%(value)s”: it is in its usual order.", value=notice.value)
    if notice.kind == "filter":
        return _("The filter “%(value)s” is not one of the choices and was left out.", value=notice.value)
    return _("The search text was cut to %(length)d characters.", length=listing.MAX_QUERY_LENGTH)


#: the filter values a list's text search also finds (``ListRequest.also``), from the text ``q``
AlsoFound = Callable[[str], dict[str, tuple[str, ...]]]


def _parse(spec: ListSpec, identities: bool, also: AlsoFound | None) -> listing.ListRequest:
    parsed = listing.parse(spec, request.args, identities=identities)
    return replace(parsed, also=also(parsed.q)) if also is not None and parsed.q else parsed


def build(spec: ListSpec, *, identities: bool | None = None, also: AlsoFound | None = None) -> ListView:
    """The requested page of ``spec`` (for the current role); ``also`` gives the filter values
    that the text search finds too."""
    identities = can_see_identities() if identities is None else identities
    parsed = _parse(spec, identities, also)
    result = listing.page(get_session(), spec, parsed, identities=identities)
    return ListView(result, request.endpoint or "", dict(request.view_args or {}))


def export(spec: ListSpec, *, filename: str, identities: bool | None = None, fmt: str | None = None,
           also: AlsoFound | None = None) -> Response:
    """Stream every filtered row of ``spec`` (the request's filters and sort) as ``_send`` does.
    A list's CSV is for people: it starts with a byte-order mark, which Excel needs to read UTF-8
    (Arabic names) instead of showing mojibake; CSV readers (pandas ``utf-8-sig``, the csv module
    after ``lstrip("\ufeff")``, LibreOffice) take it as it is."""
    identities = can_see_identities() if identities is None else identities
    parsed = _parse(spec, identities, also)
    fmt = fmt or request.args.get("export")
    fmt = fmt if fmt in EXPORT_FORMATS else "csv"
    return _send(lambda session: listing.rows(session, spec, parsed, identities=identities), filename=filename, fmt=fmt,
                 bom=True)


def stream_table(header: list[str], rows: Callable[[Session], Iterable[Sequence[object]]], *, filename: str,
                 fmt: str) -> Response:
    """Stream a whole table (``rows(session)`` read while it is sent), as ``_send`` does: an
    exchange file (profiles, pedigrees) that other tools read back, so without a byte-order mark."""
    return _send(lambda session: (header, rows(session)), filename=filename, fmt=fmt)


def _send(table: Callable[[Session], exports.StreamedTable], *, filename: str, fmt: str,
          bom: bool = False) -> Response:
    """``table(session)`` (header, rows) as an attachment: XLSX written row by row to a temporary
    file, then sent; CSV chunk by chunk while the rows are read (``bom``: a UTF-8 byte-order mark
    first)."""
    disposition = {"Content-Disposition": f"attachment; filename={filename}.{fmt}"}
    if fmt == "xlsx":
        header, rows = table(get_session())
        handle = exports.xlsx_file(header, rows, title=filename)
        return Response(_chunks(handle), mimetype=exports.XLSX_MIMETYPE, headers=disposition)

    def csv_stream() -> Iterator[bytes]:
        # the rows are read while the response is sent, after the request's session has ended:
        # with a session of their own, closed (its transaction ended) when the last row is out
        with standalone_session() as session:
            header, rows = table(session)
            if bom:
                yield exports.UTF8_BOM
            yield from exports.csv_chunks(header, rows)

    return Response(stream_with_context(csv_stream()), mimetype="text/csv", headers=disposition)


def _chunks(handle: Any, size: int = 64 * 1024) -> Any:
    with handle:
        while chunk := handle.read(size):
            yield chunk


def show(spec: ListSpec, template: str, *, filename: str | None = None, identities: bool | None = None,
         status: int = 200, also: AlsoFound | None = None, **context: Any) -> Any:
    """Render ``template`` with ``view`` (the list page) and ``identities`` (whether the role sees
    names), or stream the export when asked for."""
    identities = can_see_identities() if identities is None else identities
    if request.args.get("export"):
        return export(spec, filename=filename or spec.name.replace("_", "-"), identities=identities, also=also)
    return render_template(template, view=build(spec, identities=identities, also=also), identities=identities,
                           **context), status

