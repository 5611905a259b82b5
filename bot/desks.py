"""Desks: one Patchbot serving several newsrooms (titles) from one state directory.

A desk is a newsroom's slice: a name, a patch (and the short name its headlines use), a channel
(and per-story channels), an ops channel, a templates folder, and optionally its own source and
schedule. ``PATCHBOT_DESKS`` names a TOML file with one ``[desks.NAME]`` table per desk; what a
desk leaves out comes from the ordinary settings. Without the file there is one desk,
``default``, made of the ordinary settings, and Patchbot works as it always has.

Every desk's posts, releases, runs and alerts are its own rows in the one ledger, and every
part it posts carries its name in its idempotency key: two desks never adopt each other's
messages, even in one channel.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.errors import PatchbotError
from bot.settings import Settings
from bot.state import DEFAULT_DESK

if TYPE_CHECKING:
    from bot.stories.settings import StorySettings

_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,39}")
_CHANNEL = re.compile(r"#?[a-z0-9][a-z0-9._-]{0,79}|[CG][A-Z0-9]{6,}")
_CLOCK = re.compile(r"\d{1,2}:\d{2}(:\d{2})?")
# A desk's keys: the Settings field each sets, and the setting it stands for without desks.
_KEYS = {
    "patch": ("patch", "PATCHBOT_PATCH"),
    "channel": ("slack_channel", "SLACK_CHANNEL"),
    "ops_channel": ("slack_ops_channel", "SLACK_OPS_CHANNEL"),
    "templates": ("templates_dir", "PATCHBOT_TEMPLATES_DIR"),
    "source": ("source", "PATCHBOT_SOURCE"),
    "run_at": ("run_at", "PATCHBOT_RUN_AT"),
    "run_days": ("run_days", "PATCHBOT_RUN_DAYS"),
    "poll_minutes": ("poll_minutes", "PATCHBOT_POLL_MINUTES"),
    "poll_until": ("poll_until", "PATCHBOT_POLL_UNTIL"),
}
_REQUIRED = ("patch", "channel")


@dataclass(frozen=True)
class Desk:
    name: str
    settings: Settings  # the ordinary settings with the desk's own on top
    patch_name: str | None = None  # the short name headlines use, if not the patch's own
    names: Mapping[str, str] = field(default_factory=dict)  # setting -> the desk's key for it

    @property
    def explicit(self) -> bool:
        """Defined in a desks file (not the implicit desk of the ordinary settings)."""
        return bool(self.names)

    def setting(self, name: str) -> str:
        """How to name a setting in a message: the desk's own key, where it set it."""
        return self.names.get(name, name)

    def story_channel(self, story: str, templates_channel: str | None) -> tuple[str, str]:
        """Where a story goes, and the setting that says so: the story's own channel, else a
        ``channel`` in stories.toml, else the desk's channel."""
        settings = self.settings
        if story in settings.story_channels:
            return self.setting(f"SLACK_CHANNEL_{story.upper()}"), settings.story_channels[story]
        if templates_channel:
            return f"{settings.templates_dir / 'stories.toml'} [{story}] channel", templates_channel
        if settings.slack_channel:
            return self.setting("SLACK_CHANNEL"), settings.slack_channel
        raise PatchbotError(f"{self.setting('SLACK_CHANNEL')}: not set (needed to post {story})")

    def channels(self, stories: Mapping[str, StorySettings]) -> dict[str, str]:
        """Every channel the desk uses, by the setting that names it: each enabled story's,
        and the ops channel."""
        unknown = sorted(set(self.settings.story_channels) - set(stories))
        if unknown:
            setting = self.setting(f"SLACK_CHANNEL_{unknown[0].upper()}")
            raise PatchbotError(
                f"{setting}: no story {unknown[0]!r}; stories: {', '.join(stories)}"
            )
        used: dict[str, str] = {}
        for story, options in stories.items():
            if options.enabled:
                setting, channel = self.story_channel(story, options.channel)
                used.setdefault(setting, channel)
        if self.settings.slack_ops_channel:
            used[self.setting("SLACK_OPS_CHANNEL")] = self.settings.slack_ops_channel
        return used


