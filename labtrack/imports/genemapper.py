"""GeneMapper ID / ID-X style genotype tables and the design's long CSV (pandas).

Layouts real labs produce, all handled here:

* one row per sample x marker: ``Sample Name, Marker, [Dye], Allele 1..n, [Size n], [Height n]``
  (also R-style ``Sample.Name``/``Allele.1``, ``SampleName``/``Allele1``; the long CSV of the
  design ``sample_id,marker,allele1,allele2`` is this layout);
* one row per sample: ``Sample File, Sample Name, <marker>, Height, <marker>, Height, ...`` with
  comma lists in the cells (``10, 11, , ,``);
* tab or comma (or ``, ``) separated, CRLF, UTF-8 byte-order mark, trailing separators, blank
  lines, ``NA`` and empty cells, quoted fields.

Row numbers are file line numbers (the header is row 1).
"""

from __future__ import annotations

import io
import re
import warnings

import pandas as pd

from labtrack.core.messages import msg
from labtrack.imports.markers import canonical_marker
from labtrack.imports.profiles import ParsedFile, ProfileBuilder, UnreadableFile, clean_token

_ALLELE_COLUMN = re.compile(r"^allele\s*(\d+)$")
_SAMPLE_COLUMNS = ("sample name", "samplename", "sample_id", "sample id", "sampleid", "ud1")
_PEAK_COLUMN = re.compile(r"^(size|height|data point|peak area)\s*\d*$")


def _column_key(name: object) -> str:
    return re.sub(r"\s+", " ", str(name).replace(".", " ").replace("\ufeff", "").strip().lower())


def _decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            return raw.decode("cp1252")
        except UnicodeDecodeError as error:  # pragma: no cover - cp1252 decodes almost anything
            raise UnreadableFile(msg("the file is not text (UTF-8 or Windows-1252)")) from error


MAX_LINE_CHARS = 65_536  # a wide GeneMapper row is a few thousand characters
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def check_text(text: str) -> list[str]:
    """Refuse, before parsing, what no genotype table holds: NUL bytes and control characters,
    and lines longer than ``MAX_LINE_CHARS`` (parsing one would take memory out of proportion).
    Returns the lines."""
    found = _CONTROL.search(text)
    if found:
        row = text.count("\n", 0, found.start()) + 1
        if found.group() == "\x00":
            raise UnreadableFile(msg("row %(row)s holds a NUL byte: not a text table (nothing was imported)", row=row))
        raise UnreadableFile(msg("row %(row)s holds the control character %(char)s: not a text table (nothing was "
                                 "imported)", row=row, char="U+" + format(ord(found.group()), "04X")))
    lines = text.splitlines()
    for number, line in enumerate(lines, start=1):
        if len(line) > MAX_LINE_CHARS:
            raise UnreadableFile(msg("row %(row)s is %(length)s characters long (at most %(limit)s): not a genotype "
                                     "table (nothing was imported)", row=number, length=format(len(line), ","),
                                     limit=format(MAX_LINE_CHARS, ",")))
    return lines


def _extra_fields(text: str, separator: str) -> str | None:
    """The first row holding values beyond the header's columns, described; None when extra
    fields are only empty trailing separators."""
    import csv

    # newline="": lines end at \r, \n or \r\n as for pandas (a bare \r made csv.Error, a 500)
    rows = csv.reader(io.StringIO(text, newline=""), delimiter=separator, skipinitialspace=True)
    width = None
    for number, fields in enumerate(rows, start=1):
        if width is None:
            if any(f.strip() for f in fields):
                width = len(fields)
            continue
        extra = [f.strip() for f in fields[width:] if f.strip()]
        if extra:
            return msg("row %(row)s has %(fields)s fields but the header has %(width)s: the values %(values)s beyond "
                       "the header would be lost (more alleles than columns: a mixture?); nothing was imported",
                       row=number, fields=len(fields), width=width, values=", ".join(repr(v) for v in extra[:5]))
    return None


