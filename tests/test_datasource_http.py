"""The HTTP client (bot.sources.fetching) against a fake PHE API speaking the real protocol."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest

from bot.errors import PatchbotError
from bot.geography import load_geography
from bot.sources import HttpPolicy, NoDataError, RawData, SourceOptions, open_source
from bot.sources.fetching import fetch_url
from bot.sources.phe import PHE_API, PHE_METRICS, api_urls
from tests.fakes.phe_api import FakePheApi
from tests.helpers import EXCERPT

DARLINGTON, HARTLEPOOL = "E06000005", "E06000001"
FAST = HttpPolicy(timeout=2, retries=2, backoff=0)


def url_for(api: FakePheApi, code: str = DARLINGTON) -> str:
    return api_urls([code], api.base_url)[0]


def fetch(source: str, patch: str, base_url: str = "http://127.0.0.1:9/") -> RawData:
    """What ``--source SOURCE --patch PATCH`` fetches."""
    geography = load_geography()
    opened = open_source(source, SourceOptions(http=FAST, phe_api_url=base_url))
    return opened.fetch(geography.resolve_patch(patch), geography)


def must_not_sleep(seconds: float) -> None:
    pytest.fail(f"asked to wait {seconds} s before retrying, expected no retry")


def excerpt_rows(column: str, *codes: str) -> bytes:
    """The excerpt's header plus its rows for each code in turn, as the API would send them."""
    lines = EXCERPT.read_bytes().splitlines(keepends=True)
    header = next(csv.reader(io.StringIO(lines[0].decode())))
    index = header.index(column)
    rows = [next(csv.reader(io.StringIO(line.decode())))[index] for line in lines[1:]]
    return lines[0] + b"".join(
        line for code in codes for line, row in zip(lines[1:], rows, strict=True) if row == code
    )


def test_fetch_follows_the_303_to_the_download(published: FakePheApi) -> None:
    url = url_for(published)
    raw = fetch_url(url, FAST)
    assert raw.content == excerpt_rows("LtlaCode", DARLINGTON)
    assert raw.release == dt.date(2020, 11, 30)  # from Content-Disposition
    assert raw.origin == url
    assert [r.path for r in published.requests] == ["/v2/data", "/downloads/msoa_2020-11-30.csv"]
    assert published.requests[1].query["areaCode"] == [DARLINGTON]
    assert published.requests[1].headers["Accept"] == "text/csv"


def test_release_comes_from_last_modified_without_content_disposition(api: FakePheApi) -> None:
    # 16:00 BST on 1 Oct 2020 is 15:00 GMT: still the 1st in the UK
    api.publish(EXCERPT.read_text(), release="2020-10-01", content_disposition=False)
    assert fetch_url(url_for(api), FAST).release == dt.date(2020, 10, 1)


def test_204_is_no_data_and_not_retried(api: FakePheApi) -> None:
    url = url_for(api)  # nothing published yet
    with pytest.raises(NoDataError, match="204 No Content") as caught:
        fetch_url(url, FAST, sleep=must_not_sleep)
    assert url in str(caught.value)
    assert len(api.requests) == 1


@pytest.mark.parametrize(
    ("column", "code"),
    [("regionCode", "E12000001"), ("UtlaCode", "E10000023"), ("LtlaCode", "E07000166")],
)
def test_the_fake_filters_by_region_utla_or_ltla(
    published: FakePheApi, column: str, code: str
) -> None:
    assert fetch_url(url_for(published, code), FAST).content == excerpt_rows(column, code)


def test_429_waits_the_retry_after_then_retries(published: FakePheApi) -> None:
    published.fail_next("429", retry_after=1)
    waits: list[float] = []
    raw = fetch_url(url_for(published), FAST, sleep=waits.append)
    assert raw.content == excerpt_rows("LtlaCode", DARLINGTON)
    assert waits == [1.0]
    first, retry, _download = published.requests
    assert first.path == retry.path == "/v2/data"
    assert first.query == retry.query


def test_server_errors_end_in_an_error_naming_url_attempts_and_status(
    published: FakePheApi,
) -> None:
    published.fail_next("500", times=3)
    url = url_for(published)
    waits: list[float] = []
    policy = HttpPolicy(timeout=2, retries=2, backoff=0.5)
    with pytest.raises(PatchbotError) as caught:
        fetch_url(url, policy, sleep=waits.append)
    message = str(caught.value)
    assert url in message
    assert "3 attempts" in message
    assert "HTTP 500" in message
    assert not isinstance(caught.value, NoDataError)
    assert waits == [0.5, 1.0]  # doubling backoff, not slept for real here
    assert len(published.requests) == 3


