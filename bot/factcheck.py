"""The fact check: every number and every area name in a draft traced back to its facts.

Runs on every draft as it is rendered. A number in the copy must be one of the story's facts
(a count, rate, change, total, date) or a number written into the templates themselves ("per
100,000", "Covid-19"); every area the copy names must be one of the story's areas, under its
own council. A draft that fails is held, with the reason, and never posted.
"""

from __future__ import annotations

import bisect
import datetime as dt
import functools
import math
import re
from collections.abc import Iterable, Iterator
from typing import Any

from bot.housestyle import spelled

# A quick scan (not after a letter, digit, "_", "." or ",": part of a code or word such as
# "E02004314", not a figure); _FIGURE says what is a figure. ``\w`` is exactly isalnum() or "_".
_DIGITS = re.compile(r"(?<![\w.,])[0-9][0-9.,]*")
_FIGURE = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?")
_JINJA = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.DOTALL)


@functools.cache
def _word_values() -> dict[str, int]:
    """Number words as copy writes them, one token each: "eleven", "twenty-one"."""
    return {spelled(n): n for n in range(1, 100)}


def _trie(words: Iterable[str]) -> str:
    """A regex matching exactly these words, factored by shared prefixes so that a word which
    is not a number fails at its first letter (a plain alternation of 99 words is slow)."""
    tree: dict[str, Any] = {}
    for word in words:
        node = tree
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}

    def pattern(node: dict[str, Any]) -> str:
        branches = [re.escape(c) + pattern(child) for c, child in sorted(node.items()) if c]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        return f"(?:{body})?" if "" in node else body

    return pattern(tree)


_NUMBER_WORD = re.compile(rf"\b{_trie(_word_values())}\b(?!-)")  # on lower-cased copy


_NUMBER = (int, float)  # a tuple: ``int | float`` would be built anew for every value
AREA_NUMBERS = ("cases", "rate", "change", "change_pct", "previous_cases")


def _values(*numbers: Any) -> set[float]:
    """Numbers as the copy may print them: sign dropped (copy says "up" or "down"), one place."""
    return {round(abs(n), 1) for n in numbers if isinstance(n, _NUMBER) and not isinstance(n, bool)}


def _story_values(facts: dict[str, Any]) -> set[float]:
    """The story-level figures (averages, totals, counts), not any one area's."""
    areas = facts["areas"]
    values = _values(len(areas), *(v for k, v in facts.items() if k != "areas"))
    for key in ("rate", "change"):  # how many share first place ("THREE areas shared ...")
        values |= _values(sum(1 for a in areas if areas and a[key] == areas[0][key]))
    for council in facts.get("councils", []):
        values |= _values(council["area_count"], council["cases"])
    return values


def _area_values(area: dict[str, Any]) -> frozenset[float]:
    return _values_once(tuple(area.get(field) for field in AREA_NUMBERS))


@functools.lru_cache(maxsize=65536)
def _values_once(numbers: tuple[Any, ...]) -> frozenset[float]:
    """An area's number set, worked out once per run however many stories name the area."""
    return frozenset(_values(*numbers))


def _as_value(token: str) -> float:
    return round(float(token.replace(",", "")), 1)


@functools.lru_cache(maxsize=65536)
def _figure(match: str) -> tuple[str, float]:
    """(as printed, value) of a run of digits; the same few hundred recur in every draft."""
    token = match.rstrip(".,")
    return token, _as_value(token) if _FIGURE.fullmatch(token) else math.nan  # "1,2": flag it


