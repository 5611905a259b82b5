"""Data sources: where the figures come from, each one module behind the ``Source`` protocol.

A source fetches its raw bytes (saying what release they are) and parses them, with its own
checks and its own notion of a suppressed or missing figure, into the tidy table of
``bot.cases``. Sources register a factory by name (``register_source``), so ``--source NAME``,
``PATCHBOT_SOURCE`` and the service find them without knowing any of them; a ``--source`` that
is no registered name is a location (a URL or a file) for the ``LOCATION`` source.

A source may also say, as a class attribute ``profile`` (a ``SourceProfile``), which folder of
story templates speaks its data's language, which bundled source the templates check renders
them with, and on which days its publisher releases; a source without one is drafted with the
templates for PHE's cases (``profile_of``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from bot.cases import CaseData
from bot.errors import PatchbotError
from bot.geography import Geography, Patch
from bot.registry import Registry

DEFAULT_SOURCE = "bundled"
LOCATION = "phe-csv"  # a URL or a file path given as --source


class NoDataError(PatchbotError):
    """The source answered, but has no data yet (PHE's API said 204 No Content)."""


MEGABYTE = 1024 * 1024


@dataclass(frozen=True)
class RawData:
    content: bytes
    origin: str  # where it came from, for messages: a path, a URL, "bundled sample"
    release: dt.date | None  # the publication date, where the source gives one
    max_bytes: int = 512 * MEGABYTE  # the most it may hold once decompressed


@dataclass(frozen=True)
class HttpPolicy:
    timeout: float = 30.0
    retries: int = 3
    backoff: float = 2.0  # seconds before the first retry, doubling each time
    max_wait: float = 300.0  # the longest Retry-After Patchbot will sit out
    deadline: float = 600.0  # seconds for one whole download, however the server dribbles
    max_bytes: int = 512 * MEGABYTE  # the largest source, decompressed (PHE's was ~100 MB)


@dataclass(frozen=True)
class UkhsaOptions:
    """Which series of the UKHSA data dashboard API to draft from (``bot.sources.ukhsa``)."""

    api_url: str = "https://api.ukhsa-dashboard.data.gov.uk"
    topic: str = "COVID-19"
    metric: str = "COVID-19_deaths_ONSByWeek"  # the one COVID-19 metric published by council
    geography_type: str = "Lower Tier Local Authority"


@dataclass(frozen=True)
class SourceOptions:
    """What sources may need from the settings."""

    http: HttpPolicy = field(default_factory=HttpPolicy)
    phe_api_url: str = "https://api.coronavirus.data.gov.uk/v2/data"
    ukhsa: UkhsaOptions = field(default_factory=UkhsaOptions)
    # Where tables checked once are kept for later runs on the same release (None: nowhere).
    checked_dir: Path | None = None


@dataclass(frozen=True)
class SourceProfile:
    """What the stories and the service need to know about a source's kind of data."""

    templates: str = ""  # the subfolder of PATCHBOT_TEMPLATES_DIR with its stories ("": itself)
    sample: str = DEFAULT_SOURCE  # the bundled source the templates check renders them with
    run_days: str = "mon-fri"  # when its publisher releases: the default PATCHBOT_RUN_DAYS
    publisher: str = "PHE"  # how ops alerts name whoever publishes it ("no new PHE data")


def profile_of(source: object) -> SourceProfile:
    """A source's (or a source factory's) profile; PHE's cases when it declares none."""
    profile = getattr(source, "profile", None)
    return profile if isinstance(profile, SourceProfile) else SourceProfile()


class Source(Protocol):
    """One kind of data: fetch it for a patch, then parse it into the tidy table."""

    @property
    def name(self) -> str:
        """How logs and the ledger name the source ("bundled", "phe-api", a URL...)."""

    @property
    def geography(self) -> str:
        """The registered geography its areas belong to (``bot.geography``)."""

    def fetch(self, patch: Patch, geography: Geography) -> RawData:
        """The raw data covering at least ``patch``; raises NoDataError when there is none
        yet, PatchbotError on any other failure."""

    def parse(self, raw: RawData, geography: Geography, today: dt.date) -> CaseData:
        """The validated tidy table, or a PatchbotError naming the first problem."""


class BuiltinSource:
    """What the built-in sources share: the name ``--source`` gave and the options; each
    subclass says where its bytes come from (``fetch``) and how to read them (``parse``)."""

    def __init__(self, name: str, options: SourceOptions) -> None:
        self.name = name
        self.options = options

    @property
    def kind(self) -> str:
        """The registered source it is: its name, or ``LOCATION`` for a URL or a file."""
        return self.name if self.name in SOURCES else LOCATION

    def fetch(self, patch: Patch, geography: Geography) -> RawData:
        raise NotImplementedError


SourceFactory = Callable[[str, SourceOptions], Source]  # (--source as given, options)
SOURCES: Registry[SourceFactory] = Registry("source")
register_source = SOURCES.register


def open_source(spec: str | None, options: SourceOptions) -> Source:
    """The source ``--source`` names: a registered name, else a URL or file (``LOCATION``)."""
    spec = spec or DEFAULT_SOURCE
    factory = SOURCES.get(spec) or SOURCES[LOCATION]
    return factory(spec, options)


def profiles() -> list[SourceProfile]:
    """The profile of every registered source, each once: one per templates folder."""
    found: dict[str, SourceProfile] = {}
    for factory in SOURCES.values():
        profile = profile_of(factory)
        found.setdefault(profile.templates, profile)
    return list(found.values())


def run_days_for(spec: str | None) -> str:
    """The run days of the source ``--source``/``PATCHBOT_SOURCE`` names (PHE's for a location)."""
    return profile_of(SOURCES.get(spec or DEFAULT_SOURCE)).run_days


# The built-in sources register themselves on import.
from bot.sources import phe, ukhsa  # noqa: E402, F401
