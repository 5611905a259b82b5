"""Logging: one line per step on stderr, ``key=value`` style, with secrets redacted."""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import sys
from zoneinfo import ZoneInfo

UK = ZoneInfo("Europe/London")  # the newsroom's clock: the schedule and every time shown
# The service's step lines have always come from this logger; operators filter on its name.
_steps = logging.getLogger("bot.service")

# Slack tokens (bot, user, app, config, refresh) and webhook paths.
_SECRET = re.compile(r"xox[a-z]-[A-Za-z0-9-]+|xapp-[A-Za-z0-9-]+|hooks\.slack\.com/\S+")


# A password in a URL (http://user:password@host/): the user name is kept, to say whose.
_URL_PASSWORD = re.compile(r"(://[^/\s:@]*:)[^/\s@]+@")


def redact(text: str) -> str:
    return _URL_PASSWORD.sub(r"\1[redacted]@", _SECRET.sub("[redacted]", text))


class RedactingFormatter(logging.Formatter):
    """Formats as usual, then strips anything that looks like a secret."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


def configure(verbose: bool) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        RedactingFormatter(
            "%(asctime)s level=%(levelname)s logger=%(name)s %(message)s",
            datefmt="%Y-%m-%dT%H:%M:%S%z",
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO if verbose else logging.WARNING)
    # urllib3 warns with a traceback about headers a server broke off; the download's own
    # error says what happened, in one line.
    logging.getLogger("urllib3").setLevel(logging.ERROR)


def kv(**fields: object) -> str:
    """``key=value`` pairs for a log line; values with spaces or quotes are JSON-quoted."""
    parts = []
    for key, value in fields.items():
        text = value.isoformat() if isinstance(value, dt.date | dt.time) else str(value)
        if not text or any(char in text for char in ' "=\n'):
            text = json.dumps(text, ensure_ascii=False)
        parts.append(f"{key}={text}")
    return " ".join(parts)


def step(name: str, level: int = logging.INFO, **fields: object) -> None:
    """One ``step=NAME key=value ...`` line."""
    _steps.log(level, "%s", kv(step=name, **fields))


def uk_time(stamp: str | dt.datetime) -> str:
    """A ledger timestamp (UTC ISO) or a datetime, as UK time: 'Mon 30 Nov 2020 16:00 GMT'."""
    when = dt.datetime.fromisoformat(stamp) if isinstance(stamp, str) else stamp
    return f"{when.astimezone(UK):%a %d %b %Y %H:%M %Z}"
