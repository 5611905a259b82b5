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
import itertools
import math
import operator
import re
from collections.abc import Iterable, Iterator
from typing import Any

from bot.housestyle import spelled

# A quick scan (not after a letter, digit, "_", "." or ",": part of a code or word such as
# "E02004314", not a figure); _FIGURE says what is a figure. ``\w`` is exactly isalnum() or "_".
# The look back sits after the first digit, so the regex engine can skip ahead to digits.
_DIGITS = r"[0-9](?<![\w.,].)[0-9.,]*"
_FIGURE = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?")
_JINJA = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.DOTALL)


@functools.cache
def _word_values() -> dict[str, int]:
    """Number words as copy writes them, one token each: "eleven", "twenty-one"."""
    return {spelled(n): n for n in range(1, 100)}


def _trie(words: Iterable[str]) -> str:
    """A regex matching exactly these words, not within a longer word, factored by shared
    prefixes so that a word which is not a number fails at its first letter (a plain
    alternation of 99 words is slow). That no letter comes before the word is checked after
    its first letter: a regex that opens with a choice of letters lets the engine skip ahead
    to the letters that start a number word."""
    tree: dict[str, Any] = {}
    for word in words:
        node = tree
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}

    def pattern(node: dict[str, Any], after_first: str = "") -> str:
        branches = [
            re.escape(c) + after_first + pattern(child) for c, child in sorted(node.items()) if c
        ]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        return f"(?:{body})?" if "" in node else body

    return pattern(tree, after_first=r"(?<!\w.)")


# Figures (group 1) and number words in one pass over the lower-cased copy: lower case keeps
# every digit, "." and "," where it was, and whether each character is \w
# (tests/test_factcheck.py checks this for every character).
_NUMBER_OR_WORD = re.compile(rf"({_DIGITS})|{_trie(_word_values())}\b(?!-)")


_NUMBER = (int, float)  # a tuple: ``int | float`` would be built anew for every value


def _values(*numbers: Any) -> set[float]:
    """Numbers as the copy may print them: sign dropped (copy says "up" or "down"), one place."""
    return {round(abs(n), 1) for n in numbers if isinstance(n, _NUMBER) and not isinstance(n, bool)}


def _story_values(facts: dict[str, Any]) -> set[float]:
    """The story-level figures (averages, totals, counts), not any one area's. (The list of
    areas is among the facts' values, but is no number.)"""
    areas = facts["areas"]
    firsts = [  # how many share first place ("THREE areas shared ...")
        len([a for a in areas if a[key] == areas[0][key]]) for key in ("rate", "change") if areas
    ]
    councils = [n for c in facts.get("councils", []) for n in (c["area_count"], c["cases"])]
    return _values(len(areas), *facts.values(), *firsts, *councils)


def _area_values(area: dict[str, Any]) -> frozenset[float]:
    """The figures an area's own copy may print. (Five lookups: quicker than a map over names.)"""
    get = area.get
    return _values_once(get("cases"), get("rate"), get("change"), get("change_pct"),
                        get("previous_cases"))  # fmt: skip


@functools.lru_cache(maxsize=65536)
def _values_once(*numbers: Any) -> frozenset[float]:
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
        found.update(*(numbers[2::3] for _at, numbers in _numbers(text)))
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
    councils = set(councils)
    by_name: dict[str, list[dict[str, Any]]] = {}  # a name can belong to two areas ("Grangetown")
    for area in facts["areas"]:
        by_name.setdefault(area["area_name"], []).append(area)
    places = _outermost(copy.lower(), by_name.keys() | councils)
    areas = [place for place in places if place[2] not in councils]
    unnamed = _blank_out(copy, places)  # "Forty Hill" or "Ward 12" are not figures
    base = literals | _story_values(facts)
    base |= {float(part) for day in dates if day is not None for part in (day.day, day.year)}
    problems = _check_numbers(unnamed, areas, base, by_name)
    named = {name for _start, _end, name in places}  # council-level areas are councils
    problems += _check_councils(copy, areas, named, by_name, councils)
    return sorted(set(problems))


def _check_numbers(
    copy: str,
    places: list[tuple[int, int, str]],
    base: set[float],
    by_name: dict[str, list[dict[str, Any]]],
) -> list[str]:
    """Each number is a figure of the area whose stretch of copy it is in (from the area's
    name to the next area's or the paragraph's end), or a story-level one (``base``). Most
    are story-level, so an area's own figures are worked out only when a number needs them.

    A number is in the stretch of the last name ending before it unless a paragraph ends in
    between: it cannot be past the next name's start, as it cannot start inside that name (the
    names are blanked out)."""
    ends = [end for _start, end, _name in places]
    own: dict[str, frozenset[float]] = {}
    everyone: set[float] | None = None
    problems = []
    for line_start, numbers in _numbers(copy):
        if base.issuperset(numbers[2::3]):
            continue
        each = iter(numbers)  # (position in the line, as printed, value), ...
        for offset, shown, value in zip(each, each, each, strict=True):
            if value in base:
                continue
            at = line_start + offset
            index = bisect.bisect_right(ends, at) - 1
            if index >= 0 and copy.find("\n\n", ends[index], at) < 0:
                name = places[index][2]
                if name not in own:
                    own[name] = _name_values(by_name[name])
                if value not in own[name]:
                    problems.append(f"the number {shown} is not in the facts for {name}")
            else:
                if everyone is None:  # rarely needed: most numbers outside a stretch are in base
                    everyone = base.union(*map(_name_values, by_name.values()))
                if value not in everyone:
                    problems.append(f"the number {shown} is not in the facts")
    return problems


