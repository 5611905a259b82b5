"""Parse PHE's MSOA CSV into Patchbot's one tidy table, refusing anything malformed.

Every check fails with a single line naming the source, the line and the field. The tidy table
keeps *suppressed* (0-2 cases; blank in the API, -99 in its older CSVs) as a missing count on a
row that exists, distinct from zero and from an area with no row at all.
"""

from __future__ import annotations

import codecs
import datetime as dt
import difflib
import functools
import gzip
import io
import zlib
from collections.abc import Callable
from typing import Literal

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from bot.datasource import RawData
from bot.errors import PatchbotError
from bot.geography import Geography, clean_names

# PHE API v2 column -> tidy column.
COLUMNS = {
    "regionCode": "region_code",
    "regionName": "region_name",
    "UtlaCode": "utla_code",
    "UtlaName": "utla_name",
    "LtlaCode": "ltla_code",
    "LtlaName": "ltla_name",
    "areaType": "area_type",
    "areaCode": "area_code",
    "areaName": "area_name",
    "date": "week_ending",
    "newCasesBySpecimenDateRollingSum": "cases",
    "newCasesBySpecimenDateRollingRate": "rate",
    "newCasesBySpecimenDateChange": "change",
    "newCasesBySpecimenDateChangePercentage": "change_pct",
}
SUPPRESSED_MARKS = ("", "-99")  # blank from 28 Oct 2020; -99 in earlier CSVs
_WHOLE = r"-?\d+"
_DECIMAL = r"-?\d+(\.\d+)?"


_NULLABLE = {pa.int64(): pd.Int64Dtype(), pa.float64(): pd.Float64Dtype()}


class CaseData:
    """The validated cases: one row per MSOA per week, plus where they came from.

    Kept as an Arrow table (compact, even for years of history); a week is turned into the
    pandas table the rules use only when it is asked for.
    """

    def __init__(
        self, arrow: pa.Table, origin: str, release: dt.date | None, geography: Geography
    ) -> None:
        self.arrow = arrow
        self.origin = origin
        self.release = release
        self._population = geography.areas.set_index("area_code")["population"]
        self._weeks: dict[dt.date, pd.DataFrame] = {}

    @property
    def rows(self) -> int:
        return int(self.arrow.num_rows)

    @functools.cached_property
    def weeks(self) -> list[dt.date]:
        return sorted(pc.unique(self.arrow["week_ending"]).to_pylist())

    def week_rows(self, week: dt.date) -> pd.DataFrame:
        """The week's rows as a tidy pandas table, with names cleaned and population joined."""
        if week not in self._weeks:
            chosen = self.arrow.filter(pc.equal(self.arrow["week_ending"], week))
            frame = chosen.to_pandas(types_mapper=_NULLABLE.get, date_as_object=False)
            self._weeks[week] = frame.assign(
                week_ending=frame["week_ending"].astype("datetime64[us]"),
                area_name=clean_names(frame["area_name"]),
                ltla_name=clean_names(frame["ltla_name"]),
                population=frame["area_code"].map(self._population).astype("Int64"),
            )
        return self._weeks[week]


def _decompress(raw: RawData) -> bytes:
    if raw.content[:2] != b"\x1f\x8b":
        return raw.content
    try:
        return gzip.decompress(raw.content)
    except (OSError, EOFError, zlib.error):
        raise PatchbotError(f"{raw.origin}: damaged gzip file") from None


def _sniff(raw: RawData, content: bytes) -> None:
    """Refuse what is plainly not a CSV before parsing it."""
    head = content.lstrip()[:200].lower()
    if not head:
        raise PatchbotError(f"{raw.origin}: the file is empty")
    if head.startswith((b"<!doctype", b"<html", b"<?xml", b"<")):
        raise PatchbotError(f"{raw.origin}: got an HTML/XML page, not PHE's CSV")
    try:  # the start is enough to tell a binary file; pyarrow checks the rest
        codecs.getincrementaldecoder("utf-8")().decode(content[:65536], final=False)
    except UnicodeDecodeError as error:
        raise PatchbotError(
            f"{raw.origin}: not a text CSV file (undecodable byte at offset {error.start})"
        ) from None


