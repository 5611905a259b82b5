"""The copy lint: the house-style slips a sub-editor would send back, found in rendered copy.

One set of rules for every place copy is read: ``patchbot templates check`` runs it on its edge
fixtures (``bot.editors.rendered``), and the test suite runs it over every story for every
council in England in every bundled week. A rule reads the headline, the body, or only the
body's running copy (its sentences, not the list lines under them).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

HEADLINE_LIMIT = 100  # characters: what a print and web headline holds
_DATE = re.compile(
    r"\b(January|February|March|April|May|June|July|August|September|October|November"
    r"|December) (\d{1,2})\b"
)


class Part(StrEnum):
    """Which part of a story a rule reads."""

    ALL = "all"  # the headline and the body
    BODY = "body"
    RUNNING = "running"  # the body's sentences (lines ending . : ? !), not its list lines


@dataclass(frozen=True)
class Rule:
    pattern: re.Pattern[str]
    message: str
    part: Part = Part.ALL


RULES = [
    Rule(re.compile(r"(?<![\d.,-])\b(?:1|one|ONE) (areas|cases|neighbourhoods|councils|deaths)\b"),
         "a count of one with a plural noun"),
    Rule(re.compile(r"(?<![\d.,-])\b(?:[02-9]|\d{2,}|\d{1,3}(?:,\d{3})+|two|three|four|five|six"
                    r"|seven|eight|nine|TWO|THREE|FOUR|FIVE|SIX|SEVEN|EIGHT|NINE) "
                    r"(area|case|neighbourhood|council|death)\b"),
         "a count above one with a singular noun"),
    Rule(re.compile(r"\b(?:These are|Here are) the (?:one|1) \b"), "a plural verb for one"),
    Rule(re.compile(r"(?<![\d.,])\b1 areas? of\b|\b[Tt]he 1(?![\d,.])"),
         'a story of one area in digits ("1 area of", "The 1"): name the area instead'),
    Rule(re.compile(r"(?<![\d.,])\b0 (?:new )?cases?\b"),
         "a zero count: PHE never published 0 (suppressed areas had zero to two cases)"),
    Rule(re.compile(r"(?<![\d.,])\b0 deaths?\b"), 'a zero count in figures: write "no deaths"'),
    Rule(re.compile(r"\b(?:None|nan|NaN|<NA>|Undefined)\b|\{\{|\}\}|\{%|%\}"),
         "a missing value or template code in the copy"),
    Rule(re.compile(r":\s*(?:\n\nSource:|\Z)"),
         "a sentence introduces a list, but the list is empty", Part.BODY),
    Rule(re.compile(r"[^\S\n]{2,}|\s[,.;:](?!\d)"), "stray spacing or punctuation"),
    Rule(re.compile(r"(?<![\w.,£$/-])[1-9](?![\w.,%/-]|\.\d)"),
         "a number from one to nine in figures in running copy (house style: in words)",
         Part.RUNNING),
    Rule(re.compile(r", (?:City|County) of\b|\bSt\. [A-Z]"),
         'an official ONS name ("Bristol, City of", "St. Helens"): use the name papers print '
         "(bot/geography/names.toml)"),
    Rule(re.compile(r"\b(\w+) \1\b", re.IGNORECASE), "a doubled word"),
    Rule(re.compile(r"\bCovid\b(?!-19)", re.IGNORECASE), 'one form of "Covid-19" in copy'),
    Rule(re.compile(r"\d\.0%"), 'a percentage with a trailing ".0"'),
    Rule(re.compile(r"\b\d{4}-\d{2}-\d{2}\b"), 'an ISO date: dates read "November 25"'),
]  # fmt: skip


@dataclass(frozen=True)
class CopyContext:
    """What a story is about, for the rules that need it: the patch's councils and how the
    copy names it, the areas the story names, and whether its week is the latest."""

    councils: tuple[str, ...] = ()
    place: str = ""
    areas: tuple[str, ...] = ()
    latest: bool = True

    @classmethod
    def of(cls, context: Mapping[str, Any]) -> CopyContext:
        """From a template's variables (``bot.stories.drafting.template_context``)."""
        patch = context.get("patch") or {}
        return cls(
            tuple(patch.get("councils") or ()),
            str(patch.get("place") or ""),
            tuple(str(area["area_name"]) for area in context.get("areas") or ()),
            bool(context.get("is_latest_week", True)),
        )


