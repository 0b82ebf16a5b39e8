"""The one CSV and Excel exporter (server lists, profiles, pedigrees, the dashboard's tables):
whole tables in memory, or streamed row by row.

Cells that a spreadsheet would run as a formula (starting with ``=``, ``+``, ``-``, ``@``, or a
tab/carriage return) are prefixed with ``'`` (formula injection, CWE-1236) — on every line of a
cell that holds line breaks, since a reader that splits at a bare carriage return would start a
new cell there. CSV quotes every field holding a line break (``\r`` as well as ``\n``).
"""

from __future__ import annotations

import csv
import io
import re
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from typing import IO

from openpyxl import Workbook
from sqlmodel import Session, select

from labtrack.models import Profile, ProfileAllele, Sample, StaffMember
from labtrack.services import pedigree_exchange

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

Table = tuple[list[str], list[list[object]]]
#: a header and rows that may be read while they are written (a streamed export)
StreamedTable = tuple[Sequence[str], Iterable[Sequence[object]]]


_LINE_BREAK = re.compile(r"(\r\n|\r|\n)(?=[=+\-@\t\r])")


def safe_cell(value: object) -> object:
    """``'=1+1`` for ``=1+1`` (also after each line break inside the cell); numbers and None
    unchanged."""
    if not isinstance(value, str):
        return value
    if "\r" in value or "\n" in value:
        value = _LINE_BREAK.sub(lambda m: m.group(1) + "'", value)
    if value.startswith(_FORMULA_START):
        return "'" + value
    return value


#: The UTF-8 byte-order mark: first in every CSV meant for people (lists, the dashboard's
#: tables), because Excel reads UTF-8 (Arabic) text only with it; never in exchange files.
UTF8_BOM = b"\xef\xbb\xbf"


def to_csv(table: Table, *, bom: bool = False) -> bytes:
    """The table as UTF-8 CSV in memory (written as ``csv_chunks``); ``bom``: with a byte-order
    mark first (`UTF8_BOM`)."""
    return (UTF8_BOM if bom else b"") + b"".join(csv_chunks(*table))


XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_CHUNK_ROWS = 500


def csv_chunks(header: Sequence[str], rows: Iterable[Sequence[object]]) -> Iterator[bytes]:
    """A CSV file in pieces of ``CSV_CHUNK_ROWS`` rows, for a streamed response."""
    out = io.StringIO()
    # "\r\n" as terminator makes the writer quote fields holding either character
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for count, row in enumerate(rows, start=1):
        writer.writerow([safe_cell(v) for v in row])
        if count % CSV_CHUNK_ROWS == 0:
            yield out.getvalue().encode("utf-8")
            out.seek(0)
            out.truncate()
    yield out.getvalue().encode("utf-8")


def xlsx_file(header: Sequence[str], rows: Iterable[Sequence[object]], *, title: str) -> IO[bytes]:
    """An Excel file written row by row (openpyxl write-only mode) to a temporary file, rewound."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title[:31])
    sheet.append(list(header))
    for row in rows:
        sheet.append([safe_cell(v) for v in row])
    handle = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115 - the response closes it
    book.save(handle)
    handle.seek(0)
    return handle  # type: ignore[return-value]


def to_xlsx(table: Table, *, title: str) -> bytes:
    """The table as an Excel file in memory (written as ``xlsx_file``)."""
    with xlsx_file(*table, title=title) as handle:
        return handle.read()


PROFILE_HEADER = ["sample_id", "marker", "allele1", "allele2", "extra_alleles", "origin", "version",
                  "kit", "mixture", "searchable"]


def profile_rows(session: Session) -> Iterator[list[object]]:
    """One row per current profile and locus (long format plus QC columns), read as they are
    sent (a streamed export holds no more than a chunk of them in memory)."""
    result = session.exec(
        select(Sample.accession, StaffMember.code, Profile.origin, Profile.version, Profile.kit,
               Profile.is_mixture, Profile.searchable, ProfileAllele.locus, ProfileAllele.allele1,
               ProfileAllele.allele2, ProfileAllele.extra_alleles)
        .join(ProfileAllele, ProfileAllele.profile_id == Profile.id)  # type: ignore[arg-type]
        .join(Sample, Sample.id == Profile.sample_id, isouter=True)  # type: ignore[arg-type]
        .join(StaffMember, StaffMember.id == Profile.staff_member_id, isouter=True)  # type: ignore[arg-type]
        .where(Profile.superseded == False)  # noqa: E712
        .order_by(Profile.id, ProfileAllele.locus)
        .execution_options(yield_per=CSV_CHUNK_ROWS * 10)
    )
    for acc, staff, origin, version, kit, mix, search, locus, a1, a2, extra in result:
        yield [acc or staff, locus, a1, a2, extra, origin, version, kit, int(mix), int(search)]


def profiles_table(session: Session) -> Table:
    """The profile export as a table in memory (small exports, the CLI)."""
    return list(PROFILE_HEADER), list(profile_rows(session))


def pedigree_rows(session: Session) -> Iterator[list[object]]:
    """The pedigree export's rows (for a streamed export; header: ``imports.pedigrees.COLUMNS``)."""
    from labtrack.imports.pedigrees import SEX_CODE

    for r in pedigree_exchange.pedigree_rows(session):
        yield [r.family_id, r.person_id, r.father_id, r.mother_id, SEX_CODE[r.sex], r.sample_id, int(r.missing)]


def export(table: Table, *, fmt: str, title: str) -> tuple[bytes, str]:
    """(content, mimetype) for ``fmt`` ``csv`` or ``xlsx``."""
    if fmt == "xlsx":
        return to_xlsx(table, title=title), XLSX_MIMETYPE
    return to_csv(table), "text/csv"
