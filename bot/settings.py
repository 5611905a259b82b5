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
from pathlib import Path
from typing import TypeVar

from dotenv import dotenv_values

from bot.errors import PatchbotError
from bot.geography import PATCH_NAME_LIMIT
from bot.rendering import DEFAULT_TEMPLATES_DIR
from bot.sources import HttpPolicy, SourceOptions
from bot.state import default_state_dir

T = TypeVar("T")
SLACK_API_URL = "https://slack.com/api/"


@dataclass(frozen=True)
class Settings:
    source: str | None
    patch: str | None
    templates_dir: Path
    phe_api_url: str
    http: HttpPolicy
    state_dir: Path
    slack_token: str | None = field(default=None, repr=False)  # a secret: never printed
    slack_channel: str | None = None
    slack_ops_channel: str | None = None
    slack_api_url: str = SLACK_API_URL
    story_channels: dict[str, str] = field(default_factory=dict)  # SLACK_CHANNEL_<STORY>
    # Slack calls: seconds to wait for an answer; how many times to retry one that failed
    # on Slack's side, waiting slack_backoff seconds before the first retry (doubling).
    slack_timeout: float = 30.0
    slack_retries: int = 2
    slack_backoff: float = 2.0
    # `patchbot run`: when to look for a new release (UK time), on which days (a cron
    # day-of-week expression), how often to look again, and until when.
    run_at: dt.time = dt.time(16)
    run_days: str = "mon-fri"
    poll_minutes: float = 5.0
    poll_until: dt.time = dt.time(20)
    patch_name: str | None = None  # the patch's short name for headlines and intros

    def channel_for(self, story: str, templates_channel: str | None = None) -> str:
        """Where a story goes: SLACK_CHANNEL_<STORY>, else stories.toml, else SLACK_CHANNEL."""
        channel = self.story_channels.get(story) or templates_channel or self.slack_channel
        if not channel:
            raise PatchbotError(f"SLACK_CHANNEL: not set (needed to post {story})")
        return channel

    @classmethod
    def load(
        cls, env_file: Path | None = None, environ: Mapping[str, str] | None = None
    ) -> Settings:
        """Read ``env_file`` (default: ``.env`` in the current folder, if there is one)."""
        environ = os.environ if environ is None else environ
        path = env_file or Path(".env")
        if env_file is not None and not env_file.is_file():
            raise PatchbotError(f"--env-file: no such file: {env_file}")
        values = {k: v for k, v in dotenv_values(path).items() if v is not None}
        values.update(environ)

        def get(name: str, convert: Callable[[str], T], default: T) -> T:
            raw = values.get(name, "").strip()
            if not raw:
                return default
            try:
                return convert(raw)
            except ValueError:
                raise PatchbotError(f"{name}: not a valid value: {raw!r}") from None

        defaults = HttpPolicy()
        story_channels = {
            name.removeprefix("SLACK_CHANNEL_").lower(): value.strip()
            for name, value in values.items()
            if name.startswith("SLACK_CHANNEL_") and value.strip()
        }
        return cls(
            source=values.get("PATCHBOT_SOURCE") or None,
            patch=values.get("PATCHBOT_PATCH") or None,
            templates_dir=get("PATCHBOT_TEMPLATES_DIR", Path, DEFAULT_TEMPLATES_DIR),
            phe_api_url=get("PATCHBOT_PHE_API_URL", _http_url, SourceOptions().phe_api_url),
            http=HttpPolicy(
                timeout=get("PATCHBOT_HTTP_TIMEOUT", _positive, defaults.timeout),
                retries=get("PATCHBOT_HTTP_RETRIES", _count, defaults.retries),
                backoff=get("PATCHBOT_HTTP_BACKOFF", _non_negative, defaults.backoff),
                max_wait=get("PATCHBOT_HTTP_MAX_WAIT", _non_negative, defaults.max_wait),
            ),
            state_dir=get("PATCHBOT_STATE_DIR", _path, default_state_dir()),
            slack_token=values.get("SLACK_BOT_TOKEN", "").strip() or None,
            slack_channel=values.get("SLACK_CHANNEL", "").strip() or None,
            slack_ops_channel=values.get("SLACK_OPS_CHANNEL", "").strip() or None,
            slack_api_url=get("SLACK_API_URL", _base_url, SLACK_API_URL),
            story_channels=story_channels,
            slack_timeout=get("SLACK_TIMEOUT", _positive, cls.slack_timeout),
            slack_retries=get("SLACK_RETRIES", _count, cls.slack_retries),
            slack_backoff=get("SLACK_BACKOFF", _non_negative, cls.slack_backoff),
            run_at=get("PATCHBOT_RUN_AT", _clock, dt.time(16)),
            run_days=get("PATCHBOT_RUN_DAYS", _days, "mon-fri"),
            poll_minutes=get("PATCHBOT_POLL_MINUTES", _positive, 5.0),
            poll_until=get("PATCHBOT_POLL_UNTIL", _clock, dt.time(20)),
            patch_name=checked_patch_name(values.get("PATCHBOT_PATCH_NAME"), "PATCHBOT_PATCH_NAME"),
        )


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
    """Days by name, e.g. mon-fri, mon,wed,fri or * (checked fully by the trigger). Numbers are
    refused: cron counts Sunday as 0, APScheduler counts Monday as 0."""
    value = raw.lower().replace(" ", "")
    if not re.fullmatch(r"[a-z*/,-]+", value):
        raise ValueError(raw)
    return value


def _path(raw: str) -> Path:
    return Path(raw).expanduser()


def _http_url(raw: str) -> str:
    if not raw.startswith(("http://", "https://")) or len(raw) <= len("https://"):
        raise ValueError(raw)
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


def _count(raw: str) -> int:
    value = int(raw)
    if value < 0:
        raise ValueError(raw)
    return value