def literal_numbers(sources: Iterable[str]) -> set[float]:
    """Numbers (in figures or words) written into the templates outside ``{{ }}``."""
    found: set[float] = set()
    for source in sources:
        text = _JINJA.sub(" ", source)
        found |= {value for _at, _shown, value in _numbers(text)}
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
    typed into a template): what needs checking is each area's council and every number. A
    number printed after an area's name (up to the next area or paragraph) must be one of that
    area's own figures, a story-level figure, a date or a number typed into the templates;
    any other number must be one of the story's figures.
    """
    copy = f"{headline}\n{text}"
    lowered = copy.lower()
    councils = set(councils)
    places = _outermost(lowered, {area["area_name"] for area in facts["areas"]} | councils)
    areas = [place for place in places if place[2] not in councils]
    unnamed = _blank_out(copy, places)  # "Forty Hill" or "Ward 12" are not figures
    base = literals | _story_values(facts)
    base |= {float(part) for day in dates if day is not None for part in (day.day, day.year)}
    own: dict[str, frozenset[float]] = {}
    for area in facts["areas"]:
        name = area["area_name"]
        own[name] = own[name] | _area_values(area) if name in own else _area_values(area)
    everyone = base.union(*own.values())
    # Each area's stretch of copy: from its name to the next area's or the paragraph's end.
    stretches = []
    for index, (_start, end, name) in enumerate(areas):
        following = areas[index + 1][0] if index + 1 < len(areas) else len(copy)
        paragraph = unnamed.find("\n\n", end)
        stretches.append((end, min(following, paragraph if paragraph >= 0 else len(copy)), name))
    starts = [stretch[0] for stretch in stretches]
    problems = []
    for at, shown, value in _numbers(unnamed):
        index = bisect.bisect_right(starts, at) - 1
        if index >= 0 and at < stretches[index][1]:
            name = stretches[index][2]
            if value not in base and value not in own[name]:
                problems.append(f"the number {shown} is not in the facts for {name}")
        elif value not in everyone:
            problems.append(f"the number {shown} is not in the facts")
    named = {name for _start, _end, name in places}  # council-level areas are councils
    problems += _check_councils(copy, areas, named, facts["areas"], councils)
    return sorted(set(problems))


def _numbers(copy: str) -> Iterator[tuple[int, str, float]]:
    """(position, as printed, value) of every number in the copy, in figures or in words."""
    for match in _DIGITS.finditer(copy):
        yield (match.start(), *_figure(match.group(0)))
    lowered = copy.lower()
    if len(lowered) != len(copy):  # a rare letter whose lower case is longer: keep positions
        lowered = re.sub(r"[A-Za-z]+", lambda m: m.group(0).lower(), copy)
    values = _word_values()
    for match in _NUMBER_WORD.finditer(lowered):
        shown = copy[match.start() : match.end()]
        yield match.start(), f'"{shown}"', float(values[match.group(0)])


def _outermost(lowered: str, names: Iterable[str]) -> list[tuple[int, int, str]]:
    """Where the names stand in the copy, leaving out a name inside a longer one ("Acomb" in
    "Hexham East & Acomb", "Hythe" in "Folkestone and Hythe")."""
    found = sorted(
        ((start, start + len(name), name) for name in names
         for start in _occurrences(lowered, name.lower())),
        key=lambda span: (span[0], -span[1]),
    )  # fmt: skip
    outer: list[tuple[int, int, str]] = []
    for span in found:
        if not outer or span[0] >= outer[-1][1]:
            outer.append(span)
    return outer


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


def _blank_out(copy: str, spans: list[tuple[int, int, str]]) -> str:
    """The copy with the spans (in order, apart) blanked, keeping every other character where
    it was."""
    pieces: list[str] = []
    kept = 0
    for start, end, _name in spans:
        pieces += (copy[kept:start], " " * (end - start))
        kept = end
    pieces.append(copy[kept:])
    return "".join(pieces)


def _check_councils(
    copy: str,
    places: list[tuple[int, int, str]],
    named: set[str],
    areas: list[dict[str, Any]],
    councils: set[str],
) -> list[str]:
    """Each area of the facts is in the copy, under its own council: "Park East, Darlington",
    "PARK EAST in Darlington", or below a round-up's council heading."""
    homes: dict[str, set[str]] = {}  # a name can belong to two areas ("Grangetown")
    for area in areas:
        homes.setdefault(area["area_name"], set()).add(area["ltla_name"])
    headings = sorted(
        (start, council) for council in councils for start in _whole_lines(copy, council)
    )
    heading_starts = [at for at, _name in headings]
    by_length = sorted(councils, key=len, reverse=True)  # "Redcar and Cleveland" before "Redcar"
    problems = [f"{name} is in the facts but not in the copy" for name in homes
                if name not in named]  # fmt: skip
    for start, end, name in places:
        home = homes[name]
        after = copy[end : end + 80]
        stated = next((c for c in by_length if after.startswith((f", {c}", f" in {c}"))), None)
        index = bisect.bisect_left(heading_starts, start) - 1
        heading = headings[index][1] if index >= 0 else ""
        if stated and stated not in home:
            problems.append(f"{name} is placed in {stated}, but is in {_one(home)}")
        elif after.startswith(" - ") and heading and heading not in home:
            problems.append(f"{name} is listed under {heading}, but is in {_one(home)}")
    return problems


def _whole_lines(text: str, line: str) -> Iterator[int]:
    """Where ``line`` stands as a whole line of ``text`` (a round-up's council heading)."""
    start = text.find(line)
    while start >= 0:
        end = start + len(line)
        if (start == 0 or text[start - 1] == "\n") and (end == len(text) or text[end] == "\n"):
            yield start
        start = text.find(line, start + 1)


def _one(councils: set[str]) -> str:
    return " and ".join(sorted(councils))