def _read_strings(raw: RawData, content: bytes) -> pd.DataFrame:
    try:
        table = pa_csv.read_csv(
            io.BytesIO(content),
            convert_options=pa_csv.ConvertOptions(
                column_types=dict.fromkeys(COLUMNS, pa.string()), strings_can_be_null=False
            ),
        )
    except pa.ArrowInvalid as error:
        message = str(error).removeprefix("CSV parse error: ")
        printable = "".join(c if c.isprintable() else "?" for c in message)
        raise PatchbotError(f"{raw.origin}: not a readable CSV: {printable[:120]}") from None
    frame: pd.DataFrame = table.to_pandas()
    return frame


def _check_columns(origin: str, frame: pd.DataFrame) -> None:
    present = [str(column).lstrip("\ufeff") for column in frame.columns]
    missing = [column for column in COLUMNS if column not in present]
    if not missing:
        return
    unexpected = [column for column in present if column not in COLUMNS]
    hints = []
    for column in missing:
        close = difflib.get_close_matches(column, unexpected, n=1, cutoff=0.6)
        hints.append(f"{column} (found {close[0]!r} instead?)" if close else column)
    raise PatchbotError(f"{origin}: missing column(s): {', '.join(hints)}")


def _fail_at(origin: str, frame: pd.DataFrame, bad: pd.Series, problem: str) -> None:
    """Raise naming the first row where ``bad`` holds, if any."""
    if not bad.any():
        return
    index = bad.to_numpy().nonzero()[0][0]
    row = frame.iloc[index]
    where = f"line {index + 2} ({row['areaCode'] or 'no areaCode'}, {row['date'] or 'no date'})"
    count = int(bad.sum())
    more = f" (and {count - 1} more {'row' if count == 2 else 'rows'})" if count > 1 else ""
    raise PatchbotError(f"{origin}: {where}: {problem.format(row=row)}{more}")


def _numbers(
    origin: str,
    frame: pd.DataFrame,
    column: str,
    pattern: str,
    dtype: Literal["Int64", "Float64"],
    allow_negative: bool,
) -> pd.Series:
    text = frame[column].str.strip()
    blank = text.isin(SUPPRESSED_MARKS)
    _fail_at(
        origin,
        frame,
        ~blank & ~text.str.fullmatch(pattern),
        f"{column} {{row[{column}]!r}} is not a "
        + ("whole number" if pattern == _WHOLE else "number"),
    )
    values: pd.Series = pd.to_numeric(text.where(~blank, None)).astype(dtype)
    if not allow_negative:
        _fail_at(
            origin, frame, values.lt(0).fillna(False), f"{column} {{row[{column}]}} is negative"
        )
    return values


def load_cases(raw: RawData, geography: Geography, today: dt.date) -> CaseData:
    """Parse and validate ``raw`` into the tidy table, or raise PatchbotError."""
    content = _decompress(raw)
    _sniff(raw, content)
    table = _read_typed(content, today)
    if table is None:  # something is off: the careful reader finds it and names it
        tidy = _read_checked(raw, content, today)
        table = pa.Table.from_pandas(tidy, preserve_index=False)
        table = table.set_column(
            table.schema.get_field_index("week_ending"),
            "week_ending",
            pc.cast(table["week_ending"], pa.date32()),
        )
    check_consistency(table, raw, geography)
    return CaseData(table, raw.origin, raw.release, geography)


RATE_TOLERANCE = 0.06  # PHE rounded rates to one decimal place
SHORT_WEEK = 0.9  # a week with fewer rows than this share of the fullest week is truncated
STALE_AFTER = dt.timedelta(days=14)  # PHE's newest week ended about five days before release


