"""Story settings from ``stories.toml`` beside the templates: whether each story is drafted,
its Slack channel, its alternative headlines and intros, and its numbers (list lengths,
thresholds), so editors can change them without touching Python."""

from __future__ import annotations

import dataclasses
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.errors import PatchbotError
from bot.stories import STORIES


@dataclass(frozen=True)
class StorySettings:
    enabled: bool
    params: Any  # the rule's params dataclass, or None
    channel: str | None = None  # Slack channel for this story, if not the default
    headlines: tuple[str, ...] = ()  # alternative headlines (Jinja snippets)
    intros: tuple[str, ...] = ()  # alternative first paragraphs


def load_story_settings(templates_dir: Path, every_story: bool = True) -> dict[str, StorySettings]:
    """Read ``stories.toml``: every story needs its headlines and intros there; numbers left out
    take the defaults of the story's params type. Without ``every_story`` (a folder for one
    source's data, inside the main one) a story with no section is not drafted from it."""
    if not templates_dir.is_dir():
        raise PatchbotError(f"PATCHBOT_TEMPLATES_DIR: no such folder: {templates_dir}")
    path = templates_dir / "stories.toml"
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise PatchbotError(
            f"{templates_dir}: no stories.toml (start from a copy of Patchbot's story_templates/)"
        ) from None
    except tomllib.TOMLDecodeError as error:
        raise PatchbotError(f"{path}: {error}") from None
    unknown = sorted(set(document) - set(STORIES))
    if unknown:
        raise PatchbotError(f"{path}: unknown story [{unknown[0]}]; stories: {', '.join(STORIES)}")
    settings = {}
    for name, kind in STORIES.items():
        if not every_story and name not in document:
            settings[name] = StorySettings(False, _params(path, name, kind.params_type, {}))
            continue
        section = dict(document.get(name, {}))
        enabled = section.pop("enabled", True)
        if not isinstance(enabled, bool):
            raise PatchbotError(f"{path}: [{name}] enabled must be true or false")
        channel = section.pop("channel", None)
        if channel is not None and (not isinstance(channel, str) or not channel.strip()):
            raise PatchbotError(f'{path}: [{name}] channel must be a channel name like "#covid"')
        variants = {key: _snippets(path, name, key, section.pop(key, None)) for key in VARIANTS}
        params = None
        if kind.params_type is not None:
            params = _params(path, name, kind.params_type, section)
        elif section:
            raise PatchbotError(f"{path}: [{name}] has no setting {next(iter(section))!r}")
        settings[name] = StorySettings(enabled, params, channel, **variants)
    return settings


VARIANTS = ("headlines", "intros")


def _snippets(path: Path, story: str, key: str, value: Any) -> tuple[str, ...]:
    if value is None:
        raise PatchbotError(f"{path}: [{story}] needs {key} = [...] (at least one)")
    if (
        not isinstance(value, list)
        or not value
        or not all(isinstance(item, str) and item.strip() for item in value)
    ):
        raise PatchbotError(f"{path}: [{story}] {key} must be a list of one or more texts")
    return tuple(value)


def _params(path: Path, story: str, params_type: type[Any] | None, section: dict[str, Any]) -> Any:
    if params_type is None:
        return None
    defaults = params_type()
    fields = {f.name: f for f in dataclasses.fields(params_type)}
    for key, value in section.items():
        if key not in fields:
            raise PatchbotError(
                f"{path}: [{story}] has no setting {key!r}; settings: enabled, {', '.join(fields)}"
            )
        expected = type(getattr(defaults, key))
        if expected is bool:
            if not isinstance(value, bool):
                raise PatchbotError(f"{path}: [{story}] {key} must be true or false")
            continue
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise PatchbotError(f"{path}: [{story}] {key} must be a number, got {value!r}")
        if expected is int and not isinstance(value, int):
            raise PatchbotError(f"{path}: [{story}] {key} must be a whole number, got {value!r}")
        if value < 0 or (key == "top" and value < 1):
            raise PatchbotError(f"{path}: [{story}] {key} is out of range: {value!r}")
    return dataclasses.replace(defaults, **section)
