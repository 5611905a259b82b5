"""Settings from the environment and a ``.env`` file (the environment wins).

Every setting is documented in ``config.example.env``; a bad value is a PatchbotError naming it.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

from dotenv import dotenv_values

from bot.errors import PatchbotError
from bot.geography import PATCH_NAME_LIMIT
from bot.render_limits import RenderLimits
from bot.rendering import DEFAULT_TEMPLATES_DIR
from bot.sources import MEGABYTE, HttpPolicy, SourceOptions, UkhsaOptions, run_days_for
from bot.state import default_state_dir

T = TypeVar("T")
SLACK_API_URL = "https://slack.com/api/"


class SlackMode(StrEnum):
    """How ``patchbot run`` hears reporters' clicks (``PATCHBOT_SLACK_MODE``)."""

    SOCKET = "socket"  # Socket Mode, with the app-level token: no public URL
    HTTP = "http"  # Slack's requests to PATCHBOT_SLACK_PORT, signed with the signing secret


@dataclass(frozen=True)
class Settings:
    source: str | None
    patch: str | None
    templates_dir: Path
    phe_api_url: str
    http: HttpPolicy
    state_dir: Path
    ukhsa: UkhsaOptions = field(default_factory=UkhsaOptions)  # which UKHSA series, and where
    slack_token: str | None = field(default=None, repr=False)  # a secret: never printed
    slack_channel: str | None = None
    slack_ops_channel: str | None = None
    slack_api_url: str = SLACK_API_URL
    story_channels: dict[str, str] = field(default_factory=dict)  # SLACK_CHANNEL_<STORY>
    # Slack calls: seconds to wait for an answer; how many times to retry one that failed
    # on Slack's side, waiting slack_backoff seconds before the first retry (doubling); the
    # longest wait (Retry-After or backoff) Patchbot accepts.
    slack_timeout: float = 30.0
    slack_retries: int = 2
    slack_backoff: float = 2.0
    slack_max_wait: float = HttpPolicy().max_wait
    desks_file: Path | None = None  # PATCHBOT_DESKS: one Patchbot serving several desks
    # `patchbot run`: when to look for a new release (UK time), on which days (a cron
    # day-of-week expression; default: the source's, mon-fri for PHE, thu for UKHSA), how
    # often to look again, and until when.
    run_at: dt.time = dt.time(16)
    run_days: str = "mon-fri"
    poll_minutes: float = 5.0
    poll_until: dt.time = dt.time(20)
    patch_name: str | None = None  # the patch's short name for headlines and intros
    # Reporters' review in Slack (bot.review): Socket Mode with an app-level token, or HTTP
    # with the signing secret, on a port; either one puts the review buttons under drafts.
    slack_app_token: str | None = field(default=None, repr=False)  # a secret: never printed
    slack_signing_secret: str | None = field(default=None, repr=False)  # a secret too
    slack_mode: SlackMode | None = None  # None: socket with an app token, else http
    slack_port: int = 3000

    @property
    def slack_interactive(self) -> bool:
        """Whether drafts carry review buttons (an app token or a signing secret is set)."""
        return bool(self.slack_app_token or self.slack_signing_secret)

    render: RenderLimits = field(default_factory=RenderLimits)  # each story's time and length

    @classmethod
    def load(
        cls,
        env_file: Path | None = None,
        environ: Mapping[str, str] | None = None,
        service: bool = False,
        source: str | None = None,
    ) -> Settings:
        """Read ``env_file`` (default: ``.env`` in the current folder, if there is one);
        ``source`` (a command's ``--source``) overrides PATCHBOT_SOURCE, and with it the
        default run days. A bad value is one line naming the setting and what it takes; a bad
        service-only setting (``SPECS[name].service``) stops only the service
        (``service=True``), not ``draft``."""
        values = read_values(env_file, environ)
        problems = bad_values(values)
        for name, problem in problems.items():
            if service or not SPECS[name].service:
                raise PatchbotError(problem)

        def get(name: str, default: T) -> T:
            raw = values.get(name, "").strip()
            if not raw or name in problems:
                return default
            parsed: T = SPECS[name].parse(raw)
            return parsed

        defaults = HttpPolicy()
        ukhsa = UkhsaOptions()
        source = source or values.get("PATCHBOT_SOURCE") or None
        story_channels = {
            name.removeprefix(STORY_CHANNEL).lower(): value.strip()
            for name, value in values.items()
            if name.startswith(STORY_CHANNEL) and value.strip()
        }
        return cls(
            source=source,
            patch=values.get("PATCHBOT_PATCH") or None,
            templates_dir=get("PATCHBOT_TEMPLATES_DIR", DEFAULT_TEMPLATES_DIR),
            phe_api_url=get("PATCHBOT_PHE_API_URL", SourceOptions().phe_api_url),
            http=HttpPolicy(
                timeout=get("PATCHBOT_HTTP_TIMEOUT", defaults.timeout),
                retries=get("PATCHBOT_HTTP_RETRIES", defaults.retries),
                backoff=get("PATCHBOT_HTTP_BACKOFF", defaults.backoff),
                max_wait=get("PATCHBOT_HTTP_MAX_WAIT", defaults.max_wait),
                deadline=get("PATCHBOT_HTTP_DEADLINE", defaults.deadline),
                max_bytes=get("PATCHBOT_MAX_SOURCE_MB", defaults.max_bytes // MEGABYTE) * MEGABYTE,
            ),
            state_dir=get("PATCHBOT_STATE_DIR", default_state_dir()),
            ukhsa=UkhsaOptions(
                api_url=get("PATCHBOT_UKHSA_API_URL", ukhsa.api_url),
                topic=get("PATCHBOT_UKHSA_TOPIC", ukhsa.topic),
                metric=get("PATCHBOT_UKHSA_METRIC", ukhsa.metric),
                geography_type=get("PATCHBOT_UKHSA_GEOGRAPHY_TYPE", ukhsa.geography_type),
            ),
            slack_token=_token(values.get("SLACK_BOT_TOKEN", "")),
            slack_channel=values.get("SLACK_CHANNEL", "").strip() or None,
            slack_ops_channel=values.get("SLACK_OPS_CHANNEL", "").strip() or None,
            slack_api_url=get("SLACK_API_URL", SLACK_API_URL),
            story_channels=story_channels,
            slack_timeout=get("SLACK_TIMEOUT", cls.slack_timeout),
            slack_retries=get("SLACK_RETRIES", cls.slack_retries),
            slack_backoff=get("SLACK_BACKOFF", cls.slack_backoff),
            slack_max_wait=get("SLACK_MAX_WAIT", get("PATCHBOT_HTTP_MAX_WAIT", defaults.max_wait)),
            desks_file=get("PATCHBOT_DESKS", None),
            run_at=get("PATCHBOT_RUN_AT", dt.time(16)),
            run_days=get("PATCHBOT_RUN_DAYS", run_days_for(source)),
            poll_minutes=get("PATCHBOT_POLL_MINUTES", 5.0),
            poll_until=get("PATCHBOT_POLL_UNTIL", dt.time(20)),
            patch_name=checked_patch_name(values.get("PATCHBOT_PATCH_NAME"), "PATCHBOT_PATCH_NAME"),
            slack_app_token=_app_token(values.get("SLACK_APP_TOKEN", "")),
            slack_signing_secret=values.get("SLACK_SIGNING_SECRET", "").strip() or None,
            slack_mode=get("PATCHBOT_SLACK_MODE", None),
            slack_port=get("PATCHBOT_SLACK_PORT", cls.slack_port),
            render=RenderLimits(
                seconds=get("PATCHBOT_RENDER_SECONDS", RenderLimits.seconds),
                max_chars=get("PATCHBOT_RENDER_MAX_CHARS", RenderLimits.max_chars),
            ),
        )


def read_values(env_file: Path | None, environ: Mapping[str, str] | None) -> dict[str, str]:
    """The settings file's values, overridden by the environment's."""
    path = env_file or Path(".env")
    if env_file is not None and not env_file.is_file():
        raise PatchbotError(f"--env-file: no such file: {env_file}")
    try:
        values = {k: v for k, v in dotenv_values(path).items() if v is not None}
    except UnicodeDecodeError:
        raise PatchbotError(
            f"{path}: not UTF-8 text: save the settings file as UTF-8 (plain text)"
        ) from None
    for name, value in values.items():
        if "\0" in value:  # no path or setting takes one, and the OS refuses it in a path
            raise PatchbotError(f"{path}: {name} has a NUL character in its value: remove it")
    values.update(os.environ if environ is None else environ)
    return values


def bad_values(values: Mapping[str, str]) -> dict[str, str]:
    """Each setting whose value does not parse, with one line saying what it takes."""
    problems = {}
    for name, spec in SPECS.items():
        raw = values.get(name, "").strip()
        if not raw:
            continue
        try:
            spec.parse(raw)
        except ValueError:
            problems[name] = f"{name}: not a valid value: {raw!r}; expected {spec.expected}"
    return problems


_BOT_TOKEN = re.compile(r"xoxb-[A-Za-z0-9-]+")
BAD_TOKEN = (
    "SLACK_BOT_TOKEN: not a Slack bot token: it should start with xoxb- and have no spaces or "
    "line breaks (the Bot User OAuth Token, README 'Slack setup')"
)


def _token(raw: str) -> str | None:
    """A bot token's shape (never its value) is checked before anything is sent: a user or
    app token, or one with a space or line break pasted into it, is refused."""
    token = raw.strip()
    if token and not _BOT_TOKEN.fullmatch(token):
        raise PatchbotError(BAD_TOKEN)
    return token or None


_APP_TOKEN = re.compile(r"xapp-[A-Za-z0-9-]+")


def _app_token(raw: str) -> str | None:
    """An app-level token's shape (never its value) is checked, as the bot token's is."""
    token = raw.strip()
    if token and not _APP_TOKEN.fullmatch(token):
        raise PatchbotError(
            "SLACK_APP_TOKEN: not a Slack app-level token: it should start with xapp- and have "
            "no spaces or line breaks (README 'Review in Slack')"
        )
    return token or None


def checked_patch_name(raw: str | None, setting: str) -> str | None:
    """A patch's short name as given (setting or option), or None when none is given."""
    if raw is None or not raw.strip():
        return None
    name = " ".join(raw.split())
    if len(name) > PATCH_NAME_LIMIT or not name.isprintable():
        raise PatchbotError(
            f"{setting}: a short name for headlines, at most {PATCH_NAME_LIMIT} characters on "
            f'one line (e.g. "Greater Manchester"), got {raw!r}'
        )
    return name


def _clock(raw: str) -> dt.time:
    """A time of day, HH:MM or HH:MM:SS (UK time)."""
    if not re.fullmatch(r"\d{1,2}:\d{2}(:\d{2})?", raw):
        raise ValueError(raw)
    hour, minute, second = (int(part) for part in f"{raw}:0".split(":")[:3])
    return dt.time(hour, minute, second)


def _days(raw: str) -> str:
    """Days by name, e.g. mon-fri, mon,wed,fri or * (every day). Numbers are refused: cron
    counts Sunday as 0, APScheduler counts Monday as 0."""
    value = raw.lower().replace(" ", "")
    day = "(?:mon|tue|wed|thu|fri|sat|sun)"
    if not all(re.fullmatch(rf"\*|{day}(?:-{day})?", part) for part in value.split(",")):
        raise ValueError(raw)
    return value


def _name(raw: str) -> str:
    """A name as the UKHSA API spells it ("COVID-19", "Lower Tier Local Authority")."""
    if len(raw) > 100 or not raw.isprintable():
        raise ValueError(raw)
    return raw


def _path(raw: str) -> Path:
    return Path(raw).expanduser()


def _http_url(raw: str) -> str:
    """An http(s) URL with a host the resolver can take and a port in range: refused here
    with the setting's name, not at the first call as an internal error."""
    parts = urlsplit(raw)
    if not raw.startswith(("http://", "https://")) or not parts.hostname:
        raise ValueError(raw)
    _ = parts.port  # out of range or not a number: ValueError
    parts.hostname.encode("idna")  # an empty or over-long label: UnicodeError, a ValueError
    return raw


def _base_url(raw: str) -> str:
    url = _http_url(raw)
    return url if url.endswith("/") else url + "/"  # slack-sdk appends method names


def _non_negative(raw: str) -> float:
    value = float(raw)
    if not 0 <= value < math.inf:  # also refuses nan and inf
        raise ValueError(raw)
    return value


def _positive(raw: str) -> float:
    value = _non_negative(raw)
    if value == 0:
        raise ValueError(raw)
    return value


MAX_SECONDS = 86_400  # a day: more is a typo, and Python's clocks and timers overflow on 1e10


def _seconds(raw: str) -> float:
    value = _positive(raw)
    if value > MAX_SECONDS:
        raise ValueError(raw)
    return value


def _whole_positive(raw: str) -> int:
    value = _count(raw)
    if value == 0:
        raise ValueError(raw)
    return value


def _count(raw: str) -> int:
    value = int(raw)
    if value < 0:
        raise ValueError(raw)
    return value


@dataclass(frozen=True)
class Spec:
    """How one setting is read: its parser, what it takes in words (format and range, for
    the one-line error), and whether only the service (``run``, ``status``) uses it."""

    parse: Callable[[str], Any]
    expected: str
    service: bool = False


def _text(raw: str) -> str:
    return raw


def _mode(raw: str) -> SlackMode:
    return SlackMode(raw.lower())  # anything else: ValueError, reported with the setting


def _port(raw: str) -> int:
    value = int(raw)
    if not 0 <= value <= 65535:
        raise ValueError(raw)
    return value


SECONDS = "seconds, above 0 and at most 86400, a day (e.g. {})"
SPECS: dict[str, Spec] = {
    "PATCHBOT_SOURCE": Spec(_text, "bundled, phe-api, an http(s):// URL or a .csv/.csv.gz file"),
    "PATCHBOT_PATCH": Spec(_text, "a preset, or councils by name or code, comma-separated"),
    "PATCHBOT_PATCH_NAME": Spec(_text, "a short name for headlines, at most 40 characters "
                                "(e.g. Greater Manchester)"),
    "PATCHBOT_TEMPLATES_DIR": Spec(_path, "a folder made by: patchbot templates init FOLDER"),
    "PATCHBOT_PHE_API_URL": Spec(_http_url, "an http:// or https:// URL"),
    "PATCHBOT_HTTP_TIMEOUT": Spec(_seconds, SECONDS.format(30)),
    "PATCHBOT_HTTP_RETRIES": Spec(_count, "a whole number, 0 or more (e.g. 3)"),
    "PATCHBOT_HTTP_BACKOFF": Spec(_non_negative, "seconds, a number 0 or more (e.g. 2)"),
    "PATCHBOT_HTTP_MAX_WAIT": Spec(_non_negative, "seconds, a number 0 or more (e.g. 300)"),
    "PATCHBOT_HTTP_DEADLINE": Spec(_seconds, SECONDS.format(600)),
    "PATCHBOT_MAX_SOURCE_MB": Spec(_whole_positive, "megabytes, a whole number above 0 (e.g. 512)"),
    "PATCHBOT_RENDER_SECONDS": Spec(_seconds, SECONDS.format(5)),
    "PATCHBOT_RENDER_MAX_CHARS": Spec(_whole_positive, "characters, a whole number above 0 "
                                      "(e.g. 400000)"),
    "PATCHBOT_STATE_DIR": Spec(_path, "a folder Patchbot can write to"),
    "PATCHBOT_DESKS": Spec(_path, "a desks file (README, 'Desks')"),
    "PATCHBOT_UKHSA_API_URL": Spec(_http_url, "an http:// or https:// URL"),
    "PATCHBOT_UKHSA_TOPIC": Spec(_name, "a name as the UKHSA API spells it (e.g. COVID-19)"),
    "PATCHBOT_UKHSA_METRIC": Spec(_name, "a metric name as the UKHSA API spells it"),
    "PATCHBOT_UKHSA_GEOGRAPHY_TYPE": Spec(_name, "a geography type as the UKHSA API spells "
                                          "it (e.g. Lower Tier Local Authority)"),
    "SLACK_BOT_TOKEN": Spec(_text, "the Slack app's bot token, xoxb-..."),
    "SLACK_CHANNEL": Spec(_text, "a channel name like #covid-drafts, or a channel ID"),
    "SLACK_OPS_CHANNEL": Spec(_text, "a channel name like #patchbot-ops, or a channel ID"),
    "SLACK_API_URL": Spec(_base_url, "an http:// or https:// URL (e.g. https://slack.com/api/)"),
    "SLACK_TIMEOUT": Spec(_seconds, SECONDS.format(30)),
    "SLACK_RETRIES": Spec(_count, "a whole number, 0 or more (e.g. 2)"),
    "SLACK_BACKOFF": Spec(_non_negative, "seconds, a number 0 or more (e.g. 2)"),
    "SLACK_MAX_WAIT": Spec(_non_negative, "seconds, a number 0 or more (e.g. 300)"),
    "PATCHBOT_RUN_AT": Spec(_clock, "a time of day, HH:MM or HH:MM:SS, 00:00 to 23:59:59 "
                            "(UK time; e.g. 16:00)", service=True),
    "PATCHBOT_RUN_DAYS": Spec(_days, "days by name: mon-fri, mon,wed,fri or * for every day "
                              "(no numbers)", service=True),
    "PATCHBOT_POLL_MINUTES": Spec(_positive, "minutes, a number above 0 (e.g. 5; 0.5 is every "
                                  "30 seconds)", service=True),
    "PATCHBOT_POLL_UNTIL": Spec(_clock, "a time of day after PATCHBOT_RUN_AT, HH:MM or "
                                "HH:MM:SS (UK time; e.g. 20:00)", service=True),
    "SLACK_APP_TOKEN": Spec(_text, "the Slack app's app-level token, xapp-... (with "
                            "connections:write)"),
    "SLACK_SIGNING_SECRET": Spec(_text, "the Slack app's signing secret (Basic Information)"),
    "PATCHBOT_SLACK_MODE": Spec(_mode, "socket or http", service=True),
    "PATCHBOT_SLACK_PORT": Spec(_port, "a port number, 0 to 65535 (e.g. 3000; 0 picks a free "
                                "one)", service=True),
}  # fmt: skip
# SLACK_CHANNEL_<STORY>: one story's channel, e.g. SLACK_CHANNEL_WEEKLY_ROUNDUP.
STORY_CHANNEL = "SLACK_CHANNEL_"
