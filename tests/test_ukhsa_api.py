"""The UKHSA data dashboard API client against the fake API (real HTTP on 127.0.0.1, the real
``requests`` client): the protocol (names URL-encoded in the path, JSON asked for, pages
followed, year filters), and every fault ending in one clear error or a bounded retry."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from bot.errors import PatchbotError
from bot.sources import HttpPolicy, UkhsaOptions
from bot.sources.ukhsa import find_route
from bot.sources.ukhsa_api import FIREWALL, PAGE_SIZE, Pacer, Route, UkhsaClient
from tests.fakes.ukhsa_api import FakeUkhsaApi

FAST = HttpPolicy(timeout=2.0, retries=2, backoff=0.0, max_wait=5.0)
ROUTE = Route("infectious_disease", "respiratory", "COVID-19", "Lower Tier Local Authority")
NATION = Route("infectious_disease", "respiratory", "COVID-19", "Nation")
DEATHS = "COVID-19_deaths_ONSByWeek"


@pytest.fixture
def api() -> Iterator[FakeUkhsaApi]:
    with FakeUkhsaApi() as fake:
        yield fake


def client(
    api: FakeUkhsaApi, policy: HttpPolicy = FAST, waits: list[float] | None = None
) -> UkhsaClient:
    slept = waits if waits is not None else []
    return UkhsaClient(api.base_url, policy, sleep=slept.append, pacer=Pacer(sleep=slept.append))


def series_url(c: UkhsaClient, geography: str, route: Route = ROUTE, metric: str = DEATHS) -> str:
    return c.url(*route.names(), "geographies", geography, "metrics", metric)


def test_each_list_level_names_the_next_and_names_are_url_encoded(api: FakeUkhsaApi) -> None:
    c = client(api)
    assert find_route(c, UkhsaOptions()) == ROUTE
    geographies = c.names(*ROUTE.names(), "geographies")
    assert {"Stockton-on-Tees", "Redcar and Cleveland", "City of London"} <= set(geographies)
    assert c.names(*ROUTE.names(), "geographies", "Redcar and Cleveland", "metrics") == [DEATHS]
    paths = [r.path for r in api.requests]
    assert paths[:2] == ["/themes/", "/themes/infectious_disease/sub_themes/"]
    assert paths[-1] == (
        "/themes/infectious_disease/sub_themes/respiratory/topics/COVID-19/geography_types/"
        "Lower%20Tier%20Local%20Authority/geographies/Redcar%20and%20Cleveland/metrics"
    )
    for request in api.requests:  # JSON asked for, both ways the API understands
        assert request.headers["Accept"] == "application/json"
        assert request.query["format"] == ["json"]
        assert request.headers["User-Agent"].startswith("patchbot/")


def test_the_api_answers_html_unless_json_is_asked_for(api: FakeUkhsaApi) -> None:
    page = requests.get(api.base_url + "/themes/", timeout=5)
    assert page.status_code == 200
    assert page.headers["Content-Type"].startswith("text/html")
    assert requests.get(api.base_url + "/themes/?format=json", timeout=5).json()[0] == {
        "name": "infectious_disease",
        "link": f"{api.base_url}/themes/infectious_disease",
    }
    # The same routes under /v2; a route the API does not have is a 404.
    v2 = requests.get(api.base_url + "/v2/themes/", params={"format": "json"}, timeout=5)
    assert v2.json()[0]["name"] == "infectious_disease"
    assert requests.get(api.base_url + "/themes?format=json", timeout=5).status_code == 404


def test_a_series_comes_in_pages_oldest_first_and_every_page_is_followed(
    api: FakeUkhsaApi,
) -> None:
    c = client(api)
    url = series_url(c, "England", NATION, "COVID-19_cases_rateRollingMean")
    first = requests.get(url, params={"format": "json"}, timeout=5).json()
    assert first["count"] == 366
    assert len(first["results"]) == 5  # the API's default page size
    assert first["next"] == f"{url}?format=json&page=2"
    assert first["previous"] is None
    rows = c.series(url, {})  # 366 daily rows: two pages of at most 365
    assert len(rows) == 366
    assert [r["date"] for r in rows] == sorted(r["date"] for r in rows)
    pages = api.series_requests()[1:]
    assert [r.query.get("page") for r in pages] == [None, ["2"]]
    assert pages[0].query["page_size"] == [str(PAGE_SIZE)]


def test_a_year_filter_makes_a_weekly_series_one_page(api: FakeUkhsaApi) -> None:
    c = client(api)
    rows = c.series(series_url(c, "Stockton-on-Tees"), {"year": 2023, "stratum": "default"})
    expected = [r for r in api.rows("Stockton-on-Tees") if r["date"].startswith("2023")]
    assert rows == expected
    assert len(rows) == 44
    (request,) = api.series_requests()
    assert request.query["year"] == ["2023"]
    assert "page" not in request.query


def test_the_html_page_is_refused_in_one_line(api: FakeUkhsaApi) -> None:
    api.fail_next("html")
    with pytest.raises(PatchbotError) as error:
        client(api).names("themes", "")
    assert str(error.value) == (
        f"UKHSA API: {api.base_url}/themes/ answered an HTML page, not JSON: is "
        "PATCHBOT_UKHSA_API_URL the API (https://api.ukhsa-dashboard.data.gov.uk), not the "
        "dashboard's website?"
    )
    assert len(api.requests) == 1  # not retried: asking again gets the same page


def test_a_cut_json_body_is_refused_in_one_line(api: FakeUkhsaApi) -> None:
    api.fail_next("cut-json")
    c = client(api)
    with pytest.raises(
        PatchbotError, match=r"did not answer JSON \(44 bytes of application/json\)"
    ):
        c.series(series_url(c, "Darlington"), {"year": 2023})


def test_a_truncated_answer_is_retried_then_refused(api: FakeUkhsaApi) -> None:
    c = client(api)
    api.fail_next("truncated")
    assert len(c.series(series_url(c, "Darlington"), {"year": 2023})) == 44  # retried
    api.fail_next("truncated", times=3)
    with pytest.raises(PatchbotError) as error:
        c.series(series_url(c, "Darlington"), {"year": 2023})
    assert str(error.value).endswith(
        "failed after 3 attempts: the connection dropped mid-answer (truncated body)"
    )


def test_a_firewall_403_storm_is_retried_with_backoff_then_one_clear_error(
    api: FakeUkhsaApi,
) -> None:
    waits: list[float] = []
    c = client(api, HttpPolicy(timeout=2.0, retries=3, backoff=0.5, max_wait=60), waits)
    api.fail_next("403", times=10)
    with pytest.raises(PatchbotError) as error:
        c.names("themes", "")
    assert (
        str(error.value) == f"UKHSA API: {api.base_url}/themes/ failed after 4 attempts: {FIREWALL}"
    )
    assert waits == [0.5, 1.0, 2.0]  # backoff doubling, bounded by the retries
    assert len(api.requests) == 4


def test_429_waits_as_asked_and_500_is_retried(api: FakeUkhsaApi) -> None:
    waits: list[float] = []
    c = client(api, waits=waits)
    api.fail_next("429", retry_after=3)
    api.fail_next("500")
    assert c.names("themes", "") == ["infectious_disease"]
    assert waits == [3.0, 0.0]
    api.fail_next("429", retry_after=600)
    with pytest.raises(
        PatchbotError, match=r"asks to wait 600 s, more than PATCHBOT_HTTP_MAX_WAIT=5"
    ):
        c.names("themes", "")


def test_a_slow_answer_times_out_and_is_asked_again(api: FakeUkhsaApi) -> None:
    c = client(api, HttpPolicy(timeout=0.3, retries=1, backoff=0.0))
    api.fail_next("slow", delay=2.0)
    assert c.names("themes", "") == ["infectious_disease"]
    api.fail_next("slow", times=2, delay=2.0)
    with pytest.raises(PatchbotError, match=r"failed after 2 attempts: no answer within 0.3 s"):
        c.names("themes", "")


def test_a_next_page_off_the_api_is_not_followed(api: FakeUkhsaApi) -> None:
    c = client(api)
    with pytest.raises(PatchbotError, match=r"the next page is not on the API: 'http://evil"):
        c._next("http://x", "http://evil.example/steal?page=2")


def test_unknown_topic_and_geography_type_name_what_exists(api: FakeUkhsaApi) -> None:
    c = client(api)
    with pytest.raises(PatchbotError) as error:
        find_route(c, UkhsaOptions(topic="COVID-91"))
    assert str(error.value) == (
        f"PATCHBOT_UKHSA_TOPIC: 'COVID-91' is not a topic of the UKHSA API at {api.base_url}; "
        "topics: COVID-19, Influenza"
    )
    with pytest.raises(PatchbotError) as error:
        find_route(c, UkhsaOptions(geography_type="Upper Tier Local Authority"))
    assert str(error.value) == (
        "PATCHBOT_UKHSA_GEOGRAPHY_TYPE: 'Upper Tier Local Authority' is not a geography type of "
        "COVID-19 in the UKHSA API; it has: Lower Tier Local Authority, Nation"
    )


def test_the_pacer_keeps_a_process_under_the_firewall_limit() -> None:
    now = [0.0]
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        now[0] += seconds

    pacer = Pacer(limit=3, window=300.0, clock=lambda: now[0], sleep=sleep)
    for second in (0.0, 1.0, 2.0):
        now[0] = second
        pacer.wait_turn()
    assert waits == []
    now[0] = 10.0
    pacer.wait_turn()  # a fourth request within five minutes waits for the first to age out
    assert waits == [290.0]
    now[0] = 400.0
    pacer.wait_turn()
    assert waits == [290.0]