def test_truncated_download_is_retried(published: FakePheApi) -> None:
    published.fail_next("truncated", on="download")
    raw = fetch_url(url_for(published), FAST)
    assert raw.content == excerpt_rows("LtlaCode", DARLINGTON)
    paths = [r.path for r in published.requests]
    assert paths == ["/v2/data", "/downloads/msoa_2020-11-30.csv"] * 2  # the whole GET again


def test_truncated_every_time_is_an_error(published: FakePheApi) -> None:
    published.fail_next("truncated", times=3, on="download")
    with pytest.raises(PatchbotError, match=r"after 3 attempts: .*truncated"):
        fetch_url(url_for(published), FAST)


def test_no_answer_within_the_timeout_is_an_error(published: FakePheApi) -> None:
    published.fail_next("slow", times=2, delay=1.5)
    policy = HttpPolicy(timeout=0.2, retries=1, backoff=0)
    with pytest.raises(PatchbotError, match=r"after 2 attempts: no answer within 0.2 seconds"):
        fetch_url(url_for(published), policy)
    assert len(published.requests) == 2


def test_a_slow_answer_once_is_retried(published: FakePheApi) -> None:
    published.fail_next("slow", delay=1.5)
    policy = HttpPolicy(timeout=0.2, retries=1, backoff=0)
    assert fetch_url(url_for(published), policy).content == excerpt_rows("LtlaCode", DARLINGTON)


def test_a_dropped_connection_is_retried(published: FakePheApi) -> None:
    published.fail_next("drop", times=2)
    assert fetch_url(url_for(published), FAST).content == excerpt_rows("LtlaCode", DARLINGTON)
    assert len(published.requests) == 4


def test_a_client_error_fails_at_once(published: FakePheApi) -> None:
    url = published.root_url + "/v1/data?areaType=msoa"
    with pytest.raises(PatchbotError, match="answered HTTP 404") as caught:
        fetch_url(url, FAST, sleep=must_not_sleep)
    assert url in str(caught.value)
    assert len(published.requests) == 1


HTTP_DATE = "%a, %d %b %Y %H:%M:%S"


@pytest.mark.parametrize("zone", [None, " GMT", " -0000"])
def test_a_retry_after_beyond_max_wait_fails_at_once(
    published: FakePheApi, zone: str | None
) -> None:
    """Retry-After in seconds, as an HTTP date, and as a date with RFC 5322's "unknown" zone."""
    later = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=125)
    published.fail_next(
        "429", retry_after="120" if zone is None else later.strftime(HTTP_DATE) + zone
    )
    policy = HttpPolicy(timeout=2, retries=2, backoff=0, max_wait=60)
    with pytest.raises(PatchbotError, match=r"wait 12\d s, more than PATCHBOT_HTTP_MAX_WAIT=60"):
        fetch_url(url_for(published), policy, sleep=must_not_sleep)
    assert len(published.requests) == 1


def test_an_html_error_page_is_passed_on_for_validation_to_reject(published: FakePheApi) -> None:
    published.fail_next("html")
    assert fetch_url(url_for(published), FAST).content.startswith(b"<!DOCTYPE html>")


def test_phe_api_makes_one_request_per_area_and_joins_the_csvs(published: FakePheApi) -> None:
    raw = fetch(PHE_API, "Darlington, Hartlepool", published.base_url)
    assert raw.content == excerpt_rows("LtlaCode", DARLINGTON, HARTLEPOOL)
    assert raw.content.count(b"regionCode") == 1
    assert raw.release == dt.date(2020, 11, 30)
    assert published.base_url in raw.origin
    api_calls = [r for r in published.requests if r.path == "/v2/data"]
    assert len(api_calls) == 2
    for call, code in zip(api_calls, [DARLINGTON, HARTLEPOOL], strict=True):
        assert call.query == {
            "areaType": ["msoa"],
            "areaCode": [code],
            "metric": list(PHE_METRICS),
            "format": ["csv"],
        }


def test_fetch_an_http_url_as_given(published: FakePheApi) -> None:
    url = url_for(published, HARTLEPOOL)
    raw = fetch(url, "York")
    assert raw.content == excerpt_rows("LtlaCode", HARTLEPOOL)
    assert raw.origin == url


def test_a_new_release_is_served_while_running(published: FakePheApi) -> None:
    url = url_for(published)
    old_download = published.root_url + "/downloads/msoa_2020-11-30.csv?areaCode=" + DARLINGTON
    published.publish(EXCERPT.read_text().replace("2020-11-25", "2020-12-02"), release="2020-12-07")
    raw = fetch_url(url, FAST)
    assert raw.release == dt.date(2020, 12, 7)
    assert b"2020-12-02" in raw.content
    assert fetch_url(old_download, FAST).release == dt.date(2020, 11, 30)