def lint(headline: str, text: str, context: CopyContext | None = None) -> list[str]:
    """What reads wrong in a story; each rule reported once, with an excerpt."""
    context = context or CopyContext()
    areas = _longest_first(context.areas)

    def blank(copy: str) -> str:  # an area's own name is not a slip
        return _without(copy, areas)

    # Paragraph by paragraph: the paragraphs every story shares are read once per run.
    pieces = [(headline, frozenset({Part.ALL}))]
    pieces += [(paragraph, frozenset({Part.ALL, Part.RUNNING})) for paragraph in text.split("\n\n")]
    first: dict[int, str] = {}
    for copy, parts in pieces:
        for index, start, end in _slips(blank(copy), parts):
            first.setdefault(index, _excerpt(copy, start, end))
    for index, rule in enumerate(RULES):
        match = rule.pattern.search(text) if rule.part is Part.BODY else None
        if match:
            first.setdefault(index, _excerpt(text, match.start(), match.end()))
    found = [f"{RULES[index].message}: {first[index]}" for index in sorted(first)]
    if len(headline) > HEADLINE_LIMIT:
        found.append(f"the headline is {len(headline)} characters; at most {HEADLINE_LIMIT}")
    if not context.latest and re.search(r"\bthis week\b", f"{headline}\n{_running(text)}"):
        found.append('"this week" in a story about an earlier week')
    found += _repeated_councils(f"{headline}\n{text}", context)
    return found


@functools.lru_cache(maxsize=8192)
def _slips(copy: str, parts: frozenset[Part]) -> tuple[tuple[int, int, int], ...]:
    """(rule, start, end) of the first slip of each of the rules for ``parts`` in ``copy``."""
    running = _running(copy) if Part.RUNNING in parts else ""
    found = []
    for index, rule in enumerate(RULES):
        if rule.part in parts:
            match = rule.pattern.search(running if rule.part is Part.RUNNING else copy)
            if match:
                found.append((index, match.start(), match.end()))
    return tuple(found)


def _running(copy: str) -> str:
    """The running copy (lines that end as sentences do), everything else blanked in place,
    and the days of dates too ("November 5" is in figures)."""
    lines = [
        line if line.rstrip().endswith(tuple(".:?!")) else " " * len(line)
        for line in copy.split("\n")
    ]
    return _DATE.sub(lambda m: m.group(1) + " " + "D" * len(m.group(2)), "\n".join(lines))


def _excerpt(copy: str, start: int, end: int) -> str:
    return "..." + copy[max(0, start - 30) : end + 30].replace("\n", " ") + "..."


def _longest_first(names: Iterable[str]) -> list[str]:
    return sorted({name for name in names if name}, key=len, reverse=True)


def _without(copy: str, names: Iterable[str]) -> str:
    """The copy with these names blanked (longest first), every other character in place: an
    area's own name is not a doubled word, a figure or its council."""
    for name in _longest_first(names):
        if name in copy:
            copy = copy.replace(name, "x" * len(name))
    return copy


def _council_after_an_area(copy: str, council: str, areas: tuple[str, ...]) -> str | None:
    """Where the copy says "AREA, COUNCIL" or "AREA in COUNCIL" (an excerpt), leaving out a
    council name that begins the next area ("Downham East, Lewisham Central & Park")."""
    lowered = copy.lower()
    longer = [area.lower() for area in areas if len(area) > len(council)]
    for area in (area for area in areas if area != council):
        for after in (", ", " in "):
            said = f"{area}{after}{council}".lower()
            at = lowered.find(said)
            while at >= 0:
                rest = lowered[at + len(area) + len(after) :]
                end = at + len(said)
                whole = end == len(lowered) or not lowered[end].isalnum()
                if whole and not any(rest.startswith(other) for other in longer):
                    return _excerpt(copy, at, end)
                at = lowered.find(said, at + 1)
    return None


def _repeated_councils(copy: str, context: CopyContext) -> list[str]:
    """A council named twice in one list line or sentence ("Wortley in Leeds and Armley in
    Leeds"), leaving out the areas' own names and the patch's name."""
    councils = _longest_first(context.councils)
    if len(councils) == 1:  # "Wigton & Silloth, Allerdale" in a patch of Allerdale alone
        repeated = _council_after_an_area(copy, councils[0], context.areas)
        if repeated:
            return [f"the patch's one council repeated after an area: {repeated}"]
    blanked = _without(copy, (*context.areas, context.place))
    start = 0
    for sentence in re.split(r"(?<=[.!?:])[^\S\n]+|\n", blanked):  # lines and sentences
        at = blanked.index(sentence, start)
        start = at + len(sentence)
        shown = copy[at:start]  # the same stretch, names not blanked
        for council in councils:
            if sentence.count(council) < 2:
                sentence = sentence.replace(council, " ")  # "Redcar and ...", then "Redcar"
                continue
            whole = re.findall(rf"(?<!\w){re.escape(council)}(?!\w)", sentence)
            if len(whole) > 1:
                return [f"{council} is named twice in one sentence or line: ...{shown}..."]
    return []
