"""Public Health England's Covid-19 cases by neighbourhood (API v2 MSOA CSV), 2020.

Four ways to the same CSV, one parser: ``bundled`` (the real data for every MSOA, weeks to
2020-10-14 ... 2020-11-25, shipped in ``bot/data/sample``), ``phe-api`` (the API itself: retired
at the end of 2023; point ``PATCHBOT_PHE_API_URL`` at a mirror), and any URL or file path.
"""

from __future__ import annotations

import datetime as dt
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from bot.cases import CaseData, CaseTable, Dataset, Level, Measure
from bot.geography import Geography, Patch
from bot.geography import msoa as msoa_geography
from bot.sources import LOCATION, BuiltinSource, RawData, checked, register_source

if TYPE_CHECKING:
    import pyarrow as pa

BUNDLED = "bundled"
PHE_API = "phe-api"
PHE_METRICS = (
    "newCasesBySpecimenDateRollingSum",
    "newCasesBySpecimenDateRollingRate",
    "newCasesBySpecimenDateChange",
    "newCasesBySpecimenDateChangePercentage",
)


class PheCsv(BuiltinSource):
    """The parsing every PHE source shares; each subclass says where the bytes come from."""

    geography = msoa_geography.NAME

    def parse(self, raw: RawData, geography: Geography, today: dt.date) -> CaseData:
        return load_cases(raw, geography, today, self.kind, self.options.checked_dir)


def load_cases(
    raw: RawData,
    geography: Geography,
    today: dt.date,
    source: str = BUNDLED,
    checked_dir: Path | None = None,
) -> CaseData:
    """PHE's CSV, every field and every cross-row rule checked, as the tidy table; checked once
    per release when ``checked_dir`` keeps the tables checked before (``bot.sources.checked``)."""

    def read_and_check() -> pa.Table:
        # Imported here: a run on a file checked before needs neither pyarrow nor numpy.
        from bot.sources.field_rules import check_rows
        from bot.sources.phe_checks import check_consistency
        from bot.sources.phe_csv import read_rows

        table = read_rows(raw, today)
        check_consistency(table, raw, geography)
        check_rows(table, raw.origin)
        return table

    table: pa.Table | CaseTable
    if not checked_dir:
        table = read_and_check()
    else:
        name = checked.key(raw, "phe-csv")
        kept = checked.load(checked_dir, name, read_and_check)
        if kept is None:
            fresh = read_and_check()
            kept = checked.store(checked_dir, name, fresh, read_and_check)
            table = kept or fresh  # not kept (a full disk): drafted all the same
        else:
            table = kept
    dataset = Dataset(source, "Public Health England", "COVID-19", PHE_METRICS[0], "MSOA")
    return CaseData(
        table, raw.origin, raw.release, geography.population, Level.NEIGHBOURHOOD,
        Measure.CASES, dataset,
    )  # fmt: skip


@register_source(BUNDLED)
class BundledSample(PheCsv):
    def fetch(self, patch: Patch, geography: Geography) -> RawData:
        from bot.sources.files import release_from_name

        folder = resources.files("bot") / "data" / "sample"
        sample = next(item for item in folder.iterdir() if item.name.endswith(".csv.gz"))
        release = release_from_name(sample.name)
        return RawData(sample.read_bytes(), "bundled sample", release, self.options.http.max_bytes)


@register_source(LOCATION)
class Location(PheCsv):
    """A CSV at a URL or in a file: the name is where it is."""

    def fetch(self, patch: Patch, geography: Geography) -> RawData:
        if self.name.startswith(("http://", "https://")):
            from bot.sources.fetching import fetch_url

            return fetch_url(self.name, self.options.http)
        from bot.sources.files import read_file

        return read_file(Path(self.name).expanduser(), self.options.http.max_bytes)


@register_source(PHE_API)
class PheApi(PheCsv):
    """One request per region, county or council covering the patch, joined into one CSV."""

    def fetch(self, patch: Patch, geography: Geography) -> RawData:
        from bot.sources.downloads import bounded_session
        from bot.sources.fetching import fetch_url

        base = self.options.phe_api_url
        session = bounded_session()
        parts = [
            fetch_url(url, self.options.http, session)
            for url in api_urls(api_area_codes(geography, patch), base)
        ]
        return join_csvs(parts, f"PHE API ({base})")


def api_area_codes(geography: Geography, patch: Patch) -> list[str]:
    """The fewest region/county/council codes whose MSOAs cover exactly the patch, in the
    patch's order (the PHE API takes one areaCode per request, and throttled at 10 in 100
    seconds)."""
    position = {code: index for index, code in enumerate(patch.council_codes)}
    wanted = set(position)
    first: dict[str, int] = {}  # each code's earliest council in the patch
    for level in ("region", "utla"):
        councils: dict[str, set[str]] = {}
        for area in geography.areas:
            councils.setdefault(area.code_and_name(level)[0], set()).add(area.ltla_code)
        for code, members in sorted(councils.items()):
            if members <= wanted:
                first[code] = min(position[member] for member in members)
                wanted -= members
    first.update((code, position[code]) for code in wanted)
    return sorted(first, key=first.__getitem__)


def api_urls(area_codes: list[str], base_url: str) -> list[str]:
    """One request per area code: the API took a single areaCode per call."""
    urls = []
    for code in area_codes:
        query = [("areaType", "msoa"), ("areaCode", code)]
        query += [("metric", metric) for metric in PHE_METRICS]
        query.append(("format", "csv"))
        urls.append(f"{base_url}?{urlencode(query)}")
    return urls


def join_csvs(parts: list[RawData], origin: str) -> RawData:
    """Several API answers (one per area code) as one CSV with a single header."""
    content = parts[0].content.rstrip(b"\r\n")
    for part in parts[1:]:
        _header, _, body = part.content.partition(b"\n")
        if body.strip():
            content += b"\n" + body.rstrip(b"\r\n")
    releases = [part.release for part in parts if part.release is not None]
    release = max(releases) if releases else None
    return RawData(content + b"\n", origin, release, parts[0].max_bytes)
