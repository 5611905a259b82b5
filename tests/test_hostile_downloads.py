"""Downloads and files are bounded (issue 12): a gzip bomb, an endless body, a server that
drips its headers or body, a FIFO and /dev/zero all end in one line naming the limit, the
setting or the file, against the hostile fake on 127.0.0.1 and real files."""

from __future__ import annotations

import gzip
import os
import tracemalloc
from pathlib import Path

import pytest

from bot.errors import PatchbotError
from bot.sources.files import GunzipStream
from tests.fakes.hostile_http import HostileHttp, gzip_bomb
from tests.helpers import EXCERPT, Run, one_clear_line

LIMITS = {
    "PATCHBOT_MAX_SOURCE_MB": "8",  # the bomb inflates to 64 MB
    "PATCHBOT_HTTP_DEADLINE": "1",
    "PATCHBOT_HTTP_TIMEOUT": "5",  # longer than the drip: only the deadline can stop it
    "PATCHBOT_HTTP_RETRIES": "0",
}


def draft_from(run_cli: Run, source: str, **settings: str) -> str:
    return one_clear_line(run_cli("draft", "--source", source, env={**LIMITS, **settings}))


@pytest.mark.parametrize("path", ["/gzip-bomb", "/file-bomb.csv.gz", "/endless"])
def test_a_body_past_the_size_limit_stops_there(
    run_cli: Run, hostile: HostileHttp, path: str
) -> None:
    message = draft_from(run_cli, hostile.url(path))
    assert message.startswith(f"source: {hostile.url(path)}: larger than ") or message.startswith(
        f"{hostile.url(path)}: larger than "
    )
    assert "PATCHBOT_MAX_SOURCE_MB=8 MB (stopped reading there)" in message


@pytest.mark.parametrize("path", ["/slow-headers", "/slow-body"])
def test_a_server_dripping_bytes_is_cut_off_at_the_deadline(
    run_cli: Run, hostile: HostileHttp, path: str
) -> None:
    message = draft_from(run_cli, hostile.url(path))
    assert message == (
        f"source: {hostile.url(path)} sent no complete answer within PATCHBOT_HTTP_DEADLINE=1 "
        "seconds (a stalled or very slow server)"
    )
    assert len(hostile.requests) == 1  # a deadline is not retried


def test_a_redirect_to_a_host_no_resolver_takes_is_one_line(
    run_cli: Run, hostile: HostileHttp
) -> None:
    # urllib3 finds an empty label only when connecting: it was an internal error (exit 70)
    source = hostile.url("/bad-redirect/x.csv.gz")
    assert draft_from(run_cli, source) == f"source: cannot fetch {source}: LocationParseError"
    settings = {**LIMITS, "PATCHBOT_UKHSA_API_URL": hostile.url("/bad-redirect")}
    message = one_clear_line(run_cli("draft", "--source", "ukhsa", env=settings))
    assert message.startswith(f"UKHSA API: cannot fetch {hostile.url('/bad-redirect')}/")
    assert message.endswith(": LocationParseError")


def test_a_gzip_file_inflating_past_the_limit_is_refused(run_cli: Run, tmp_path: Path) -> None:
    bomb = tmp_path / "msoa_2020-11-30.csv.gz"
    bomb.write_bytes(b"".join(gzip_bomb(64)))
    assert bomb.stat().st_size < 1024 * 1024
    message = draft_from(run_cli, str(bomb))
    assert message == (
        f"{bomb}: larger than PATCHBOT_MAX_SOURCE_MB=8 MB (stopped reading there): not the file "
        "Patchbot expects, or raise the setting"
    )


def test_a_gzip_file_within_the_limit_is_read(run_cli: Run, tmp_path: Path) -> None:
    packed = tmp_path / "msoa_2020-11-30.csv.gz"
    # Two gzip members one after the other, as `cat a.gz b.gz` makes: one file to gzip.
    header, _, rows = EXCERPT.read_bytes().partition(b"\n")
    packed.write_bytes(gzip.compress(header + b"\n") + gzip.compress(rows))
    done = run_cli("draft", "--source", str(packed), "--patch", "York", env=LIMITS)
    assert done.exit_code == 0, done.stderr
    assert "5 stories drafted for York" in done.stderr


