"""Read PHE's API v2 MSOA CSV into the tidy table, refusing anything malformed.

Every field's rule is declared once, in ``FIELDS``: its kind (text, date, whole number,
decimal), whether it may be blank or negative, and which values mean *suppressed*. The checks
built from those rules run in Arrow over whole columns, in a fixed order; the first that fails
names the file, the line and the field, so a file is refused for the same reason whatever else
is wrong with it. The tidy table keeps *suppressed* (0-2 cases; blank in the API, -99 in the
count and rate columns of its older CSVs) as a missing figure on a row that exists, distinct
from zero and from an area with no row at all.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import difflib
import functools
import re
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from bot.errors import PatchbotError
from bot.sources import RawData
from bot.sources.files import GZIP_MAGIC, GunzipStream


class Kind(StrEnum):
    TEXT = "text"
    DATE = "date"
    WHOLE = "whole number"
    DECIMAL = "number"


PATTERNS = {Kind.DATE: r"\d{4}-\d{2}-\d{2}", Kind.WHOLE: r"-?\d+", Kind.DECIMAL: r"-?\d+(\.\d+)?"}
ARROW_TYPES = {Kind.TEXT: pa.string(), Kind.WHOLE: pa.int64(), Kind.DECIMAL: pa.float64()}
# A whole number of at most 12 digits: more people than live on Earth, and times 100,000 (a rate
# per 100,000 people) still within 64 bits.
MAX_DIGITS = 12
SUPPRESSED_MARKS = ("", "-99")  # blank from 28 Oct 2020; -99 in earlier CSVs
# A change is never a marker of its own: blank when either week is suppressed, and -99 a real
# fall of 99 cases (City Centre & Trent Bridge, Nottingham, week to 2020-10-21: 169 -> 70).
CHANGE_SUPPRESSED = ("",)


@dataclass(frozen=True)
class Field:
    column: str  # as PHE named it
    name: str  # in the tidy table
    kind: Kind = Kind.TEXT
    required: bool = False  # a blank is an error
    negative: bool = False  # may be below zero
    suppressed: tuple[str, ...] = ()  # values that mean "withheld", read as missing


FIELDS = (
    Field("regionCode", "region_code"),
    Field("regionName", "region_name"),
    Field("UtlaCode", "utla_code"),
    Field("UtlaName", "utla_name"),
    Field("LtlaCode", "ltla_code", required=True),
    Field("LtlaName", "ltla_name"),
    Field("areaType", "area_type"),
    Field("areaCode", "area_code", required=True),
    Field("areaName", "area_name"),
    Field("date", "week_ending", Kind.DATE, required=True),
    Field("newCasesBySpecimenDateRollingSum", "cases", Kind.WHOLE, suppressed=SUPPRESSED_MARKS),
    Field("newCasesBySpecimenDateRollingRate", "rate", Kind.DECIMAL, suppressed=SUPPRESSED_MARKS),
    Field(
        "newCasesBySpecimenDateChange", "change", Kind.WHOLE, negative=True,
        suppressed=CHANGE_SUPPRESSED,
    ),
    Field(
        "newCasesBySpecimenDateChangePercentage", "change_pct", Kind.DECIMAL, negative=True,
        suppressed=CHANGE_SUPPRESSED,
    ),
)  # fmt: skip
COLUMNS = {field.column: field.name for field in FIELDS}
AREA_TYPE = "msoa"
# A column of few distinct texts (names, codes, dates, counts) is read as a dictionary: each
# text stored once and checked once, which keeps years of history small and quick (``bot.cases``
# decodes a week's rows). A column of many (areas, rates) is read as plain text, quicker to read,
# and encoded once after (``_encoded``).
DICTIONARY = pa.dictionary(pa.int32(), pa.string())
MANY_TEXTS = (
    "areaCode", "areaName", "newCasesBySpecimenDateRollingRate",
    "newCasesBySpecimenDateChangePercentage",
)  # fmt: skip
PAIRS_MARKED = 8  # the most possible (area, week) pairs per row marked one by one, not sorted
SNIFF_BYTES = 65536  # enough of the start to tell a CSV from a page or a binary file
# Arrow's default allocator keeps what a large read has freed; the system's gives it back: 60 MB
# less at the peak for two years of history, measured at the same speed.
pa.set_memory_pool(pa.system_memory_pool())


def csv_input(raw: RawData) -> tuple[bytes, bytes | GunzipStream]:
    """The start of the CSV (to sniff) and the CSV for Arrow to read: a gzip file is inflated
    as Arrow reads it, never held whole (it was +374 MB at 208 weeks), and never past the
    source size limit (a gzip bomb stops there)."""
    if raw.content[:2] != GZIP_MAGIC:
        return raw.content, raw.content
    try:
        head = zlib.decompressobj(wbits=31).decompress(raw.content, SNIFF_BYTES)
    except zlib.error:
        raise PatchbotError(f"{raw.origin}: damaged gzip file") from None
    return head, GunzipStream(raw.content, raw.origin, raw.max_bytes)


def sniff(origin: str, content: bytes) -> None:
    """Refuse what is plainly not a CSV before parsing it."""
    head = content.lstrip()[:200].lower()
    if not head:
        raise PatchbotError(f"{origin}: the file is empty")
    if head.startswith((b"<!doctype", b"<html", b"<?xml", b"<")):
        raise PatchbotError(f"{origin}: got an HTML/XML page, not PHE's CSV")
    try:  # the start is enough to tell a binary file; pyarrow checks the rest
        codecs.getincrementaldecoder("utf-8")().decode(content[:SNIFF_BYTES], final=False)
    except UnicodeDecodeError as error:
        raise PatchbotError(
            f"{origin}: not a text CSV file (undecodable byte at offset {error.start})"
        ) from None


def read_strings(origin: str, content: bytes | GunzipStream, head: bytes) -> pa.Table:
    """Every declared column as text, exactly as in the file; other columns dropped. Read batch
    by batch (Arrow's whole-file reader holds twice the table while it reads). A header
    without the declared columns is refused before the rows are read."""
    header = _header(head)
    if header is not None:
        _check_columns(origin, [name.lstrip("\ufeff") for name in header])
    try:
        table = pa_csv.open_csv(
            pa.BufferReader(content) if isinstance(content, bytes) else content,
            # One thread: the inflating feeds it no faster than one thread parses (the same CPU
            # and wall time), and parsing blocks side by side raised the peak unpredictably
            # (two years of history: 265-330 MB threaded, 268-283 MB not).
            read_options=pa_csv.ReadOptions(use_threads=False),
            convert_options=pa_csv.ConvertOptions(
                column_types=_column_types(head),
                strings_can_be_null=False,
            ),
        ).read_all()
    except pa.ArrowInvalid as error:
        message = str(error).removeprefix("CSV parse error: ")
        # Read on one thread, Arrow knows the line (its "Row #", the header counted): say it
        # as every other refusal of a line does.
        message = re.sub(r"^Row #(\d+): ", r"line \1: ", message)
        if "straddl" in message:  # Arrow's words for a line longer than the block it reads
            message = "a line longer than 1 MB (PHE's lines are under 300 characters)"
        printable = "".join(c if c.isprintable() else "?" for c in message)
        raise PatchbotError(f"{origin}: not a readable CSV: {printable[:120]}") from None
    table = table.rename_columns([name.lstrip("\ufeff") for name in table.column_names])
    _check_columns(origin, table.column_names)
    if table.num_rows == 0:
        raise PatchbotError(f"{origin}: the file has a header but no rows")
    return table.select(list(COLUMNS))


def _header(head: bytes) -> list[str] | None:
    """The column names in the file's first line, if ``head`` holds all of it."""
    lines = head.splitlines()  # a lone "\r" ends a line too
    if len(lines) < 2 and not head.endswith((b"\n", b"\r")):
        return None  # the header runs past the start sniffed
    try:
        return next(csv.reader([lines[0].decode("utf-8", errors="replace")]), [])
    except csv.Error:  # not a header at all: Arrow names the problem when it reads the file
        return None


def _column_types(head: bytes) -> dict[str, pa.DataType]:
    """Every column of the header (in ``head``, the file's start) as text, none guessed from
    the first rows, which a later batch could contradict; the declared ones as dictionaries or
    plain text."""
    return {
        **dict.fromkeys(_header(head) or [], pa.string()),
        **dict.fromkeys(COLUMNS, DICTIONARY),
        **dict.fromkeys(MANY_TEXTS, pa.string()),
        "\ufeffregionCode": DICTIONARY,  # a byte-order mark before the header
    }


def _check_columns(origin: str, present: list[str]) -> None:
    missing = [column for column in COLUMNS if column not in present]
    if not missing:
        return
    unexpected = [column for column in present if column not in COLUMNS]
    hints = []
    for column in missing:
        close = difflib.get_close_matches(column, unexpected, n=1, cutoff=0.6)
        hints.append(f"{column} (found {close[0]!r} instead?)" if close else column)
    raise PatchbotError(f"{origin}: missing column(s): {', '.join(hints)}")


# A check: a mask of the rows that break a rule, and how to say what is wrong with a row.
Check = tuple[Callable[[], pa.ChunkedArray | pa.Array], Callable[[dict[str, str]], str]]


def _matches(text: pa.ChunkedArray, kind: Kind) -> pa.ChunkedArray:
    return pc.match_substring_regex(text, f"^(?:{PATTERNS[kind]})$")


def _checks(table: pa.Table, today: dt.date, rows: bool = True) -> Iterator[Check]:
    """Every rule of ``FIELDS``, in the order problems are reported; with ``rows=False`` only
    the rules of one cell at a time (not the duplicate rows). Each check trims the cells it
    reads when it runs: a trimmed copy of every column at once would double the memory a
    large file takes."""
    for f in FIELDS:
        if f.required:
            yield _required(f, table[f.column])
    yield (
        lambda: pc.not_equal(pc.utf8_lower(table["areaType"]), AREA_TYPE),
        lambda row: f"areaType {row['areaType']!r} is not msoa (Patchbot reads neighbourhood data)",
    )
    for f in FIELDS:
        if f.kind is Kind.DATE:
            yield from _date_checks(f, table[f.column], today)
    if rows:
        yield (
            lambda: _duplicated(table),
            lambda _row: "duplicated row: this area and week appear more than once",
        )
    for f in FIELDS:
        if f.kind in (Kind.WHOLE, Kind.DECIMAL):
            yield from _number_checks(f, table[f.column])


def _required(f: Field, cells: pa.ChunkedArray) -> Check:
    return lambda: pc.equal(pc.utf8_trim_whitespace(cells), ""), lambda _row: f"{f.column} is empty"


def _date_checks(f: Field, cells: pa.ChunkedArray, today: dt.date) -> Iterator[Check]:
    yield (
        lambda: pc.invert(_matches(cells, Kind.DATE)),
        lambda row: f"{f.column} {row[f.column]!r} is not a YYYY-MM-DD date",
    )
    yield (
        lambda: pc.greater(_dates(cells), pa.scalar(today, pa.date32())),
        lambda row: f"{f.column} {row[f.column]} is in the future (today is {today.isoformat()})",
    )


def _number_checks(f: Field, cells: pa.ChunkedArray) -> Iterator[Check]:
    def text() -> pa.ChunkedArray:
        return pc.utf8_trim_whitespace(cells)

    def malformed() -> pa.ChunkedArray:
        trimmed = text()
        given = pc.invert(pc.is_in(trimmed, pa.array(f.suppressed, pa.string())))
        return pc.and_(given, pc.invert(_matches(trimmed, f.kind)))

    yield (
        malformed,
        lambda row: f"{f.column} {row[f.column]!r} is not a {f.kind}",
    )
    if f.kind is Kind.WHOLE:
        yield (
            lambda: pc.greater(pc.utf8_length(pc.utf8_ltrim(text(), characters="-")), MAX_DIGITS),
            lambda row: (
                f"{f.column} {row[f.column].strip()[:20]}... ({len(row[f.column].strip())} "
                f"characters) is too large: {MAX_DIGITS} digits at most"
            ),
        )
    if not f.negative:
        yield (
            lambda: pc.fill_null(pc.less(_number(f, text()), 0), False),
            lambda row: f"{f.column} {row[f.column]} is negative",
        )


def _dates(text: pa.ChunkedArray) -> pa.ChunkedArray:
    """Dates of the ``YYYY-MM-DD`` cells; an impossible one (2020-02-30) is missing."""
    parsed = pc.strptime(text, format="%Y-%m-%d", unit="s", error_is_null=True)
    return pc.cast(parsed, pa.date32())


def _number(f: Field, text: pa.ChunkedArray) -> pa.ChunkedArray:
    """The column's values, suppressed marks missing (after its pattern check passed)."""
    withheld = pc.is_in(text, pa.array(f.suppressed, pa.string()))
    return pc.cast(pc.if_else(withheld, None, text), ARROW_TYPES[f.kind])


def _duplicated(table: pa.Table) -> pa.Array:
    """Every row whose area and week appear more than once (all of them, not only repeats)."""
    if _distinct_pairs(table) == table.num_rows:
        return pa.array([False] * table.num_rows)
    keys = table.select(["areaCode", "date"])
    counts = keys.group_by(["areaCode", "date"]).aggregate([([], "count_all")])
    repeated = counts.filter(pc.greater(counts["count_all"], 1))
    joined = keys.append_column("row", pa.array(range(table.num_rows))).join(
        repeated, ["areaCode", "date"], join_type="inner"
    )
    flagged = [False] * table.num_rows
    for row in joined["row"].to_pylist():
        flagged[row] = True
    return pa.array(flagged)


def _distinct_pairs(table: pa.Table) -> int:
    """How many distinct (area, week) pairs: each pair one number made of the two columns'
    codes (a group-by of two text columns took ten times as long), marked in a table of
    every possible pair when that is not much larger than the rows (any number of weeks of
    every area: a third of the time sorting took), else sorted and counted."""
    dates, date_count = _codes(table["date"])
    pairs, area_count = _codes(table["areaCode"])
    pairs *= date_count  # in place: one array of a number per row, not three
    pairs += dates
    del dates
    if area_count * date_count <= PAIRS_MARKED * len(pairs):
        seen = np.zeros(area_count * date_count, np.bool_)
        seen[pairs] = True
        return int(np.count_nonzero(seen))
    pairs.sort()
    return int(np.count_nonzero(np.diff(pairs))) + 1 if len(pairs) else 0


def _codes(column: pa.ChunkedArray) -> tuple[np.ndarray, int]:
    """Each cell's number among the column's distinct texts, and how many there are: a
    dictionary's chunks share one (``_encoded``); plain text (every row checked, to name the
    first bad one) is encoded here."""
    if not pa.types.is_dictionary(column.type):
        column = pc.dictionary_encode(column)
    codes = pa.chunked_array([chunk.indices for chunk in column.chunks], pa.int32())
    count = len(column.chunks[0].dictionary) if column.num_chunks else 0
    return codes.to_numpy().astype(np.int64), count


def _refuse_first(
    origin: str, table: pa.Table, mask: pa.Array, describe: Callable[..., str]
) -> None:
    """Raise naming the first row where ``mask`` holds, if any."""
    flagged = pc.indices_nonzero(pc.fill_null(mask, False))
    if len(flagged) == 0:
        return
    index = flagged[0].as_py()
    row = {name: table[name][index].as_py() for name in table.column_names}
    where = f"line {index + 2} ({row['areaCode'] or 'no areaCode'}, {row['date'] or 'no date'})"
    count = len(flagged)
    more = f" (and {count - 1} more {'row' if count == 2 else 'rows'})" if count > 1 else ""
    raise PatchbotError(f"{origin}: {where}: {describe(row)}{more}")


def _distinct_cells(table: pa.Table) -> pa.Table:
    """Each column's distinct texts, side by side (a shorter column filled up with its first
    text): every rule of one cell at a time passes on this small table exactly when it
    passes on every row of ``table`` (its columns dictionaries, one for all of a column's
    chunks)."""
    values = [column.chunks[0].dictionary for column in table.columns]
    longest = max(len(column) for column in values)
    filled = [
        pa.concat_arrays([column, pa.repeat(column[0], longest - len(column))]) for column in values
    ]
    return pa.table(filled, names=table.column_names)


def _per_value(
    function: Callable[[pa.Array], pa.Array], column: pa.ChunkedArray
) -> pa.ChunkedArray:
    """``function`` of every cell, worked out once per distinct text of a dictionary column
    whose chunks share one dictionary (``read_rows`` unifies them): once for the column, not
    once per chunk (two years of history are 173 chunks)."""
    values = function(column.chunks[0].dictionary)
    return pc.take(values, pa.chunked_array([chunk.indices for chunk in column.chunks]))


def _refuse_any(origin: str, table: pa.Table, today: dt.date) -> None:
    """Every check, on every row (as plain text), the first problem refused: only run once
    the quick look at distinct texts found one."""
    plain = pa.table(
        [pc.cast(column, pa.string()) for column in table.columns], names=table.column_names
    )
    for mask, describe in _checks(plain, today):
        _refuse_first(origin, plain, mask(), describe)


def _passes(table: pa.Table, today: dt.date) -> bool:
    """Whether every cell passes its field's rules (checked once per distinct text) and no
    area and week appear twice."""
    if _distinct_pairs(table) != table.num_rows:
        return False
    cells = _distinct_cells(table)
    return not any(
        pc.any(pc.fill_null(mask(), False)).as_py() for mask, _ in _checks(cells, today, rows=False)
    )


def read_rows(raw: RawData, today: dt.date) -> pa.Table:
    """The file's rows, every field checked, as the typed tidy table (without cross-row checks)."""
    head, content = csv_input(raw)
    sniff(raw.origin, head)
    table = _encoded(read_strings(raw.origin, content, head))
    if not _passes(table, today):
        _refuse_any(raw.origin, table, today)
    columns = []
    for f in FIELDS:
        if f.kind is Kind.DATE:
            columns.append(_per_value(_dates, table[f.column]))
        elif f.kind is Kind.TEXT:
            columns.append(table[f.column])
        else:
            number = functools.partial(_typed, f)
            columns.append(_per_value(number, table[f.column]))
    tidy = pa.table(columns, names=[f.name for f in FIELDS])
    return tidy.drop_columns(["area_type"])


def _encoded(table: pa.Table) -> pa.Table:
    """Every column a dictionary shared by all its chunks: the columns read as plain text
    encoded once here, their distinct texts then checked, converted and kept once each (two
    years of history: 0.05 s less than finding them, and converting every row, column by
    column; their checked table 20 MB smaller)."""
    table = table.unify_dictionaries()
    for index, column in enumerate(table.columns):
        if not pa.types.is_dictionary(column.type):
            table = table.set_column(index, table.column_names[index], pc.dictionary_encode(column))
    return table


def _typed(f: Field, text: pa.Array) -> pa.Array:
    return _number(f, pc.utf8_trim_whitespace(text))
