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
import datetime as dt
import difflib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from bot.errors import PatchbotError
from bot.sources import RawData
from bot.sources.downloads import gunzip


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


def decompress(raw: RawData) -> bytes:
    return gunzip(raw.content, raw.origin, raw.max_bytes)


def sniff(origin: str, content: bytes) -> None:
    """Refuse what is plainly not a CSV before parsing it."""
    head = content.lstrip()[:200].lower()
    if not head:
        raise PatchbotError(f"{origin}: the file is empty")
    if head.startswith((b"<!doctype", b"<html", b"<?xml", b"<")):
        raise PatchbotError(f"{origin}: got an HTML/XML page, not PHE's CSV")
    try:  # the start is enough to tell a binary file; pyarrow checks the rest
        codecs.getincrementaldecoder("utf-8")().decode(content[:65536], final=False)
    except UnicodeDecodeError as error:
        raise PatchbotError(
            f"{origin}: not a text CSV file (undecodable byte at offset {error.start})"
        ) from None


def read_strings(origin: str, content: bytes) -> pa.Table:
    """Every declared column as text, exactly as in the file; other columns dropped."""
    try:
        table = pa_csv.read_csv(
            pa.BufferReader(content),  # the bytes as they are: no copy through a Python file
            convert_options=pa_csv.ConvertOptions(
                column_types={
                    **dict.fromkeys(COLUMNS, pa.string()),
                    "\ufeffregionCode": pa.string(),  # a byte-order mark before the header
                },
                strings_can_be_null=False,
            ),
        )
    except pa.ArrowInvalid as error:
        message = str(error).removeprefix("CSV parse error: ")
        printable = "".join(c if c.isprintable() else "?" for c in message)
        raise PatchbotError(f"{origin}: not a readable CSV: {printable[:120]}") from None
    table = table.rename_columns([name.lstrip("\ufeff") for name in table.column_names])
    _check_columns(origin, table.column_names)
    if table.num_rows == 0:
        raise PatchbotError(f"{origin}: the file has a header but no rows")
    return table.select(list(COLUMNS))


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


def _checks(table: pa.Table, today: dt.date) -> Iterator[Check]:
    """Every rule of ``FIELDS``, in the order problems are reported. Each check trims the
    cells it reads when it runs: a trimmed copy of every column at once would double the
    memory a large file takes."""
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
    """Every row whose area and week appear more than once (all of them, not only repeats).
    Each row's key is one integer (the area's number, the day), so a file of millions of rows
    is checked without a table of its strings."""
    areas = pc.dictionary_encode(table["areaCode"]).combine_chunks().indices
    days = pc.fill_null(pc.cast(pc.cast(_dates(table["date"]), pa.int32()), pa.int64()), 0)
    keys = pc.add(pc.multiply(pc.cast(areas, pa.int64()), 1 << 32), days)
    if pc.count_distinct(keys).as_py() == table.num_rows:
        return pa.array(np.zeros(table.num_rows, dtype=bool))
    counts = pc.value_counts(keys)
    repeated = counts.field("values").filter(pc.greater(counts.field("counts"), 1))
    return pc.is_in(keys, repeated)


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


def read_rows(raw: RawData, today: dt.date) -> pa.Table:
    """The file's rows, every field checked, as the typed tidy table (without cross-row checks)."""
    content = decompress(raw)
    sniff(raw.origin, content)
    table = read_strings(raw.origin, content)
    for mask, describe in _checks(table, today):
        _refuse_first(raw.origin, table, mask(), describe)
    columns = []
    for f in FIELDS:
        if f.kind is Kind.DATE:
            columns.append(_dates(table[f.column]))
        elif f.kind is Kind.TEXT:
            columns.append(table[f.column])
        else:
            columns.append(_number(f, pc.utf8_trim_whitespace(table[f.column])))
    tidy = pa.table(columns, names=[f.name for f in FIELDS])
    return tidy.drop_columns(["area_type"])
