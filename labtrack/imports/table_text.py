"""CSV text checked before it is parsed (pure): bounded, plain text, no value beyond the header.

The exchange files (``freqs.csv``, ``genotypes.csv``, ``pedigrees.csv``, ``cases.csv``) and the
frequency and pedigree imports are read through these checks, like the profile readers
(``genemapper.check_text``): a file larger than ``MAX_FILE_BYTES``, a line longer than
``MAX_LINE_CHARS`` or a field longer than ``MAX_FIELD_CHARS`` is refused before a parser builds
anything from it (memory stays proportional to the file); NUL bytes, control characters and
Unicode line separators are refused; a quoted field may not span lines (no genotype, frequency or
pedigree value holds a line break, and row numbers stay the file's line numbers); a row holding
values beyond the header's columns is refused whatever row it is on (parsers would drop them or
shift every column). Every refusal names the row (the file's 1-based line number) and, where
there is one, the field. The checks are linear in the file size.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

from labtrack.core.messages import msg

MAX_FILE_BYTES = 512 * 1024 * 1024
MAX_LINE_CHARS = 65_536
MAX_FIELD_CHARS = 1_024
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\x85\u2028\u2029]")


@dataclass(frozen=True)
class TableRefused(ValueError):
    """The text is not a table these readers accept; ``row``/``field`` say where."""

    message: str
    row: int | None = None
    field: str | None = None

    def __str__(self) -> str:
        return self.message


def check_size(n_bytes: int) -> None:
    if n_bytes > MAX_FILE_BYTES:
        raise TableRefused(msg("the file is %(size)s bytes; at most %(limit)s are read at once (split it); nothing "
                               "was read", size=format(n_bytes, ","), limit=format(MAX_FILE_BYTES, ",")))


def decode(raw: bytes) -> str:
    """UTF-8 text (with or without a byte-order mark); the row of the first byte that is not."""
    check_size(len(raw))
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        row = raw.count(b"\n", 0, error.start) + 1
        raise TableRefused(msg("the file is not UTF-8 text (byte %(byte)s at position %(position)s)",
                               byte="0x" + format(raw[error.start], "02x"), position=format(error.start, ",")),
                           row=row) from error


def plain_lines(text: str) -> list[str]:
    """The lines of ``text`` after refusing control characters and over-long lines."""
    found = _CONTROL.search(text)
    if found:
        row = text.count("\n", 0, found.start()) + 1
        char = found.group()
        if char == "\x00":
            raise TableRefused(msg("holds a NUL byte: not a text table; nothing was read"), row=row)
        raise TableRefused(msg("holds the control character %(char)s: not a text table; nothing was read",
                               char="U+" + format(ord(char), "04X")), row=row)
    lines = text.splitlines()
    if lines and max(map(len, lines)) > MAX_LINE_CHARS:
        number = next(n for n, line in enumerate(lines, start=1) if len(line) > MAX_LINE_CHARS)
        raise TableRefused(msg("the line is %(length)s characters long (at most %(limit)s); nothing was read",
                               length=format(len(lines[number - 1]), ","), limit=format(MAX_LINE_CHARS, ",")),
                           row=number)
    return lines


def split_row(line: str, row: int) -> list[str]:
    """One line's fields (CSV quoting); a quote left open at the end of the line is refused."""
    if '"' not in line:
        return line.split(",")
    if line.count('"') % 2:
        raise TableRefused(msg("a quoted field is not closed on its line (values may not hold line breaks)"), row=row)
    try:
        return next(csv.reader([line], strict=True))
    except csv.Error as error:
        raise TableRefused(msg("not a valid CSV line: %(problem)s", problem=str(error)), row=row) from error


def first_fields(line: str, width: int, row: int) -> str:
    """The line cut to its first ``width`` fields (what is beyond them was checked empty)."""
    fields = split_row(line, row)[:width]
    if '"' not in line:
        return ",".join(fields)
    out = io.StringIO()
    csv.writer(out, lineterminator="").writerow(fields)
    return out.getvalue()


def header_of(line: str, row: int) -> list[str]:
    """The header's column names (stripped); a name given twice is refused."""
    names = [name.strip() for name in split_row(line, row)]
    seen: set[str] = set()
    for name in names:
        if name and name in seen:
            raise TableRefused(msg("column %(column)s appears twice in the header", column=repr(name)), row=row,
                               field=name)
        seen.add(name)
    return names


def check_rows(numbered: list[tuple[int, str]], header: list[str]) -> list[int]:
    """Refuse rows with values beyond the header and fields over ``MAX_FIELD_CHARS``.

    ``numbered``: (line number, line) of the data rows. Returns the line numbers of rows that only
    have empty separators beyond the header (harmless, as spreadsheets write them)."""
    width = len(header)
    trailing: list[int] = []
    quoted = any('"' in line for _, line in numbered)
    if not quoted:  # the fast path of machine-written files: separators counted in C
        too_wide = max((line.count(",") for _, line in numbered), default=0) >= width
        too_long = max((len(line) for _, line in numbered), default=0) > MAX_FIELD_CHARS
        if not (too_wide or too_long):
            return trailing
    for number, line in numbered:
        if not quoted and line.count(",") < width and len(line) <= MAX_FIELD_CHARS:
            continue
        fields = split_row(line, number)
        for name, value in zip(header, fields, strict=False):
            if len(value) > MAX_FIELD_CHARS:
                raise TableRefused(msg("the value is %(length)s characters long (at most %(limit)s); nothing was read",
                                       length=format(len(value), ","), limit=format(MAX_FIELD_CHARS, ",")),
                                   row=number, field=name)
        extra = [value.strip() for value in fields[width:]]
        if any(extra):
            shown = ", ".join(repr(value) for value in extra if value)
            raise TableRefused(msg("the row has %(fields)s fields but the header has %(width)s: the values %(values)s "
                                   "beyond the header would be lost; nothing was read", fields=len(fields), width=width,
                                   values=shown[:200]), row=number)
        if extra:
            trailing.append(number)
    return trailing


def read_rows(raw: bytes, *, comments: bool = True) -> tuple[int, list[str], list[tuple[int, list[str]]]]:
    """A small CSV file (bytes) checked and split: (header line number, header, [(line number,
    fields)]), fields stripped, blank lines skipped, and lines starting with ``#`` too when
    ``comments``. Rows may be shorter than the header, or longer by empty fields only. Raises
    ``TableRefused`` (also for a file with no header)."""
    text = decode(raw)
    numbered = [(n, line) for n, line in enumerate(plain_lines(text), start=1)
                if line.strip() and not (comments and line.lstrip().startswith("#"))]
    if not numbered:
        raise TableRefused(msg("the file has no header row"))
    header_row, header_line = numbered[0]
    header = header_of(header_line, header_row)
    check_rows(numbered[1:], header)
    return header_row, header, [(number, [value.strip() for value in split_row(line, number)])
                                for number, line in numbered[1:]]


def read_file_rows(path: Path) -> tuple[int, list[str], list[tuple[int, list[str]]], list[str]]:
    """``read_rows`` of a file (its size checked before it is read), and its ``#`` comment lines
    (without the ``#``). Raises ``TableRefused``, also when the file cannot be read."""
    try:
        check_size(path.stat().st_size)
        raw = path.read_bytes()
    except OSError as error:
        raise TableRefused(msg("cannot read the file: %(problem)s", problem=str(error.strerror or error))) from error
    header_row, header, rows = read_rows(raw)
    comments = [line.lstrip()[1:].strip() for line in decode(raw).splitlines() if line.lstrip().startswith("#")]
    return header_row, header, rows, comments
