"""What a correction says: each figure PHE revised, and the areas a story gained or lost, so a
reporter sees what changed without comparing two drafts by hand.

The delivery courier puts this above the corrected draft; the plain copy for the CMS stays the
corrected story alone.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from bot import housestyle

# The story-level figures a correction names, as copy says them.
STORY_FIGURES: dict[str, str] = {
    "patch_average": "the average rate",
    "patch_average_high": "the highest the average can be",
    "patch_cases": "cases in the patch",
    "threshold": "the marked threshold",
    "above_threshold_count": "areas above the threshold",
    "suppressed_count": "areas suppressed",
    "no_data_count": "areas with no figures",
    "listed_count": "areas listed",
    "listed_cases": "cases listed",
}


def _cases(value: Any) -> str:
    return "zero to two cases" if value is None else housestyle.counted(value, "case", digits=True)


def _rate(value: Any) -> str:
    return "suppressed" if value is None else f"{housestyle.rate(value)} per 100,000"


def _change(value: Any) -> str:
    if value is None:
        return "change unknown"
    return f"{'up' if value >= 0 else 'down'} {housestyle.figure(abs(value))} on the week before"


AREA_FIGURES: tuple[tuple[str, Callable[[Any], str]], ...] = (
    ("cases", _cases),
    ("rate", _rate),
    ("change", _change),
)


def what_changed(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[str]:
    """Each changed figure ("Hummersknott: 35 cases, not 27"), then the areas added to and
    removed from the story, then the story-level figures that changed."""
    old = {area["area_code"]: area for area in before.get("areas") or []}
    new = {area["area_code"]: area for area in after.get("areas") or []}
    lines = []
    for code, area in new.items():
        if code not in old:
            continue
        for field, said in AREA_FIGURES:
            now, was = area.get(field), old[code].get(field)
            if now == was:
                continue
            if field == "cases" and now is not None and was is not None:
                lines.append(f"{area['area_name']}: {now:,} cases, not {was:,}")
            else:
                lines.append(f"{area['area_name']}: {said(now)}, not {said(was)}")
    lines += [
        f"Added: {area['area_name']} ({_cases(area.get('cases'))})"
        for code, area in new.items()
        if code not in old
    ]
    lines += [
        f"No longer listed: {area['area_name']}" for code, area in old.items() if code not in new
    ]
    for key, words in STORY_FIGURES.items():
        if key in after and after.get(key) != before.get(key):
            lines.append(
                f"{words.capitalize()}: {_figure(after[key])}, not {_figure(before.get(key))}"
            )
    return lines


def _figure(value: Any) -> str:
    if isinstance(value, float):
        return housestyle.rate(value)
    return "none" if value is None else housestyle.figure(value)


def with_changes(before: Mapping[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """The ledger's draft ``after`` with what changed since ``before`` above its copy."""
    changes = what_changed(before.get("facts") or {}, after.get("facts") or {})
    if not changes:
        return after
    listed = "\n".join(f"• {change}" for change in changes)
    return {**after, "text": f"What changed since the last version:\n{listed}\n\n{after['text']}"}


def release_date(draft: Mapping[str, Any]) -> str | None:
    """The data release of a ledger draft as copy dates it: "December 1, 2020"."""
    release = draft.get("release")
    return housestyle.uk_date(release, year=True) if release else None