def _refuse(
    origin: str, frame: pd.DataFrame, bad: pd.Series, problem: Callable[[pd.Series], str]
) -> None:
    """Raise naming the first row (line, area, week) where ``bad`` holds, if any."""
    flagged = bad.fillna(False).to_numpy(dtype=bool)
    if flagged.any():
        row = frame[flagged].iloc[0]
        where = f"line {row['line']} ({row['area_code']}, {row['week_ending']:%Y-%m-%d})"
        raise PatchbotError(f"{origin}: {where}: {problem(row)}")


def check_consistency(table: pa.Table, raw: RawData, geography: Geography) -> None:
    """Checks across rows and weeks: a rate that is not cases / population, a change that is
    not this week minus last, a week with far fewer areas than the others (a truncated
    download), data older than its release implies. Lines are counted as in the file."""
    origin = raw.origin
    frame = table.select(
        ["area_code", "ltla_code", "week_ending", "cases", "rate", "change"]
    ).to_pandas(types_mapper=_NULLABLE.get, date_as_object=False)
    frame["line"] = frame.index + 2
    lookup = geography.areas.set_index("area_code")
    frame["home"] = frame["area_code"].map(lookup["ltla_code"])
    frame["people"] = frame["area_code"].map(lookup["population"])
    _refuse(
        origin,
        frame,
        frame["home"].isna(),
        lambda row: f"areaCode {row['area_code']} is not an England MSOA (2011) in the lookup",
    )
    _refuse(
        origin,
        frame,
        frame["home"] != frame["ltla_code"],
        lambda row: (
            f"LtlaCode {row['ltla_code']} is not the council of {row['area_code']} "
            f"({lookup.loc[row['area_code'], 'ltla_name']}, {row['home']})"
        ),
    )
    expected = frame["cases"] * 100_000 / frame["people"]
    _refuse(
        origin,
        frame,
        (frame["rate"] - expected).abs() > RATE_TOLERANCE,
        lambda row: (
            f"rate {row['rate']} does not match {row['cases']} cases among {row['people']:,} "
            f"people ({row['cases'] * 100_000 / row['people']:.1f} expected)"
        ),
    )
    earlier = frame[["area_code", "week_ending", "cases"]].assign(
        week_ending=frame["week_ending"] + pd.Timedelta(days=7)
    )
    pairs = frame.merge(earlier, on=["area_code", "week_ending"], suffixes=("", "_before"))
    _refuse(
        origin,
        pairs,
        pairs["change"] != pairs["cases"] - pairs["cases_before"],
        lambda row: (
            f"change {row['change']} does not match {row['cases']} cases against "
            f"{row['cases_before']} the week before"
        ),
    )
    per_week = frame["week_ending"].value_counts()
    short = per_week[per_week < SHORT_WEEK * per_week.max()]
    if not short.empty:
        week = short.index.min()
        raise PatchbotError(
            f"{origin}: the week ending {week:%Y-%m-%d} has only {short[week]:,} rows against "
            f"{per_week.max():,} in other weeks (a truncated or partial download?)"
        )
    newest = frame["week_ending"].max().date()
    if raw.release is not None and raw.release - newest > STALE_AFTER:
        raise PatchbotError(
            f"{origin}: stale data: the newest week ends {newest.isoformat()} but the data was "
            f"published {raw.release.isoformat()}"
        )


_TYPES = {
    **dict.fromkeys(COLUMNS, pa.string()),
    "date": pa.date32(),
    "newCasesBySpecimenDateRollingSum": pa.int64(),
    "newCasesBySpecimenDateRollingRate": pa.float64(),
    "newCasesBySpecimenDateChange": pa.int64(),
    "newCasesBySpecimenDateChangePercentage": pa.float64(),
}


def _any(mask: pa.ChunkedArray) -> bool:
    return bool(pc.any(mask).as_py())