def load_desks(settings: Settings) -> list[Desk]:
    """The desks of the desks file, in its order; without one, the one implicit desk."""
    if settings.desks_file is None:
        return [Desk(DEFAULT_DESK, settings)]
    path = settings.desks_file
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise PatchbotError(f"PATCHBOT_DESKS: no such file: {path}") from None
    except (OSError, UnicodeDecodeError) as error:
        raise PatchbotError(f"PATCHBOT_DESKS: cannot read {path}: {error}") from None
    except tomllib.TOMLDecodeError as error:
        raise PatchbotError(f"{path}: {error}") from None
    tables = document.get("desks")
    if set(document) - {"desks"} or not isinstance(tables, dict) or not tables:
        raise PatchbotError(f"{path}: expected one [desks.NAME] table per desk, e.g. [desks.echo]")
    return [_desk(path, name, table, settings) for name, table in tables.items()]


def find_desk(settings: Settings, name: str) -> Desk:
    """The desk called ``name`` (``--desk``)."""
    if settings.desks_file is None:
        raise PatchbotError(
            f"--desk {name}: no desks file; set PATCHBOT_DESKS to one (README, 'Desks')"
        )
    desks = load_desks(settings)
    for desk in desks:
        if desk.name == name:
            return desk
    known = ", ".join(desk.name for desk in desks)
    raise PatchbotError(f"--desk: no desk {name!r} in {settings.desks_file}; desks: {known}")


def _desk(path: Path, name: str, table: Any, settings: Settings) -> Desk:
    where = f"{path} [desks.{name}]"
    if not _NAME.fullmatch(name) or not isinstance(table, dict):
        raise PatchbotError(
            f"{where}: a desk's name is lower-case letters, digits, - and _ (say [desks.echo])"
        )
    allowed = {*_KEYS, "patch_name", "channels"}
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise PatchbotError(
            f"{where}: unknown key {unknown[0]!r}; keys: {', '.join(sorted(allowed))}"
        )
    for key in _REQUIRED:
        if key not in table:
            raise PatchbotError(f"{where}: {key} is missing (every desk needs its own)")
    changes: dict[str, Any] = {}
    names = {"PATCHBOT_DESKS": str(path)}
    for key, (attribute, setting) in _KEYS.items():
        if key in table:
            changes[attribute] = _value(where, key, table[key], path.parent)
            names[setting] = f"{where} {key}"
    if changes.get("poll_until", settings.poll_until) <= changes.get("run_at", settings.run_at):
        raise PatchbotError(f"{where}: poll_until is not after run_at")
    channels = table.get("channels", {})
    if not isinstance(channels, dict):
        raise PatchbotError(f'{where}: channels is a table: [desks.{name}.channels] story = "#x"')
    changes["story_channels"] = {
        story: _value(f"{path} [desks.{name}.channels]", story, channel, path.parent)
        for story, channel in channels.items()
    }
    names |= {f"SLACK_CHANNEL_{story.upper()}": f"{path} [desks.{name}.channels] {story}"
              for story in channels}  # fmt: skip
    patch_name = table.get("patch_name")
    if patch_name is not None and (not isinstance(patch_name, str) or not patch_name.strip()):
        raise PatchbotError(f'{where}: patch_name must be a name, say "Teesside"')
    return Desk(name, dataclasses.replace(settings, **changes), patch_name, names)


def _value(where: str, key: str, raw: Any, folder: Path) -> Any:
    """A desk's value, checked: one clear line naming the file, the desk and the key."""
    if key == "poll_minutes":
        if isinstance(raw, int | float) and not isinstance(raw, bool) and 0 < raw < 24 * 60:
            return float(raw)
        raise PatchbotError(f"{where}: poll_minutes must be a number of minutes, say 5")
    if not isinstance(raw, str) or not raw.strip():
        raise PatchbotError(f"{where}: {key} must be a non-empty string")
    value = raw.strip()
    if key == "templates":
        return folder / Path(value).expanduser()
    if key in ("run_at", "poll_until"):
        if not _CLOCK.fullmatch(value):
            raise PatchbotError(f'{where}: {key} must be a time of day, say "16:00"')
        hour, minute, second = (int(part) for part in f"{value}:0".split(":")[:3])
        try:
            return dt.time(hour, minute, second)
        except ValueError:
            raise PatchbotError(f'{where}: {key} must be a time of day, say "16:00"') from None
    if (key.endswith("channel") or "channels" in where) and not _CHANNEL.fullmatch(value):
        raise PatchbotError(f'{where}: {key} must be a channel, say "#covid-drafts" or an ID')
    return value