def _name_values(areas: list[dict[str, Any]]) -> frozenset[float]:
    """The figures of the areas of one name (nearly always one area)."""
    if len(areas) == 1:
        return _area_values(areas[0])
    return frozenset().union(*map(_area_values, areas))


def _numbers(copy: str) -> list[tuple[int, tuple[Any, ...]]]:
    """The numbers in the copy, in figures or in words, line by line: where the line starts,
    and the line's numbers as position in the line, as printed, value, position, ... (Most
    lines are the templates' set paragraphs, so a line's numbers are worked out once a run.)"""
    if not copy.isascii() and len(copy.lower()) != len(copy):  # a letter whose lower case is longer
        return [(0, _scan(copy, re.sub(r"[A-Za-z]+", lambda m: m.group(0).lower(), copy)))]
    lines = copy.split("\n")  # no number runs over a line's end
    # Where each line starts: the lengths of the lines before it, and a "\n" after each.
    starts = map(operator.add, itertools.accumulate(map(len, lines), initial=0), itertools.count())
    return [
        (at, numbers)
        for at, numbers in zip(starts, map(_line_numbers, lines), strict=False)
        if numbers
    ]


@functools.lru_cache(maxsize=65536)
def _line_numbers(line: str) -> tuple[Any, ...]:
    """A line's numbers. (The line lower-cases as it does within the copy: a line break ends
    the context of a final sigma, the one letter whose lower case depends on its neighbours.)"""
    return _scan(line, line.lower())


def _scan(copy: str, lowered: str) -> tuple[Any, ...]:
    """The numbers in the copy, flat: one tuple, not one a number, as what stays in the cache
    for the run brings the garbage collector's costly full passes nearer. ``lowered`` is the
    copy in lower case, letter for letter."""
    found: list[Any] = []
    values = _word_values()
    for match in _NUMBER_OR_WORD.finditer(lowered):
        start = match.start()
        if match.lastindex:  # a figure
            found.append(start)
            found += _figure(match.group())
        else:
            found += (start, f'"{copy[start : match.end()]}"', float(values[match.group()]))
    return tuple(found)


_FIRST_TWO = operator.itemgetter(0, 1)


def _outermost(lowered: str, names: Iterable[str]) -> list[tuple[int, int, str]]:
    """Where the names stand in the copy as whole words, leaving out a name inside a longer
    one ("Acomb" in "Hexham East & Acomb", "Hythe" in "Folkestone and Hythe")."""
    found = []
    length = len(lowered)
    for name in names:
        word = name.lower()
        size = len(word)
        start = lowered.find(word)
        while start >= 0:
            end = start + size
            if (start == 0 or not lowered[start - 1].isalnum()) and (
                end == length or not lowered[end].isalnum()
            ):
                found.append((start, -start - len(name), name))
            start = lowered.find(word, start + 1)
    found.sort(key=_FIRST_TWO)  # by where each starts, the longest first (a stable sort)
    outer: list[tuple[int, int, str]] = []
    for start, minus_end, name in found:
        if not outer or start >= outer[-1][1]:
            outer.append((start, -minus_end, name))
    return outer


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
    by_name: dict[str, list[dict[str, Any]]],
    councils: set[str],
) -> list[str]:
    """Each area of the facts is in the copy, under its own council: "Park East, Darlington",
    "PARK EAST in Darlington", or below a round-up's council heading."""
    homes: dict[str, set[str]] = {name: set() for name in by_name}
    for name, areas in by_name.items():
        for area in areas:
            homes[name].add(area["ltla_name"])
    problems = [f"{name} is in the facts but not in the copy" for name in homes
                if name not in named]  # fmt: skip
    headings: list[tuple[int, str]] | None = None
    for start, end, name in places:
        before = end + 80  # the council is stated right after the name
        if not copy.startswith((", ", " in ", " - "), end, before):  # most names: nothing to check
            continue
        home = homes[name]
        if copy.startswith((", ", " in "), end, before):
            stated = _stated(copy, end, before, councils)
            if stated and stated not in home:
                problems.append(f"{name} is placed in {stated}, but is in {_one(home)}")
            continue
        if headings is None:
            headings = sorted((at, c) for c in councils for at in _whole_lines(copy, c))
        index = bisect.bisect_left(headings, (start,)) - 1
        heading = headings[index][1] if index >= 0 else ""
        if heading and heading not in home:
            problems.append(f"{name} is listed under {heading}, but is in {_one(home)}")
    return problems


def _stated(copy: str, end: int, before: int, councils: set[str]) -> str | None:
    """The council named right after an area ("Park East, Darlington", "PARK EAST in Darlington"),
    the longest first ("Redcar and Cleveland" before "Redcar")."""
    for council in sorted(councils, key=len, reverse=True):
        if copy.startswith((f", {council}", f" in {council}"), end, before):
            return council
    return None


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
