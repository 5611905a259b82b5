"""``patchbot config check``: the settings read as ``run`` would read them, every mistake at
once, each in one line naming the setting, what it holds and what it takes.

A misspelt name (``PATCHBOT_RUNAT``) is otherwise silently ignored, so names that look like
Patchbot's but are not are warned about, with the setting they were probably meant to be.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from dotenv import dotenv_values

from bot.errors import PatchbotError
from bot.settings import SPECS, STORY_CHANNEL, Settings, bad_values, read_values
from bot.template_errors import closest

PREFIXES = ("PATCHBOT_", "SLACK_")


class Level(StrEnum):
    ERROR = "error"  # Patchbot will stop on it
    WARNING = "warning"  # probably not what was meant
    NOTE = "note"  # worth knowing


@dataclass(frozen=True)
class Finding:
    level: Level
    message: str

    def __str__(self) -> str:
        return f"{self.level}: {self.message}"


def known_names() -> list[str]:
    from bot.stories import STORIES

    return [*SPECS, *(STORY_CHANNEL + story.upper() for story in STORIES)]


def unknown_names(env_file: Path | None, environ: Mapping[str, str] | None = None) -> list[Finding]:
    """Names that look like settings (PATCHBOT_*, SLACK_*) but are none, each with where it
    was set and the setting it was probably meant to be."""
    environ = os.environ if environ is None else environ
    path = env_file or Path(".env")
    in_file = {name for name, value in dotenv_values(path).items() if value is not None}
    known = known_names()
    found = []
    for name in sorted((in_file | set(environ)) - set(known)):
        if not name.startswith(PREFIXES):
            continue
        where = "the environment" if name in environ else path.name
        meant = closest(name, known)
        hint = f": did you mean {meant}?" if meant else " (config.example.env lists them all)"
        found.append(Finding(Level.WARNING, f"{name} (in {where}) is not a setting{hint}"))
    return found


def check_config(env_file: Path | None, environ: Mapping[str, str] | None = None) -> list[Finding]:
    """Every problem with the settings, errors first."""
    values = read_values(env_file, environ)
    bad = bad_values(values)
    problems = list(bad.values())
    if not any(not SPECS[name].service for name in bad):  # else the settings cannot load
        settings = Settings.load(env_file, environ)
        problems += _data_problems(settings)
        if not bad:
            problems += _schedule_problems(settings) + _review_problems(settings)
    errors = [Finding(Level.ERROR, problem) for problem in problems]
    return [*errors, *unknown_names(env_file, environ), *_notes(values)]


def _data_problems(settings: Settings) -> list[str]:
    """The source, the patch, the desks file and the templates folder: what ``draft`` would
    stop on."""
    from bot.geography import load_geography
    from bot.sources import LOCATION, SOURCES, SourceOptions, open_source

    problems = []
    source = settings.source
    names = [name for name in SOURCES if name != LOCATION]
    location = source and source not in SOURCES and not source.startswith(("http://", "https://"))
    if location and not Path(str(source)).is_file():
        problems.append(
            f"PATCHBOT_SOURCE: not a valid value: {source!r}; expected {', '.join(names)}, "
            "an http(s):// URL or a .csv/.csv.gz file that exists"
        )
        source = None
    try:
        geography = load_geography(open_source(source, SourceOptions()).geography)
        geography.resolve_patch(settings.patch)
    except PatchbotError as error:
        problems.append(f"PATCHBOT_PATCH: {str(error).removeprefix('patch: ')}")
    if settings.desks_file is not None:
        from bot.desks import load_desks

        try:
            load_desks(settings)
        except PatchbotError as error:
            problems.append(str(error))
    folder = settings.templates_dir
    if not (folder / "stories.toml").is_file():
        problems.append(
            f"PATCHBOT_TEMPLATES_DIR: {folder} has no stories.toml; make the folder with: "
            f"patchbot templates init {folder}"
        )
    return problems


def _schedule_problems(settings: Settings) -> list[str]:
    """What ``run`` would stop on that no one setting shows: the poll ending before it starts,
    days the scheduler refuses."""
    from bot.service.schedule import Schedule

    try:
        Schedule.of(settings).trigger()
    except PatchbotError as error:
        return [str(error)]
    return []


def _review_problems(settings: Settings) -> list[str]:
    """A listening mode without what it needs (README, 'Review in Slack')."""
    if settings.slack_mode is None:
        return []
    from bot.review.listen import listening_mode

    try:
        listening_mode(settings)
    except PatchbotError as error:
        return [str(error)]
    return []


def _notes(values: Mapping[str, str]) -> list[Finding]:
    token = values.get("SLACK_BOT_TOKEN", "").strip()
    if not token:
        return [Finding(Level.NOTE, "SLACK_BOT_TOKEN is not set: `post` and `run` need it "
                        "(`draft` does not)")]  # fmt: skip
    if not token.startswith("xoxb-"):
        return [Finding(Level.WARNING, "SLACK_BOT_TOKEN does not start with xoxb-: use the "
                        "app's Bot User OAuth Token (README, 'Slack setup')")]  # fmt: skip
    return []
