"""Options shared by several commands: which data, patch, week and stories."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from bot.desks import Desk
    from bot.settings import Settings


class StoryName(click.ParamType):  # type: ignore[type-arg]  # generic from click 8.5 on
    """A registered story's name, checked against the registry when the command runs (so a
    story registered by a plug-in is known, and ``--help`` needs no heavy imports)."""

    name = "story"

    def get_metavar(self, param: click.Parameter, ctx: click.Context | None = None) -> str:
        return "STORY"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        from bot.stories import STORIES

        if value not in STORIES:
            self.fail(f"{value!r} is not a story; stories: {', '.join(STORIES)}", param, ctx)
        return str(value)


def _week(_ctx: click.Context, _param: click.Parameter, value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a YYYY-MM-DD date") from None


def data_options(command: Callable[..., None]) -> Callable[..., None]:
    """Which data, patch and week: shared by ``draft``, ``post`` and ``preview``."""
    options = [
        click.option(
            "--source",
            help="ukhsa (live), ukhsa-sample, bundled (PHE 2020, the default), phe-api, an "
            "http(s) URL, or a .csv/.csv.gz file. [env: PATCHBOT_SOURCE]",
        ),
        click.option(
            "--patch",
            help="Councils (names or codes, comma-separated) or a preset; default: "
            "north-east-and-north-yorkshire. [env: PATCHBOT_PATCH]",
        ),
        click.option(
            "--week-ending", callback=_week, metavar="YYYY-MM-DD", help="Default: the latest week."
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


story_option = click.option(
    "--story",
    "stories",
    multiple=True,
    type=StoryName(),
    help="Only this story (repeatable). Default: every story enabled in stories.toml.",
)


desk_option = click.option(
    "--desk",
    "desk_name",
    metavar="NAME",
    help="Only this desk of the desks file (PATCHBOT_DESKS). Default: every desk.",
)


def chosen_desks(settings: Settings, desk_name: str | None, patch: str | None) -> list[Desk]:
    """The desks a command works on: the one named, or every desk (without a desks file,
    the one desk of the ordinary settings, whose patch ``--patch`` may change)."""
    from bot.desks import find_desk, load_desks

    desks = [find_desk(settings, desk_name)] if desk_name else load_desks(settings)
    if patch is not None and any(desk.explicit for desk in desks):
        raise click.UsageError(
            "--patch: each desk has its own patch (PATCHBOT_DESKS); leave out --patch"
        )
    return desks
