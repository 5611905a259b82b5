"""Logging: one line per step on stderr, ``key=value`` style, with secrets redacted."""

from __future__ import annotations

import logging
import re
import sys

# Slack tokens (bot, user, app, config, refresh) and webhook paths.
_SECRET = re.compile(r"xox[a-z]-[A-Za-z0-9-]+|xapp-[A-Za-z0-9-]+|hooks\.slack\.com/\S+")


def redact(text: str) -> str:
    return _SECRET.sub("[redacted]", text)


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
