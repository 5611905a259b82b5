"""Build Patchbot's bundled data from the real public files in ``../shared/data``.

Writes two compressed files into ``bot/data/``:

* ``msoa_lookup.csv.gz`` - every England MSOA with its House of Commons Library name (1.14),
  council (LTLA), county (UTLA), region and ONS mid-2019 population;
* ``sample/msoa_2020-11-30.csv.gz`` - PHE's MSOA case counts as re-fetched on 2020-11-30 for
  the seven complete weeks ending on the Wednesdays 2020-10-14 ... 2020-11-25, in the exact
  column layout the PHE API v2 served (rate per 100,000 from the ONS population, week-on-week
  change and change percentage), newest week first. The file name carries the release date,
  as the API's ``Content-Disposition`` did.

Run from the repository root:  python scripts/build_sample.py [--shared ../shared/data]

The same conversion makes the test excerpts in ``tests/data`` (see tests/data/README.md), e.g.
the 2020-11-25 capture of a few councils, to test PHE's revisions:
  python scripts/build_sample.py --release 2020-11-25 --first-week 2020-11-11 \
      --last-week 2020-11-18 --councils York,Darlington --out tests/data/x.csv
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import gzip
import io
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
OUT_DIR = REPO / "bot" / "data"
RELEASE = "2020-11-30"
FIRST_WEEK = dt.date(2020, 10, 14)
LAST_WEEK = dt.date(2020, 11, 25)

API_COLUMNS = [
    "regionCode", "regionName", "UtlaCode", "UtlaName", "LtlaCode", "LtlaName",
    "areaType", "areaCode", "areaName", "date",
    "newCasesBySpecimenDateRollingSum", "newCasesBySpecimenDateRollingRate",
    "newCasesBySpecimenDateChange", "newCasesBySpecimenDateChangePercentage",
]  # fmt: skip
LOOKUP_COLUMNS = [
    "area_code", "area_name", "ltla_code", "ltla_name", "utla_code", "utla_name",
    "region_code", "region_name", "population",
]  # fmt: skip


def one_decimal(value: Decimal) -> str:
    """PHE published rates and percentages to one decimal place, halves rounded up."""
    return str(value.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def read_csv(path: Path) -> list[dict[str, str]]:
    # utf-8-sig: the HCL names file starts with a byte-order mark.
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def build_lookup(shared: Path) -> list[dict[str, str]]:
    names = {
        row["msoa11cd"]: row["msoa11hclnm"]
        for row in read_csv(shared / "hcl-msoa-names" / "MSOA-Names-1.14.csv")
    }
    population = {
        row["MSOA Code"]: row["All Ages"]
        for row in read_csv(shared / "ons-msoa-population" / "MSOA_pop.csv")
    }
    lookup = []
    for row in read_csv(shared / "msoa-geography" / "msoa_relations.csv"):
        code = row["areaCode"]
        lookup.append(
            {
                "area_code": code,
                "area_name": names[code],
                "ltla_code": row["LtlaCode"],
                "ltla_name": row["LtlaName"],
                "utla_code": row["UtlaCode"],
                "utla_name": row["UtlaName"],
                "region_code": row["regionCode"],
                "region_name": row["regionName"],
                "population": population[code],
            }
        )
    return sorted(lookup, key=lambda r: r["area_code"])


NO_ROW = -1  # an empty cell: the capture has no observation, so the API had no row


def parse_count(cell: str) -> int | None:
    """``S`` (suppressed, 0-2 cases) becomes None, an empty cell NO_ROW."""
    if cell == "S":
        return None
    if cell == "":
        return NO_ROW
    return int(cell)


def build_cases(
    shared: Path,
    lookup: list[dict[str, str]],
    release: str = RELEASE,
    first_week: dt.date = FIRST_WEEK,
    last_week: dt.date = LAST_WEEK,
) -> list[list[str]]:
    wide = read_csv(shared / "phe-msoa-cases" / release / "latest.csv")
    by_date = {row["specimenDate"]: row for row in wide}
    weeks = []
    week = last_week
    while week >= first_week:
        weeks.append(week)
        week -= dt.timedelta(days=7)
    rows = []
    for week in weeks:  # newest first, as the API served
        this_week = by_date[week.isoformat()]
        week_before = by_date[(week - dt.timedelta(days=7)).isoformat()]
        for area in lookup:
            code = area["area_code"]
            cases = parse_count(this_week[code])
            if cases == NO_ROW:
                continue
            previous = parse_count(week_before[code])
            rate = change = change_pct = ""
            if cases is not None:
                rate = one_decimal(Decimal(cases * 100_000) / Decimal(area["population"]))
                if previous is not None and previous != NO_ROW:
                    change = str(cases - previous)
                    change_pct = one_decimal(Decimal((cases - previous) * 100) / previous)
            rows.append(
                [
                    area["region_code"], area["region_name"],
                    area["utla_code"], area["utla_name"],
                    area["ltla_code"], area["ltla_name"],
                    "msoa", code, area["area_name"], week.isoformat(),
                    "" if cases is None else str(cases), rate, change, change_pct,
                ]
            )  # fmt: skip
    return rows


def write_gzip_csv(path: Path, header: list[str], rows: list[list[str]]) -> None:
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    path.parent.mkdir(parents=True, exist_ok=True)
    # mtime=0 keeps the output byte-identical between runs, so git sees no change.
    with path.open("wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as out:
        out.write(text.getvalue().encode("utf-8"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--release", default=RELEASE, help="capture folder, e.g. 2020-11-25")
    parser.add_argument("--first-week", type=dt.date.fromisoformat, default=FIRST_WEEK)
    parser.add_argument("--last-week", type=dt.date.fromisoformat, default=LAST_WEEK)
    parser.add_argument("--councils", help="only these councils (LTLA names, comma-separated)")
    parser.add_argument("--out", type=Path, help="write a plain CSV excerpt here instead")
    args = parser.parse_args()
    lookup = build_lookup(args.shared)
    if args.councils:
        wanted = {name.strip() for name in args.councils.split(",")}
        lookup = [row for row in lookup if row["ltla_name"] in wanted]
    cases = build_cases(args.shared, lookup, args.release, args.first_week, args.last_week)
    if args.out:
        with args.out.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(API_COLUMNS)
            writer.writerows(cases)
        print(f"{len(cases)} case rows written to {args.out}")
        return
    write_gzip_csv(
        OUT_DIR / "msoa_lookup.csv.gz",
        LOOKUP_COLUMNS,
        [[row[c] for c in LOOKUP_COLUMNS] for row in lookup],
    )
    write_gzip_csv(OUT_DIR / "sample" / f"msoa_{args.release}.csv.gz", API_COLUMNS, cases)
    print(f"{len(lookup)} areas, {len(cases)} case rows written to {OUT_DIR}")


if __name__ == "__main__":
    main()
