"""The fact check: every number and every area name in a draft traced back to its facts.

Runs on every draft as it is rendered. A number in the copy must be one of the story's facts
(a count, rate, change, total, date) or a number written into the templates themselves ("per
100,000", "Covid-19"); every area the copy names must be one of the story's areas, under its
own council. A draft that fails is held, with the reason, and never posted.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Iterator
from functools import cache
from typing import Any

from bot.housestyle import spelled

_NUMBER = re.compile(r"(?<![\w.,])\d{1,3}(?:,\d{3})+(?:\.\d+)?|(?<![\w.,])\d+(?:\.\d+)?")
_JINJA = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.DOTALL)


_WORD = re.compile(r"[A-Za-z]+(?:-[A-Za-z]+)?")


@cache
def _word_values() -> dict[str, int]:
    """Number words as copy writes them, one token each: "eleven", "twenty-one"."""
    return {spelled(n): n for n in range(1, 100)}


def _number_words(text: str) -> Iterator[str]:
    values = _word_values()
    return (word for word in _WORD.findall(text) if word.lower() in values)


AREA_NUMBERS = ("cases", "rate", "change", "change_pct", "previous_cases")


def _fact_values(facts: dict[str, Any]) -> set[float]:
    """Every number the facts hold (signs dropped: copy says "up" or "down"), to one place."""
    values: set[float] = set()

    def add(value: Any) -> None:
        if isinstance(value, int | float) and not isinstance(value, bool):
            values.add(round(abs(value), 1))

    for key, value in facts.items():
        if key == "areas":
            add(len(value))
            for area in value:
                for field in AREA_NUMBERS:
                    add(area.get(field))
        elif key == "councils":
            for council in value:
                add(council["area_count"])
                add(council["cases"])
        else:
            add(value)
    return values


def _as_value(token: str) -> float:
    return round(float(token.replace(",", "")), 1)


def literal_numbers(sources: Iterable[str]) -> set[float]:
    """Numbers (in figures or words) written into the templates outside ``{{ }}``."""
    found: set[float] = set()
    for source in sources:
        text = _JINJA.sub(" ", source)
        found |= {_as_value(token) for token in _NUMBER.findall(text)}
        found |= {float(_word_values()[w.lower()]) for w in _number_words(text)}
    return found


def check(
    headline: str,
    text: str,
    facts: dict[str, Any],
    dates: Iterable[dt.date | None],
    literals: set[float],
    councils: Iterable[str],
) -> list[str]:
    """Problems found in a rendered draft; an empty list means every fact traced.

    Templates only see the facts, so an area can only reach the copy from them (or from text
    typed into a template): what needs checking is each area's council and every number.
    """
    copy = f"{headline}\n{text}"
    lowered = copy.lower()
    names = {area["area_name"] for area in facts["areas"]} | set(councils)
    spans = sorted(
        (start, start + len(name))
        for name in names
        for start in _occurrences(lowered, name.lower())
    )
    allowed = literals | _fact_values(facts)
    allowed |= {float(part) for day in dates if day is not None for part in (day.day, day.year)}
    unnamed = _blank_out(copy, spans)  # "Forty Hill" or "Ward 12" are not figures
    problems = [
        f"the number {token} is not in the facts" for token in _NUMBER.findall(unnamed)
        if _as_value(token) not in allowed
    ]  # fmt: skip
    problems += [
        f'the number "{word}" is not in the facts' for word in _number_words(unnamed)
        if _word_values()[word.lower()] not in allowed
    ]  # fmt: skip
    problems += _check_councils(copy, lowered, facts["areas"], set(councils))
    return sorted(set(problems))


def _occurrences(text: str, name: str) -> Iterator[int]:
    """Where ``name`` stands as whole words in ``text``."""
    start = text.find(name)
    while start >= 0:
        end = start + len(name)
        if (start == 0 or not text[start - 1].isalnum()) and (
            end == len(text) or not text[end].isalnum()
        ):
            yield start
        start = text.find(name, start + 1)


def _blank_out(copy: str, spans: list[tuple[int, int]]) -> str:
    pieces, at = [], 0
    for start, end in spans:
        if start >= at:
            pieces += [copy[at:start], " "]
            at = end
    return "".join([*pieces, copy[at:]])


_STATED = re.compile(r"(?:, | in )(.+?)(?: \*)?(?:[,.]|$| with| had| saw)", re.MULTILINE)


def _check_councils(
    copy: str, lowered: str, areas: list[dict[str, Any]], councils: set[str]
) -> list[str]:
    """Each area of the facts is in the copy, under its own council: "Park East, Darlington",
    "PARK EAST in Darlington", or below a round-up's council heading."""
    homes: dict[str, set[str]] = {}  # a name can belong to two areas ("Grangetown")
    for area in areas:
        homes.setdefault(area["area_name"], set()).add(area["ltla_name"])
    headings = [(m.start(), m.group(1)) for m in re.finditer(r"^(.+)$", copy, re.MULTILINE)
                if m.group(1) in councils]  # fmt: skip
    found = {
        name: [(start, start + len(name)) for start in _occurrences(lowered, name.lower())]
        for name in homes
    }
    spans = [span for places in found.values() for span in places]
    problems = []
    for name, home in homes.items():
        if not found[name]:
            problems.append(f"{name} is in the facts but not in the copy")
        for start, end in found[name]:
            if any(s <= start and end <= e and (s, e) != (start, end) for s, e in spans):
                continue  # part of a longer name: "Acomb" in "Hexham East & Acomb"
            after = copy[end:]
            stated = _STATED.match(after)
            heading = next((h for at, h in reversed(headings) if at < start), "")
            if stated and stated.group(1) in councils and stated.group(1) not in home:
                problems.append(f"{name} is placed in {stated.group(1)}, but is in {_one(home)}")
            elif after.startswith(" - ") and heading and heading not in home:
                problems.append(f"{name} is listed under {heading}, but is in {_one(home)}")
    return problems


def _one(councils: set[str]) -> str:
    return " and ".join(sorted(councils))
