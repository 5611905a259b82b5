"""Story settings from ``stories.toml`` beside the templates: whether each story is drafted,
its Slack channel, its alternative headlines and intros, and its numbers (list lengths,
thresholds), so editors can change them without touching Python.

A mistake in one story's section holds that story alone (``StorySettings.mistake``): the
others are still drafted and posted. Only a file that cannot be read at all stops the run.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any, get_type_hints

from bot.errors import PatchbotError
from bot.rendering import no_templates_folder
from bot.stories import STORIES
from bot.stories.limits import NOT_NEGATIVE, Limit
from bot.stories.toml_reading import FILE, Mistake, Section, read_sections
from bot.template_errors import did_you_mean

VARIANTS = ("headlines", "intros")
COMMON_KEYS = ("enabled", "channel", *VARIANTS)


@dataclass(frozen=True)
class StorySettings:
    enabled: bool
    params: Any  # the rule's params dataclass, or None
    channel: str | None = None  # Slack channel for this story, if not the default
    headlines: tuple[str, ...] = ()  # alternative headlines (Jinja snippets)
    intros: tuple[str, ...] = ()  # alternative first paragraphs
    mistake: Mistake | None = None  # why the story cannot be drafted: its section is wrong


def load_story_settings(templates_dir: Path, every_story: bool = True) -> dict[str, StorySettings]:
    """Every registered story's settings; a story whose section is wrong carries its
    ``mistake`` (and is drafted only as a failure, exit status 4). Without ``every_story`` (a
    folder for one source's data, inside the main one) a story with no section is not drafted
    from it."""
    return read_stories(templates_dir, every_story)[0]


def read_stories(
    templates_dir: Path, every_story: bool = True
) -> tuple[dict[str, StorySettings], list[Mistake]]:
    """Every story's settings, and the sections that belong to no story (for the check)."""
    if not templates_dir.is_dir():
        raise PatchbotError(no_templates_folder(templates_dir))
    path = templates_dir / FILE
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PatchbotError(
            f"{templates_dir}: no {FILE} (start from a copy of Patchbot's own: "
            "patchbot templates init FOLDER)"
        ) from None
    except (OSError, UnicodeDecodeError) as error:
        raise PatchbotError(f"{path}: cannot be read: {error}") from None
    try:
        sections = {section.name: section for section in read_sections(text, key_help)}
    except PatchbotError as error:
        raise PatchbotError(f"{path}:{str(error).removeprefix(FILE + ':')}") from None
    strays = [name for name in sections if name not in STORIES]
    settings = {}
    for name, kind in STORIES.items():
        section = sections.get(name)
        if section is None and not every_story:
            params = kind.params_type() if kind.params_type is not None else None
            settings[name] = StorySettings(False, params)
        elif section is None:
            settings[name] = _broken(_missing(name, strays, sections))
        elif section.mistake is not None:
            settings[name] = _broken(section.mistake, section.table.get("enabled"))
        else:
            settings[name] = _story_settings(section)
    return settings, [
        Mistake(sections[name].line, f"no story is called [{name}]"
                f"{did_you_mean(name, STORIES, '[{}]')}; stories: {', '.join(STORIES)}")
        for name in strays
    ]  # fmt: skip


def _broken(mistake: Mistake, enabled: Any = True) -> StorySettings:
    """A story its section cannot describe: held, unless the section plainly disables it."""
    return StorySettings(enabled is not False, None, mistake=mistake)


def _missing(story: str, strays: list[str], sections: dict[str, Section]) -> Mistake:
    """A story without its section: most likely its [name] is misspelt (then that stray
    section is this story's mistake, and taken out of ``strays``)."""
    meant = [stray for stray in strays if did_you_mean(stray, [story])]
    if meant:
        strays.remove(meant[0])
        return Mistake(
            sections[meant[0]].line,
            f"no story is called [{meant[0]}]: did you mean [{story}]? (there is no [{story}])",
        )
    return Mistake(
        None,
        f"there is no [{story}] section: every story needs one, with its headlines and "
        "intros; to leave a story out, keep its section and write enabled = false",
    )


def key_help(story: str | None, key: str) -> str:
    """What ``key`` takes in ``story``'s section, in words."""
    params_type = STORIES[story].params_type if story and story in STORIES else None
    default = getattr(params_type(), key, None) if params_type is not None else None
    if key == "enabled" or isinstance(default, bool):
        return "true or false"
    if key == "channel":
        return 'a Slack channel in quotes, like "#covid-drafts"'
    if key in VARIANTS:
        return "a list of texts in quotes: [ '...', '...' ]"
    if isinstance(default, int | float):
        return f"{'a whole number' if isinstance(default, int) else 'a number'} like {default}"
    return "a number, true or false, or a text in quotes"


def _fields(params_type: type[Any]) -> dict[str, Limit]:
    """Each number of a story's params with its sensible range."""
    hints = get_type_hints(params_type, include_extras=True)
    limits = {}
    for field in dataclasses.fields(params_type):
        extras = getattr(hints[field.name], "__metadata__", ())
        limits[field.name] = next((x for x in extras if isinstance(x, Limit)), NOT_NEGATIVE)
    return limits


def _story_settings(section: Section) -> StorySettings:
    """One story's settings, or the same story held with its first mistake."""
    kind = STORIES[section.name]
    values = dict(section.table)
    try:
        enabled = values.pop("enabled", True)
        _expect(isinstance(enabled, bool), section, "enabled", enabled)
        channel = values.pop("channel", None)
        _expect(
            channel is None or (isinstance(channel, str) and bool(channel.strip())),
            section, "channel", channel,
        )  # fmt: skip
        variants = {key: _snippets(section, key, values.pop(key, None)) for key in VARIANTS}
        params = _params(section, kind.params_type, values)
    except _SectionMistake as error:
        return _broken(error.mistake, section.table.get("enabled"))
    return StorySettings(enabled, params, channel, variants["headlines"], variants["intros"])


class _SectionMistake(Exception):
    def __init__(self, mistake: Mistake) -> None:
        self.mistake = mistake


def _fail(section: Section, key: str | None, message: str) -> _SectionMistake:
    line = section.line_of(key) if key else section.line
    return _SectionMistake(Mistake(line, f"[{section.name}] {message}"))


def _expect(ok: bool, section: Section, key: str, value: Any) -> None:
    if not ok:
        raise _fail(
            section, key, f"{key} must be {key_help(section.name, key)}, not {_shown(value)}"
        )


def _shown(value: Any) -> str:
    """A TOML value as the editor wrote it."""
    if isinstance(value, bool):
        return str(value).lower()
    return f'"{value}" (in quotes)' if isinstance(value, str) else str(value)


def _snippets(section: Section, key: str, value: Any) -> tuple[str, ...]:
    if value is None:
        raise _fail(section, None, f"needs {key} = [...], with at least one")
    _expect(
        isinstance(value, list)
        and bool(value)
        and all(isinstance(item, str) and item.strip() for item in value),
        section, key, value,
    )  # fmt: skip
    return tuple(value)


MAX_NUMBER = 1_000_000_000  # more than England's population: a typo, or an attack


def _params(section: Section, params_type: type[Any] | None, values: dict[str, Any]) -> Any:
    limits = _fields(params_type) if params_type is not None else {}
    for key, value in values.items():
        if key not in limits:
            known = [*COMMON_KEYS, *limits]
            raise _fail(
                section, key,
                f"has no setting '{key}'{did_you_mean(key, known)}; its settings: "
                f"{', '.join(known)}",
            )  # fmt: skip
        default = getattr(params_type(), key)  # type: ignore[misc]  # known to have params
        if isinstance(default, bool):
            _expect(isinstance(value, bool), section, key, value)
            continue
        number = not isinstance(value, bool) and isinstance(value, int | float)
        _expect(number and (isinstance(value, int) or isinstance(default, float)),
                section, key, value)  # fmt: skip
        limit = limits[key]
        if not limit.allows(value):
            why = f": {limit.why}" if limit.why else ""
            raise _fail(section, key, f"{key} = {value} is too low: it must be "
                        f"{limit.describe()}{why}")  # fmt: skip
        if value > MAX_NUMBER:  # inf, 1e308: no story counts so high, and the rules overflow
            raise _fail(section, key, f"{key} = {value} is too high: it must be at most "
                        f"{MAX_NUMBER:,}")  # fmt: skip
    return dataclasses.replace(params_type(), **values) if params_type is not None else None