def read_table(raw: bytes) -> pd.DataFrame:
    """The file as a DataFrame of strings; index = file line number of each row. Refused: rows
    with values beyond the header (whatever row they are on), control characters, over-long
    lines."""
    text = _decode(raw)
    lines = check_text(text)
    header = next((line for line in lines if line.strip()), "")
    if not header:
        raise UnreadableFile(msg("the file is empty"))
    separator = "\t" if "\t" in header else ","
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", pd.errors.ParserWarning)
            frame = pd.read_csv(io.StringIO(text), sep=separator, dtype=str, keep_default_na=False,
                                skip_blank_lines=False, skipinitialspace=True, engine="c",
                                index_col=False)
    except pd.errors.EmptyDataError as error:  # only separators and blank lines (found by fuzzing)
        raise UnreadableFile(msg("the file has no columns (no header row)")) from error
    except (pd.errors.ParserError, csv_error()) as error:
        raise UnreadableFile(_extra_fields(text, separator)
                             or msg("the table cannot be parsed: %(problem)s", problem=str(error))) from error
    if any(issubclass(w.category, pd.errors.ParserWarning) for w in caught):
        problem = _extra_fields(text, separator)
        if problem:  # pandas dropped values of the first data row without an error
            raise UnreadableFile(problem)
    frame = frame.fillna("")
    frame.index = frame.index + 2
    frame = frame.loc[:, [not str(c).startswith("Unnamed:") or frame[c].str.strip().ne("").any()
                          for c in frame.columns]]
    blank = frame.eq("").all(axis=1)  # skipinitialspace already made blank cells empty
    return frame[~blank]


def csv_error() -> type[Exception]:
    import csv

    return csv.Error


def read_genemapper(raw: bytes, *, filename: str, sha256: str,
                    file_format: str = "genemapper") -> ParsedFile:
    """Read a GeneMapper-style table (either layout) into profiles and problems."""
    parsed = ParsedFile(filename=filename, file_format=file_format, sha256=sha256)
    frame = read_table(raw)
    keys = {_column_key(c): c for c in frame.columns}
    sample_column = next((keys[k] for k in _SAMPLE_COLUMNS if k in keys), None)
    if sample_column is None:
        raise UnreadableFile(msg("no sample column (expected 'Sample Name' or 'sample_id')"))
    builder = ProfileBuilder(parsed)
    if "marker" in keys:
        _read_per_marker(frame, sample_column, keys, builder)
    else:
        _read_per_sample(frame, sample_column, builder)
    builder.finish()
    return parsed


def _clean_column(column: pd.Series) -> list[str]:
    """Cleaned tokens of a column (each distinct value cleaned once)."""
    cleaned = {value: clean_token(value) for value in column.unique()}
    return [cleaned[value] for value in column.tolist()]


def _runs(rows: list[int], samples: list[str], run_files: list[str] | None) -> list[str]:
    """Replicate runs: told apart by 'Sample File', or by a new block of rows for a name seen
    before."""
    if run_files is not None:
        return run_files
    runs, block, previous, seen = [], 0, None, set()
    for sample in samples:
        if sample != previous:
            block += 1 if sample in seen else 0
            seen.add(sample)
            previous = sample
        runs.append(f"block {block}" if block else "")
    return runs


def _read_per_marker(frame: pd.DataFrame, sample_column: str, keys: dict[str, str],
                     builder: ProfileBuilder) -> None:
    allele_columns = sorted(((int(m.group(1)), column) for key, column in keys.items()
                             if (m := _ALLELE_COLUMN.match(key))), key=lambda pair: pair[0])
    if not allele_columns:
        raise UnreadableFile(msg("no allele columns (expected 'Allele 1', 'Allele 2', ...)"))
    markers = frame[keys["marker"]].str.strip().tolist()
    canonical = {name: canonical_marker(name) for name in set(markers)}
    samples = frame[sample_column].str.strip().tolist()
    rows = [int(row) for row in frame.index]
    run_files = frame[keys["sample file"]].str.strip().tolist() if "sample file" in keys else None
    tokens = list(zip(*(_clean_column(frame[column]) for _, column in allele_columns), strict=True))
    builder.add_rows(rows, samples, markers, [canonical[m] for m in markers], tokens,
                     _runs(rows, samples, run_files), field_name="Marker")


def _read_per_sample(frame: pd.DataFrame, sample_column: str, builder: ProfileBuilder) -> None:
    marker_columns = [(column, canonical_marker(str(column))) for column in frame.columns
                      if column != sample_column and not _PEAK_COLUMN.match(_column_key(column))
                      and _column_key(column) not in ("sample file", "sample id", "panel", "dye")]
    unknown = [column for column, name in marker_columns if name is None]
    if not [name for _, name in marker_columns if name]:
        raise UnreadableFile(msg("no 'Marker' column and no marker-named columns"))
    for column in unknown:
        builder.parsed.problem(msg("unknown marker column %(column)s", column=repr(str(column))), row=1,
                               field=str(column))
    for row, record in frame.iterrows():
        sample = str(record[sample_column]).strip()
        for column, name in marker_columns:
            if name is None:
                continue
            tokens = [clean_token(token) for token in str(record[column]).split(",")]
            builder.add(sample, str(column), tokens, row=int(str(row)), field_name=str(column),
                        canonical=name)
