"""The UK Health Security Agency's data dashboard: this week's figures by council, every Thursday.

Two sources, one parser (``ukhsa_rows``): ``ukhsa`` asks the live API (``ukhsa_api``) for the
patch's councils; ``ukhsa-sample`` is the real data for 259 councils, weeks beginning 2022-10-31
to 2023-10-30, bundled in ``bot/data/ukhsa/`` (built by ``scripts/build_ukhsa_sample.py``).

What the live source asks, for a patch of N councils (about N + 8 requests):

1. the topic's place in the tree (themes, then sub-themes, until one lists the topic), and that
   it has the geography type (each a clear error naming what exists when it does not);
2. the geographies the API has of that type: each council of the patch is its own geography,
   or, before the data caught up with a merger, every district merged into it (``councils``);
   a council with neither is not fetched at all ("no figures published");
3. the metrics of the first of those geographies: a metric that is not listed is an error
   naming the metrics that are, so a renamed metric is an alert, not silence;
4. the year of the newest figure (the first geography's last row: two small requests), then
   each geography's series for that year (one page), and the year before too when the newest
   year has fewer than two weeks.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import gzip
import json
from importlib import resources
from typing import TYPE_CHECKING, Any

from bot.cases import CaseData
from bot.errors import PatchbotError
from bot.geography import Geography, Patch, match_key
from bot.geography import councils as council_geography
from bot.sources import (
    BuiltinSource,
    RawData,
    SourceProfile,
    UkhsaOptions,
    register_source,
)
from bot.sources.ukhsa_rows import HEADLINE, load_deaths

if TYPE_CHECKING:  # requests is imported only when the live API is asked: drafting stays quick
    from bot.sources.ukhsa_api import Route, UkhsaClient

LIVE = "ukhsa"
SAMPLE = "ukhsa-sample"
SAMPLE_FOLDER = "ukhsa"  # bot/data/ukhsa/
PROFILE = SourceProfile(templates="ukhsa-deaths", sample=SAMPLE, run_days="thu", publisher="UKHSA")


class UkhsaDeaths(BuiltinSource):
    """What both UKHSA sources share: councils, the deaths templates, the parser."""

    geography = council_geography.NAME
    profile = PROFILE

    def parse(self, raw: RawData, geography: Geography, today: dt.date) -> CaseData:
        return load_deaths(raw, geography, today, self.kind)


@register_source(SAMPLE)
class UkhsaSample(UkhsaDeaths):
    def fetch(self, patch: Patch, geography: Geography) -> RawData:
        from bot.sources.files import release_from_name

        folder = resources.files("bot") / "data" / SAMPLE_FOLDER
        sample = next(item for item in folder.iterdir() if item.name.endswith(".json.gz"))
        content = gzip.decompress(sample.read_bytes())
        return RawData(content, "bundled UKHSA sample", release_from_name(sample.name))


@register_source(LIVE)
class UkhsaLive(UkhsaDeaths):
    def fetch(self, patch: Patch, geography: Geography) -> RawData:
        from bot.sources.ukhsa_api import UkhsaClient

        options = self.options.ukhsa
        client = UkhsaClient(options.api_url, self.options.http)
        route = find_route(client, options)
        listed = client.names(*route.names(), "geographies")
        names = [name for group in api_geographies(patch, listed).values() for name in group]
        if not names:
            raise PatchbotError(
                f"UKHSA API: none of the councils of {patch.name} has {options.topic} figures "
                f"by {options.geography_type}"
            )
        check_metric(client, route, names[0], options.metric)
        series = fetch_series(client, route, names, options.metric)
        document = {"route": dataclasses.asdict(route), "metric": options.metric,
                    "series": series}  # fmt: skip
        content = json.dumps(document, sort_keys=True, separators=(",", ":")).encode()
        return RawData(content, f"UKHSA API ({options.api_url})", None)


def find_route(client: UkhsaClient, options: UkhsaOptions) -> Route:
    """Where the topic is in the API's tree; an unknown topic or geography type is an error
    naming the ones that exist."""
    topics: list[str] = []
    for theme in client.names("themes", ""):
        for sub_theme in client.names("themes", theme, "sub_themes", ""):
            found = client.names("themes", theme, "sub_themes", sub_theme, "topics")
            if options.topic not in found:
                topics += found
                continue
            types = client.names("themes", theme, "sub_themes", sub_theme, "topics",
                                 options.topic, "geography_types")  # fmt: skip
            if options.geography_type not in types:
                raise PatchbotError(
                    f"PATCHBOT_UKHSA_GEOGRAPHY_TYPE: {options.geography_type!r} is not a "
                    f"geography type of {options.topic} in the UKHSA API; it has: "
                    f"{', '.join(types) or 'none'}"
                )
            from bot.sources.ukhsa_api import Route

            return Route(theme, sub_theme, options.topic, options.geography_type)
    raise PatchbotError(
        f"PATCHBOT_UKHSA_TOPIC: {options.topic!r} is not a topic of the UKHSA API at "
        f"{client.base_url}; topics: {', '.join(sorted(set(topics))) or 'none'}"
    )


def api_geographies(patch: Patch, listed: list[str]) -> dict[str, list[str]]:
    """For each council of the patch, the API geographies that make it up: itself, or else the
    districts merged into it since 2019 that the API has (the API's own spelling)."""
    spelled = {match_key(name): name for name in listed}
    merged = council_geography.predecessors()
    plan: dict[str, list[str]] = {}
    for council in patch.councils:
        # The API spells councils as ONS does ("Bristol, City of"), not as papers print them.
        official = council.ons_name or council.name
        own = spelled.get(match_key(official)) or spelled.get(match_key(council.code))
        if own is not None:
            plan[council.code] = [own]
            continue
        keys = [match_key(name) for name in merged.get(council.code, {}).values()]
        # A sum of some districts would understate the council: all of them, or none.
        complete = bool(keys) and all(key in spelled for key in keys)
        plan[council.code] = [spelled[key] for key in keys] if complete else []
    return plan


def check_metric(client: UkhsaClient, route: Route, geography: str, metric: str) -> None:
    metrics = client.names(*route.names(), "geographies", geography, "metrics")
    if metric not in metrics:
        raise PatchbotError(
            f"PATCHBOT_UKHSA_METRIC: the UKHSA API has no {metric!r} for {geography} "
            f"({route.topic}, {route.geography_type}); it has: {', '.join(metrics) or 'none'}"
        )


def fetch_series(
    client: UkhsaClient, route: Route, names: list[str], metric: str
) -> list[dict[str, Any]]:
    """Each geography's rows for the newest year with figures (the first geography's), with the
    year before when the newest has fewer than two weeks (this week's change needs last week)."""
    first = names[0]
    year = newest_year(client, series_url(client, route, first, metric))
    newest = _year(client, route, first, metric, year)
    years = [year - 1, year] if len({row.get("date") for row in newest}) < 2 else [year]
    series = []
    for name in names:
        rows: list[Any] = []
        for each in years:
            reuse = name == first and each == year
            rows += newest if reuse else _year(client, route, name, metric, each)
        series.append({"geography": name, "results": rows})
    return series


def newest_year(client: UkhsaClient, url: str) -> int:
    """The year of a series' newest row: the last of its rows, one to a page (two requests,
    whatever the date today)."""
    query: dict[str, str | int] = {"format": "json", "page_size": 1, **HEADLINE}
    first = client.get_json(url, query)
    count = first.get("count") if isinstance(first, dict) else None
    if not isinstance(count, int) or count < 0:
        raise PatchbotError(f"UKHSA API: {url} is not a page of a time series (no count)")
    if count == 0:
        raise PatchbotError(f"UKHSA API: {url} has no figures")
    last = client.get_json(url, {**query, "page": count})
    rows = last.get("results") if isinstance(last, dict) else None
    year = (
        rows[-1].get("year")
        if isinstance(rows, list) and rows and isinstance(rows[-1], dict)
        else None
    )
    if not isinstance(year, int) or isinstance(year, bool):
        raise PatchbotError(f"UKHSA API: {url}: the newest row has no year")
    return year


def series_url(client: UkhsaClient, route: Route, geography: str, metric: str) -> str:
    return client.url(*route.names(), "geographies", geography, "metrics", metric)


def _year(client: UkhsaClient, route: Route, geography: str, metric: str, year: int) -> list[Any]:
    return client.series(series_url(client, route, geography, metric), {"year": year, **HEADLINE})
