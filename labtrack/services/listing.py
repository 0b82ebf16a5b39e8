"""Lists on the server: one component that filters, sorts and pages a SQL query from request
parameters, counts the total, and gives the same rows, unpaged, to an export.

A list is a ``ListSpec``: the columns (each a SQL expression under a key) and a function that adds
the joins and fixed conditions. ``parse`` reads the parameters (``page``, ``per``, ``sort``
(``key`` or ``-key``), ``q`` (text filter) and one parameter per filterable column) without ever
failing: a bad value falls back to the default and leaves a ``Notice`` saying so. ``page`` runs
two statements: ``count(*)`` of the filtered query and the page (``ORDER BY`` the sort key and a
unique tie-breaker, ``LIMIT``/``OFFSET`` on indexed columns). ``rows`` yields every filtered row in
the same order, in batches, for the exports. A list may give a lean statement of its keys
(``ListSpec.seek``): the total is then counted and the page's keys found on it, and the whole
query runs for those keys only (a far page no longer joins every row it skips).

Blind processing: columns marked ``identity`` (names, contacts, circumstances) are left out of the
statement for roles that may not see identities, so they can be neither shown, sorted, filtered,
searched nor exported.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import Boolean, false, func, literal, or_, select, tuple_
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql import Select
from sqlalchemy.sql.functions import FunctionElement
from sqlmodel import Session

from labtrack.core.scanning import read_scan

PER_PAGE_CHOICES: tuple[int, ...] = (25, 50, 100, 200)
DEFAULT_PER_PAGE = 50
MAX_QUERY_LENGTH = 200
EXPORT_BATCH = 1000


@dataclass(frozen=True)
class Column:
    """A column of a list: ``expr`` is selected as ``key``.

    ``search``: matched (case-insensitive substring) by the text filter ``q``; ``choices``: may be
    filtered to one of these values (``?<key>=<value>``); ``exact``: may be filtered to any one
    value; ``identity``: a name or contact (left out for blind roles); ``export``: written to exports.
    ``where``: the condition of a filter value when it is not ``expr = value`` (a filter-only
    column has no ``expr``: it is filtered by, never selected, sorted or exported).
    """

    key: str
    expr: Any
    sortable: bool = True
    search: bool = False
    choices: tuple[str, ...] = ()
    exact: bool = False
    identity: bool = False
    export: bool = True
    where: Callable[[str], Any] | None = None

    @property
    def filterable(self) -> bool:
        return bool(self.choices) or self.exact

    @property
    def selected(self) -> bool:
        return self.expr is not None


@dataclass(frozen=True)
class ListSpec:
    """A list: its columns, the joins/conditions (``build(select) -> select``), default order and
    ``tiebreak`` (a unique column, so that pages never overlap or skip rows)."""

    name: str
    columns: tuple[Column, ...]
    build: Callable[[Select[Any]], Select[Any]]
    tiebreak: Any
    default_sort: str
    default_descending: bool = False
    #: optional fast path for long lists: ``seek(request)`` gives a lean statement (one table,
    #: through an index) of exactly the rows the request lists, selecting the sort value as
    #: ``sort_key`` and the tie-breaker as ``tiebreak`` — or None when it cannot (a text filter, a
    #: filter or sort on a joined column). The total is counted on it and the page's keys are
    #: sorted and skipped (``OFFSET``) on it, over the index only; the joins and lookups of the
    #: whole query then run for the page's keys only.
    seek: Callable[[ListRequest], Select[Any] | None] | None = None
    #: optional lookups before the statements are built: ``prepare(session, request)`` gives the
    #: request with values in ``resolved`` (e.g. a filter's code read as its row's id, so that the
    #: database plans the filter with that value's own statistics, not an average)
    prepare: Callable[[Session, ListRequest], ListRequest] | None = None

    def visible(self, identities: bool) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if identities or not c.identity)


@dataclass(frozen=True)
class Notice:
    """A parameter that was not used as given: ``kind`` (page, per, sort, filter, q) and the value."""

    kind: str
    value: str


@dataclass(frozen=True)
class ListRequest:
    page: int = 1
    per: int = DEFAULT_PER_PAGE
    sort: str = ""
    descending: bool = False
    q: str = ""
    filters: Mapping[str, str] = field(default_factory=dict)
    notices: tuple[Notice, ...] = ()
    #: values of filter columns (``where``) that the text ``q`` also finds, chosen by the caller
    #: (e.g. the kinds of QC remark whose wording in the reader's language holds ``q``)
    also: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    #: what the list's ``prepare`` looked up for this request (read by its ``seek``)
    resolved: Mapping[str, Any] = field(default_factory=dict)

    def params(self, **changes: object) -> dict[str, object]:
        """The query parameters of this request (with ``changes``), defaults left out."""
        values: dict[str, object] = {"q": self.q, **self.filters,
                                     "sort": ("-" if self.descending else "") + self.sort,
                                     "per": self.per if self.per != DEFAULT_PER_PAGE else None,
                                     "page": self.page if self.page != 1 else None}
        values.update(changes)
        return {k: v for k, v in values.items() if v not in (None, "")}


@dataclass(frozen=True)
class ListPage:
    rows: list[Any]
    total: int
    request: ListRequest
    columns: tuple[Column, ...]
    notices: tuple[Notice, ...]

    @property
    def page(self) -> int:
        return self.request.page

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.request.per))

    @property
    def first(self) -> int:
        """1-based position of the first row shown (0 when none)."""
        return (self.page - 1) * self.request.per + 1 if self.rows else 0

    @property
    def last(self) -> int:
        return self.first + len(self.rows) - 1 if self.rows else 0


def _positive_int(text: str | None) -> int | None:
    text = (text or "").strip()
    if not text.isascii() or not text.isdigit() or len(text) > 9:
        return None
    return int(text) if int(text) >= 1 else None


def printable_text(value: str | None) -> str:
    """Text as it may be kept or searched: control characters (NUL, which PostgreSQL refuses, among them) dropped."""
    return "".join(c for c in (value or "") if c.isprintable() or c == " ").strip()


def parse(spec: ListSpec, args: Mapping[str, str], *, identities: bool) -> ListRequest:
    """Read the list parameters; bad ones fall back to the defaults, each with a ``Notice``."""
    columns = {c.key: c for c in spec.visible(identities)}
    notices: list[Notice] = []
    page = 1
    if args.get("page"):
        page = _positive_int(args.get("page")) or 1
        if str(page) != args.get("page", "").strip():
            notices.append(Notice("page", args["page"][:40]))
    per = DEFAULT_PER_PAGE
    if args.get("per"):
        wanted = _positive_int(args.get("per"))
        if wanted in PER_PAGE_CHOICES:
            per = wanted
        else:
            notices.append(Notice("per", args["per"][:40]))
    sort, descending = spec.default_sort, spec.default_descending
    raw_sort = (args.get("sort") or "").strip()
    if raw_sort:
        key = raw_sort.removeprefix("-")
        if key in columns and columns[key].sortable:
            sort, descending = key, raw_sort.startswith("-")
        else:
            notices.append(Notice("sort", raw_sort[:40]))
    q = " ".join(printable_text(args.get("q")).split())
    if len(q) > MAX_QUERY_LENGTH:
        notices.append(Notice("q", q[:40]))
        q = q[:MAX_QUERY_LENGTH]
    filters: dict[str, str] = {}
    for column in columns.values():
        value = printable_text(args.get(column.key))
        if not value or not column.filterable:
            continue
        if column.choices and value not in column.choices:
            notices.append(Notice("filter", f"{column.key}={value[:40]}"))
            continue
        filters[column.key] = value[:MAX_QUERY_LENGTH]
    return ListRequest(page, per, sort, descending, q, filters, tuple(notices))


class contains_text(FunctionElement[bool]):  # noqa: N801 - a SQL function
    """``haystack`` contains ``needle`` as it is (no wildcards): ``instr`` on SQLite, ``strpos`` on
    PostgreSQL — a plain substring search, several times faster than ``LIKE`` on Arabic text."""

    type = Boolean()
    inherit_cache = True
    name = "contains_text"


@compiles(contains_text)
def _contains_sqlite(element: contains_text, compiler: Any, **kw: Any) -> str:
    haystack, needle = list(element.clauses)
    return f"(instr({compiler.process(haystack, **kw)}, {compiler.process(needle, **kw)}) > 0)"


@compiles(contains_text, "postgresql")
def _contains_postgresql(element: contains_text, compiler: Any, **kw: Any) -> str:
    haystack, needle = list(element.clauses)
    return f"(strpos({compiler.process(haystack, **kw)}, {compiler.process(needle, **kw)}) > 0)"


def _like_text(q: str) -> str:
    """The text to look for: an ID typed with another keyboard layout is read back first."""
    reading = read_scan(q)
    return (reading.accession if reading.ok and reading.accession else q).lower()


def _equals(expr: Any, value: str) -> Any:
    """``expr = value`` with the value read as the column's type: PostgreSQL compares no integer
    with text (SQLite converts silently), and a value that is not a whole number matches nothing."""
    try:
        python_type = expr.type.python_type
    except (AttributeError, NotImplementedError):
        python_type = str
    if python_type is int and not isinstance(expr.type, Boolean):
        text = value.strip()
        digits = text.removeprefix("-")
        if not (digits.isascii() and digits.isdigit()) or len(digits) > 18:
            return false()
        return expr == int(text)
    return expr == value


def _filtered(spec: ListSpec, request: ListRequest, identities: bool) -> tuple[Select[Any], tuple[Column, ...]]:
    columns = spec.visible(identities)
    statement = spec.build(select(*(c.expr.label(c.key) for c in columns if c.selected)))
    by_key = {c.key: c for c in columns}
    for key, value in request.filters.items():
        column = by_key[key]
        statement = statement.where(column.where(value) if column.where is not None else _equals(column.expr, value))
    if request.q:
        text = _like_text(request.q)
        searched = [contains_text(func.lower(c.expr), text) for c in columns if c.search and c.selected]
        searched += [c.where(value) for c in columns if c.where is not None for value in request.also.get(c.key, ())]
        if searched:
            statement = statement.where(or_(*searched))
    return statement, columns


def _ordered(spec: ListSpec, statement: Select[Any], request: ListRequest, columns: Sequence[Column]) -> Select[Any]:
    expr = _sort_expr(spec, request, columns)
    if request.descending:
        return statement.order_by(expr.desc(), spec.tiebreak.desc())
    return statement.order_by(expr.asc(), spec.tiebreak.asc())


def _sort_expr(spec: ListSpec, request: ListRequest, columns: Sequence[Column]) -> Any:
    return next(c.expr for c in columns if c.key == request.sort) if request.sort else spec.tiebreak


def _prepared(session: Session, spec: ListSpec, request: ListRequest) -> ListRequest:
    return spec.prepare(session, request) if spec.prepare is not None else request


def page(session: Session, spec: ListSpec, request: ListRequest, *, identities: bool) -> ListPage:
    """The requested page of the filtered, sorted list and the total (a page past the end shows
    the last page, with a notice)."""
    request = _prepared(session, spec, request)
    statement, columns = _filtered(spec, request, identities)
    lean = spec.seek(request) if spec.seek is not None else None
    counted = lean if lean is not None else statement.order_by(None)
    total = int(session.execute(select(func.count()).select_from(counted.subquery())).scalar_one())
    notices = list(request.notices)
    last_page = max(1, -(-total // request.per))
    if request.page > last_page:
        notices.append(Notice("page", str(request.page)))
        request = replace(request, page=last_page)
    ordered = _ordered(spec, statement, request, columns)
    skip = (request.page - 1) * request.per
    if lean is not None:  # the page's keys from the lean statement, then the rows of those keys only
        keys = lean.subquery()
        order = (keys.c.sort_key.desc(), keys.c.tiebreak.desc()) if request.descending else \
            (keys.c.sort_key.asc(), keys.c.tiebreak.asc())
        shown = list(session.execute(select(keys.c.tiebreak).order_by(*order).limit(request.per).offset(skip))
                     .scalars())
        rows = list(session.execute(ordered.where(spec.tiebreak.in_(shown)))) if shown else []
    else:
        rows = list(session.execute(ordered.limit(request.per).offset(skip)))
    return ListPage(rows, total, request, columns, tuple(notices))


def after(session: Session, spec: ListSpec, request: ListRequest, *, key: tuple[Any, Any] | None, limit: int,
          identities: bool) -> tuple[list[Any], int]:
    """Keyset paging (the API's cursors): the first ``limit`` rows after the row whose (sort value,
    tie-breaker) is ``key`` (from the start when None), in list order, and the total. Through an
    index on (sort column, tie-breaker) the database starts at the key instead of skipping rows."""
    request = _prepared(session, spec, request)
    statement, columns = _filtered(spec, request, identities)
    lean = spec.seek(request) if spec.seek is not None else None
    counted = lean if lean is not None else statement.order_by(None)
    total = int(session.execute(select(func.count()).select_from(counted.subquery())).scalar_one())
    if key is not None:
        listed = tuple_(_sort_expr(spec, request, columns), spec.tiebreak)
        start = tuple_(literal(key[0]), literal(key[1]))
        statement = statement.where(listed < start if request.descending else listed > start)
    return list(session.execute(_ordered(spec, statement, request, columns).limit(limit))), total


def rows(session: Session, spec: ListSpec, request: ListRequest, *, identities: bool
         ) -> tuple[list[str], Iterator[list[object]]]:
    """(header, every filtered row in list order) for an export; rows are read in batches."""
    statement, columns = _filtered(spec, request, identities)
    exported = [c for c in columns if c.export]
    ordered = _ordered(spec, statement, request, columns).execution_options(yield_per=EXPORT_BATCH)

    def generate() -> Iterator[list[object]]:
        for row in session.execute(ordered):
            yield [_plain(getattr(row, c.key)) for c in exported]

    return [c.key for c in exported], generate()


def _plain(value: object) -> object:
    if hasattr(value, "isoformat"):
        return value.isoformat()  # type: ignore[union-attr]
    return value