def test_a_file_larger_than_the_limit_is_refused_before_reading(
    run_cli: Run, tmp_path: Path
) -> None:
    big = tmp_path / "msoa_2020-11-30.csv"
    with big.open("wb") as handle:
        handle.truncate(9 * 1024 * 1024)  # sparse: nine megabytes that take no room
    assert draft_from(run_cli, str(big)).startswith(f"source: {big}: larger than ")


@pytest.mark.parametrize("kind", ["fifo", "device"])
def test_only_regular_files_are_read(run_cli: Run, tmp_path: Path, kind: str) -> None:
    if kind == "fifo":
        source = tmp_path / "msoa.csv"
        os.mkfifo(source)  # no writer: reading it would wait for ever
    else:
        source = Path("/dev/zero")  # never ends
    assert draft_from(run_cli, str(source)) == (
        f"source: {source} is not a regular file (a pipe, a device or a folder): give a .csv "
        "or .csv.gz file"
    )


@pytest.mark.parametrize("path", ["/slow-body", "/endless"])
def test_the_ukhsa_client_is_bounded_too(run_cli: Run, hostile: HostileHttp, path: str) -> None:
    settings = {**LIMITS, "PATCHBOT_UKHSA_API_URL": hostile.url(path)}
    message = one_clear_line(run_cli("draft", "--source", "ukhsa", env=settings))
    assert message.startswith(f"UKHSA API: {hostile.url(path)}/")
    if path == "/endless":
        assert "answered more than 8 MB" in message
    else:
        assert message.endswith(
            "sent no complete answer within PATCHBOT_HTTP_DEADLINE=1 seconds (a stalled or very "
            "slow server)"
        )


def test_a_line_longer_than_arrow_reads_at_once_is_one_line(run_cli: Run, tmp_path: Path) -> None:
    endless_line = tmp_path / "msoa_2020-11-30.csv.gz"
    endless_line.write_bytes(
        gzip.compress(EXCERPT.read_bytes().split(b"\n")[0] + b"\n" + b"0" * 4_000_000)
    )
    assert draft_from(run_cli, str(endless_line)) == (
        f"{endless_line}: not a readable CSV: a line longer than 1 MB (PHE's lines are under 300 "
        "characters)"
    )


def inflate(content: bytes, limit: int = 64 * 2**20) -> bytes:
    stream, buffer, out = GunzipStream(content, "FILE", limit), memoryview(bytearray(2**20)), []
    while count := stream.readinto(buffer):
        out.append(bytes(buffer[:count]))
    return b"".join(out)


def test_a_gzip_file_is_fed_to_zlib_piece_by_piece_never_copied_whole() -> None:
    noise = os.urandom(8 * 2**20)  # incompressible: 8 MB compressed
    stream, buffer = GunzipStream(gzip.compress(noise, 1), "FILE", 64 * 2**20), bytearray(2**20)
    tracemalloc.start()
    try:
        while stream.readinto(memoryview(buffer)):
            pass
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 2 * 2**20  # a piece or two of it at a time, not the 8 MB remainder per read


def test_gzip_members_one_after_another_padding_and_cut_files() -> None:
    text = EXCERPT.read_bytes()
    whole = gzip.compress(text)
    assert inflate(gzip.compress(text[:500]) + b"\x00" * 3 + gzip.compress(text[500:])) == text
    assert inflate(whole + b"not gzip") == text  # what follows the last member is ignored
    for cut in (10, len(whole) // 2, len(whole) - 4):
        with pytest.raises(PatchbotError, match=r"^FILE: damaged gzip file$"):
            inflate(whole[:cut])
    with pytest.raises(PatchbotError, match=r"^FILE: larger than PATCHBOT_MAX_SOURCE_MB="):
        inflate(whole, limit=len(text) - 1)


def test_a_header_without_phes_columns_is_refused_before_the_rows_are_read(
    run_cli: Run, tmp_path: Path
) -> None:
    bomb = tmp_path / "msoa_2020-11-30.csv.gz"  # inflates to 64 MB under a header of 3 columns
    bomb.write_bytes(gzip.compress(b"regionCode,areaCode,date\n" + b"0,0,0\n" * 11_000_000, 9))
    assert draft_from(run_cli, str(bomb)) == (  # read first, it would pass the 8 MB limit
        f"{bomb}: missing column(s): regionName, UtlaCode, UtlaName, LtlaCode, LtlaName, "
        "areaType, areaName, newCasesBySpecimenDateRollingSum, newCasesBySpecimenDateRollingRate,"
        " newCasesBySpecimenDateChange, newCasesBySpecimenDateChangePercentage"
    )