def _read_typed(content: bytes, today: dt.date) -> pa.Table | None:
    """The fast path: pyarrow parses the columns straight into their types and the checks run
    on Arrow arrays. Any doubt (a parse error, a missing column, any failed check) returns None
    for ``_read_checked``, which names the problem."""
    try:
        table = pa_csv.read_csv(
            io.BytesIO(content),
            convert_options=pa_csv.ConvertOptions(
                column_types=_TYPES,
                include_columns=list(COLUMNS),
                strings_can_be_null=False,
                null_values=[""],  # only a blank is suppressed: "N/A" or "nan" is an error
            ),
        ).rename_columns(list(COLUMNS.values()))
    except (pa.ArrowInvalid, KeyError):
        return None
    if table.num_rows == 0:
        return None
    for column in ("cases", "rate", "change", "change_pct"):  # -99: the old suppressed mark
        values = table[column]
        table = table.set_column(
            table.schema.get_field_index(column),
            column,
            pc.if_else(pc.equal(values, -99), pa.scalar(None, values.type), values),
        )
    weeks, rates, pcts = table["week_ending"], table["rate"], table["change_pct"]
    unique_pairs = table.group_by(["area_code", "week_ending"]).aggregate([]).num_rows
    trouble = (
        _any(pc.not_equal(pc.utf8_lower(table["area_type"]), "msoa"))
        or _any(pc.equal(pc.utf8_trim_whitespace(table["area_code"]), ""))
        or _any(pc.equal(pc.utf8_trim_whitespace(table["ltla_code"]), ""))
        or weeks.null_count > 0
        or _any(pc.greater(weeks, pa.scalar(today, pa.date32())))
        or unique_pairs != table.num_rows
        or _any(pc.less(table["cases"], 0))
        or _any(pc.less(rates, 0))
        or _any(pc.is_nan(rates))
        or _any(pc.is_inf(rates))
        or _any(pc.is_nan(pcts))
        or _any(pc.is_inf(pcts))
    )
    return None if trouble else table.drop_columns(["area_type"])


def _read_checked(raw: RawData, content: bytes, today: dt.date) -> pd.DataFrame:
    """The careful path: every value read as text and checked, so the first problem is named
    with its line and field."""
    origin = raw.origin
    frame = _read_strings(raw, content)
    frame.columns = [str(column).lstrip("\ufeff") for column in frame.columns]
    _check_columns(origin, frame)
    if frame.empty:
        raise PatchbotError(f"{origin}: the file has a header but no rows")
    frame = frame[list(COLUMNS)]

    for column in ("areaCode", "LtlaCode", "date"):
        _fail_at(origin, frame, frame[column].str.strip() == "", f"{column} is empty")
    _fail_at(
        origin,
        frame,
        frame["areaType"].str.lower() != "msoa",
        "areaType {row[areaType]!r} is not msoa (Patchbot reads neighbourhood data)",
    )
    weeks = pd.to_datetime(frame["date"], format="%Y-%m-%d", errors="coerce")
    _fail_at(origin, frame, weeks.isna(), "date {row[date]!r} is not a YYYY-MM-DD date")
    _fail_at(
        origin,
        frame,
        weeks > pd.Timestamp(today),
        f"date {{row[date]}} is in the future (today is {today.isoformat()})",
    )
    duplicated = frame.duplicated(["areaCode", "date"], keep=False)
    _fail_at(origin, frame, duplicated, "duplicated row: this area and week appear more than once")

    cases = _numbers(
        origin, frame, "newCasesBySpecimenDateRollingSum", _WHOLE, "Int64", allow_negative=False
    )
    rate = _numbers(
        origin,
        frame,
        "newCasesBySpecimenDateRollingRate",
        _DECIMAL,
        "Float64",
        allow_negative=False,
    )
    change = _numbers(
        origin, frame, "newCasesBySpecimenDateChange", _WHOLE, "Int64", allow_negative=True
    )
    change_pct = _numbers(
        origin,
        frame,
        "newCasesBySpecimenDateChangePercentage",
        _DECIMAL,
        "Float64",
        allow_negative=True,
    )

    tidy = frame.rename(columns=COLUMNS).drop(columns=["area_type"])
    return tidy.assign(
        week_ending=weeks.astype("datetime64[us]"),
        cases=cases,
        rate=rate,
        change=change,
        change_pct=change_pct,
    )
